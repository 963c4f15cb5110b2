"""The command line: parse arguments, call the app, hand results to one reporter, pick the exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click

from journalgen import __version__
from journalgen.errors import JournalgenError

F = TypeVar("F", bound=Callable[..., object])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print diagnostics: text (file:line:col), json, or GitHub annotations.",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"journalgen: error: {message}", err=True)
    sys.exit(code)


def _emit(fmt: str, outcome: object, *, err: bool) -> None:
    from journalgen.app import Outcome
    from journalgen.report import render

    assert isinstance(outcome, Outcome)
    if outcome.diagnostics or fmt == "json":
        click.echo(render(fmt, outcome.diagnostics, outcome.files), nl=False, err=err)


class _Group(click.Group):
    """Turns journalgen's typed errors, and anything unexpected, into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except JournalgenError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            _fail(f"internal error ({type(exc).__name__}: {exc}); please report it", 1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="journalgen")
def main() -> None:
    """Compile YAML tenant specs into reviewable Exchange Online journaling scripts.

    journalgen never connects to a tenant: it writes PowerShell that an admin reviews and runs.
    """


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@strict_option
@format_option
def validate(specs: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check SPECS (files or folders) and report every problem; exit 1 if any has an error."""
    from journalgen import app

    outcome = app.validate(specs, strict=strict)
    _emit(fmt, outcome, err=False)
    if fmt == "text" and outcome.ok:
        click.echo(f"{len(outcome.files)} spec(s) valid", err=True)
    sys.exit(0 if outcome.ok else 1)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and CI)."""
    from journalgen import app

    click.echo(app.schema_text(), nl=False)

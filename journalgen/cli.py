"""The command line: parse arguments, call the app, hand results to one reporter, pick the exit code."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from journalgen import __version__
from journalgen.clouds import CLOUDS
from journalgen.errors import JournalgenError, PinError

if TYPE_CHECKING:  # the app is imported lazily so --help and --version stay fast
    from datetime import datetime

    from journalgen.app import Outcome
    from journalgen.diagnostics import Diagnostic

F = TypeVar("F", bound=Callable[..., object])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print diagnostics: text (file:line:col), json, or GitHub annotations.",
)
out_dir_option = click.option(
    "--out-dir",
    "-d",
    required=True,
    type=click.Path(file_okay=False),
    help="The bundles' folder: one <spec name>/ folder per spec.",
)


def report_format_option(help: str) -> Callable[[F], F]:
    """``--format text|json`` for commands whose output is a report, not diagnostics."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help,
    )


strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Spread the specs over N processes, at most one per spec and per CPU; output and exit "
    "code are the same as with 1.",
)


def cloud_option(help: str) -> Callable[[F], F]:
    """``--cloud``: the Microsoft 365 cloud a script signs in to."""
    return click.option(
        "--cloud",
        type=click.Choice(list(CLOUDS)),
        default="commercial",
        show_default=True,
        help=help,
    )


def states_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """``--states DIR``: a folder of captured states, each paired with the specs of its tenant."""
    return click.option(
        "--states",
        "states_dir",
        required=required,
        type=click.Path(exists=True, file_okay=False),
        help=help,
    )


def age_options(max_age: str, now: str) -> Callable[[F], F]:
    """``--max-age DAYS`` and ``--now TIME``: when a captured state is stale, and "now"."""

    def decorate(function: F) -> F:
        function = click.option("--now", metavar="TIME", help=now)(function)
        return click.option(
            "--max-age",
            type=click.IntRange(min=0),
            default=7,
            show_default=True,
            metavar="DAYS",
            help=max_age,
        )(function)

    return decorate


output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE, not stdout."
)
force_option = click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")


def _deliver(data: bytes, output: str | None) -> None:
    """Write ``data`` to ``output`` atomically, or as bytes to standard output."""
    if output:
        from pathlib import Path

        from journalgen.write import write_atomic

        write_atomic(Path(output), data)
        click.echo(f"wrote {output}", err=True)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _fail(message: str, code: int, *, label: str = "error") -> NoReturn:
    click.echo(f"journalgen: {label}: {message}", err=True)
    sys.exit(code)


def _refused(outcome: Outcome) -> bool:
    """Say so on standard error when the spec repository's pin refused this journalgen."""
    if outcome.refused_by is None:
        return False
    message = f"{outcome.refused_by} does not allow journalgen {__version__}: nothing was read"
    click.echo(message, err=True)
    return True


def _emit(fmt: str, outcome: Outcome, *, err: bool) -> None:
    from journalgen.report import render

    if outcome.diagnostics or fmt == "json":
        click.echo(render(fmt, outcome.diagnostics, outcome.files), nl=False, err=err)


class _Group(click.Group):
    """Turns journalgen's typed errors, and anything unexpected, into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except PinError as exc:
            from journalgen.report import text

            click.echo(text(exc.diagnostics), nl=False, err=True)
            pin = exc.diagnostics[0].file
            _fail(f"{pin} does not allow journalgen {__version__}: nothing was read", 1)
        except JournalgenError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            message = f"internal error ({type(exc).__name__}: {exc}); please report it"
            _fail(message, 1, label="error[JG900]")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="journalgen")
def main() -> None:
    """Compile YAML tenant specs into reviewable Exchange Online journaling scripts.

    journalgen never connects to a tenant: it writes PowerShell that an admin reviews and runs.
    """


@main.command(short_help="Report every problem in specs; exit 1 on any error.")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@strict_option
@format_option
def validate(specs: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check SPECS (files, folders, or - for standard input); exit 1 if any has an error."""
    from journalgen import app

    outcome = app.validate(specs, strict=strict)
    _emit(fmt, outcome, err=False)
    if fmt == "text":
        if outcome.ok:
            click.echo(f"{len(outcome.files)} spec(s) valid", err=True)
        elif not _refused(outcome):
            click.echo(
                f"{len(outcome.failed)} of {len(outcome.files)} spec(s) have errors", err=True
            )
    sys.exit(0 if outcome.ok else 1)


@main.command(short_help="Compile specs into change bundles.")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@out_dir_option
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="An earlier version of the spec: CHANGE.md then lists every setting that changes.",
)
@click.option(
    "--previous-rev",
    metavar="REV",
    help="Compare each spec with its version at git revision REV (a spec new since has none).",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    help="A captured tenant state: CHANGE.md then shows what apply.ps1 would change in it.",
)
@states_option(
    "A folder of captured states (*.json, any names): each spec gets the changes against "
    "the state of its tenant (its organization); a spec with none is a warning."
)
@click.option(
    "--drop-state",
    is_flag=True,
    help="Rebuild without a state the bundles that were built against one, dropping their "
    "changes against the tenant (without it such a bundle is left as it is, an error).",
)
@click.option(
    "--rehearse",
    is_flag=True,
    help="With --state or --states: run each bundle's scripts under pwsh against the simulator "
    "seeded with its state, and add the rehearsal to CHANGE.md and the manifest; a rehearsal "
    "that fails writes nothing (docs/rehearse.md).",
)
@strict_option
@format_option
@jobs_option
def build(
    specs: tuple[str, ...],
    out_dir: str,
    previous: str | None,
    previous_rev: str | None,
    state: str | None,
    states_dir: str | None,
    drop_state: bool,
    rehearse: bool,
    strict: bool,
    fmt: str,
    jobs: int,
) -> None:
    """Compile SPECS (files or folders) into OUT_DIR/<spec name>/; bad specs are skipped, exit 1.

    A bundle that already holds what its spec compiles to is left as it is, byte for byte.
    """
    from pathlib import Path

    from journalgen import app

    outcome = app.build(
        specs,
        Path(out_dir),
        strict=strict,
        previous=previous,
        previous_rev=previous_rev,
        state=state,
        states_dir=states_dir,
        drop_state=drop_state,
        jobs=jobs,
        rehearse=rehearse,
    )
    _emit(fmt, outcome, err=False)
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "text" and not _refused(outcome):
        # A state with errors fails too, but is no spec.
        failed = [file for file in outcome.files if file in outcome.failed]
        bad = [file for file in outcome.failed if file not in outcome.files]
        unusable = f"; state(s) with errors: {', '.join(bad)}" if bad else ""
        click.echo(
            f"built {len(outcome.files) - len(failed)} of {len(outcome.files)} "
            f"spec(s) into {out_dir}{unusable}",
            err=True,
        )
    sys.exit(0 if outcome.ok else 1)


@main.command(short_help="Fail when a bundle is stale or was edited by hand.")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@out_dir_option
@strict_option
@format_option
@jobs_option
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also name each file accepted with other line endings or a signature.",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A state a bundle was built against (build --state): its changes against the tenant "
    "are rendered again and must match. Repeatable; each matches the bundles of its tenant.",
)
@states_option(
    "A folder of state files (*.json): each bundle built with --state is verified "
    "against the one with the hash its manifest records."
)
@click.option(
    "--rehearse",
    is_flag=True,
    help="Run each rehearsed bundle's rehearsal again under pwsh, against its state (given "
    "with --state or --states), and compare it with its Rehearsal section.",
)
def check(
    specs: tuple[str, ...],
    out_dir: str,
    strict: bool,
    fmt: str,
    jobs: int,
    verbose: bool,
    states: tuple[str, ...],
    states_dir: str | None,
    rehearse: bool,
) -> None:
    """Exit 1, naming the files, when a bundle in OUT_DIR is stale, edited or unexpected.

    A bundle built with --state is verified with --state or --states; without them its changes
    against the tenant are reported unverified (an error with --strict).
    """
    from pathlib import Path

    from journalgen import app

    outcome = app.check(
        specs,
        Path(out_dir),
        strict=strict,
        jobs=jobs,
        states=states,
        states_dir=states_dir,
        rehearse=rehearse,
    )
    _emit(fmt, outcome, err=False)
    from journalgen.bundle import NOT_RUN_AGAIN, RAN_AGAIN

    for note in outcome.notes:
        # Whether a rehearsal ran again is said always: no one should read more into a section.
        if verbose or note.endswith((NOT_RUN_AGAIN, RAN_AGAIN)):
            click.echo(f"note: {note}", err=True)
    if fmt == "text" and outcome.ok:
        signed = f", {outcome.signed} signed script(s)" if outcome.signed else ""
        click.echo(f"{len(outcome.files)} bundle(s) up to date{signed}", err=True)
    elif fmt == "text" and not _refused(outcome):
        failed = [file for file in outcome.files if file in outcome.failed]
        orphaned = str(Path(out_dir)) in outcome.failed
        orphans = f"; {out_dir} holds a bundle with no spec" if orphaned else ""
        bad = [f for f in outcome.failed if f not in outcome.files and f != str(Path(out_dir))]
        unusable = f"; state(s) with errors: {', '.join(bad)}" if bad else ""
        click.echo(
            f"{len(failed)} of {len(outcome.files)} spec(s) have errors or a bundle that is not "
            f"up to date{orphans}{unusable}",
            err=True,
        )
        other = sum(d.code == "JG025" for d in outcome.diagnostics)
        if other > 1:
            # After an upgrade every bundle is stale at once: one command rebuilds them all.
            command = shlex.join(["journalgen", "build", *specs, "--out-dir", out_dir])
            click.echo(
                f"{other} bundle(s) were built by another journalgen version; rebuild them all "
                f"with one command: {command}",
                err=True,
            )
    sys.exit(0 if outcome.ok else 1)


@main.command(short_help="Print one spec's apply script.")
@click.argument("spec", type=click.Path())
@output_option
@strict_option
@format_option
def render(spec: str, output: str | None, strict: bool, fmt: str) -> None:
    """Print the apply script of SPEC, or write it with -o."""
    from journalgen import app

    outcome, script = app.render(spec, strict=strict)
    _emit(fmt, outcome, err=True)
    if script is None:
        sys.exit(1)
    _deliver(script, output)


@main.command(short_help="Print the engine a board reviews once per release.")
@click.option("--hash", "hash_only", is_flag=True, help="Print only its SHA-256 (engine_sha256).")
def engine(hash_only: bool) -> None:
    """Print the engine that every spec's apply, verify and rollback scripts embed.

    The output is exactly what engine_sha256 in manifest.json and CHANGE.md hashes (CRLF), so
    `journalgen engine | sha256sum` prints the same hash as `journalgen engine --hash`.
    """
    from journalgen import app

    _deliver(app.engine(hash_only=hash_only), None)


@main.command(short_help="Write a probe script for a test tenant.")
@cloud_option("The test tenant's Microsoft 365 cloud.")
@output_option
def probe(cloud: str, output: str | None) -> None:
    """Print the probe script (-o FILE writes it, e.g. probe.ps1). Run it in a TEST tenant to
    settle what the scripts assume and no document settles (see docs/first-run.md); it refuses
    to run without -TestTenant.
    """
    from journalgen import app

    _deliver(app.probe(cloud), output)


@main.command(
    "capture-script", short_help="Write a read-only script that captures a tenant's state."
)
@click.option(
    "--organization",
    help="The tenant's initial domain: the script stops in any other tenant.",
)
@click.option(
    "--fleet",
    type=click.Choice(["partner", "app-only"]),
    help="Write the fleet capture script instead: it captures every tenant of a list into "
    "DIR/<organization>.json, signing in as a partner admin (-DelegatedOrganization) or "
    "app-only (-Organization) to each.",
)
@cloud_option("The tenant's Microsoft 365 cloud.")
@output_option
def capture_script(
    organization: str | None, fleet: str | None, cloud: str, output: str | None
) -> None:
    """Print the capture script (-o FILE writes it, e.g. capture.ps1): a read-only script that
    writes the tenant's journaling state for `plan` and `import` (docs/state.md), for a tenant
    that has no spec yet. With --fleet, the script that captures every tenant of a list.
    """
    from journalgen import app

    if fleet is not None:
        if organization is not None:
            raise click.UsageError(
                "--fleet captures the tenants of a list, --organization one tenant: give one of them"
            )
        from journalgen.capture import fleet_script

        _deliver(fleet_script(fleet, cloud), output)
        return
    _deliver(app.capture_script(organization, cloud), output)


@main.command(short_help="Print the spec's JSON Schema.")
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and CI)."""
    from journalgen import app

    click.echo(app.schema_text(), nl=False)


@main.command(short_help="List the vendor presets and their sources.")
@report_format_option("text for people, json for machines.")
def presets(fmt: str) -> None:
    """List the vendor presets: regions, hosts, and each value's confidence and source."""
    from journalgen import app

    click.echo(app.presets(fmt), nl=False)


def _show_spec(text: str, output: str | None, remaining: list[Diagnostic]) -> None:
    """A spec ``init`` or ``import`` made: its text (or where it went), then what is left to do."""
    from journalgen.report import text as report

    if output:
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    if remaining:
        click.echo("still to do before it validates, or warnings to read:", err=True)
        click.echo(report(remaining), nl=False, err=True)


def _ask(
    question: str,
    flag: str,
    choices: object,
    optional: bool,
    check: Callable[[str], str] | None,
) -> str:
    from journalgen.scaffold import check_answer

    def proc(value: str) -> str:
        if optional and not value.strip():
            return ""
        if check is None:
            return value.strip()
        try:
            return check_answer(check, value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    kind = click.Choice(list(choices), case_sensitive=False) if isinstance(choices, list) else None
    answer = click.prompt(
        f"{question} [{flag}]",
        type=kind,
        default="" if optional else None,
        show_default=False,
        value_proc=None if kind is not None else proc,
        err=True,
    )
    return str(answer)


@main.command(short_help="Write a starter spec from a vendor preset.")
@click.option("--vendor", help="The archive vendor (see `journalgen presets`).")
@click.option("--region", help="The vendor region, where the vendor has regions.")
@click.option("--domain", help="The tenant's primary mail domain, like contoso.com.")
@click.option("--organization", help="The tenant's initial domain, like contoso.onmicrosoft.com.")
@click.option("--ndr-address", help="A dedicated address for undeliverable journal reports.")
@click.option(
    "--journal-address",
    help="The journal address the vendor issued, for vendors whose preset cannot know it.",
)
@cloud_option("The tenant's Microsoft 365 cloud (tenant.cloud); its initial domain must match.")
@output_option
@force_option
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Prompt for missing values. Default: only when standard input is a terminal.",
)
def init(
    vendor: str | None,
    region: str | None,
    domain: str | None,
    organization: str | None,
    ndr_address: str | None,
    journal_address: str | None,
    cloud: str,
    output: str | None,
    force: bool,
    interactive: bool | None,
) -> None:
    """Write a commented starter spec from a vendor preset, to read, adjust and validate."""
    from pathlib import Path

    from journalgen import app
    from journalgen.scaffold import InitRequest

    if interactive is None:
        interactive = sys.stdin.isatty()
    request = InitRequest(vendor, region, domain, organization, ndr_address, journal_address, cloud)
    started = app.init(
        request,
        _ask if interactive else None,
        output=Path(output) if output else None,
        force=force,
    )
    _show_spec(started.text, output, started.remaining)


@main.command("init-repo", short_help="Start a spec repository: folders, hooks, pin, CI.")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty: replace these files, keep every other.",
)
def init_repo(folder: str, force: bool) -> None:
    """Write a new spec repository into DIR: specs/, states/, generated/, the schema,
    .gitattributes, pre-commit hooks and .journalgen-version pinned to this journalgen, and a
    GitHub Actions workflow. DIR must be empty or new, unless --force.
    """
    from pathlib import Path

    from journalgen import app

    written, steps = app.init_repo(Path(folder), force=force)
    for path, replaced in written:
        click.echo(f"replaced {path}" if replaced else f"wrote {path}")
    click.echo("next steps:")
    for step in steps:
        click.echo(f"  {step}")


@main.command(short_help="Show a spec fully resolved, with each value's origin.")
@click.argument("spec", type=click.Path())
@report_format_option("text: the resolved spec as commented YAML; json for machines.")
def explain(spec: str, fmt: str) -> None:
    """Print SPEC fully resolved, where each value came from, and the checks' warnings."""
    from journalgen import app

    outcome, text = app.explain(spec, fmt)
    if text is None:
        _emit(fmt, outcome, err=fmt == "text")
        sys.exit(1)
    click.echo(text, nl=False)


def _now(value: str | None) -> datetime:
    """``--now``, or the clock."""
    from datetime import UTC, datetime

    from journalgen.fleet import parse_time

    if value is None:
        return datetime.now(UTC)
    try:
        return parse_time(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


@main.command(short_help="Show what apply.ps1 would change in a captured tenant, or a fleet.")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True, type=click.Path())
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False),
    help="A state captured by verify.ps1 -StatePath or the capture script (docs/state.md), "
    "for one SPEC.",
)
@states_option(
    "A folder of captured states (*.json, any names): plan each spec against the state of "
    "its tenant (its organization), one row per spec (docs/fleet.md)."
)
@age_options(
    "With --states: a state captured more than DAYS days ago is stale (a warning).",
    "With --states: the time ages are counted to, like 2026-12-01T12:00:00Z (default: the "
    "clock), for output that does not change from day to day.",
)
@click.option(
    "--details", is_flag=True, help="With --states: print each tenant's plan after the table."
)
@report_format_option("text for people; json for machines (docs/state.md, docs/fleet.md).")
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when anything would change, as on an error (drift checks in CI).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 1 on an error, 2 when something would change "
    "(Terraform's convention).",
)
def plan(
    specs: tuple[str, ...],
    state: str | None,
    states_dir: str | None,
    max_age: int,
    now: str | None,
    details: bool,
    fmt: str,
    exit_code: bool,
    detailed_exitcode: bool,
) -> None:
    """Print what apply.ps1 of SPEC would create, update or remove in the tenant captured in
    the --state file; or, with --states DIR, one row per spec (files or folders) against the
    state of its tenant in DIR, and each tenant's plan with --details.
    """
    from journalgen import app

    if exit_code and detailed_exitcode:
        raise click.UsageError("--exit-code and --detailed-exitcode exclude each other.")
    if states_dir is not None:
        if state is not None:
            raise click.UsageError(
                "give --state FILE or --states DIR, not both: --state is for one spec, --states "
                "pairs each spec with the state of its tenant"
            )
        planned = app.plan_fleet(
            specs, states_dir, fmt, now=_now(now), max_age=max_age, details=details
        )
    else:
        if details:
            raise click.UsageError("--details lists the plans of a fleet: give --states DIR.")
        if state is None:
            raise click.UsageError(
                "give --state FILE for one spec, or --states DIR to plan each spec against the "
                "state of its tenant"
            )
        if len(specs) != 1:
            raise click.UsageError(
                "--state compares one spec with a captured tenant; give one spec, or --states "
                "DIR for several"
            )
        planned = app.plan(specs[0], state, fmt)
    if planned.text is None:
        _emit(fmt, planned.outcome, err=fmt == "text")
        sys.exit(1)
    click.echo(planned.text, nl=False)
    if fmt == "text":
        _emit(fmt, planned.outcome, err=True)
    if not planned.outcome.ok:
        sys.exit(1)
    if planned.changed and (exit_code or detailed_exitcode):
        # A broken or wrong-tenant state is 1 above; drift is 2, so CI can tell them apart.
        sys.exit(2 if detailed_exitcode else 1)


@main.command(short_help="Write one HTML page of a fleet: each tenant's status against its state.")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True, type=click.Path())
@states_option(
    "A folder of captured states (*.json, any names), paired with the specs by tenant.",
    required=True,
)
@click.option(
    "--out-dir",
    "-d",
    type=click.Path(file_okay=False),
    help="The bundles' folder: each row links to its <spec name>/CHANGE.md there.",
)
@output_option
@age_options(
    "A state captured more than DAYS days ago is stale.",
    "The time ages are counted to and the page says it was made at, like "
    "2026-12-01T12:00:00Z (default: the clock).",
)
def report(
    specs: tuple[str, ...],
    states_dir: str,
    out_dir: str | None,
    output: str | None,
    max_age: int,
    now: str | None,
) -> None:
    """Write one self-contained HTML page (no network) of SPECS (files or folders) planned
    against the states of their tenants in --states: totals, and per tenant its status, archive,
    unconfirmed vendor values, acknowledged warnings and, with --out-dir, a link to its CHANGE.md
    (docs/fleet.md). The page is written even when a tenant has a problem; the exit code is 1
    then, as plan's.
    """
    from pathlib import Path

    from journalgen import app

    moment = _now(now)
    outcome, page = app.report(
        specs,
        states_dir,
        out_dir=Path(out_dir) if out_dir else None,
        output=Path(output) if output else None,
        now=moment,
        made_at=moment,
        max_age=max_age,
    )
    _emit("text", outcome, err=True)
    if page is None:
        _refused(outcome)
        sys.exit(1)
    _deliver(page, output)
    sys.exit(0 if outcome.ok else 1)


@main.command(short_help="Run the bundle's scripts against the simulator seeded with a state.")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True, type=click.Path())
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False),
    help="The tenant to rehearse in, as captured (docs/state.md), for one SPEC.",
)
@states_option(
    "A folder of captured states (*.json, any names): rehearse each spec against the state "
    "of its tenant (its organization), then one row per spec (docs/rehearse.md)."
)
@click.option(
    "--out-dir",
    "-d",
    type=click.Path(file_okay=False),
    help="Rehearse the bundle built in DIR/<spec name>/ (refused when check would reject it); "
    "by default the spec is built in a temporary folder.",
)
@report_format_option("text for people; json for machines (docs/rehearse.md).")
@click.option(
    "--shell",
    type=click.Choice(["pwsh", "powershell"]),
    default="pwsh",
    show_default=True,
    help="PowerShell 7 (pwsh) or Windows PowerShell 5.1 (powershell).",
)
@click.option(
    "--fail-write",
    type=click.IntRange(min=1),
    metavar="K",
    help="The first apply's K-th write fails as Exchange's ServerSideError.",
)
@click.option(
    "--throttle",
    metavar="N[:T]",
    help="From the first apply's N-th call on, T calls (1 by default) are throttled.",
)
@jobs_option
def rehearse(
    specs: tuple[str, ...],
    state: str | None,
    states_dir: str | None,
    out_dir: str | None,
    fmt: str,
    shell: str,
    fail_write: int | None,
    throttle: str | None,
    jobs: int,
) -> None:
    """Run apply.ps1 -WhatIf, apply.ps1, verify.ps1, apply.ps1 again and rollback.ps1 of SPEC
    under PowerShell against journalgen's Exchange Online simulator, seeded with the tenant in
    the --state file, and report what they did (docs/rehearse.md); or, with --states DIR, each
    spec (files or folders) against the state of its tenant in DIR, then one row per spec.
    Exit 0 when every check passes (of every spec with a state), 1 when a rehearsal found a
    problem or a spec or state has an error, 2 without PowerShell.
    """
    from pathlib import Path

    from journalgen import app

    rehearsed = app.rehearse(
        specs,
        state,
        fmt,
        states_dir=states_dir,
        out_dir=Path(out_dir) if out_dir else None,
        shell=shell,
        fail_write=fail_write,
        throttle=throttle,
        jobs=jobs,
    )
    if rehearsed.text is None:
        _emit(fmt, rehearsed.outcome, err=fmt == "text")
        sys.exit(1)
    click.echo(rehearsed.text, nl=False)
    if fmt == "text":
        _emit(fmt, rehearsed.outcome, err=True)
    if not rehearsed.passed:
        sys.exit(1)


@main.command("import", short_help="Write a spec that adopts a captured tenant's journaling.")
@click.argument("state", type=click.Path(dir_okay=False))
@output_option
@click.option(
    "--journal-address",
    help="The journal address to adopt, when the tenant's rules journal to several.",
)
@click.option("--vendor", help="The archive vendor, when it is not recognised (see presets).")
@force_option
def import_(
    state: str, output: str | None, journal_address: str | None, vendor: str | None, force: bool
) -> None:
    """Write a commented spec adopting the journal rules, contact and connector in STATE."""
    from pathlib import Path

    from journalgen import app
    from journalgen.importer import ImportRequest
    from journalgen.report import text

    imported = app.import_state(
        state,
        ImportRequest(journal_address, vendor),
        output=Path(output) if output else None,
        force=force,
    )
    if imported.text is None:
        click.echo(text(imported.remaining), nl=False, err=True)
        sys.exit(1)
    _show_spec(imported.text, output, imported.remaining)
    if imported.summary is not None:
        click.echo(f"plan against {state}: {imported.summary}", err=True)
        # The errors and warnings the summary counts ("1 error(s) below"), then what it
        # could not decide.
        click.echo(text(imported.problems), nl=False, err=True)
        for line in imported.undecided:
            click.echo(line, err=True)

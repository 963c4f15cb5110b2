"""Test oracle: PowerShell's own parser (tests/psast.ps1), run once under pwsh for many scripts."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journalgen.simulator import INSTALL_HINT, find_pwsh

SCRIPT = Path(__file__).resolve().with_name("psast.ps1")
ROOT = SCRIPT.parent.parent


class PsAstError(RuntimeError):
    """pwsh could not be found, or the oracle did not run to the end."""


@dataclass(frozen=True)
class ParseError:
    message: str
    id: str
    line: int
    column: int


@dataclass(frozen=True)
class Parameter:
    """A named parameter as written at a call site (``-Name``, ``-Confirm:$false``)."""

    name: str
    argument: str | None  # the text after the colon, for -Name:value
    following: str | None  # the text of the next element, when it is not a parameter

    @property
    def value(self) -> str | None:
        """The argument's source text, colon-bound or not (for a switch: what follows it)."""
        return self.argument if self.argument is not None else self.following


@dataclass(frozen=True)
class Splat:
    """A splatted variable and what its function puts in it."""

    name: str
    assigned: bool  # the function assigns it or takes it as a parameter
    keys: tuple[str, ...]  # keys written as literals
    dynamic: bool  # a computed key, a copy or a parameter may add keys the parser cannot see


@dataclass(frozen=True)
class Command:
    name: str | None  # None for `& $block` and the like
    line: int
    text: str
    function: str | None  # the function it is in
    clauses: tuple[str, ...]  # the literal labels of the switch clauses it is in, innermost first
    parameters: tuple[Parameter, ...]
    splats: tuple[Splat, ...]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def splat(self) -> str | None:
        """The name of the (first) splatted variable, if any."""
        return self.splats[0].name if self.splats else None

    def parameter(self, name: str) -> Parameter | None:
        """The parameter written with this full name, in any case."""
        wanted = name.lower()
        return next((p for p in self.parameters if p.name.lower() == wanted), None)


@dataclass(frozen=True)
class StringConstant:
    value: str
    type: str  # StringConstantType: SingleQuoted, DoubleQuoted, BareWord, ...
    line: int


@dataclass(frozen=True)
class Entry:
    """One ``Key = value`` of a hashtable literal; ``value`` is set when the value is a literal."""

    table: int  # offset of the hashtable it belongs to
    key: str | None
    line: int
    constant: bool
    value: Any  # JSON: what PowerShell computes for the literal (lists stay lists)
    text: str


@dataclass(frozen=True)
class Construct:
    """A construct Windows PowerShell 5.1 cannot run, named as in the table of psast.ps1."""

    construct: str
    line: int
    text: str
    guard: str | None  # the if condition that checks for it before the call (5.1 then runs it)


@dataclass(frozen=True)
class ParsedScript:
    errors: tuple[ParseError, ...]
    commands: tuple[Command, ...]
    strings: tuple[StringConstant, ...]
    entries: tuple[Entry, ...]
    newer: tuple[Construct, ...]

    @property
    def constructs(self) -> set[str]:
        return {c.construct for c in self.newer}

    @property
    def unguarded(self) -> tuple[Construct, ...]:
        """The constructs 5.1 would meet: those no check for them comes before."""
        return tuple(c for c in self.newer if c.guard is None)

    def strings_between(self, first: int, last: int) -> list[StringConstant]:
        """The string constants starting on lines ``first`` to ``last``, both included."""
        return [s for s in self.strings if first <= s.line <= last]


def _script(data: dict[str, Any]) -> ParsedScript:
    return ParsedScript(
        errors=tuple(ParseError(**e) for e in data["errors"]),
        commands=tuple(
            Command(
                name=c["name"],
                line=c["line"],
                text=c["text"],
                function=c["function"],
                clauses=tuple(c["clauses"]),
                parameters=tuple(Parameter(**p) for p in c["parameters"]),
                splats=tuple(
                    Splat(s["name"], s["assigned"], tuple(s["keys"]), s["dynamic"])
                    for s in c["splats"]
                ),
            )
            for c in data["commands"]
        ),
        strings=tuple(StringConstant(**s) for s in data["strings"]),
        entries=tuple(Entry(**e) for e in data["entries"]),
        newer=tuple(Construct(**n) for n in data["newer"]),
    )


def run_oracle(
    items: Sequence[str | Mapping[str, str]], pwsh: str | None = None
) -> dict[str, ParsedScript]:
    """Parse every item (a file path, or {"name", "source"}) in one pwsh process."""
    program = pwsh or find_pwsh(ROOT)
    if program is None:
        raise PsAstError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="psast-") as folder:
        listing = Path(folder) / "items.json"
        listing.write_text(json.dumps([i if isinstance(i, str) else dict(i) for i in items]))
        env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
        done = subprocess.run(
            [
                program,
                "-NoLogo",
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-File",
                str(SCRIPT),
                "-ListPath",
                str(listing),
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=600,
            check=False,
        )
    if done.returncode != 0 or not done.stdout:
        raise PsAstError(f"psast.ps1 failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return {key: _script(value) for key, value in result.items()}


@functools.cache
def _parse_cached(files: tuple[tuple[str, str], ...], pwsh: str | None) -> dict[str, ParsedScript]:
    return run_oracle([path for path, _digest in files], pwsh)


def parse_files(paths: Iterable[str | Path], pwsh: str | None = None) -> dict[Path, ParsedScript]:
    """Each file as PowerShell's ParseFile reads it; one pwsh run per distinct set of contents."""
    wanted = [Path(p) for p in paths]
    resolved = {p: str(p.resolve()) for p in wanted}
    key = tuple(
        sorted(
            {
                (full, hashlib.sha256(Path(full).read_bytes()).hexdigest())
                for full in resolved.values()
            }
        )
    )
    parsed = _parse_cached(key, pwsh)
    return {p: parsed[resolved[p]] for p in wanted}


@functools.cache
def _sources_cached(
    items: tuple[tuple[str, str], ...], pwsh: str | None
) -> dict[str, ParsedScript]:
    return run_oracle([{"name": name, "source": source} for name, source in items], pwsh)


def parse_sources(sources: Mapping[str, str], pwsh: str | None = None) -> dict[str, ParsedScript]:
    """Each named source text as PowerShell's ParseInput reads it, in one pwsh run."""
    return _sources_cached(tuple(sorted(sources.items())), pwsh)

"""Reporters: one per output format, each turning a run's diagnostics into text."""

from __future__ import annotations

import json
from collections.abc import Sequence

from journalgen.diagnostics import Diagnostic, Severity
from journalgen.textshow import shown

FORMATS = ("text", "json", "github")


def text(diagnostics: Sequence[Diagnostic]) -> str:
    """``file:line:col: error[CODE]: message``, one a line (yamllint's parsable shape).

    A file name or a value a message quotes may hold line breaks or invisible characters (a
    captured state is the tenant's text): they are shown as code points, so each diagnostic is
    one line and none can be forged or hidden.
    """
    return "".join(f"{shown(str(d))}\n" for d in diagnostics)


def _gh_escape(value: str, *, prop: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands, so problems show as annotations on the pull request."""
    lines = []
    for d in diagnostics:
        level = "error" if d.severity is Severity.ERROR else "warning"
        props = (
            f"file={_gh_escape(d.file, prop=True)},line={d.line},col={d.column},"
            f"title={_gh_escape(d.code, prop=True)}"
        )
        lines.append(f"::{level} {props}::{_gh_escape(shown(d.message), prop=False)}\n")
    return "".join(lines)


def as_json(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    payload = {
        "files": list(files),
        "errors": sum(d.severity is Severity.ERROR for d in diagnostics),
        "warnings": sum(d.severity is Severity.WARNING for d in diagnostics),
        "diagnostics": [d.as_dict() for d in diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render(fmt: str, diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    if fmt == "json":
        return as_json(diagnostics, files)
    if fmt == "github":
        return github(diagnostics)
    return text(diagnostics)

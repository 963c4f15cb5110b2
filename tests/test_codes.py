"""The code registry is the one source of truth: every code used is registered, and the reverse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from journalgen import checks
from journalgen.codes import CODES, Severity
from journalgen.diagnostics import Diagnostic, Finding, promote_warnings
from journalgen.resolve import Resolved
from tests.spectext import diagnostics, spec_text

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"\bJG\d{3}\b")
# Everything that ships: the package (Python and vendor YAML) and the templates.
SHIPPED = sorted(
    p
    for folder in ("journalgen", "templates")
    for p in (ROOT / folder).rglob("*")
    if p.is_file() and p.suffix in (".py", ".yaml", ".j2")
)


def _uses(skip_registry: bool) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in SHIPPED:
        relative = path.relative_to(ROOT).as_posix()
        if skip_registry and relative == "journalgen/codes.py":
            continue
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, []).append(relative)
    return found


def test_the_scan_sees_the_sources() -> None:
    assert "journalgen/checks.py" in _uses(skip_registry=True)["JG201"]


def test_every_code_in_the_sources_is_registered() -> None:
    unregistered = _uses(skip_registry=False)
    for code in CODES:
        unregistered.pop(code, None)
    assert unregistered == {}, "register these codes in journalgen/codes.py"


def test_every_registered_code_is_reported_somewhere() -> None:
    used = _uses(skip_registry=True)
    assert [code for code in CODES if code not in used] == []


def test_an_unregistered_code_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="'JG999' is not registered"):
        Finding("JG999", ("tenant",), "made up")
    with pytest.raises(ValueError, match="'JG999' is not registered"):
        Diagnostic("spec.yaml", 1, 1, "JG999", "made up")


def test_a_check_reporting_an_unregistered_code_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rogue(r: Resolved) -> Iterator[Finding]:
        yield Finding("JG999", ("tenant",), "made up")

    monkeypatch.setattr(checks, "CHECKS", (*checks.CHECKS, rogue))
    with pytest.raises(ValueError, match="not registered"):
        diagnostics(spec_text())


def test_the_severity_is_the_registered_one() -> None:
    warning = Diagnostic("spec.yaml", 2, 3, "JG218", "rule is disabled")
    assert warning.severity is CODES["JG218"].severity is Severity.WARNING
    assert str(warning) == "spec.yaml:2:3: warning[JG218]: rule is disabled"
    (promoted,) = promote_warnings([warning])
    assert promoted.severity is Severity.ERROR
    assert str(promoted) == "spec.yaml:2:3: error[JG218]: rule is disabled"

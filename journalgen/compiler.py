"""The compiler's whole pipeline on one screen: spec bytes to a checked spec, and that to its bundle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from journalgen.checks import run_checks
from journalgen.diagnostics import Diagnostic, Finding, has_errors, promote_warnings
from journalgen.errors import SpecError
from journalgen.loader import PositionIndex, load_yaml
from journalgen.plan import Plan, build_plan
from journalgen.resolve import Resolved, resolve
from journalgen.validation import validate_spec

if TYPE_CHECKING:
    from journalgen.live import LivePlan


@dataclass(frozen=True, slots=True)
class Checked:
    """A spec that compiles: its resolved values, the SHA-256 source bytes, and its warnings."""

    file: str
    source: bytes
    resolved: Resolved
    warnings: tuple[Diagnostic, ...]


def check_source(source: bytes, file: str, *, strict: bool = False) -> Checked:
    """Front end: load, validate, resolve and check one spec; raise :class:`SpecError` on any error.

    ``file`` is the name diagnostics show.
    """
    document = load_yaml(source, file)  # load: strict YAML, positions kept
    spec, findings = validate_spec(document.data)  # spec: the pydantic models
    resolved = None
    if spec is not None:
        resolved, found = resolve(spec)  # resolve: presets and defaults, with origins
        findings += found
        if resolved is not None:
            findings += run_checks(resolved)  # checks: Microsoft's rules, with codes
    diagnostics = locate(file, document.index, findings)
    if strict:
        diagnostics = promote_warnings(diagnostics)
    if resolved is None or has_errors(diagnostics):
        raise SpecError(diagnostics)
    return Checked(file, source, resolved, tuple(sorted(diagnostics, key=Diagnostic.sort_key)))


def compile_bundle(
    checked: Checked, previous: Checked | None = None, live: LivePlan | None = None
) -> dict[str, bytes]:
    """Back end: every file journalgen generates for one spec, by name, in a stable order.

    ``live`` is the plan against a captured state (``build --state``), shown in CHANGE.md.
    """
    from journalgen.bundle import manifest
    from journalgen.change import render_change
    from journalgen.emit import render_scripts

    plan = plan_for(checked)  # plan: the ordered objects and their desired settings
    scripts = render_scripts(plan)  # emit: PowerShell through the literal emitter
    old = plan_for(previous) if previous is not None else None
    dropped = previous_warnings(checked, previous) if previous is not None else []
    change = render_change(plan, scripts, checked.warnings, old, live, dropped)
    files = {**scripts, "CHANGE.md": change}
    about_old = None if old is None else {"spec": old.spec_name, "spec_sha256": old.spec_sha256}
    about_state = None if live is None else live.about_state()
    return {**files, "manifest.json": manifest(plan, files, about_old, about_state)}


def previous_warnings(
    checked: Checked, previous: Checked, *, strict: bool = False
) -> list[Diagnostic]:
    """What comparing a spec with its earlier version finds: objects it drops (JG504)."""
    from journalgen.change import dropped

    findings = dropped(plan_for(previous), plan_for(checked))
    if not findings:
        return []
    # Positions only when there is something to report: the index is not kept per spec.
    index = load_yaml(checked.source, checked.file).index
    diagnostics = locate(checked.file, index, findings)
    return promote_warnings(diagnostics) if strict else diagnostics


def plan_for(checked: Checked) -> Plan:
    return build_plan(checked.resolved, spec_name(checked.file), checked.source)


def spec_name(file: str) -> str:
    """The spec's file name without folders: what generated files may show of it."""
    return PurePath(file.replace("\\", "/")).name


def locate(file: str, index: PositionIndex, findings: Iterable[Finding]) -> list[Diagnostic]:
    """Findings (paths in the spec) as diagnostics (lines and columns in the file)."""
    return [
        Diagnostic.at(file, index.locate(f.path, prefer_key=f.at_key), f.code, f.message)
        for f in findings
    ]

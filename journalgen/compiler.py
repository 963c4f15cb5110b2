"""The compiler's whole pipeline on one screen: spec bytes to a checked spec, and that to its bundle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from journalgen.checks import run_checks
from journalgen.codes import CODES, Severity
from journalgen.diagnostics import Diagnostic, Finding, has_errors, promote_warnings
from journalgen.errors import SpecError
from journalgen.loader import PositionIndex, load_yaml
from journalgen.plan import Plan, build_plan
from journalgen.pydantic_errors import dotted
from journalgen.resolve import Resolved, resolve
from journalgen.spec import Acknowledgement, Spec
from journalgen.validation import validate_spec

if TYPE_CHECKING:
    from journalgen.change import Parallel
    from journalgen.live import LivePlan
    from journalgen.rehearse import Record


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
    accepted: dict[int, Acknowledgement] = {}
    if spec is not None:
        resolved, found = resolve(spec)  # resolve: presets and defaults, with origins
        findings += found
        if resolved is not None:
            findings += run_checks(resolved)  # checks: Microsoft's rules, with codes
        # acknowledge: warnings the spec accepts; a stale one only once every check has run
        accepted, found = acknowledge(spec, findings, complete=resolved is not None)
        findings += found
    diagnostics = [
        Acknowledged.of(d, accepted[n], findings[n].path) if n in accepted else d
        for n, d in enumerate(locate(file, document.index, findings))
    ]
    if strict:
        kept = [d for d in diagnostics if isinstance(d, Acknowledged)]
        rest = [d for d in diagnostics if not isinstance(d, Acknowledged)]
        diagnostics = kept + promote_warnings(rest)
    if resolved is None or has_errors(diagnostics):
        raise SpecError(diagnostics)
    return Checked(file, source, resolved, tuple(sorted(diagnostics, key=Diagnostic.sort_key)))


@dataclass(frozen=True, slots=True)
class Acknowledged(Diagnostic):
    """A warning the spec acknowledges: reported with the spec's reason (in its message, and as
    ``acknowledged`` in JSON), and never made an error by ``--strict``.
    """

    reason: str = ""
    warning: str = ""
    """The warning's own message, without the acknowledgement."""
    where: str = ""
    """The spec key the warning is reported at (``archive.region``)."""

    @classmethod
    def of(cls, d: Diagnostic, ack: Acknowledgement, path: Sequence[str | int]) -> Acknowledged:
        message = f"{d.message} (acknowledged: {ack.reason})"
        return cls(
            d.file, d.line, d.column, d.code, message, False, ack.reason, d.message, dotted(path)
        )

    def as_dict(self) -> dict[str, str | int]:
        return {**Diagnostic.as_dict(self), "acknowledged": self.reason}


def _covers(ack: Acknowledgement, path: str) -> bool:
    return ack.path is None or path == ack.path or path.startswith((f"{ack.path}.", f"{ack.path}["))


def _refusal(code: str) -> str | None:
    """Why ``code`` cannot be acknowledged, or ``None`` when it can."""
    known = CODES.get(code)
    if known is None:
        return f"{code} is no journalgen code (docs/checks.md lists them)"
    if known.severity is Severity.ERROR:
        return f"{code} ({known.name}) is an error, and an error cannot be acknowledged: correct the spec"
    if code == "JG231":
        return (
            "JG231 cannot be acknowledged: remove the acknowledgement that matches nothing instead"
        )
    if not code.startswith(("JG2", "JG3")):
        return (
            f"{code} ({known.name}) is not a warning of the spec's own checks; only those "
            "(JG2xx, JG3xx) can be acknowledged"
        )
    return None


def acknowledge(
    spec: Spec, findings: Sequence[Finding], *, complete: bool
) -> tuple[dict[int, Acknowledgement], list[Finding]]:
    """Which of ``findings`` (by index) the spec's ``acknowledge:`` entries accept, and the
    findings about those entries: refused ones (JG232) and, when ``complete`` (every check ran),
    ones that match no warning (JG231).

    Each warning goes to the narrowest entry that covers it (the longest path), so an entry
    that another makes redundant is reported too.
    """
    problems: list[Finding] = []
    usable: list[tuple[int, Acknowledgement]] = []
    first: dict[tuple[str, str | None], int] = {}
    for i, ack in enumerate(spec.acknowledge):
        refusal = _refusal(ack.code)
        if refusal is None and (ack.code, ack.path) in first:
            earlier = first[(ack.code, ack.path)]
            refusal = f"{_what(ack)} is acknowledged already (acknowledge[{earlier}]); remove one"
        if refusal is not None:
            problems.append(Finding("JG232", ("acknowledge", i, "code"), refusal))
            continue
        first[(ack.code, ack.path)] = i
        usable.append((i, ack))
    accepted: dict[int, Acknowledgement] = {}
    used: set[int] = set()
    for n, finding in enumerate(findings):
        if CODES[finding.code].severity is not Severity.WARNING:
            continue
        path = dotted(finding.path)
        covering = [(i, a) for i, a in usable if a.code == finding.code and _covers(a, path)]
        if covering:
            i, ack = max(covering, key=lambda item: len(item[1].path or ""))
            accepted[n] = ack
            used.add(i)
    if complete:
        for i, ack in usable:
            if i not in used:
                problems.append(Finding("JG231", ("acknowledge", i), _stale(ack, findings)))
    return accepted, problems


def _what(ack: Acknowledgement) -> str:
    return ack.code if ack.path is None else f"{ack.code} at {ack.path}"


def _stale(ack: Acknowledgement, findings: Sequence[Finding]) -> str:
    places = sorted({dotted(f.path) for f in findings if f.code == ack.code})
    if any(_covers(ack, place) for place in places):
        return (
            f"the acknowledgement of {_what(ack)} is redundant: a narrower one acknowledges "
            f"each {ack.code} it covers; remove it"
        )
    reported = f" ({ack.code} is reported at {', '.join(places)})" if places else ""
    return (
        f"the acknowledgement of {_what(ack)} matches no warning of this spec{reported}; "
        "remove it, or correct its code or path"
    )


def compile_bundle(
    checked: Checked,
    previous: Checked | None = None,
    live: LivePlan | None = None,
    *,
    rehearsal: Record | None = None,
    parallel: Sequence[Parallel] = (),
) -> dict[str, bytes]:
    """Back end: every file journalgen generates for one spec, by name, in a stable order.

    ``live`` is the plan against a captured state (``build --state``), shown in CHANGE.md;
    ``rehearsal`` what ``build --rehearse`` found, shown in CHANGE.md and recorded in the manifest;
    ``parallel`` the other specs of the tenant (a parallel run), likewise.
    """
    from journalgen.bundle import manifest
    from journalgen.change import render_change
    from journalgen.emit import render_scripts

    plan = plan_for(checked)  # plan: the ordered objects and their desired settings
    scripts = render_scripts(plan)  # emit: PowerShell through the literal emitter
    old = plan_for(previous) if previous is not None else None
    dropped = previous_warnings(checked, previous) if previous is not None else []
    change = render_change(
        plan, scripts, checked.warnings, old, live, dropped, rehearsal=rehearsal, parallel=parallel
    )
    files = {**scripts, "CHANGE.md": change}
    about_old = None if old is None else {"spec": old.spec_name, "spec_sha256": old.spec_sha256}
    about_state = None if live is None else live.about_state()
    recorded = None if rehearsal is None else rehearsal.as_manifest()
    about = manifest(plan, files, about_old, about_state, recorded, parallel=parallel)
    return {**files, "manifest.json": about}


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

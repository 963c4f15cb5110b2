"""The fleet plan: every spec planned against the captured state of its tenant, as rows, text and JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from journalgen import live
from journalgen.diagnostics import Diagnostic, Severity
from journalgen.textshow import shown

if TYPE_CHECKING:
    from journalgen.compiler import Acknowledged, Checked

FLEET_PLAN_FORMAT = "journalgen-fleet-plan/1"
DEFAULT_MAX_AGE = 7

Status = Literal["problem", "no-state", "stale-state", "would-change", "in-sync"]
# Worst first: a row's status is the first that holds, and the report sorts by this order.
STATUSES: tuple[Status, ...] = ("problem", "no-state", "stale-state", "would-change", "in-sync")
STATUS_WORDS: dict[Status, str] = {status: status.replace("-", " ") for status in STATUSES}


def parse_time(value: str) -> datetime:
    """An ISO 8601 time with a zone, like the states' ``captured_at``; ``ValueError`` otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value} is not an ISO 8601 date and time like 2026-11-27T10:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{value} has no time zone; write it in UTC, like 2026-11-27T10:00:00Z")
    return moment


def stamp(moment: datetime) -> str:
    """``moment`` in UTC, to the second, as the states write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age_days(captured_at: str, now: datetime) -> int:
    """Whole days from ``captured_at`` to ``now`` (negative when it is later than ``now``)."""
    return math.floor((now - parse_time(captured_at)).total_seconds() / 86400)


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """A vendor preset value the spec uses although the preset's source is not confirmed."""

    path: str
    value: object
    source: str


@dataclass(frozen=True, slots=True)
class Row:
    """One spec of the fleet: its tenant, its state, its plan against it, and what was found."""

    spec: str
    spec_name: str
    tenant: str | None
    diagnostics: tuple[Diagnostic, ...]
    plan: live.LivePlan | None = None
    age: int | None = None
    stale: bool = False
    vendor: str | None = None
    region: str | None = None
    unconfirmed: tuple[Unconfirmed, ...] = ()
    acknowledged: tuple[Acknowledged, ...] = ()

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    @property
    def status(self) -> Status:
        if self.errors:
            return "problem"
        if self.plan is None:
            return "no-state"
        if self.stale:
            return "stale-state"
        return "would-change" if self.plan.changed else "in-sync"


@dataclass(frozen=True, slots=True)
class Fleet:
    """Every row, in the order the specs were given, and what was found in the states folder."""

    states: str
    now: datetime
    max_age: int
    rows: tuple[Row, ...]
    unused_states: tuple[str, ...] = ()
    # Found in state files, not at any one tenant (a state with errors, two for one tenant).
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    def totals(self) -> dict[str, int]:
        return {"tenants": len(self.rows)} | {
            s: sum(r.status == s for r in self.rows) for s in STATUSES
        }

    @property
    def changed(self) -> bool:
        return any(r.plan is not None and r.plan.changed for r in self.rows)


def acknowledged_warnings(diagnostics: Sequence[Diagnostic]) -> tuple[Acknowledged, ...]:
    """The warnings the spec acknowledges (``acknowledge:``), with their reasons."""
    from journalgen.compiler import Acknowledged

    return tuple(d for d in diagnostics if isinstance(d, Acknowledged))


def unconfirmed_values(checked: Checked) -> tuple[Unconfirmed, ...]:
    """The preset values the spec uses whose source the preset marks unconfirmed."""
    r = checked.resolved
    return tuple(
        Unconfirmed(path, r.values[path], origin.source or "")
        for path, origin in r.origins.items()
        if origin.kind == "preset" and origin.confidence == "unconfirmed"
    )


def row(
    spec: str,
    checked: Checked,
    found: Sequence[Diagnostic],
    against: live.LivePlan | None,
    now: datetime,
    max_age: int,
) -> tuple[Row, list[Diagnostic]]:
    """The row of a spec that compiles, and the age warnings (JG047, JG048) of its state."""
    extra: list[Diagnostic] = []
    age = None
    stale = False
    if against is not None:
        captured = against.state
        age = age_days(captured.state.captured_at, now)
        at = captured.at(("captured_at",))
        if age < 0:
            message = (
                f"captured at {captured.state.captured_at}, after this plan's time "
                f"{stamp(now)}: its age cannot be told; check the clock of the machine that "
                "captured it, or --now"
            )
            extra.append(Diagnostic.at(captured.file, at, "JG048", message))
        elif age > max_age:
            stale = True
            message = (
                f"captured {age} day(s) ago, more than --max-age {max_age}: the tenant may have "
                "changed since; capture it again"
            )
            extra.append(Diagnostic.at(captured.file, at, "JG047", message))
    r = checked.resolved
    made = Row(
        spec=spec,
        spec_name=_stem(spec),
        tenant=r.organization,
        diagnostics=(*found, *extra),
        plan=against,
        age=age,
        stale=stale,
        vendor=r.vendor_display_name,
        region=r.region,
        unconfirmed=unconfirmed_values(checked),
        acknowledged=acknowledged_warnings(found),
    )
    return made, extra


def failed_row(spec: str, tenant: str | None, found: Sequence[Diagnostic]) -> Row:
    """The row of a spec that does not compile."""
    return Row(spec, _stem(spec), tenant, tuple(found))


def _stem(spec: str) -> str:
    name = spec.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


# --- text -------------------------------------------------------------------------------------

_HEADINGS = (
    "TENANT",
    "SPEC",
    "CAPTURED",
    "AGE",
    "CREATE",
    "UPDATE",
    "REMOVE",
    "ERRORS",
    "WARNINGS",
    "STATUS",
)


def _cells(r: Row) -> tuple[str, ...]:
    counts = r.plan.counts() if r.plan is not None else None
    captured = r.plan.state.state.captured_at if r.plan is not None else "-"
    spec = r.spec.replace("\\", "/").rsplit("/", 1)[-1]
    return (
        r.tenant or "-",
        spec,
        captured,
        "-" if r.age is None else str(r.age),
        *(
            ("-",) * 3
            if counts is None
            else (str(counts[a]) for a in ("create", "update", "remove"))
        ),
        str(r.errors),
        str(r.warnings),
        STATUS_WORDS[r.status],
    )


def summary(f: Fleet) -> str:
    """One line: how many tenants, and how many of each status."""
    t = f.totals()
    parts = ", ".join(f"{t[s]} {STATUS_WORDS[s]}" for s in reversed(STATUSES))
    return f"{t['tenants']} tenant(s): {parts}."


def text(f: Fleet, *, details: bool = False) -> str:
    """The table for people, one row per spec; with ``details``, each tenant's plan after it."""
    # Every cell is shown (hidden characters as code points) before it is measured, so a name
    # can neither hide nor shift a column.
    table = [_HEADINGS, *(tuple(shown(c) for c in _cells(r)) for r in f.rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADINGS))]
    lines = [
        f"Fleet plan against the states in {f.states} as of {stamp(f.now)} "
        f"(stale after {f.max_age} day(s))",
        "",
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    lines += ["", summary(f)]
    if f.unused_states:
        lines.append(
            f"{len(f.unused_states)} state(s) in {f.states} are for no spec's tenant: "
            + ", ".join(f.unused_states)
        )
    out = "".join(shown(line) + "\n" for line in lines)
    if details:
        for r in f.rows:
            if r.plan is not None:
                out += "\n" + live.text(r.plan)
    return out


# --- JSON -------------------------------------------------------------------------------------


def _entry(r: Row) -> dict[str, object]:
    plan = None if r.plan is None else json.loads(live.as_json(r.plan, r.diagnostics))
    return {
        "spec": r.spec,
        "spec_name": r.spec_name,
        "tenant": r.tenant,
        "status": r.status,
        "state": None if r.plan is None else r.plan.state.file,
        "captured_at": None if r.plan is None else r.plan.state.state.captured_at,
        "age_days": r.age,
        "stale": r.stale,
        "counts": None if r.plan is None else r.plan.counts(),
        "errors": r.errors,
        "warnings": r.warnings,
        "plan": plan,
        "diagnostics": [d.as_dict() for d in r.diagnostics],
    }


def as_json(f: Fleet) -> str:
    """The fleet plan for machines; its shape is documented in docs/fleet.md."""
    payload = {
        "format": FLEET_PLAN_FORMAT,
        "now": stamp(f.now),
        "states": f.states,
        "max_age_days": f.max_age,
        "totals": f.totals(),
        "changed": f.changed,
        "tenants": [_entry(r) for r in f.rows],
        "unused_states": list(f.unused_states),
        "errors": sum(r.errors for r in f.rows)
        + sum(d.severity is Severity.ERROR for d in f.diagnostics),
        "warnings": sum(r.warnings for r in f.rows)
        + sum(d.severity is Severity.WARNING for d in f.diagnostics),
        "diagnostics": [d.as_dict() for d in f.diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"

"""The change document: what a change board reads, rendered through a Markdown-escaping environment."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jinja2

from journalgen import __version__
from journalgen.diagnostics import Diagnostic
from journalgen.diagram import flow, render_flow
from journalgen.emit import engine_sha256, new_environment, summary_lines, what_is_journaled
from journalgen.live import LivePlan, format_value, summary
from journalgen.plan import Plan, Resource, Value

# The spec's change: section as CHANGE.md's table and the manifest's "change" record show it.
CHANGE_LABELS = {
    "ticket": "Ticket",
    "requester": "Requested by",
    "implementer": "Implemented by",
    "window": "Change window",
    "reason": "Reason",
}

_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})


class MdText(str):
    """Markdown the compiler made itself; everything else is escaped on output."""

    __slots__ = ()


def md_escape(value: object) -> str:
    """Plain text made inert in Markdown and table cells (non-ASCII shown as itself)."""
    return str(value).translate(_MD_ESCAPES)


def show(value: Value | object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _finalize(value: object) -> object:
    if isinstance(value, MdText):
        return value
    return md_escape(show(value))


@functools.cache
def environment() -> jinja2.Environment:
    """The Markdown environment: every value is escaped unless the compiler made it."""
    env = new_environment(_finalize)
    env.filters["code"] = lambda v: MdText("`" + str(v).replace("`", "'") + "`")
    return env


def change_record(plan: Plan) -> dict[str, str]:
    """The change request the spec names (ticket, requester, ...): only the fields it writes."""
    change = plan.resolved.spec.change
    return {key: value for key in CHANGE_LABELS if (value := getattr(change, key)) is not None}


@dataclass(frozen=True, slots=True)
class SettingChange:
    object: str
    setting: str
    old: str
    new: str


def _by_key(plan: Plan) -> dict[tuple[str, str], Resource]:
    keyed: dict[tuple[str, str], Resource] = {}
    for resource in plan.resources:
        # The contact, connector and transport settings are one each per spec: compare them
        # even when renamed. Rules are matched by name.
        key = resource.identity if resource.type == "JournalRule" else ""
        keyed[(resource.type, key.casefold())] = resource
    return keyed


def plan_changes(old: Plan, new: Plan) -> list[SettingChange]:
    """Property-level differences from ``old`` to ``new``: what changes, from what, to what."""
    changes: list[SettingChange] = []
    before, after = _by_key(old), _by_key(new)
    for key, resource in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(SettingChange(resource.title, "(object)", "(absent)", "added"))
            continue
        if previous.identity != resource.identity:
            changes.append(
                SettingChange(resource.title, "Name", previous.identity, resource.identity)
            )
        old_values, new_values = previous.values(), resource.values()
        for name in dict.fromkeys([*old_values, *new_values]):
            o, n = old_values.get(name), new_values.get(name)
            if show(o) != show(n):
                changes.append(
                    SettingChange(
                        resource.title,
                        name,
                        show(o) if name in old_values else "(not managed)",
                        show(n) if name in new_values else "(not managed)",
                    )
                )
    for key, resource in before.items():
        if key not in after:
            changes.append(
                SettingChange(resource.title, "(object)", "present", "removed from the spec")
            )
    return changes


def render_change(
    plan: Plan,
    scripts: Mapping[str, bytes],
    warnings: Sequence[Diagnostic],
    previous: Plan | None = None,
    live: LivePlan | None = None,
) -> bytes:
    """CHANGE.md for a plan, naming the SHA-256 of the spec, of each script and of the engine."""
    text = (
        environment()
        .get_template("CHANGE.md.j2")
        .render(
            plan=plan,
            r=plan.resolved,
            change=[(CHANGE_LABELS[k], v) for k, v in change_record(plan).items()],
            version=__version__,
            summary=summary_lines(plan),
            flow=MdText(render_flow(flow(plan))),
            what=what_is_journaled(plan),
            hashes={name: hashlib.sha256(data).hexdigest() for name, data in scripts.items()},
            engine_sha256=engine_sha256(),
            warnings=warnings,
            previous=previous,
            live=live,
            about_state=live.about_state() if live is not None else None,
            summary_of_live=summary(live) if live is not None else "",
            format_value=format_value,
            changes=plan_changes(previous, plan) if previous is not None else [],
            show=show,
        )
    )
    return text.encode("utf-8")

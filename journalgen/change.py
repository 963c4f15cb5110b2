"""The change document: what a change board reads, rendered through a Markdown-escaping environment."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2

from journalgen import __version__
from journalgen.compiler import Acknowledged
from journalgen.diagnostics import Diagnostic, Finding
from journalgen.diagram import flow, queue_words, render_flow
from journalgen.emit import (
    engine_sha256,
    headline,
    new_environment,
    summary_lines,
    what_is_journaled,
)
from journalgen.live import LivePlan, format_value, summary
from journalgen.plan import RETIRE_ORDER, Plan, Resource, Retired, Setting, Value
from journalgen.textshow import shown
from journalgen.vendors import presets

if TYPE_CHECKING:
    from journalgen.rehearse import Record

# The spec's change: section as CHANGE.md's table and the manifest's "change" record show it.
CHANGE_LABELS = {
    "ticket": "Ticket",
    "requester": "Requested by",
    "implementer": "Implemented by",
    "window": "Change window",
    "reason": "Reason",
}

# What CommonMark, with GitHub's tables, strikethrough and math, may read as syntax anywhere in a
# line: each gets a backslash, which Markdown drops; `&` becomes `&amp;`, so no entity can be
# spelt. The rest of ASCII's punctuation acts only where no value is put (after `]`, say).
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~$"} | {"&": "&amp;"})
# What starts a block (a list item, a setext underline, a thematic break) at the start of a line.
_BLOCK_START = re.compile(r" *(?:[-+=]|\d{1,9}(?=[.)](?: |$)))")


class MdText(str):
    """Markdown the compiler made itself (a code span, the diagram); every other value goes
    through ``md_escape`` on output.
    """

    __slots__ = ()


def md_escape(value: object) -> str:
    """``value`` as Markdown that reads as exactly its text, the one way values reach Markdown.

    One line wherever it is put (a table cell, a paragraph, the start of a line): every hidden
    character (line breaks of every kind, controls, bidi and zero-width characters) shown as its
    code point (``<U+202E>``), every character Markdown could read as syntax escaped. Letters of
    any script are shown as themselves.
    """
    text = shown(str(value)).translate(_MD_ESCAPES)
    start = _BLOCK_START.match(text)
    if start is not None:
        at = start.end() if start[0][-1].isdigit() else start.end() - 1
        text = text[:at] + "\\" + text[at:]
    return text


def md_code(value: object) -> MdText:
    """``value`` as a code span that shows exactly its text (hidden characters as code points).

    The fence is longer than any run of backticks inside. A table would split a code span at a
    `|` (GitHub reads the cells first), so text holding one is written as an escaped literal.
    """
    text = shown(str(value))
    if not text.strip(" ") or "|" in text:
        return MdText(md_escape(text))
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    # CommonMark drops one space at each end when both are there: pad so that the text keeps
    # its own, and so that a backtick at either end does not join the fence.
    pad = " " if text[0] in " `" or text[-1] in " `" else ""
    return MdText(fence + pad + text + pad + fence)


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
    env.filters["code"] = md_code
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


def _key(item: Resource | Retired) -> tuple[str, str]:
    # An object's name is its identity (apply finds objects by name, case-insensitively): a
    # renamed contact, connector or rule is a new object, never a changed `Name`.
    return (item.type, item.identity.casefold())


def _by_key(plan: Plan) -> dict[tuple[str, str], Resource]:
    return {_key(r): r for r in plan.resources}


_SECTIONS = {
    "JournalRule": "journal_rules",
    "MailContact": "contact",
    "OutboundConnector": "connector",
}
_RETIRE_KEYS = {type_: f"retire.{kind}" for kind, type_, _ in RETIRE_ORDER}


def dropped(old: Plan, new: Plan) -> list[Finding]:
    """A warning for each object ``old`` manages that ``new`` neither manages nor retires: apply
    does not remove it, so it stays in the tenant (a renamed rule keeps journaling).
    """
    if old.resolved.organization.casefold() != new.resolved.organization.casefold():
        # Another tenant's objects never stay in this one (JG027 says the specs differ).
        return []
    after = _by_key(new)
    retired = {_key(r) for r in new.retired}
    found = []
    for key, resource in _by_key(old).items():
        if resource.type == "TransportConfig" or key in after or key in retired:
            continue
        found.append(
            Finding(
                "JG504",
                (_SECTIONS[resource.type],),
                f"{resource.title} of the previous spec ({old.spec_name}) is not in this spec; "
                "apply.ps1 does not remove it, so it stays in the tenant"
                + (" and keeps journaling" if resource.type == "JournalRule" else "")
                + f": list it under '{_RETIRE_KEYS[resource.type]}' to remove it",
                at_key=True,
            )
        )
    return found


def plan_changes(old: Plan, new: Plan) -> list[SettingChange]:
    """Property-level differences from ``old`` to ``new``: what changes, from what, to what."""
    changes: list[SettingChange] = []
    before, after = _by_key(old), _by_key(new)
    for key, resource in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(SettingChange(resource.title, "(object)", "(absent)", "added"))
            continue
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
    retired = {_key(r) for r in new.retired}
    for key, resource in before.items():
        if key in after:
            continue
        if key in retired:
            outcome = "retired: removed from the tenant"
        else:
            outcome = "dropped from the spec: stays in the tenant"
        changes.append(SettingChange(resource.title, "(object)", "managed", outcome))
    earlier = {_key(r) for r in old.retired}
    for item in new.retired:
        # Retired in both versions: apply still removes it if present, but it is no change.
        if _key(item) not in before and _key(item) not in earlier:
            changes.append(
                SettingChange(
                    item.title, "(object)", "(not managed)", "retired: removed from the tenant"
                )
            )
    return changes


def retired_before(old: Plan, new: Plan) -> list[Retired]:
    """The objects both versions retire: no change, though apply still removes them if present."""
    earlier = {_key(r) for r in old.retired}
    return [item for item in new.retired if _key(item) in earlier]


def may_rename_contact(plan: Plan) -> bool:
    """Whether a retired contact may be the spec's contact under an old name (a rename).

    A rename retires the old contact alone; a vendor switch retires the old archive's connector
    with it, and its contact holds the old archive's address, never the spec's.
    """
    return bool(plan.retired_contacts) and not any(
        item.type == "OutboundConnector" for item in plan.retired
    )


def title(plan: Plan) -> str:
    """CHANGE.md's title: the headline, which says what apply does with every retired object.

    ``check`` renders this line without ``--previous``, so it cannot tell which objects this
    change retires.
    """
    return headline(plan)


def summary_of(plan: Plan) -> list[str]:
    """What apply makes sure of, as ``summary_lines`` says it, with the NDR queue in words."""
    lines = summary_lines(plan)
    r = plan.resolved
    if r.ndr.queue_expiry_days == 0:
        # Exchange's 0 is its default, not a queue of zero days.
        ndr = f"Undeliverable journal reports go to {r.ndr.address}"
        lines = [f"{ndr}; {queue_words(0)}." if line.startswith(ndr) else line for line in lines]
    return lines


def ps_quoted(value: str) -> str:
    """``value`` as a PowerShell single-quoted literal, every kind of single quote doubled."""
    return "'" + re.sub("['\u2018\u2019\u201a\u201b]", lambda m: m[0] * 2, value) + "'"


def command(program: str, *arguments: tuple[str, str]) -> MdText:
    """A command as one code span: each path or name a PowerShell single-quoted literal."""
    return md_code(" ".join([program, *(f"{p} {ps_quoted(v)}" for p, v in arguments)]))


@dataclass(frozen=True, slots=True)
class Parallel:
    """Another spec that journals the same tenant: its name, archive and journal address, and
    the SHA-256 of the version read (recorded in the manifest, not shown).
    """

    spec_name: str
    vendor: str
    journal_address: str
    spec_sha256: str = ""

    @classmethod
    def of(cls, plan: Plan) -> Parallel:
        r = plan.resolved
        return cls(plan.spec_name, r.vendor_display_name, r.journal_address, plan.spec_sha256)

    @property
    def shown(self) -> tuple[str, str, str]:
        """What CHANGE.md says of it: a change of the hash alone changes no sentence."""
        return (self.spec_name, self.vendor, self.journal_address)


def source_of(plan: Plan, setting: Setting) -> str:
    """Where a value comes from: its spec key, and whether the spec wrote it or the preset, a
    default or another value supplied it (the origins ``explain`` shows).
    """
    origin = plan.resolved.origins.get(setting.source)
    return setting.source if origin is None else f"{setting.source} ({origin.text()})"


# What apply does to each kind of object: the transport configuration is one per tenant, always
# there, so it is never created or removed.
_CONVERGE = {
    "TransportConfig": "change only the settings that differ (the tenant's one transport "
    "configuration; it always exists)",
}
_CREATE_OR_CONVERGE = "create it if missing, else change only the settings that differ"


@dataclass(frozen=True, slots=True)
class Operation:
    """A step of apply.ps1 after the backup: the object, and what apply does to it."""

    title: str
    does: str
    # A retired contact that may hold the spec's journal address (CHANGE.md says so, naming it).
    frees_address: bool = False


def operations(plan: Plan) -> list[Operation]:
    """CHANGE.md's order of operations after the backup, in the order apply.ps1 runs them."""
    rename = may_rename_contact(plan)
    steps = [
        Operation(item.title, "", frees_address=True)
        for item in (plan.retired_contacts if rename else ())
    ]
    steps += [
        Operation(r.title, _CONVERGE.get(r.type, _CREATE_OR_CONVERGE)) for r in plan.resources
    ]
    steps += [
        Operation(
            item.title,
            "remove it (retired) if present"
            + (
                ""
                if item.type != "MailContact"
                else ", unless removed above"
                if rename
                else " (before the spec's contact instead, should it hold the journal address)"
            ),
        )
        for item in plan.retired
    ]
    return steps


def prerequisites(plan: Plan) -> list[str]:
    """What the preset says must be set up on the archive's side, for this tenant."""
    r = plan.resolved
    return presets()[r.vendor].prerequisites_for(r.region, r.primary_domain)


def render_change(
    plan: Plan,
    scripts: Mapping[str, bytes],
    warnings: Sequence[Diagnostic],
    previous: Plan | None = None,
    live: LivePlan | None = None,
    dropped: Sequence[Diagnostic] = (),
    *,
    parallel: Sequence[Plan | Parallel] = (),
    rehearsal: Record | None = None,
) -> bytes:
    """CHANGE.md for a plan, naming the SHA-256 of the spec, of each script and of the engine.

    ``parallel`` are the other specs that journal the same tenant (a parallel run): the summary
    says that mail goes to each of their archives too.
    """
    from journalgen.rehearse import section_values

    r = plan.resolved
    text = (
        environment()
        .get_template("CHANGE.md.j2")
        .render(
            plan=plan,
            r=plan.resolved,
            change=[(CHANGE_LABELS[k], v) for k, v in change_record(plan).items()],
            version=__version__,
            headline=title(plan),
            dropped=dropped,
            summary=summary_of(plan),
            parallel=sorted(
                (o if isinstance(o, Parallel) else Parallel.of(o) for o in parallel),
                key=lambda o: o.spec_name,
            ),
            rename=may_rename_contact(plan),
            queued=queue_words(r.ndr.queue_expiry_days),
            rollback_command=command("rollback.ps1", ("-BackupPath", plan.backup_name)),
            state_command=command("verify.ps1", ("-StatePath", "state.json")),
            environment_option=command(
                "Connect-ExchangeOnline", ("-ExchangeEnvironmentName", plan.environment_name)
            )
            if plan.environment_name
            else None,
            retired_before=retired_before(previous, plan) if previous is not None else [],
            undecided=live.undecided if live is not None else (),
            flow=MdText(render_flow(flow(plan))),
            what=what_is_journaled(plan),
            hashes={name: hashlib.sha256(data).hexdigest() for name, data in scripts.items()},
            engine_sha256=engine_sha256(),
            warnings=warnings,
            acknowledged=[w for w in warnings if isinstance(w, Acknowledged)],
            previous=previous,
            live=live,
            about_state=live.about_state() if live is not None else None,
            summary_of_live=summary(live) if live is not None else "",
            format_value=format_value,
            changes=plan_changes(previous, plan) if previous is not None else [],
            source_of=functools.partial(source_of, plan),
            operations=operations(plan),
            prerequisites=prerequisites(plan),
            state_warnings=[d for d in live.problems if not d.is_error] if live else [],
            **(section_values(rehearsal) if rehearsal is not None else {"rehearsal": None}),
        )
    )
    return text.encode("utf-8")

"""The journal flow as a Mermaid diagram for CHANGE.md, every label encoded by its environment."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jinja2

from journalgen.emit import SCOPE_WORDS, new_environment
from journalgen.plan import Plan
from journalgen.textshow import shown

# Characters a quoted Mermaid label shows as they are, besides letters and digits: none of them
# ends the quotes, starts an entity code (#), HTML (<, >, &), Markdown or math (`, *, _, $),
# edge text (|), a statement (;) or the `style ...:...#...;` text Mermaid rewrites before
# parsing (:). Inside quotes, brackets and parentheses are plain text.
_PLAIN = frozenset(" .,'-/@+?!()")


class MermaidCode(str):
    """Mermaid text the compiler made itself (node ids, arrows, line breaks); labels are encoded."""

    __slots__ = ()


BR = MermaidCode("<br>")


def mermaid_text(value: str) -> str:
    """``value`` as the inside of a quoted Mermaid label: inert, and shown as it is.

    Letters and digits (of any script) and a few inert punctuation marks stay as they are; every
    other character is written as Mermaid's entity code ``#NNN;`` (its decimal code point), which
    Mermaid turns back into the character when it draws the label.
    """
    return "".join(
        ch if (ch.isalnum() and ch.isprintable()) or ch in _PLAIN else f"#{ord(ch)};"
        for ch in value
    )


def mermaid_label(value: object) -> MermaidCode:
    """A quoted label: one line per item of a tuple or list, else one line."""
    lines = value if isinstance(value, tuple | list) else (value,)
    return MermaidCode('"' + BR.join(mermaid_text(str(line)) for line in lines) + '"')


def _finalize(value: object) -> object:
    # Every {{ expression }} of the diagram template lands here: only what the compiler made
    # (ids, arrows) passes as it is; anything else becomes a quoted, encoded label. Mermaid draws
    # an encoded character as itself, so hidden ones (line breaks, bidi, zero-width) are first
    # shown as their code points, as in the rest of CHANGE.md.
    if isinstance(value, MermaidCode):
        return value
    lines = value if isinstance(value, tuple | list) else (value,)
    return mermaid_label(tuple(shown(str(line)) for line in lines))


@functools.cache
def environment() -> jinja2.Environment:
    """The Mermaid environment: every value is a quoted, encoded label unless the compiler made it."""
    return new_environment(_finalize)


@dataclass(frozen=True, slots=True)
class FlowNode:
    """A node of the diagram: its id (from code, never from the spec) and its label's lines."""

    id: MermaidCode
    label: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FlowRule:
    node: FlowNode
    selects: str
    arrow: MermaidCode


@dataclass(frozen=True, slots=True)
class Flow:
    """What the diagram shows, in plain text; the template lays it out."""

    tenant: tuple[str, ...]
    rules: tuple[FlowRule, ...]
    contact: tuple[str, ...]
    connector: tuple[str, ...]
    delivery: str
    archive: tuple[str, ...]
    ndr: tuple[str, ...]
    removed: tuple[FlowNode, ...] = ()


def queue_words(days: int | None) -> str:
    """How long Exchange queues an undeliverable journal report, in words ("" when unmanaged)."""
    if days is None:
        return ""
    if days == 0:
        # JournalMessageExpirationDays 0 is Exchange's default: no longer queue than other mail.
        return "not queued longer than other undeliverable mail (JournalMessageExpirationDays 0)"
    return f"queued for {days} day(s)"


def flow(plan: Plan) -> Flow:
    """The journal flow of ``plan``, with the objects it retires in a box of their own."""
    r = plan.resolved
    c = r.connector
    rules = []
    for index, rule in enumerate(r.rules, 1):
        selects = SCOPE_WORDS[rule.scope] + (
            f" to or from {rule.recipient}" if rule.recipient else ""
        )
        label: tuple[str, ...] = (f"Journal rule '{rule.name}'",)
        if not rule.enabled:
            label += ("DISABLED, journals nothing",)
        node = FlowNode(MermaidCode(f"rule{index}"), label)
        rules.append(FlowRule(node, selects, MermaidCode("-->" if rule.enabled else "-.->")))
    tls = plan.connector.values()["TlsSettings"]
    delivery = f"TLS {tls}" + (f", certificate {c.tls_domain}" if c.tls_domain else "")
    connector: tuple[str, ...] = (
        f"Outbound connector '{c.name}'",
        "for " + ", ".join(c.recipient_domains),
    )
    if not c.enabled:
        connector += ("DISABLED, reports follow the MX records",)
    if c.routing == "mx_record":
        hosts: tuple[str, ...] = (f"MX records of {r.journal_domain}",)
    else:
        hosts = c.smart_hosts
    queued = r.ndr.queue_expiry_days
    return Flow(
        tenant=("Exchange Online", r.organization),
        rules=tuple(rules),
        contact=(f"Mail contact '{r.contact.name}'", r.journal_address),
        connector=connector,
        delivery=delivery,
        archive=(r.vendor_display_name, *hosts),
        ndr=(
            "NDR address",
            r.ndr.address,
            *([queue_words(queued)] if queued is not None else []),
        ),
        removed=tuple(
            FlowNode(MermaidCode(f"removed{index}"), (item.title, "removed by apply.ps1"))
            for index, item in enumerate(plan.retired, 1)
        ),
    )


def render_flow(diagram: Flow) -> str:
    """The Mermaid source of the diagram, without the fence."""
    return environment().get_template("flow.mmd.j2").render(flow=diagram).removesuffix("\n")

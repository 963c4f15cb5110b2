"""Emit: render the plan through Jinja templates whose every output is a PowerShell literal."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import jinja2

from journalgen import __version__
from journalgen.plan import COMPARE, CONNECTOR_MUST_NOT, RETIRE_PROPERTIES, Plan
from journalgen.powershell import PsCode, ps_comment_text, ps_hashtable, ps_literal

UTF8_BOM = b"\xef\xbb\xbf"


def _finalize(value: object) -> object:
    # Every {{ expression }} lands here: only fragments the compiler made itself (PsCode) pass
    # as they are; anything else, whatever a template does to it, becomes a quoted literal.
    if isinstance(value, PsCode):
        return value
    return ps_literal(value)


def _comment(value: object, max_len: int = 200) -> PsCode:
    return _comment_text(str(value), max_len)


@functools.lru_cache(maxsize=4096)
def _comment_text(text: str, max_len: int) -> PsCode:
    # Every script of a bundle repeats the same names in its comments, and ps_comment_text's
    # signature-block test is the costliest step of a build; the bound keeps memory flat.
    return PsCode(ps_comment_text(text, max_len))


# What must not stand as it is in a help block: it would end the comment (`#>`), open another
# (`<#`), or read as a code point in a comment (`[U+`).
_HELP_UNSAFE = ("<#", "#>", "[U+")


def _help_argument(value: object) -> PsCode:
    """``value`` as a PowerShell literal that a help block (``<# ... #>``) holds as it is."""
    literal = ps_literal(value)
    if not any(unsafe in literal for unsafe in _HELP_UNSAFE):
        return literal
    # Rare: each '#' and '[' goes in as a [char] of its own, between literals of the rest.
    parts = [
        PsCode(f"[char]0x{ord(piece):04X}") if piece in "#[" else ps_literal(piece)
        for piece in re.split(r"([#\[])", str(value))
        if piece
    ]
    if not parts[0].startswith("'"):
        parts.insert(0, PsCode("''"))
    return PsCode("(" + " + ".join(parts) + ")")


def _hashtable(value: dict[str, Any], indent: int = 0) -> PsCode:
    return ps_hashtable(value, indent)


def _load_template(name: str) -> str:
    return (files("journalgen.templates") / name).read_text(encoding="utf-8")


def new_environment(finalize: Callable[[object], object]) -> jinja2.Environment:
    """An environment over the packaged templates whose every output passes through ``finalize``."""

    def strict_finalize(value: object) -> object:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises here, naming the missing variable
        return finalize(value)

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=strict_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The PowerShell environment; built and its templates compiled once per process."""
    env = new_environment(_finalize)
    env.filters["comment"] = _comment
    env.filters["hashtable"] = _hashtable
    env.filters["ps"] = ps_literal
    env.filters["help_argument"] = _help_argument
    env.globals["journalgen_version"] = PsCode(__version__)
    env.globals["compare_kinds"] = ps_hashtable(dict(COMPARE), 0)
    env.globals["retire_properties"] = ps_hashtable(
        {str(k): v for k, v in RETIRE_PROPERTIES.items()}, 0
    )
    return env


def to_script_bytes(text: str) -> bytes:
    """UTF-8 with BOM and CRLF: what Windows PowerShell 5.1 and signing tools read safely."""
    return UTF8_BOM + _crlf_ascii(text)


def _crlf_ascii(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("generated script is not pure ASCII")
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def render_template(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)


SCRIPTS = ("apply.ps1", "verify.ps1", "rollback.ps1")
# The first and last lines of every script's engine (templates/engine/_engine.ps1.j2).
ENGINE_BEGIN = "# --- BEGIN journalgen engine: "
ENGINE_END = "# --- END journalgen engine ---"


@functools.cache
def engine_text(script: str) -> str:
    """The engine of one script (``templates/engine/``): everything after its desired state.

    Rendered with no spec at hand, only the environment's globals, so it cannot depend on one:
    a template that reaches for spec data fails here (StrictUndefined). Once per process.
    """
    return render_template(f"engine/{script}.j2")


def engine_bytes() -> bytes:
    """What ``engine_sha256`` hashes: the engine of apply.ps1, verify.ps1 and rollback.ps1.

    In that order, each exactly as its script holds it: the lines from :data:`ENGINE_BEGIN`
    to :data:`ENGINE_END`, both included, with their CRLF line ends.
    """
    return b"".join(_crlf_ascii(engine_text(script)) for script in SCRIPTS)


@functools.cache
def engine_sha256() -> str:
    """The engine's SHA-256: the same for every spec of this journalgen version."""
    return hashlib.sha256(engine_bytes()).hexdigest()


def _engine(script: str) -> PsCode:
    # The skeleton ends the script with its own newline.
    return PsCode(engine_text(script).removesuffix("\n"))


def render_scripts(plan: Plan) -> dict[str, bytes]:
    """apply.ps1, verify.ps1 and rollback.ps1 for a plan, as the bytes written to disk.

    The three share one desired-state block, rendered once, and embed their engine as it is.
    """
    block = render_template("_desired.ps1.j2", plan=plan, meta=script_meta(plan))
    # Its own last newline would double the blank line the templates leave after it.
    desired = PsCode(block.removesuffix("\n"))
    context: dict[str, dict[str, object]] = {
        "apply.ps1": {"summary": summary_lines(plan), "headline": headline(plan)},
        "verify.ps1": {},
        "rollback.ps1": {"removals": removal_lines(plan)},
    }
    return {
        script: to_script_bytes(
            render_template(
                f"{script}.j2",
                plan=plan,
                desired=desired,
                engine=_engine(script),
                **context[script],
            )
        )
        for script in SCRIPTS
    }


def _standalone(script: str, meta: dict[str, object]) -> bytes:
    # A script of its own, with no spec: its data block, then its engine.
    return to_script_bytes(render_template(f"{script}.j2", meta=meta, engine=_engine(script)))


def render_probe(cloud: str) -> bytes:
    """The probe script for a test tenant in ``cloud`` (``journalgen probe``)."""
    from journalgen.probe import probe_meta

    return _standalone("probe.ps1", probe_meta(cloud))


def render_capture(organization: str | None, cloud: str) -> bytes:
    """The standalone capture script (``journalgen capture-script``): reads, writes a state file."""
    from journalgen.capture import capture_meta

    return _standalone("capture.ps1", capture_meta(organization, cloud))


def render_capture_fleet(sign_in: str, cloud: str) -> bytes:
    """The fleet capture script (``journalgen capture-script --fleet``): a state file per tenant."""
    from journalgen.capture import fleet_meta

    return _standalone("capture-fleet.ps1", fleet_meta(sign_in, cloud))


def render_apply(plan: Plan) -> bytes:
    """The apply script alone (``journalgen render``)."""
    return render_scripts(plan)["apply.ps1"]


def removal_lines(plan: Plan) -> list[str]:
    """What rollback removes without a backup, in its order: the reverse of apply's."""
    return [
        f"Remove {resource.title}."
        for resource in reversed(plan.resources)
        if resource.type != "TransportConfig"
    ]


def script_meta(plan: Plan) -> dict[str, object]:
    """The tenant-level values the scripts' engine reads (``$Journalgen``)."""
    about = {"Version": __version__, "SpecName": plan.spec_name, "SpecSha256": plan.spec_sha256}
    # Decided by journalgen, not the spec: where the first backup goes, and connector values
    # apply refuses to adopt; and the engine's hash, which apply's backup records.
    engine = {
        "BackupName": plan.backup_name,
        "ConnectorMustNot": dict(CONNECTOR_MUST_NOT),
        "EngineSha256": engine_sha256(),
    }
    return {**about, **{s.name: s.value for s in plan.meta}, **engine}


def _hosts(plan: Plan) -> str:
    c = plan.resolved.connector
    if c.routing == "mx_record":
        return "the journal domain's MX records"
    return ", ".join(c.smart_hosts)


def headline(plan: Plan) -> str:
    """What the change does, in one line: apply.ps1's synopsis and CHANGE.md's title."""
    r = plan.resolved
    if plan.paused:
        text = f"Pause journaling of {r.primary_domain} to {r.vendor_display_name}"
    else:
        text = f"Journal {what_is_journaled(plan)} of {r.primary_domain} to {r.vendor_display_name}"
    text += f" ({r.journal_domain})"
    if plan.retired:
        # Not "removed by this change": an object retired by an earlier version too is no change.
        text += f"; {len(plan.retired)} retired object(s) removed if present"
    return text


# What a rule's scope selects, in words: apply.ps1's summary, CHANGE.md and its diagram.
SCOPE_WORDS = {
    "global": "all messages",
    "internal": "internal messages",
    "external": "external messages",
}


def what_is_journaled(plan: Plan) -> str:
    """``all mail`` when some enabled rule journals every message, else what the rules select."""
    if plan.paused:
        return "no mail"
    if any(r.enabled and r.scope == "global" and r.recipient is None for r in plan.resolved.rules):
        return "all mail"
    return "selected mail"


def summary_lines(plan: Plan) -> list[str]:
    """What the apply script makes sure of, one plain-words line per object, in order."""
    r = plan.resolved
    contact = r.contact
    hidden = ", hidden from address lists" if contact.hidden_from_address_lists else ""
    lines = [
        f"Mail contact '{contact.name}' stands for {r.journal_address}{hidden}.",
        f"Outbound connector '{r.connector.name}' sends mail for "
        f"{', '.join(r.connector.recipient_domains)} to {_hosts(plan)} "
        f"(TLS: {plan.connector.values()['TlsSettings']}"
        + (f", certificate name {r.connector.tls_domain}" if r.connector.tls_domain else "")
        + f"; {'enabled' if r.connector.enabled else 'DISABLED'}).",
        f"Undeliverable journal reports go to {r.ndr.address}"
        + (
            f"; queued for {r.ndr.queue_expiry_days} day(s)."
            if r.ndr.queue_expiry_days is not None
            else "."
        ),
    ]
    for rule in r.rules:
        who = f" sent to or from {rule.recipient}" if rule.recipient else ""
        selects = f"{SCOPE_WORDS[rule.scope]}{who} to {r.journal_address}"
        if rule.enabled:
            lines.append(f"Journal rule '{rule.name}' journals {selects} (enabled).")
            continue
        paused = f" (paused: {rule.paused_reason})" if rule.paused_reason is not None else ""
        lines.append(
            f"Journal rule '{rule.name}' is DISABLED and journals nothing{paused}; enabled, it "
            f"would journal {selects}."
        )
    for retired in plan.retired:
        lines.append(f"{retired.title} no longer exists: retired, and removed from the tenant.")
    return lines

"""`journalgen init`: a commented starter spec from a vendor preset, with placeholders, never guesses."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml
from pydantic_core import PydanticCustomError

from journalgen import textpolicy
from journalgen.clouds import CLOUDS
from journalgen.diagnostics import Diagnostic
from journalgen.errors import SpecError, UsageError
from journalgen.spec import SCHEMA_FILE
from journalgen.vendors import Preset, Sourced, fill_template, presets

Check = Callable[[str], str]
# Ask the person at the terminal: (question, flag it stands for, choices or None, whether it may be
# left empty, the check an answer must pass); returns the checked answer.
Ask = Callable[[str, str, Sequence[str] | None, bool, Check | None], str]

WIDTH = 96
# Where the README's layout keeps the schema, relative to a spec in specs/ (as the samples do).
SCHEMA_LINE = f"../schemas/{SCHEMA_FILE}"
# The first lines of a spec from init or import: the schema for editors, and where it must be.
SCHEMA_HEADER = (
    f"# yaml-language-server: $schema={SCHEMA_LINE}",
    "# The path resolves for a spec in the spec repository's specs/ folder, with the schema",
    f"# committed beside it: journalgen schema > schemas/{SCHEMA_FILE}",
)


@dataclass(frozen=True, slots=True)
class InitRequest:
    """What ``journalgen init`` was told; ``None`` is "not given"."""

    vendor: str | None = None
    region: str | None = None
    domain: str | None = None
    organization: str | None = None
    ndr_address: str | None = None
    journal_address: str | None = None
    cloud: str = "commercial"


# Escapes a reader knows at sight; every other character outside printable ASCII is written as
# its code point, so the value is one line of printable ASCII whatever it holds.
_DOUBLE_QUOTED_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _printable_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)


def _double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that loads back to exactly ``text``."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _DOUBLE_QUOTED_ESCAPES:
            out.append(_DOUBLE_QUOTED_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"the lone surrogate U+{code:04X} has no spelling in YAML")
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


def yaml_scalar(value: object) -> str:
    """One YAML value on one line of printable ASCII, quoted when a plain scalar would be misread.

    Strings of printable ASCII are written as PyYAML writes them (plain where that reads back the
    same); every other string, also in a list, is double-quoted with escapes, since PyYAML keeps a
    line break as one and YAML reads U+0085, U+2028 and U+2029 as line breaks too. Raises
    :class:`ValueError` for a lone surrogate, which YAML cannot hold.
    """
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str) and not _printable_ascii(value):
        return _double_quoted(value)
    if isinstance(value, list) and any(
        isinstance(item, str) and not _printable_ascii(item) for item in value
    ):
        items = (
            _double_quoted(v)
            if isinstance(v, str) and not _printable_ascii(v)
            else yaml_scalar([v])[1:-1]  # as PyYAML writes it inside a flow sequence
            for v in value
        )
        return "[" + ", ".join(items) + "]"
    text: str = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=False, width=1_000_000, sort_keys=False
    )
    text = text.removesuffix("\n...\n").removesuffix("\n")
    if "\n" in text:  # PyYAML still folds text longer than the width; escaped, it stays whole.
        return _double_quoted(value) if isinstance(value, str) else text
    return text


# Printable by Python's measure, yet shown as nothing or as a space: fillers and selectors.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)


def comment_text(text: str) -> str:
    """``text`` for a `#` comment: every character that is not printable (line breaks, controls,
    bidi and other format characters, spaces other than U+0020) or that shows as nothing is
    written as its code point, ``<U+2028>``, so the comment stays on its line and reads as what
    it is. A ``<U+`` already in ``text`` becomes ``<U+003C>U+``, so the shown text reads back to
    exactly ``text``.
    """
    out = []
    for at, ch in enumerate(text):
        if (ch.isprintable() and ch not in _INVISIBLE) and not (
            ch == "<" and text.startswith("U+", at + 1)
        ):
            out.append(ch)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    return "".join(out)


def check_answer(check: Check, value: str) -> str:
    """``check`` on a stripped answer, its complaint as a plain :class:`ValueError`."""
    try:
        return check(value.strip())
    except PydanticCustomError as exc:
        raise ValueError(exc.message()) from None


def _checked(value: str, flag: str, check: Check) -> str:
    try:
        return check_answer(check, value)
    except ValueError as exc:
        raise UsageError(f"{flag} {value!r}: {exc}") from None


def _needs_journal_address(preset: Preset, region: str | None) -> bool:
    sourced = preset.lookup("journal_address", region)
    return sourced is None or sourced.confidence == "unknown"


def _refuse_missing(request: InitRequest, known: dict[str, Preset]) -> None:
    """Without a terminal to ask at, one usage error naming every flag that is missing."""
    preset = known.get((request.vendor or "").lower())
    if preset is not None and preset.regions:
        region = (request.region, f"one of: {', '.join(preset.regions)}")
    else:  # no vendor yet: whether it needs a region is not known
        region = (request.region if request.vendor is None else "", "if the vendor has regions")
    wanted = [
        ("--vendor", request.vendor, f"one of: {', '.join(known)}"),
        ("--region", *region),
        ("--domain", request.domain, "the tenant's primary mail domain"),
        ("--organization", request.organization, "the tenant's initial domain"),
        ("--ndr-address", request.ndr_address, "an address for undeliverable journal reports"),
    ]
    missing = [f"{flag} ({hint})" for flag, value, hint in wanted if value is None]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}; give them, or run init in a terminal")


def _lower_domain(address: str) -> str:
    """The address with its domain in lower case; the local part is the mailbox's to decide."""
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else address


def _initial_domain(value: str, *, cloud: str) -> str:
    """A tenant's initial domain in ``cloud``; another cloud's suggests the ``--cloud`` it needs."""
    from journalgen.capture import organization_problem

    textpolicy.onmicrosoft_domain(value)
    problem = organization_problem(value, cloud)
    if problem is not None:
        raise ValueError(problem)
    return value


def complete(request: InitRequest, ask: Ask | None) -> InitRequest:
    """Fill what is missing by asking (in a terminal), or refuse naming the flag (otherwise)."""

    def need(
        value: str | None,
        question: str,
        flag: str,
        choices: Sequence[str] | None = None,
        check: Check | None = None,
    ) -> str:
        if value is not None:
            return value if check is None else _checked(value, flag, check)
        if ask is None:  # _refuse_missing named every missing flag already
            raise UsageError(f"missing {flag}")
        return ask(question, flag, choices, False, check)

    known = presets()
    if ask is None:
        _refuse_missing(request, known)
    # Choices are matched case-insensitively and domains are case-insensitive names, so both are
    # written in lower case, as the presets and Exchange show them.
    vendor = need(request.vendor, "The archive vendor", "--vendor", list(known)).lower()
    if vendor not in known:
        raise UsageError(f"--vendor {vendor!r} is not a known vendor; known: {', '.join(known)}")
    preset = known[vendor]
    region = request.region
    if preset.regions:
        question = f"The {preset.display_name} region your account lives in"
        region = need(region, question, "--region", list(preset.regions)).lower()
        if region not in preset.regions:
            raise UsageError(
                f"--region {region!r}: {preset.display_name} has the regions "
                f"{', '.join(preset.regions)}"
            )
    elif region is not None:
        raise UsageError(f"--region: the {vendor} preset has no regions; leave it out")
    domain = need(
        request.domain, "The tenant's primary mail domain", "--domain", check=textpolicy.domain
    ).lower()
    suffix = CLOUDS[request.cloud].suffix
    organization = need(
        request.organization,
        f"The tenant's initial domain, like {domain.split('.')[0]}{suffix}",
        "--organization",
        check=functools.partial(_initial_domain, cloud=request.cloud),
    ).lower()
    ndr = _lower_domain(
        need(
            request.ndr_address,
            f"A dedicated address for undeliverable journal reports, like journal-ndr@{domain}",
            "--ndr-address",
            check=textpolicy.address,
        )
    )
    journal_address = request.journal_address
    if journal_address is not None:
        journal_address = _lower_domain(
            _checked(journal_address, "--journal-address", textpolicy.address)
        )
    elif ask is not None and _needs_journal_address(preset, region):
        sourced = preset.lookup("journal_address", region)
        like = ""
        if sourced is not None and sourced.placeholder is not None:
            like = f", like {fill_template(sourced.placeholder, preset.template_values(region, domain))}"
        answer = ask(
            f"The journal address {preset.display_name} issued for this tenant{like} "
            "(empty: write a placeholder to fill in later)",
            "--journal-address",
            None,
            True,
            textpolicy.address,
        )
        journal_address = _lower_domain(answer) or None
    return replace(
        request,
        vendor=vendor,
        region=region,
        domain=domain,
        organization=organization,
        ndr_address=ndr,
        journal_address=journal_address,
    )


def wrap_comment(text: str, indent: str = "", prefix: str = "# ") -> list[str]:
    """``text`` as comment lines of at most :data:`WIDTH`, shown through :func:`comment_text`."""
    width = max(40, WIDTH - len(indent) - len(prefix))
    lines = textwrap.wrap(comment_text(text), width)
    return [f"{indent}{prefix}{line}".rstrip() for line in lines] or [f"{indent}{prefix}".rstrip()]


class _Writer:
    """Collects the spec's lines; values go through :func:`yaml_scalar`, comments are wrapped."""

    def __init__(self, preset: Preset, fmt: dict[str, str]) -> None:
        self.preset = preset
        self.fmt = fmt
        self.lines: list[str] = []

    def comment(self, text: str, indent: str = "") -> None:
        self.lines.extend(wrap_comment(text, indent))

    def value(self, key: str, value: object, indent: str = "") -> None:
        self.lines.append(f"{indent}{key}: {yaml_scalar(value)}")

    def show(self, sourced: Sourced[Any]) -> object:
        value = sourced.value
        if isinstance(value, str):
            return value.format(**self.fmt)
        return value

    def from_preset(self, key: str, sourced: Sourced[Any], indent: str, lead: str = "# ") -> None:
        """A value the preset supplies, shown commented out: writing it would hide its origin."""
        self.lines.append(
            f"{indent}{lead}{key}: {yaml_scalar(self.show(sourced))}  # {self.preset.cite(sourced)}"
        )

    def placeholder(self, key: str, sourced: Sourced[Any] | None, what: str, indent: str) -> None:
        generic = f"<{what} from {self.preset.display_name}>"
        text = sourced.placeholder if sourced is not None and sourced.placeholder else generic
        text = fill_template(text, self.fmt)
        self.comment(
            f"TO DO: replace this placeholder with the {what} {self.preset.display_name} gives "
            "you; journalgen cannot know it. Until then validation fails (JG113).",
            indent,
        )
        if key == "smart_hosts":
            self.lines.append(f"{indent}{key}:")
            self.lines.append(f"{indent}  - {yaml_scalar(text)}")
        else:
            self.value(key, text, indent)


def render(request: InitRequest) -> str:
    """The commented spec for a completed request (see :func:`complete`)."""
    assert request.vendor and request.domain and request.organization and request.ndr_address
    preset = presets()[request.vendor]
    region = request.region
    domain = request.domain
    fmt = preset.template_values(region, domain)
    w = _Writer(preset, fmt)
    where = preset.display_name
    if region is not None:
        where += f" ({preset.regions[region].display_name})"

    w.lines.extend(SCHEMA_HEADER)
    w.lines.append("#")
    w.comment(f"journalgen tenant spec: journal all mail of {domain} to {where}.")
    w.comment(
        "Written by `journalgen init`. Read every comment and adjust what differs for your tenant; "
        "`journalgen validate` says what is still missing, and `journalgen explain` shows every "
        "value the preset fills in, with its source. Lines starting with '#' are comments: a "
        "commented-out key shows the value used when the key is left out."
    )
    needed = preset.prerequisites_for(region, domain)
    if preset.notes or needed:
        w.lines.append("#")
        w.comment(f"About {preset.display_name}:")
        for note in [*preset.notes, *(f"To set up on the archive's side: {n}" for n in needed)]:
            wrapped = wrap_comment(note, "", "#   ")
            w.lines.append("# - " + wrapped[0][4:])
            w.lines.extend(wrapped[1:])
    w.lines.append("version: 1")

    w.lines.append("")
    w.lines.append("tenant:")
    w.value("primary_domain", domain, "  ")
    suffix = CLOUDS[request.cloud].suffix
    w.comment(f"The tenant's initial {suffix} domain, used for app-only sign-in.", "  ")
    w.value("organization", request.organization, "  ")
    if request.cloud == "commercial":
        w.lines.append("  # cloud: commercial  # or gcc, gcc_high, dod, china")
    else:
        w.comment(f"{CLOUDS[request.cloud].label}: the scripts sign in there.", "  ")
        w.value("cloud", request.cloud, "  ")
    w.comment(
        "Other accepted domains of the tenant, so the checks keep journal routing apart from them:",
        "  ",
    )
    w.lines.append("  # other_domains: [fabrikam.com]")

    _archive(w, request)
    w.lines.append("")
    w.comment("The hidden mail contact that stands for the journal address (defaults shown).")
    w.lines.append("# contact:")
    w.lines.append("#   name: SMTP Journaling")
    w.lines.append("#   hidden_from_address_lists: true")
    _connector(w, request)

    w.lines.append("")
    w.comment(
        "Journal rules, created in this order. One rule with scope global journals all mail of "
        "every recipient; add 'recipient: someone@example.com' to journal one address only."
    )
    w.lines.append("journal_rules:")
    w.value("  - name", f"Journal all messages to {preset.display_name}"[:64])
    w.value("scope", "global", "    ")
    w.value("enabled", True, "    ")

    w.lines.append("")
    w.comment(
        "Undeliverable journal reports go to this address. Use a dedicated address that you "
        "route; it is never journaled itself, and once set it can be changed but never cleared."
    )
    w.lines.append("ndr:")
    w.value("address", request.ndr_address, "  ")
    policy = preset.lookup("ndr_domain_policy", region)
    if policy is not None and policy.value is not None:
        w.comment("Where the address must be (tenant: one of your domains; external; any):", "  ")
        w.from_preset("domain_policy", policy, "  ")
    w.lines.append("  # queue_expiry_days: 0  # days (0-7) undeliverable reports are retried")
    return "\n".join(w.lines) + "\n"


def _archive(w: _Writer, request: InitRequest) -> None:
    preset, region = w.preset, request.region
    w.lines.append("")
    w.lines.append("archive:")
    w.value("vendor", preset.name, "  ")
    if region is not None:
        w.value("region", region, "  ")
    address = preset.lookup("journal_address", region)
    unconfirmed = [
        (key, sourced)
        for key, sourced in (
            (key, preset.lookup(key, region))
            for key in ("journal_domain", "journal_address", "smart_hosts")
        )
        if sourced is not None and sourced.confidence == "unconfirmed"
    ]
    if request.journal_address is not None:
        w.comment(f"The journal address {preset.display_name} issued for this tenant.", "  ")
        w.value("journal_address", request.journal_address, "  ")
    elif address is None or address.confidence == "unknown":
        w.placeholder("journal_address", address, "journal address", "  ")
    else:
        domain = preset.lookup("journal_domain", region)
        if domain is not None and domain.value is not None:
            w.from_preset("journal_domain", domain, "  ")
        w.from_preset("journal_address", address, "  ")
    if unconfirmed:
        for key, sourced in unconfirmed:
            w.comment(
                f"The preset's {key.replace('_', ' ')} ({yaml_scalar(w.show(sourced))}) are "
                f"unconfirmed: {preset.source_text(sourced.source)}",
                "  ",
            )
        w.comment(
            "Check them against the vendor's console, then set this to true, or write the "
            "values yourself. Until then validation fails (JG303).",
            "  ",
        )
        w.value("acknowledge_unconfirmed", False, "  ")


def _connector(w: _Writer, request: InitRequest) -> None:
    preset, region = w.preset, request.region
    lines: list[str] = []
    writes = False
    outer, w.lines = w.lines, lines
    name = preset.lookup("connector_name", region)
    if name is not None and name.value is not None:
        w.from_preset("name", name, "  ")
    else:
        w.lines.append(f"  # name: {yaml_scalar('Microsoft 365 to ' + preset.display_name)}")
    routing = preset.lookup("routing", region)
    routing_value = routing.value if routing is not None else "smart_hosts"
    if routing is not None and routing.confidence == "unknown":
        w.placeholder("routing", routing, "routing", "  ")
        writes = True
    elif routing is not None:
        w.from_preset("routing", routing, "  ")
    if routing_value in ("smart_hosts", None):
        hosts = preset.lookup("smart_hosts", region)
        if hosts is None or hosts.confidence == "unknown":
            w.placeholder("smart_hosts", hosts, "smart host", "  ")
            if routing_value is None:
                w.comment("With 'routing: mx_record', delete smart_hosts.", "  ")
            writes = True
        else:
            w.from_preset("smart_hosts", hosts, "  ")
    tls = preset.lookup("tls_mode", region)
    if tls is not None and tls.value == "encryption_only":
        w.lines.append("  tls:")
        w.from_preset("mode", tls, "    ")
        w.comment(
            "encryption_only does not check the archive's certificate: anyone who can intercept "
            "the connection can read journal reports. Set this to true only if you accept that "
            "downgrade, or write 'mode: certificate_validation'. Until then validation fails "
            "(JG214).",
            "    ",
        )
        w.value("acknowledge_downgrade", False, "    ")
        writes = True
    elif tls is not None and tls.value is not None:
        w.lines.append("  # tls:")
        w.from_preset("mode", tls, "  ", "#   ")
    w.lines = outer
    w.lines.append("")
    w.comment(
        "The outbound connector that routes journal reports to the archive; its recipient "
        "domain is the journal domain."
    )
    if writes:
        w.lines.append("connector:")
        w.lines.extend(lines)
    else:
        w.lines.append("# connector:")
        w.lines.extend(lines)


def generate(request: InitRequest) -> str:
    """The spec text from flags alone; raises :class:`UsageError` naming a missing flag."""
    return render(complete(request, None))


def remaining(spec_text: str, file: str) -> list[Diagnostic]:
    """What ``journalgen validate`` will say about a freshly written spec: what is left to do."""
    from journalgen.compiler import check_source

    try:
        checked = check_source(spec_text.encode("utf-8"), file)
    except SpecError as exc:
        return list(exc.diagnostics)
    return list(checked.warnings)

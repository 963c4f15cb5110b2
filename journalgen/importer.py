"""`journalgen import`: a commented spec that adopts the journaling setup a captured state holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from journalgen.checks import covers
from journalgen.clouds import in_initial_domain, initial_suffix
from journalgen.diagnostics import Diagnostic
from journalgen.errors import SpecError, UsageError
from journalgen.loader import Path
from journalgen.plan import SCOPES, TLS_SETTINGS, normalise
from journalgen.pydantic_errors import dotted
from journalgen.scaffold import SCHEMA_HEADER, comment_text, wrap_comment, yaml_scalar
from journalgen.state import Captured, MailContact, OutboundConnector, TenantState
from journalgen.state import JournalRule as StateRule
from journalgen.vendors import Preset, Sourced, presets

_TLS_MODES = {v.lower(): k for k, v in TLS_SETTINGS.items()}
_SCOPES = {v.lower(): k for k, v in SCOPES.items()}
_DEFAULT_CONTACT = "SMTP Journaling"


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What ``journalgen import`` was told; ``None`` is "not given"."""

    journal_address: str | None = None
    vendor: str | None = None


@dataclass(frozen=True, slots=True)
class Recognised:
    preset: Preset
    region: str | None
    reason: str


def _address(value: str | None) -> str:
    return str(normalise("address", value) or "")


def _hosts(value: Sequence[str]) -> frozenset[str]:
    return frozenset(h.lower() for h in value)


def _address_pattern(sourced: Sourced[str] | None, fmt: dict[str, str]) -> re.Pattern[str] | None:
    """The journal addresses a preset's value or placeholder stands for."""
    if sourced is None:
        return None
    template = sourced.value if sourced.value is not None else sourced.placeholder
    if template is None:
        return None
    try:
        text = template.format(**fmt)
    except KeyError:
        return None
    parts = re.split(r"<[^<>]+>", text)
    return re.compile("[^@]+".join(re.escape(p.lower()) for p in parts))


def recognise(
    primary_domain: str, address: str, connector: OutboundConnector | None
) -> Recognised | None:
    """The vendor preset (and region) whose journal address or smart hosts the tenant uses."""
    best: tuple[int, Recognised] | None = None
    hosts = _hosts(connector.smart_hosts) if connector is not None else frozenset()
    for preset in presets().values():
        if preset.name == "custom":
            continue
        regions: list[str | None] = [*preset.regions] or [None]
        for region in regions:
            fmt = preset.template_values(region, primary_domain)
            score, why = 0, list[str]()
            pattern = _address_pattern(preset.lookup("journal_address", region), fmt)
            if pattern is not None and pattern.fullmatch(address):
                score += 1
                why.append("the journal address")
            sourced = preset.lookup("smart_hosts", region)
            by_hosts = bool(sourced and sourced.value and _hosts(sourced.value) == hosts)
            if by_hosts:
                score += 2
                why.append("the smart hosts")
            if score and (best is None or score > best[0]):
                best = (score, Recognised(preset, region if by_hosts else None, " and ".join(why)))
    return best[1] if best is not None else None


def _rules_by_address(state: TenantState) -> dict[str, list[StateRule]]:
    groups: dict[str, list[StateRule]] = {}
    for rule in state.journal_rules:
        groups.setdefault(_address(rule.journal_email_address), []).append(rule)
    return groups


def _listing(groups: dict[str, list[StateRule]], show: Callable[[str], str] = str) -> str:
    return "; ".join(
        f"{show(address)} (rule{'s' if len(rules) > 1 else ''} "
        + ", ".join(f"'{show(r.name)}'" for r in rules)
        + ")"
        for address, rules in groups.items()
    )


def _choose_address(groups: dict[str, list[StateRule]], wanted: str | None) -> str:
    if not groups:
        raise UsageError(
            "the state has no journal rules, so there is nothing to adopt; start a spec with "
            "`journalgen init`"
        )
    if wanted is not None:
        if _address(wanted) not in groups:
            raise UsageError(
                f"--journal-address {wanted}: no journal rule of the state journals to it; the "
                f"rules journal to: {_listing(groups, comment_text)}"
            )
        return _address(wanted)
    if len(groups) > 1:
        raise UsageError(
            "the state's journal rules journal to several addresses: "
            f"{_listing(groups, comment_text)}; choose the one to adopt with --journal-address"
        )
    return next(iter(groups))


def _primary_domain(state: TenantState) -> str:
    organization = state.organization.lower()
    domains = [d for d in state.accepted_domains if d.domain_name.lower() != organization]
    default = [d.domain_name for d in domains if d.default]
    if default:
        return default[0]
    own = [d.domain_name for d in domains if not in_initial_domain(d.domain_name)]
    return own[0] if own else state.organization


def _connector_for(state: TenantState, journal_domain: str) -> list[OutboundConnector]:
    """Connectors that could carry journal reports to the journal domain, the likeliest first."""
    found = [
        c
        for c in state.outbound_connectors
        if not c.is_transport_rule_scoped
        and any(covers(d, journal_domain) for d in c.recipient_domains)
    ]
    return sorted(
        found,
        key=lambda c: (
            journal_domain.lower() not in {d.lower() for d in c.recipient_domains},
            not c.enabled,
            c.test_mode,
            c.name.lower(),
        ),
    )


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: str = "") -> None:
        """State values in ``text`` are shown, never read: see :func:`comment_text`."""
        self.lines.extend(wrap_comment(text, indent))

    def value(self, key: str, value: object, indent: str = "") -> None:
        self.lines.append(f"{indent}{key}: {yaml_scalar(value)}")

    def quiet(self, key: str, value: object, indent: str, why: str) -> None:
        """A value the preset or default supplies as it is: shown commented out, with its origin."""
        self.lines.append(f"{indent}# {key}: {yaml_scalar(value)}  # {why}")


def _confirmed(preset: Preset, key: str, region: str | None, fmt: dict[str, str]) -> object:
    sourced = preset.lookup(key, region)
    if sourced is None or sourced.confidence != "confirmed" or sourced.value is None:
        return None
    value = sourced.value
    return value.format(**fmt) if isinstance(value, str) else value


def _strings(data: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list | tuple):
        for at, value in enumerate(data):
            yield from _strings(value, (*path, at))


def _unwritable(captured: Captured) -> list[Diagnostic]:
    """Each state value import reads that no YAML can spell: one holding a lone surrogate."""
    # load_state refuses these already (JG406); a state built another way must not crash import.
    data = captured.state.model_dump(by_alias=True, exclude={"recipients", "recipient_lookups"})
    found = []
    for path, text in _strings(data, ()):
        lone = next((ch for ch in text if 0xD800 <= ord(ch) <= 0xDFFF), None)
        if lone is not None:
            found.append(
                Diagnostic.at(
                    captured.file,
                    captured.at(path),
                    "JG406",
                    f"{dotted(path)} holds the lone surrogate U+{ord(lone):04X}, which is not a "
                    "character: no spec can hold this value; capture the tenant again",
                )
            )
    return found


def render(captured: Captured, request: ImportRequest) -> str:
    """The spec text adopting the setup in ``captured`` (see :func:`_choose_address`).

    Every state value is written through :func:`yaml_scalar` or shown in a comment through
    :func:`comment_text`, so the spec means what the state says whatever the tenant named things.
    """
    unwritable = _unwritable(captured)
    if unwritable:
        raise SpecError(unwritable)
    state = captured.state
    groups = _rules_by_address(state)
    address = _choose_address(groups, request.journal_address)
    rules = groups[address]
    others = {a: r for a, r in groups.items() if a != address}
    journal_domain = address.rpartition("@")[2]
    primary = _primary_domain(state)
    candidates = _connector_for(state, journal_domain)
    connector = candidates[0] if candidates else None
    contact = next(
        (c for c in state.mail_contacts if _address(c.external_email_address) == address), None
    )

    known = presets()
    if request.vendor is not None:
        if request.vendor not in known:
            raise UsageError(
                f"--vendor {request.vendor!r} is not a known vendor; known: {', '.join(known)}"
            )
        found = recognise(primary, address, connector)
        region = found.region if found is not None and found.preset.name == request.vendor else None
        chosen = Recognised(known[request.vendor], region, "--vendor")
    else:
        chosen = recognise(primary, address, connector) or Recognised(
            known["custom"], None, "no preset matched"
        )
    preset, region = chosen.preset, chosen.region
    fmt = {**preset.template_values(region, primary), "journal_domain": journal_domain}
    out = _Lines()
    out.lines.extend(SCHEMA_HEADER)
    out.lines.append("#")
    out.comment(
        f"journalgen tenant spec adopting the journaling setup of {state.organization} as "
        f"captured at {state.captured_at} (state SHA-256 {captured.sha256})."
    )
    out.comment(
        "Written by `journalgen import`. Every value is what the tenant had; review each one, "
        "then `journalgen plan` against the same state should report no changes. Commented-out "
        "keys show a value the preset or journalgen supplies exactly as the tenant has it."
    )
    if chosen.reason == "--vendor":
        out.comment(f"Vendor: {preset.display_name}, as --vendor asked.")
    elif preset.name == "custom":
        out.comment(
            "Vendor: no preset matched the journal address or the smart hosts, so this spec "
            "writes every archive value out (vendor custom)."
        )
    else:
        out.comment(f"Vendor: {preset.display_name}, recognised from {chosen.reason}.")
    if others:
        out.comment(
            "Not adopted: journal rules to other addresses, which stay as they are and which "
            f"`journalgen plan` reports as unmanaged where they overlap: {_listing(others)}."
        )
    out.lines.append("version: 1")

    out.lines += ["", "tenant:"]
    out.value("primary_domain", primary, "  ")
    out.value("organization", state.organization, "  ")
    suffix = initial_suffix(state.organization)
    if suffix == ".onmicrosoft.us":
        # A captured state does not say which US government cloud: a wrong one fails at sign-in.
        out.comment("GCC High or DoD: write `dod` for a DoD tenant.", "  ")
        out.value("cloud", "gcc_high", "  ")
    elif suffix == ".partner.onmschina.cn":
        out.value("cloud", "china", "  ")
    other_domains = [
        d.domain_name
        for d in state.accepted_domains
        if d.domain_name.lower() not in {primary.lower(), state.organization.lower()}
        and not d.domain_name.lower().endswith(".mail.onmicrosoft.com")
    ]
    if other_domains:
        out.value("other_domains", other_domains, "  ")

    out.lines += ["", "archive:"]
    out.value("vendor", preset.name, "  ")
    if region is not None:
        out.value("region", region, "  ")
    if _confirmed(preset, "journal_address", region, fmt) == address:
        out.quiet("journal_address", address, "  ", f"{preset.name} preset, the tenant's value")
    else:
        out.comment("The address the tenant's journal rules journal to.", "  ")
        out.value("journal_address", address, "  ")

    _contact(out, contact, address)
    _connector(out, connector, candidates[1:], preset, region, fmt, journal_domain)

    out.lines.append("")
    out.comment("The tenant's journal rules to this address, in the order the state lists them.")
    out.lines.append("journal_rules:")
    for rule in rules:
        out.value("  - name", rule.name)
        out.value("scope", _SCOPES.get(rule.scope.lower(), rule.scope.lower()), "    ")
        if rule.recipient:
            out.value("recipient", _address(rule.recipient), "    ")
        out.value("enabled", rule.enabled, "    ")

    out.lines += [""]
    out.lines.append("ndr:")
    ndr = state.transport_config.journaling_report_ndr_to
    if _address(ndr):
        out.value("address", _address(ndr), "  ")
    else:
        out.comment(
            "TO DO: the tenant has no NDR address for journal reports. Choose a dedicated address "
            "you route; until then validation fails (JG113).",
            "  ",
        )
        out.value("address", "<dedicated NDR address>", "  ")
    out.value("queue_expiry_days", state.transport_config.journal_message_expiration_days, "  ")
    if len(state.journal_rules) > 50:
        out.lines += ["", "limits:"]
        out.value("max_journal_rules", min(300, len(state.journal_rules)), "  ")
    return "\n".join(out.lines) + "\n"


def _contact(out: _Lines, contact: MailContact | None, address: str) -> None:
    out.lines.append("")
    if contact is None:
        out.comment(
            f"No mail contact in the state has the address {address}: apply.ps1 will create "
            "this one (defaults shown)."
        )
        out.lines.append("# contact:")
        out.lines.append(f"#   name: {_DEFAULT_CONTACT}")
        return
    out.comment("The mail contact that stands for the journal address.")
    out.lines.append("contact:")
    out.value("name", contact.name, "  ")
    for key, value in (
        ("display_name", contact.display_name),
        ("first_name", contact.first_name),
        ("initials", contact.initials),
        ("last_name", contact.last_name),
        ("alias", contact.alias),
    ):
        if value:
            out.value(key, value, "  ")
    out.value("hidden_from_address_lists", contact.hidden_from_address_lists_enabled, "  ")


def _connector(
    out: _Lines,
    connector: OutboundConnector | None,
    others: Sequence[OutboundConnector],
    preset: Preset,
    region: str | None,
    fmt: dict[str, str],
    journal_domain: str,
) -> None:
    out.lines.append("")
    if connector is None:
        out.comment(
            f"No outbound connector in the state routes {journal_domain}, so journal reports "
            "follow its MX records today. apply.ps1 will create this connector, which does the "
            "same; write smart_hosts and routing: smart_hosts to send them elsewhere."
        )
        out.lines.append("connector:")
        out.value("routing", "mx_record", "  ")
        return
    out.comment("The outbound connector that routes journal reports to the archive.")
    if others:
        out.comment(
            "Other connectors that also route the journal domain, not adopted: "
            + ", ".join(f"'{c.name}'" for c in others)
            + ".",
        )
    out.lines.append("connector:")
    origin = f"{preset.name} preset, the tenant's value"
    if _confirmed(preset, "connector_name", region, fmt) == connector.name:
        out.quiet("name", connector.name, "  ", origin)
    else:
        out.value("name", connector.name, "  ")
    if connector.comment:
        out.value("comment", connector.comment, "  ")
    else:
        out.comment(
            "The connector has no comment; apply.ps1 will set journalgen's default one.", "  "
        )
    out.value("enabled", connector.enabled, "  ")
    domains = list(connector.recipient_domains)
    if [d.lower() for d in domains] != [journal_domain]:
        out.value("recipient_domains", domains, "  ")
    routing = "mx_record" if connector.use_mx_record else "smart_hosts"
    if _confirmed(preset, "routing", region, fmt) == routing:
        out.quiet("routing", routing, "  ", origin)
    else:
        out.value("routing", routing, "  ")
    if not connector.use_mx_record:
        preset_hosts = _confirmed(preset, "smart_hosts", region, fmt)
        if isinstance(preset_hosts, tuple) and _hosts(preset_hosts) == _hosts(
            connector.smart_hosts
        ):
            out.quiet("smart_hosts", list(connector.smart_hosts), "  ", origin)
        else:
            out.value("smart_hosts", list(connector.smart_hosts), "  ")
    tls = (connector.tls_settings or "").lower()
    mode = _TLS_MODES.get(tls)
    tls_out = _Lines()
    if mode is None:
        tls_out.comment(
            f"The connector's TLS setting is {connector.tls_settings or 'not set (opportunistic TLS)'}, "
            "which a spec cannot express: apply.ps1 will require a certificate from a trusted CA.",
            "    ",
        )
        tls_out.value("mode", "certificate_validation", "    ")
    elif _confirmed(preset, "tls_mode", region, fmt) == mode and not connector.tls_domain:
        tls_out.quiet("mode", mode, "    ", origin)
    else:
        tls_out.value("mode", mode, "    ")
    if connector.tls_domain:
        tls_out.value("domain", connector.tls_domain, "    ")
    if mode == "encryption_only":
        tls_out.comment(
            "TO DO: the tenant accepts any certificate from the archive (EncryptionOnly). Set "
            "this to true to keep that downgrade, or choose certificate_validation. Until then "
            "validation fails (JG214).",
            "    ",
        )
        tls_out.value("acknowledge_downgrade", False, "    ")
    if all(line.lstrip().startswith("#") for line in tls_out.lines):
        out.lines.append("  # tls:")
        out.lines.extend(line.replace("    # ", "  #   ", 1) for line in tls_out.lines)
    else:
        out.lines.append("  tls:")
        out.lines.extend(tls_out.lines)

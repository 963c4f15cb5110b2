"""The plan: the ordered Exchange objects a spec describes, each with the settings the scripts manage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from journalgen.clouds import CLOUDS, CloudInfo
from journalgen.resolve import Resolved

ResourceType = Literal["MailContact", "OutboundConnector", "TransportConfig", "JournalRule"]
CompareKind = Literal["text", "address", "domain", "list", "enum", "bool", "int"]
Value = str | bool | int | tuple[str, ...] | None

# How each managed Exchange property is compared with what the tenant returns (R11). One table
# for the plan, the scripts' engine and the tests, so all three normalise alike.
COMPARE: Mapping[str, CompareKind] = {
    "ExternalEmailAddress": "address",
    "DisplayName": "text",
    "Alias": "text",
    "FirstName": "text",
    "Initials": "text",
    "LastName": "text",
    "HiddenFromAddressListsEnabled": "bool",
    "ConnectorType": "enum",
    "Comment": "text",
    "Enabled": "bool",
    "RecipientDomains": "list",
    "UseMXRecord": "bool",
    "SmartHosts": "list",
    "TlsSettings": "enum",
    "TlsDomain": "domain",
    "IsTransportRuleScoped": "bool",
    "TestMode": "bool",
    "JournalingReportNdrTo": "address",
    "JournalMessageExpirationDays": "int",
    "JournalEmailAddress": "address",
    "Scope": "enum",
    "Recipient": "address",
}

TLS_SETTINGS = {
    "certificate_validation": "CertificateValidation",
    "domain_validation": "DomainValidation",
    "encryption_only": "EncryptionOnly",
}
SCOPES = {"global": "Global", "internal": "Internal", "external": "External"}

# Connector settings apply.ps1 does not write but refuses to adopt, and verify.ps1 reports:
# Mandatory DANE drops journal reports to an archive without DNSSEC (New-OutboundConnector help).
# -SmtpDaneMode is new (2026) on Set-OutboundConnector, so the engine never writes it.
CONNECTOR_MUST_NOT: Mapping[str, str] = {"SmtpDaneMode": "Mandatory"}


@dataclass(frozen=True, slots=True)
class Setting:
    """One value the scripts use, and the spec key it comes from.

    In a resource it is an Exchange property the scripts set and compare.
    """

    name: str
    value: Value
    source: str

    @property
    def compare(self) -> CompareKind:
        return COMPARE[self.name]


@dataclass(frozen=True, slots=True)
class Resource:
    """One Exchange object, identified by name, with its desired settings in the order applied."""

    type: ResourceType
    identity: str
    title: str
    settings: tuple[Setting, ...]
    identity_source: str

    def values(self) -> dict[str, Value]:
        return {s.name: s.value for s in self.settings}


# What the backup records of a retired object, so rollback can recreate it: the settings its
# New-* cmdlet takes (and Set-MailContact's address-book flag). One table for the plan, the
# engine (as $JgRetireProperties) and the tests. SmtpDaneMode and MtaStsMode are newer (2026)
# than some module versions: the engine records them only when Exchange returns them.
RETIRE_PROPERTIES: Mapping[ResourceType, tuple[str, ...]] = {
    "JournalRule": ("JournalEmailAddress", "Scope", "Recipient", "Enabled"),
    "MailContact": (
        "ExternalEmailAddress",
        "DisplayName",
        "Alias",
        "FirstName",
        "Initials",
        "LastName",
        "HiddenFromAddressListsEnabled",
    ),
    "OutboundConnector": (
        "ConnectorType",
        "Comment",
        "Enabled",
        "RecipientDomains",
        "UseMXRecord",
        "SmartHosts",
        "TlsSettings",
        "TlsDomain",
        "IsTransportRuleScoped",
        "TestMode",
        "SmtpDaneMode",
        "MtaStsMode",
    ),
}

# Apply removes retired objects in this order: no rule may journal to a missing contact, and the
# connector goes last so reports still queued for the old archive keep their route.
RETIRE_ORDER: tuple[tuple[str, ResourceType, str], ...] = (
    ("journal_rules", "JournalRule", "Journal rule"),
    ("contacts", "MailContact", "Mail contact"),
    ("connectors", "OutboundConnector", "Outbound connector"),
)


RETIRE_RANK: Mapping[ResourceType, int] = {kind: i for i, (_, kind, _) in enumerate(RETIRE_ORDER)}


class _Removable(Protocol):
    @property
    def type(self) -> ResourceType: ...


R = TypeVar("R", bound=_Removable)


def removal_stages(
    items: Sequence[R], holds_journal_address: Callable[[R], bool]
) -> tuple[tuple[R, ...], tuple[R, ...]]:
    """Retired objects as apply removes them: those it removes before the spec's contact step,
    and those it removes after the spec's objects have converged, each in :data:`RETIRE_ORDER`.

    A retired contact that holds the spec's journal address (a renamed contact) goes first: the
    spec's contact cannot get that address while it exists, as Exchange gives an address to one
    recipient only (the engine's Remove-JgRetiredHolder).
    """
    ordered = sorted(items, key=lambda item: RETIRE_RANK[item.type])
    first = tuple(i for i in ordered if i.type == "MailContact" and holds_journal_address(i))
    return first, tuple(i for i in ordered if i not in first)


@dataclass(frozen=True, slots=True)
class Retired:
    """One object apply.ps1 removes from the tenant, identified by name."""

    type: ResourceType
    identity: str
    title: str
    source: str


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the generated scripts do, decided here so the templates only print it."""

    resolved: Resolved
    spec_name: str
    spec_sha256: str
    resources: tuple[Resource, ...]
    meta: tuple[Setting, ...]
    """The tenant-level values the scripts' engine reads (``$Journalgen``), beside the resources."""
    retired: tuple[Retired, ...] = ()
    """The objects apply removes after the resources converge, in the order it removes them."""

    @property
    def spec_stem(self) -> str:
        return self.spec_name.rsplit(".", 1)[0] if "." in self.spec_name else self.spec_name

    @property
    def cloud(self) -> CloudInfo:
        return CLOUDS[self.resolved.cloud]

    @property
    def environment_name(self) -> str | None:
        """`Connect-ExchangeOnline -ExchangeEnvironmentName` for the tenant's cloud, if it needs one."""
        return self.cloud.environment

    @property
    def backup_name(self) -> str:
        """The file apply.ps1 keeps the state before its first run in, one per spec version."""
        return f"journalgen-backup-{self.spec_stem}-{self.spec_sha256[:12]}.json"

    @property
    def contact(self) -> Resource:
        return self.resources[0]

    @property
    def connector(self) -> Resource:
        return self.resources[1]

    @property
    def transport(self) -> Resource:
        return self.resources[2]

    @property
    def rules(self) -> tuple[Resource, ...]:
        return self.resources[3:]

    def sources(self) -> set[str]:
        """Every key the plan's values come from: what of the spec reaches the scripts."""
        values = [*self.meta, *(s for resource in self.resources for s in resource.settings)]
        identities = {resource.identity_source for resource in self.resources}
        retired = {item.source for item in self.retired}
        return {s.source for s in values} | identities | retired

    @property
    def retired_contacts(self) -> tuple[Retired, ...]:
        """Retired contacts: one that holds the journal address (a renamed contact) is removed
        before the spec's contact step, the others after the spec's objects (removal_stages).
        """
        return tuple(item for item in self.retired if item.type == "MailContact")

    @property
    def paused(self) -> bool:
        """Every rule is disabled: the change pauses journaling."""
        return not any(rule.enabled for rule in self.resolved.rules)


def _contact(r: Resolved) -> Resource:
    c = r.contact
    settings = [
        Setting("ExternalEmailAddress", r.journal_address, "archive.journal_address"),
        Setting("DisplayName", c.display_name, "contact.display_name"),
        Setting("Alias", c.alias, "contact.alias"),
    ]
    # Unset name parts stay as the tenant has them: the spec does not manage what it omits.
    for name, value, key in (
        ("FirstName", c.first_name, "contact.first_name"),
        ("Initials", c.initials, "contact.initials"),
        ("LastName", c.last_name, "contact.last_name"),
    ):
        if value is not None:
            settings.append(Setting(name, value, key))
    settings.append(
        Setting(
            "HiddenFromAddressListsEnabled",
            c.hidden_from_address_lists,
            "contact.hidden_from_address_lists",
        )
    )
    return Resource(
        "MailContact", c.name, f"Mail contact '{c.name}'", tuple(settings), "contact.name"
    )


def _connector(r: Resolved) -> Resource:
    c = r.connector
    by_mx = c.routing == "mx_record"
    settings = [
        Setting("ConnectorType", "Partner", "journalgen (journal reports go to a partner)"),
        Setting("Comment", c.comment, "connector.comment"),
        Setting("Enabled", c.enabled, "connector.enabled"),
        Setting("RecipientDomains", c.recipient_domains, "connector.recipient_domains"),
        Setting("UseMXRecord", by_mx, "connector.routing"),
        Setting("SmartHosts", None if by_mx else c.smart_hosts, "connector.smart_hosts"),
        Setting("TlsSettings", TLS_SETTINGS[c.tls_mode], "connector.tls.mode"),
        Setting("TlsDomain", c.tls_domain, "connector.tls.domain"),
        # Journal reports ignore transport rules, so a rule-scoped connector never sees them (R7).
        Setting("IsTransportRuleScoped", False, "journalgen (R7)"),
        # A test-mode connector may not carry journal reports, nor be listed as the engine expects.
        Setting(
            "TestMode", False, "journalgen (a test-mode connector may not carry journal reports)"
        ),
    ]
    return Resource(
        "OutboundConnector",
        c.name,
        f"Outbound connector '{c.name}'",
        tuple(settings),
        "connector.name",
    )


def _transport(r: Resolved) -> Resource:
    settings = [Setting("JournalingReportNdrTo", r.ndr.address, "ndr.address")]
    if r.ndr.queue_expiry_days is not None:
        settings.append(
            Setting(
                "JournalMessageExpirationDays", r.ndr.queue_expiry_days, "ndr.queue_expiry_days"
            )
        )
    return Resource(
        "TransportConfig",
        "TransportConfig",
        "Undeliverable journal reports (NDR)",
        tuple(settings),
        "journalgen (one per tenant)",
    )


def _rule(r: Resolved, index: int) -> Resource:
    rule = r.rules[index]
    key = f"journal_rules[{index}]"
    settings = (
        Setting("JournalEmailAddress", r.journal_address, "archive.journal_address"),
        Setting("Scope", SCOPES[rule.scope], f"{key}.scope"),
        Setting("Recipient", rule.recipient, f"{key}.recipient"),
        # Always explicit: New-JournalRule defaults to disabled (R5).
        Setting("Enabled", rule.enabled, f"{key}.enabled"),
    )
    return Resource(
        "JournalRule", rule.name, f"Journal rule '{rule.name}'", settings, f"{key}.name"
    )


def _meta(r: Resolved) -> tuple[Setting, ...]:
    return (
        Setting("PrimaryDomain", r.primary_domain, "tenant.primary_domain"),
        Setting("Organization", r.organization, "tenant.organization"),
        Setting("JournalDomain", r.journal_domain, "archive.journal_domain"),
        Setting("JournalAddress", r.journal_address, "archive.journal_address"),
        Setting("ContactName", r.contact.name, "contact.name"),
        Setting("ConnectorName", r.connector.name, "connector.name"),
        Setting("NdrAddress", r.ndr.address, "ndr.address"),
        Setting("MaxJournalRules", r.max_journal_rules, "limits.max_journal_rules"),
        Setting("ExchangeEnvironmentName", CLOUDS[r.cloud].environment, "tenant.cloud"),
    )


def _retired(r: Resolved) -> tuple[Retired, ...]:
    return tuple(
        Retired(type_, name, f"{label} '{name}'", f"retire.{kind}")
        for kind, type_, label in RETIRE_ORDER
        for name in getattr(r.retire, kind)
    )


def build_plan(resolved: Resolved, spec_name: str, source: bytes) -> Plan:
    """Order the objects as Exchange needs them (R1): contact, connector, NDR address, rules;
    then the retired objects, once the spec's own have converged.
    """
    resources = (
        _contact(resolved),
        _connector(resolved),
        _transport(resolved),
        *(_rule(resolved, i) for i in range(len(resolved.rules))),
    )
    return Plan(
        resolved,
        spec_name,
        spec_sha256(source),
        resources,
        _meta(resolved),
        _retired(resolved),
    )


def spec_sha256(source: bytes) -> str:
    """The spec's hash over its text with CRLF read as LF, so a spec git checked out with Windows
    line endings has the same hash as in CI.
    """
    return hashlib.sha256(source.replace(b"\r\n", b"\n")).hexdigest()


# --- the comparison the scripts make, modelled here so it can be tested without PowerShell ---


def normalise(kind: CompareKind, value: object) -> object:
    """The form in which a desired and a current value are compared (R11)."""
    if value is None or value == "" or (isinstance(value, list | tuple) and not value):
        return None
    if kind == "address":
        text = str(value)
        if text == "<>":  # how Exchange shows an address that was never set
            return None
        if text[:5].lower() == "smtp:":
            text = text[5:]
        return text.lower()
    if kind in ("domain", "enum"):
        return str(value).lower()
    if kind == "list":
        items = value if isinstance(value, list | tuple) else [value]
        return tuple(sorted({str(v).lower() for v in items if str(v)})) or None
    return value


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    old: object
    new: Value


def diff(resource: Resource, current: Mapping[str, object] | None) -> Sequence[Change] | None:
    """The settings to change on an existing object, or ``None`` when it must be created."""
    if current is None:
        return None
    return [
        Change(s.name, current.get(s.name), s.value)
        for s in resource.settings
        if normalise(s.compare, s.value) != normalise(s.compare, current.get(s.name))
    ]

"""The tenant spec, format version 1: strict, immutable pydantic models, the single source of truth."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from journalgen import textpolicy

SPEC_VERSIONS = (1,)
SCHEMA_ID = "https://journalgen.dev/schemas/journalgen-spec-v1.schema.json"

Text = Annotated[str, AfterValidator(textpolicy.safe_text)]
Name = Annotated[str, AfterValidator(textpolicy.safe_text), Field(max_length=64)]
DisplayName = Annotated[str, AfterValidator(textpolicy.safe_text), Field(max_length=256)]
Domain = Annotated[str, AfterValidator(textpolicy.domain)]
WildcardDomain = Annotated[str, AfterValidator(textpolicy.wildcard_domain)]
TenantDomain = Annotated[str, AfterValidator(textpolicy.onmicrosoft_domain)]
Address = Annotated[str, AfterValidator(textpolicy.address), Field(max_length=320)]
Alias = Annotated[str, AfterValidator(textpolicy.alias), Field(max_length=64)]
SmartHost = Annotated[str, AfterValidator(textpolicy.smart_host)]
T = TypeVar("T")


def _list_as_tuple(value: object) -> object:
    # YAML gives lists; the models keep tuples so a loaded spec is immutable all the way down.
    return tuple(value) if isinstance(value, list) else value


Items = Annotated[tuple[T, ...], BeforeValidator(_list_as_tuple)]


class _Model(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, use_attribute_docstrings=True
    )


TlsMode = Literal["certificate_validation", "domain_validation", "encryption_only"]
Routing = Literal["smart_hosts", "mx_record"]
Scope = Literal["global", "internal", "external"]
NdrDomainPolicy = Literal["tenant", "external", "any"]


class Tenant(_Model):
    """The Microsoft 365 tenant being configured."""

    primary_domain: Domain
    """The tenant's primary SMTP domain, e.g. `contoso.com`. The apply script refuses to run
    against a tenant that does not have it as an accepted domain."""
    organization: TenantDomain
    """The tenant's initial `.onmicrosoft.com` domain; used for app-only sign-in (`-Organization`)."""
    other_domains: Items[Domain] = ()
    """Other accepted domains of the tenant; checks use them to keep journal routing and NDR
    addresses apart from the tenant's own mail."""


class Archive(_Model):
    """The external archive that receives journal reports."""

    vendor: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    """The archive vendor; its preset supplies defaults (`mimecast`, `custom`, ...)."""
    region: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] | None = None
    """The vendor region that picks the smart hosts, where the vendor has regions (e.g. `us`)."""
    journal_domain: Domain | None = None
    """The archive's journal domain. Default: from the vendor preset (Mimecast:
    `journal.<primary domain>`)."""
    journal_address: Address | None = None
    """The address journal reports are sent to. Default: from the vendor preset (Mimecast:
    `journaling@journal.<primary domain>`)."""
    acknowledge_unconfirmed: bool = False
    """Accept preset values whose source is unconfirmed (for example smart hosts of a region
    that only a community script lists). Without it such values must be written out."""


class Contact(_Model):
    """The external mail contact that stands for the journal address (`New-MailContact`)."""

    name: Name = "SMTP Journaling"
    """`-Name`: the contact's unique name, at most 64 characters."""
    display_name: DisplayName | None = None
    """`-DisplayName`, at most 256 characters. Default: the name."""
    first_name: Name | None = None
    """`-FirstName`."""
    initials: Annotated[Text, Field(max_length=6)] | None = None
    """`-Initials`, at most 6 characters."""
    last_name: Name | None = None
    """`-LastName`."""
    alias: Alias | None = None
    """`-Alias`. Default: the name without the characters an alias cannot have."""
    hidden_from_address_lists: bool = True
    """`Set-MailContact -HiddenFromAddressListsEnabled`: keep the contact out of the address book."""


class Tls(_Model):
    """How the connector secures the SMTP session to the smart hosts."""

    mode: TlsMode | None = None
    """`-TlsSettings`: `certificate_validation` (a certificate from a trusted CA, the default),
    `domain_validation` (also checks the certificate's name against `domain`) or
    `encryption_only` (no certificate check: a downgrade). Default: from the vendor preset."""
    domain: WildcardDomain | None = None
    """`-TlsDomain`: the name the certificate must carry; only with `domain_validation`."""
    acknowledge_downgrade: bool = False
    """Must be `true` to use `encryption_only`."""


class Connector(_Model):
    """The outbound connector that routes journal reports to the archive (`New-OutboundConnector`)."""

    name: Name | None = None
    """`-Name`, at most 64 characters. Default: `Microsoft 365 to <vendor>`."""
    comment: Annotated[Text, Field(max_length=1024)] | None = None
    """`-Comment`. Default: a line saying journalgen manages the connector and what it is for."""
    enabled: bool = True
    """`-Enabled`."""
    recipient_domains: Items[WildcardDomain] | None = Field(default=None, min_length=1)
    """`-RecipientDomains`: mail to these domains uses the connector. Default: the journal domain."""
    routing: Routing | None = None
    """`smart_hosts` (`-UseMXRecord $false -SmartHosts ...`) or `mx_record` (`-UseMXRecord $true`).
    Default: from the vendor preset."""
    smart_hosts: Items[SmartHost] | None = Field(default=None, min_length=1)
    """`-SmartHosts`: FQDNs, IP addresses or CIDR ranges. Default: the preset's hosts for the region."""
    tls: Tls = Tls()
    """`-TlsSettings` and `-TlsDomain`."""


class JournalRule(_Model):
    """One journal rule (`New-JournalRule`)."""

    name: Name
    """`-Name`, unique, at most 64 characters."""
    scope: Scope = "global"
    """`-Scope`: `global` (all messages), `internal` or `external`."""
    recipient: Address | None = None
    """`-Recipient`: journal only mail to or from this one address; omit to journal everyone."""
    enabled: bool = True
    """`-Enabled`, always written out: a rule created without it does nothing."""


class Ndr(_Model):
    """Where undeliverable journal reports go (`Set-TransportConfig`)."""

    address: Address
    """`-JournalingReportNdrTo`: a dedicated address that receives undeliverable journal reports."""
    queue_expiry_days: Annotated[int, Field(ge=0, le=7)] | None = None
    """`-JournalMessageExpirationDays` (0-7): how long undeliverable reports are queued.
    Left as the tenant has it when omitted."""
    domain_policy: NdrDomainPolicy | None = None
    """Where the NDR address must be: `tenant` (one of the tenant's domains, as Mimecast and
    Proofpoint ask), `external` (outside them, as MirrorWeb asks) or `any`. Default: from the
    vendor preset."""


class Limits(_Model):
    """Limits the checks enforce."""

    max_journal_rules: Annotated[int, Field(ge=1, le=300)] = 50
    """Warn when the spec has more journal rules than this (Microsoft documents 10, 50 or 300)."""


class Spec(_Model):
    """A journalgen tenant spec, format version 1."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        title="journalgen tenant spec",
        json_schema_extra={"$id": SCHEMA_ID},
    )

    version: Literal[1]
    """The spec format version. Only `1` exists."""
    tenant: Tenant
    archive: Archive
    contact: Contact = Contact()
    connector: Connector = Connector()
    journal_rules: Items[JournalRule] = Field(min_length=1)
    """The journal rules, in the order they are created."""
    ndr: Ndr
    limits: Limits = Limits()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec, as committed in ``schemas/``."""
    schema = Spec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}

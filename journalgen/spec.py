"""The tenant spec, format version 1: strict, immutable pydantic models, the single source of truth."""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from journalgen import textpolicy
from journalgen.clouds import Cloud

SPEC_VERSIONS = (1,)
# An identifier, not a location: nothing serves the schema. `journalgen schema` prints it, and
# schemas/ in the repository (and in a spec repository that copies it) holds it for editors.
SCHEMA_ID = "urn:journalgen:spec-v1"
SCHEMA_FILE = "journalgen-spec-v1.schema.json"

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


@dataclass(frozen=True, slots=True)
class Wiring:
    """Where a spec field goes: the Exchange parameter it becomes, and a realistic example value.

    ``exchange`` is ``None`` for a field that only steers journalgen. Every leaf field of the spec
    carries one (see :func:`exchange` and :func:`journalgen_only`); the docs, ``explain`` and the
    guard test that every field reaches the plan all read it. The example is also the JSON Schema's
    ``examples``, which editors show.
    """

    exchange: str | None
    example: Any

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        example = list(self.example) if isinstance(self.example, tuple) else self.example
        return {**schema, "examples": [example]}


def exchange(parameter: str, *, example: Any) -> Wiring:
    """Metadata of a field the scripts pass to Exchange Online as ``parameter`` (Markdown)."""
    return Wiring(parameter, example)


def journalgen_only(*, example: Any) -> Wiring:
    """Metadata of a field that steers journalgen (checks, presets) and is no Exchange parameter."""
    return Wiring(None, example)


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

    primary_domain: Annotated[
        Domain,
        exchange(
            "`Get-AcceptedDomain` (the scripts refuse to run in a tenant without it)",
            example="contoso.com",
        ),
    ]
    """The tenant's primary SMTP domain, e.g. `contoso.com`. The apply script refuses to run
    against a tenant that does not have it as an accepted domain."""
    organization: Annotated[
        TenantDomain,
        exchange(
            "`Connect-ExchangeOnline -Organization`; checked at run time",
            example="contoso.onmicrosoft.com",
        ),
    ]
    """The tenant's initial domain: `<name>.onmicrosoft.com` (commercial, GCC),
    `<name>.onmicrosoft.us` (GCC High, DoD) or `<name>.partner.onmschina.cn` (21Vianet); used for
    app-only sign-in (`-Organization`) and by the tenant guard."""
    cloud: Annotated[
        Cloud,
        exchange(
            "`Connect-ExchangeOnline -ExchangeEnvironmentName` (omitted for commercial and GCC)",
            example="gcc",
        ),
    ] = "commercial"
    """The Microsoft 365 cloud the tenant lives in: `commercial`, `gcc`, `gcc_high`, `dod` or
    `china` (Office 365 operated by 21Vianet). It decides the initial domain's suffix and the
    scripts' `Connect-ExchangeOnline -ExchangeEnvironmentName` (`O365USGovGCCHigh`,
    `O365USGovDoD`, `O365China`; none for commercial and GCC). App-only sign-in to Exchange
    Online in GCC High and DoD is contradicted in Microsoft's own docs and untested: sign in
    interactively there until a test tenant settles it."""
    other_domains: Annotated[
        Items[Domain], journalgen_only(example=("contoso.co.uk", "fabrikam.com"))
    ] = ()
    """Other accepted domains of the tenant; checks use them to keep journal routing and NDR
    addresses apart from the tenant's own mail."""


class Archive(_Model):
    """The external archive that receives journal reports."""

    vendor: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$"), journalgen_only(example="mimecast")]
    """The archive vendor; its preset supplies defaults (`mimecast`, `custom`, ...)."""
    region: Annotated[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] | None, journalgen_only(example="us")
    ] = None
    """The vendor region that picks the smart hosts, where the vendor has regions (e.g. `us`)."""
    journal_domain: Annotated[
        Domain | None,
        exchange(
            "`New-OutboundConnector -RecipientDomains` (its default)", example="journal.contoso.com"
        ),
    ] = None
    """The archive's journal domain. Default: from the vendor preset (Mimecast:
    `journal.<primary domain>`)."""
    journal_address: Annotated[
        Address | None,
        exchange(
            "`New-MailContact -ExternalEmailAddress`; the rules' `-JournalEmailAddress` names this contact",
            example="journaling@journal.contoso.com",
        ),
    ] = None
    """The address journal reports are sent to. Default: from the vendor preset (Mimecast:
    `journaling@journal.<primary domain>`)."""
    acknowledge_unconfirmed: Annotated[bool, journalgen_only(example=True)] = False
    """Accept preset values whose source is unconfirmed (for example smart hosts of a region
    that only a community script lists). Without it such values must be written out."""


class Contact(_Model):
    """The external mail contact that stands for the journal address (`New-MailContact`)."""

    name: Annotated[Name, exchange("`New-MailContact -Name`", example="SMTP Journaling")] = (
        "SMTP Journaling"
    )
    """`-Name`: the contact's unique name, at most 64 characters."""
    display_name: Annotated[
        DisplayName | None, exchange("`New-MailContact -DisplayName`", example="SMTP Journaling")
    ] = None
    """`-DisplayName`, at most 256 characters. Default: the name."""
    first_name: Annotated[Name | None, exchange("`New-MailContact -FirstName`", example="SMTP")] = (
        None
    )
    """`-FirstName`."""
    initials: Annotated[
        Annotated[Text, Field(max_length=6)] | None,
        exchange("`New-MailContact -Initials`", example="SJ"),
    ] = None
    """`-Initials`, at most 6 characters."""
    last_name: Annotated[
        Name | None, exchange("`New-MailContact -LastName`", example="Journaling")
    ] = None
    """`-LastName`."""
    alias: Annotated[Alias | None, exchange("`New-MailContact -Alias`", example="Journaling")] = (
        None
    )
    """`-Alias`. Default: the name in ASCII (ö as o, ß as ss) without the characters an alias
    cannot have; JG224 warns when it leaves out letters that have no ASCII spelling."""
    hidden_from_address_lists: Annotated[
        bool, exchange("`Set-MailContact -HiddenFromAddressListsEnabled`", example=True)
    ] = True
    """`Set-MailContact -HiddenFromAddressListsEnabled`: keep the contact out of the address book."""


class Tls(_Model):
    """How the connector secures the SMTP session to the smart hosts."""

    mode: Annotated[
        TlsMode | None,
        exchange("`New-OutboundConnector -TlsSettings`", example="domain_validation"),
    ] = None
    """`-TlsSettings`: `certificate_validation` (a certificate from a trusted CA, the default),
    `domain_validation` (also checks the certificate's name against `domain`) or
    `encryption_only` (no certificate check: a downgrade). Default: from the vendor preset."""
    domain: Annotated[
        WildcardDomain | None,
        exchange("`New-OutboundConnector -TlsDomain`", example="*.mimecast.com"),
    ] = None
    """`-TlsDomain`: the name the certificate must carry; only with `domain_validation`."""
    acknowledge_downgrade: Annotated[bool, journalgen_only(example=True)] = False
    """Must be `true` to use `encryption_only`."""


class Connector(_Model):
    """The outbound connector that routes journal reports to the archive (`New-OutboundConnector`)."""

    name: Annotated[
        Name | None, exchange("`New-OutboundConnector -Name`", example="Microsoft 365 to Mimecast")
    ] = None
    """`-Name`, at most 64 characters. Default: `Microsoft 365 to <vendor>`."""
    comment: Annotated[
        Annotated[Text, Field(max_length=1024)] | None,
        exchange(
            "`New-OutboundConnector -Comment`",
            example="Sends journal reports to Mimecast over TLS.",
        ),
    ] = None
    """`-Comment`. Default: a line saying journalgen manages the connector and what it is for."""
    enabled: Annotated[bool, exchange("`New-OutboundConnector -Enabled`", example=True)] = True
    """`-Enabled`."""
    recipient_domains: Annotated[
        Items[WildcardDomain] | None,
        exchange("`New-OutboundConnector -RecipientDomains`", example=("journal.contoso.com",)),
    ] = Field(default=None, min_length=1)
    """`-RecipientDomains`: mail to these domains uses the connector. Default: the journal domain."""
    routing: Annotated[
        Routing | None, exchange("`New-OutboundConnector -UseMXRecord`", example="smart_hosts")
    ] = None
    """`smart_hosts` (`-UseMXRecord $false -SmartHosts ...`) or `mx_record` (`-UseMXRecord $true`).
    Default: from the vendor preset."""
    smart_hosts: Annotated[
        Items[SmartHost] | None,
        exchange(
            "`New-OutboundConnector -SmartHosts`",
            example=("us-smtp-journal-1.mimecast.com", "203.0.113.25", "198.51.100.0/28"),
        ),
    ] = Field(default=None, min_length=1)
    """`-SmartHosts`: FQDNs, IP addresses or CIDR ranges. Default: the preset's hosts for the region."""
    tls: Tls = Tls()
    """`-TlsSettings` and `-TlsDomain`."""


class JournalRule(_Model):
    """One journal rule (`New-JournalRule`)."""

    name: Annotated[
        Name, exchange("`New-JournalRule -Name`", example="Journal all messages to Mimecast")
    ]
    """`-Name`, unique, at most 64 characters."""
    scope: Annotated[Scope, exchange("`New-JournalRule -Scope`", example="external")] = "global"
    """`-Scope`: `global` (all messages), `internal` or `external`."""
    recipient: Annotated[
        Address | None, exchange("`New-JournalRule -Recipient`", example="board@contoso.com")
    ] = None
    """`-Recipient`: journal only mail to or from this one address; omit to journal everyone."""
    enabled: Annotated[
        bool,
        exchange(
            "`New-JournalRule -Enabled`; `Enable-JournalRule`/`Disable-JournalRule` on update",
            example=False,
        ),
    ] = True
    """`-Enabled`, always written out: a rule created without it does nothing."""
    paused_reason: Annotated[
        Annotated[Text, Field(max_length=256)] | None,
        journalgen_only(example="Paused while the archive contract is renewed (CHG-1234)"),
    ] = None
    """Why a disabled rule is paused, at most 256 characters; only with `enabled: false`. It is
    shown in the scripts' summary and the change document, and acknowledges warning JG218."""


class Ndr(_Model):
    """Where undeliverable journal reports go (`Set-TransportConfig`)."""

    address: Annotated[
        Address,
        exchange("`Set-TransportConfig -JournalingReportNdrTo`", example="journal-ndr@contoso.com"),
    ]
    """`-JournalingReportNdrTo`: a dedicated address that receives undeliverable journal reports."""
    queue_expiry_days: Annotated[
        Annotated[int, Field(ge=0, le=7)] | None,
        exchange("`Set-TransportConfig -JournalMessageExpirationDays`", example=7),
    ] = None
    """`-JournalMessageExpirationDays` (0-7): how long undeliverable reports are queued.
    Left as the tenant has it when omitted."""
    domain_policy: Annotated[NdrDomainPolicy | None, journalgen_only(example="tenant")] = None
    """Where the NDR address must be: `tenant` (one of the tenant's domains, as Mimecast and
    Proofpoint ask), `external` (outside them, as MirrorWeb asks) or `any`. Default: from the
    vendor preset."""


class Retire(_Model):
    """Objects an earlier spec (or an admin) made that apply.ps1 removes from the tenant, after the
    spec's own objects are in place: rules first, then contacts, then connectors. Names only;
    an object already absent is left alone. The backup apply.ps1 writes records each one, so
    `rollback.ps1 -BackupPath` can recreate it.
    """

    journal_rules: Annotated[
        Items[Name],
        exchange(
            "`Remove-JournalRule -Identity` (after the spec's objects converge)",
            example=("Journal all messages to Old Archive",),
        ),
    ] = ()
    """Journal rules to remove, by name."""
    contacts: Annotated[
        Items[Name],
        exchange(
            "`Remove-MailContact -Identity` (after the journal rules)",
            example=("Old Archive Journaling",),
        ),
    ] = ()
    """Mail contacts to remove, by name."""
    connectors: Annotated[
        Items[Name],
        exchange(
            "`Remove-OutboundConnector -Identity` (last)", example=("Microsoft 365 to Old Archive",)
        ),
    ] = ()
    """Outbound connectors to remove, by name."""


class Limits(_Model):
    """Limits the checks enforce."""

    max_journal_rules: Annotated[int, Field(ge=1, le=300), journalgen_only(example=10)] = 50
    """Warn when the spec has more journal rules than this (Microsoft documents 10, 50 or 300)."""


class Change(_Model):
    """The change request for the board, heading CHANGE.md (the ticket also heads the scripts); never sent to Exchange."""

    ticket: Annotated[Name | None, journalgen_only(example="CHG0012345")] = None
    """The change ticket's number, at most 64 characters, e.g. `CHG0012345`."""
    requester: Annotated[DisplayName | None, journalgen_only(example="Jane Doe (Compliance)")] = (
        None
    )
    """Who asked for the change."""
    implementer: Annotated[DisplayName | None, journalgen_only(example="Ops team, on call")] = None
    """Who runs the scripts."""
    window: Annotated[
        DisplayName | None, journalgen_only(example="Sat 2026-03-14 22:00-23:00 UTC")
    ] = None
    """When the change may run, e.g. `Sat 2026-03-14 22:00-23:00 UTC`."""
    reason: Annotated[
        Annotated[Text, Field(max_length=1024)] | None,
        journalgen_only(example="Archive all mail for the 2026 retention policy."),
    ] = None
    """Why the change is made, at most 1024 characters."""


class Acknowledgement(_Model):
    """A warning of journalgen's checks that the spec accepts, and why: it is still reported,
    marked acknowledged with the reason, and shown to the change board in CHANGE.md, but no
    longer fails `--strict`. Errors cannot be acknowledged. An acknowledgement that matches no
    warning is reported itself (JG231), so none outlives what it accepted. Never sent to Exchange.
    """

    code: Annotated[str, Field(pattern=r"^JG[0-9]{3}$"), journalgen_only(example="JG305")]
    """The warning's code, e.g. `JG305`: a warning of the spec's own checks (JG2xx, JG3xx)."""
    path: Annotated[
        Annotated[str, Field(pattern=r"^[a-z_]+(\[[0-9]+\])?(\.[a-z_]+(\[[0-9]+\])?)*$")] | None,
        journalgen_only(example="archive.region"),
    ] = None
    """Where the warning is reported, as a spec key (`archive.region`, `journal_rules[1]`): the
    acknowledgement then covers the code there and inside it only. Default: every place."""
    reason: Annotated[
        Annotated[Text, Field(max_length=256)],
        journalgen_only(example="EU smart hosts checked in the Mimecast console (CHG0012345)"),
    ]
    """Why the warning is accepted, at most 256 characters; shown in CHANGE.md and with the warning."""


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

    version: Annotated[Literal[1], journalgen_only(example=1)]
    """The spec format version. Only `1` exists."""
    change: Change = Change()
    tenant: Tenant
    archive: Archive
    contact: Contact = Contact()
    connector: Connector = Connector()
    journal_rules: Items[JournalRule] = Field(min_length=1)
    """The journal rules, in the order they are created."""
    ndr: Ndr
    limits: Limits = Limits()
    retire: Retire = Retire()
    acknowledge: Items[Acknowledgement] = ()
    """Each warning goes to the narrowest entry that covers it (the longest `path`)."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """A field of the spec that holds a value, not a mapping; list items are written ``[]``."""

    path: str
    field: FieldInfo
    wiring: Wiring | None


def nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds, if any, and whether it is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return nested_model(typing.get_args(annotation)[0])
    if origin is tuple:
        model, _ = nested_model(typing.get_args(annotation)[0])
        return model, model is not None
    return None, False


@functools.cache
def _nested_fields(model: type[BaseModel]) -> tuple[tuple[str, type[BaseModel] | None, bool], ...]:
    """Each field of ``model`` with :func:`nested_model` of it: once per class, not once per spec."""
    return tuple((key, *nested_model(f.annotation)) for key, f in model.model_fields.items())


def wiring_of(field: FieldInfo) -> Wiring | None:
    return next((m for m in field.metadata if isinstance(m, Wiring)), None)


def leaves(model: type[BaseModel] = Spec, prefix: str = "") -> Iterator[Leaf]:
    """Every leaf field of ``model``, in the order a spec is written (like ``journal_rules[].name``)."""
    for key, field in model.model_fields.items():
        inner, is_list = nested_model(field.annotation)
        if inner is None:
            yield Leaf(f"{prefix}{key}", field, wiring_of(field))
        else:
            yield from leaves(inner, f"{prefix}{key}{'[]' if is_list else ''}.")


def leaf_values(node: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """Each leaf of a loaded spec: path (``journal_rules[0].name``), value, whether the file has it."""
    for key, inner, is_list in _nested_fields(type(node)):
        value = getattr(node, key)
        if inner is None:
            yield f"{prefix}{key}", value, key in node.model_fields_set
        elif is_list:
            for index, item in enumerate(value):
                yield from leaf_values(item, f"{prefix}{key}[{index}].")
        else:
            yield from leaf_values(value, f"{prefix}{key}.")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec, as committed in ``schemas/``."""
    schema = _without_null(Spec.model_json_schema())
    _vendor_choices(schema["$defs"]["Archive"])
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _without_null(node: Any) -> Any:
    """The schema without ``null``: the loader refuses a key with no value (JG114), so editors
    must not offer one; an omitted key is how a default is asked for.
    """
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_null(v) for k, v in node.items() if not (k == "default" and v is None)}
    choices = out.pop("anyOf", None)
    if choices is not None:
        kept = [choice for choice in choices if choice != {"type": "null"}]
        if len(kept) == 1:
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out


def _vendor_choices(archive: dict[str, Any]) -> None:
    """Vendors and, per vendor, regions from the presets, so editors can complete them."""
    from journalgen.vendors import presets

    known = presets()
    properties = archive["properties"]
    properties["vendor"]["enum"] = sorted(known)
    properties["region"]["enum"] = sorted({r for preset in known.values() for r in preset.regions})
    archive["allOf"] = [
        {
            "if": {"properties": {"vendor": {"const": name}}, "required": ["vendor"]},
            "then": (
                {"properties": {"region": {"enum": list(preset.regions)}}}
                if preset.regions
                else {"not": {"required": ["region"]}}
            ),
        }
        for name, preset in sorted(known.items())
    ]

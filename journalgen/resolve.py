"""Resolution: fill every value a spec leaves out from its vendor preset or a default, recording where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from journalgen.clouds import Cloud
from journalgen.codes import severity_of
from journalgen.diagnostics import Finding, Severity
from journalgen.spec import JournalRule, NdrDomainPolicy, Routing, Scope, Spec, TlsMode, leaf_values
from journalgen.textpolicy import alias_from_name
from journalgen.vendors import Preset, Sourced, fill_template, presets

T = TypeVar("T")

OriginKind = Literal["spec", "preset", "default", "derived"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a resolved value came from, for ``explain`` and the change document.

    For a preset value, ``source`` is the key of the preset's source and ``confidence`` how sure it is.
    """

    kind: OriginKind
    detail: str = ""
    source: str | None = None
    confidence: str | None = None

    def text(self) -> str:
        """As ``explain`` and CHANGE.md show it: ``spec``, ``preset, confirmed [source]``, ..."""
        if self.kind == "preset":
            return f"preset, {self.confidence} [{self.source}]"
        if self.kind == "spec":
            return "spec"
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


@dataclass(frozen=True, slots=True)
class ResolvedContact:
    name: str
    display_name: str
    first_name: str | None
    initials: str | None
    last_name: str | None
    alias: str
    hidden_from_address_lists: bool


@dataclass(frozen=True, slots=True)
class ResolvedConnector:
    name: str
    comment: str
    enabled: bool
    recipient_domains: tuple[str, ...]
    routing: Routing
    smart_hosts: tuple[str, ...]
    tls_mode: TlsMode
    tls_domain: str | None


@dataclass(frozen=True, slots=True)
class ResolvedRule:
    name: str
    scope: Scope
    recipient: str | None
    enabled: bool
    paused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedRetire:
    """The names the spec retires, by kind, in the spec's order."""

    journal_rules: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    connectors: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.journal_rules or self.contacts or self.connectors)


@dataclass(frozen=True, slots=True)
class ResolvedNdr:
    address: str
    queue_expiry_days: int | None
    domain_policy: NdrDomainPolicy


@dataclass(frozen=True, slots=True)
class Resolved:
    """A spec with every value filled in: what the plan is built from."""

    spec: Spec
    vendor: str
    vendor_display_name: str
    region: str | None
    primary_domain: str
    organization: str
    cloud: Cloud
    other_domains: tuple[str, ...]
    journal_domain: str
    journal_address: str
    contact: ResolvedContact
    connector: ResolvedConnector
    rules: tuple[ResolvedRule, ...]
    ndr: ResolvedNdr
    max_journal_rules: int
    values: dict[str, object] = field(default_factory=dict)
    """Every leaf of the spec by path (``journal_rules[0].name``), resolved, in spec order."""
    origins: dict[str, Origin] = field(default_factory=dict)
    """Where each of :attr:`values` came from."""
    retire: ResolvedRetire = ResolvedRetire()
    """The names the spec retires: apply removes them."""

    @property
    def tenant_domains(self) -> tuple[str, ...]:
        """Every domain the spec knows belongs to the tenant."""
        return (self.primary_domain, self.organization, *self.other_domains)


class _Resolver:
    """The state of one resolution: the values it filled in, with their origins, and its findings.

    Only values the spec leaves out are recorded here; :func:`_walk` marks every other value as
    the spec's own or the model's default.
    """

    def __init__(self, spec: Spec, preset: Preset) -> None:
        self.spec = spec
        self.preset = preset
        self.filled: dict[str, tuple[object, Origin]] = {}
        self.findings: list[Finding] = []

    def fill(self, path: str, value: T, origin: Origin) -> T:
        self.filled[path] = (value, origin)
        return value

    def default(self, path: str, value: T, detail: str = "journalgen default") -> T:
        return self.fill(path, value, Origin("default", detail))

    def derived(self, path: str, value: T, detail: str) -> T:
        return self.fill(path, value, Origin("derived", detail))

    def pick(
        self,
        path: str,
        written: T | None,
        sourced: Sourced[T] | None,
        fallback: T | None,
        *,
        what: str,
        where: tuple[str | int, ...],
        fmt: dict[str, str] | None = None,
    ) -> T | None:
        """The spec's value, else a preset value it may use, else ``fallback``, else a finding."""
        if written is not None:
            return written
        if sourced is not None and sourced.value is not None and sourced.confidence != "unknown":
            value = sourced.value
            if fmt is not None and isinstance(value, str):
                value = value.format(**fmt)  # type: ignore[assignment]
            source = sourced.source
            origin = Origin("preset", self.preset.cite(sourced), source, sourced.confidence)
            if sourced.confidence == "confirmed":
                return self.fill(path, value, origin)
            if self.spec.archive.acknowledge_unconfirmed:
                self.findings.append(
                    Finding(
                        "JG305",
                        where,
                        f"using the {self.preset.name} preset's unconfirmed {what} ({_show(value)}; "
                        f"source: {source}); check them against the vendor's console",
                    )
                )
                return self.fill(path, value, origin)
            self.findings.append(
                Finding(
                    "JG303",
                    where,
                    f"the {self.preset.name} preset's {what} ({_show(value)}) are unconfirmed "
                    f"(source: {source}); write '{path}' in the spec, or set "
                    "'archive.acknowledge_unconfirmed: true' to accept them",
                )
            )
            return None
        # A preset that names a value as unknown is never papered over with journalgen's fallback.
        if fallback is not None and sourced is None:
            return self.default(path, fallback)
        self.findings.append(Finding("JG302", where, self.missing(path, sourced, what, fmt)))
        return None

    def missing(
        self, path: str, sourced: Sourced[Any] | None, what: str, fmt: dict[str, str] | None
    ) -> str:
        detail = like = ""
        if sourced is not None:
            detail = f" ({self.preset.source_text(sourced.source)})"
            if sourced.placeholder is not None:
                like = f", like {fill_template(sourced.placeholder, fmt)}"
        return (
            f"the {self.preset.name} preset has no {what}{detail}; write '{path}' in the spec{like}"
        )

    def pick_preset(
        self,
        path: str,
        written: T | None,
        key: str,
        fallback: T | None,
        *,
        what: str,
        where: tuple[str | int, ...],
        fmt: dict[str, str] | None = None,
    ) -> T | None:
        """:meth:`pick` with the preset's entry for ``key`` in the spec's region."""
        if written is None and self.preset.needs_region(key):
            region = self.spec.archive.region
            if region is not None and region not in self.preset.regions:
                return None  # the unknown region is already reported
            if region is None:
                regions = ", ".join(self.preset.regions)
                self.findings.append(
                    Finding(
                        "JG302",
                        ("archive",),
                        f"{self.preset.display_name} needs 'archive.region' ({regions}) to pick "
                        f"its {what}; or write '{path}'",
                    )
                )
                return None
        region = self.spec.archive.region
        sourced = self.preset.lookup(key, region)
        chosen = self.preset.regions.get(region) if region is not None else None
        if chosen is not None and sourced is getattr(chosen, key, None):
            where = ("archive", "region")  # the region picked the value: point the admin there
        return self.pick(path, written, sourced, fallback, what=what, where=where, fmt=fmt)


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def resolve(spec: Spec) -> tuple[Resolved | None, list[Finding]]:
    """Fill in every default, section by section; return findings instead when something cannot be filled."""
    known = presets()
    vendor = spec.archive.vendor
    if vendor not in known:
        names = ", ".join(known)
        return None, [
            Finding(
                "JG301", ("archive", "vendor"), f"unknown vendor '{vendor}'; known vendors: {names}"
            )
        ]
    preset = known[vendor]
    r = _Resolver(spec, preset)
    fmt = {"primary_domain": spec.tenant.primary_domain, "region": spec.archive.region or ""}
    journal_domain, journal_address = _archive(r, fmt)
    contact = _contact(r)
    connector = _connector(r, journal_domain, fmt)
    rules = tuple(_rule(rule) for rule in spec.journal_rules)
    ndr = _ndr(r)
    if any(severity_of(f.code) is Severity.ERROR for f in r.findings):
        return None, r.findings
    assert journal_domain is not None and journal_address is not None
    assert connector is not None and ndr is not None
    values, origins = _walk(spec, r.filled)
    resolved = Resolved(
        spec=spec,
        vendor=preset.name,
        vendor_display_name=preset.display_name,
        region=spec.archive.region,
        primary_domain=spec.tenant.primary_domain,
        organization=spec.tenant.organization,
        cloud=spec.tenant.cloud,
        other_domains=spec.tenant.other_domains,
        journal_domain=journal_domain,
        journal_address=journal_address,
        contact=contact,
        connector=connector,
        rules=rules,
        ndr=ndr,
        max_journal_rules=spec.limits.max_journal_rules,
        values=values,
        origins=origins,
        retire=ResolvedRetire(
            spec.retire.journal_rules, spec.retire.contacts, spec.retire.connectors
        ),
    )
    return resolved, r.findings


def _walk(
    spec: Spec, filled: dict[str, tuple[object, Origin]]
) -> tuple[dict[str, object], dict[str, Origin]]:
    """Every leaf of the spec, in spec order, with its resolved value and where it came from.

    A value the resolver filled in has the origin it recorded; any other value is the spec's own
    when the file writes it, else the model's default.
    """
    values: dict[str, object] = {}
    origins: dict[str, Origin] = {}
    for path, value, written in leaf_values(spec):
        if path in filled:
            value, origin = filled[path]
        elif written:
            origin = Origin("spec")
        else:
            origin = Origin("default", "none" if value in (None, ()) else "journalgen default")
        values[path], origins[path] = value, origin
    stray = sorted(set(filled) - set(values))
    assert not stray, f"the resolver filled paths the spec does not have: {stray}"
    return values, origins


def _archive(r: _Resolver, fmt: dict[str, str]) -> tuple[str | None, str | None]:
    """The journal domain and address: written, from the preset, or one from the other."""
    archive, preset = r.spec.archive, r.preset
    region = archive.region
    if region is not None and region not in preset.regions:
        regions = ", ".join(preset.regions) or "none"
        r.findings.append(
            Finding(
                "JG304",
                ("archive", "region"),
                f"{preset.display_name} has no region '{region}'; known regions: {regions}",
            )
        )
    preset_address = preset.lookup("journal_address", region)
    address_known = archive.journal_address is not None or (
        preset_address is not None and preset_address.confidence != "unknown"
    )
    journal_domain: str | None = None
    if archive.journal_domain is None and archive.journal_address is not None:
        # The address names its domain; asking for both would make the admin repeat it.
        journal_domain = r.derived(
            "archive.journal_domain",
            archive.journal_address.rpartition("@")[2],
            "the domain of archive.journal_address",
        )
        expected = preset.lookup("journal_domain", region)
        if (
            expected is not None
            and expected.confidence == "confirmed"
            and str(expected.value).format(**fmt).lower() != journal_domain.lower()
        ):
            r.findings.append(
                Finding(
                    "JG306",
                    ("archive", "journal_address"),
                    f"journal address {archive.journal_address} is not in "
                    f"{str(expected.value).format(**fmt)}, the {preset.name} preset's journal "
                    f"domain (source: {expected.source}); check the address, or write "
                    "'archive.journal_domain' to say the domain differs on purpose",
                )
            )
    elif archive.journal_domain is not None or address_known:
        journal_domain = r.pick_preset(
            "archive.journal_domain",
            archive.journal_domain,
            "journal_domain",
            None,
            what="journal domain",
            where=("archive",),
            fmt=fmt,
        )
    else:
        # Only the address is reported: the address the admin writes names its domain. The preset's
        # domain, when it has one, still shows the admin what the address looks like.
        sourced_domain = preset.lookup("journal_domain", region)
        if sourced_domain is not None and sourced_domain.confidence == "confirmed":
            fmt["journal_domain"] = str(sourced_domain.value).format(**fmt)
    journal_address = r.pick_preset(
        "archive.journal_address",
        archive.journal_address,
        "journal_address",
        None,
        what="journal address",
        where=("archive",),
        fmt={**fmt, "journal_domain": journal_domain or fmt.get("journal_domain", "")},
    )
    return journal_domain, journal_address


def _contact(r: _Resolver) -> ResolvedContact:
    contact = r.spec.contact
    display_name = contact.display_name or r.derived(
        "contact.display_name", contact.name, "the contact's name"
    )
    alias = contact.alias or r.derived(
        "contact.alias",
        alias_from_name(contact.name),
        "the contact's name without the characters an alias cannot have",
    )
    return ResolvedContact(
        name=contact.name,
        display_name=display_name,
        first_name=contact.first_name,
        initials=contact.initials,
        last_name=contact.last_name,
        alias=alias,
        hidden_from_address_lists=contact.hidden_from_address_lists,
    )


def _connector(
    r: _Resolver, journal_domain: str | None, fmt: dict[str, str]
) -> ResolvedConnector | None:
    connector, preset = r.spec.connector, r.preset
    name = r.pick(
        "connector.name",
        connector.name,
        preset.connector_name,
        f"Microsoft 365 to {preset.display_name}",
        what="connector name",
        where=("connector",),
    )
    routing = r.pick(
        "connector.routing",
        connector.routing,
        preset.routing,
        "smart_hosts",
        what="routing",
        where=("connector",),
    )
    smart_hosts: tuple[str, ...] | None = ()
    if routing == "smart_hosts":
        smart_hosts = r.pick_preset(
            "connector.smart_hosts",
            connector.smart_hosts,
            "smart_hosts",
            None,
            what="smart hosts",
            where=("connector",),
            fmt=fmt,
        )
    elif connector.smart_hosts is None:
        r.default("connector.smart_hosts", (), f"none: routing is {routing}")
    tls_mode = r.pick(
        "connector.tls.mode",
        connector.tls.mode,
        preset.tls_mode,
        "certificate_validation",
        what="TLS mode",
        where=("connector",),
    )
    recipient_domains = connector.recipient_domains
    if recipient_domains is None and journal_domain is not None:
        recipient_domains = r.derived(
            "connector.recipient_domains", (journal_domain,), "the journal domain"
        )
    comment = connector.comment or r.derived(
        "connector.comment",
        f"Managed by journalgen: sends journal reports for {r.spec.tenant.primary_domain} to "
        f"{preset.display_name} ({journal_domain}).",
        "journalgen's description of the connector",
    )
    if name is None or routing is None or smart_hosts is None or tls_mode is None:
        return None
    return ResolvedConnector(
        name=name,
        comment=comment,
        enabled=connector.enabled,
        recipient_domains=recipient_domains or (),
        routing=routing,
        # Smart hosts written with MX routing are reported by the checks (JG220), never used.
        smart_hosts=smart_hosts if routing == "smart_hosts" else (),
        tls_mode=tls_mode,
        tls_domain=connector.tls.domain,
    )


def _rule(rule: JournalRule) -> ResolvedRule:
    return ResolvedRule(rule.name, rule.scope, rule.recipient, rule.enabled, rule.paused_reason)


def _ndr(r: _Resolver) -> ResolvedNdr | None:
    ndr = r.spec.ndr
    domain_policy = r.pick(
        "ndr.domain_policy",
        ndr.domain_policy,
        r.preset.ndr_domain_policy,
        "tenant",
        what="NDR domain policy",
        where=("ndr",),
    )
    if ndr.queue_expiry_days is None:
        r.default("ndr.queue_expiry_days", None, "left as the tenant has it")
    if domain_policy is None:
        return None
    return ResolvedNdr(ndr.address, ndr.queue_expiry_days, domain_policy)

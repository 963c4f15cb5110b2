"""A plan compared with a captured tenant state: what apply.ps1 would create, update or remove, and why it would stop."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from journalgen.checks import covers, within
from journalgen.diagnostics import Diagnostic, Severity
from journalgen.loader import Path
from journalgen.plan import (
    CONNECTOR_MUST_NOT,
    Change,
    Plan,
    Resource,
    ResourceType,
    diff,
    normalise,
    removal_stages,
)
from journalgen.state import Captured, TenantState
from journalgen.textshow import quoted, shown

Action = Literal["create", "update", "unchanged", "remove"]
ACTIONS: tuple[Action, ...] = ("create", "update", "remove", "unchanged")
PLAN_FORMAT = "journalgen-plan/1"

# Where each kind of object lives in the state.
_SECTION: Mapping[ResourceType, str] = {
    "MailContact": "mail_contacts",
    "OutboundConnector": "outbound_connectors",
    "TransportConfig": "transport_config",
    "JournalRule": "journal_rules",
}


@dataclass(frozen=True, slots=True)
class Retired:
    """An object the spec retires: apply removes it when the tenant still has it."""

    type: ResourceType
    identity: str
    title: str


@dataclass(frozen=True, slots=True)
class Step:
    """What apply.ps1 would do to one object: for ``create`` every setting, for ``update`` each change."""

    type: ResourceType
    identity: str
    title: str
    action: Action
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class LivePlan:
    """A plan against a captured state: the steps in apply's order, and the state's problems."""

    spec_name: str
    spec_sha256: str
    state: Captured
    steps: tuple[Step, ...]
    problems: tuple[Diagnostic, ...]
    undecided: tuple[Undecided, ...] = ()
    """The preflight checks the state lacks the data to decide (``undecided``)."""

    @property
    def changed(self) -> bool:
        return any(step.action != "unchanged" for step in self.steps)

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def about_state(self) -> dict[str, str]:
        """What manifest.json records of the state: its file name, hash and capture time."""
        name = self.state.file.replace("\\", "/").rsplit("/", 1)[-1]
        return {
            "file": name,
            "sha256": self.state.sha256,
            "captured_at": self.state.state.captured_at,
            "organization": self.state.state.organization,
        }

    def counts(self) -> dict[str, int]:
        return {action: sum(s.action == action for s in self.steps) for action in ACTIONS}


def _named(kind: ResourceType, identity: str, state: TenantState) -> Any:
    """The state's first object of ``kind`` named ``identity``, or ``None``."""
    # Exchange names are case-insensitive: Get-* -Identity finds 'Journal' when asked for 'journal'.
    wanted = identity.casefold()
    items: Sequence[Any] = getattr(state, _SECTION[kind])
    return next((item for item in items if item.name.casefold() == wanted), None)


def current_of(kind: ResourceType, identity: str, state: TenantState) -> dict[str, object] | None:
    """The object's properties in the state, by Exchange's names, or ``None`` when it is absent."""
    if kind == "TransportConfig":
        return state.transport_config.model_dump(by_alias=True)
    found = _named(kind, identity, state)
    if found is None:
        return None
    current: dict[str, object] = found.model_dump(by_alias=True)
    return current


def _step(resource: Resource, state: TenantState) -> Step:
    current = current_of(resource.type, resource.identity, state)
    changes = diff(resource, current)
    if changes is None:
        created = tuple(Change(s.name, None, s.value) for s in resource.settings)
        return Step(resource.type, resource.identity, resource.title, "create", created)
    action: Action = "update" if changes else "unchanged"
    return Step(resource.type, resource.identity, resource.title, action, tuple(changes))


def _removal(item: Retired) -> Step:
    return Step(item.type, item.identity, item.title, "remove", ())


class _Problems:
    def __init__(self, captured: Captured) -> None:
        self.captured = captured
        self.found: list[Diagnostic] = []

    def add(self, path: Path, code: str, message: str) -> None:
        pos = self.captured.at(path)
        self.found.append(Diagnostic.at(self.captured.file, pos, code, message))


def _address(value: object) -> object:
    return normalise("address", value)


def preflight(plan: Plan, captured: Captured, retired: Sequence[Retired] = ()) -> list[Diagnostic]:
    """Every problem the state decides that would stop apply.ps1 (errors) or that it warns about."""
    r = plan.resolved
    state = captured.state
    p = _Problems(captured)
    same_tenant = state.organization.casefold() == r.organization.casefold()
    if not same_tenant:
        p.add(
            ("organization",),
            "JG410",
            f"the state was captured from {state.organization}, not from the spec's tenant "
            f"{r.organization}",
        )
    accepted = [d.domain_name.casefold() for d in state.accepted_domains]
    for domain in dict.fromkeys((r.primary_domain, r.organization)):
        if domain.casefold() not in accepted and same_tenant:
            p.add(
                ("accepted_domains",),
                "JG410",
                f"{domain} is not an accepted domain in the state: apply.ps1's tenant guard "
                "would stop",
            )
    journal_domain = r.journal_domain.casefold()
    for i, d in enumerate(state.accepted_domains):
        name = d.domain_name.casefold()
        if name == journal_domain:
            p.add(
                ("accepted_domains", i, "DomainName"),
                "JG411",
                f"the journal domain {r.journal_domain} is an accepted domain of this tenant; "
                "Exchange Online cannot journal to itself",
            )
        elif d.match_subdomains and within(journal_domain, name):
            p.add(
                ("accepted_domains", i, "MatchSubDomains"),
                "JG411",
                f"the journal domain {r.journal_domain} is a subdomain of the accepted domain "
                f"{d.domain_name}, which matches subdomains; Exchange Online may treat it as "
                "internal",
            )
    contact_name = plan.contact.identity.casefold()
    journal_address = _address(r.journal_address)
    holders: dict[str, tuple[Path, str]] = {}
    for i, contact in enumerate(state.mail_contacts):
        if _address(contact.external_email_address) == journal_address:
            shown = f"the mail contact '{contact.name}'"
            holders.setdefault(contact.name.casefold(), (("mail_contacts", i, "Name"), shown))
    for i, recipient in enumerate(state.recipients or ()):
        addresses = {_address(a) for a in recipient.email_addresses}
        kind = recipient.recipient_type_details
        if recipient.name.casefold() == contact_name and kind != "MailContact":
            p.add(
                ("recipients", i, "RecipientTypeDetails"),
                "JG412",
                f"the name '{plan.contact.identity}' already belongs to a {kind}, not a mail "
                "contact",
            )
        if journal_address in addresses:
            shown = f"'{recipient.name}' ({kind})"
            holders.setdefault(recipient.name.casefold(), (("recipients", i, "Name"), shown))
        if _address(r.ndr.address) in addresses and kind.endswith("Mailbox"):
            p.add(
                ("recipients", i, "RecipientTypeDetails"),
                "JG414",
                f"the NDR address {r.ndr.address} is an Exchange Online mailbox ({kind}), which "
                "cannot receive undeliverable journal reports",
            )
    # A retired contact may hold the address: apply removes it before creating the contact.
    retiring = {i.identity.casefold() for i in retired if i.type == "MailContact"}
    for name, (path, shown) in holders.items():
        if name != contact_name and name not in retiring:
            p.add(
                path,
                "JG413",
                f"the journal address {r.journal_address} already belongs to {shown}, which "
                "this spec does not describe",
            )
    wanted = {rule.identity.casefold() for rule in plan.rules}
    existing = {rule.name.casefold() for rule in state.journal_rules}
    gone = {i.identity.casefold() for i in retired if i.type == "JournalRule"} & existing
    added = len(wanted - existing)
    total = len(existing) - len(gone) + added
    # apply.ps1 counts every rule the tenant has, so a tenant already past the limit stops it
    # even when the spec adds none.
    if total > r.max_journal_rules:
        p.add(
            ("journal_rules",),
            "JG415",
            f"this tenant has {len(existing)} journal rules; adding {added} would exceed the "
            f"limit of {r.max_journal_rules}",
        )
    _unique_names(plan, state, p)
    _ndr_owner(r.ndr.address, state, p)
    desired_domains = {d.casefold() for d in r.connector.recipient_domains}
    connector_name = plan.connector.identity.casefold()
    for i, c in enumerate(state.outbound_connectors):
        domains = [d.casefold() for d in c.recipient_domains]
        if c.name.casefold() == connector_name:
            extra = [d for d in domains if d not in desired_domains]
            if c.route_all_messages_via_on_premises:
                p.add(
                    ("outbound_connectors", i, "RouteAllMessagesViaOnPremises"),
                    "JG416",
                    f"outbound connector '{c.name}' has the spec's name but routes the tenant's "
                    "mail on-premises (RouteAllMessagesViaOnPremises); apply.ps1 would stop. "
                    "Rename the spec's connector",
                )
            if c.connector_type != "Partner" or extra:
                what = (
                    f"routes {', '.join(extra)} too"
                    if extra
                    else f"is a {c.connector_type} connector"
                )
                p.add(
                    ("outbound_connectors", i, "RecipientDomains" if extra else "ConnectorType"),
                    "JG416",
                    f"outbound connector '{c.name}' has the spec's name but {what}; adopting "
                    "it would narrow the tenant's mail flow. Rename the spec's connector",
                )
            current = c.model_dump(by_alias=True)
            for setting, bad in CONNECTOR_MUST_NOT.items():
                value = current.get(setting)
                if value is not None and str(value).casefold() == bad.casefold():
                    p.add(
                        ("outbound_connectors", i, setting),
                        "JG422",
                        f"outbound connector '{c.name}' has {setting} {value}, which drops journal "
                        "reports when the archive's domain cannot satisfy it; apply.ps1 does not "
                        f"manage {setting} and would stop: change it in the tenant first",
                    )
            if c.test_mode:
                p.add(
                    ("outbound_connectors", i, "TestMode"),
                    "JG419",
                    f"outbound connector '{c.name}' is in test mode; journal reports may not have "
                    "reached the archive (apply.ps1 turns test mode off)",
                )
            continue
        if c.connector_type.casefold() == "onpremises" and c.route_all_messages_via_on_premises:
            p.add(
                ("outbound_connectors", i, "RouteAllMessagesViaOnPremises"),
                "JG423",
                f"outbound connector '{c.name}' routes all mail via on-premises (centralized mail "
                "flow); journal reports may follow it instead of the spec's connector while "
                "verify.ps1 passes. Check the route of one journal report in a message trace",
            )
        if overlaps_journal_domain(domains, journal_domain):
            p.add(
                ("outbound_connectors", i, "RecipientDomains"),
                "JG418",
                f"outbound connector '{c.name}' also routes mail for {r.journal_domain} but is "
                "not in the spec; check which one Exchange uses",
            )
    for i, rule in enumerate(state.journal_rules):
        if (
            _address(rule.journal_email_address) == journal_address
            and rule.name.casefold() not in wanted
        ):
            p.add(
                ("journal_rules", i, "Name"),
                "JG417",
                f"journal rule '{rule.name}' also journals to {r.journal_address} but is not in "
                "the spec; messages may be journaled twice",
            )
    _stranded(plan, state, retired, p)
    _repointed(plan, state, retired, p)
    return sorted(p.found, key=Diagnostic.sort_key)


def _routes(pattern: str, domain: str) -> bool:
    # The engine's Test-JgDomainCovers: checks.covers, plus Exchange's '*' for every domain.
    return pattern == "*" or covers(pattern, domain)


def overlaps_journal_domain(domains: Sequence[str], journal_domain: str) -> bool:
    """Whether a connector outside the spec competes with the spec's for the journal domain.

    The engine's Test-JgOverlapsJournalDomain, the one rule of apply's warning, verify's
    UNMANAGED rows and JG418: a recipient domain naming the journal domain, exactly or by a
    ``*.`` wildcard. ``*``, a gateway's route for all mail, does not: Exchange uses the most
    specific match, which is the spec's connector.
    """
    return any(d != "*" and covers(d, journal_domain) for d in domains)


def _outside_rules(
    plan: Plan, state: TenantState, retired: Sequence[Retired]
) -> list[tuple[int, Any, str]]:
    # apply.ps1's Get-JgJournalTargets: the rules neither the spec's nor retired, with the
    # address each journals to.
    kept = {rule.identity.casefold() for rule in plan.rules}
    kept |= {item.identity.casefold() for item in retired if item.type == "JournalRule"}
    return [
        (i, rule, address)
        for i, rule in enumerate(state.journal_rules)
        if rule.name.casefold() not in kept
        and isinstance(address := _address(rule.journal_email_address), str)
    ]


def _transport_rules_naming(
    state: TenantState, name: str, address: object
) -> list[tuple[int, Any, str, str]]:
    # apply.ps1's Find-JgTransportRulesUsing: each rule and recipient property naming a contact,
    # by its name or its address (Exchange may report a recipient either way).
    found = []
    for i, rule in enumerate(state.transport_rules or ()):
        seen: set[str] = set()
        for prop, value in rule.naming():
            if prop in seen:
                continue
            by_address = address is not None and _address(value) == address
            if value.casefold() == name.casefold() or by_address:
                seen.add(prop)
                found.append((i, rule, prop, value))
    return found


def _repointed(plan: Plan, state: TenantState, retired: Sequence[Retired], p: _Problems) -> None:
    # apply.ps1's Test-JgContactRepoint: adopting the spec's contact by name changes its address
    # when it points at another archive; a rule outside the spec that journals to it would lose
    # its target (or follow the contact to the spec's archive), as retiring it would (JG425).
    contact = _named("MailContact", plan.contact.identity, state)
    if contact is None:
        return
    old = _address(contact.external_email_address)
    journal_address = plan.resolved.journal_address
    if not isinstance(old, str) or old == _address(journal_address):
        return
    for i, rule, address in _outside_rules(plan, state, retired):
        raw = rule.journal_email_address
        if raw.casefold() == contact.name.casefold() or address == old:
            p.add(
                ("journal_rules", i, "JournalEmailAddress"),
                "JG427",
                f"journal rule '{rule.name}' journals to {raw}, which the spec's contact "
                f"'{contact.name}' holds, but is not in the spec; changing that contact's "
                f"address to {journal_address} would take the rule's journaling away from its "
                "archive, and apply.ps1 would stop. Add the rule to the spec or retire it, or "
                "give the spec's contact another name",
            )
    for i, rule, prop, value in _transport_rules_naming(state, contact.name, old):
        p.add(
            ("transport_rules", i, prop),
            "JG433",
            f"transport rule '{rule.name}' names the spec's contact '{contact.name}' in {prop} "
            f"({value}); changing that contact's address from {old} to {journal_address} would "
            "send the rule's mail elsewhere, and apply.ps1 would stop. Change the rule first, or "
            "give the spec's contact another name",
        )


def _stranded(plan: Plan, state: TenantState, retired: Sequence[Retired], p: _Problems) -> None:
    # apply.ps1's Test-JgRetirePreflight: a rule outside the spec (neither the spec's nor retired)
    # that journals to a retired contact, or through a retired connector, would lose its target.
    if not retired:
        return
    rules = _outside_rules(plan, state, retired)
    journal_address = _address(plan.resolved.journal_address)
    own = {d.casefold() for d in plan.resolved.connector.recipient_domains}
    for item in retired:
        if item.type not in ("MailContact", "OutboundConnector"):
            continue
        current = _named(item.type, item.identity, state)
        if current is None:
            continue
        if item.type == "MailContact":
            contact = _address(current.external_email_address)
            # The spec's own contact takes over its own journal address (a renamed contact), so
            # only a transport rule naming the retired name loses its recipient.
            renamed = contact == journal_address
            by = None if renamed else contact
            for i, t_rule, prop, value in _transport_rules_naming(state, item.identity, by):
                p.add(
                    ("transport_rules", i, prop),
                    "JG428",
                    f"transport rule '{t_rule.name}' names retired contact '{item.identity}' in "
                    f"{prop} ({value}); removing the contact would break the rule, and apply.ps1 "
                    "would stop. Change the rule first, or keep the contact",
                )
            if renamed:
                continue
            for i, rule, address in rules:
                raw = rule.journal_email_address
                if raw.casefold() == item.identity.casefold() or address == contact:
                    p.add(
                        ("journal_rules", i, "JournalEmailAddress"),
                        "JG425",
                        f"journal rule '{rule.name}' journals to {raw}, retired contact "
                        f"'{item.identity}', but is not in the spec; apply.ps1 would stop. Retire "
                        "the rule too, or keep the contact",
                    )
            continue
        domains = [d.casefold() for d in current.recipient_domains]
        domains = [d for d in domains if d not in own]
        for i, rule, address in rules:
            domain = address.rpartition("@")[2]
            if any(_routes(d, domain) for d in domains):
                p.add(
                    ("journal_rules", i, "JournalEmailAddress"),
                    "JG426",
                    f"journal rule '{rule.name}' journals to {rule.journal_email_address} "
                    f"through retired connector '{item.identity}', but is not in the spec; "
                    "apply.ps1 would stop. Retire the rule too, or keep the connector",
                )


def _unique_names(plan: Plan, state: TenantState, p: _Problems) -> None:
    # apply.ps1 reads every object by name and stops unless exactly one comes back (Get-JgOne).
    for resource in plan.resources:
        if resource.type == "TransportConfig":
            continue
        section = _SECTION[resource.type]
        items: Sequence[Any] = getattr(state, section)
        wanted = resource.identity.casefold()
        same = [i for i, item in enumerate(items) if item.name.casefold() == wanted]
        if len(same) > 1:
            p.add(
                (section, same[1], "Name"),
                "JG424",
                f"the state holds {len(same)} objects in {section} named '{resource.identity}'; "
                "apply.ps1 reads it by name and would stop unless Exchange returns exactly one",
            )


def _ndr_owner(ndr_address: str, state: TenantState, p: _Problems) -> None:
    # Decidable only when the capture looked the NDR address up: absent from `recipients` then
    # means nobody has it, as apply.ps1's Get-Recipient would find.
    ndr = _address(ndr_address)
    if state.recipient_lookups is None or ndr not in {_address(x) for x in state.recipient_lookups}:
        return
    holders = [{_address(a) for a in rec.email_addresses} for rec in state.recipients or ()]
    holders += [{_address(c.external_email_address)} for c in state.mail_contacts]
    if any(ndr in held for held in holders):
        return
    domain = ndr_address.rsplit("@", 1)[-1].casefold()
    zones = [
        (i, d)
        for i, d in enumerate(state.accepted_domains)
        if d.domain_name.casefold() == domain
        or (d.match_subdomains and within(domain, d.domain_name))
    ]
    authoritative = [(i, d) for i, d in zones if d.domain_type.casefold() != "internalrelay"]
    if authoritative:
        i, d = authoritative[0]
        p.add(
            ("accepted_domains", i, "DomainName"),
            "JG420",
            f"no recipient has the NDR address {ndr_address}, which is in the tenant's domain "
            f"{d.domain_name}: undeliverable journal reports would go nowhere (R4), and apply.ps1 "
            "would stop. Give the address to a mail user or mail contact that routes to a "
            "mailbox outside Exchange Online first (no Exchange Online mailbox, shared ones "
            "included, can receive them: JG414)",
        )
    elif zones:
        i, d = zones[0]
        p.add(
            ("accepted_domains", i, "DomainType"),
            "JG421",
            f"no recipient in this tenant has the NDR address {ndr_address}; its domain "
            f"{d.domain_name} is an internal relay domain, so make sure the other mail system "
            "accepts it (R4)",
        )


def plan_against(plan: Plan, captured: Captured, retired: Sequence[Retired] = ()) -> LivePlan:
    """What apply.ps1 would do in the tenant the state was captured from, in apply's order."""
    state = captured.state
    if not retired:
        # The spec's own retire section, as apply.ps1 removes it.
        retired = tuple(Retired(i.type, i.identity, i.title) for i in plan.retired)
    present = [i for i in retired if current_of(i.type, i.identity, state) is not None]
    journal_address = _address(plan.resolved.journal_address)

    def holds_journal_address(item: Retired) -> bool:
        current = current_of(item.type, item.identity, state) or {}
        return _address(current.get("ExternalEmailAddress")) == journal_address

    first, after = removal_stages(present, holds_journal_address)
    steps = (
        *(_removal(item) for item in first),
        *(_step(resource, state) for resource in plan.resources),
        *(_removal(item) for item in after),
    )
    problems = preflight(plan, captured, retired)
    return LivePlan(
        plan.spec_name,
        plan.spec_sha256,
        captured,
        steps,
        tuple(problems),
        undecided(plan, state, retired),
    )


# --- output ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Undecided:
    """A preflight check the state lacks the data to decide: apply.ps1 still makes it when it runs."""

    code: str
    check: str
    """What the check would stop, in words."""
    missing: str
    """What the state lacks."""
    capture: str
    """How to capture a state that decides it."""


# What records the lookups: a spec's verify.ps1 asks Get-Recipient for its contact name, journal
# address and NDR address; the capture script, which knows no spec, only for the addresses the
# tenant already uses (its rules' and its NDR address).
_VERIFY = (
    "capture with this spec's verify.ps1 -StatePath FILE (journalgen build, then run it), which "
    "looks up the spec's contact name, journal address and NDR address"
)
_RECAPTURE = (
    "capture again with verify.ps1 -StatePath FILE or the script of journalgen capture-script, "
    "which record recipients"
)


def undecided(
    plan: Plan, state: TenantState, retired: Sequence[Retired] | None = None
) -> tuple[Undecided, ...]:
    """The preflight checks ``state`` cannot decide for ``plan``, with what it lacks.

    A check that reads data the capture did not take passes silently in ``preflight``; it is
    listed here instead, so a plan never reads "0 errors" for what it did not look at.
    """
    r = plan.resolved
    lookups = (
        None if state.recipient_lookups is None else {x.casefold() for x in state.recipient_lookups}
    )
    found: list[Undecided] = []

    def looked_up(value: str) -> bool:
        # A state without `recipient_lookups` holds the recipients for the setup's names
        # (docs/state.md); one with it tells which names were asked for.
        return lookups is None or value.casefold() in lookups

    def needs_recipients(code: str, check: str, value: str, what: str) -> None:
        if state.recipients is None:
            found.append(Undecided(code, check, "the state has no recipients", _RECAPTURE))
        elif not looked_up(value):
            missing = f"the capture did not look up {what} {value} (recipient_lookups)"
            found.append(Undecided(code, check, missing, _VERIFY))

    contact = plan.contact.identity
    needs_recipients(
        "JG412",
        f"the contact name '{contact}' belongs to a recipient that is not a mail contact",
        contact,
        "the name",
    )
    needs_recipients(
        "JG413",
        f"the journal address {r.journal_address} belongs to a recipient other than a mail contact",
        r.journal_address,
        "the address",
    )
    needs_recipients(
        "JG414",
        f"the NDR address {r.ndr.address} is an Exchange Online mailbox",
        r.ndr.address,
        "the address",
    )
    ndr = _address(r.ndr.address)
    held = [{_address(a) for a in rec.email_addresses} for rec in state.recipients or ()]
    held += [{_address(c.external_email_address)} for c in state.mail_contacts]
    domain = r.ndr.address.rsplit("@", 1)[-1].casefold()
    in_tenant = any(
        d.domain_name.casefold() == domain or (d.match_subdomains and within(domain, d.domain_name))
        for d in state.accepted_domains
    )
    if (lookups is None or ndr not in lookups) and in_tenant and not any(ndr in h for h in held):
        missing = (
            "the state has no recipients"
            if state.recipients is None
            else f"the capture did not look up {r.ndr.address} (recipient_lookups), so its "
            "absence from recipients does not show that nobody holds it"
        )
        found.append(
            Undecided(
                "JG420",
                f"no recipient has the NDR address {r.ndr.address}, which is in a domain of the "
                "tenant (JG421 for an internal relay domain)",
                missing,
                _VERIFY,
            )
        )
    connector = _named("OutboundConnector", plan.connector.identity, state)
    if connector is not None:
        current = connector.model_dump(by_alias=True)
        for setting, bad in CONNECTOR_MUST_NOT.items():
            if current.get(setting) is None:
                found.append(
                    Undecided(
                        "JG422",
                        f"outbound connector '{connector.name}' has {setting} {bad}",
                        f"the capture did not return {setting} (an older ExchangeOnlineManagement "
                        "module)",
                        f"capture again with a newer ExchangeOnlineManagement module, one "
                        f"that returns {setting}",
                    )
                )
    if state.transport_rules is None:
        found += _undecided_transport_rules(plan, state, retired)
    return tuple(found)


_RULES_RECAPTURE = (
    "capture again with verify.ps1 -StatePath FILE or the script of journalgen capture-script, "
    "which record the transport rules naming the contacts"
)


def _undecided_transport_rules(
    plan: Plan, state: TenantState, retired: Sequence[Retired] | None
) -> list[Undecided]:
    # A state from before transport_rules: the JG428 and JG433 checks have nothing to read.
    if retired is None:
        retired = tuple(Retired(i.type, i.identity, i.title) for i in plan.retired)
    missing = "the state has no transport_rules"
    found = []
    for item in retired:
        if item.type == "MailContact" and _named("MailContact", item.identity, state) is not None:
            found.append(
                Undecided(
                    "JG428",
                    f"a transport rule names retired contact '{item.identity}'",
                    missing,
                    _RULES_RECAPTURE,
                )
            )
    contact = _named("MailContact", plan.contact.identity, state)
    old = None if contact is None else _address(contact.external_email_address)
    if isinstance(old, str) and old != _address(plan.resolved.journal_address):
        found.append(
            Undecided(
                "JG433",
                f"a transport rule names the spec's contact '{plan.contact.identity}', whose "
                "address apply.ps1 would change",
                missing,
                _RULES_RECAPTURE,
            )
        )
    return found


def undecided_lines(live: LivePlan) -> list[str]:
    """What the plan could not decide, one line per check, and how to capture so that it can."""
    if not live.undecided:
        return []
    lines = [
        f"The state could not decide {len(live.undecided)} preflight check(s); apply.ps1 makes "
        "them when it runs:"
    ]
    lines += [f"  {u.code}, that {u.check}: {u.missing}; {u.capture}." for u in live.undecided]
    # Names come from the spec and the state: one line each, nothing hidden.
    return [shown(line) for line in lines]


def format_value(value: object) -> str:
    """A value as apply.ps1's -WhatIf shows it (the engine's Format-JgValue)."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    items = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if not items:
        return "(none)"
    # Quoted and shown as the loader's messages quote a value: a captured value is the tenant's
    # text, and a line break or CR in it must not start a line of the plan or hide one.
    return ", ".join(quoted(item) for item in items)


def summary(live: LivePlan) -> str:
    """One line: what would change, or that nothing would; first that apply would stop, if so."""
    c = live.counts()
    counts = (
        f"{c['create']} to create, {c['update']} to update, {c['remove']} to remove, "
        f"{c['unchanged']} unchanged."
    )
    codes = ", ".join(dict.fromkeys(u.code for u in live.undecided))
    # A check the state could not decide is neither passed nor failed: say so beside the verdict.
    unknown = (
        f" The state could not decide {len(live.undecided)} preflight check(s) ({codes})."
        if live.undecided
        else ""
    )
    if live.has_errors:
        errors = sum(p.is_error for p in live.problems)
        return (
            f"apply.ps1 would stop in its preflight ({errors} error(s) below) and change "
            f"nothing. Once they are fixed: {counts}{unknown}"
        )
    if not live.changed:
        if live.undecided:
            return f"No changes: the tenant matches the spec, as far as the state shows.{unknown}"
        return "No changes: the tenant matches the spec."
    return counts + unknown


def text(live: LivePlan) -> str:
    """The plan for people: one line per object, indented lines per setting."""
    state = live.state.state
    lines = [
        f"Plan for {live.spec_name} against {state.organization} as captured at "
        f"{state.captured_at}",
        f"State: {live.state.file} (SHA-256 {live.state.sha256})",
        "",
    ]
    for number, step in enumerate(live.steps, 1):
        lines.append(f"{number}. {step.title}: {step.action}")
        for change in step.changes:
            if step.action == "create":
                lines.append(f"     {change.name} = {format_value(change.new)}")
            else:
                lines.append(
                    f"     {change.name}: {format_value(change.old)} -> {format_value(change.new)}"
                )
    lines.append("")
    lines.append(summary(live))
    if live.undecided:
        lines += ["", *undecided_lines(live)]
    # Names and the header's values come from the spec's file name and the state too.
    return "".join(shown(line) + "\n" for line in lines)


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def as_json(live: LivePlan, diagnostics: Sequence[Diagnostic] | None = None) -> str:
    """The plan for machines; its shape is documented in docs/state.md.

    ``diagnostics`` are all the run found (the spec's warnings too); by default the state's problems.
    """
    found = list(live.problems if diagnostics is None else diagnostics)
    state = live.state.state
    payload = {
        "format": PLAN_FORMAT,
        "spec": live.spec_name,
        "spec_sha256": live.spec_sha256,
        "state": live.state.file,
        "state_sha256": live.state.sha256,
        "captured_at": state.captured_at,
        "organization": state.organization,
        "changed": live.changed,
        "counts": live.counts(),
        "objects": [
            {
                "type": step.type,
                "identity": step.identity,
                "title": step.title,
                "action": step.action,
                "changes": [
                    {
                        "setting": c.name,
                        "current": _json_value(c.old),
                        "desired": _json_value(c.new),
                    }
                    for c in step.changes
                ],
            }
            for step in live.steps
        ],
        "undecided": [
            {"code": u.code, "check": u.check, "missing": u.missing, "capture": u.capture}
            for u in live.undecided
        ],
        "errors": sum(p.severity is Severity.ERROR for p in found),
        "warnings": sum(p.severity is Severity.WARNING for p in found),
        "diagnostics": [p.as_dict() for p in found],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"

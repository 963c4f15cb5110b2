"""Microsoft's journaling rules that the spec alone decides, each reported under a stable code."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator

from journalgen.clouds import CLOUDS, in_initial_domain, initial_suffix
from journalgen.diagnostics import Finding
from journalgen.resolve import Resolved
from journalgen.textpolicy import code_points, derive_alias, describe_char, name_key, not_nfc

Check = Callable[[Resolved], Iterator[Finding]]

# Exchange Online refuses consumer mailbox providers as journal targets (R3).
CONSUMER_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yandex.com",
        "zoho.com",
    }
)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def covers(pattern: str, domain: str) -> bool:
    """Whether an Exchange recipient-domain pattern (``x.com`` or ``*.x.com``) matches ``domain``."""
    pattern, domain = pattern.lower(), domain.lower()
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:])
    return pattern == domain


def within(domain: str, parent: str) -> bool:
    """``domain`` is ``parent`` or one of its subdomains."""
    domain, parent = domain.lower(), parent.lower()
    return domain == parent or domain.endswith("." + parent)


def _journal_path(r: Resolved, key: str) -> tuple[str, ...]:
    """Where the spec states the journal domain or address, or the archive section when it doesn't."""
    if r.origins[f"archive.{key}"].kind == "spec":
        return ("archive", key)
    if key == "journal_domain" and r.origins["archive.journal_address"].kind == "spec":
        # The domain was taken from the written address: that is the value to change.
        return ("archive", "journal_address")
    return ("archive",)


def _tenant_domain_path(r: Resolved, domain: str) -> tuple[str | int, ...]:
    """Where the spec lists one of the tenant's domains."""
    tenant = r.spec.tenant
    if domain == tenant.primary_domain:
        return ("tenant", "primary_domain")
    if domain == tenant.organization:
        return ("tenant", "organization")
    return ("tenant", "other_domains", tenant.other_domains.index(domain))


def journal_target(r: Resolved) -> Iterator[Finding]:
    journal_domain = r.journal_domain.lower()
    if domain_of(r.journal_address) != journal_domain:
        yield Finding(
            "JG201",
            _journal_path(r, "journal_address"),
            f"journal address {r.journal_address} is not in the journal domain {r.journal_domain}; "
            "use an address the archive gave you in that domain",
        )
    own = next((d for d in r.tenant_domains if d.lower() == journal_domain), None)
    if own is not None:
        path = _journal_path(r, "journal_domain")
        yield Finding(
            "JG202",
            # A preset's journal domain is right for most tenants; the spec's tenant list is the odd one.
            _tenant_domain_path(r, own) if path == ("archive",) else path,
            f"journal domain {r.journal_domain} is the tenant's own domain; Exchange Online cannot "
            "journal to itself: use the archive's journal domain",
        )
    if any(within(journal_domain, consumer) for consumer in CONSUMER_DOMAINS):
        yield Finding(
            "JG203",
            _journal_path(r, "journal_domain"),
            f"journal domain {r.journal_domain} is a consumer mail service, which Exchange Online "
            "refuses as a journal target",
        )


def ndr_address(r: Resolved) -> Iterator[Finding]:
    path = ("ndr", "address")
    ndr, journal = r.ndr.address, r.journal_address
    ndr_domain = domain_of(ndr)
    if ndr.lower() == journal.lower():
        yield Finding(
            "JG204",
            path,
            "the NDR address is the journal address; undeliverable reports would go back to the "
            "archive that refused them: use a dedicated mailbox",
        )
    elif within(ndr_domain, r.journal_domain):
        yield Finding(
            "JG205",
            path,
            f"the NDR address {ndr} is in the journal domain {r.journal_domain}; undeliverable "
            "reports would be routed to the archive that refused them",
        )
    in_tenant = any(within(ndr_domain, d) for d in r.tenant_domains)
    policy = r.ndr.domain_policy
    why = (
        "" if r.origins["ndr.domain_policy"].kind == "spec" else f" (the {r.vendor} preset's rule)"
    )
    if policy == "tenant" and not in_tenant:
        yield Finding(
            "JG206",
            path,
            f"the NDR address {ndr} is outside the tenant's domains, but ndr.domain_policy is "
            f"'tenant'{why}; use an address in your own domain, or set ndr.domain_policy",
        )
    elif policy == "external" and in_tenant:
        yield Finding(
            "JG206",
            path,
            f"the NDR address {ndr} is in the tenant's own domains, but ndr.domain_policy is "
            f"'external'{why}; use an address outside them, or set ndr.domain_policy",
        )
    if in_initial_domain(ndr_domain):
        yield Finding(
            "JG207",
            path,
            f"the NDR address {ndr} is an Exchange Online mailbox address, which Microsoft says "
            "cannot receive undeliverable journal reports; use a dedicated address in a domain you route",
        )


def _recipient_domains_path(r: Resolved, index: int | None = None) -> tuple[str | int, ...]:
    if r.origins["connector.recipient_domains"].kind != "spec":
        # Derived from the journal domain, so the journal settings are what to look at.
        return _journal_path(r, "journal_domain")
    return (
        ("connector", "recipient_domains")
        if index is None
        else ("connector", "recipient_domains", index)
    )


def connector_scope(r: Resolved) -> Iterator[Finding]:
    domains = r.connector.recipient_domains
    journal_domain = domain_of(r.journal_address)
    if not any(covers(pattern, journal_domain) for pattern in domains):
        yield Finding(
            "JG208",
            _recipient_domains_path(r),
            f"the connector's recipient domains ({', '.join(domains)}) do not cover the journal "
            f"address's domain {journal_domain}; journal reports would bypass the connector",
        )
    for index, pattern in enumerate(domains):
        for own in r.tenant_domains:
            if covers(pattern, own):
                yield Finding(
                    "JG209",
                    _recipient_domains_path(r, index),
                    f"recipient domain {pattern} covers the tenant's own domain {own}; the "
                    "connector would send the tenant's ordinary mail to the archive",
                )
                break
    if not r.connector.enabled:
        yield Finding(
            "JG219",
            ("connector", "enabled"),
            "the connector is disabled; journal reports will follow the journal domain's MX "
            "records instead of the checked smart hosts",
        )


def routing(r: Resolved) -> Iterator[Finding]:
    if r.connector.routing != "smart_hosts" and r.spec.connector.smart_hosts is not None:
        yield Finding(
            "JG220",
            ("connector", "smart_hosts"),
            "smart hosts are only used with 'routing: smart_hosts'; remove them or change the routing",
        )


def _preset_hosts(vendor: str) -> list[str]:
    """Every smart host the vendor's preset names, in any region, whatever its confidence."""
    from journalgen.vendors import presets

    preset = presets().get(vendor)
    if preset is None:
        return []
    entries = [preset.smart_hosts, *(region.smart_hosts for region in preset.regions.values())]
    return sorted({host.lower() for e in entries if e is not None and e.value for host in e.value})


def smart_host_near_miss(r: Resolved) -> Iterator[Finding]:
    if (
        r.origins.get("connector.smart_hosts") is None
        or r.origins["connector.smart_hosts"].kind != "spec"
    ):
        return
    known = _preset_hosts(r.vendor)
    for index, host in enumerate(r.connector.smart_hosts):
        if host.lower() in known:
            continue
        close = difflib.get_close_matches(host.lower(), known, n=1, cutoff=0.88)
        # Another region's host differs only in its leading region label (za-smtp-... for a
        # grid the preset has no hosts for): that is no typo.
        if not close or host.lower().partition("-")[2] == close[0].partition("-")[2]:
            continue
        yield Finding(
            "JG230",
            ("connector", "smart_hosts", index),
            f"smart host {host} is not one of {r.vendor_display_name}'s journal hosts but "
            f"close to {close[0]}: a typo queues journal mail until it expires; check it "
            "against the archive's console",
        )


def tls(r: Resolved) -> Iterator[Finding]:
    c = r.connector
    tls_spec = r.spec.connector.tls
    # Point at the written mode, or the nearest part of the connector section; with no section
    # at all the preset chose the mode, so point at the vendor the spec names.
    mode_path: tuple[str, ...] = ("connector", "tls", "mode")
    if "connector" not in r.spec.model_fields_set:
        mode_path = ("archive", "vendor")
    if c.tls_domain is not None and c.tls_mode != "domain_validation":
        yield Finding(
            "JG212",
            ("connector", "tls", "domain"),
            f"a TLS domain is only used with 'mode: domain_validation' (the mode is {c.tls_mode}); "
            "remove it or change the mode",
        )
    if c.tls_mode == "domain_validation":
        if c.tls_domain is None:
            yield Finding(
                "JG213",
                mode_path,
                "domain_validation needs 'connector.tls.domain': the name the archive's "
                "certificate carries, like '*.archive.example'",
            )
        else:
            hosts = [h for h in c.smart_hosts if any(ch.isalpha() for ch in h) and ":" not in h]
            if hosts and not any(covers(c.tls_domain, h) for h in hosts):
                yield Finding(
                    "JG221",
                    ("connector", "tls", "domain"),
                    f"TLS domain {c.tls_domain} matches none of the smart hosts "
                    f"({', '.join(hosts)}); check the name on the archive's certificate",
                )
    if c.tls_mode == "encryption_only":
        if not tls_spec.acknowledge_downgrade:
            yield Finding(
                "JG214",
                mode_path,
                "encryption_only does not check the archive's certificate; set "
                "'connector.tls.acknowledge_downgrade: true' to accept that, or use "
                "certificate_validation",
            )
        else:
            yield Finding(
                "JG215",
                mode_path,
                "encryption_only does not check the archive's certificate: journal reports can be "
                "intercepted; prefer certificate_validation",
            )


def _variant(this: str, name: str, that: str, other: str) -> str:
    """Two names that are one under :func:`name_key`, shown by code point, for a message."""
    return (
        f"{this}, '{name}' ({code_points(name)}), and {that}, '{other}' ({code_points(other)}), "
        "differ only in Unicode form, width or case: a reviewer cannot tell them apart, and "
        "Exchange may or may not treat them as one name"
    )


def rules(r: Resolved) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    coverage: dict[tuple[str, str | None], int] = {}
    for index, rule in enumerate(r.rules):
        key = name_key(rule.name)
        if key in seen:
            first = r.rules[seen[key]].name
            if first.casefold() == rule.name.casefold():
                yield Finding(
                    "JG210",
                    ("journal_rules", index, "name"),
                    f"journal rule name '{rule.name}' is already used by rule {seen[key] + 1}; "
                    "rule names are unique",
                )
            else:
                yield Finding(
                    "JG228",
                    ("journal_rules", index, "name"),
                    _variant(
                        "the name of this journal rule",
                        rule.name,
                        f"of rule {seen[key] + 1}",
                        first,
                    )
                    + "; write both names alike, or name the rules differently",
                )
        else:
            seen[key] = index
        if rule.recipient is not None and any(ch in rule.recipient for ch in "*?%"):
            yield Finding(
                "JG216",
                ("journal_rules", index, "recipient"),
                f"recipient {rule.recipient} has a wildcard; a journal rule takes one address of "
                "a mailbox, contact or group, or none to journal everyone",
            )
        cover = (rule.scope, rule.recipient.lower() if rule.recipient else None)
        if cover in coverage:
            yield Finding(
                "JG217",
                ("journal_rules", index),
                f"this rule journals the same mail as rule {coverage[cover] + 1} (scope "
                f"{rule.scope}, {rule.recipient or 'all recipients'}); every message would be "
                "journaled twice",
            )
        else:
            coverage[cover] = index
        if rule.paused_reason is not None and rule.enabled:
            yield Finding(
                "JG227",
                ("journal_rules", index, "paused_reason"),
                f"journal rule '{rule.name}' has a paused_reason but is enabled; set "
                "'enabled: false' to pause it, or remove the reason",
            )
        elif not rule.enabled and rule.paused_reason is None:
            # A written reason is the acknowledgement: the change document reports the pause.
            yield Finding(
                "JG218",
                ("journal_rules", index, "enabled"),
                f"journal rule '{rule.name}' is disabled: mail in its scope will not be archived; "
                "write 'paused_reason' to say the pause is deliberate",
            )
    if len(r.rules) > r.max_journal_rules:
        yield Finding(
            "JG211",
            ("journal_rules",),
            f"{len(r.rules)} journal rules exceed the limit of {r.max_journal_rules} "
            "(limits.max_journal_rules); Microsoft documents limits of 10, 50 or 300 by plan",
        )


def ndr_not_rule_recipient(r: Resolved) -> Iterator[Finding]:
    """Exchange refuses an NDR address that a rule journals (JournalingReportNdrToSameAsRecipient)."""
    for index, rule in enumerate(r.rules):
        if rule.recipient is not None and rule.recipient.lower() == r.ndr.address.lower():
            yield Finding(
                "JG222",
                ("ndr", "address"),
                f"the NDR address {r.ndr.address} is the recipient of journal rule '{rule.name}' "
                f"(journal_rules[{index}]); Exchange refuses that, so apply would stop halfway: "
                "use a dedicated address",
            )


def cloud(r: Resolved) -> Iterator[Finding]:
    info = CLOUDS[r.cloud]
    suffix = initial_suffix(r.organization)
    if suffix != info.suffix:
        yield Finding(
            "JG223",
            ("tenant", "organization"),
            f"{r.organization} is not an initial domain of {info.label} (cloud: {r.cloud}), "
            f"which ends in '{info.suffix}'; check tenant.organization and tenant.cloud",
        )
    if info.sovereign:
        yield Finding(
            "JG307",
            ("tenant", "cloud"),
            f"no source of the {r.vendor} preset confirms that the archive accepts journal "
            f"reports from {info.label}; confirm the vendor supports it and that the tenant may "
            "send to its hosts",
        )


def contact_alias(r: Resolved) -> Iterator[Finding]:
    if r.spec.contact.alias is not None:
        return
    alias, dropped = derive_alias(r.contact.name)
    if dropped:
        distinct = list(dict.fromkeys(dropped))
        shown = ", ".join(describe_char(c) for c in distinct[:3])
        more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
        yield Finding(
            "JG224",
            ("contact", "name") if "name" in r.spec.contact.model_fields_set else ("contact",),
            f"the alias derived from the contact's name is '{alias}': it leaves out {shown}{more}, "
            "which have no ASCII spelling; write 'contact.alias' to choose it",
        )


RETIRE_KINDS = {
    "journal_rules": "journal rule",
    "contacts": "mail contact",
    "connectors": "outbound connector",
}


def managed_names(r: Resolved) -> dict[str, dict[str, tuple[str | int, ...]]]:
    """The names the spec manages by retire kind (casefolded), each with where the spec says it."""
    contact = ("contact", "name") if r.origins["contact.name"].kind == "spec" else ("contact",)
    connector = (
        ("connector", "name") if r.origins["connector.name"].kind == "spec" else ("connector",)
    )
    return {
        "journal_rules": {
            rule.name.casefold(): ("journal_rules", i, "name") for i, rule in enumerate(r.rules)
        },
        "contacts": {r.contact.name.casefold(): contact},
        "connectors": {r.connector.name.casefold(): connector},
    }


def retire(r: Resolved) -> Iterator[Finding]:
    managed = managed_names(r)
    written = {
        "journal_rules": [rule.name for rule in r.rules],
        "contacts": [r.contact.name],
        "connectors": [r.connector.name],
    }
    for kind, what in RETIRE_KINDS.items():
        variants = {name_key(name): name for name in written[kind]}
        seen: dict[str, int] = {}
        retired = getattr(r.retire, kind)
        for index, name in enumerate(retired):
            path = ("retire", kind, index)
            key = name.casefold()
            if name_key(name) in seen:
                first = seen[name_key(name)]
                if retired[first].casefold() == key:
                    yield Finding(
                        "JG226",
                        path,
                        f"{what} '{name}' is already retired as entry {first + 1}; list it once",
                    )
                else:
                    yield Finding(
                        "JG228",
                        path,
                        _variant(f"this retired {what}", name, f"entry {first + 1}", retired[first])
                        + "; retire one of them in this change, the other in the next",
                    )
                continue
            seen[name_key(name)] = index
            if key in managed[kind]:
                yield Finding(
                    "JG225",
                    path,
                    f"{what} '{name}' is retired but the spec also manages it; apply would "
                    "create it and then remove it: keep it in one place",
                )
            elif name_key(name) in variants:
                yield Finding(
                    "JG228",
                    path,
                    _variant(
                        f"this retired {what}",
                        name,
                        f"the {what} the spec manages",
                        variants[name_key(name)],
                    )
                    + ", so apply could create it and then remove it; retire it in one change "
                    "and add the new name in the next",
                )


def name_forms(r: Resolved) -> Iterator[Finding]:
    """Names the spec gives to objects it creates, written in a form other than NFC."""
    contact = ("contact", "name") if r.origins["contact.name"].kind == "spec" else ("contact",)
    connector = (
        ("connector", "name") if r.origins["connector.name"].kind == "spec" else ("connector",)
    )
    named: list[tuple[str, str, tuple[str | int, ...]]] = [
        ("journal rule", rule.name, ("journal_rules", i, "name")) for i, rule in enumerate(r.rules)
    ]
    named += [("mail contact", r.contact.name, contact), ("connector", r.connector.name, connector)]
    for what, name, path in named:
        problem = not_nfc(name)
        if problem is not None:
            yield Finding(
                "JG229",
                path,
                f"the {what} name '{name}' is not in Unicode NFC form: it has {problem}; Exchange "
                "stores it as written, so the same name typed elsewhere may not find it: write "
                "the composed character",
            )


CHECKS: tuple[Check, ...] = (
    cloud,
    journal_target,
    ndr_address,
    ndr_not_rule_recipient,
    connector_scope,
    routing,
    smart_host_near_miss,
    tls,
    rules,
    contact_alias,
    retire,
    name_forms,
)


def run_checks(resolved: Resolved) -> list[Finding]:
    """Every finding of every check, in check order."""
    return [finding for check in CHECKS for finding in check(resolved)]

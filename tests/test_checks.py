"""Every cross-field check and preset finding, triggered by a minimal spec, at its exact LINE:COL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journalgen.codes import CODES
from journalgen.compiler import check_source
from journalgen.diagnostics import Diagnostic, Severity
from journalgen.errors import SpecError
from tests.spectext import DROP, after, diagnostics, position, spec_text

CUSTOM: dict[str, Any] = {
    "archive": {"vendor": "custom", "region": DROP, "journal_address": "journal@archive.example"},
    "connector": {"smart_hosts": ["smtp1.archive.example", "smtp2.archive.example"]},
}


def the(text: str, code: str) -> Diagnostic:
    """The one diagnostic with ``code`` for ``text`` (others may accompany it)."""
    [diagnostic] = [d for d in diagnostics(text) if d.code == code]
    return diagnostic


def where(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.line}:{diagnostic.column}"


def assert_reported(
    overrides: dict[str, Any],
    code: str,
    expected_at: str | tuple[str, int],
    *,
    needle: bool = False,
) -> Diagnostic:
    """Build the spec, then find the diagnostic ``code`` at the place ``expected_at`` names."""
    text = spec_text(overrides)
    prefix, nth = expected_at if isinstance(expected_at, tuple) else (expected_at, 0)
    expected = position(text, prefix, nth) if needle else after(text, prefix, nth)
    diagnostic = the(text, code)
    assert where(diagnostic) == expected, text
    assert diagnostic.severity is CODES[code].severity
    return diagnostic


# --- R3: the journal target ---------------------------------------------------------------------


def test_jg201_journal_address_outside_journal_domain() -> None:
    d = assert_reported(
        {
            "archive": {
                "journal_domain": "journal.contoso.com",
                "journal_address": "j@archive.example",
            }
        },
        "JG201",
        "journal_address: ",
    )
    assert d.message == (
        "journal address j@archive.example is not in the journal domain journal.contoso.com; "
        "use an address the archive gave you in that domain"
    )


def test_jg202_journal_domain_is_the_tenants_own() -> None:
    assert_reported({"archive": {"journal_domain": "contoso.com"}}, "JG202", "journal_domain: ")


def test_jg202_points_at_the_address_when_the_domain_comes_from_it() -> None:
    assert_reported({"archive": {"journal_address": "j@contoso.com"}}, "JG202", "journal_address: ")


def test_jg202_points_at_the_tenant_domain_when_the_preset_supplies_it() -> None:
    assert_reported(
        {"tenant": {"other_domains": ["fabrikam.com", "journal.contoso.com"]}},
        "JG202",
        ("- ", 1),
    )


def test_jg202_ignores_case() -> None:
    assert_reported({"archive": {"journal_domain": "CONTOSO.com"}}, "JG202", "journal_domain: ")


def test_jg203_consumer_mail_journal_target() -> None:
    overrides = {**CUSTOM, "archive": {**CUSTOM["archive"], "journal_address": "me@gmail.com"}}
    assert_reported(overrides, "JG203", "journal_address: ")


def test_jg203_subdomain_of_consumer_mail() -> None:
    assert_reported(
        {"archive": {"journal_domain": "mail.outlook.com"}}, "JG203", "journal_domain: "
    )


# --- R4: the NDR address ------------------------------------------------------------------------


def test_jg204_ndr_is_the_journal_address() -> None:
    text = spec_text({"ndr": {"address": "Journaling@journal.contoso.com"}})
    assert where(the(text, "JG204")) == after(text, "  address: ")
    assert "JG205" not in {d.code for d in diagnostics(text)}


def test_jg205_ndr_in_journal_domain() -> None:
    assert_reported({"ndr": {"address": "ndr@journal.contoso.com"}}, "JG205", "  address: ")


def test_jg205_ndr_in_a_subdomain_of_the_journal_domain() -> None:
    assert_reported({"ndr": {"address": "ndr@x.journal.contoso.com"}}, "JG205", "  address: ")


def test_jg206_ndr_outside_tenant_with_tenant_policy() -> None:
    d = assert_reported({"ndr": {"address": "ndr@fabrikam.net"}}, "JG206", "  address: ")
    assert "(the mimecast preset's rule)" in d.message


def test_jg206_ndr_inside_tenant_with_external_policy() -> None:
    d = assert_reported({"ndr": {"domain_policy": "external"}}, "JG206", "  address: ")
    assert "preset's rule" not in d.message


def test_jg206_any_policy_accepts_both() -> None:
    for address in ("ndr@fabrikam.net", "ndr@contoso.com"):
        text = spec_text({"ndr": {"address": address, "domain_policy": "any"}})
        assert diagnostics(text) == []


def test_jg206_other_domains_count_as_the_tenants() -> None:
    text = spec_text(
        {"tenant": {"other_domains": ["fabrikam.net"]}, "ndr": {"address": "n@fabrikam.net"}}
    )
    assert diagnostics(text) == []


def test_jg207_ndr_is_an_exchange_online_mailbox() -> None:
    assert_reported({"ndr": {"address": "ndr@contoso.onmicrosoft.com"}}, "JG207", "  address: ")


# --- R7: connector scope ------------------------------------------------------------------------


def test_jg208_recipient_domains_miss_the_journal_domain() -> None:
    assert_reported(
        {"connector": {"recipient_domains": ["archive.example"]}},
        "JG208",
        "- archive.example",
        needle=True,
    )


def test_jg208_wildcard_covers_the_journal_domain() -> None:
    text = spec_text({"connector": {"recipient_domains": ["*.contoso.com"]}})
    assert "JG208" not in {d.code for d in diagnostics(text)}


def test_jg208_derived_recipient_domains_point_at_the_journal_domain() -> None:
    overrides = {
        "archive": {"journal_domain": "journal.contoso.com", "journal_address": "j@archive.example"}
    }
    assert_reported(overrides, "JG208", "journal_domain: ")


def test_jg209_recipient_domain_is_the_tenants() -> None:
    assert_reported(
        {"connector": {"recipient_domains": ["journal.contoso.com", "contoso.com"]}},
        "JG209",
        ("- ", 2),
    )


def test_jg209_wildcard_covering_a_tenant_domain() -> None:
    assert_reported(
        {
            "tenant": {"other_domains": ["eu.contoso.com"]},
            "connector": {"recipient_domains": ["journal.contoso.com", "*.contoso.com"]},
        },
        "JG209",
        ("- ", 3),
    )


def test_jg219_connector_disabled() -> None:
    assert_reported({"connector": {"enabled": False}}, "JG219", "enabled: ")


def test_jg220_smart_hosts_with_mx_routing() -> None:
    assert_reported(
        {"connector": {"routing": "mx_record", "smart_hosts": ["smtp.archive.example"]}},
        "JG220",
        "- smtp.archive.example",
        needle=True,
    )


# --- R8: TLS ------------------------------------------------------------------------------------


def test_jg212_tls_domain_without_domain_validation() -> None:
    assert_reported({"connector": {"tls": {"domain": "mimecast.com"}}}, "JG212", "    domain: ")


def test_jg213_domain_validation_without_tls_domain() -> None:
    assert_reported({"connector": {"tls": {"mode": "domain_validation"}}}, "JG213", "mode: ")


def test_jg214_encryption_only_unacknowledged() -> None:
    assert_reported({"connector": {"tls": {"mode": "encryption_only"}}}, "JG214", "mode: ")


def test_jg215_encryption_only_acknowledged_still_warns() -> None:
    overrides = {"connector": {"tls": {"mode": "encryption_only", "acknowledge_downgrade": True}}}
    assert_reported(overrides, "JG215", "mode: ")
    assert "JG214" not in {d.code for d in diagnostics(spec_text(overrides))}


def test_jg221_tls_domain_matches_no_smart_host() -> None:
    overrides = {"connector": {"tls": {"mode": "domain_validation", "domain": "*.archive.example"}}}
    assert_reported(overrides, "JG221", "    domain: ")


def test_jg221_silent_when_tls_domain_matches() -> None:
    overrides = {"connector": {"tls": {"mode": "domain_validation", "domain": "*.mimecast.com"}}}
    assert diagnostics(spec_text(overrides)) == []


def test_jg221_ip_smart_hosts_are_not_compared() -> None:
    overrides = {
        "connector": {
            "smart_hosts": ["192.0.2.10", "2001:db8::25"],
            "tls": {"mode": "domain_validation", "domain": "archive.example"},
        }
    }
    assert diagnostics(spec_text(overrides)) == []


# --- R5, R6, R9: journal rules ------------------------------------------------------------------


def test_jg210_duplicate_rule_name_ignores_case() -> None:
    d = assert_reported(
        {"journal_rules": [{"name": "All mail"}, {"name": "ALL MAIL", "scope": "internal"}]},
        "JG210",
        ("- name: ", 1),
    )
    assert "already used by rule 1" in d.message


def test_jg211_rule_count_over_the_limit() -> None:
    rules = [{"name": f"Rule {i}", "recipient": f"user{i}@contoso.com"} for i in range(3)]
    text = spec_text({"journal_rules": rules, "limits": {"max_journal_rules": 2}})
    assert where(the(text, "JG211")) == position(text, "- name: Rule 0")


def test_jg211_default_limit_is_50() -> None:
    rules = [{"name": f"Rule {i}", "recipient": f"user{i}@contoso.com"} for i in range(51)]
    text = spec_text({"journal_rules": rules})
    assert [d.code for d in diagnostics(text)] == ["JG211"]
    rules.pop()
    assert diagnostics(spec_text({"journal_rules": rules})) == []


@pytest.mark.parametrize(
    "recipient", ["*@contoso.com", "sales*@contoso.com", "a?b@contoso.com", "%@contoso.com"]
)
def test_jg216_wildcard_in_rule_recipient(recipient: str) -> None:
    assert_reported(
        {"journal_rules": [{"name": "One", "recipient": recipient}]}, "JG216", "recipient: "
    )


def test_jg217_two_rules_cover_the_same_mail() -> None:
    overrides = {
        "journal_rules": [
            {"name": "A", "recipient": "x@contoso.com"},
            {"name": "B", "recipient": "X@contoso.com"},
        ]
    }
    assert_reported(overrides, "JG217", ("- ", 1))


def test_jg217_silent_for_different_scopes() -> None:
    rules = [{"name": "In", "scope": "internal"}, {"name": "Out", "scope": "external"}]
    assert diagnostics(spec_text({"journal_rules": rules})) == []


def test_jg218_disabled_rule() -> None:
    assert_reported({"journal_rules": [{"name": "Off", "enabled": False}]}, "JG218", "enabled: ")


# --- vendor presets -----------------------------------------------------------------------------


def test_jg301_unknown_vendor() -> None:
    d = assert_reported({"archive": {"vendor": "nosuch"}}, "JG301", "vendor: ")
    assert "known vendors: " in d.message
    assert "mimecast" in d.message


def test_jg302_vendor_needs_a_region() -> None:
    d = assert_reported({"archive": {"region": DROP}}, "JG302", "vendor: ", needle=True)
    assert "archive.region" in d.message


def test_jg302_custom_archive_needs_the_journal_address() -> None:
    overrides = {**CUSTOM, "archive": {"vendor": "custom", "region": DROP}}
    d = assert_reported(overrides, "JG302", "vendor: ", needle=True)
    assert "archive.journal_address" in d.message


def test_jg303_unconfirmed_preset_value() -> None:
    d = assert_reported({"archive": {"region": "eu"}}, "JG303", "region: ")
    assert "acknowledge_unconfirmed" in d.message


def test_jg304_unknown_region() -> None:
    assert_reported({"archive": {"region": "mars"}}, "JG304", "region: ")


def test_jg305_unconfirmed_preset_value_acknowledged() -> None:
    assert_reported(
        {"archive": {"region": "eu", "acknowledge_unconfirmed": True}}, "JG305", "region: "
    )


def test_jg306_journal_address_outside_the_presets_journal_domain() -> None:
    d = assert_reported(
        {"archive": {"journal_address": "journaling@journal.contoso.net"}},
        "JG306",
        "journal_address: ",
    )
    assert "journal.contoso.com, the mimecast preset's journal domain" in d.message


def test_jg306_silent_when_the_journal_domain_is_written() -> None:
    overrides = {
        "archive": {
            "journal_domain": "journal.contoso.net",
            "journal_address": "j@journal.contoso.net",
        }
    }
    assert diagnostics(spec_text(overrides)) == []


def test_written_smart_hosts_need_no_region() -> None:
    overrides = {
        "archive": {"region": DROP},
        "connector": {"smart_hosts": ["smtp.archive.example"]},
    }
    assert diagnostics(spec_text(overrides)) == []


def test_a_derived_alias_that_leaves_letters_out_is_reported() -> None:
    # More in tests/test_alias.py.
    d = assert_reported({"contact": {"name": "\u30b8\u30e3 Archiv"}}, "JG224", "  name: ")
    assert "'Archiv'" in d.message


# --- every code is tested, the good spec is silent, --strict ------------------------------------


def test_every_check_code_has_a_test_here() -> None:
    # Name variants (NFKC, case) have a file of their own.
    source = Path(__file__).read_text(encoding="utf-8") + (
        Path(__file__).with_name("test_name_variants.py").read_text(encoding="utf-8")
        + Path(__file__).with_name("test_acknowledge.py").read_text(encoding="utf-8")
    )
    wanted = [c for c in CODES if c.startswith(("JG2", "JG3"))]
    assert wanted
    assert [c for c in wanted if f'"{c}"' not in source] == []


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        CUSTOM,
        {"archive": {"journal_domain": "journal.contoso.com"}, "ndr": {"queue_expiry_days": 3}},
        {"connector": {"tls": {"mode": "domain_validation", "domain": "*.mimecast.com"}}},
        {
            "journal_rules": [
                {"name": "In", "scope": "internal"},
                {"name": "CFO", "recipient": "cfo@contoso.com"},
            ]
        },
    ],
    ids=["minimal", "custom", "explicit-journal-domain", "domain-validation", "several-rules"],
)
def test_good_specs_are_silent(overrides: dict[str, Any]) -> None:
    assert diagnostics(spec_text(overrides)) == []


def test_warnings_do_not_fail_without_strict() -> None:
    text = spec_text({"journal_rules": [{"name": "Off", "enabled": False}]})
    checked = check_source(text.encode(), "spec.yaml")
    assert [(d.code, d.severity) for d in checked.warnings] == [("JG218", Severity.WARNING)]


def test_strict_promotes_warnings_to_errors() -> None:
    text = spec_text(
        {"journal_rules": [{"name": "Off", "enabled": False}], "ndr": {"address": "n@fabrikam.net"}}
    )
    with pytest.raises(SpecError) as info:
        check_source(text.encode(), "spec.yaml", strict=True)
    assert [(d.code, d.severity) for d in info.value.diagnostics] == [
        ("JG218", Severity.ERROR),
        ("JG206", Severity.ERROR),
    ]


def test_strict_keeps_a_clean_spec_clean() -> None:
    assert check_source(spec_text().encode(), "spec.yaml", strict=True).warnings == ()


def test_findings_keep_check_order_sorted_by_position() -> None:
    text = spec_text(
        {
            "connector": {"enabled": False, "tls": {"mode": "encryption_only"}},
            "ndr": {"address": "ndr@journal.contoso.com"},
        }
    )
    found = [(d.code, where(d)) for d in diagnostics(text)]
    assert found == sorted(found, key=lambda item: tuple(int(n) for n in item[1].split(":")))
    assert {code for code, _ in found} == {"JG205", "JG214", "JG219"}


# --- issue 12: NDR and rule recipients, clouds ----------------------------------------------------


def test_jg222_ndr_address_is_a_rules_recipient() -> None:
    d = assert_reported(
        {"journal_rules": [{"name": "Board", "recipient": "Journal-NDR@contoso.com"}]},
        "JG222",
        "  address: ",
    )
    assert "journal rule 'Board'" in d.message


def test_jg222_not_for_other_recipients() -> None:
    text = spec_text({"journal_rules": [{"name": "Board", "recipient": "board@contoso.com"}]})
    assert "JG222" not in {d.code for d in diagnostics(text)}


def test_jg223_organization_suffix_does_not_match_the_cloud() -> None:
    assert_reported({"tenant": {"cloud": "dod"}}, "JG223", "organization: ")


def test_jg307_sovereign_cloud_vendor_unconfirmed() -> None:
    assert_reported(
        {"tenant": {"cloud": "china", "organization": "contoso.partner.onmschina.cn"}},
        "JG307",
        "cloud: ",
    )


# --- retire: and pausing --------------------------------------------------------------------------


def test_a_retired_name_the_spec_also_manages_is_refused_where_it_is_retired() -> None:
    # Exchange names are case-insensitive, so a different case is the same contact.
    d = assert_reported(
        {"retire": {"contacts": ["smtp journaling"]}}, "JG225", "smtp journaling", needle=True
    )
    assert "mail contact 'smtp journaling' is retired but the spec also manages it" in d.message


def test_retiring_a_managed_rule_or_connector_is_refused() -> None:
    text = spec_text(
        {
            "retire": {
                "journal_rules": ["Journal all mail"],
                "connectors": ["Microsoft 365 to Mimecast"],
            }
        }
    )
    assert [d.code for d in diagnostics(text)] == ["JG225", "JG225"]


def test_a_name_retired_twice_is_refused_at_its_second_entry() -> None:
    d = assert_reported(
        {"retire": {"journal_rules": ["Old", "old"]}}, "JG226", ("  - ", 1), needle=False
    )
    assert "already retired as entry 1" in d.message


def test_retiring_other_names_is_clean() -> None:
    text = spec_text(
        {
            "retire": {
                "journal_rules": ["Journal all messages to Mimecast (old)"],
                "contacts": ["Old Journaling"],
                "connectors": ["Microsoft 365 to Old Archive"],
            }
        }
    )
    assert check_source(text.encode(), "spec.yaml", strict=True).warnings == ()


def test_a_paused_reason_acknowledges_a_disabled_rule_even_under_strict() -> None:
    text = spec_text(
        {"journal_rules": [{"name": "Off", "enabled": False, "paused_reason": "Vendor switch"}]}
    )
    assert check_source(text.encode(), "spec.yaml", strict=True).warnings == ()


def test_a_paused_reason_on_an_enabled_rule_is_refused() -> None:
    assert_reported(
        {"journal_rules": [{"name": "On", "paused_reason": "Vendor switch"}]},
        "JG227",
        "  paused_reason: ",
    )


# --- a typo in a vendor's smart host ------------------------------------------------------------


def _hosts(*hosts: str) -> dict[str, Any]:
    return {"connector": {"smart_hosts": list(hosts)}}


def test_a_near_miss_of_a_preset_smart_host_warns_at_the_host() -> None:
    typo = _hosts("us-smtp-journal-1.mimecast.com", "us-smtp-jounral-2.mimecast.com")
    found = assert_reported(typo, "JG230", ("us-smtp-jounral-2", 0), needle=True)
    assert "close to us-smtp-journal-2.mimecast.com" in found.message


@pytest.mark.parametrize(
    "hosts",
    [
        # The preset's own hosts, of this region or another, in any case.
        ("US-SMTP-JOURNAL-1.mimecast.com", "eu-smtp-journal-2.mimecast.com"),
        # A grid the preset has no hosts for: only the region label differs.
        ("za-smtp-journal-1.mimecast.com",),
        # Nothing like the vendor's hosts: a deliberate choice, not a typo.
        ("smtp.relay.example.net",),
    ],
)
def test_hosts_that_are_no_typo_do_not_warn(hosts: tuple[str, ...]) -> None:
    assert "JG230" not in {d.code for d in diagnostics(spec_text(_hosts(*hosts)))}


def test_a_custom_vendor_has_no_hosts_to_miss() -> None:
    custom = {**CUSTOM, "connector": {"smart_hosts": ["smtp1.archive.exampel"]}}
    assert "JG230" not in {d.code for d in diagnostics(spec_text(custom))}

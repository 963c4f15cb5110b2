"""The spec models and value policies, reported through the front end with exact code and LINE:COL."""

from __future__ import annotations

from typing import Any

import pytest

from journalgen.compiler import check_source
from journalgen.spec import Spec
from tests.spectext import DROP, after, diagnostics, found, position, spec_text


def only(overrides: dict[str, Any]) -> tuple[str, str, str]:
    """The single diagnostic for a spec with ``overrides``: code, LINE:COL, message."""
    text = spec_text(overrides)
    [diagnostic] = diagnostics(text)
    return diagnostic.code, f"{diagnostic.line}:{diagnostic.column}", diagnostic.message


def test_minimal_spec_is_valid_and_frozen() -> None:
    checked = check_source(spec_text().encode(), "spec.yaml")
    assert checked.warnings == ()
    spec = checked.resolved.spec
    assert isinstance(spec, Spec)
    with pytest.raises(ValueError, match="frozen"):
        spec.version = 1
    assert isinstance(spec.journal_rules, tuple)


# --- unknown, missing and mistyped keys ---------------------------------------------------------


def test_unknown_key_points_at_the_key_and_suggests() -> None:
    text = spec_text({"tenant": {"primary_domian": "contoso.com"}})
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG101", position(text, "primary_domian"))
    assert d.message == "unknown key 'primary_domian' in tenant; did you mean 'primary_domain'?"


def test_unknown_key_in_a_list_item() -> None:
    text = spec_text({"journal_rules": [{"name": "All", "scop": "internal"}]})
    assert only({"journal_rules": [{"name": "All", "scop": "internal"}]}) == (
        "JG101",
        position(text, "scop"),
        "unknown key 'scop' in journal_rules[0]; did you mean 'scope'?",
    )


def test_unknown_top_level_key_suggests() -> None:
    text = spec_text({"conector": {"enabled": True}})
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG101", position(text, "conector"))
    assert "did you mean 'connector'?" in d.message


def test_unknown_key_without_a_close_match_lists_the_valid_keys() -> None:
    code, where, message = only({"tls_stuff": 1})
    assert (code, where) == ("JG101", "12:1")
    assert "valid keys here: version, change, tenant, archive, contact" in message


def test_unknown_key_with_an_invisible_character_is_shown_escaped() -> None:
    text = spec_text({"contact": {"name\u200b": "SMTP Journaling"}})
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG101", position(text, "name\u200b"))
    assert d.message == "unknown key 'name\\u200b' in contact; did you mean 'name'?"


def test_key_in_the_wrong_section_says_where_it_belongs() -> None:
    text = spec_text({"connector": {"queue_expiry_days": 3}})
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG101", position(text, "queue_expiry_days"))
    assert d.message == (
        "unknown key 'queue_expiry_days' in connector; 'queue_expiry_days' belongs under ndr"
    )


def test_nested_key_at_the_top_level_says_where_it_belongs() -> None:
    code, _, message = only({"tls": {"mode": "domain_validation"}})
    assert code == "JG101"
    assert message == "unknown key 'tls' in the top level; 'tls' belongs under connector"


def test_missing_field_points_at_the_parent_mapping() -> None:
    text = spec_text({"tenant": {"organization": DROP}})
    assert found(text) == [("JG102", position(text, "primary_domain"))]
    [d] = diagnostics(text)
    assert d.message == "missing required key 'organization' in tenant"


def test_missing_field_in_a_list_item() -> None:
    text = spec_text({"journal_rules": [{"scope": "internal"}]})
    assert found(text) == [("JG102", position(text, "scope"))]


def test_missing_section_points_at_the_top_level_mapping() -> None:
    text = "# comment\n\n" + spec_text({"ndr": DROP})
    assert found(text) == [("JG102", "3:1")]


@pytest.mark.parametrize(
    ("overrides", "prefix", "expected"),
    [
        (
            {"contact": {"hidden_from_address_lists": "yes"}},
            "hidden_from_address_lists: ",
            "true or false",
        ),
        ({"journal_rules": [{"name": 7}]}, "- name: ", "text"),
        ({"ndr": {"queue_expiry_days": "3"}}, "queue_expiry_days: ", "a whole number"),
        ({"tenant": {"other_domains": "fabrikam.com"}}, "other_domains: ", "a list"),
        ({"tenant": "contoso.com"}, "tenant: ", "a mapping of keys"),
        ({"connector": {"enabled": 1}}, "enabled: ", "true or false"),
    ],
)
def test_wrong_type(overrides: dict[str, Any], prefix: str, expected: str) -> None:
    text = spec_text(overrides)
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG103", after(text, prefix))
    assert f"must be {expected}, not" in d.message


def test_quoted_number_suggests_removing_the_quotes() -> None:
    assert only({"ndr": {"queue_expiry_days": "7"}})[2] == (
        "ndr.queue_expiry_days must be a whole number, not the text '7' (write it without quotes)"
    )


def test_wrong_type_for_a_number_in_a_name_suggests_quotes() -> None:
    code, _, message = only({"contact": {"name": 2024}})
    assert code == "JG103"
    assert (
        message
        == "contact.name must be text, not the number 2024 (put it in quotes to make it text)"
    )


def test_every_error_is_reported_at_once() -> None:
    text = spec_text(
        {
            "tenant": {"primary_domain": "contoso"},
            "contact": {"alias": "a b"},
            "ndr": {"queue_expiry_days": 9},
        }
    )
    assert [code for code, _ in found(text)] == ["JG106", "JG109", "JG112"]


# --- version ------------------------------------------------------------------------------------


def test_version_missing_points_at_the_top_level_mapping() -> None:
    text = spec_text({"version": DROP})
    assert found(text) == [("JG102", "1:1")]


def test_version_2_is_unsupported() -> None:
    assert only({"version": 2}) == (
        "JG100",
        "1:10",
        "unsupported spec version 2; this journalgen reads version 1",
    )


def test_version_as_text() -> None:
    assert only({"version": "1"}) == (
        "JG100",
        "1:10",
        "version must be the number 1, not the text '1' (write it without quotes)",
    )


@pytest.mark.parametrize("value", [True, None, "v1"])
def test_version_other_types(value: object) -> None:
    code, where, message = only({"version": value})
    assert (code, where) == ("JG100", "1:10")
    assert message.startswith("version must be the number 1, not ")


# --- the text policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must not be empty"),
        (" SMTP Journaling", "must not start or end with white space"),
        ("SMTP Journaling ", "must not start or end with white space"),
        ("SMTP\u00a0", "must not start or end with white space"),
        ("SMTP\x07Journaling", "contains the invisible or control character U+0007; remove it"),
        ("SMTP\nJournaling", "contains the invisible or control character U+000A; remove it"),
        ("SMTP\x00", "contains the invisible or control character U+0000; remove it"),
        (
            "SMTP\u202eJournaling",
            "contains the invisible or control character U+202E RIGHT-TO-LEFT OVERRIDE; remove it",
        ),
        (
            "SMTP\u200bJournaling",
            "contains the invisible or control character U+200B ZERO WIDTH SPACE; remove it",
        ),
        ("SMTP\ue000", "contains the invisible or control character U+E000; remove it"),
        (
            "SMTP\u2028x",
            "contains the invisible or control character U+2028 LINE SEPARATOR; remove it",
        ),
    ],
    ids=[
        "empty",
        "leading",
        "trailing",
        "nbsp",
        "bell",
        "newline",
        "nul",
        "bidi",
        "zwsp",
        "private",
        "ls",
    ],
)
def test_text_policy(value: str, message: str) -> None:
    text = spec_text({"contact": {"name": value}})
    assert only({"contact": {"name": value}}) == (
        "JG104",
        after(text, "  name: "),
        f"contact.name: {message}",
    )


@pytest.mark.parametrize(
    ("overrides", "prefix"),
    [
        ({"connector": {"comment": "ok\u202e"}}, "comment: "),
        ({"journal_rules": [{"name": "\u200bAll"}]}, "- name: "),
        ({"contact": {"initials": ""}}, "initials: "),
        ({"contact": {"display_name": "x\u2066"}}, "display_name: "),
    ],
)
def test_text_policy_applies_to_every_string(overrides: dict[str, Any], prefix: str) -> None:
    text = spec_text(overrides)
    assert found(text) == [("JG104", after(text, prefix))]


def test_text_policy_accepts_ordinary_unicode() -> None:
    text = spec_text({"contact": {"name": "Journal Zürich – 東京", "alias": "JournalZurich"}})
    assert found(text) == []


def test_control_character_in_a_domain_is_a_text_problem() -> None:
    text = spec_text({"tenant": {"primary_domain": "contoso.com\t"}})
    assert found(text) == [("JG104", after(text, "primary_domain: "))]


# --- addresses, domains, aliases, smart hosts --------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "nope",
        "@contoso.com",
        "a..b@contoso.com",
        "a@b@contoso.com",
        "a b@contoso.com",
        "a@contoso",
        "a@-x.com",
    ],
)
def test_bad_addresses(address: str) -> None:
    text = spec_text({"ndr": {"address": address}})
    assert found(text) == [("JG105", after(text, "address: "))]


def test_address_must_be_ascii() -> None:
    code, _, message = only({"ndr": {"address": "jürgen@contoso.com"}})
    assert code == "JG105"
    assert message == (
        "ndr.address: an email address must be ASCII; found U+00FC LATIN SMALL LETTER U WITH DIAERESIS"
    )


def test_address_local_part_limit() -> None:
    text = spec_text({"ndr": {"address": "a" * 65 + "@contoso.com"}})
    assert found(text) == [("JG105", after(text, "address: "))]


def test_address_domain_length_limit() -> None:
    text = spec_text({"ndr": {"address": "a@" + ("b" * 60 + ".") * 5 + "com"}})
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG105", after(text, "address: "))
    assert d.message.endswith("is longer than 253 characters")


@pytest.mark.parametrize(
    "domain",
    [
        "contoso",
        "-contoso.com",
        "contoso-.com",
        "contoso.123",
        "a_b.com",
        "*.contoso.com",
        "x" * 64 + ".com",
    ],
)
def test_bad_domains(domain: str) -> None:
    text = spec_text({"tenant": {"primary_domain": domain}})
    assert found(text) == [("JG106", after(text, "primary_domain: "))]


def test_domain_must_be_ascii_and_says_punycode() -> None:
    code, _, message = only({"tenant": {"primary_domain": "cöntoso.com"}})
    assert code == "JG106"
    assert "use the punycode 'xn--' form" in message


def test_punycode_domain_is_fine() -> None:
    text = spec_text({"tenant": {"other_domains": ["xn--cntoso-jua.com"]}})
    assert found(text) == []


@pytest.mark.parametrize("organization", ["contoso.com", "a.b.onmicrosoft.com", "onmicrosoft.com"])
def test_organization_must_be_onmicrosoft(organization: str) -> None:
    text = spec_text({"tenant": {"organization": organization}})
    assert found(text) == [("JG106", after(text, "organization: "))]


def test_recipient_domain_wildcard_only_leading() -> None:
    text = spec_text({"connector": {"recipient_domains": ["journal.contoso.com", "a.*.com"]}})
    assert found(text) == [("JG106", position(text, "a.*.com"))]


def test_leading_wildcard_recipient_domain_is_allowed() -> None:
    text = spec_text(
        {"connector": {"recipient_domains": ["*.journal.contoso.com", "journal.contoso.com"]}}
    )
    assert found(text) == []


@pytest.mark.parametrize(
    "alias", ["SMTP Journaling", ".Journaling", "Jour..naling", "a@b", "Jürgen"]
)
def test_bad_aliases(alias: str) -> None:
    text = spec_text({"contact": {"alias": alias}})
    assert found(text) == [("JG112", after(text, "alias: "))]


def test_good_smart_hosts() -> None:
    hosts = [
        "smtp.archive.example",
        "192.0.2.10",
        "2001:db8::25",
        "198.51.100.0/24",
        "2001:db8:1::/48",
    ]
    assert found(spec_text({"connector": {"smart_hosts": hosts}})) == []


@pytest.mark.parametrize(
    "host",
    [
        "archive",
        "*.mimecast.com",
        "999.1.1.1",
        "192.0.2.1/24",
        "192.0.2.0/33",
        "2001:db8::zz",
        "smtp.archive.example:25",
        "smtp_1.archive.example",
        "1.2.3",
    ],
)
def test_bad_smart_hosts(host: str) -> None:
    text = spec_text({"connector": {"smart_hosts": ["ok.archive.example", host]}})
    # The third list item: after the journal rule and the good host.
    assert found(text) == [("JG107", after(text, "- ", nth=2))]


def test_empty_smart_host_list() -> None:
    text = spec_text({"connector": {"smart_hosts": []}})
    assert found(text) == [("JG111", after(text, "smart_hosts: "))]


def test_empty_journal_rules() -> None:
    text = spec_text({"journal_rules": []})
    assert found(text) == [("JG111", after(text, "journal_rules: "))]


def test_list_with_bad_items_does_not_also_say_too_short() -> None:
    text = spec_text({"connector": {"smart_hosts": ["x"]}})
    assert [code for code, _ in found(text)] == ["JG107"]


# --- length limits, ranges and choices ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prefix", "limit"),
    [
        ({"contact": {"name": "n" * 65}}, "  name: ", 64),
        ({"contact": {"first_name": "n" * 65}}, "first_name: ", 64),
        ({"contact": {"last_name": "n" * 65}}, "last_name: ", 64),
        ({"contact": {"alias": "n" * 65}}, "alias: ", 64),
        ({"connector": {"name": "n" * 65}}, "  name: ", 64),
        ({"journal_rules": [{"name": "n" * 65}]}, "- name: ", 64),
        ({"contact": {"display_name": "d" * 257}}, "display_name: ", 256),
        ({"contact": {"initials": "ABCDEFG"}}, "initials: ", 6),
    ],
)
def test_length_limits(overrides: dict[str, Any], prefix: str, limit: int) -> None:
    text = spec_text(overrides)
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG108", after(text, prefix))
    assert d.message.endswith(f"characters long; the limit is {limit}")


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "contact": {
                "name": "n" * 64,
                "alias": "a" * 64,
                "display_name": "d" * 256,
                "initials": "ABCDEF",
            }
        },
        {"journal_rules": [{"name": "n" * 64}]},
    ],
)
def test_length_limits_are_inclusive(overrides: dict[str, Any]) -> None:
    assert found(spec_text(overrides)) == []


@pytest.mark.parametrize(("days", "message"), [(8, "at most 7"), (-1, "at least 0")])
def test_queue_expiry_range(days: int, message: str) -> None:
    text = spec_text({"ndr": {"queue_expiry_days": days}})
    assert only({"ndr": {"queue_expiry_days": days}}) == (
        "JG109",
        after(text, "queue_expiry_days: "),
        f"ndr.queue_expiry_days is {days}; it must be {message}",
    )


@pytest.mark.parametrize("days", [0, 7])
def test_queue_expiry_bounds_are_inclusive(days: int) -> None:
    assert found(spec_text({"ndr": {"queue_expiry_days": days}})) == []


def test_max_journal_rules_range() -> None:
    text = spec_text({"limits": {"max_journal_rules": 301}})
    assert found(text) == [("JG109", after(text, "max_journal_rules: "))]


@pytest.mark.parametrize(
    ("overrides", "prefix"),
    [
        ({"connector": {"tls": {"mode": "strict"}}}, "mode: "),
        ({"journal_rules": [{"name": "All", "scope": "Global"}]}, "scope: "),
        ({"connector": {"routing": "mx"}}, "routing: "),
        ({"ndr": {"domain_policy": "own"}}, "domain_policy: "),
        ({"archive": {"vendor": "Mime Cast"}}, "vendor: "),
        ({"archive": {"region": "US"}}, "region: "),
    ],
)
def test_invalid_choices(overrides: dict[str, Any], prefix: str) -> None:
    text = spec_text(overrides)
    assert found(text) == [("JG110", after(text, prefix))]


def test_invalid_choice_lists_the_choices() -> None:
    _, _, message = only({"journal_rules": [{"name": "All", "scope": "Global"}]})
    assert message == (
        "journal_rules[0].scope must be one of 'global', 'internal' or 'external'; got the text 'Global'"
    )


# --- keys written with no value ----------------------------------------------------------------


def test_an_empty_rule_recipient_is_refused_not_read_as_everyone() -> None:
    text = spec_text().replace(
        "- name: Journal all mail\n", "- name: Journal all mail\n  recipient:\n"
    )
    [d] = diagnostics(text)
    assert (d.code, f"{d.line}:{d.column}") == ("JG114", after(text, "recipient:"))
    assert d.message == (
        "'journal_rules[0].recipient' has no value; give one, or remove the key to use its default"
    )


def test_an_empty_required_value_is_reported_once_with_other_errors() -> None:
    text = spec_text({"ndr": {"address": None}, "contact": {"alias": "a b"}})
    assert sorted(code for code, _ in found(text)) == ["JG112", "JG114"]


def test_an_empty_list_item_is_refused() -> None:
    text = spec_text({"tenant": {"other_domains": ["fabrikam.com", None]}})
    assert [code for code, _ in found(text)] == ["JG114"]

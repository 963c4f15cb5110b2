"""The strict YAML loader: one test per hazard, each asserting the exact code and LINE:COL."""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import pytest
import yaml

from journalgen import loader
from journalgen.diagnostics import Diagnostic
from journalgen.errors import SpecError
from journalgen.loader import MAX_BYTES, MAX_DEPTH, load_yaml
from tests.spectext import diagnostics, found, position, spec_text

GOOD = spec_text()


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run every test with both parsers: positions must not depend on which one PyYAML has."""
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML built without libyaml")
        monkeypatch.setattr(loader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    yield request.param


def load_problems(raw: bytes) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        load_yaml(raw, "spec.yaml")
    return [(d.code, f"{d.line}:{d.column}") for d in info.value.diagnostics]


def test_good_spec_loads_with_positions() -> None:
    document = load_yaml(GOOD.encode(), "spec.yaml")
    assert document.data["tenant"]["primary_domain"] == "contoso.com"
    assert document.index.values[("tenant", "primary_domain")].line == 3
    assert document.index.values[("tenant", "primary_domain")].column == 19
    assert document.index.keys[("tenant", "primary_domain")].column == 3
    assert document.index.values[("journal_rules", 0, "name")].line == 9


def test_duplicate_key_names_both_lines() -> None:
    text = (
        "version: 1\ntenant:\n  primary_domain: a.com\n  organization: x\n  primary_domain: b.com\n"
    )
    [diagnostic] = diagnostics(text)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JG008", 5, 3)
    assert "line 3" in diagnostic.message
    assert "'primary_domain'" in diagnostic.message


def test_duplicate_key_with_a_bidi_override_is_shown_escaped() -> None:
    [diagnostic] = diagnostics("version: 1\nna\u202eme: a\nna\u202eme: b\n")
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JG008", 3, 1)
    assert diagnostic.message == "duplicate key 'na<U+202E>me' (first defined at line 2); keep one"


def test_anchor_and_alias_are_both_reported() -> None:
    text = "version: 1\ntenant: &t\n  primary_domain: a.com\narchive: *t\n"
    assert found(text) == [("JG009", "2:9"), ("JG009", "4:10")]


def test_anchor_on_a_key() -> None:
    assert found("version: 1\n&k tenant: x\n") == [("JG009", "2:1")]


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("!!str contoso.com", "2:9"),
        ("!!binary aGk=", "2:9"),
        ("!!set {a}", "2:9"),
        ("!custom x", "2:9"),
        ("! x", "2:9"),
        ("! [x]", "2:9"),
    ],
)
def test_tags_are_refused(value: str, where: str) -> None:
    assert found(f"version: 1\ntenant: {value}\n") == [("JG010", where)]


def test_tab_in_indentation() -> None:
    assert found("version: 1\ntenant:\n\tprimary_domain: a.com\n") == [("JG007", "3:1")]


def test_tab_inside_a_value_is_not_called_indentation(parser: str) -> None:
    # YAML allows tabs inside plain values; libyaml reads them, the pure-Python parser does not.
    text = spec_text({"contact": {"name": "SMTP\tJournaling"}}).replace(
        '"SMTP\\tJournaling"', "SMTP\tJournaling"
    )
    assert "  name: SMTP\tJournaling\n" in text
    expected = [("JG104", "13:9")] if parser == "libyaml" else [("JG006", "13:13")]
    assert found(text) == expected


def test_tab_after_a_lone_carriage_return_is_on_the_next_line() -> None:
    assert found("version: 1\rtenant:\r\tprimary_domain: a.com\n") == [("JG007", "3:1")]


def test_yes_stays_a_string_and_is_a_wrong_type() -> None:
    text = GOOD + "contact:\n  hidden_from_address_lists: yes\n"
    [diagnostic] = diagnostics(text)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JG103", 13, 30)
    assert "not the text 'yes'" in diagnostic.message
    assert "write true without quotes" in diagnostic.message


@pytest.mark.parametrize("word", ["no", "on", "off", "y", "n", "Yes", "NO"])
def test_yaml11_booleans_stay_strings(word: str) -> None:
    document = load_yaml(f"flag: {word}\n".encode(), "spec.yaml")
    assert document.data == {"flag": word}


@pytest.mark.parametrize(
    "text", ["0755", "1:30", "2024-01-01", "2024-01-01T10:00:00Z", "1.10", "0x1F", "1_000", "+1"]
)
def test_yaml11_numbers_and_dates_stay_strings(text: str) -> None:
    assert load_yaml(f"value: {text}\n".encode(), "spec.yaml").data == {"value": text}


def test_octal_looking_number_is_a_wrong_type() -> None:
    text = spec_text({"ndr": {"queue_expiry_days": "0755"}}).replace("'0755'", "0755")
    [diagnostic] = diagnostics(text)
    assert (diagnostic.code, f"{diagnostic.line}:{diagnostic.column}") == ("JG103", "12:22")
    assert diagnostic.message == (
        "ndr.queue_expiry_days must be a whole number, not the text '0755' "
        "(write it without leading zeros)"
    )


def test_date_stays_text_and_is_checked_as_a_domain() -> None:
    text = spec_text({"tenant": {"other_domains": ["2024-01-01"]}}).replace(
        "'2024-01-01'", "2024-01-01"
    )
    assert "  - 2024-01-01\n" in text
    assert found(text) == [("JG106", position(text, "2024-01-01"))]
    assert position(text, "2024-01-01") == "6:5"


def test_date_where_a_number_belongs() -> None:
    text = spec_text({"limits": {"max_journal_rules": 5}}).replace(": 5", ": 2024-01-01")
    assert found(text) == [("JG103", "13:22")]


def test_empty_file() -> None:
    assert load_problems(b"") == [("JG005", "1:1")]


def test_whitespace_only_file() -> None:
    assert load_problems(b"  \n\n") == [("JG005", "1:1")]


def test_comments_only_file() -> None:
    assert load_problems(b"# nothing here\n# yet\n") == [("JG005", "1:1")]


def test_top_level_list() -> None:
    assert load_problems(b"# a list\n- version: 1\n") == [("JG014", "2:1")]


def test_top_level_scalar() -> None:
    assert load_problems(b"\nversion 1\n") == [("JG014", "2:1")]


def test_top_level_null_document_marker() -> None:
    assert load_problems(b"---\n...\n") == [("JG005", "1:1")]


def test_non_utf8_byte_is_located() -> None:
    raw = GOOD.replace("Journal all mail", "Journal caf\xe9").encode("latin-1")
    [diagnostic] = load_problems_full(raw)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JG002", 9, 20)
    assert "0xE9" in diagnostic.message


def load_problems_full(raw: bytes) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        load_yaml(raw, "spec.yaml")
    return list(info.value.diagnostics)


def test_non_utf8_after_multibyte_characters_counts_characters() -> None:
    raw = "name: \u00e9\u00e9\u00e9".encode() + b"\xff\n"
    assert load_problems(raw) == [("JG002", "1:10")]


@pytest.mark.parametrize(
    "raw",
    [
        "version: 1\n".encode("utf-16"),
        codecs.BOM_UTF16_LE + "version: 1\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "version: 1\n".encode("utf-16-be"),
        "version: 1\n".encode("utf-16-le"),
        "version: 1\n".encode("utf-16-be"),
        "version: 1\n".encode("utf-32"),
    ],
    ids=["bom-native", "bom-le", "bom-be", "no-bom-le", "no-bom-be", "utf32"],
)
def test_utf16_and_utf32_are_refused(raw: bytes) -> None:
    assert load_problems(raw) == [("JG003", "1:1")]


def test_utf8_bom_is_accepted_and_positions_ignore_it() -> None:
    document = load_yaml(codecs.BOM_UTF8 + GOOD.encode(), "spec.yaml")
    assert document.data["version"] == 1
    assert document.index.values[("version",)].column == 10
    assert diagnostics(codecs.BOM_UTF8 + GOOD.encode()) == []


def test_size_cap() -> None:
    raw = GOOD.encode() + b"#" * (MAX_BYTES - len(GOOD) + 1)
    assert len(raw) == MAX_BYTES + 1
    [diagnostic] = load_problems_full(raw)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("JG004", 1, 1)
    assert str(MAX_BYTES) in diagnostic.message


def test_size_cap_allows_exactly_the_limit() -> None:
    raw = GOOD.encode() + b"#" * (MAX_BYTES - len(GOOD))
    assert len(raw) == MAX_BYTES
    assert load_yaml(raw, "spec.yaml").data["version"] == 1


def test_depth_cap_block_mappings() -> None:
    lines = [f"{'  ' * level}k{level}:" for level in range(MAX_DEPTH + 2)]
    raw = ("\n".join(lines) + " end\n").encode()
    # The mapping one level too deep starts at its first key, k16, indented 16 times.
    assert load_problems(raw) == [("JG013", f"{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}")]


def test_depth_cap_flow_sequences() -> None:
    raw = b"a: " + b"[" * 40 + b"1" + b"]" * 40 + b"\n"
    assert load_problems(raw) == [("JG013", f"1:{3 + MAX_DEPTH}")]


def test_depth_at_the_limit_is_fine() -> None:
    raw = b"a: " + b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * (MAX_DEPTH - 1) + b"\n"
    assert load_yaml(raw, "spec.yaml").data["a"] is not None


def test_very_deep_nesting_is_reported_not_a_recursion_error(parser: str) -> None:
    raw = b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    # libyaml stops at its own limit of 1000 levels before handing over the first event.
    where = "1:1003" if parser == "libyaml" else f"1:{3 + MAX_DEPTH}"
    assert load_problems(raw) == [("JG013", where)]


def test_multiple_documents() -> None:
    assert load_problems(b"version: 1\n---\nversion: 1\n") == [("JG012", "2:1")]


def test_one_explicit_document_is_fine() -> None:
    assert load_yaml(b"---\nversion: 1\n...\n", "spec.yaml").data == {"version": 1}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1: x\n", "1:1"),
        ("true: x\n", "1:1"),
        ("null: x\n", "1:1"),
        ("'': x\n", "1:1"),
        ("a: 1\n~: x\n", "2:1"),
        ("a:\n  7: x\n", "2:3"),
    ],
)
def test_non_string_keys(text: str, where: str) -> None:
    assert load_problems(text.encode()) == [("JG011", where)]


def test_collection_as_key() -> None:
    assert load_problems(b"? [a, b]\n: x\n") == [("JG011", "1:3")]


def test_quoted_number_key_is_text() -> None:
    assert load_yaml(b"'1': x\n", "spec.yaml").data == {"1": "x"}


def test_control_character_is_located_after_multibyte_text() -> None:
    assert load_problems("name: \u00e9\u00e9\u00e9\x07\n".encode()) == [("JG006", "1:10")]


def test_control_character_after_lone_carriage_return() -> None:
    assert load_problems(b"a: b\rc: \x07\n") == [("JG006", "2:4")]


def test_syntax_error_position() -> None:
    assert load_problems(b"version: 1\ntenant: x\n  organization: y\n") == [("JG006", "3:15")]


def test_every_problem_is_reported_at_once() -> None:
    raw = b"a: &x 1\nb: *x\na: !!str 2\n"
    assert load_problems(raw) == [
        ("JG009", "1:4"),
        ("JG009", "2:4"),
        ("JG008", "3:1"),
        ("JG010", "3:4"),
    ]

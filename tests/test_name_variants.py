"""Names a reviewer cannot tell apart (Unicode form, width, case) clash; a name not in NFC is flagged."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from journalgen.codes import CODES
from journalgen.diagnostics import Diagnostic, Severity
from journalgen.textpolicy import name_key
from tests.spectext import after, diagnostics, spec_text

NFC = "Journal \u00e9"
NFD = "Journal e\u0301"
FULLWIDTH = "\uff2a\uff4f\uff55\uff52\uff4e\uff41\uff4c"  # Ｊｏｕｒｎａｌ
CLASHES = {"JG210", "JG225", "JG226", "JG228"}


def rules(*names: str) -> dict[str, Any]:
    # Different scopes, so no two rules journal the same mail (JG217).
    scopes = ["global", "internal", "external"]
    return {"journal_rules": [{"name": n, "scope": scopes[i]} for i, n in enumerate(names)]}


def found(overrides: dict[str, Any], codes: set[str]) -> list[tuple[str, str]]:
    text = spec_text(overrides)
    return [(d.code, f"{d.line}:{d.column}") for d in diagnostics(text) if d.code in codes]


def the(overrides: dict[str, Any], code: str) -> tuple[str, Diagnostic]:
    text = spec_text(overrides)
    [d] = [d for d in diagnostics(text) if d.code == code]
    return text, d


def at(d: Diagnostic) -> str:
    return f"{d.line}:{d.column}"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (NFC, NFD),
        (NFD, NFC),
        ("Journal", FULLWIDTH),
        ("JOURNAL", FULLWIDTH),
        ("Journal\u00a0all", "Journal all"),
    ],
)
def test_two_rules_whose_names_differ_only_in_form_or_width_clash(first: str, second: str) -> None:
    text, d = the(rules(first, second), "JG228")
    assert at(d) == after(text, "- name: ", 1)
    assert d.severity is Severity.ERROR
    assert "rule 1" in d.message and "U+" in d.message


def test_names_equal_but_for_case_are_still_the_duplicate_rule_name() -> None:
    text = spec_text(rules("Journal", "JOURNAL"))
    assert found(rules("Journal", "JOURNAL"), CLASHES) == [("JG210", after(text, "- name: ", 1))]


def test_different_names_do_not_clash() -> None:
    assert found(rules("Journal \u00e9", "Journal e", "Journal \u00e8"), CLASHES) == []


def test_a_retired_name_listed_twice_in_two_forms_clashes() -> None:
    overrides = {"retire": {"journal_rules": ["Old " + NFC, "Old " + NFD]}}
    text, d = the(overrides, "JG228")
    assert at(d) == after(text, "- ", text.count("- ") - 1)


def test_a_retired_name_that_is_a_managed_one_in_another_form_clashes() -> None:
    overrides = {
        "connector": {"name": "Archive " + NFC},
        "retire": {"connectors": ["archive " + NFD]},
    }
    text, d = the(overrides, "JG228")
    assert "manages" in d.message
    assert at(d) == after(text, "  - ", text.count("  - ") - 1)
    overrides = {"retire": {"journal_rules": ["Journal all mail".upper().replace("J", "\uff2a")]}}
    assert [code for code, _ in found(overrides, CLASHES)] == ["JG228"]


@pytest.mark.parametrize("code", ["JG228", "JG229"])
def test_the_codes_are_registered(code: str) -> None:
    assert code in CODES


# --- a name not in NFC --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prefix"),
    [
        (rules(NFD), "- name: "),
        ({"contact": {"name": "Archiv Mu\u0308ller"}}, "  name: "),
        ({"connector": {"name": "\u212bngstr\u00f6m archive"}}, "  name: "),
    ],
)
def test_a_name_not_in_nfc_is_a_warning_at_the_name(overrides: dict[str, Any], prefix: str) -> None:
    text, d = the(overrides, "JG229")
    assert at(d) == after(text, prefix)
    assert d.severity is Severity.WARNING
    assert "U+" in d.message


@pytest.mark.parametrize("name", [NFC, FULLWIDTH, "Journal", "\u30b8\u30e3\u30fc\u30ca\u30eb"])
def test_a_name_in_nfc_is_not_flagged(name: str) -> None:
    assert found(rules(name), {"JG229"}) == []


# --- any name, any variant ----------------------------------------------------------------------

NAME = st.text(
    alphabet=st.characters(categories=["L", "M", "N"]) | st.sampled_from("ÅåéeÉ\u0301\u0308 -"),
    min_size=1,
    max_size=12,
).map(str.strip)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


VARIANTS: dict[str, Callable[[str], str]] = {
    "nfd": lambda s: unicodedata.normalize("NFD", s),
    "nfc": lambda s: unicodedata.normalize("NFC", s),
    "upper": str.upper,
    "fullwidth": _fullwidth,
    "other": lambda s: s + "x",
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAME, st.sampled_from(sorted(VARIANTS)))
def test_two_names_clash_exactly_when_equal_in_nfkc_casefold(name: str, variant: str) -> None:
    other = VARIANTS[variant](name).strip()
    assume(name and other and len(name) <= 64 and len(other) <= 64)
    clashes = found(rules(name, other), CLASHES)
    assert bool(clashes) == (name_key(name) == name_key(other)), (name, other, clashes)

"""The alias derived from the contact's name: transliterated to ASCII, and a warning when letters are left out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journalgen import textpolicy
from journalgen.compiler import check_source
from journalgen.textpolicy import alias_from_name, derive_alias
from tests.spectext import after, codes, diagnostics, spec_text


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("J\u00f6urnal \u00c4rchiv", "JournalArchiv"),
        ("Stra\u00dfe \u00c6r\u00f8 \u0141\u00f3d\u017a", "StrasseAEroLodz"),
        ("\u00de\u00f3r \u0153uvre \u0111i\u0107", "Thoroeuvredic"),
        ("\ufb01le \uff21rchive", "fileArchive"),  # ligature, fullwidth letter
        ("Zoe\u0301", "Zoe"),
        ("Journal #1", "Journal#1"),
        ("SMTP Journaling", "SMTPJournaling"),
        ("a .. b.", "a.b"),
    ],
)
def test_common_letters_are_transliterated(name: str, alias: str) -> None:
    assert derive_alias(name) == (alias, "")
    assert alias_from_name(name) == alias


def test_letters_with_no_ascii_spelling_are_reported() -> None:
    assert derive_alias("J\u00f6rg \u30b8\u30e3 1\u0663") == ("Jorg1", "\u30b8\u30e3\u0663")
    assert derive_alias("\u30b8\u30e3\u30fc\u30ca\u30eb") == (
        textpolicy.DEFAULT_ALIAS,
        "\u30b8\u30e3\u30fc\u30ca\u30eb",
    )


def test_letters_cut_off_at_64_characters_are_reported() -> None:
    alias, dropped = derive_alias("x" * 60 + "\u00df" * 4)
    assert alias == "x" * 60 + "ssss"
    assert dropped == "ssss"


@given(st.text(max_size=80))
def test_a_derived_alias_is_always_a_valid_alias(name: str) -> None:
    alias, dropped = derive_alias(name)
    assert textpolicy.alias(alias) == alias
    assert len(alias) <= 64
    assert all(not c.isascii() or c.isalnum() for c in dropped)


def test_the_spec_warns_when_the_derived_alias_leaves_letters_out() -> None:
    text = spec_text({"contact": {"name": "\u30b8\u30e3\u30fc\u30ca\u30eb Archiv\u00e9"}})
    [warning] = [d for d in diagnostics(text) if d.code == "JG224"]
    assert f"{warning.line}:{warning.column}" == after(text, "  name: ")
    assert "'Archive'" in warning.message
    assert "U+30B8 KATAKANA LETTER ZI" in warning.message
    assert "and 2 more" in warning.message
    resolved = check_source(text.encode(), "s.yaml").resolved
    assert resolved.contact.alias == "Archive"


@pytest.mark.parametrize(
    "contact",
    [
        {"name": "J\u00f6urnal \u00c4rchiv"},  # transliterated: nothing left out
        {"name": "\u30b8\u30e3\u30fc\u30ca\u30eb", "alias": "journal"},  # alias written
        {},
    ],
)
def test_no_warning_when_nothing_is_left_out(contact: dict[str, str]) -> None:
    assert "JG224" not in codes(spec_text({"contact": contact}))

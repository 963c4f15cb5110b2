"""Tests of the PowerShell literal emitter, checked against the independent oracle."""

from __future__ import annotations

import enum
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journalgen.powershell import PsCode, ps_comment_text, ps_hashtable, ps_literal
from tests.psparse import (
    OracleError,
    array_elements,
    assert_clean,
    command_parameters,
    commands,
    comments,
    eval_string_expr,
    hashtable_assignments,
    signature_lookalikes,
    string_literals,
)

FIVE_QUOTES = "'\u2018\u2019\u201a\u201b"
INJECTION = "x\u2019; Remove-Item C:\\ -Recurse; #"
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")

# Text with the characters most likely to break out, mixed with anything else that is legal.
_tricky = st.sampled_from(
    [
        *FIVE_QUOTES,
        '"',
        "\u201c",
        "\u201d",
        "\u201e",
        "`",
        "$",
        "#",
        "<#",
        "#>",
        "[U+",
        "[U+0041]",
        "<",
        ">",
        ";",
        "|",
        "&",
        "@",
        "{",
        "}",
        "(",
        ")",
        "\n",
        "\r",
        "\t",
        "\x7f",
        "\u0085",
        "\u2028",
        "\u202e",
        "\ufeff",
        "\u00eb",
        "\u2013",
        "-",
        "\U0001f600",
        "\U00010000",
        "\U0010ffff",
        " ",
        "\u00a0",
    ]
)
_any_char = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
texts = st.lists(st.one_of(_tricky, _any_char, st.text(max_size=5)), max_size=20).map("".join)
safe_texts = texts.filter(lambda s: "\x00" not in s)
_sig_words = ["SIG", "sig", "#", "Begin", "begin", "signature", "block", "Design", "lock", "S I G"]
_sig_phrases = [
    "SIG # Begin signature block",
    "sig begin signature block",
    "Begin signature block",
    "signature block",
    "Design signature lock",
    "S I G # B E G I N signature block",
]


def _mangle(phrase: str, deletions: list[int], prefix: str) -> str:
    chars = list(phrase)
    for index in sorted(set(deletions), reverse=True):
        if index < len(chars):
            del chars[index]
    return prefix + "".join(chars)


# Phrases near "# SIG # Begin signature block", which PowerShell matches by edit distance.
signature_like = st.builds(
    _mangle,
    st.sampled_from(_sig_phrases),
    st.lists(st.integers(0, 40), max_size=4),
    st.sampled_from(["", "x ", "Rule ", "# ", ">", "  "]),
)
comment_texts = st.one_of(
    signature_like,
    st.lists(
        st.one_of(safe_texts, st.sampled_from([*_sig_words, " ", ">", "<", "requires"])),
        max_size=12,
    ).map("".join),
)


def naive_literal(value: str) -> str:
    """An emitter that doubles only ASCII quotes: the bug the oracle must catch."""
    return "'" + value.replace("'", "''") + "'"


# --- exact output ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "$null"),
        (True, "$true"),
        (False, "$false"),
        (0, "0"),
        (42, "42"),
        (-5, "(-5)"),
        (2**63 - 1, "9223372036854775807"),
        ("", "''"),
        ("abc", "'abc'"),
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ('$x `n "y" #<# @{ ; | &', "'$x `n \"y\" #<# @{ ; | &'"),
        ("Zo\u00eb", "('Zo' + [char]0x00EB)"),
        ("\u00eb", "('' + [char]0x00EB)"),
        ("\u00e9\u2019x", "('' + [char]0x00E9 + [char]0x2019 + 'x')"),
        ("a\nb", "('a' + [char]0x000A + 'b')"),
        ("a\r\n", "('a' + [char]0x000D + [char]0x000A)"),
        ("\t", "('' + [char]0x0009)"),
        ("\x7f", "('' + [char]0x007F)"),
        ("\U0001f600", "('' + [char]0xD83D + [char]0xDE00)"),
        ("a\U0010ffffb", "('a' + [char]0xDBFF + [char]0xDFFF + 'b')"),
        (INJECTION, "('x' + [char]0x2019 + '; Remove-Item C:\\ -Recurse; #')"),
        (["a", "b"], "@('a', 'b')"),
        (["a"], "@('a')"),
        ([], "@()"),
        (("x", 1, None, True), "@('x', 1, $null, $true)"),
        (["\u00eb"], "@(('' + [char]0x00EB))"),
        ({"Name": "x", "Enabled": True}, "[ordered]@{ Name = 'x'; Enabled = $true }"),
        ({}, "[ordered]@{}"),
        ({"A": ["a"], "B": {"C": None}}, "[ordered]@{ A = @('a'); B = [ordered]@{ C = $null } }"),
        (PsCode("$p"), "$p"),
        ([PsCode("$a"), "b"], "@($a, 'b')"),
        ({"X": PsCode("Get-Date")}, "[ordered]@{ X = Get-Date }"),
    ],
)
def test_ps_literal_exact(value: object, expected: str) -> None:
    result = ps_literal(value)
    assert result == expected
    assert type(result) is PsCode


def test_pscode_is_returned_unchanged() -> None:
    code = PsCode("anything 'at all")
    assert ps_literal(code) is code


def test_bool_is_not_an_int() -> None:
    assert ps_literal(True) == "$true"
    assert ps_literal(1) == "1"


def test_str_and_int_subclasses_use_their_value() -> None:
    class Color(enum.StrEnum):
        RED = "r'd"

    class Level(enum.IntEnum):
        HIGH = 3

    assert ps_literal(Color.RED) == "'r''d'"
    assert ps_literal(Level.HIGH) == "3"


@pytest.mark.parametrize("value", [1.5, 1e3, b"bytes", {1, 2}, object(), 1j, [[1]], [("a",)]])
def test_unsupported_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        ps_literal(value)


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "a\ud800b", "\udfff", ["ok", "\x00"]])
def test_nul_and_lone_surrogates_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        ps_literal(value)


@pytest.mark.parametrize("value", [2**63, -(2**63), 10**30])
def test_integers_powershell_cannot_hold_exactly_are_refused(value: int) -> None:
    with pytest.raises(ValueError):
        ps_literal(value)


@pytest.mark.parametrize(
    "key",
    ["", "1abc", "a-b", "a b", "Name; Remove-Item x", "a\n", "Zo\u00eb", "$x", "'a'", 1, None],
)
def test_bad_hashtable_keys_are_refused(key: object) -> None:
    with pytest.raises(ValueError):
        ps_literal({key: 1})
    with pytest.raises(ValueError):
        ps_hashtable({key: 1})  # type: ignore[dict-item]


def test_keys_differing_only_in_case_are_refused() -> None:
    with pytest.raises(ValueError, match="differ only in case"):
        ps_literal({"Name": 1, "name": 2})


# --- the five single quotes -----------------------------------------------------------------


@pytest.mark.parametrize("quote", list(FIVE_QUOTES))
def test_each_single_quote_is_neutralised(quote: str) -> None:
    value = f"a{quote}; Stop-Computer; #"
    literal = ps_literal(value)
    assert PRINTABLE_ASCII.fullmatch(literal)
    script = f"$x = {literal}\n"
    assert_clean(script)
    assert commands(script) == []
    assert eval_string_expr(literal) == value


def test_ascii_quote_is_doubled_and_curly_quotes_become_char_codes() -> None:
    assert ps_literal("'") == "''''"
    for quote in FIVE_QUOTES[1:]:
        assert ps_literal(quote) == f"('' + [char]0x{ord(quote):04X})"


@pytest.mark.parametrize("quote", list(FIVE_QUOTES))
def test_doubling_rule_is_right_for_all_five_quotes(quote: str) -> None:
    # The quoting helper must double each quote with itself, as PowerShell's own
    # EscapeSingleQuotedStringContent does, even though only ASCII ' reaches it today.
    from journalgen.powershell import _quote

    value = f"a{quote}b{quote}{quote}"
    assert string_literals(f"$x = {_quote(value)}") == [value]


def test_injection_value_is_inert() -> None:
    literal = ps_literal(INJECTION)
    script = f"$x = {literal}\nSet-Foo -Name {literal}\n"
    assert_clean(script)
    assert commands(script) == ["Set-Foo"]
    assert command_parameters(script) == [("Set-Foo", ["Name"])]
    assert eval_string_expr(literal) == INJECTION


def test_oracle_catches_naive_emitter_on_injection() -> None:
    script = f"$x = {naive_literal(INJECTION)}\n"
    assert script == "$x = 'x\u2019; Remove-Item C:\\ -Recurse; #'\n"
    with pytest.raises(OracleError):
        assert_clean(script)
    with pytest.raises(OracleError):
        string_literals(script)


# --- hashtables -----------------------------------------------------------------------------


def test_ps_hashtable_layout() -> None:
    table = {"Name": "Zo\u00eb", "JournalEmailAddress": "j@contoso.com", "Enabled": False}
    assert ps_hashtable(table) == (
        "[ordered]@{\n"
        "    Name                = ('Zo' + [char]0x00EB)\n"
        "    JournalEmailAddress = 'j@contoso.com'\n"
        "    Enabled             = $false\n"
        "}"
    )


def test_ps_hashtable_indent_and_nesting() -> None:
    table = {"Name": "x", "Options": {"A": 1, "Longer": ["a"]}, "Empty": {}}
    assert ps_hashtable(table, 4) == (
        "[ordered]@{\n"
        "        Name    = 'x'\n"
        "        Options = [ordered]@{\n"
        "            A      = 1\n"
        "            Longer = @('a')\n"
        "        }\n"
        "        Empty   = [ordered]@{}\n"
        "    }"
    )


def test_ps_hashtable_splats_cleanly() -> None:
    table = {"Name": INJECTION, "Recipient": "a@b.c", "Enabled": True, "Tags": ["x", "\u00eb"]}
    script = f"$p = {ps_hashtable(table)}\nNew-JournalRule @p\n"
    assert_clean(script)
    assert hashtable_assignments(script) == [("p", ["Name", "Recipient", "Enabled", "Tags"])]
    assert commands(script) == ["New-JournalRule"]


def test_ps_hashtable_empty_and_errors() -> None:
    assert ps_hashtable({}) == "[ordered]@{}"
    with pytest.raises(ValueError):
        ps_hashtable({"A": 1}, -1)
    with pytest.raises(TypeError):
        ps_hashtable(["A"])  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------


@settings(deadline=None, max_examples=200)
@given(safe_texts)
def test_string_literal_round_trips(value: str) -> None:
    literal = ps_literal(value)
    assert PRINTABLE_ASCII.fullmatch(literal)
    script = f"$x = {literal}\nSet-Foo -Name {literal} -Other 1\n"
    assert_clean(script)
    assert commands(script) == ["Set-Foo"]
    assert command_parameters(script) == [("Set-Foo", ["Name", "Other"])]
    assert eval_string_expr(literal) == value


@settings(deadline=None, max_examples=100)
@given(st.lists(safe_texts, max_size=6))
def test_list_literal_round_trips(values: list[str]) -> None:
    literal = ps_literal(values)
    assert PRINTABLE_ASCII.fullmatch(literal)
    script = f"$x = {literal}\n"
    assert_clean(script)
    assert [[eval_string_expr(e) for e in elements] for elements in array_elements(script)] == [
        values
    ]


@settings(deadline=None, max_examples=100)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
        st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), safe_texts),
        max_size=6,
    )
)
def test_hashtable_round_trips_keys(table: dict[str, object]) -> None:
    folded = {k.lower(): k for k in table}
    table = {k: table[k] for k in folded.values()}
    for rendered in (ps_literal(table), ps_hashtable(table, 0)):
        script = f"$p = {rendered}\nNew-Thing @p\n"
        assert PRINTABLE_ASCII.fullmatch(rendered.replace("\n", ""))
        assert_clean(script)
        assert hashtable_assignments(script) == [("p", list(table))]


@settings(deadline=None, max_examples=200)
@given(safe_texts.filter(lambda s: any(q in s for q in FIVE_QUOTES[1:])))
def test_oracle_never_certifies_a_naive_literal(value: str) -> None:
    # Either the oracle raises, or what PowerShell would read is not the value.
    script = f"$x = {naive_literal(value)}\n"
    try:
        assert_clean(script)
        decoded = string_literals(script)
    except OracleError:
        return
    assert decoded != [value]


@settings(deadline=None, max_examples=200)
@given(comment_texts)
def test_comment_text_is_inert(value: str) -> None:
    text = ps_comment_text(value)
    assert PRINTABLE_ASCII.fullmatch(text)
    assert len(text) <= 120
    assert "<#" not in text and "#>" not in text
    for before in ("# ", "#", "# Rule: "):
        script = f"{before}{text}\nGet-Foo -Name 'x'\n"
        assert_clean(script)
        assert commands(script) == ["Get-Foo"]
        assert comments(script) == [f"{before}{text}"]
        assert signature_lookalikes(script.replace("\n", "\r\n")) == []
    script = f"<# {text} #>\nGet-Foo\n<#{text}#>\nGet-Bar\n<#\n#{text}\n#>\nGet-Baz\n"
    assert_clean(script)
    assert commands(script) == ["Get-Foo", "Get-Bar", "Get-Baz"]
    assert comments(script) == [f"<# {text} #>", f"<#{text}#>", f"<#\n#{text}\n#>"]


_CODE_POINTS = re.compile(r"\[(U\+[0-9A-F]{4,6}(?: U\+[0-9A-F]{4,6})*)\]")
_NOTE = " (note: not a signature block)"


def read_back(text: str) -> str:
    """What a reviewer reads in a comment: its text with every `[U+XXXX ...]` as the characters."""
    return _CODE_POINTS.sub(lambda m: "".join(chr(int(c[2:], 16)) for c in m[1].split(" ")), text)


@settings(deadline=None, max_examples=300)
@given(st.one_of(comment_texts, texts))
def test_comment_text_reads_back_as_the_value(value: str) -> None:
    # A comment is never a lookalike: read back, it is the value itself, so two different values
    # never show the same, and a value with any non-ASCII character shows it as a code point.
    text = ps_comment_text(value, 100_000)
    shown = read_back(text.removesuffix(_NOTE) if text.endswith(_NOTE) else text)
    # Only the spaces added around a leading ">" or "requires" and a trailing "<" or backtick.
    assert shown in (value, " " + value, value + " ", " " + value + " ")
    if not PRINTABLE_ASCII.fullmatch(value):
        assert "[U+" in text


@settings(deadline=None, max_examples=200)
@given(texts, st.integers(48, 130))
def test_comment_text_shortens_visibly(value: str, max_len: int) -> None:
    # A shortened comment ends in "..." and is the start of the whole rendering: a code point
    # cut in half shows as an unfinished "[U+...", never as another character.
    text = ps_comment_text(value, max_len)
    whole = ps_comment_text(value, 100_000)
    shown = text.removesuffix(_NOTE) if text.endswith(_NOTE) else text
    if shown != whole:
        assert shown.endswith("...")
        assert whole.startswith(shown[:-3])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("J\u00f6urnal \u00c4rchiv", "Journal Archiv"),
        ("Journal\u00a0Archiv", "Journal Archiv"),
        ("Zo\u00eb\u2019s", "Zoe's"),
        ("Zoe\u0301", "Zoe"),
        ("\u30b8\u30e3\u30fc\u30ca\u30eb", "?????"),
        ("Journal #1", "Journal no.1"),
        ("J\u00f6rg", "J[U+00F6]rg"),
        ("a  b", "a b"),
    ],
)
def test_comment_text_tells_lookalikes_apart(first: str, second: str) -> None:
    assert ps_comment_text(first) != ps_comment_text(second)


@settings(deadline=None, max_examples=100)
@given(comment_texts, st.integers(48, 130))
def test_comment_text_respects_max_len(value: str, max_len: int) -> None:
    text = ps_comment_text(value, max_len)
    assert len(text) <= max_len
    assert signature_lookalikes(f"# {text}\nGet-Foo\n") == []


# --- comment text, exact ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("Sales journal", "Sales journal"),
        ("Journal #1", "Journal #1"),
        ("J\u00f6urnal \u00c4rchiv", "J[U+00F6]urnal [U+00C4]rchiv"),
        ("\u30b8\u30e3\u30fc\u30ca\u30eb", "[U+30B8 U+30E3 U+30FC U+30CA U+30EB]"),
        ("  a \n\t b\r\n\u2028c  ", "  a [U+000A U+0009] b[U+000D U+000A U+2028]c  "),
        ("Ticket #12 <# x #>", "Ticket #12 <[U+0023] x [U+0023]>"),
        ("<#>", "<[U+0023]>"),
        ("##>", "#[U+0023]>"),
        ("see [U+0041]", "see [U+005B]U+0041]"),
        (
            "Zo\u00eb\u2019s \u201crule\u201d \u2013 ok",
            "Zo[U+00EB U+2019]s [U+201C]rule[U+201D] [U+2013] ok",
        ),
        ("Zoe\u0301", "Zoe[U+0301]"),
        ("\uff03\uff21", "[U+FF03 U+FF21]"),
        ("bell\x07 del\x7f rtl\u202e", "bell[U+0007] del[U+007F] rtl[U+202E]"),
        ("\ud55c\uad6d \U0001f600", "[U+D55C U+AD6D] [U+1F600]"),
        (">closer", " >closer"),
        ("Requires -Version 7", " Requires -Version 7"),
        ("a <", "a < "),
        ("a `", "a ` "),
        (
            "SIG # Begin signature block",
            "SIG # Begin signature block (note: not a signature block)",
        ),
        ("Design signature lock", "Design signature lock (note: not a signature block)"),
    ],
)
def test_ps_comment_text_exact(value: str, expected: str) -> None:
    assert ps_comment_text(value) == expected


def test_ps_comment_text_truncates() -> None:
    assert ps_comment_text("x" * 200) == "x" * 117 + "..."
    assert ps_comment_text("word " * 30, 50) == ("word " * 10).rstrip()[:47].rstrip() + "..."


def test_ps_comment_text_signature_note_fits_short_max_len() -> None:
    text = ps_comment_text("S i g B e g i n s i g n a t u r e b l o c k", 48)
    assert text == "S i g B e g i n... (note: not a signature block)"
    assert len(text) == 48
    for before in ("#", "# ", "# SIG # ", "#    "):
        assert signature_lookalikes(f"{before}{text}\nGet-Foo\n") == []


def test_ps_comment_text_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError):
        ps_comment_text(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ps_comment_text("x", 10)

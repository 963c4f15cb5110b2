"""Tests of the test oracle: it must accept good PowerShell and be able to fail on bad."""

from __future__ import annotations

import pytest

from tests.psparse import (
    OracleError,
    array_elements,
    assert_clean,
    command_parameters,
    command_splat_keys,
    command_splats,
    commands,
    comments,
    eval_string_expr,
    hashtable_assignments,
    hashtable_keys,
    parse_ps,
    signature_lookalikes,
    string_literals,
)

INJECTION = "$x = 'x\u2019; Remove-Item C:\\ -Recurse; #'\n"

SCRIPT = """\
# Journal rules for contoso
$p = [ordered]@{
    Name    = 'Sales'
    Enabled = $true
}
New-JournalRule @p -Confirm:$false
$q = @{ 'Odd''Key' = 1; B = ('Zo' + [char]0x00EB) }
Set-Foo -Name 'a' -Count (-5) | Get-Bar @q -X
<# block comment #>
$a = @('a', ('b' + [char]0x00EB), 3)
$e = @()
$o = @('one')
"""


# --- it accepts good input ------------------------------------------------------------------


def test_clean_script_passes() -> None:
    assert_clean(SCRIPT)
    assert_clean(SCRIPT.encode("utf-8"))
    assert_clean(b"\xef\xbb\xbf" + SCRIPT.encode("utf-8"))


def test_parse_ps_returns_tree() -> None:
    tree = parse_ps("Get-Foo")
    assert tree.root_node.type == "program"
    assert not tree.root_node.has_error


def test_reads_commands_parameters_and_splats() -> None:
    assert commands(SCRIPT) == ["New-JournalRule", "Set-Foo", "Get-Bar"]
    assert command_parameters(SCRIPT) == [
        ("New-JournalRule", ["Confirm"]),
        ("Set-Foo", ["Name", "Count"]),
        ("Get-Bar", ["X"]),
    ]
    assert command_splats(SCRIPT) == [
        ("New-JournalRule", ["p"]),
        ("Set-Foo", []),
        ("Get-Bar", ["q"]),
    ]


def test_nested_command_parameters_stay_with_their_command() -> None:
    assert command_parameters("Foo -A (Bar -B @q) @p") == [("Foo", ["A"]), ("Bar", ["B"])]
    assert command_splats("Foo -A (Bar -B @q) @p") == [("Foo", ["p"]), ("Bar", ["q"])]


def test_reads_hashtables() -> None:
    assert hashtable_keys(SCRIPT) == [["Name", "Enabled"], ["Odd'Key", "B"]]
    assert hashtable_assignments(SCRIPT) == [("p", ["Name", "Enabled"]), ("q", ["Odd'Key", "B"])]
    assert command_splat_keys(SCRIPT) == [
        ("New-JournalRule", ["Name", "Enabled"]),
        ("Set-Foo", []),
        ("Get-Bar", ["Odd'Key", "B"]),
    ]


def test_splat_keys_follow_the_latest_assignment() -> None:
    source = "$p = @{ A = 1 }\nFoo @p\n$p = @{ B = 1 }\nFoo @p\n"
    assert command_splat_keys(source) == [("Foo", ["A"]), ("Foo", ["B"])]


def test_splat_of_unassigned_variable_is_flagged() -> None:
    with pytest.raises(OracleError, match="never assigned"):
        command_splat_keys("Foo @nothing\n")


def test_reads_arrays_and_comments() -> None:
    assert array_elements(SCRIPT) == [["'a'", "('b' + [char]0x00EB)", "3"], [], ["'one'"]]
    assert comments(SCRIPT) == ["# Journal rules for contoso", "<# block comment #>"]


def test_array_with_statements_is_refused() -> None:
    with pytest.raises(OracleError, match="several statements"):
        array_elements("$a = @('a'; 'b')")


# --- PowerShell's single-quote rule ---------------------------------------------------------


def test_string_literals_decode_doubled_quotes_keeping_the_second() -> None:
    source = "$a = 'it''s'; $b = 'a\u2019\u2019b'; $c = 'a\u2019\u2018b'; $d = 'a\u201b\u201ab'"
    assert string_literals(source) == ["it's", "a\u2019b", "a\u2018b", "a\u201ab"]


def test_string_literals_skip_other_string_kinds() -> None:
    assert string_literals("$a = \"x$y\"; $b = @'\nhere\n'@; $c = 'v'") == ["v"]


# --- it can fail ----------------------------------------------------------------------------


def test_flags_unterminated_string() -> None:
    with pytest.raises(OracleError, match=r"1:1: ERROR"):
        assert_clean("$x = 'abc\n")


def test_flags_stray_quote() -> None:
    with pytest.raises(OracleError, match="outside any string literal"):
        assert_clean("$x = 'a' 'b\n")


def test_flags_missing_brace() -> None:
    with pytest.raises(OracleError):
        assert_clean("$p = @{ A = 1\nGet-Foo\n")


def test_reports_line_and_column() -> None:
    with pytest.raises(OracleError, match=r"3:6: PowerShell ends this string at 3:8"):
        assert_clean("Get-Foo\n\n" + INJECTION)


def test_curly_quote_break_out_is_invisible_to_tree_sitter_but_caught() -> None:
    # The grammar sees one clean string here; PowerShell runs Remove-Item.
    tree = parse_ps(INJECTION)
    assert not tree.root_node.has_error
    with pytest.raises(OracleError, match="PowerShell ends this string"):
        string_literals(INJECTION)
    with pytest.raises(OracleError, match="PowerShell ends this string"):
        assert_clean(INJECTION)


@pytest.mark.parametrize("quote", ["\u2018", "\u2019", "\u201a", "\u201b"])
def test_every_curly_single_quote_ends_a_string(quote: str) -> None:
    with pytest.raises(OracleError):
        string_literals(f"$x = 'a{quote}; Stop-Computer; #'")


def test_mixed_pair_of_quotes_that_tree_sitter_splits() -> None:
    # PowerShell reads 'a’'b' as one string a'b; the grammar ends it after ’'.
    with pytest.raises(OracleError):
        assert_clean("$x = 'a\u2019'b'\n")


def test_curly_quote_pairing_differently_from_ascii_pair() -> None:
    # PowerShell pairs the low-9 quote with the next ', so the third ' closes the string;
    # the grammar pairs the two ASCII quotes instead and reads on to the end.
    source = "$x = 'a\u201a''b'\n"
    assert not parse_ps(source).root_node.has_error
    with pytest.raises(OracleError, match="PowerShell ends this string at 1:10"):
        string_literals(source)


def test_flags_curly_quoted_string_the_grammar_reads_as_a_command() -> None:
    source = "$x = \u2018abc\u2019\n"
    assert not parse_ps(source).root_node.has_error
    with pytest.raises(OracleError, match="outside any string literal"):
        assert_clean(source)


def test_flags_curly_double_quote_in_double_quoted_string() -> None:
    with pytest.raises(OracleError, match="curly double quote"):
        assert_clean('$x = "a\u201d; Remove-Item x; \u201c"\n')


def test_flags_here_string_ended_by_curly_quote() -> None:
    with pytest.raises(OracleError, match="here-string"):
        assert_clean("$x = @'\nabc\n\u2019@\nRemove-Item x\n'@\n")


def test_flags_nul() -> None:
    with pytest.raises(OracleError, match="NUL"):
        assert_clean("$x = 'a\x00b'\n")


def test_flags_invalid_utf8() -> None:
    with pytest.raises(OracleError, match="UTF-8"):
        assert_clean(b"$x = '\xff'\n")


# --- signature-block lookalikes -------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "# SIG # Begin signature block",
        "# sig # begin signature block",
        "# SIG Begin signature block",
        "#  S I G  #  B E G I N  signature  block",
        "# Design signature lock",
    ],
)
def test_flags_signature_lookalike(line: str) -> None:
    source = f"{line}\nGet-Foo\n"
    assert signature_lookalikes(source) == ["1:1"]
    with pytest.raises(OracleError, match="signature block"):
        assert_clean(source)


@pytest.mark.parametrize(
    "line",
    [
        "# Journal rule for Sales",
        "# Signature block rule",
        "<# SIG # Begin signature block #>",
        "# SIG # Begin signature block, but long enough to be ignored",
    ],
)
def test_accepts_comment_that_is_not_a_signature_lookalike(line: str) -> None:
    assert signature_lookalikes(f"{line}\nGet-Foo\n") == []


def test_signature_check_counts_the_line_ending() -> None:
    # "bigdesignteamblock\n" is at distance exactly 10: not flagged with LF,
    # and CR instead of LF is one more substitution.
    assert signature_lookalikes("# Big design team block\nGet-Foo") == []
    assert signature_lookalikes("# Big design team block\r\nGet-Foo") == []


# --- the string-expression evaluator --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("''", ""),
        ("'abc'", "abc"),
        ("'it''s'", "it's"),
        ("('Zo' + [char]0x00EB)", "Zo\u00eb"),
        ("('' + [char]0x00EB)", "\u00eb"),
        ("('a' + [char]0x000A + 'b')", "a\nb"),
        ("('' + [char]0xD83D + [char]0xDE00)", "\U0001f600"),
        ("('x' + [char]0x2019 + '; y')", "x\u2019; y"),
    ],
)
def test_eval_string_expr(text: str, value: str) -> None:
    assert eval_string_expr(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "[char]0x00EB",
        "('a')",
        "('a' + $x)",
        "('a' +[char]0x0041)",
        "('a' + [char]0x41)",
        "('a' + [char]0x00eb)",
        "('a' + [char]0x0041",
        "('a' + [char]0x0041) + 'b'",
        "'a' + 'b'",
        "'a\u2019; x'",
        "'abc",
        "('' + [char]0xD83D)",
        "('' + [char]0xDE00 + [char]0xD83D)",
        "abc",
        "",
        '"abc"',
    ],
)
def test_eval_string_expr_refuses(text: str) -> None:
    with pytest.raises(OracleError):
        eval_string_expr(text)

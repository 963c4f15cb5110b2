"""Render spec values as PowerShell literals and comment text: the only path from data to script."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["PsCode", "ps_comment_text", "ps_hashtable", "ps_literal"]


class PsCode(str):
    """PowerShell text the compiler made itself; `ps_literal` passes it through unchanged."""

    __slots__ = ()


# PowerShell's CharExtensions.IsSingleQuote: any of these opens or closes a verbatim string,
# and any two in a row (even mixed) are one literal quote.
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

# What PowerShell's tokenizer compares every line comment against (lowercased, whitespace
# removed, newline kept) with Levenshtein distance; a distance below 10 marks the start of a
# signature block and makes any code after it an error.
_SIGNATURE_LINE = "sig#beginsignatureblock\n"
_SIGNATURE_THRESHOLD = 10
# Lines with more non-space characters than this are never compared.
_SIGNATURE_MAX_LEN = 34
# Head room for a short label such as "Rule:" that a template may put before the text: each
# added character can lower the distance by at most one.
_SIGNATURE_MARGIN = 3
# Appended to text that resembles the signature line: a resembling text has at least 11
# non-space characters, so with this note the line is always longer than PowerShell compares,
# whatever label a template adds.
_SIGNATURE_NOTE = " (note: not a signature block)"
_MIN_COMMENT_LEN = 48

# Comments show these as code points: everything but printable ASCII, and the ASCII that would
# open or close a block comment (`<#`, `#>`) or read as a code point (`[U+`).
_CODE_POINT_RUN = re.compile(r"[^ -~]+")
_ASCII_AS_CODE_POINT = {"<#": "<[U+0023]", "#>": "[U+0023]>", "[U+": "[U+005B]U+"}
_UNSAFE_ASCII = re.compile("|".join(re.escape(s) for s in _ASCII_AS_CODE_POINT))


def ps_literal(value: object) -> PsCode:
    """Return a PowerShell expression that evaluates to `value`, as pure printable ASCII."""
    if isinstance(value, PsCode):
        return value
    if value is None:
        return PsCode("$null")
    # bool is a subclass of int, so it must be tested first.
    if isinstance(value, bool):
        return PsCode("$true" if value else "$false")
    if isinstance(value, int):
        return _int_literal(int(value))
    if isinstance(value, str):
        return _str_literal(str.__str__(value))
    if isinstance(value, list | tuple):
        return PsCode("@(" + ", ".join(_element(item) for item in value) + ")")
    if isinstance(value, Mapping):
        entries = [f"{key} = {ps_literal(item)}" for key, item in _checked_items(value)]
        if not entries:
            return PsCode("[ordered]@{}")
        return PsCode("[ordered]@{ " + "; ".join(entries) + " }")
    raise TypeError(f"cannot render {type(value).__name__} as a PowerShell literal")


def ps_hashtable(d: Mapping[str, object], indent: int = 0) -> PsCode:
    """Render `d` as a multi-line `[ordered]@{...}` with one entry per line and aligned `=`.

    `indent` is the column of the line where the literal starts: entries are indented four
    spaces more and the closing brace lines up with that line. Nested mappings use the same
    form one level deeper; every other value is rendered by `ps_literal`.
    """
    if not isinstance(d, Mapping):
        raise TypeError(f"expected a mapping, got {type(d).__name__}")
    if isinstance(indent, bool) or not isinstance(indent, int) or indent < 0:
        raise ValueError("indent must be a non-negative int")
    items = _checked_items(d)
    if not items:
        return PsCode("[ordered]@{}")
    pad = " " * (indent + 4)
    width = max(len(key) for key, _ in items)
    lines = ["[ordered]@{"]
    for key, item in items:
        rendered = ps_hashtable(item, indent + 4) if isinstance(item, Mapping) else ps_literal(item)
        lines.append(f"{pad}{key.ljust(width)} = {rendered}")
    lines.append(" " * indent + "}")
    return PsCode("\n".join(lines))


def ps_comment_text(value: str, max_len: int = 120) -> str:
    """Show `value` as one line of printable ASCII that is inert after `#` or inside `<# #>`.

    A reviewer must never read a different, valid-looking name, so nothing is folded to a
    lookalike: printable ASCII is kept as it is (`#` too), and every run of other characters
    (letters with accents, typographic quotes, non-breaking spaces, CJK, controls, line
    breaks) is written as its code points in brackets: `J\u00f6rg` becomes `J[U+00F6]rg`,
    `a\u00a0b` becomes `a[U+00A0]b`. The few ASCII characters that must not appear as they
    are become code points too: a `#` right after `<` or right before `>` (which would open or
    close a block comment), and a `[` that starts `[U+`, so the shown text always reads back
    to exactly `value`. A leading space is added before a leading `>` or `requires` (which
    would close a block comment or be read as `#requires` right after a `#`) and after a
    trailing `<` or backtick (tree-sitter reads a backtick as escaping a following `#>`,
    PowerShell does not). Text that PowerShell would take for the start of a signature block
    (its tokenizer compares every line comment by edit distance), even with a short label in
    front of it, gets `(note: not a signature block)` appended, which makes the line too long
    to compare. The result has at most `max_len` characters, ending in `...` when shortened.
    """
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    if max_len < _MIN_COMMENT_LEN:
        raise ValueError(f"max_len must be at least {_MIN_COMMENT_LEN}")
    text = _CODE_POINT_RUN.sub(
        _code_points, _UNSAFE_ASCII.sub(lambda m: _ASCII_AS_CODE_POINT[m[0]], value)
    )
    if text.startswith(">") or text[:8].lower() == "requires":
        text = " " + text
    if text.endswith(("<", "`")):
        text += " "
    if len(text) > max_len:
        text = _truncate(text, max_len)
    if _resembles_signature(text):
        if len(text) + len(_SIGNATURE_NOTE) > max_len:
            text = _truncate(text, max_len - len(_SIGNATURE_NOTE))
        text += _SIGNATURE_NOTE
    return text


def _code_points(match: re.Match[str]) -> str:
    return "[" + " ".join(f"U+{ord(ch):04X}" for ch in match[0]) + "]"


def _truncate(text: str, limit: int) -> str:
    return text[: limit - 3].rstrip() + "..."


def _int_literal(value: int) -> PsCode:
    # Beyond Int64 PowerShell silently turns an integer literal into a double.
    if not _INT64_MIN < value <= _INT64_MAX:
        raise ValueError(f"integer {value} is outside the range PowerShell reads exactly")
    if value < 0:
        # Parenthesised so that in command mode it can never be taken for a `-parameter`.
        return PsCode(f"({value})")
    return PsCode(str(value))


def _str_literal(value: str) -> PsCode:
    if _PRINTABLE_ASCII.fullmatch(value):  # most values: one quoted run, no [char] needed
        return PsCode(_quote(value))
    parts: list[str] = []
    run: list[str] = []
    for ch in value:
        code = ord(ch)
        if code == 0:
            raise ValueError("NUL character in string value")
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"lone surrogate U+{code:04X} in string value")
        if 0x20 <= code <= 0x7E:
            run.append(ch)
            continue
        if run:
            parts.append(_quote("".join(run)))
            run = []
        # Astral characters become their UTF-16 surrogate pair, as .NET strings hold them.
        units = ch.encode("utf-16-be")
        for i in range(0, len(units), 2):
            parts.append(f"[char]0x{units[i]:02X}{units[i + 1]:02X}")
    if run:
        parts.append(_quote("".join(run)))
    if not parts:
        return PsCode("''")
    if len(parts) == 1 and parts[0].startswith("'"):
        return PsCode(parts[0])
    # The first operand must be a string, or `+` would add the characters as numbers.
    if not parts[0].startswith("'"):
        parts.insert(0, "''")
    return PsCode("(" + " + ".join(parts) + ")")


def _quote(text: str) -> str:
    # Mirrors CodeGeneration.EscapeSingleQuotedStringContent: each quote is doubled with
    # itself. Only ASCII ' reaches here today, since the curly quotes are not ASCII and are
    # written as [char] instead, but the rule must stay right for all five.
    for quote in _SINGLE_QUOTES:
        text = text.replace(quote, quote * 2)
    return "'" + text + "'"


def _element(item: object) -> str:
    # PowerShell unrolls an array placed inside @(), so nested arrays would not round-trip.
    if isinstance(item, list | tuple):
        raise TypeError("nested lists cannot be rendered as PowerShell array elements")
    return ps_literal(item)


def _checked_items(d: Mapping[Any, object]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    seen: dict[str, str] = {}
    for key, item in d.items():
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise ValueError(f"hashtable key {key!r} is not a bare PowerShell identifier")
        # PowerShell hashtable keys are case-insensitive; a literal with both is an error.
        folded = key.lower()
        if folded in seen:
            raise ValueError(f"hashtable keys {seen[folded]!r} and {key!r} differ only in case")
        seen[folded] = key
        items.append((key, item))
    return items


def _resembles_signature(text: str) -> bool:
    compact = "".join(text.split()).lower()
    if len(compact) >= _SIGNATURE_MAX_LEN:
        return False
    limit = _SIGNATURE_THRESHOLD + _SIGNATURE_MARGIN
    return _edit_distance_below(compact + "\n", _SIGNATURE_LINE, limit)


def _edit_distance_below(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance between ``a`` and ``b`` is less than ``limit``."""
    # Every comment is compared, so stop as soon as the answer is known. Each edit accounts for
    # at most one character of the longer string that the other lacks, so the distance is at
    # least that count; and no row's minimum is below the previous row's.
    shared = sum((Counter(a) & Counter(b)).values())
    if max(len(a), len(b)) - shared >= limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) >= limit:
            return False
        previous = current
    return previous[-1] < limit

"""Test oracle: parse PowerShell with tree-sitter and re-check what its grammar gets wrong.

tree-sitter-powershell treats only ASCII ' as a single quote, only ASCII " as a double quote,
and knows nothing of PowerShell's fuzzy signature-block detection. This module therefore also
re-scans every verbatim string with PowerShell's own rule (tokenizer.cs ScanStringLiteral:
the five characters of CharExtensions.IsSingleQuote, any two in a row being one literal quote,
the second one kept) and rejects any quote character PowerShell would act on but the tree
does not show. It is written independently of journalgen.powershell and must not import it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts
import tree_sitter_powershell as tsp

SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e')
CURLY_DOUBLE_QUOTES = DOUBLE_QUOTES - {'"'}

_CHAR_RE = re.compile(r"\[char\]0x([0-9A-F]{4})")
_SIGNATURE_LINE = "sig#beginsignatureblock\n"


class OracleError(AssertionError):
    """The oracle found PowerShell text that is broken or that tree-sitter misreads."""


@dataclass(frozen=True)
class _Source:
    text: str
    data: bytes
    tree: ts.Tree
    char_at: tuple[int, ...]  # byte offset -> character offset

    def chars(self, node: ts.Node) -> tuple[int, int]:
        return self.char_at[node.start_byte], self.char_at[node.end_byte]

    def node_text(self, node: ts.Node) -> str:
        start, end = self.chars(node)
        return self.text[start:end]

    def where(self, index: int) -> str:
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return f"{line}:{column}"


@functools.cache
def _parser() -> ts.Parser:
    return ts.Parser(ts.Language(tsp.language()))


def _text_of(source: str | bytes) -> str:
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise OracleError(f"script is not valid UTF-8: {exc}") from exc
    return source.removeprefix("\ufeff")


def _load(source: str | bytes) -> _Source:
    text = _text_of(source)
    data = text.encode("utf-8", "surrogatepass")
    char_at = [0] * (len(data) + 1)
    offset = 0
    for index, ch in enumerate(text):
        width = len(ch.encode("utf-8", "surrogatepass"))
        for k in range(width):
            char_at[offset + k] = index
        offset += width
    char_at[offset] = len(text)
    return _Source(text, data, _parser().parse(data), tuple(char_at))


def parse_ps(source: str | bytes) -> ts.Tree:
    """Parse PowerShell source (a leading BOM is ignored) with tree-sitter."""
    return _parser().parse(_text_of(source).encode("utf-8", "surrogatepass"))


def _walk(node: ts.Node, stop: frozenset[str] = frozenset()) -> Iterator[ts.Node]:
    """Yield `node` and its descendants in document order, not entering `stop` types below it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and current.type in stop:
            continue
        stack.extend(reversed(current.children))


# --- PowerShell's string rules ------------------------------------------------------------


def _scan_verbatim(text: str, start: int) -> tuple[str, int]:
    """Scan a single-quoted string opening at `start` as PowerShell does; return (value, end)."""
    if start >= len(text) or text[start] not in SINGLE_QUOTES:
        raise OracleError(f"expected a single quote at offset {start}")
    value: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch in SINGLE_QUOTES:
            if i + 1 < len(text) and text[i + 1] in SINGLE_QUOTES:
                value.append(text[i + 1])
                i += 2
                continue
            return "".join(value), i + 1
        value.append(ch)
        i += 1
    raise OracleError(f"single-quoted string opening at offset {start} is never closed")


def _check_verbatim(src: _Source, node: ts.Node) -> str:
    start, end = src.chars(node)
    try:
        value, ps_end = _scan_verbatim(src.text, start)
    except OracleError as exc:
        raise OracleError(f"{src.where(start)}: PowerShell never closes this string") from exc
    if ps_end != end:
        raise OracleError(
            f"{src.where(start)}: PowerShell ends this string at {src.where(ps_end - 1)}, "
            f"tree-sitter at {src.where(end - 1)}: {src.text[start:end]!r}"
        )
    return value


def string_literals(source: str | bytes) -> list[str]:
    """Decode every single-quoted string literal with PowerShell's rule, in document order.

    Raises OracleError where PowerShell would end a literal somewhere other than where the
    tree-sitter grammar ends it (a curly quote the grammar ignores).
    """
    src = _load(source)
    values = []
    for node in _walk(src.tree.root_node):
        if node.type == "string_literal" and src.node_text(node)[:1] in SINGLE_QUOTES:
            values.append(_check_verbatim(src, node))
    return values


def _quote_problems(src: _Source) -> list[str]:
    problems: list[str] = []
    covered: list[tuple[int, int]] = []
    for node in _walk(src.tree.root_node):
        if node.type == "comment":
            covered.append(src.chars(node))
        elif node.type == "string_literal":
            start, end = src.chars(node)
            covered.append((start, end))
            body = src.text[start:end]
            if body[:1] in SINGLE_QUOTES:
                try:
                    _check_verbatim(src, node)
                except OracleError as exc:
                    problems.append(str(exc))
            elif body[:1] == "@":
                for number, line in enumerate(body.split("\n")[1:-1], 1):
                    stripped = line.lstrip()
                    if stripped[:1] in SINGLE_QUOTES | DOUBLE_QUOTES and stripped[1:2] == "@":
                        problems.append(
                            f"{src.where(start)}: line {number} of this here-string ends it "
                            "for PowerShell"
                        )
            elif any(ch in CURLY_DOUBLE_QUOTES for ch in body[1:-1]):
                problems.append(f"{src.where(start)}: curly double quote inside a string")
    covered.sort()
    position = 0
    for start, end in [*covered, (len(src.text), len(src.text))]:
        for index in range(position, start):
            if src.text[index] in SINGLE_QUOTES | DOUBLE_QUOTES:
                problems.append(
                    f"{src.where(index)}: quote {src.text[index]!r} outside any string literal"
                )
        position = max(position, end)
    return problems


# --- comments ------------------------------------------------------------------------------


def _ps_is_whitespace(ch: str) -> bool:
    """CharExtensions.IsWhitespace: newlines are not whitespace."""
    code = ord(ch)
    if code < 128:
        return ch in " \t\x0b\x0c"
    if code <= 256:
        return code in (0xA0, 0x85)
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1]))
            diagonal = above
    return row[-1]


def comments(source: str | bytes) -> list[str]:
    """Return the text of every comment node (line and block), in document order."""
    src = _load(source)
    return [src.node_text(n) for n in _walk(src.tree.root_node) if n.type == "comment"]


def signature_lookalikes(source: str | bytes) -> list[str]:
    """Return positions of line comments PowerShell would take for a signature block start.

    Follows tokenizer.cs ScanToEndOfCommentLine: the text after `#` without whitespace plus
    the character that ends the line (`\\r`, `\\n`, or NUL at end of file), lowercased, of
    length 14 to 34 and at Levenshtein distance below 10 from `sig#beginsignatureblock\\n`.
    """
    src = _load(source)
    found = []
    for node in _walk(src.tree.root_node):
        if node.type != "comment" or src.node_text(node).startswith("<#"):
            continue
        start, end = src.chars(node)
        terminator = src.text[end] if end < len(src.text) else "\0"
        line = "".join(c for c in src.text[start + 1 : end] if not _ps_is_whitespace(c))
        line = (line + terminator).lower()
        if 14 <= len(line) <= 34 and _edit_distance(line, _SIGNATURE_LINE) < 10:
            found.append(src.where(start))
    return found


# --- the one-call check -----------------------------------------------------------------


def assert_clean(source: str | bytes) -> None:
    """Raise OracleError listing every problem PowerShell or tree-sitter would have.

    Reports tree-sitter ERROR and MISSING nodes by line:column, every single-quoted string
    whose PowerShell end differs from tree-sitter's, any quote character outside a string
    literal or comment, here-strings with a line that ends them early, curly double quotes
    in strings, NUL characters, and comment lines that look like a signature block start.
    """
    src = _load(source)
    problems: list[str] = []
    if "\0" in src.text:
        problems.append(f"{src.where(src.text.index(chr(0)))}: NUL character")
    if src.tree.root_node.has_error:
        for node in _walk(src.tree.root_node):
            if node.is_error:
                snippet = src.node_text(node)[:40]
                problems.append(f"{src.where(src.chars(node)[0])}: ERROR at {snippet!r}")
            elif node.is_missing:
                problems.append(f"{src.where(src.chars(node)[0])}: MISSING {node.type!r}")
        if not problems:
            problems.append("tree-sitter reports an error it does not locate")
    problems.extend(_quote_problems(src))
    problems.extend(
        f"{where}: comment looks like a signature block start"
        for where in signature_lookalikes(source)
    )
    if problems:
        raise OracleError("PowerShell source is not clean:\n" + "\n".join(problems))


# --- evaluating the emitter's string form ---------------------------------------------------


def eval_string_expr(text: str) -> str:
    """Evaluate `'x'` or `('x' + [char]0xHHHH + 'y' ...)` exactly; raise OracleError otherwise.

    Only this canonical form is accepted: one verbatim string, or a parenthesised `+` chain
    of at least two operands joined by ` + ` whose first operand is a verbatim string and
    whose others are verbatim strings or `[char]0x` with four uppercase hex digits. UTF-16
    surrogate pairs are recombined; an unpaired surrogate is an error.
    """
    units: list[str] = []

    def literal(at: int) -> int:
        value, end = _scan_verbatim(text, at)
        units.append(value)
        return end

    if text[:1] in SINGLE_QUOTES:
        end = literal(0)
        if end != len(text):
            raise OracleError(f"text after the string literal: {text[end:]!r}")
    elif text.startswith("(") and text.endswith(")"):
        if text[1:2] not in SINGLE_QUOTES:
            raise OracleError("a concatenation must start with a string operand")
        position = literal(1)
        operands = 1
        while text.startswith(" + ", position):
            position += 3
            operands += 1
            match = _CHAR_RE.match(text, position)
            if match:
                units.append(chr(int(match.group(1), 16)))
                position = match.end()
            elif text[position : position + 1] in SINGLE_QUOTES:
                position = literal(position)
            else:
                raise OracleError(f"unexpected operand at offset {position}: {text[position:]!r}")
        if position != len(text) - 1:
            raise OracleError(f"unexpected text at offset {position}: {text[position:]!r}")
        if operands < 2:
            raise OracleError("parentheses around a single string")
    else:
        raise OracleError(f"not a string expression: {text!r}")
    joined = "".join(units).encode("utf-16-le", "surrogatepass")
    try:
        return joined.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise OracleError(f"unpaired surrogate in {text!r}") from exc


# --- commands, parameters, arrays and hashtables -------------------------------------------


def _command_name(src: _Source, command: ts.Node) -> str:
    for child in command.children:
        if child.type in ("command_name", "command_name_expr"):
            return src.node_text(child)
    raise OracleError(f"{src.where(src.chars(command)[0])}: command without a name")


def _command_nodes(src: _Source) -> list[ts.Node]:
    return [n for n in _walk(src.tree.root_node) if n.type == "command"]


def _elements(command: ts.Node) -> list[ts.Node]:
    for child in command.children:
        if child.type == "command_elements":
            return list(child.children)
    return []


def commands(source: str | bytes) -> list[str]:
    """Names of the commands invoked, in document order (`& 'x'` gives `'x'` as written)."""
    src = _load(source)
    return [_command_name(src, n) for n in _command_nodes(src)]


def command_parameters(source: str | bytes) -> list[tuple[str, list[str]]]:
    """Each command with the names of its own `-Param` tokens, without the leading dash."""
    src = _load(source)
    result = []
    for command in _command_nodes(src):
        names = [
            src.node_text(e).removeprefix("-").removesuffix(":")
            for e in _elements(command)
            if e.type == "command_parameter"
        ]
        result.append((_command_name(src, command), names))
    return result


def _splats(src: _Source, command: ts.Node) -> list[str]:
    return [
        src.node_text(n)[1:]
        for element in _elements(command)
        for n in _walk(element, stop=frozenset({"command"}))
        if n.type == "variable" and src.node_text(n).startswith("@")
    ]


def command_splats(source: str | bytes) -> list[tuple[str, list[str]]]:
    """Each command with the variables it splats (`@p` gives `p`)."""
    src = _load(source)
    return [(_command_name(src, n), _splats(src, n)) for n in _command_nodes(src)]


def _hash_keys(src: _Source, table: ts.Node) -> list[str]:
    keys = []
    for body in table.children:
        if body.type != "hash_literal_body":
            continue
        for entry in body.children:
            if entry.type != "hash_entry":
                continue
            key = entry.children[0]
            literal = [c for c in _walk(key) if c.type == "string_literal"]
            if literal and src.node_text(literal[0])[:1] in SINGLE_QUOTES:
                keys.append(_check_verbatim(src, literal[0]))
            else:
                keys.append(src.node_text(key))
    return keys


def hashtable_keys(source: str | bytes) -> list[list[str]]:
    """The keys of every hashtable literal, in document order."""
    src = _load(source)
    return [
        _hash_keys(src, n) for n in _walk(src.tree.root_node) if n.type == "hash_literal_expression"
    ]


def _sole_value(node: ts.Node) -> ts.Node:
    """Descend through single-child wrapper nodes to the one expression they hold."""
    while node.type not in ("hash_literal_expression", "cast_expression"):
        named = node.named_children
        if len(named) != 1:
            break
        node = named[0]
    return node


def _hashtable_assignments(src: _Source) -> list[tuple[int, str, list[str]]]:
    result = []
    for node in _walk(src.tree.root_node):
        if node.type != "assignment_expression":
            continue
        target = _sole_value(node.named_children[0])
        value = _sole_value(node.named_children[-1])
        if value.type == "cast_expression":
            types = [c for c in value.named_children if c.type == "type_literal"]
            if not types or src.node_text(types[0]).lower() != "[ordered]":
                continue
            value = _sole_value(value.named_children[-1])
        if target.type == "variable" and value.type == "hash_literal_expression":
            result.append((node.start_byte, src.node_text(target)[1:], _hash_keys(src, value)))
    return result


def hashtable_assignments(source: str | bytes) -> list[tuple[str, list[str]]]:
    """`$name = @{...}` or `$name = [ordered]@{...}` assignments: (name, keys) in order."""
    return [(name, keys) for _, name, keys in _hashtable_assignments(_load(source))]


def command_splat_keys(source: str | bytes) -> list[tuple[str, list[str]]]:
    """Each command with the keys of the hashtables it splats, from the latest assignment."""
    src = _load(source)
    assignments = _hashtable_assignments(src)
    result = []
    for command in _command_nodes(src):
        tables = {name: keys for start, name, keys in assignments if start < command.start_byte}
        keys_used: list[str] = []
        for name in _splats(src, command):
            if name not in tables:
                raise OracleError(f"{_command_name(src, command)} splats @{name}, never assigned")
            keys_used.extend(tables[name])
        result.append((_command_name(src, command), keys_used))
    return result


def array_elements(source: str | bytes) -> list[list[str]]:
    """The source text of each element of every `@(...)`, in document order.

    Only the comma-list form the emitter writes is accepted; `@(a; b)` raises OracleError.
    """
    src = _load(source)
    result: list[list[str]] = []
    for node in _walk(src.tree.root_node):
        if node.type != "array_expression":
            continue
        lists = [c for c in node.named_children if c.type == "statement_list"]
        if not lists:
            result.append([])
            continue
        if len(lists[0].named_children) != 1:
            raise OracleError(f"{src.where(src.chars(node)[0])}: @() holds several statements")
        inner = lists[0].named_children[0]
        while inner.type != "array_literal_expression" and len(inner.named_children) == 1:
            inner = inner.named_children[0]
        if inner.type != "array_literal_expression":
            result.append([src.node_text(inner)])
        else:
            result.append([src.node_text(c) for c in inner.named_children])
    return result


@dataclass(frozen=True)
class CommandUse:
    """One command invocation with where it sits: the commands around it and its function."""

    name: str
    parameters: tuple[str, ...]
    text: str
    enclosing: tuple[str, ...]  # names of the commands it is an argument of, innermost first
    function: str | None  # the function whose body holds it, if any


def command_uses(source: str | bytes) -> list[CommandUse]:
    """Every command with its parameters, its enclosing commands and its function, in order."""
    src = _load(source)
    uses = []
    for command in _command_nodes(src):
        enclosing: list[str] = []
        function = None
        parent = command.parent
        while parent is not None:
            if parent.type == "command":
                enclosing.append(_command_name(src, parent))
            if parent.type == "function_statement" and function is None:
                names = [c for c in parent.children if c.type == "function_name"]
                function = src.node_text(names[0]) if names else None
            parent = parent.parent
        parameters = tuple(
            src.node_text(e).removeprefix("-").removesuffix(":")
            for e in _elements(command)
            if e.type == "command_parameter"
        )
        uses.append(
            CommandUse(
                _command_name(src, command),
                parameters,
                src.node_text(command),
                tuple(enclosing),
                function,
            )
        )
    return uses

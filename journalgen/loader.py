"""Strict YAML loading: bytes in, plain data plus source positions out, or every problem at once."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from journalgen.diagnostics import START, Diagnostic, Position
from journalgen.errors import SpecError

try:  # libyaml is several times faster; the pure-Python parser gives the same events and marks.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 256 * 1024
MAX_DEPTH = 16
# Python's default limit for converting digits to an integer (sys.get_int_max_str_digits):
# converting more takes quadratic time. No spec or state value comes anywhere near it.
MAX_INT_DIGITS = 4300

Path = tuple[str | int, ...]
Scalar = str | int | bool | None

# YAML 1.2's core schema minus floats, with only canonical decimal integers: `yes`, `on`, `0755`,
# `1:30`, `2024-01-01` and `1.10` stay strings, so a wrong type is reported instead of coerced.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
# libyaml refuses a \uD800-\uDFFF escape; the pure-Python parser decodes it to a lone surrogate.
_SURROGATE = re.compile("[\ud800-\udfff]")

_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


@dataclass(frozen=True, slots=True)
class PositionIndex:
    """Where each key and value of a loaded document starts, by path from the root."""

    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path, *, prefer_key: bool = False) -> Position:
        """The position of ``path``, or of its nearest existing ancestor when it is absent."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if end == len(path) and prefer_key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return START


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    file: str
    data: dict[str, Any]
    index: PositionIndex


def _quoted(text: str) -> str:
    """Text in quotes, with invisible characters escaped so a message cannot hide or reorder them."""
    from journalgen.textshow import quoted

    return quoted(text)


def _diag(file: str, pos: Position, code: str, message: str) -> Diagnostic:
    return Diagnostic.at(file, pos, code, message)


def _mark(mark: Any, lines: list[str]) -> Position:
    # libyaml puts the end of a stream without a final line break on a line after the last one.
    if mark.line >= len(lines):
        return Position(len(lines), len(lines[-1]) + 1)
    return Position(mark.line + 1, mark.column + 1)


# The line breaks YAML counts in its marks; positions computed here must agree with them.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _offset_to_position(text: str, offset: int) -> Position:
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line, start = line + 1, match.end()
    return Position(line, offset - start + 1)


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_BYTES:
        raise SpecError(
            [
                _diag(
                    file,
                    START,
                    "JG004",
                    f"file is larger than {MAX_BYTES} bytes, the limit for a spec",
                )
            ]
        )
    if raw.startswith(_UTF16_32_BOMS) or b"\x00" in raw[:4]:
        raise SpecError(
            [_diag(file, START, "JG003", "file is UTF-16 or UTF-32 encoded; save it as UTF-8")]
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        pos = _offset_to_position(good, len(good))
        raise SpecError(
            [
                _diag(
                    file,
                    pos,
                    "JG002",
                    f"byte 0x{raw[exc.start]:02X} is not valid UTF-8; save the file as UTF-8",
                )
            ]
        ) from None


def _resolve(event: yaml.ScalarEvent) -> Scalar:
    if event.style or event.implicit[0] is False:
        return str(event.value)
    value = event.value
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        return int(value)
    return str(value)


class _NotAValue:
    """A scalar that is refused (its problem recorded), so no value and no further message."""


_NOT_A_VALUE = _NotAValue()


class _TooDeep(Exception):
    """Nesting went past MAX_DEPTH; the problem is recorded and loading stops."""


class _Builder:
    """Builds plain data from parser events, refusing what a spec must not contain."""

    def __init__(self, file: str, lines: list[str]) -> None:
        self.file = file
        self.lines = lines
        self.index = PositionIndex()
        self.problems: list[Diagnostic] = []
        self.documents = 0

    def error(self, pos: Position, code: str, message: str) -> None:
        self.problems.append(_diag(self.file, pos, code, message))

    def build(self, events: Iterator[yaml.Event]) -> Any:
        root: Any = None
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.error(
                        _mark(event.start_mark, self.lines),
                        "JG012",
                        "a spec holds exactly one YAML document; remove the extra '---' document",
                    )
                    return root
            elif isinstance(event, yaml.NodeEvent):
                root = self.node(event, events, (), 1)
        return root

    def check_node(self, event: yaml.NodeEvent) -> None:
        pos = _mark(event.start_mark, self.lines)
        if event.anchor is not None:
            self.error(
                pos,
                "JG009",
                f"anchor '&{event.anchor}' is not allowed; write the value out in full",
            )
        # Any tag at all, even the non-specific '!', which the two parsers flag differently.
        tag = getattr(event, "tag", None)
        if tag is not None:
            self.error(pos, "JG010", f"tag '{tag}' is not allowed; specs use plain values only")

    def node(
        self, event: yaml.NodeEvent, events: Iterator[yaml.Event], path: Path, depth: int
    ) -> Any:
        if isinstance(event, yaml.AliasEvent):
            self.error(
                _mark(event.start_mark, self.lines),
                "JG009",
                f"alias '*{event.anchor}' is not allowed; write the value out in full",
            )
            return None
        self.check_node(event)
        self.index.values[path] = _mark(event.start_mark, self.lines)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event)
            return None if isinstance(value, _NotAValue) else value
        if depth > MAX_DEPTH:
            self.error(
                _mark(event.start_mark, self.lines),
                "JG013",
                f"nesting is deeper than {MAX_DEPTH} levels",
            )
            # Stop here: parsing the rest of a deeply nested file is quadratic in PyYAML's
            # pure-Python scanner, so a small file could take minutes.
            raise _TooDeep
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            for child in events:
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                items.append(self.node(child, events, (*path, len(items)), depth + 1))  # type: ignore[arg-type]
        mapping: dict[str, Any] = {}
        seen: dict[str, Position] = {}
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            key_pos = _mark(key_event.start_mark, self.lines)
            key = self.key(key_event, events, path, depth)  # type: ignore[arg-type]
            value_event = next(events)
            if key is None:
                self.node(value_event, events, (*path, "\x00"), depth + 1)  # type: ignore[arg-type]
                continue
            if key in seen:
                first = seen[key]
                self.error(
                    key_pos,
                    "JG008",
                    f"duplicate key {_quoted(key)} (first defined at line {first.line}); keep one",
                )
                self.node(value_event, events, (*path, "\x00"), depth + 1)  # type: ignore[arg-type]
                continue
            seen[key] = key_pos
            self.index.keys[(*path, key)] = key_pos
            mapping[key] = self.node(value_event, events, (*path, key), depth + 1)  # type: ignore[arg-type]
        return mapping

    def scalar(self, event: yaml.ScalarEvent) -> Scalar | _NotAValue:
        """The scalar's value, or the problem recorded when it is no value at all."""
        value = event.value
        surrogate = _SURROGATE.search(value)
        if surrogate is not None:
            self.error(
                _mark(event.start_mark, self.lines),
                "JG006",
                f"the escape \\u{ord(surrogate.group()):04x} is half of a UTF-16 surrogate pair, "
                "not a character; write the character itself, or its \\U escape",
            )
            return _NOT_A_VALUE
        digits = len(value.lstrip("-"))
        plain = not event.style and event.implicit[0] is not False
        if plain and digits > MAX_INT_DIGITS and _INT.fullmatch(value):
            self.error(
                _mark(event.start_mark, self.lines),
                "JG004",
                f"the number has {digits} digits, more than the {MAX_INT_DIGITS} a spec may "
                "hold; no spec value is that large",
            )
            return _NOT_A_VALUE
        return _resolve(event)

    def key(
        self, event: yaml.NodeEvent, events: Iterator[yaml.Event], path: Path, depth: int
    ) -> str | None:
        if isinstance(event, yaml.ScalarEvent):
            self.check_node(event)
            value = self.scalar(event)
            if isinstance(value, _NotAValue):
                return None
            if isinstance(value, str) and value:
                return value
            shown = "empty key" if value in (None, "") else f"key {event.value!r}"
            self.error(
                _mark(event.start_mark, self.lines),
                "JG011",
                f"{shown} is not a text key; keys are names like 'name'",
            )
            return None
        self.node(event, events, (*path, "\x00"), depth + 1)
        self.error(
            _mark(event.start_mark, self.lines),
            "JG011",
            "a key must be a plain name, not a list or mapping",
        )
        return None


def _syntax_diagnostic(exc: yaml.YAMLError, text: str, file: str) -> Diagnostic:
    if isinstance(exc, yaml.reader.ReaderError):
        offset = exc.position
        if issubclass(_Loader, getattr(yaml, "CSafeLoader", ())):
            # libyaml reports a byte offset into the UTF-8 encoding, not a character offset.
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
        pos = _offset_to_position(text, offset)
        return (
            _diag(
                file,
                pos,
                "JG006",
                f"character U+{exc.character:04X} is not allowed in YAML; write it as an escape in a double-quoted string",
            )
            if isinstance(exc.character, int)
            else _diag(file, pos, "JG006", str(exc.reason))
        )
    mark = getattr(exc, "problem_mark", None)
    lines = _LINE_BREAK.split(text)
    pos = _mark(mark, lines) if mark is not None else START
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    # Only a tab in the indentation up to the error is the tab problem; the pure-Python parser
    # also refuses tabs inside values, which is a plain syntax error.
    if mark is not None and "\t" in indent[: mark.column + 1]:
        return _diag(
            file, pos, "JG007", "tab character in indentation; YAML indents with spaces only"
        )
    problem = getattr(exc, "problem", None) or str(exc)
    if "nesting depth" in str(problem):
        # libyaml has its own, much larger, nesting limit and can hit it before we see the events.
        return _diag(file, pos, "JG013", f"nesting is deeper than {MAX_DEPTH} levels")
    context = getattr(exc, "context", None)
    message = f"{problem} ({context})" if context else str(problem)
    return _diag(file, pos, "JG006", f"YAML syntax error: {message}")


def load_yaml(raw: bytes, file: str) -> LoadedDocument:
    """Parse one spec file strictly; raise :class:`SpecError` with every problem found."""
    text = _decode(raw, file)
    builder = _Builder(file, _LINE_BREAK.split(text))
    try:
        data = builder.build(iter(yaml.parse(text, Loader=_Loader)))
    except yaml.YAMLError as exc:
        builder.problems.append(_syntax_diagnostic(exc, text, file))
        raise SpecError(builder.problems) from None
    except _TooDeep:
        raise SpecError(builder.problems) from None
    if builder.problems:
        raise SpecError(builder.problems)
    if data is None:
        raise SpecError(
            [_diag(file, START, "JG005", "file is empty; a spec starts with 'version: 1'")]
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        pos = builder.index.values.get((), START)
        raise SpecError(
            [
                _diag(
                    file,
                    pos,
                    "JG014",
                    f"the top level is {kind}; a spec is a mapping that starts with 'version: 1'",
                )
            ]
        )
    return LoadedDocument(file, data, builder.index)

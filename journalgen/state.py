"""The captured tenant state, format ``journalgen-state/1``: strict JSON loading with positions, and its models."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate, count
from operator import sub
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from journalgen.diagnostics import START, Diagnostic, Position
from journalgen.errors import SpecError
from journalgen.loader import MAX_INT_DIGITS, Path, PositionIndex
from journalgen.pydantic_errors import dotted, show
from journalgen.spec import Items, nested_model

FORMAT = "journalgen-state/1"
SCHEMA_ID = "https://journalgen.dev/schemas/journalgen-state-v1.schema.json"
# A tenant's journaling state is kilobytes; thousands of accepted domains stay far below this.
# Loading is linear in the size, so this also bounds the time (benchmarks/bench_state_load.py).
MAX_BYTES = 16 * 1024 * 1024
# What Set-TransportConfig accepts for JournalMessageExpirationDays.
EXPIRATION_DAYS = (0, 7)
# The format nests four levels (object, list, object, list); extra keys may nest a little more.
MAX_DEPTH = 32
# Values along the paths the format reads, each positioned by a Python step: 8,000 accepted
# domains are 40,000, ten thousand contacts and recipients fewer than 100,000.
MAX_VALUES = 200_000
# A state with more problems than this is listed up to here, with a count of the rest.
MAX_FINDINGS = 1_000


def _timestamp(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO 8601 date and time like 2026-11-27T10:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("has no time zone; write it in UTC, like 2026-11-27T10:00:00Z")
    return value


class _Model(BaseModel):
    # Exchange's own property names; keys the format does not name are ignored, so a capture may
    # carry more than journalgen reads.
    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


class AcceptedDomain(_Model):
    """One accepted domain (`Get-AcceptedDomain -ResultSize Unlimited`)."""

    domain_name: str = Field(alias="DomainName")
    default: bool = Field(alias="Default")
    domain_type: str = Field(alias="DomainType")
    match_subdomains: bool = Field(alias="MatchSubDomains")


class TransportConfig(_Model):
    """The journaling part of `Get-TransportConfig`."""

    journaling_report_ndr_to: str | None = Field(alias="JournalingReportNdrTo")
    """`<>` or null when never set."""
    journal_message_expiration_days: int = Field(
        alias="JournalMessageExpirationDays", ge=EXPIRATION_DAYS[0], le=EXPIRATION_DAYS[1]
    )
    """0 to 7, as `Set-TransportConfig` allows."""


class JournalRule(_Model):
    """One journal rule (`Get-JournalRule`)."""

    name: str = Field(alias="Name")
    journal_email_address: str = Field(alias="JournalEmailAddress")
    scope: str = Field(alias="Scope")
    recipient: str | None = Field(alias="Recipient")
    enabled: bool = Field(alias="Enabled")


class OutboundConnector(_Model):
    """One outbound connector (`Get-OutboundConnector`, test-mode ones included)."""

    name: str = Field(alias="Name")
    connector_type: str = Field(alias="ConnectorType")
    enabled: bool = Field(alias="Enabled")
    recipient_domains: Items[str] = Field(alias="RecipientDomains")
    use_mx_record: bool = Field(alias="UseMXRecord")
    smart_hosts: Items[str] = Field(alias="SmartHosts")
    tls_settings: str | None = Field(alias="TlsSettings")
    tls_domain: str | None = Field(alias="TlsDomain")
    is_transport_rule_scoped: bool = Field(alias="IsTransportRuleScoped")
    test_mode: bool = Field(alias="TestMode")
    route_all_messages_via_on_premises: bool = Field(alias="RouteAllMessagesViaOnPremises")
    comment: str | None = Field(alias="Comment")
    smtp_dane_mode: str | None = Field(default=None, alias="SmtpDaneMode")
    """Absent or null when Exchange did not return it (older module versions): not decidable."""


class MailContact(_Model):
    """One mail contact (`Get-MailContact`, with the name parts from `Get-Contact`)."""

    name: str = Field(alias="Name")
    external_email_address: str = Field(alias="ExternalEmailAddress")
    display_name: str | None = Field(alias="DisplayName")
    alias: str | None = Field(alias="Alias")
    first_name: str | None = Field(alias="FirstName")
    initials: str | None = Field(alias="Initials")
    last_name: str | None = Field(alias="LastName")
    hidden_from_address_lists_enabled: bool = Field(alias="HiddenFromAddressListsEnabled")


class Recipient(_Model):
    """A recipient that holds a name or address the journaling setup uses (`Get-Recipient`)."""

    name: str = Field(alias="Name")
    recipient_type_details: str = Field(alias="RecipientTypeDetails")
    email_addresses: Items[str] = Field(default=(), alias="EmailAddresses")


# The properties of a transport rule (`Get-TransportRule`) that can name a recipient, conditions
# and exceptions included, by their Exchange names, in the capture's order.
RULE_RECIPIENT_PROPERTIES = (
    "From",
    "SentTo",
    "AnyOfToHeader",
    "AnyOfCcHeader",
    "AnyOfToCcHeader",
    "ModerateMessageByUser",
    "RedirectMessageTo",
    "BlindCopyTo",
    "CopyTo",
    "AddToRecipients",
    "GenerateIncidentReport",
    "ExceptIfFrom",
    "ExceptIfSentTo",
)


class TransportRule(_Model):
    """A mail-flow rule (`Get-TransportRule`) that names a contact or address the setup uses."""

    name: str = Field(alias="Name")
    state: str | None = Field(default=None, alias="State")
    """`Enabled` or `Disabled`. Each recipient property below is null when Exchange did not
    return it."""
    from_: Items[str] | None = Field(default=None, alias="From")
    sent_to: Items[str] | None = Field(default=None, alias="SentTo")
    any_of_to_header: Items[str] | None = Field(default=None, alias="AnyOfToHeader")
    any_of_cc_header: Items[str] | None = Field(default=None, alias="AnyOfCcHeader")
    any_of_to_cc_header: Items[str] | None = Field(default=None, alias="AnyOfToCcHeader")
    moderate_message_by_user: Items[str] | None = Field(default=None, alias="ModerateMessageByUser")
    redirect_message_to: Items[str] | None = Field(default=None, alias="RedirectMessageTo")
    blind_copy_to: Items[str] | None = Field(default=None, alias="BlindCopyTo")
    copy_to: Items[str] | None = Field(default=None, alias="CopyTo")
    add_to_recipients: Items[str] | None = Field(default=None, alias="AddToRecipients")
    generate_incident_report: Items[str] | None = Field(
        default=None, alias="GenerateIncidentReport"
    )
    except_if_from: Items[str] | None = Field(default=None, alias="ExceptIfFrom")
    except_if_sent_to: Items[str] | None = Field(default=None, alias="ExceptIfSentTo")

    def naming(self) -> list[tuple[str, str]]:
        """Each (property, value) of the rule that names a recipient, in the capture's order."""
        fields = {f.alias: name for name, f in type(self).model_fields.items()}
        return [
            (prop, value)
            for prop in RULE_RECIPIENT_PROPERTIES
            for value in getattr(self, fields[prop]) or ()
        ]


class TenantState(_Model):
    """A tenant's journaling state as captured by `verify.ps1 -StatePath` or the capture script."""

    # Merged by pydantic into _Model's configuration.
    model_config = ConfigDict(
        title="journalgen captured tenant state", json_schema_extra={"$id": SCHEMA_ID}
    )

    format: str
    """Always `journalgen-state/1`."""
    captured_at: Annotated[str, AfterValidator(_timestamp)]
    """When the state was read, ISO 8601 with a time zone."""
    organization: str
    """The tenant's initial `.onmicrosoft.com` domain."""
    accepted_domains: Items[AcceptedDomain]
    transport_config: TransportConfig
    journal_rules: Items[JournalRule]
    """Every journal rule of the tenant."""
    outbound_connectors: Items[OutboundConnector]
    """Every outbound connector of the tenant, test-mode and rule-scoped ones included."""
    mail_contacts: Items[MailContact]
    """At least every mail contact whose address a journal rule targets."""
    recipients: Items[Recipient] | None = None
    """The recipients holding a name or address the setup uses (the contact's name, the journal
    and NDR addresses). Absent: not captured, so `plan` cannot decide the checks that need them."""
    recipient_lookups: Items[str] | None = None
    """Every name or address the capture asked `Get-Recipient` for, lower case: one listed here
    that no entry of `recipients` holds belongs to nobody. Absent: `plan` cannot tell."""
    transport_rules: Items[TransportRule] | None = None
    """The mail-flow rules that name, in a recipient property, a captured mail contact (by name
    or address) or a name or address in `recipient_lookups`. Absent: not captured, so `plan`
    cannot decide whether retiring or re-pointing a contact strands one."""


def schema_text() -> str:
    """The state's JSON Schema as the committed file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the state format, as committed in ``schemas/``."""
    schema = TenantState.model_json_schema(by_alias=True)
    schema["properties"]["format"]["const"] = FORMAT
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


@dataclass(frozen=True, slots=True)
class Captured:
    """A loaded state file: its name, SHA-256, the validated state and where each value is."""

    file: str
    sha256: str
    state: TenantState
    index: PositionIndex

    def at(self, path: Path) -> Position:
        return self.index.locate(path)


# --- loading ---------------------------------------------------------------------------------

_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# A string, its body matched in runs rather than a character at a time.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Strings (skipped whole) and brackets: enough to measure nesting without parsing.
_TOKENS = re.compile(_STRING.pattern + r"|[\[\]{}]", re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# An opening bracket weighs 2 and a closing one 0, so after k brackets the running sum less k is
# the depth: the C iterators of itertools then measure it without a Python step per bracket.
_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_SPACE = re.compile(r"[ \t\n\r]*")
# json decodes a \uD800-\uDFFF escape with no partner to a lone surrogate, which no encoder
# writes; where the text holds no such escape, no decoded string can hold one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Where the text has no run of digits this long, json can convert every integer in it.
_LONG_DIGITS = re.compile(f"[0-9]{{{MAX_INT_DIGITS + 1}}}")


def _error(file: str, pos: Position, code: str, message: str) -> SpecError:
    return SpecError([Diagnostic.at(file, pos, code, message)])


class Lines:
    """Positions of offsets in a text, with lines counted by line feeds alone, as json counts them.

    Each position is counted on from the one asked before, so a walk that asks in text order
    positions every value in time linear in the text; an earlier offset counts from the start.
    No table of line starts is kept: a text of newlines would make it larger than the text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def position(self, offset: int) -> Position:
        if offset < self.offset:
            self.offset, self.line, self.line_start = 0, 1, 0
        breaks = self.text.count("\n", self.offset, offset)
        if breaks:
            self.line += breaks
            self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return Position(self.line, offset - self.line_start + 1)


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_BYTES:
        raise _error(
            file, START, "JG404", f"file is larger than {MAX_BYTES} bytes, the limit for a state"
        )
    if raw.startswith(_BOMS) or b"\x00" in raw[:4]:
        raise _error(
            file,
            START,
            "JG401",
            "file is UTF-16 or UTF-32 encoded; a state is UTF-8 JSON (capture it again with the "
            "script, not a '>' redirect)",
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if not raw.strip():
        raise _error(
            file,
            START,
            "JG401",
            "file is empty: a capture that failed, or a redirect of nothing; capture the tenant "
            "with verify.ps1 -StatePath FILE or the capture script (docs/state.md)",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        raise _error(
            file,
            Lines(good).position(len(good)),
            "JG401",
            f"byte 0x{raw[exc.start]:02X} is not valid UTF-8; a state is UTF-8 JSON",
        ) from None


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before json, whose parser recurses, sees it."""
    weights = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii").translate(_WEIGHTS)
    if not weights or max(map(sub, accumulate(weights), count(1))) <= MAX_DEPTH:
        return
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _error(
                    file,
                    Lines(text).position(match.start()),
                    "JG404",
                    f"nesting is deeper than {MAX_DEPTH} levels",
                )
        elif token in "]}":
            depth -= 1


class _TooLong:
    """What the decoder gives for an integer too long to convert, so parsing can go on."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


class _Decoder:
    """json's decoder, counting the integers and objects it must not turn into values."""

    def __init__(self, text: str, *, objects: bool) -> None:
        self.problems = 0
        hooks: dict[str, Any] = {}
        if objects:
            hooks["object_pairs_hook"] = self._object
        # A hook is a Python call per value: only where the text may need it.
        if _LONG_DIGITS.search(text) or 0 < sys.get_int_max_str_digits() < MAX_INT_DIGITS:
            hooks["parse_int"] = self._int
        self.json = json.JSONDecoder(**hooks)

    def _int(self, text: str) -> int | _TooLong:
        digits = len(text.lstrip("-"))
        # Python refuses to convert more digits (sys.set_int_max_str_digits), as converting more
        # takes quadratic time; checking here keeps that bound whatever the interpreter allows.
        if digits <= MAX_INT_DIGITS:
            try:
                return int(text)
            except ValueError:
                pass
        self.problems += 1
        return _TooLong(digits)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            self.problems += 1
        return out


@dataclass(frozen=True, slots=True)
class _Shape:
    """What of a JSON value the format reads: some keys of an object, or a list's items."""

    keys: Mapping[str, _Shape] | None = None
    items: _Shape | None = None
    every: bool = False


_LEAF = _Shape()
# Everything, to find where in a value that is not read a problem is.
_EVERY = _Shape(every=True)


def _shape_of(annotation: Any) -> _Shape:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        [inner] = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _shape_of(inner)
    model, is_list = nested_model(annotation)
    if model is not None:
        keys = {
            key: _shape_of(f.annotation)
            for name, f in model.model_fields.items()
            for key in {name, f.alias or name}
        }
        return _Shape(items=_Shape(keys=keys)) if is_list else _Shape(keys=keys)
    if typing.get_origin(annotation) is Annotated:
        return _shape_of(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is tuple:
        return _Shape(items=_LEAF)
    return _LEAF


class _Indexer:
    """Where each key and value the format reads starts, by path, and what json must not have.

    The text is valid JSON. Values the format does not read (keys it ignores) are skipped by
    json's C scanner, recording only where they start: a capture may carry megabytes besides.
    """

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.lines = Lines(text)
        self.index = PositionIndex()
        self.decoder = _Decoder(text, objects=True)
        self.problems: list[Diagnostic] = []
        self.count = 0

    def problem(self, at: int, code: str, message: str) -> None:
        self.problems.append(Diagnostic.at(self.file, self.lines.position(at), code, message))

    def skip(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        assert match is not None
        return match.end()

    def string(self, at: int, what: str) -> tuple[str, int]:
        value, end = self.decoder.json.raw_decode(self.text, at)
        if _SURROGATE.search(value):
            self.surrogate(at, value, what)
        return value, end

    def surrogate(self, at: int, value: str, what: str) -> None:
        char = _SURROGATE.search(value)
        assert char is not None
        self.problem(
            at,
            "JG406",
            f"{what} holds the escape \\u{ord(char.group()):04x}, half of a UTF-16 surrogate pair "
            "without its other half: no character; capture the state again",
        )

    def value(self, at: int, path: Path, shape: _Shape) -> int:
        at = self.skip(at)
        self.index.values[path] = position = self.lines.position(at)
        self.count += 1
        if self.count > MAX_VALUES:
            raise _error(
                self.file,
                position,
                "JG404",
                f"the state holds more than {MAX_VALUES} values where journalgen reads or "
                "looks, the limit for a state",
            )
        opener = self.text[at]
        if opener == "{" and (shape.every or shape.keys is not None):
            at = self.skip(at + 1)
            if self.text[at] == "}":
                return at + 1
            while True:
                key_at = self.skip(at)
                key, at = self.string(key_at, "the key")
                if (*path, key) in self.index.keys:
                    # json keeps the last of two equal keys silently; a reader sees the first.
                    self.problem(
                        key_at, "JG401", f"duplicate key {key!r}; a JSON object names each key once"
                    )
                self.index.keys[(*path, key)] = self.lines.position(key_at)
                child = _EVERY if shape.every else (shape.keys or {}).get(key, _LEAF)
                at = self.skip(at) + 1  # the ':'
                at = self.skip(self.value(at, (*path, key), child))
                if self.text[at] == "}":
                    return at + 1
                at += 1  # the ','
        if opener == "[" and (shape.every or shape.items is not None):
            child = _EVERY if shape.every else (shape.items or _LEAF)
            at = self.skip(at + 1)
            if self.text[at] == "]":
                return at + 1
            index = 0
            while True:
                at = self.skip(self.value(at, (*path, index), child))
                index += 1
                if self.text[at] == "]":
                    return at + 1
                at += 1
        if opener == '"':
            return self.string(at, "the text")[1]
        before = self.decoder.problems
        value, end = self.decoder.json.raw_decode(self.text, at)
        if isinstance(value, _TooLong):
            self.problem(
                at,
                "JG405",
                f"the number has {value.digits} digits, more than the {MAX_INT_DIGITS} a state "
                "may hold; no journaling setting is that large",
            )
        elif self.decoder.problems > before or _SURROGATE_ESCAPE.search(self.text, at, end):
            # A value the format does not read holds a problem: walk it again to say where.
            return self.value(at, path, _EVERY)
        return int(end)


_STATE_SHAPE = _shape_of(TenantState)
_BOUNDS = {"JournalMessageExpirationDays": EXPIRATION_DAYS}


_EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "string_type": "text",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "an object",
    "dict_type": "an object",
}


def _item_models() -> dict[str, type[BaseModel]]:
    out = {}
    for name, f in TenantState.model_fields.items():
        annotation = f.annotation
        if typing.get_origin(annotation) in (Union, types.UnionType):
            [annotation] = [a for a in typing.get_args(annotation) if a is not type(None)]
        model, is_list = nested_model(annotation)
        if model is not None and is_list:
            out[f.alias or name] = model
    return out


_ITEM_MODELS = _item_models()


def _first_errors(data: dict[str, Any]) -> list[ErrorDetails]:
    """The first MAX_FINDINGS errors of a state that has more, found one list item at a time."""
    out: list[ErrorDetails] = []
    lists = {key: data[key] for key in _ITEM_MODELS if isinstance(data.get(key), list)}
    try:
        TenantState.model_validate({**data, **{key: [] for key in lists}})
    except ValidationError as exc:
        out += exc.errors(include_url=False)
    for key, items in lists.items():
        for i, item in enumerate(items):
            if len(out) >= MAX_FINDINGS:
                return out
            try:
                _ITEM_MODELS[key].model_validate(item)
            except ValidationError as exc:
                out += [
                    {**error, "loc": (key, i, *error["loc"])}
                    for error in exc.errors(include_url=False)
                ]
    return out


def _findings(errors: list[ErrorDetails], file: str, index: PositionIndex) -> list[Diagnostic]:
    out = []
    for error in errors:
        path: Path = tuple(error["loc"])
        where = dotted(path)
        kind = error["type"]
        if kind == "missing":
            parent = dotted(path[:-1]) or "the top level"
            message = f"missing required key '{path[-1]}' in {parent}"
        elif kind in ("greater_than_equal", "less_than_equal") and path[-1] in _BOUNDS:
            low, high = _BOUNDS[str(path[-1])]
            message = f"{where} is {error.get('input')}; Exchange allows {low} to {high}"
        elif kind in _EXPECTED:
            message = f"{where} must be {_EXPECTED[kind]}, not {show(error.get('input'))}"
        else:
            message = f"{where}: {error['msg']}"
        out.append(Diagnostic.at(file, index.locate(path), "JG403", message))
    return out


def _flattened(error: ErrorDetails) -> bool:
    """A list or object PowerShell's ConvertTo-Json wrote as its text (``@{...}``, ``a b``)."""
    wanted = error["type"] in ("tuple_type", "list_type", "model_type", "dict_type")
    return wanted and isinstance(error.get("input"), str)


def load_state(raw: bytes, file: str) -> Captured:
    """Parse and validate one state file; raise :class:`SpecError` with every problem found."""
    text = _decode(raw, file)
    _check_depth(text, file)
    try:
        # An integer too long to convert is left for the walk below to report where it is.
        data = _Decoder(text, objects=False).json.decode(text)
    except json.JSONDecodeError as exc:
        raise _error(
            file, Position(exc.lineno, exc.colno), "JG401", f"JSON syntax error: {exc.msg}"
        ) from None
    indexer = _Indexer(text, file)
    indexer.value(0, (), _STATE_SHAPE)
    index = indexer.index
    if indexer.problems:
        raise SpecError(indexer.problems)
    if not isinstance(data, dict):
        raise _error(file, index.locate(()), "JG403", "the top level must be a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        pos = index.locate(("format",))
        got = "there is no 'format' key" if "format" not in data else f"format is {show(fmt)}"
        raise _error(file, pos, "JG402", f"{got}; this journalgen reads '{FORMAT}' state files")
    try:
        state = TenantState.model_validate(data)
    except ValidationError as exc:
        total = exc.error_count()
        # Listing every error of a hostile file would take longer than anything else here.
        errors = exc.errors(include_url=False) if total <= MAX_FINDINGS else _first_errors(data)
        findings = _findings(errors[:MAX_FINDINGS], file, index)
        flat = next((error for error in errors if _flattened(error)), None)
        if flat is not None:
            # ConvertTo-Json writes what lies deeper than -Depth (2 by default) as text.
            findings.append(
                Diagnostic.at(
                    file,
                    index.locate(tuple(flat["loc"])),
                    "JG403",
                    "lists or objects written as text, as ConvertTo-Json writes what lies below "
                    "its -Depth (2 by default): write states with verify.ps1 -StatePath or the "
                    "capture script, or with ConvertTo-Json -Depth 10",
                )
            )
        if total > len(findings):
            findings.append(
                Diagnostic.at(
                    file,
                    Position(findings[-1].line, findings[-1].column),
                    "JG403",
                    f"{total - len(findings)} more problems after this one are not listed",
                )
            )
        raise SpecError(findings) from None
    return Captured(file, hashlib.sha256(raw).hexdigest(), state, index)

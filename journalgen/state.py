"""The captured tenant state, format ``journalgen-state/1``: strict JSON loading with positions, and its models."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from journalgen.diagnostics import START, Diagnostic, Position
from journalgen.errors import SpecError
from journalgen.loader import Path, PositionIndex
from journalgen.pydantic_errors import dotted, show
from journalgen.spec import Items

FORMAT = "journalgen-state/1"
SCHEMA_ID = "https://journalgen.dev/schemas/journalgen-state-v1.schema.json"
# A tenant's journaling state is kilobytes; thousands of accepted domains stay far below this.
MAX_BYTES = 16 * 1024 * 1024
# The format nests four levels (object, list, object, list); extra keys may nest a little more.
MAX_DEPTH = 32


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
    journal_message_expiration_days: int = Field(alias="JournalMessageExpirationDays")


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
# Strings (skipped whole) and brackets: enough to measure nesting without parsing.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SPACE = re.compile(r"[ \t\n\r]*")


def _error(file: str, pos: Position, code: str, message: str) -> SpecError:
    return SpecError([Diagnostic.at(file, pos, code, message)])


def _position(text: str, offset: int) -> Position:
    # JSON counts lines by '\n' alone, as json.JSONDecodeError does.
    line = text.count("\n", 0, offset) + 1
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


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
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        raise _error(
            file,
            _position(good, len(good)),
            "JG401",
            f"byte 0x{raw[exc.start]:02X} is not valid UTF-8; a state is UTF-8 JSON",
        ) from None


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before json, whose parser recurses, sees it."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _error(
                    file,
                    _position(text, match.start()),
                    "JG404",
                    f"nesting is deeper than {MAX_DEPTH} levels",
                )
        elif token in "]}":
            depth -= 1


class _Indexer:
    """Where each key and value of a valid JSON text starts, by path (the text is already parsed)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = PositionIndex()
        self.decoder = json.JSONDecoder()
        self.duplicates: list[tuple[str, Position]] = []

    def skip(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        assert match is not None
        return match.end()

    def value(self, at: int, path: Path) -> int:
        at = self.skip(at)
        self.index.values[path] = _position(self.text, at)
        opener = self.text[at]
        if opener == "{":
            at = self.skip(at + 1)
            if self.text[at] == "}":
                return at + 1
            while True:
                key_at = self.skip(at)
                key, at = self.decoder.raw_decode(self.text, key_at)
                if (*path, key) in self.index.keys:
                    self.duplicates.append((key, _position(self.text, key_at)))
                self.index.keys[(*path, key)] = _position(self.text, key_at)
                at = self.skip(at) + 1  # the ':'
                at = self.skip(self.value(at, (*path, key)))
                if self.text[at] == "}":
                    return at + 1
                at += 1  # the ','
        if opener == "[":
            at = self.skip(at + 1)
            if self.text[at] == "]":
                return at + 1
            count = 0
            while True:
                at = self.skip(self.value(at, (*path, count)))
                count += 1
                if self.text[at] == "]":
                    return at + 1
                at += 1
        _, end = self.decoder.raw_decode(self.text, at)
        return int(end)


_EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "string_type": "text",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "an object",
    "dict_type": "an object",
}


def _findings(exc: ValidationError, file: str, index: PositionIndex) -> list[Diagnostic]:
    out = []
    for error in exc.errors(include_url=False):
        path: Path = tuple(error["loc"])
        where = dotted(path)
        kind = error["type"]
        if kind == "missing":
            parent = dotted(path[:-1]) or "the top level"
            message = f"missing required key '{path[-1]}' in {parent}"
        elif kind in _EXPECTED:
            message = f"{where} must be {_EXPECTED[kind]}, not {show(error.get('input'))}"
        else:
            message = f"{where}: {error['msg']}"
        out.append(Diagnostic.at(file, index.locate(path), "JG403", message))
    return out


def load_state(raw: bytes, file: str) -> Captured:
    """Parse and validate one state file; raise :class:`SpecError` with every problem found."""
    text = _decode(raw, file)
    _check_depth(text, file)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(
            file, Position(exc.lineno, exc.colno), "JG401", f"JSON syntax error: {exc.msg}"
        ) from None
    indexer = _Indexer(text)
    indexer.value(0, ())
    index = indexer.index
    if indexer.duplicates:
        # json keeps the last of two equal keys silently; a reader sees the first.
        raise SpecError(
            [
                Diagnostic.at(
                    file, pos, "JG401", f"duplicate key {key!r}; a JSON object names each key once"
                )
                for key, pos in indexer.duplicates
            ]
        )
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
        raise SpecError(_findings(exc, file, index)) from None
    return Captured(file, hashlib.sha256(raw).hexdigest(), state, index)

"""A hostile tenant's values, through `journalgen import`, give a spec that means what the state says."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from journalgen.cli import main
from journalgen.errors import SpecError
from journalgen.importer import ImportRequest, render
from journalgen.loader import load_yaml
from journalgen.plan import normalise
from journalgen.scaffold import yaml_scalar
from journalgen.state import Captured, load_state

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ADDRESS = "tenant-7@journal.archive.example"
OTHER_ADDRESS = "j@old.example"
# The characters YAML, or a reader's editor, takes for the end of a line.
BREAKS = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\v", "\f", "\x1c", "\x1d", "\x1e"]


def _rule(name: str, address: str = ADDRESS, **more: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "JournalEmailAddress": address,
        "Scope": "Global",
        "Recipient": None,
        "Enabled": True,
        **more,
    }


# Each place `import` writes a state value: how to put it there, and what the spec must hold
# there (by the path of the value in the loaded spec), or None when it shows only in a comment.
Slot = tuple[
    Callable[[dict[str, Any], str], None], tuple[str | int, ...] | None, Callable[[str], str]
]


def _set(*path: str | int) -> Callable[[dict[str, Any], str], None]:
    def put(state: dict[str, Any], value: str) -> None:
        node: Any = state
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return put


def _append(*path: str | int) -> Callable[[dict[str, Any], str], None]:
    def put(state: dict[str, Any], value: str) -> None:
        node: Any = state
        for part in path:
            node = node[part]
        node.append(value)

    return put


def _other_rule_name(state: dict[str, Any], value: str) -> None:
    state["journal_rules"].append(_rule(value, OTHER_ADDRESS))


def _other_rule_address(state: dict[str, Any], value: str) -> None:
    state["journal_rules"].append(_rule("Old archive", value))


def _other_domain(state: dict[str, Any], value: str) -> None:
    state["accepted_domains"].append(
        {
            "DomainName": value,
            "Default": False,
            "DomainType": "Authoritative",
            "MatchSubDomains": False,
        }
    )


def _address_form(value: str) -> str:
    return str(normalise("address", value) or "")


def _verbatim(value: str) -> str:
    return value


SLOTS: dict[str, Slot] = {
    "rule name": (_set("journal_rules", 0, "Name"), ("journal_rules", 0, "name"), _verbatim),
    "rule scope": (_set("journal_rules", 0, "Scope"), ("journal_rules", 0, "scope"), str.lower),
    "rule recipient": (
        _set("journal_rules", 0, "Recipient"),
        ("journal_rules", 0, "recipient"),
        _address_form,
    ),
    "not adopted rule name": (_other_rule_name, None, _verbatim),
    "not adopted rule address": (_other_rule_address, None, _verbatim),
    "organization": (_set("organization"), ("tenant", "organization"), _verbatim),
    "accepted domain": (_other_domain, ("tenant", "other_domains", 2), _verbatim),
    "contact name": (_set("mail_contacts", 0, "Name"), ("contact", "name"), _verbatim),
    "contact display name": (
        _set("mail_contacts", 0, "DisplayName"),
        ("contact", "display_name"),
        _verbatim,
    ),
    "contact first name": (
        _set("mail_contacts", 0, "FirstName"),
        ("contact", "first_name"),
        _verbatim,
    ),
    "contact initials": (_set("mail_contacts", 0, "Initials"), ("contact", "initials"), _verbatim),
    "contact last name": (
        _set("mail_contacts", 0, "LastName"),
        ("contact", "last_name"),
        _verbatim,
    ),
    "contact alias": (_set("mail_contacts", 0, "Alias"), ("contact", "alias"), _verbatim),
    "connector name": (_set("outbound_connectors", 0, "Name"), ("connector", "name"), _verbatim),
    "connector comment": (
        _set("outbound_connectors", 0, "Comment"),
        ("connector", "comment"),
        _verbatim,
    ),
    "connector recipient domain": (
        _append("outbound_connectors", 0, "RecipientDomains"),
        ("connector", "recipient_domains", 1),
        _verbatim,
    ),
    "connector smart host": (
        _append("outbound_connectors", 0, "SmartHosts"),
        ("connector", "smart_hosts", 1),
        _verbatim,
    ),
    "connector TLS domain": (
        _set("outbound_connectors", 0, "TlsDomain"),
        ("connector", "tls", "domain"),
        _verbatim,
    ),
    "connector TLS setting": (_set("outbound_connectors", 0, "TlsSettings"), None, _verbatim),
    "not adopted connector name": (_set("outbound_connectors", 1, "Name"), None, _verbatim),
    "NDR address": (
        _set("transport_config", "JournalingReportNdrTo"),
        ("ndr", "address"),
        _address_form,
    ),
}


def _marker(slot: str) -> str:
    return "harmless_" + slot.replace(" ", "_").lower()


def _state(values: dict[str, str]) -> dict[str, Any]:
    """A custom-archive tenant (no preset hides a value) with every slot filled from ``values``."""
    connector = {
        "Name": "Archive journal connector",
        "ConnectorType": "Partner",
        "Enabled": True,
        "RecipientDomains": ["journal.archive.example"],
        "UseMXRecord": False,
        "SmartHosts": ["smtp.archive.example"],
        "TlsSettings": "DomainValidation",
        "TlsDomain": "smtp.archive.example",
        "IsTransportRuleScoped": False,
        "TestMode": False,
        "RouteAllMessagesViaOnPremises": False,
        "Comment": "Set up by hand.",
    }
    state: dict[str, Any] = {
        "format": "journalgen-state/1",
        "captured_at": "2026-11-27T09:30:00Z",
        "organization": "adatum.onmicrosoft.com",
        "accepted_domains": [
            {
                "DomainName": d,
                "Default": d == "adatum.com",
                "DomainType": "Authoritative",
                "MatchSubDomains": False,
            }
            for d in ("adatum.com", "adatum.co.uk", "adatum.onmicrosoft.com")
        ],
        "transport_config": {
            "JournalingReportNdrTo": "journal-ndr@adatum.com",
            "JournalMessageExpirationDays": 2,
        },
        "journal_rules": [_rule("Archive journaling")],
        # The second connector is disabled, so the first is always the one adopted.
        "outbound_connectors": [connector, {**connector, "Name": "Old route", "Enabled": False}],
        "mail_contacts": [
            {
                "Name": "Archive Journal",
                "ExternalEmailAddress": "SMTP:" + ADDRESS,
                "DisplayName": "Archive Journal",
                "Alias": "ArchiveJournal",
                "FirstName": "Archive",
                "Initials": "AJ",
                "LastName": "Journal",
                "HiddenFromAddressListsEnabled": True,
            }
        ],
    }
    for slot, value in values.items():
        SLOTS[slot][0](state, value)
    return state


def _import(state: dict[str, Any]) -> str:
    captured = load_state(json.dumps(state).encode("utf-8"), "state.json")
    return render(captured, ImportRequest(journal_address=ADDRESS))


def _load(text: str) -> dict[str, Any]:
    return load_yaml(text.encode("utf-8"), "imported.yaml").data


def _replace(data: Any, replacements: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {k: _replace(v, replacements) for k, v in data.items()}
    if isinstance(data, list):
        return [_replace(v, replacements) for v in data]
    if isinstance(data, str):
        return replacements.get(data, data)
    return data


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


HARMLESS = {slot: _marker(slot) for slot in SLOTS}
HARMLESS_DATA = _load(_import(_state(HARMLESS)))


def assert_faithful(values: dict[str, str]) -> str:
    """Import a state with ``values`` in their slots; the spec differs from a harmless one only there."""
    text = _import(_state({**HARMLESS, **values}))
    # No line ends but at a '\n': a comment cannot end early, in YAML or in a reader's editor.
    assert text.splitlines() == text.split("\n")[:-1], text
    assert all(c.isprintable() or c == "\n" for c in text), text
    data = _load(text)
    expected = _replace(
        HARMLESS_DATA,
        {SLOTS[slot][2](HARMLESS[slot]): SLOTS[slot][2](value) for slot, value in values.items()},
    )
    assert data == expected, text
    for slot, value in values.items():
        path = SLOTS[slot][1]
        if path is not None:
            assert _at(data, path) == SLOTS[slot][2](value)
    return text


def test_the_harmless_state_fills_every_slot() -> None:
    """The baseline holds each marker where the slot says, so a test of a slot tests something."""
    text = _import(_state(HARMLESS))
    for slot, (_, path, form) in SLOTS.items():
        assert _marker(slot) in text, slot
        if path is not None:
            assert _at(HARMLESS_DATA, path) == form(_marker(slot)), slot


@pytest.mark.parametrize("pad", range(0, 40))
def test_the_issue_example_retires_nothing(pad: int) -> None:
    """The campaign's payload, at every wrap position: listed under "Not adopted", it stays a comment."""
    name = "n" * pad + "\u2028retire:\u2028  contacts: [Board Members]\u2028#"
    text = assert_faithful({"not adopted rule name": name})
    assert "retire" not in _load(text)
    assert "<U+2028>retire:<U+2028>" in text.replace("\n# ", " ")


PAYLOADS = [
    *(f"x{br}retire:{br}  contacts: [Board Members]{br}#" for br in BREAKS),
    *(f"{br}retire:{br}  contacts: [Board Members]" for br in BREAKS),
    *BREAKS,
    "\x00",
    "a\x07b",
    "\x1b[2J",
    "\x7f",
    "a\tb",
    "\ufeffname",
    "\u202eevil\u202c",
    "\u2066x\u2069",
    "zero\u200bwidth",
    "no\u00a0break",
    "\U000e0041tag",
    "\ue000",
    "\U0001f600",
    "#",
    "a # b",
    "a: b",
    ": ",
    '"',
    "'",
    "\\",
    "\\n",
    "-x",
    "- x",
    "?x",
    "? x",
    "!x",
    "!!python/object:os.system",
    "&a",
    "*a",
    "{a: b}",
    "[a, b]",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "1",
    "0x1F",
    "---",
    "...",
    "%YAML 1.2",
    "@x",
    "`x",
    "|",
    ">",
    " leading",
    "trailing ",
    "a<U+2028>b",
    "word " * 40 + "\u2028retire:\u2028  contacts: [Board Members]\u2028#",
    "x" * 300,
]


@pytest.mark.parametrize("slot", list(SLOTS))
@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_a_crafted_value_changes_nothing_but_itself(slot: str, payload: str) -> None:
    assert_faithful({slot: payload})


def test_comments_show_invisible_characters_as_code_points() -> None:
    text = assert_faithful(
        {
            "not adopted rule name": "a\u2028b\u202ec\x00d\u00a0e<U+0041>f\U000e0041",
            "connector TLS setting": "\r\x85",
        }
    )
    assert "'a<U+2028>b<U+202E>c<U+0000>d<U+00A0>e<U+003C>U+0041>f<U+E0041>'" in text
    assert "TLS setting is <U+000D><U+0085>," in text


def test_values_are_written_as_double_quoted_escapes() -> None:
    text = assert_faithful({"rule name": 'a\u2028b\x00"\\\U0001f600', "contact name": "J\u00f6rg"})
    assert '  - name: "a\\u2028b\\x00\\"\\\\\\U0001F600"\n' in text
    assert '  name: "J\\xF6rg"\n' in text


# Fragments that mean something to YAML, to a comment or to a reader, for the property to combine.
_FRAGMENTS = [
    *BREAKS,
    "retire:",
    "  contacts: [Board Members]",
    "#",
    ": ",
    "- ",
    '"',
    "'",
    "\\",
    " ",
    "\t",
    "x" * 90,
]


@FUZZ
@given(
    text=st.one_of(
        st.text(st.characters(codec="utf-8"), min_size=1),
        st.lists(st.sampled_from(_FRAGMENTS) | st.text(min_size=1, max_size=3), min_size=1).map(
            "".join
        ),
    )
)
def test_any_text_in_every_slot_means_only_itself(text: str) -> None:
    assume(not any(0xD800 <= ord(c) <= 0xDFFF for c in text))
    # Values the importer rightly reads as something else: a scope it knows, no address at all.
    assume(text.lower() not in {"global", "internal", "external"})
    assume(_address_form(text) not in {"", ADDRESS, OTHER_ADDRESS})
    assume(text.lower() not in {"journal.archive.example", "smtp.archive.example"})
    assume(text.lower() not in {"adatum.com", "adatum.co.uk", "adatum.onmicrosoft.com"})
    assume(text.lower() not in {"domainvalidation", "certificatevalidation", "encryptiononly"})
    assume(
        not text.lower().endswith(
            (".mail.onmicrosoft.com", ".onmicrosoft.us", ".partner.onmschina.cn")
        )
    )
    # The organization's own domain is never listed among the other domains, so that slot differs.
    assume(("d" + text).lower() != text.lower())
    assert_faithful({**dict.fromkeys(SLOTS, text), "accepted domain": "d" + text})


def test_a_lone_surrogate_is_refused_at_the_state_value() -> None:
    raw = json.dumps(_state(HARMLESS)).encode("utf-8")
    captured = load_state(raw, "state.json")
    state = captured.state
    rules = (state.journal_rules[0].model_copy(update={"name": "bad\ud800"}),)
    contact = state.mail_contacts[0].model_copy(update={"display_name": "\udfff"})
    hostile = Captured(
        captured.file,
        captured.sha256,
        state.model_copy(update={"journal_rules": rules, "mail_contacts": (contact,)}),
        captured.index,
    )
    with pytest.raises(SpecError) as caught:
        render(hostile, ImportRequest(journal_address=ADDRESS))
    found = [(d.code, d.line, d.column) for d in caught.value.diagnostics]
    where = [
        captured.at(("journal_rules", 0, "Name")),
        captured.at(("mail_contacts", 0, "DisplayName")),
    ]
    assert sorted(found) == sorted(("JG406", p.line, p.column) for p in where)
    messages = [d.message for d in caught.value.diagnostics]
    assert any("journal_rules[0].Name" in m and "U+D800" in m for m in messages), messages


def test_the_import_command_refuses_a_lone_surrogate_without_an_internal_error(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(_state({"contact name": "\ud800"}), ensure_ascii=True))
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(state), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "JG900" not in result.output and "internal error" not in result.output
    assert not out.exists()


def test_the_import_command_writes_the_issue_example_as_a_comment(tmp_path: Path) -> None:
    name = "n" * 30 + "\u2028retire:\u2028  contacts: [Board Members]\u2028#"
    state = tmp_path / "state.json"
    state.write_text(json.dumps(_state({"not adopted rule name": name})))
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(
        main, ["import", str(state), "-o", str(out), "--journal-address", ADDRESS]
    )
    assert result.exit_code == 0, result.output
    written = out.read_bytes()
    assert b"\xe2\x80\xa8" not in written
    assert "retire" not in _load(written.decode("utf-8"))


def test_a_value_longer_than_any_line_stays_on_one_line() -> None:
    value = "a " * 600_000 + "b"
    line = "key: " + yaml_scalar(value)
    assert "\n" not in line
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert yaml.load(line, Loader=loader) == {"key": value}


def test_import_reports_what_render_refuses_at_its_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journalgen import app

    raw = json.dumps(_state(HARMLESS)).encode("utf-8")
    captured = load_state(raw, "state.json")
    rules = (captured.state.journal_rules[0].model_copy(update={"name": "bad\ud800"}),)
    hostile = Captured(
        captured.file,
        captured.sha256,
        captured.state.model_copy(update={"journal_rules": rules}),
        captured.index,
    )
    # A value the loader let through (it refuses lone surrogates itself today).
    monkeypatch.setattr(app, "load_state_file", lambda name: hostile)
    imported = app.import_state(
        "state.json", ImportRequest(journal_address=ADDRESS), output=None, force=False
    )
    assert imported.text is None
    where = captured.at(("journal_rules", 0, "Name"))
    assert [(d.code, d.line, d.column) for d in imported.remaining] == [
        ("JG406", where.line, where.column)
    ]

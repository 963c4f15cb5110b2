from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from journalgen.cli import main
from journalgen.compiler import check_source, plan_for
from journalgen.errors import SpecError
from journalgen.live import Retired, plan_against
from journalgen.state import FORMAT, MAX_BYTES, load_state
from tests.conftest import BATCH, ROOT, SAMPLES

STATES = ROOT / "samples" / "states"
MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"


def state_of(sample: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STATES / f"{sample.stem}.json").read_bytes())
    return data


def encode(state: dict[str, Any]) -> bytes:
    return (json.dumps(state, indent=2) + "\n").encode("utf-8")


def errors(raw: bytes) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_state(raw, "state.json")
    return [f"{d.line}:{d.column}:{d.code}:{d.message}" for d in caught.value.diagnostics]


def live(sample: Path, state: dict[str, Any], retired: tuple[Retired, ...] = ()) -> Any:
    checked = check_source(sample.read_bytes(), sample.name)
    return plan_against(plan_for(checked), load_state(encode(state), "state.json"), retired)


# --- the loader ------------------------------------------------------------------------------


def test_every_sample_has_a_state() -> None:
    assert {p.stem for p in SAMPLES} <= {p.stem for p in STATES.glob("*.json")}


def test_a_state_loads_with_its_hash_and_ignores_unknown_keys() -> None:
    raw = (STATES / "contoso-mimecast.json").read_bytes()
    captured = load_state(raw, "s.json")
    assert captured.state.outbound_connectors[0].smart_hosts == (
        "us-smtp-journal-1.mimecast.com",
        "us-smtp-journal-2.mimecast.com",
    )
    import hashlib

    assert captured.sha256 == hashlib.sha256(raw).hexdigest()
    # "Guid", "MtaStsMode" and "captured_by" are not in the format: ignored, not refused.
    assert b'"Guid"' in raw and b'"captured_by"' in raw


def test_bad_json_is_refused_at_its_line_and_column() -> None:
    assert errors(b'{\n  "format": "journalgen-state/1",\n}') == [
        "3:1:JG401:JSON syntax error: Expecting property name enclosed in double quotes"
    ]


def test_wrong_or_missing_format() -> None:
    assert errors(b'{"format": "journalgen-state/2"}') == [
        "1:12:JG402:format is the text 'journalgen-state/2'; this journalgen reads "
        "'journalgen-state/1' state files"
    ]
    assert errors(b"{}")[0].startswith("1:1:JG402:there is no 'format' key")
    assert errors(b"[1]") == ["1:1:JG403:the top level must be a JSON object"]


def test_a_list_where_text_belongs_is_refused_at_the_value() -> None:
    state = state_of(MIMECAST)
    state["journal_rules"][0]["Name"] = ["Journal all"]
    raw = encode(state)
    found = errors(raw)
    line = raw.decode().splitlines().index('        "Journal all"') + 1 - 1  # the '[' line
    assert found == [f"{line}:15:JG403:journal_rules[0].Name must be text, not a list"]


def test_every_missing_key_is_reported_at_once() -> None:
    state = state_of(MIMECAST)
    del state["captured_at"]
    del state["transport_config"]["JournalingReportNdrTo"]
    found = errors(encode(state))
    assert [f.split(":", 3)[3] for f in found] == [
        "missing required key 'captured_at' in the top level",
        "missing required key 'JournalingReportNdrTo' in transport_config",
    ]


def test_captured_at_needs_a_time_zone() -> None:
    state = state_of(MIMECAST)
    state["captured_at"] = "2026-11-27T10:00:00"
    assert "has no time zone" in errors(encode(state))[0]


def test_duplicate_keys_are_refused_where_the_second_one_is() -> None:
    assert errors(b'{"format": "journalgen-state/1",\n "format": "x"}') == [
        "2:2:JG401:duplicate key 'format'; a JSON object names each key once"
    ]


def test_encodings() -> None:
    assert "UTF-16" in errors('{"format": 1}'.encode("utf-16"))[0]
    assert errors(b'{"format": "caf\xe9"}')[0].startswith("1:1")
    bom = b"\xef\xbb\xbf" + (STATES / "contoso-mimecast.json").read_bytes()
    assert load_state(bom, "s.json").state.format == FORMAT


def test_size_and_nesting_are_capped_without_recursion() -> None:
    assert "larger than" in errors(b" " * (MAX_BYTES + 1))[0]
    # A megabyte of nesting would crash json's recursive parser; it is refused before it.
    assert errors(b"[" * 1_000_000)[0] == "1:33:JG404:nesting is deeper than 32 levels"
    assert "deeper" in errors(b'{"a":' * 100_000)[0]
    # Brackets inside strings do not count.
    state = state_of(MIMECAST)
    state["outbound_connectors"][0]["Comment"] = "[" * 100
    load_state(encode(state), "s.json")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_bytes_load_or_are_refused_with_positions(raw: bytes) -> None:
    try:
        load_state(raw, "s.json")
    except SpecError as exc:
        assert exc.diagnostics
        assert all(d.line >= 1 and d.column >= 1 for d in exc.diagnostics)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=20,
    )
)
def test_any_json_value_in_any_place_is_a_positioned_error_or_ignored(value: object) -> None:
    state = state_of(MIMECAST)
    state["outbound_connectors"][0]["SmartHosts"] = value
    state["extra"] = value
    try:
        load_state(encode(state), "s.json")
    except SpecError as exc:
        assert {d.code for d in exc.diagnostics} == {"JG403"}
        assert all(d.line > 1 for d in exc.diagnostics)


# --- plan against a state --------------------------------------------------------------------

# Each sample's state is its tenant as the spec leaves it; the migration pair's states are the
# tenant before each step instead (test_the_migration_pair_has_the_tenant_before_each_step).
CONVERGED = BATCH


@pytest.mark.parametrize("sample", CONVERGED, ids=lambda p: p.stem)
def test_a_matching_state_plans_no_change(sample: Path) -> None:
    result = live(sample, state_of(sample))
    assert not result.changed
    assert [s.action for s in result.steps] == ["unchanged"] * len(result.steps)
    assert not result.has_errors


@pytest.mark.parametrize("sample", CONVERGED, ids=lambda p: p.stem)
def test_one_smart_host_changed_is_one_update(sample: Path) -> None:
    state = state_of(sample)
    connector = state["outbound_connectors"][0]
    if connector["UseMXRecord"]:
        pytest.skip("routes by MX: no smart hosts")
    connector["SmartHosts"][0] = "other.example.net"
    result = live(sample, state)
    changed = [s for s in result.steps if s.action != "unchanged"]
    assert [(s.type, s.action, [c.name for c in s.changes]) for s in changed] == [
        ("OutboundConnector", "update", ["SmartHosts"])
    ]


@pytest.mark.parametrize("sample", CONVERGED, ids=lambda p: p.stem)
def test_a_removed_rule_is_one_create(sample: Path) -> None:
    state = state_of(sample)
    gone = state["journal_rules"].pop(0)
    result = live(sample, state)
    changed = [s for s in result.steps if s.action != "unchanged"]
    assert [(s.type, s.identity, s.action) for s in changed] == [
        ("JournalRule", gone["Name"], "create")
    ]


def test_exchange_shapes_compare_equal() -> None:
    state = state_of(MIMECAST)
    state["mail_contacts"][0]["ExternalEmailAddress"] = "smtp:JOURNALING@journal.CONTOSO.com"
    state["outbound_connectors"][0]["SmartHosts"].reverse()
    state["outbound_connectors"][0]["TlsSettings"] = "certificatevalidation"
    state["transport_config"]["JournalingReportNdrTo"] = "Journal-NDR@contoso.com"
    assert not live(MIMECAST, state).changed


def test_an_unset_ndr_address_is_an_update_from_none() -> None:
    state = state_of(MIMECAST)
    state["transport_config"]["JournalingReportNdrTo"] = "<>"
    [step] = [s for s in live(MIMECAST, state).steps if s.action != "unchanged"]
    assert [(c.name, c.old, c.new) for c in step.changes] == [
        ("JournalingReportNdrTo", "<>", "journal-ndr@contoso.com")
    ]


def test_names_match_case_insensitively_as_exchange_does() -> None:
    state = state_of(MIMECAST)
    state["journal_rules"][0]["Name"] = state["journal_rules"][0]["Name"].upper()
    assert not live(MIMECAST, state).changed


def codes(result: Any) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in result.problems]


def test_a_second_rule_to_the_same_address_is_a_warning_naming_it() -> None:
    state = state_of(MIMECAST)
    state["journal_rules"].append({**state["journal_rules"][0], "Name": "Old archive rule"})
    result = live(MIMECAST, state)
    [(code, message)] = codes(result)
    assert code == "JG417" and "'Old archive rule'" in message
    assert not result.has_errors and not result.changed


def test_another_tenant_is_an_error() -> None:
    state = state_of(MIMECAST)
    state["organization"] = "fabrikam.onmicrosoft.com"
    result = live(MIMECAST, state)
    assert [c for c, _ in codes(result)] == ["JG410"]
    assert result.has_errors


def test_spec_domains_missing_from_the_state_trip_the_tenant_guard() -> None:
    state = state_of(MIMECAST)
    state["accepted_domains"] = state["accepted_domains"][1:]
    [(code, message)] = codes(live(MIMECAST, state))
    assert code == "JG410" and "contoso.com is not an accepted domain" in message


def test_journal_domain_accepted_directly_or_through_match_subdomains() -> None:
    state = state_of(MIMECAST)
    entry = {"DomainName": "journal.contoso.com", "Default": False}
    state["accepted_domains"].append(
        {**entry, "DomainType": "InternalRelay", "MatchSubDomains": False}
    )
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG411"]
    state = state_of(MIMECAST)
    state["accepted_domains"][0].update(DomainType="InternalRelay", MatchSubDomains=True)
    [(code, message)] = codes(live(MIMECAST, state))
    assert code == "JG411" and "matches subdomains" in message


def test_recipients_decide_name_address_and_ndr_problems() -> None:
    state = state_of(MIMECAST)
    state["recipients"] = [
        {"Name": "SMTP Journaling", "RecipientTypeDetails": "UserMailbox", "EmailAddresses": []},
        {
            "Name": "Someone",
            "RecipientTypeDetails": "MailUser",
            "EmailAddresses": ["SMTP:journaling@journal.contoso.com"],
        },
        {
            "Name": "NDR",
            "RecipientTypeDetails": "SharedMailbox",
            "EmailAddresses": ["smtp:JOURNAL-NDR@contoso.com"],
        },
    ]
    assert sorted(c for c, _ in codes(live(MIMECAST, state))) == ["JG412", "JG413", "JG414"]


def test_journal_address_held_by_another_contact() -> None:
    state = state_of(MIMECAST)
    state["mail_contacts"][0]["Name"] = "Old contact"
    state["recipients"] = None
    result = live(MIMECAST, state)
    assert [c for c, _ in codes(result)] == ["JG413"]
    assert result.steps[0].action == "create"


def test_rule_limit_counts_existing_and_added_rules() -> None:
    state = state_of(MIMECAST)
    rule = state["journal_rules"].pop()
    state["journal_rules"] = [
        {**rule, "Name": f"Other {i}", "JournalEmailAddress": "x@y.example"} for i in range(50)
    ]
    assert "JG415" in [c for c, _ in codes(live(MIMECAST, state))]
    state["journal_rules"].pop()
    assert "JG415" not in [c for c, _ in codes(live(MIMECAST, state))]


def test_same_named_connector_that_routes_more_is_an_error() -> None:
    state = state_of(MIMECAST)
    state["outbound_connectors"][0]["RecipientDomains"].append("*")
    [(code, message)] = codes(live(MIMECAST, state))
    assert code == "JG416" and "routes * too" in message
    state = state_of(MIMECAST)
    state["outbound_connectors"][0]["ConnectorType"] = "OnPremises"
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG416"]


def test_other_connectors_routing_the_journal_domain_warn() -> None:
    state = state_of(MIMECAST)
    other = {
        **state["outbound_connectors"][0],
        "Name": "Gateway",
        "RecipientDomains": ["*.contoso.com"],
    }
    state["outbound_connectors"].append(other)
    state["outbound_connectors"][0]["TestMode"] = True
    assert sorted(c for c, _ in codes(live(MIMECAST, state))) == ["JG418", "JG419"]


def test_retired_objects_are_removed_after_the_rest_rules_first() -> None:
    state = state_of(MIMECAST)
    state["journal_rules"].append(
        {
            **state["journal_rules"][0],
            "Name": "Old rule",
            "JournalEmailAddress": "old@archive.example",
        }
    )
    state["outbound_connectors"].append(
        {
            **state["outbound_connectors"][0],
            "Name": "Old connector",
            "RecipientDomains": ["archive.example"],
        }
    )
    retired = (
        Retired("OutboundConnector", "Old connector", "Outbound connector 'Old connector'"),
        Retired("JournalRule", "Old rule", "Journal rule 'Old rule'"),
        Retired("JournalRule", "Never there", "Journal rule 'Never there'"),
    )
    result = live(MIMECAST, state, retired)
    assert [(s.identity, s.action) for s in result.steps[-2:]] == [
        ("Old rule", "remove"),
        ("Old connector", "remove"),
    ]
    assert len(result.steps) == 6 and result.changed
    assert result.counts()["remove"] == 2


CUTOVER = ROOT / "docs" / "migration" / "contoso-cloudflare-cutover.yaml"


def before_cutover(*rules: tuple[str, str]) -> dict[str, Any]:
    """The tenant between the parallel run and the cutover: Cloudflare's objects and Mimecast's,
    with extra rules (name, address) neither spec describes."""
    state: dict[str, Any] = json.loads((STATES / "contoso-cloudflare-cutover.json").read_bytes())
    template = state_of(MIMECAST)["journal_rules"][0]
    state["journal_rules"] += [
        {**template, "Name": name, "JournalEmailAddress": address} for name, address in rules
    ]
    return state


def test_the_cutover_itself_strands_no_rule() -> None:
    # The spec's own rule and the retired Mimecast rule are not "outside the spec".
    result = live(CUTOVER, before_cutover())
    assert not [c for c, _ in codes(result) if c in ("JG425", "JG426")]
    # In apply's order (the plan's RETIRE_ORDER): rule, contact, connector.
    assert [s.identity for s in result.steps if s.action == "remove"] == [
        "Journal all messages to Mimecast",
        "SMTP Journaling",
        "Microsoft 365 to Mimecast",
    ]


def test_a_rule_outside_the_spec_to_a_retired_contact_and_connector_stops_apply() -> None:
    state = before_cutover(("Journal executives", "SMTP:Journaling@Journal.Contoso.com"))
    result = live(CUTOVER, state)
    # Each error points at the rule's address in the state file.
    lines = encode(state).decode().splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if "SMTP:Journaling@Journal" in text)
    assert [(d.code, d.line) for d in result.problems if d.is_error] == [
        ("JG425", line),
        ("JG426", line),
    ]
    assert result.has_errors
    [contact, connector] = [m for c, m in codes(result) if c in ("JG425", "JG426")]
    assert contact == (
        "journal rule 'Journal executives' journals to SMTP:Journaling@Journal.Contoso.com, "
        "retired contact 'SMTP Journaling', but is not in the spec; apply.ps1 would stop. "
        "Retire the rule too, or keep the contact"
    )
    assert "through retired connector 'Microsoft 365 to Mimecast'" in connector


def test_a_rule_retired_in_another_case_is_not_stranded() -> None:
    state = before_cutover(("journal ALL messages to mimecast", "journaling@journal.contoso.com"))
    state["journal_rules"] = [
        r for r in state["journal_rules"] if r["Name"] != "Journal all messages to Mimecast"
    ]
    assert not [c for c, _ in codes(live(CUTOVER, state)) if c in ("JG425", "JG426")]


def test_a_rule_to_another_address_is_not_stranded() -> None:
    state = before_cutover(("Journal legal", "legal@archive.example"))
    assert not [c for c, _ in codes(live(CUTOVER, state)) if c in ("JG425", "JG426")]


def test_only_the_retired_connector_catches_a_rule_its_domains_route() -> None:
    # Another address on the retired connector's domain: no contact, but the connector's route.
    state = before_cutover(("Journal legal", "legal@journal.contoso.com"))
    assert [c for c, _ in codes(live(CUTOVER, state)) if c in ("JG425", "JG426")] == ["JG426"]
    # A wildcard, and '*', route subdomains; the bare domain is not under '*.'.
    state["outbound_connectors"][-1]["RecipientDomains"] = ["*.contoso.com"]
    assert "JG426" in [c for c, _ in codes(live(CUTOVER, state))]
    state["journal_rules"][-1]["JournalEmailAddress"] = "legal@contoso.com"
    assert "JG426" not in [c for c, _ in codes(live(CUTOVER, state))]
    state["outbound_connectors"][-1]["RecipientDomains"] = ["*"]
    assert "JG426" in [c for c, _ in codes(live(CUTOVER, state))]


def test_domains_the_specs_connector_keeps_strand_nothing() -> None:
    state = before_cutover(("Journal legal", "legal@journaling.mxrecord.io"))
    state["outbound_connectors"][-1]["RecipientDomains"] = [
        "journal.contoso.com",
        "JOURNALING.mxrecord.io",
    ]
    assert "JG426" not in [c for c, _ in codes(live(CUTOVER, state))]


def test_a_rule_naming_the_retired_contact_is_stranded() -> None:
    # Exchange may show a rule's target as the contact's name; apply compares that too.
    state = before_cutover(("Journal executives", "smtp journaling"))
    assert [c for c, _ in codes(live(CUTOVER, state)) if c in ("JG425", "JG426")] == ["JG425"]


def test_a_retired_contact_holding_the_journal_address_strands_nothing() -> None:
    # A renamed contact: the spec's own contact takes its address over, rules keep journaling.
    state = state_of(MIMECAST)
    contact = state["mail_contacts"][0]
    state["mail_contacts"][0] = {**contact, "Name": "Old name"}
    state["journal_rules"][0]["Name"] = "Unmanaged rule"
    retired = (Retired("MailContact", "Old name", "Mail contact 'Old name'"),)
    assert "JG425" not in [c for c, _ in codes(live(MIMECAST, state, retired))]
    state["mail_contacts"][0]["ExternalEmailAddress"] = "SMTP:old@journal.contoso.com"
    state["journal_rules"][0]["JournalEmailAddress"] = "old@journal.contoso.com"
    assert "JG425" in [c for c, _ in codes(live(MIMECAST, state, retired))]


def test_a_retired_object_the_tenant_lacks_strands_nothing() -> None:
    state = before_cutover(("Journal executives", "journaling@journal.contoso.com"))
    state["mail_contacts"] = state["mail_contacts"][:1]
    state["outbound_connectors"] = state["outbound_connectors"][:1]
    assert not [c for c, _ in codes(live(CUTOVER, state)) if c in ("JG425", "JG426")]


def test_build_refuses_a_state_with_a_stranded_rule(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(
        encode(before_cutover(("Journal executives", "journaling@journal.contoso.com")))
    )
    out = tmp_path / "out"
    result = run("build", str(CUTOVER), "--out-dir", str(out), "--state", str(path))
    assert result.exit_code == 1, result.output
    assert "error[JG425]" in result.output and "error[JG426]" in result.output
    assert not out.exists()


# --- the command -----------------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_plan_exit_codes(tmp_path: Path) -> None:
    state = STATES / "contoso-mimecast.json"
    assert run("plan", str(MIMECAST), "--state", str(state), "--exit-code").exit_code == 0
    drifted = state_of(MIMECAST)
    drifted["outbound_connectors"][0]["SmartHosts"][1] = "other.example.net"
    path = tmp_path / "drift.json"
    path.write_bytes(encode(drifted))
    assert run("plan", str(MIMECAST), "--state", str(path)).exit_code == 0
    result = run("plan", str(MIMECAST), "--state", str(path), "--exit-code")
    assert result.exit_code == 1
    assert "SmartHosts: 'us-smtp-journal-1.mimecast.com', 'other.example.net' ->" in result.output


def test_plan_detailed_exitcode_tells_drift_from_a_broken_state(tmp_path: Path) -> None:
    state = STATES / "contoso-mimecast.json"
    flag = "--detailed-exitcode"
    assert run("plan", str(MIMECAST), "--state", str(state), flag).exit_code == 0
    drifted = state_of(MIMECAST)
    drifted["outbound_connectors"][0]["SmartHosts"][1] = "other.example.net"
    path = tmp_path / "drift.json"
    path.write_bytes(encode(drifted))
    assert run("plan", str(MIMECAST), "--state", str(path), flag).exit_code == 2
    # Another tenant's capture differs in everything, yet is an error, never "changes".
    other = state_of(MIMECAST)
    other["organization"] = "fabrikam.onmicrosoft.com"
    path.write_bytes(encode(other))
    result = run("plan", str(MIMECAST), "--state", str(path), flag)
    assert result.exit_code == 1
    assert "error[JG410]" in result.output
    path.write_bytes(b"{")
    assert run("plan", str(MIMECAST), "--state", str(path), flag).exit_code == 1
    both = run("plan", str(MIMECAST), "--state", str(state), flag, "--exit-code")
    assert both.exit_code == 2
    assert "exclude each other" in both.output


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"format": "journalgen-state/9"}', b"[" * (MAX_BYTES + 10)],
    ids=["bad-json", "wrong-format", "20-mb-of-nesting"],
)
def test_plan_refuses_a_malformed_state_cleanly(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(raw)
    result = run("plan", str(MIMECAST), "--state", str(path))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"{path}:1:" in result.output and "error[JG40" in result.output
    assert list(tmp_path.iterdir()) == [path]


def test_plan_json_is_documented_shape() -> None:
    result = run(
        "plan", str(MIMECAST), "--state", str(STATES / "contoso-mimecast.json"), "--format", "json"
    )
    payload = json.loads(result.output)
    assert payload["format"] == "journalgen-plan/1" and payload["changed"] is False
    assert [o["action"] for o in payload["objects"]] == ["unchanged"] * 4
    assert set(payload) == {
        "format",
        "spec",
        "spec_sha256",
        "state",
        "state_sha256",
        "captured_at",
        "organization",
        "changed",
        "counts",
        "objects",
        "errors",
        "warnings",
        "diagnostics",
        "undecided",
    }
    assert (ROOT / "docs" / "state.md").read_text(encoding="utf-8").count("`state_sha256`") == 1


def test_plan_with_a_spec_error_reports_it(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 2\n")
    result = run("plan", str(spec), "--state", str(STATES / "contoso-mimecast.json"))
    assert result.exit_code == 1 and "error[JG100]" in result.output


# --- what apply.ps1's preflight decides (tests/test_parity.py maps each message to its code) ---


def test_a_tenant_already_past_the_rule_limit_stops_apply_even_adding_none() -> None:
    state = state_of(MIMECAST)
    rule = state["journal_rules"][0]
    state["journal_rules"] += [
        {**rule, "Name": f"Other {i}", "JournalEmailAddress": "x@y.example"} for i in range(50)
    ]
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG415"]


def test_an_ndr_address_nobody_has_is_decided_only_when_it_was_looked_up() -> None:
    state = state_of(MIMECAST)
    state["recipients"] = []
    assert codes(live(MIMECAST, state)) == []
    state["recipient_lookups"] = ["journal-ndr@contoso.com"]
    [(code, message)] = codes(live(MIMECAST, state))
    assert code == "JG420" and "contoso.com" in message
    # In an internal relay domain another mail system may have it: a warning.
    state["accepted_domains"][0]["DomainType"] = "InternalRelay"
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG421"]
    # Anyone holding it, a mail contact included, settles it.
    state["recipients"] = [
        {
            "Name": "NDR",
            "RecipientTypeDetails": "MailUser",
            "EmailAddresses": ["smtp:Journal-NDR@contoso.com"],
        }
    ]
    assert codes(live(MIMECAST, state)) == []


def test_connector_settings_apply_refuses_or_warns_about() -> None:
    state = state_of(MIMECAST)
    state["outbound_connectors"][0]["SmtpDaneMode"] = "Mandatory"
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG422"]
    state["outbound_connectors"][0]["SmtpDaneMode"] = "Opportunistic"
    state["outbound_connectors"][0]["RouteAllMessagesViaOnPremises"] = True
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG416"]
    hybrid = {
        **state["outbound_connectors"][0],
        "Name": "Hybrid",
        "ConnectorType": "OnPremises",
        "RecipientDomains": ["*"],
    }
    state["outbound_connectors"][0]["RouteAllMessagesViaOnPremises"] = False
    state["outbound_connectors"].append(hybrid)
    assert [c for c, _ in codes(live(MIMECAST, state))] == ["JG423"]


def test_two_objects_with_one_spec_name_stop_apply() -> None:
    state = state_of(MIMECAST)
    rule = state["journal_rules"][0]
    state["journal_rules"].append({**rule, "Name": rule["Name"].upper()})
    assert "JG424" in [c for c, _ in codes(live(MIMECAST, state))]


def test_plan_removes_what_the_specs_retire_section_names() -> None:
    state = json.loads((STATES / "contoso-cloudflare-cutover.json").read_bytes())
    state["mail_contacts"] = state["mail_contacts"][:1]
    state["outbound_connectors"] = state["outbound_connectors"][:1]
    result = live(CUTOVER, state)
    removed = [(s.type, s.identity) for s in result.steps if s.action == "remove"]
    assert removed == [("JournalRule", "Journal all messages to Mimecast")]


def test_the_migration_pair_has_the_tenant_before_each_step() -> None:
    # Parallel: the tenant before it, Mimecast only; cutover: after it, Mimecast and Cloudflare.
    parallel = json.loads((STATES / "contoso-cloudflare-parallel.json").read_bytes())
    cutover = json.loads((STATES / "contoso-cloudflare-cutover.json").read_bytes())
    assert [c["Name"] for c in parallel["mail_contacts"]] == ["SMTP Journaling"]
    assert {c["Name"] for c in cutover["mail_contacts"]} == {
        "SMTP Journaling",
        "Cloudflare Journaling",
    }
    result = live(CUTOVER, cutover)
    assert not result.problems
    assert [(s.identity, s.action) for s in result.steps] == [
        ("Cloudflare Journaling", "unchanged"),
        ("Microsoft 365 to Cloudflare Email Security", "unchanged"),
        ("TransportConfig", "unchanged"),
        ("Journal all messages to Cloudflare", "unchanged"),
        ("Journal all messages to Mimecast", "remove"),
        ("SMTP Journaling", "remove"),
        ("Microsoft 365 to Mimecast", "remove"),
    ]
    parallel_plan = live(ROOT / "docs" / "migration" / "contoso-cloudflare-parallel.yaml", parallel)
    assert [s.action for s in parallel_plan.steps] == ["create", "create", "unchanged", "create"]


def test_plan_removes_in_the_plans_retire_order_whatever_the_order_given() -> None:
    from journalgen.plan import RETIRE_ORDER

    state = json.loads((STATES / "contoso-cloudflare-cutover.json").read_bytes())
    retired = (
        Retired("OutboundConnector", "Microsoft 365 to Mimecast", "Outbound connector"),
        Retired("MailContact", "SMTP Journaling", "Mail contact"),
        Retired("JournalRule", "Journal all messages to Mimecast", "Journal rule"),
    )
    removed = [s.type for s in live(CUTOVER, state, retired).steps if s.action == "remove"]
    assert removed == [kind for _, kind, _ in RETIRE_ORDER]


def test_a_retired_contact_holding_the_journal_address_is_removed_before_the_contact_step() -> None:
    # A renamed contact: Exchange gives the address to one recipient only, so apply removes the
    # old contact first (Remove-JgRetiredHolder), and plan says so in the same place.
    source = MIMECAST.read_text(encoding="utf-8").replace(
        "  name: SMTP Journaling", "  name: Mimecast Journal"
    )
    source += "\nretire:\n  contacts: [SMTP Journaling]\n"
    checked = check_source(source.encode(), "renamed.yaml")
    result = plan_against(plan_for(checked), load_state(encode(state_of(MIMECAST)), "s.json"))
    assert [(s.identity, s.action) for s in result.steps[:2]] == [
        ("SMTP Journaling", "remove"),
        ("Mimecast Journal", "create"),
    ]
    assert [s.action for s in result.steps].count("remove") == 1
    # apply's preflight lets a retired holder of the address pass (Test-JgRetiredName); so does plan.
    assert "JG413" not in {d.code for d in result.problems}


def test_plan_never_says_the_tenant_matches_when_apply_would_stop() -> None:
    from journalgen.live import summary, text

    state = state_of(MIMECAST)
    state["recipients"] = [
        *state.get("recipients", []),
        {
            "Name": "NDR",
            "RecipientTypeDetails": "SharedMailbox",
            "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
        },
    ]
    result = live(MIMECAST, state)
    assert result.has_errors and not result.changed
    assert "matches" not in summary(result) and "matches" not in text(result)
    assert "apply.ps1 would stop" in summary(result)
    assert text(result).count("apply.ps1 would stop") == 1


def test_every_setting_the_plan_manages_is_a_property_of_the_captured_state() -> None:
    # Otherwise plan would read the missing property as unset and report a change on every run.
    from pydantic import BaseModel

    from journalgen import state as models
    from journalgen.compiler import check_source, plan_for
    from tests.conftest import SAMPLES

    by_type: dict[str, type[BaseModel]] = {
        "MailContact": models.MailContact,
        "OutboundConnector": models.OutboundConnector,
        "TransportConfig": models.TransportConfig,
        "JournalRule": models.JournalRule,
    }
    missing = set()
    for sample in SAMPLES:
        for resource in plan_for(check_source(sample.read_bytes(), sample.name)).resources:
            known = {f.alias for f in by_type[resource.type].model_fields.values()}
            missing |= {(resource.type, s.name) for s in resource.settings if s.name not in known}
    assert missing == set(), "add these to journalgen/state.py and templates/engine/state.ps1.j2"

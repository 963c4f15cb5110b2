"""Plans that say what they could not decide, and an import that shows the errors it counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from journalgen.cli import main
from tests.conftest import ROOT

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
STATE = ROOT / "samples" / "states" / "contoso-mimecast.json"


def write_state(tmp_path: Path, **changes: Any) -> Path:
    state = json.loads(STATE.read_bytes())
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return path


def plan(*args: str) -> Any:
    return CliRunner().invoke(main, ["plan", str(MIMECAST), "--state", *args])


def test_a_state_without_recipients_leaves_checks_undecided_and_says_so(tmp_path: Path) -> None:
    state = write_state(tmp_path, recipients=None, recipient_lookups=None)
    result = plan(str(state))
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Not "the tenant matches" alone: each check it could not decide, and how to capture.
    assert "could not decide" in out
    for code in ("JG412", "JG413", "JG414", "JG420"):
        assert code in out, code
    assert "verify.ps1 -StatePath" in out and "capture-script" in out


def test_json_lists_the_undecided_checks_beside_its_error_count(tmp_path: Path) -> None:
    state = write_state(tmp_path, recipients=None, recipient_lookups=None)
    result = plan(str(state), "--format", "json")
    payload = json.loads(result.stdout)
    assert payload["errors"] == 0
    codes = {u["code"] for u in payload["undecided"]}
    assert {"JG412", "JG413", "JG414", "JG420"} <= codes
    assert all(u["check"] and u["missing"] and u["capture"] for u in payload["undecided"])


def test_a_state_that_looked_everything_up_leaves_nothing_undecided(tmp_path: Path) -> None:
    lookups = ["smtp journaling", "journaling@journal.contoso.com", "journal-ndr@contoso.com"]
    recipients = [
        *json.loads(STATE.read_bytes())["recipients"],
        {
            "Name": "Journal NDR",
            "RecipientTypeDetails": "MailUser",
            "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
        },
    ]
    state = write_state(tmp_path, recipients=recipients, recipient_lookups=lookups)
    result = plan(str(state), "--format", "json")
    assert json.loads(result.stdout)["undecided"] == []
    assert "could not decide" not in plan(str(state)).stdout


def test_the_ndr_check_is_undecided_when_the_capture_did_not_look_the_address_up(
    tmp_path: Path,
) -> None:
    # The capture script looked up the tenant's old NDR address, not the spec's new one.
    state = write_state(tmp_path, recipient_lookups=["journaling@journal.contoso.com"])
    payload = json.loads(plan(str(state), "--format", "json").stdout)
    undecided = {u["code"]: u for u in payload["undecided"]}
    assert "JG420" in undecided and "JG412" in undecided and "JG413" not in undecided
    assert "journal-ndr@contoso.com" in undecided["JG420"]["check"]


def test_a_connector_captured_without_smtp_dane_mode_leaves_jg422_undecided(
    tmp_path: Path,
) -> None:
    connectors = json.loads(STATE.read_bytes())["outbound_connectors"]
    for c in connectors:
        c.pop("SmtpDaneMode", None)
    state = write_state(tmp_path, outbound_connectors=connectors)
    payload = json.loads(plan(str(state), "--format", "json").stdout)
    assert "JG422" in {u["code"] for u in payload["undecided"]}


def test_import_prints_every_error_its_plan_counts(tmp_path: Path) -> None:
    recipients = [
        *json.loads(STATE.read_bytes())["recipients"],
        {
            "Name": "NDR",
            "RecipientTypeDetails": "SharedMailbox",
            "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
        },
    ]
    state = write_state(tmp_path, recipients=recipients)
    result = CliRunner().invoke(main, ["import", str(state), "-o", str(tmp_path / "s.yaml")])
    assert "1 error(s) below" in result.stderr
    below = result.stderr.split("1 error(s) below", 1)[1]
    assert "error[JG414]" in below


def test_change_md_lists_what_the_state_could_not_decide(tmp_path: Path) -> None:
    state = write_state(tmp_path, recipients=None, recipient_lookups=None)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(MIMECAST), "-d", str(out), "--state", str(state)]
    )
    assert result.exit_code == 0, result.output
    text = (out / MIMECAST.stem / "CHANGE.md").read_text(encoding="utf-8")
    assert "Not decided by the state" in text and "`JG414`, that" in text
    assert CliRunner().invoke(main, ["check", str(MIMECAST), "-d", str(out)]).exit_code == 0

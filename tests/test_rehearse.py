"""journalgen rehearse: a bundle's own scripts run under pwsh against the simulator seeded with a state."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from journalgen import simulator
from journalgen.cli import main
from journalgen.simulator import INSTALL_HINT
from tests.sim import MIGRATION, SAMPLES, STATES, load_json
from tests.test_sim_isolation import REAL_MANIFEST, REAL_MODULE

FIRST_LISTED = (
    "(Get-Module -ListAvailable -Name ExchangeOnlineManagement | Select-Object -First 1)"
    ".Version.ToString()"
)
MIMECAST = SAMPLES / "contoso-mimecast.yaml"
CUTOVER = MIGRATION / "contoso-cloudflare-cutover.yaml"
# Each state of samples/states whose spec is not named like it (tests/test_sim_retire.py).
PAIRS = {
    "contoso-mimecast-drifted": MIMECAST,
    "contoso-cloudflare-parallel": MIGRATION / "contoso-cloudflare-parallel.yaml",
    "contoso-cloudflare-cutover": CUTOVER,
    "contoso-cloudflare-cutover-stranded": CUTOVER,
}
SAMPLE_STATES = [
    (state, PAIRS.get(state.stem, SAMPLES / f"{state.stem}.yaml"))
    for state in sorted(STATES.glob("*.json"))
    if state.stem in PAIRS or (SAMPLES / f"{state.stem}.yaml").exists()
]


def _run(*arguments: str | Path) -> Result:
    return CliRunner().invoke(main, ["rehearse", *map(str, arguments)])


def _json(*arguments: str | Path) -> tuple[int, dict[str, Any]]:
    result = _run(*arguments, "--format", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data


def _checks(report: dict[str, Any]) -> dict[str, bool | None]:
    return {c["name"]: c["passed"] for c in report["checks"]}


def _empty_tenant(tmp_path: Path, **extra: Any) -> Path:
    """contoso's tenant before any journaling: a state where apply writes every object."""
    state = load_json(STATES / "contoso-mimecast.json")
    for section in ("journal_rules", "outbound_connectors", "mail_contacts"):
        state[section] = []
    state["transport_config"] = {"JournalingReportNdrTo": "<>", "JournalMessageExpirationDays": 0}
    state["recipients"] = [
        *(r for r in state["recipients"] if r["RecipientTypeDetails"] != "MailContact"),
        {
            "Name": "Journal NDR",
            "RecipientTypeDetails": "MailUser",
            "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
        },
        *extra.get("recipients", []),
    ]
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return path


# --- no PowerShell: exit 2 and the one line that says how to get it -----------------------------


def test_without_pwsh_it_exits_2_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNALGEN_PWSH", str(tmp_path / "no-such-pwsh"))
    result = _run(MIMECAST, "--state", STATES / "contoso-mimecast.json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"journalgen: error: {INSTALL_HINT}\n"


def test_a_bad_throttle_is_a_usage_error() -> None:
    result = _run(MIMECAST, "--state", STATES / "contoso-mimecast.json", "--throttle", "x:0")
    assert result.exit_code == 2, result.output
    assert "--throttle x:0" in result.stderr


# --- the samples ------------------------------------------------------------------------------


@pytest.mark.pwsh
@pytest.mark.parametrize(("state", "spec"), SAMPLE_STATES, ids=[s.stem for s, _ in SAMPLE_STATES])
def test_every_sample_state_rehearses_cleanly_or_stops_where_plan_says(
    state: Path, spec: Path, pwsh: str
) -> None:
    planned = CliRunner().invoke(
        main, ["plan", str(spec), "--state", str(state), "--format", "json"]
    )
    plan = json.loads(planned.stdout)
    code, report = _json(spec, "--state", state)
    assert report["format"] == "journalgen-rehearsal/1"
    assert report["diagnostics"] == plan["diagnostics"]
    if plan["errors"]:
        assert code == 1
        assert report["result"] == "preflight"
        assert report["preflight"]["stopped"] is True
        assert [d["code"] for d in report["preflight"]["plan"]] == [
            d["code"] for d in plan["diagnostics"] if d["severity"] == "error"
        ]
        assert len(report["preflight"]["printed"]) == plan["errors"]
        assert [s["name"] for s in report["steps"]] == ["apply -WhatIf", "apply"]
        assert all(not s["writes"] for s in report["steps"])
        return
    assert code == 0, json.dumps(report["checks"], indent=1)
    assert report["result"] == "passed"
    assert _checks(report) == {
        "what-if": True,
        "plan": True,
        "verify": True,
        "idempotent": True,
        "rollback": True,
    }
    # apply writes exactly when plan says something changes.
    assert bool(report["steps"][1]["writes"]) == plan["changed"]


# --- a hand-made change that makes apply fail --------------------------------------------------


@pytest.mark.pwsh
def test_an_exchange_refusal_names_the_step_the_error_and_the_rollback(
    tmp_path: Path, pwsh: str
) -> None:
    # A mail user holding the alias the spec's contact needs: plan cannot see aliases, Exchange
    # refuses New-MailContact (ProxyAddressExistsException).
    holder = {
        "Name": "Legal hold",
        "RecipientTypeDetails": "MailUser",
        "Alias": "Journaling",
        "EmailAddresses": ["SMTP:legal-hold@contoso.com"],
    }
    state = _empty_tenant(tmp_path, recipients=[holder])
    planned = CliRunner().invoke(main, ["plan", str(MIMECAST), "--state", str(state)])
    assert planned.exit_code == 0, planned.output

    result = _run(MIMECAST, "--state", state)
    assert result.exit_code == 1, result.output
    text = result.stdout
    assert "New-MailContact 'SMTP Journaling': FAILED with ProxyAddressExistsException:" in text
    assert "The alias 'Journaling' is already used by another recipient." in text
    assert "failed step: 'Mail contact 'SMTP Journaling''" in text
    assert "  FAIL    apply completed" in text
    assert "  PASS    rollback gave back the tenant as captured" in text
    assert text.rstrip().endswith("found a problem in 1 check(s) (exit 1).")


# --- faults -----------------------------------------------------------------------------------


@pytest.mark.pwsh
def test_a_failed_second_write_is_what_the_operator_sees_and_the_rehearsal_passes(
    tmp_path: Path, pwsh: str
) -> None:
    code, report = _json(MIMECAST, "--state", _empty_tenant(tmp_path), "--fail-write", "2")
    assert code == 0, json.dumps(report["checks"], indent=1)
    assert report["faults"] == {"fail_write": 2}
    names = [s["name"] for s in report["steps"]]
    assert names == ["apply -WhatIf", "apply", "apply again", "verify", "rollback"]
    failed = report["steps"][1]
    assert failed["exit_code"] == 1
    assert [w["outcome"] for w in failed["writes"]] == ["ok", "error"]
    assert failed["writes"][1]["error"] == "ServerSideError"
    assert failed["failed_steps"] == ["Mail contact 'SMTP Journaling'"]
    assert "Set-MailContact failed with ServerSideError" in report["fault_seen"]
    assert _checks(report) == {
        "what-if": True,
        "fault": True,
        "rerun": True,
        "plan": True,
        "verify": True,
        "rollback": True,
    }


@pytest.mark.pwsh
def test_a_fault_that_never_happens_is_a_problem(tmp_path: Path, pwsh: str) -> None:
    # contoso-mimecast's own state already matches: apply makes no write to fail.
    code, report = _json(MIMECAST, "--state", STATES / "contoso-mimecast.json", "--fail-write", "1")
    assert code == 1
    assert _checks(report)["fault"] is False
    assert report["result"] == "problems"


# --- determinism and safety -------------------------------------------------------------------


@pytest.mark.pwsh
def test_json_is_the_same_bytes_twice_and_for_the_built_bundle(tmp_path: Path, pwsh: str) -> None:
    state = _empty_tenant(tmp_path)
    built = CliRunner().invoke(main, ["build", str(MIMECAST), "--out-dir", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    first = _run(MIMECAST, "--state", state, "--format", "json")
    second = _run(MIMECAST, "--state", state, "--format", "json", "--out-dir", tmp_path / "out")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert str(tmp_path) not in first.stdout
    assert "journalgen-rehearsal-" not in first.stdout


@pytest.mark.pwsh
def test_a_real_module_installed_for_the_user_is_not_used(
    tmp_path: Path, pwsh: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    module = home / ".local" / "share" / "powershell" / "Modules" / "ExchangeOnlineManagement"
    module.mkdir(parents=True)
    (module / "ExchangeOnlineManagement.psd1").write_text(REAL_MANIFEST, encoding="utf-8")
    (module / "ExchangeOnlineManagement.psm1").write_text(REAL_MODULE, encoding="utf-8")
    marker = tmp_path / "real-module-loaded"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("REAL_MODULE_MARKER", str(marker))
    # Without the runner's guard, pwsh finds the user's module first: prove the set-up bites.
    listed = subprocess.run(
        [pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", FIRST_LISTED],
        env={**os.environ, "PSModulePath": str(simulator.MODULE_PATH)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.strip() == "3.9.9"

    result = _run(MIMECAST, "--state", _empty_tenant(tmp_path))
    assert not marker.exists(), result.output
    assert "the real module answered" not in result.output
    assert result.exit_code == 0, result.output


@pytest.mark.pwsh
def test_a_module_that_is_not_the_simulator_is_a_reported_error(
    tmp_path: Path, pwsh: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner loads the simulator by its path: point that path at an impostor.
    folder = tmp_path / "modules"
    module = folder / "ExchangeOnlineManagement"
    module.mkdir(parents=True)
    (module / "ExchangeOnlineManagement.psd1").write_text(REAL_MANIFEST, encoding="utf-8")
    (module / "ExchangeOnlineManagement.psm1").write_text(REAL_MODULE, encoding="utf-8")
    monkeypatch.setenv("REAL_MODULE_MARKER", str(tmp_path / "marker"))
    monkeypatch.setattr(simulator, "MODULE_PATH", folder)

    code, report = _json(MIMECAST, "--state", _empty_tenant(tmp_path))
    assert code == 1
    assert report["result"] == "not-simulator"
    assert [s["name"] for s in report["steps"]] == ["apply -WhatIf"]
    text = _run(MIMECAST, "--state", _empty_tenant(tmp_path)).stdout
    assert "is not journalgen's simulator; no result of this rehearsal can be trusted" in text


@pytest.mark.pwsh
def test_a_bundle_check_would_reject_is_refused(tmp_path: Path, pwsh: str) -> None:
    built = CliRunner().invoke(main, ["build", str(MIMECAST), "--out-dir", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    apply = tmp_path / "out" / MIMECAST.stem / "apply.ps1"
    apply.write_bytes(apply.read_bytes().replace(b"Mimecast", b"Mimecasd", 1))
    state = STATES / "contoso-mimecast.json"
    result = _run(MIMECAST, "--state", state, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    checked = CliRunner().invoke(main, ["check", str(MIMECAST), "--out-dir", str(tmp_path / "out")])
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[0] in result.stderr


def test_values_from_the_tenant_reach_the_text_report_quoted_and_shown() -> None:
    from journalgen.rehearse import show

    assert show("Mimecast\u202e") == "'Mimecast<U+202E>'"
    assert show(["a", "b"]) == "'a', 'b'"
    assert show(None) == "(none)"
    assert show(True) == "true"

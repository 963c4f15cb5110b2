"""journalgen rehearse SPECS... --states DIR: each spec rehearsed against its tenant's state, then a row each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from journalgen.cli import main
from journalgen.simulator import INSTALL_HINT
from tests.sim import SAMPLES, STATES

CONTOSO = SAMPLES / "contoso-mimecast.yaml"
LITWARE = SAMPLES / "litware-custom.yaml"
# A sample whose tenant has no state in the folders these tests make.
WINGTIP = SAMPLES / "wingtip-mimecast-eu.yaml"


def _run(*arguments: str | Path) -> Result:
    return CliRunner().invoke(main, ["rehearse", *map(str, arguments)])


def _states(tmp_path: Path, *names: str) -> Path:
    """A states folder holding copies of the named sample states, under other file names."""
    folder = tmp_path / "states"
    folder.mkdir()
    for number, name in enumerate(names):
        shutil.copyfile(STATES / f"{name}.json", folder / f"capture-{number}.json")
    return folder


# --- usage ------------------------------------------------------------------------------------


def test_state_and_states_exclude_each_other(tmp_path: Path) -> None:
    folder = _states(tmp_path, "contoso-mimecast")
    result = _run(CONTOSO, "--state", STATES / "contoso-mimecast.json", "--states", folder)
    assert result.exit_code == 2, result.output
    assert "give --state FILE or --states DIR, not both" in result.stderr
    assert result.stdout == ""


def test_state_is_for_one_spec_and_one_of_the_two_is_needed() -> None:
    several = _run(CONTOSO, LITWARE, "--state", STATES / "contoso-mimecast.json")
    assert several.exit_code == 2, several.output
    assert "--state rehearses one spec against a captured tenant; give one spec, or --states" in (
        several.stderr
    )
    neither = _run(CONTOSO)
    assert neither.exit_code == 2, neither.output
    assert "give --state FILE for one spec, or --states DIR" in neither.stderr


def test_states_without_pwsh_exits_2_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNALGEN_PWSH", str(tmp_path / "no-such-pwsh"))
    result = _run(CONTOSO, "--states", _states(tmp_path, "contoso-mimecast"))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"journalgen: error: {INSTALL_HINT}\n"


# --- pairing errors: nothing is rehearsed -----------------------------------------------------


@pytest.mark.pwsh
def test_two_states_for_one_tenant_are_an_error_at_both_and_its_spec_is_not_rehearsed(
    tmp_path: Path, pwsh: str
) -> None:
    folder = _states(tmp_path, "contoso-mimecast", "contoso-mimecast-drifted")
    result = _run(CONTOSO, WINGTIP, "--states", folder, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "journalgen-rehearsals/1"
    assert report["rehearsals"] == []
    assert [(r["spec"], r["result"], r["state"]) for r in report["rows"]] == [
        (str(CONTOSO), "error", None),
        (str(WINGTIP), "no-state", None),
    ]
    assert [d["code"] for d in report["rows"][0]["diagnostics"]] == ["JG046"]
    assert "JG045" in [d["code"] for d in report["rows"][1]["diagnostics"]]
    clashes = [d for d in report["diagnostics"] if d["code"] == "JG041"]
    assert sorted(Path(d["file"]).name for d in clashes) == ["capture-0.json", "capture-1.json"]
    assert report["passed"] is False
    assert report["totals"] == {
        "tenants": 2,
        "passed": 0,
        "failed": 0,
        "preflight": 0,
        "no-state": 1,
        "error": 1,
    }


# --- rehearsals -------------------------------------------------------------------------------


@pytest.mark.pwsh
def test_each_spec_is_rehearsed_against_its_tenants_state_as_rehearse_state_would(
    tmp_path: Path, pwsh: str
) -> None:
    folder = _states(tmp_path, "contoso-mimecast")
    result = _run(WINGTIP, CONTOSO, "--states", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["format"] == "journalgen-rehearsals/1"
    assert report["passed"] is True
    rows = [
        (r["spec"], r["tenant"], r["state"], r["result"], r["rehearsal"]) for r in report["rows"]
    ]
    assert rows == [
        (str(WINGTIP), "wingtiptoys.onmicrosoft.com", None, "no-state", None),
        (str(CONTOSO), "contoso.onmicrosoft.com", str(folder / "capture-0.json"), "passed", 0),
    ]
    # The rehearsal is the one rehearse --state gives, byte for byte within the document.
    single = _run(CONTOSO, "--state", folder / "capture-0.json", "--format", "json")
    assert single.exit_code == 0, single.output
    assert report["rehearsals"] == [json.loads(single.stdout)]
    assert report["rows"][1]["diagnostics"] == report["rehearsals"][0]["diagnostics"]


@pytest.mark.pwsh
def test_the_text_is_the_same_with_any_number_of_jobs(tmp_path: Path, pwsh: str) -> None:
    folder = _states(tmp_path, "litware-custom", "contoso-mimecast")
    one = _run(CONTOSO, LITWARE, WINGTIP, "--states", folder)
    two = _run(CONTOSO, LITWARE, WINGTIP, "--states", folder, "--jobs", "2")
    assert one.exit_code == 0, one.output
    assert (two.exit_code, two.stdout, two.stderr) == (0, one.stdout, one.stderr)
    text = one.stdout
    # Both reports, in the order the specs were given, then the table.
    assert text.index("Rehearsal of 'contoso-mimecast.yaml'") < text.index(
        "Rehearsal of 'litware-custom.yaml'"
    )
    table = text[text.index(f"Rehearsals against the states in {folder}") :].splitlines()
    assert table[2].split() == ["TENANT", "SPEC", "STATE", "RESULT", "ERRORS", "WARNINGS"]
    assert table[3].split() == [
        "contoso.onmicrosoft.com",
        "contoso-mimecast.yaml",
        "capture-1.json",
        "passed",
        "0",
        "0",
    ]
    assert table[4].split()[:4] == [
        "litware.onmicrosoft.com",
        "litware-custom.yaml",
        "capture-0.json",
        "passed",
    ]
    assert table[5].split()[:5] == [
        "wingtiptoys.onmicrosoft.com",
        "wingtip-mimecast-eu.yaml",
        "-",
        "no",
        "state",
    ]
    assert table[-1] == (
        "3 tenant(s): 2 passed, 0 failed, 0 preflight, 1 no state, 0 error (exit 0)."
    )
    assert "warning[JG045]: no state in" in one.stderr


@pytest.mark.pwsh
def test_a_rehearsal_that_fails_fails_the_fleet(tmp_path: Path, pwsh: str) -> None:
    # contoso's own state already matches its spec: apply makes no write for the fault to hit.
    folder = _states(tmp_path, "contoso-mimecast")
    result = _run(CONTOSO, WINGTIP, "--states", folder, "--fail-write", "1")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[-1] == "2 tenant(s): 0 passed, 1 failed, 0 preflight, 1 no state, 0 error (exit 1)."
    )
    assert lines[-4].split()[:4] == [
        "contoso.onmicrosoft.com",
        "contoso-mimecast.yaml",
        "capture-0.json",
        "failed",
    ]
    assert "found a problem in 1 check(s) (exit 1)." in result.stdout

"""`build SPECS... --states DIR`: each spec paired with the captured state of its tenant."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from journalgen.cli import main
from tests.conftest import ROOT
from tests.spectext import spec_text

DRIFTED = ROOT / "samples" / "states" / "contoso-mimecast-drifted.json"
STATE_MARK = "<!-- journalgen:state -->"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def tenant(i: int) -> str:
    return f"t{i:02}"


def tenant_spec(i: int, overrides: dict[str, object] | None = None) -> str:
    name = tenant(i)
    base: dict[str, object] = {
        "tenant": {"primary_domain": f"{name}.com", "organization": f"{name}.onmicrosoft.com"},
        "ndr": {"address": f"journal-ndr@{name}.com"},
    }
    return spec_text({**base, **(overrides or {})})


def tenant_state(i: int, captured_at: str = "2026-11-27T10:00:00Z") -> str:
    """The drifted contoso state, as captured in tenant ``i``."""
    text = DRIFTED.read_text(encoding="utf-8").replace("contoso", tenant(i))
    return text.replace("2026-11-27T10:00:00Z", captured_at)


def write_specs(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        (folder / f"{tenant(i)}.yaml").write_text(tenant_spec(i))
    return folder


def write_states(folder: Path, tenants: dict[str, int]) -> Path:
    """State files named as given, each captured in the tenant numbered beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, i in tenants.items():
        (folder / name).write_text(tenant_state(i))
    return folder


def recorded_state(bundle: Path) -> dict[str, str] | None:
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    state: dict[str, str] | None = manifest.get("state")
    return state


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# File names that say nothing of the tenant, and not in the specs' order.
NAMES = {"zulu.json": 1, "alpha.json": 2, "2026-11-27 capture.json": 3, "x.json": 4}
JOBS = pytest.mark.parametrize("jobs", ["1", "2"])


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four specs (t01..t04) and a state for each under a name that does not tell its tenant."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the pin is not looked for above this folder
    write_specs(tmp_path / "specs", 4)
    write_states(tmp_path / "states", NAMES)
    return tmp_path


@JOBS
def test_each_spec_gets_the_state_of_its_tenant_whatever_its_file_name(
    fleet: Path, jobs: str
) -> None:
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 0, result.output
    assert "built 4 of 4 spec(s)" in result.output
    for name, i in NAMES.items():
        bundle = fleet / "out" / tenant(i)
        change = (bundle / "CHANGE.md").read_text(encoding="utf-8")
        assert STATE_MARK in change
        assert f"`{tenant(i)}.onmicrosoft.com`" in change
        about = recorded_state(bundle)
        assert about is not None
        assert about["file"] == name
        assert about["sha256"] == sha(fleet / "states" / name)
    assert run("check", "specs", "-d", "out", "--states", "states").exit_code == 0


@JOBS
def test_two_states_for_one_tenant_are_an_error_at_both_and_its_spec_is_not_built(
    fleet: Path, jobs: str
) -> None:
    # Another capture of t02, later: which one the board should see is not journalgen's guess.
    (fleet / "states" / "again.json").write_text(tenant_state(2, "2026-12-01T09:00:00Z"))
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for state in ("again.json", "alpha.json"):
        assert any(f"states{os.sep}{state}:" in line and "error[JG041]" in line for line in lines)
    assert any("t02.yaml" in line and "error[JG043]" in line for line in lines), result.output
    assert not (fleet / "out" / "t02").exists()
    assert "built 3 of 4 spec(s)" in result.output
    for i in (1, 3, 4):
        assert recorded_state(fleet / "out" / tenant(i)) is not None


@JOBS
def test_a_spec_with_no_state_is_a_warning_and_built_without_the_section(
    fleet: Path, jobs: str
) -> None:
    (fleet / "states" / "2026-11-27 capture.json").unlink()  # t03's
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "warning[JG040]" in line]
    assert len(warned) == 1 and "t03.yaml" in warned[0] and "t03.onmicrosoft.com" in warned[0]
    bundle = fleet / "out" / "t03"
    assert STATE_MARK not in (bundle / "CHANGE.md").read_text(encoding="utf-8")
    assert recorded_state(bundle) is None
    assert all(recorded_state(fleet / "out" / tenant(i)) for i in (1, 2, 4))
    assert run("check", "specs", "-d", "out", "--states", "states").exit_code == 0
    strict = run("build", "specs", "-d", "strict", "--states", "states", "--strict")
    assert strict.exit_code == 1 and "error[JG040]" in strict.output
    assert not (fleet / "strict" / "t03").exists()


@JOBS
def test_a_malformed_state_stops_no_other_tenant(fleet: Path, jobs: str) -> None:
    (fleet / "states" / "alpha.json").write_bytes(b"{")  # t02's, now unreadable as JSON
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 1
    assert f"states{os.sep}alpha.json:1:2: error[JG401]" in result.output
    assert "built 4 of 4 spec(s)" in result.output
    # Which tenant it was for cannot be read, so t02 has no state: said, not silent.
    assert "warning[JG040]" in result.output
    for i in (1, 3, 4):
        assert recorded_state(fleet / "out" / tenant(i)) is not None
    assert recorded_state(fleet / "out" / "t02") is None


@JOBS
def test_a_state_with_errors_for_a_known_tenant_leaves_its_bundle_unbuilt(
    fleet: Path, jobs: str
) -> None:
    state = json.loads(tenant_state(3))
    state["format"] = "journalgen-state/9"
    (fleet / "states" / "2026-11-27 capture.json").write_text(json.dumps(state))
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 1
    assert "error[JG402]" in result.output
    assert any(
        "t03.yaml" in line and "error[JG043]" in line and "capture.json" in line
        for line in result.output.splitlines()
    ), result.output
    assert not (fleet / "out" / "t03").exists()
    assert "built 3 of 4 spec(s)" in result.output
    for i in (1, 2, 4):
        assert recorded_state(fleet / "out" / tenant(i)) is not None


@JOBS
def test_a_state_whose_plan_has_an_error_stops_only_its_tenant(fleet: Path, jobs: str) -> None:
    state = json.loads(tenant_state(4))
    state["accepted_domains"] = [
        d for d in state["accepted_domains"] if d["DomainName"] != "t04.com"
    ]
    (fleet / "states" / "x.json").write_text(json.dumps(state, indent=2))
    result = run("build", "specs", "-d", "out", "--states", "states", "--jobs", jobs)
    assert result.exit_code == 1
    assert f"states{os.sep}x.json" in result.output
    assert not (fleet / "out" / "t04").exists()
    assert "built 3 of 4 spec(s)" in result.output


def test_state_and_states_exclude_each_other(fleet: Path) -> None:
    result = run(
        "build", "specs/t01.yaml", "-d", "out", "--state", "states/zulu.json", "--states", "states"
    )
    assert result.exit_code == 2
    assert "give --state FILE or --states DIR, not both" in result.output
    assert not (fleet / "out").exists()


def test_a_states_folder_without_states_is_a_usage_error(fleet: Path) -> None:
    (fleet / "empty").mkdir()
    result = run("build", "specs", "-d", "out", "--states", "empty")
    assert result.exit_code == 2 and "no *.json state files" in result.output
    assert not (fleet / "out").exists()

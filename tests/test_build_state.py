from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from journalgen.cli import main
from tests.conftest import ROOT, Golden

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
DRIFTED = ROOT / "samples" / "states" / "contoso-mimecast-drifted.json"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def build(out: Path, state: Path = DRIFTED) -> Path:
    result = run("build", MIMECAST, "--out-dir", out, "--state", state)
    assert result.exit_code == 0, result.output
    return out / "contoso-mimecast"


def test_change_md_shows_the_changes_against_the_captured_tenant(
    tmp_path: Path, golden: Golden
) -> None:
    folder = build(tmp_path)
    change = (folder / "CHANGE.md").read_text(encoding="utf-8")
    section = change[change.index("<!-- journalgen:state -->") :]
    section = section[: section.index("<!-- /journalgen:state -->")]
    assert "## Changes against the tenant as captured at 2026-11-27T10:00:00Z" in section
    import hashlib

    assert hashlib.sha256(DRIFTED.read_bytes()).hexdigest() in section
    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert manifest["state"]["file"] == DRIFTED.name
    assert manifest["state"]["sha256"] == hashlib.sha256(DRIFTED.read_bytes()).hexdigest()
    golden.check("states/contoso-mimecast-drifted.CHANGE.md", section)


def test_check_accepts_the_section_through_the_manifest(tmp_path: Path) -> None:
    build(tmp_path)
    assert run("check", MIMECAST, "--out-dir", tmp_path).exit_code == 0


def test_check_catches_an_edited_state_section(tmp_path: Path) -> None:
    folder = build(tmp_path)
    change = folder / "CHANGE.md"
    change.write_bytes(change.read_bytes().replace(b"| update |", b"| unchanged |", 1))
    result = run("check", MIMECAST, "--out-dir", tmp_path)
    assert result.exit_code == 1 and "JG021" in result.output


def test_check_catches_a_section_the_manifest_does_not_name(tmp_path: Path) -> None:
    folder = build(tmp_path)
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_bytes())
    del data["state"]
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    assert run("check", MIMECAST, "--out-dir", tmp_path).exit_code == 1


def test_a_state_with_errors_builds_nothing(tmp_path: Path) -> None:
    state = json.loads(DRIFTED.read_bytes())
    state["organization"] = "fabrikam.onmicrosoft.com"
    path = tmp_path / "other.json"
    path.write_text(json.dumps(state))
    result = run("build", MIMECAST, "--out-dir", tmp_path / "out", "--state", path)
    assert result.exit_code == 1 and "error[JG410]" in result.output
    assert not (tmp_path / "out").exists()


def test_a_malformed_state_builds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"{")
    result = run("build", MIMECAST, "--out-dir", tmp_path / "out", "--state", path)
    assert result.exit_code == 1 and "error[JG401]" in result.output
    assert not (tmp_path / "out").exists()


def test_state_takes_one_spec(tmp_path: Path) -> None:
    other = ROOT / "samples" / "litware-custom.yaml"
    result = run("build", MIMECAST, other, "--out-dir", tmp_path, "--state", DRIFTED)
    assert result.exit_code == 2 and "give one spec" in result.output

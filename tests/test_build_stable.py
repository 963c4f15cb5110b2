"""Stable batch builds: a rebuild leaves every bundle of an unchanged spec as it is, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_build_states import (
    STATE_MARK,
    recorded_state,
    run,
    sha,
    tenant,
    tenant_spec,
    tenant_state,
    write_specs,
    write_states,
)

FLEET = 20
PREVIOUS_MARK = "<!-- journalgen:previous -->"
OLD = 1_000_000_000  # an mtime no write of this test can give a file


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository of 20 specs (t01..t20), a state for each, committed; the current folder."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    write_specs(tmp_path / "specs", FLEET)
    write_states(tmp_path / "states", {f"{tenant(i)}.json": i for i in range(1, FLEET + 1)})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "fleet")
    return tmp_path


Snapshot = dict[str, tuple[bytes, int, int]]


def snapshot(out: Path) -> Snapshot:
    """Every file under ``out``, aged first: its bytes, mtime and inode (a replaced file has a new one)."""
    found: Snapshot = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            os.utime(path, (OLD, OLD))
            stat = path.stat()
            found[str(path.relative_to(out))] = (path.read_bytes(), stat.st_mtime_ns, stat.st_ino)
    return found


def touched(before: Snapshot, out: Path) -> set[str]:
    """The files under ``out`` written, replaced, added or removed since ``before``."""
    after: Snapshot = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            stat = path.stat()
            after[str(path.relative_to(out))] = (path.read_bytes(), stat.st_mtime_ns, stat.st_ino)
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def bundle_of(names: set[str]) -> set[str]:
    return {Path(name).parts[0] for name in names}


def change(repo: Path, i: int) -> None:
    (repo / "specs" / f"{tenant(i)}.yaml").write_text(
        tenant_spec(i, {"connector": {"enabled": False}})
    )


def build(*extra: str) -> Result:
    return run("build", "specs", "-d", "out", *extra)


def check(*extra: str) -> Result:
    return run("check", "specs", "-d", "out", *extra)


# --- comparing with a revision ------------------------------------------------------------------


def test_previous_rev_rewrites_only_the_bundle_of_the_changed_spec(repo: Path) -> None:
    assert build().exit_code == 0
    before = snapshot(repo / "out")
    change(repo, 7)
    result = build("--previous-rev", "HEAD")
    assert result.exit_code == 0, result.output
    assert bundle_of(touched(before, repo / "out")) == {"t07"}
    assert "| Enabled | true | false |" in (repo / "out/t07/CHANGE.md").read_text()
    assert check().exit_code == 0


def test_the_same_previous_rev_build_again_writes_nothing(repo: Path) -> None:
    change(repo, 7)
    assert build("--previous-rev", "HEAD").exit_code == 0
    before = snapshot(repo / "out")
    assert build("--previous-rev", "HEAD").exit_code == 0
    assert touched(before, repo / "out") == set()


def test_a_plain_rebuild_of_a_folder_writes_nothing(repo: Path) -> None:
    assert build().exit_code == 0
    before = snapshot(repo / "out")
    result = build()
    assert result.exit_code == 0 and "built 20 of 20 spec(s)" in result.output
    assert touched(before, repo / "out") == set()


def test_an_unchanged_spec_keeps_the_comparison_its_bundle_records(repo: Path) -> None:
    change(repo, 3)
    git(repo, "commit", "-q", "-am", "t03 pauses its connector")
    assert build("--previous-rev", "HEAD~1").exit_code == 0
    compared = (repo / "out/t03/CHANGE.md").read_text()
    assert "| Enabled | true | false |" in compared
    before = snapshot(repo / "out")
    change(repo, 7)  # the next pull request
    assert build("--previous-rev", "HEAD").exit_code == 0
    assert bundle_of(touched(before, repo / "out")) == {"t07"}
    assert (repo / "out/t03/CHANGE.md").read_text() == compared
    assert check().exit_code == 0


def test_an_unchanged_spec_whose_bundle_must_be_rebuilt_gets_no_comparison(repo: Path) -> None:
    assert build().exit_code == 0
    (repo / "out/t05/CHANGE.md").unlink()
    assert build("--previous-rev", "HEAD").exit_code == 0
    assert PREVIOUS_MARK not in (repo / "out/t05/CHANGE.md").read_text()
    assert "previous" not in json.loads((repo / "out/t05/manifest.json").read_bytes())
    assert check().exit_code == 0


# --- the changes against the tenant ---------------------------------------------------------------


def test_previous_rev_with_states_rewrites_only_the_changed_bundle(repo: Path) -> None:
    assert build("--states", "states", "--previous-rev", "HEAD").exit_code == 0
    assert PREVIOUS_MARK not in (repo / "out/t01/CHANGE.md").read_text()
    before = snapshot(repo / "out")
    change(repo, 7)
    result = build("--states", "states", "--previous-rev", "HEAD")
    assert result.exit_code == 0, result.output
    assert bundle_of(touched(before, repo / "out")) == {"t07"}
    text = (repo / "out/t07/CHANGE.md").read_text()
    assert PREVIOUS_MARK in text and STATE_MARK in text
    assert check("--states", "states").exit_code == 0


def test_a_rebuild_without_states_keeps_every_unchanged_bundle_and_its_section(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    before = snapshot(repo / "out")
    result = build()
    assert result.exit_code == 0, result.output
    assert touched(before, repo / "out") == set()
    assert all(recorded_state(repo / "out" / tenant(i)) for i in range(1, FLEET + 1))


def test_a_rebuild_without_states_refuses_to_drop_a_changed_bundles_section(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    recorded = recorded_state(repo / "out/t07")
    assert recorded is not None
    before = snapshot(repo / "out")
    change(repo, 7)
    result = build()
    assert result.exit_code == 1
    refused = [line for line in result.output.splitlines() if "error[JG042]" in line]
    assert len(refused) == 1
    assert f"out{os.sep}t07" in refused[0]
    assert recorded["sha256"][:12] in refused[0] and "--states DIR" in refused[0]
    assert "--drop-state" in refused[0]
    assert touched(before, repo / "out") == set()  # t07 too: the board's section is still there
    assert "built 19 of 20 spec(s)" in result.output
    # Given the states, the same rebuild carries the section over to the new bundle.
    again = build("--states", "states")
    assert again.exit_code == 0, again.output
    assert bundle_of(touched(before, repo / "out")) == {"t07"}
    assert recorded_state(repo / "out/t07") == recorded
    assert check("--states", "states").exit_code == 0


def test_drop_state_rebuilds_without_the_section_and_says_so(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    recorded = recorded_state(repo / "out/t07")
    assert recorded is not None
    before = snapshot(repo / "out")
    change(repo, 7)
    result = build("--drop-state")
    assert result.exit_code == 0, result.output
    assert bundle_of(touched(before, repo / "out")) == {"t07"}
    assert STATE_MARK not in (repo / "out/t07/CHANGE.md").read_text()
    assert recorded_state(repo / "out/t07") is None
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    assert f"out{os.sep}t07" in notes[0] and recorded["sha256"][:12] in notes[0]
    assert check("--states", "states").exit_code == 0


def test_drop_state_and_a_state_for_the_spec_exclude_each_other(repo: Path) -> None:
    result = build("--states", "states", "--drop-state")
    assert result.exit_code == 2
    assert "--drop-state" in result.output and "not both" in result.output


def test_with_states_the_section_follows_the_state_file(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    before = snapshot(repo / "out")
    recaptured = repo / "states/t04.json"
    recaptured.write_text(tenant_state(4, "2026-12-24T08:00:00Z"))
    result = build("--states", "states")
    assert result.exit_code == 0, result.output
    assert bundle_of(touched(before, repo / "out")) == {"t04"}
    about = recorded_state(repo / "out/t04")
    assert about is not None and about["sha256"] == sha(recaptured)
    assert "2026-12-24T08:00:00Z" in (repo / "out/t04/CHANGE.md").read_text()
    assert check("--states", "states").exit_code == 0


def test_a_states_folder_missing_a_bundles_state_refuses_to_drop_its_section(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    (repo / "states/t09.json").unlink()
    change(repo, 9)
    before = snapshot(repo / "out")
    result = build("--states", "states")
    assert result.exit_code == 1
    assert "warning[JG040]" in result.output and "error[JG042]" in result.output
    assert touched(before, repo / "out") == set()


def test_check_fails_on_the_state_given_once_it_has_changed(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    (repo / "states/t04.json").write_text(tenant_state(4, "2026-12-24T08:00:00Z"))
    one = run("check", "specs/t04.yaml", "-d", "out", "--state", "states/t04.json")
    assert one.exit_code == 1 and "error[JG030]" in one.output
    strict = check("--states", "states", "--strict")
    assert strict.exit_code == 1 and "t04" in strict.output


def test_check_with_a_states_folder_fails_once_the_tenants_state_has_changed(repo: Path) -> None:
    assert build("--states", "states").exit_code == 0
    (repo / "states/t04.json").write_text(tenant_state(4, "2026-12-24T08:00:00Z"))
    assert check("--states", "states").exit_code == 1


# --- a property: what a build rewrites is what changed -------------------------------------------

SMALL = 6


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six specs with their states, committed and built with both; bundles in ``out``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("fleet")
    (root / ".journalgen-version").write_text(">=0\n")  # no pin is looked for above it
    write_specs(root / "specs", SMALL)
    write_states(root / "states", {f"{tenant(i)}.json": i for i in range(1, SMALL + 1)})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "fleet")
    assert build_in(root).exit_code == 0
    return root


def build_in(root: Path) -> Result:
    return run(
        "build", root / "specs", "-d", root / "out", "--states", root / "states",
        "--previous-rev", "HEAD",
    )  # fmt: skip


TENANTS = st.sets(st.integers(min_value=1, max_value=SMALL), max_size=SMALL)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=TENANTS, states=TENANTS)
def test_a_build_rewrites_exactly_the_bundles_whose_spec_or_state_changed(
    small_repo: Path, specs: set[int], states: set[int]
) -> None:
    root = small_repo
    before = snapshot(root / "out")
    try:
        for i in specs:
            change(root, i)
        for i in states:
            (root / "states" / f"{tenant(i)}.json").write_text(
                tenant_state(i, "2026-12-24T08:00:00Z")
            )
        result = build_in(root)
        assert result.exit_code == 0, result.output
        assert bundle_of(touched(before, root / "out")) == {tenant(i) for i in specs | states}
        checked = run("check", root / "specs", "-d", root / "out", "--states", root / "states")
        assert checked.exit_code == 0, checked.output
    finally:
        for i in specs:
            (root / "specs" / f"{tenant(i)}.yaml").write_text(tenant_spec(i))
        for i in states:
            (root / "states" / f"{tenant(i)}.json").write_text(tenant_state(i))
        assert build_in(root).exit_code == 0

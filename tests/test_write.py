"""Output files: their mode follows the umask, and a build makes them durable once, at its end."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.bundle import BUNDLE_FILES
from journalgen.cli import main
from journalgen.write import write_atomic, write_files
from tests.conftest import SAMPLES

INIT = [
    "init",
    "--vendor",
    "mimecast",
    "--region",
    "us",
    "--domain",
    "contoso.com",
    "--organization",
    "contoso.onmicrosoft.com",
    "--ndr-address",
    "journal-ndr@contoso.com",
]


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under the umask it is parametrized with, then restore the old one."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


MODES = [
    pytest.param(0o022, 0o644, id="umask-022"),
    pytest.param(0o027, 0o640, id="umask-027"),
    pytest.param(0o077, 0o600, id="umask-077"),
]


@pytest.mark.parametrize(("umask", "expected"), MODES, indirect=["umask"])
def test_build_writes_files_with_the_umasks_mode(umask: int, expected: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(SAMPLES[0]), "-d", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted((out / SAMPLES[0].stem).iterdir())
    assert [p.name for p in files] == sorted(BUNDLE_FILES)
    assert {p.name: mode(p) for p in files} == dict.fromkeys(sorted(BUNDLE_FILES), expected)


@pytest.mark.parametrize(("umask", "expected"), MODES[:2], indirect=["umask"])
def test_render_to_file_has_the_umasks_mode(umask: int, expected: int, tmp_path: Path) -> None:
    target = tmp_path / "apply.ps1"
    result = CliRunner().invoke(main, ["render", str(SAMPLES[0]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == expected


@pytest.mark.parametrize(("umask", "expected"), MODES[:2], indirect=["umask"])
def test_init_to_file_has_the_umasks_mode(umask: int, expected: int, tmp_path: Path) -> None:
    target = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, [*INIT, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == expected


@pytest.mark.parametrize("umask", [pytest.param(0o022, id="umask-022")], indirect=True)
def test_a_replaced_file_gets_the_umasks_mode_not_its_old_one(umask: int, tmp_path: Path) -> None:
    target = tmp_path / "apply.ps1"
    target.write_bytes(b"old")
    target.chmod(0o600)  # as journalgen 0.1 left its outputs
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o644


def test_reading_the_umask_leaves_it_as_it_was(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_files(tmp_path, {"a": b"a"})
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(os, name)

    def counted(*args: object) -> object:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(os, name, counted)
    return calls


@pytest.mark.skipif(not hasattr(os, "sync"), reason="the platform has no os.sync")
def test_build_syncs_once_instead_of_fsyncing_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    for n in range(3):
        # Three tenants: specs for one tenant that overlap are not built (JG501).
        shutil.copy(SAMPLES[n], specs / f"tenant-{n}.yaml")
    fsyncs = count_calls(monkeypatch, "fsync")
    syncs = count_calls(monkeypatch, "sync")
    result = CliRunner().invoke(main, ["build", str(specs), "-d", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").iterdir())) == 3
    assert (len(fsyncs), len(syncs)) == (0, 1)


@pytest.mark.skipif(not hasattr(os, "sync"), reason="the platform has no os.sync")
def test_build_that_writes_nothing_does_not_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntenant:\n  primary_domain: contoso\n")
    syncs = count_calls(monkeypatch, "sync")
    result = CliRunner().invoke(main, ["build", str(bad), "-d", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert syncs == []


def test_a_single_file_is_fsynced_before_it_replaces_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs = count_calls(monkeypatch, "fsync")
    write_atomic(tmp_path / "spec.yaml", b"x")
    assert len(fsyncs) == 2  # the file, then its folder

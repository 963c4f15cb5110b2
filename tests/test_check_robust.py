"""`check` on folders it cannot read, and on an out dir that holds more than bundles."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from journalgen.cli import main
from tests.conftest import ROOT

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
LITWARE = ROOT / "samples" / "litware-custom.yaml"


def chmod_denies() -> bool:
    """Whether chmod 000 keeps this process out of a folder (not for root, nor on Windows)."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe"
        probe.mkdir()
        probe.chmod(0)
        try:
            os.listdir(probe)
        except PermissionError:
            return True
        finally:
            probe.chmod(0o700)
    return False


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def specs_folder(where: Path) -> Path:
    specs = where / "specs"
    specs.mkdir()
    for spec in (MIMECAST, LITWARE):
        shutil.copy(spec, specs)
    return specs


def build(specs: Path, out: Path) -> None:
    result = run("build", specs, "--out-dir", out)
    assert result.exit_code == 0, result.output


def deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make ``denied`` unreadable as chmod 000 does for anyone but root."""
    denied = denied.absolute()
    real_iterdir, real_read_bytes, real_open = Path.iterdir, Path.read_bytes, Path.open

    def refused(path: Path) -> bool:
        path = path.absolute()
        return path == denied or denied in path.parents

    def iterdir(self: Path) -> Iterator[Path]:
        if refused(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    def read_bytes(self: Path) -> bytes:
        if refused(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        if refused(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "open", open_)


def positioned(result: Result, file: Path, code: str) -> bool:
    pattern = rf"^{re.escape(str(file))}:1:1: error\[{code}\]: "
    return re.search(pattern, result.output, re.M) is not None


def test_an_unreadable_bundle_folder_is_a_positioned_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = specs_folder(tmp_path)
    build(specs, tmp_path / "out")
    bundle = tmp_path / "out" / "contoso-mimecast"
    deny(monkeypatch, bundle)
    result = run("check", specs, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "JG900" not in result.output
    assert positioned(result, bundle, "JG031"), result.output
    # Not "missing": the files may well be there.
    assert "JG022" not in result.output
    # The other bundle is still checked, and up to date.
    assert str(tmp_path / "out" / "litware-custom") not in result.output


def test_an_unreadable_bundle_file_is_not_reported_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = specs_folder(tmp_path)
    build(specs, tmp_path / "out")
    apply = tmp_path / "out" / "contoso-mimecast" / "apply.ps1"
    deny(monkeypatch, apply)
    result = run("check", specs / MIMECAST.name, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert positioned(result, apply, "JG031"), result.output
    assert "JG022" not in result.output


def test_an_unreadable_out_dir_is_a_positioned_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = specs_folder(tmp_path)
    build(specs, tmp_path / "out")
    deny(monkeypatch, tmp_path / "out")
    result = run("check", specs, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "JG900" not in result.output
    assert positioned(result, tmp_path / "out", "JG031"), result.output


@pytest.mark.skipif(
    not chmod_denies(), reason="chmod 000 does not deny here (root); a monkeypatch covers it"
)
def test_a_chmod_000_bundle_folder_is_a_positioned_error(tmp_path: Path) -> None:
    specs = specs_folder(tmp_path)
    build(specs, tmp_path / "out")
    bundle = tmp_path / "out" / "contoso-mimecast"
    bundle.chmod(0)
    try:
        result = run("check", specs, "--out-dir", tmp_path / "out")
    finally:
        bundle.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert positioned(result, bundle, "JG031"), result.output


@pytest.mark.parametrize("out", [".", "specs"])
def test_the_spec_folder_in_the_out_dir_is_no_orphan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    monkeypatch.chdir(tmp_path)
    specs = specs_folder(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("notes\n")
    build(Path("specs"), Path(out))
    result = run("check", "specs", "--out-dir", out)
    assert result.exit_code == 0, result.output
    assert "JG028" not in result.output
    assert specs.is_dir()


def test_a_folder_that_looks_like_a_bundle_is_still_an_orphan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    specs_folder(tmp_path)
    build(Path("specs"), Path("."))
    shutil.copytree("contoso-mimecast", "offboarded")
    half = tmp_path / "half"
    half.mkdir()
    (half / "apply.ps1").write_bytes((tmp_path / "contoso-mimecast" / "apply.ps1").read_bytes())
    result = run("check", "specs", "--out-dir", ".")
    assert result.exit_code == 1, result.output
    assert positioned(result, Path("offboarded"), "JG028"), result.output
    assert positioned(result, Path("half"), "JG028"), result.output
    assert not positioned(result, Path("specs"), "JG028")

"""Where build writes: never through a link or outside the out dir, never under a name it cannot show."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from tests.conftest import SAMPLES

BY_NAME = {p.stem: p for p in SAMPLES}
# Two specs for two tenants, so they build together without clashing.
A = BY_NAME["adatum-barracuda"]
B = BY_NAME["northwind-custom-tls"]


def link(path: Path, target: Path) -> None:
    try:
        path.symlink_to(target, target_is_directory=target.is_dir())
    except (OSError, NotImplementedError):
        pytest.skip("this platform or user cannot make symbolic links")


def specs(tmp_path: Path, **names: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name, sample in names.items():
        shutil.copy(sample, folder / f"{name}.yaml")
    return folder


def every_file(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def build(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", *args])
    assert "Traceback" not in result.output and "JG900" not in result.output
    return result.exit_code, result.output


# --- item 4: links ---------------------------------------------------------------------------


def test_a_symlinked_bundle_folder_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    folder = specs(tmp_path, a=A, b=B)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "apply.ps1").write_text("someone else's file")
    out = tmp_path / "out"
    out.mkdir()
    link(out / "b", outside)
    code, output = build(str(folder), "-d", str(out))
    assert code == 1
    assert f"{out / 'b'}:1:1: error[JG032]: a symbolic link" in output
    assert "built 0 of 2 spec(s)" in output
    assert every_file(outside) == ["apply.ps1"]
    assert (outside / "apply.ps1").read_text() == "someone else's file"
    assert not (out / "a").exists()  # nothing for any spec


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_linked_bundle_and_file_is_reported_at_once(tmp_path: Path, jobs: str) -> None:
    folder = specs(tmp_path, a=A, b=B)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("keep")
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    link(out / "a" / "apply.ps1", secret)
    link(out / "a" / "CHANGE.md", secret)
    link(out / "b", outside)
    code, output = build(str(folder), "-d", str(out), "-j", jobs)
    assert code == 1
    assert output.count("error[JG032]") == 3
    for linked in (out / "a" / "CHANGE.md", out / "a" / "apply.ps1", out / "b"):
        assert f"{linked}:1:1: error[JG032]" in output
    assert secret.read_text() == "keep"
    assert (out / "a" / "apply.ps1").is_symlink()
    assert sorted(p.name for p in (out / "a").iterdir()) == ["CHANGE.md", "apply.ps1"]


@pytest.mark.parametrize(("name", "lands"), [("..", "parent"), (".", "out")])
def test_a_spec_named_dot_or_dot_dot_does_not_build_outside_its_folder(
    tmp_path: Path, name: str, lands: str
) -> None:
    # '...yaml' has the stem '..': out/.. is the out dir's parent; '..yaml' would be out itself.
    parent = tmp_path / "parent"
    out = parent / "out"
    out.mkdir(parents=True)
    spec = tmp_path / f"{name}.yaml"
    shutil.copy(A, spec)
    code, output = build(str(spec), "-d", str(out))
    assert code == 1
    assert f"{out / name}:1:1: error[JG033]: " in output
    assert every_file(parent) == ["out"]


def test_refuse_links_finds_a_linked_file_that_check_would_accept(tmp_path: Path) -> None:
    from journalgen.write import refuse_links

    out = tmp_path / "out"
    code, _ = build(str(A), "-d", str(out))
    assert code == 0
    bundle = out / A.stem
    assert refuse_links(bundle, out) == []
    outside = tmp_path / "apply.ps1"
    shutil.move(bundle / "apply.ps1", outside)
    link(bundle / "apply.ps1", outside)  # identical bytes: compare_bundle alone accepts it
    found = refuse_links(bundle, out)
    assert [(d.file, d.code) for d in found] == [(str(bundle / "apply.ps1"), "JG032")]


# --- item 12: a failed write leaves nothing behind -------------------------------------------


@pytest.mark.parametrize("fails", ["stage", "replace"])
def test_a_failed_bundle_write_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    out = tmp_path / "new" / "out"
    calls = 0

    def second_call_fails(real: object) -> object:
        def wrapped(*args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            if calls == 2:  # mid-bundle: one file is already staged or in place
                raise OSError(28, "No space left on device")
            return real(*args, **kwargs)  # type: ignore[operator]

        return wrapped

    import tempfile

    if fails == "stage":
        monkeypatch.setattr(tempfile, "mkstemp", second_call_fails(tempfile.mkstemp))
    else:
        monkeypatch.setattr(os, "replace", second_call_fails(os.replace))
    code, output = build(str(A), "-d", str(out))
    assert code == 1
    assert "error[JG024]" in output and "No space left on device" in output
    assert every_file(tmp_path) == []


def test_a_failed_write_into_an_existing_folder_keeps_that_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (out / A.stem).mkdir(parents=True)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    code, _ = build(str(A), "-d", str(out))
    assert code == 1
    assert every_file(tmp_path) == ["out", f"out{os.sep}{A.stem}"]


# --- item 6: a spec file name that is not UTF-8 ------------------------------------------------

needs_bytes_names = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="the file system takes only Unicode file names"
)


@pytest.fixture
def latin1(tmp_path: Path) -> Path:
    """A folder with a good spec and one named b'caf\\xe9.yaml' (Latin-1, not UTF-8)."""
    folder = specs(tmp_path, good=B)
    name = os.fsdecode(b"caf\xe9.yaml")
    try:
        shutil.copy(A, folder / name)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses a name that is not UTF-8")
    return folder


@needs_bytes_names
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_build_reports_a_file_name_that_is_not_utf8(
    latin1: Path, tmp_path: Path, jobs: str
) -> None:
    out = tmp_path / "out"
    code, output = build(str(latin1), "-d", str(out), "-j", jobs)
    assert code == 1
    assert f"{latin1}{os.sep}caf\\xe9.yaml:1:1: error[JG015]: " in output
    assert "built 1 of 2 spec(s)" in output
    assert os.listdir(out) == ["good"]


@needs_bytes_names
def test_build_json_shows_the_name_escaped(latin1: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", str(latin1), "-d", str(tmp_path / "out"), "--format", "json"]
    )
    assert result.exit_code == 1
    result.stdout_bytes.decode("utf-8")  # strict: every byte of the report is UTF-8
    report = json.loads(result.stdout)
    escaped = str(latin1 / "caf\\xe9.yaml")
    assert escaped in report["files"]
    assert [d["code"] for d in report["diagnostics"] if d["file"] == escaped] == ["JG015"]


@needs_bytes_names
@pytest.mark.parametrize("command", ["validate", "check"])
def test_validate_and_check_report_it_too(latin1: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [command, str(latin1)] + (["-d", str(out)] if command == "check" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "JG900" not in result.output
    assert f"{latin1}{os.sep}caf\\xe9.yaml:1:1: error[JG015]: " in result.output


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_check_refuses_a_linked_bundle_even_with_identical_bytes(
    tmp_path: Path, linked: str
) -> None:
    out = tmp_path / "out"
    code, _ = build(str(A), "-d", str(out))
    assert code == 0
    bundle = out / A.stem
    if linked == "file":
        outside = tmp_path / "apply.ps1"
        shutil.move(bundle / "apply.ps1", outside)
        link(bundle / "apply.ps1", outside)
        where = bundle / "apply.ps1"
    else:
        elsewhere = tmp_path / "elsewhere"
        shutil.move(bundle, elsewhere)
        link(bundle, elsewhere)
        where = bundle
    result = CliRunner().invoke(main, ["check", str(A), "-d", str(out)])
    assert result.exit_code == 1, result.output
    assert f"{where}:1:1: error[JG032]: " in result.output


@pytest.mark.parametrize("command", ["validate", "check"])
def test_json_reports_name_a_non_utf8_file_in_utf8(
    latin1: Path, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [command, str(latin1), "--format", "json"]
    args += ["-d", str(out)] if command == "check" else []
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    report = json.loads(result.stdout_bytes.decode("utf-8"))
    assert f"{latin1}{os.sep}caf\\xe9.yaml" in report["files"]

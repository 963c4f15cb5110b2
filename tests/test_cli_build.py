from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from tests.conftest import BATCH, SAMPLES

BAD = "version: 1\ntenant:\n  primary_domain: contoso\n"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SAMPLES[0], folder / "good.yaml")
    (folder / "bad.yaml").write_text(BAD)
    return folder


def test_build_writes_good_specs_and_skips_bad_ones(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(specs), "--out-dir", str(out)])
    assert result.exit_code == 1
    assert (out / "good" / "apply.ps1").read_bytes().startswith(b"\xef\xbb\xbf<#")
    assert not (out / "bad").exists()
    assert "bad.yaml:3:19: error[JG106]" in result.output
    assert "built 1 of 2 spec(s)" in result.output


def test_build_all_good_exits_zero_and_is_deterministic(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(main, ["build", *map(str, BATCH), "-d", str(first)]).exit_code == 0
    assert runner.invoke(main, ["build", *map(str, BATCH), "-d", str(second)]).exit_code == 0
    for sample in BATCH:
        name = f"{sample.stem}/apply.ps1"
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_build_refuses_two_specs_with_one_output_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    shutil.copy(SAMPLES[0], tmp_path / "x" / "same.yaml")
    shutil.copy(SAMPLES[0], tmp_path / "y" / "same.yaml")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "x"), str(tmp_path / "y"), "-d", str(out)]
    )
    assert result.exit_code == 2
    assert "would both build into 'same/'" in result.output
    assert not out.exists()


def test_failed_write_leaves_existing_files_untouched(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (out / "good").mkdir(parents=True)
    (out / "good" / "apply.ps1").write_bytes(b"old")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = CliRunner().invoke(main, ["build", str(specs / "good.yaml"), "-d", str(out)])
    assert result.exit_code == 1
    assert f"{out / 'good'}:1:1: error[JG024]: cannot write to" in result.output
    assert "No space left on device" in result.output
    assert "built 0 of 1 spec(s)" in result.output
    assert "Traceback" not in result.output
    assert (out / "good" / "apply.ps1").read_bytes() == b"old"
    assert sorted(p.name for p in (out / "good").iterdir()) == ["apply.ps1"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bundle_that_cannot_be_written_loses_nothing_else(tmp_path: Path, jobs: str) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    by_name = {p.stem: p for p in SAMPLES}
    # a-warned has a warning, b-blocked's bundle folder is taken by a file, c-good builds.
    # Three tenants: specs for one tenant that overlap are an error (JG501) and are not built.
    shutil.copy(by_name["adatum-barracuda"], folder / "a-warned.yaml")
    shutil.copy(by_name["contoso-mimecast"], folder / "b-blocked.yaml")
    shutil.copy(by_name["northwind-custom-tls"], folder / "c-good.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b-blocked").write_text("not a folder")
    result = CliRunner().invoke(main, ["build", str(folder), "-d", str(out), "-j", jobs])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{folder / 'a-warned.yaml'}:") and "warning[JG215]" in lines[0]
    assert lines[1].startswith(f"{out / 'b-blocked'}:1:1: error[JG024]: cannot write to ")
    assert lines[2:] == [f"built 2 of 3 spec(s) into {out}"]
    assert (out / "a-warned" / "apply.ps1").is_file()
    assert (out / "c-good" / "apply.ps1").is_file()
    assert (out / "b-blocked").read_text() == "not a folder"


def test_a_failed_write_is_in_the_json_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / SAMPLES[0].stem).write_text("not a folder")
    args = ["build", str(SAMPLES[0]), "-d", str(out), "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1
    assert [d["code"] for d in report["diagnostics"]] == ["JG215", "JG024"]


def test_render_prints_the_script_bytes() -> None:
    result = CliRunner().invoke(main, ["render", str(SAMPLES[0])])
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf<#\r\n")


def test_render_to_file_and_bad_spec(specs: Path, tmp_path: Path) -> None:
    target = tmp_path / "apply.ps1"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["render", str(specs / "good.yaml"), "-o", str(target)]).exit_code == 0
    )
    before = target.read_bytes()
    result = runner.invoke(main, ["render", str(specs / "bad.yaml"), "-o", str(target)])
    assert result.exit_code == 1
    assert "error[JG106]" in result.output
    assert target.read_bytes() == before


def test_build_missing_out_dir_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["build", str(SAMPLES[0])])
    assert result.exit_code == 2


def test_build_json_format_lists_every_file(specs: Path, tmp_path: Path) -> None:
    import json

    result = CliRunner().invoke(
        main, ["build", str(specs), "-d", str(tmp_path / "o"), "--format", "json"]
    )
    payload = json.loads(result.stdout)
    assert payload["errors"] >= 1
    assert sorted(Path(f).name for f in payload["files"]) == ["bad.yaml", "good.yaml"]


def test_only_specs_sharing_a_tenant_are_compiled_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journalgen import compiler

    folder = tmp_path / "specs"
    folder.mkdir()
    by_name = {p.stem: p for p in SAMPLES}
    shutil.copy(by_name["adatum-barracuda"], folder / "a.yaml")
    shutil.copy(by_name["northwind-custom-tls"], folder / "b.yaml")
    shutil.copy(by_name["contoso-mimecast"], folder / "c.yaml")
    # A second contoso spec that overlaps c.yaml: both are compiled once for their claims.
    (folder / "d.yaml").write_bytes(by_name["contoso-mimecast"].read_bytes())
    compiled: list[str] = []
    real = compiler.check_source

    def counting(source: bytes, file: str, *, strict: bool = False) -> compiler.Checked:
        compiled.append(Path(file).name)
        return real(source, file, strict=strict)

    monkeypatch.setattr(compiler, "check_source", counting)
    result = CliRunner().invoke(main, ["build", str(folder), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "error[JG501]" in result.output
    assert sorted(compiled) == ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a", "b"]

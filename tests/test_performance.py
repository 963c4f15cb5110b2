from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from journalgen.cli import main
from journalgen.powershell import _SIGNATURE_LINE, _edit_distance_below
from tests.conftest import BATCH as SAMPLES
from tests.conftest import ROOT
from tests.psparse import _edit_distance

# Runs one command through the CLI in a fresh interpreter, then names the heavy modules it loaded.
PROBE = """
import sys
from click.testing import CliRunner
from journalgen.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(" ".join(name for name in ("pydantic", "jinja2") if name in sys.modules))
"""


def loaded_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_neither_pydantic_nor_jinja(flag: str) -> None:
    assert loaded_by(flag) == set()


def test_validate_does_not_import_jinja() -> None:
    assert loaded_by("validate", str(SAMPLES[0])) == {"pydantic"}


@given(st.text(alphabet="sigbenatuFlock#\n x", max_size=34), st.integers(0, 40))
def test_bounded_edit_distance_agrees_with_the_full_one(text: str, limit: int) -> None:
    expected = _edit_distance(text, _SIGNATURE_LINE) < limit
    assert _edit_distance_below(text, _SIGNATURE_LINE, limit) is expected


@pytest.fixture
def mixed_specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for sample in SAMPLES:
        shutil.copy(sample, folder / sample.name)
    (folder / "broken.yaml").write_text("version: 1\ntenant:\n  primary_domain: contoso\n")
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def invoke(*args: str, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--out-dir", str(out)])
    return result.exit_code, result.output.replace(str(out), "OUT")


def test_build_with_jobs_writes_the_same_bytes_and_reports_the_same(
    mixed_specs: Path, tmp_path: Path
) -> None:
    one = invoke("build", str(mixed_specs), out=tmp_path / "one")
    two = invoke("build", str(mixed_specs), "--jobs", "2", out=tmp_path / "two")
    assert one[0] == 1
    assert "broken.yaml:3:19: error[JG106]" in one[1]
    assert "warning[" in one[1]
    assert two == one
    assert len(tree(tmp_path / "one")) >= len(SAMPLES)
    assert tree(tmp_path / "two") == tree(tmp_path / "one")


def test_check_with_jobs_reports_the_same(mixed_specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("build", str(mixed_specs), out=out)
    (out / SAMPLES[0].stem / "apply.ps1").write_bytes(b"edited")
    (out / SAMPLES[-1].stem / "apply.ps1").unlink()
    one = invoke("check", str(mixed_specs), out=out)
    two = invoke("check", str(mixed_specs), "--jobs", "2", out=out)
    assert one[0] == 1
    assert "error[JG021]" in one[1]
    assert "error[JG022]" in one[1]
    assert two == one


def test_build_with_jobs_reports_a_write_failure_like_one_process(
    mixed_specs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / SAMPLES[0].stem / "apply.ps1").mkdir(parents=True)
    one = invoke("build", str(mixed_specs), out=out)
    two = invoke("build", str(mixed_specs), "--jobs", "2", out=out)
    assert one[0] == 1
    assert "a folder has that name" in one[1]
    assert two == one

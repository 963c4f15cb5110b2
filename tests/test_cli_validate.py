"""The validate and schema commands through click: exit codes, formats, --strict, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from journalgen import __version__, compiler
from journalgen.cli import main
from tests.spectext import spec_text
from tools import regen

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
SCHEMA = ROOT / "schemas" / "journalgen-spec-v1.schema.json"
# Samples that need no acknowledged downgrade or unconfirmed preset value.
STRICT_SAMPLES = ["contoso-mimecast.yaml", "fabrikam-recipients.yaml", "northwind-custom-tls.yaml"]
SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/journalgen-spec-v1.schema.json"

BAD = "version: 2\n"
# Another tenant than good.yaml's: specs for one tenant that overlap are an error (JG501).
WARN = spec_text(
    {
        "tenant": {"primary_domain": "fabrikam.com", "organization": "fabrikam.onmicrosoft.com"},
        "journal_rules": [{"name": "Off", "enabled": False}],
        "ndr": {"address": "journal-ndr@fabrikam.com"},
    }
)
WARN_MESSAGE = (
    "journal rule 'Off' is disabled: mail in its scope will not be archived; "
    "write 'paused_reason' to say the pause is deliberate"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="journalgen", catch_exceptions=False)


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a good, a bad and a warning spec; file names in output are relative to it."""
    (tmp_path / "good.yaml").write_text(spec_text(), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "warn.yml").write_text(WARN, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a spec", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- exit codes ---------------------------------------------------------------------------------


def test_valid_spec_exits_0(specs: Path) -> None:
    result = run("validate", "good.yaml")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "1 spec(s) valid\n"


def test_invalid_spec_exits_1(specs: Path) -> None:
    result = run("validate", "bad.yaml")
    assert result.exit_code == 1
    assert result.stdout == (
        "bad.yaml:1:10: error[JG100]: unsupported spec version 2; this journalgen reads version 1\n"
    )


def test_missing_file_exits_1_with_a_diagnostic(specs: Path) -> None:
    result = run("validate", "nope.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("nope.yaml:1:1: error[JG001]: does not exist")


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "xml", "good.yaml"],
        ["validate", "--nope", "good.yaml"],
    ],
    ids=["no-spec", "bad-format", "unknown-option"],
)
def test_usage_errors_exit_2(specs: Path, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage: journalgen validate" in result.stderr


def test_folder_without_specs_is_a_usage_error(specs: Path) -> None:
    (specs / "empty").mkdir()
    result = run("validate", "empty")
    assert result.exit_code == 2
    assert result.stderr == "journalgen: error: no *.yaml or *.yml spec files in folder empty\n"


# --- several files and folders ------------------------------------------------------------------


def test_several_files_report_every_problem(specs: Path) -> None:
    result = run("validate", "good.yaml", "bad.yaml", "warn.yml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "bad.yaml:1:10: error[JG100]: unsupported spec version 2; this journalgen reads version 1",
        f"warn.yml:10:12: warning[JG218]: {WARN_MESSAGE}",
    ]


def test_a_folder_expands_to_its_yaml_and_yml_files(specs: Path) -> None:
    result = run("validate", "--format", "json", ".")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"] == ["bad.yaml", "good.yaml", "warn.yml"]


def test_warnings_alone_exit_0(specs: Path) -> None:
    result = run("validate", "good.yaml", "warn.yml")
    assert result.exit_code == 0
    assert result.stdout == f"warn.yml:10:12: warning[JG218]: {WARN_MESSAGE}\n"
    assert result.stderr == "2 spec(s) valid\n"


def test_strict_turns_warnings_into_errors(specs: Path) -> None:
    result = run("validate", "--strict", "warn.yml")
    assert result.exit_code == 1
    assert result.stdout == f"warn.yml:10:12: error[JG218]: {WARN_MESSAGE}\n"


# --- formats ------------------------------------------------------------------------------------


def test_json_format(specs: Path) -> None:
    result = run("validate", "--format", "json", "bad.yaml", "warn.yml")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "files": ["bad.yaml", "warn.yml"],
        "errors": 1,
        "warnings": 1,
        "diagnostics": [
            {
                "file": "bad.yaml",
                "line": 1,
                "column": 10,
                "severity": "error",
                "code": "JG100",
                "message": "unsupported spec version 2; this journalgen reads version 1",
            },
            {
                "file": "warn.yml",
                "line": 10,
                "column": 12,
                "severity": "warning",
                "code": "JG218",
                "message": WARN_MESSAGE,
            },
        ],
    }


def test_json_format_for_a_valid_spec(specs: Path) -> None:
    result = run("validate", "--format", "json", "good.yaml")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "files": ["good.yaml"],
        "errors": 0,
        "warnings": 0,
        "diagnostics": [],
    }
    assert result.stderr == ""


def test_github_format(specs: Path) -> None:
    result = run("validate", "--format", "github", "bad.yaml", "warn.yml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=bad.yaml,line=1,col=10,title=JG100::unsupported spec version 2; "
        "this journalgen reads version 1",
        f"::warning file=warn.yml,line=10,col=12,title=JG218::{WARN_MESSAGE}",
    ]


def test_github_format_escapes_properties_and_messages(specs: Path) -> None:
    (specs / "a,b:c.yaml").write_text("version: 1\nversion: 1\n", encoding="utf-8")
    result = run("validate", "--format", "github", "a,b:c.yaml")
    assert result.stdout == (
        "::error file=a%2Cb%3Ac.yaml,line=2,col=1,title=JG008::"
        "duplicate key 'version' (first defined at line 1); keep one\n"
    )


# --- version, help, internal errors -------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert result.exit_code == 0
    assert result.stdout == f"journalgen, version {__version__}\n"


def test_the_version_is_declared_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "journalgen.__version__"}


def test_python_dash_m_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "journalgen", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == f"journalgen, version {__version__}\n"


def test_version_help_and_schema_import_neither_pydantic_nor_jinja2() -> None:
    code = (
        "import sys\n"
        "from journalgen.cli import main\n"
        "for args in (['--version'], ['--help'], ['validate', '--help'], ['schema']):\n"
        "    try:\n"
        "        main(args, prog_name='journalgen')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('pydantic', 'jinja2', 'yaml') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.splitlines()[-1] == "[]"


def test_validate_help() -> None:
    result = run("validate", "--help")
    assert result.exit_code == 0
    for option in ("--strict", "--format", "SPECS"):
        assert option in result.stdout


def test_internal_error_is_one_line_without_traceback(
    specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(source: bytes, file: str, *, strict: bool = False) -> compiler.Checked:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(compiler, "check_source", explode)
    result = CliRunner().invoke(main, ["validate", "good.yaml"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "journalgen: error[JG900]: internal error (RuntimeError: kaboom); please report it\n"
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- schema and samples -------------------------------------------------------------------------


def test_schema_command_prints_the_packaged_schema_which_is_the_models() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert result.stdout == SCHEMA.read_text(encoding="utf-8")
    assert result.stdout == regen.schema_json(), (
        "schemas/journalgen-spec-v1.schema.json is stale: run 'python tools/regen.py'"
    )
    assert json.loads(result.stdout)["$id"] == "urn:journalgen:spec-v1"  # an identifier, no URL


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_starts_with_the_schema_line(sample: Path) -> None:
    assert sample.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_validates(sample: Path) -> None:
    result = run("validate", str(sample))
    assert result.exit_code == 0, result.stdout
    assert " error[" not in result.stdout


@pytest.mark.parametrize("name", STRICT_SAMPLES)
def test_sample_validates_without_warnings(name: str) -> None:
    result = run("validate", "--strict", str(ROOT / "samples" / name))
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_there_are_at_least_three_samples() -> None:
    assert len(SAMPLES) >= 3
    assert ROOT / "samples" / "contoso-mimecast.yaml" in SAMPLES


def test_a_huge_file_is_refused_after_reading_only_past_the_limit(tmp_path: Path) -> None:
    from journalgen import app
    from journalgen.loader import MAX_BYTES

    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES * 4))
    assert len(app.read_spec(big)) == MAX_BYTES + 1
    result = CliRunner().invoke(main, ["validate", str(big)])
    assert result.exit_code == 1
    assert f"{big}:1:1: error[JG004]: file is larger than {MAX_BYTES} bytes" in result.output


def test_a_sample_with_an_acknowledged_warning_passes_strict_and_still_shows_it() -> None:
    result = run("validate", "--strict", str(ROOT / "samples" / "wingtip-mimecast-eu.yaml"))
    assert result.exit_code == 0, result.stdout
    assert "warning[JG305]" in result.stdout and "(acknowledged: " in result.stdout

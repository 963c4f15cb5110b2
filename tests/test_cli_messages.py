"""The CLI's messages and streams, as a new user meets them: one error style, summaries, -o, help."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from journalgen import __version__
from journalgen.cli import main
from journalgen.spec import SCHEMA_FILE
from tests.conftest import ROOT

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
STATE = ROOT / "samples" / "states" / "contoso-mimecast.json"


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec repository (specs/, generated/) with one fresh bundle; the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "specs").mkdir()
    shutil.copy(MIMECAST, tmp_path / "specs" / "tenant.yaml")
    assert run("build", "specs", "-d", "generated").exit_code == 0
    return tmp_path


INIT = (
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
)


@pytest.mark.parametrize("command", ["init", "import"])
def test_a_new_spec_says_where_its_schema_path_resolves(command: str, tmp_path: Path) -> None:
    args = INIT if command == "init" else ("import", str(STATE))
    result = run(*args)
    assert result.exit_code == 0, result.output
    first, *header = result.stdout.splitlines()[:3]
    assert first == f"# yaml-language-server: $schema=../schemas/{SCHEMA_FILE}"
    assert "specs/" in header[0]
    command_line = f"journalgen schema > schemas/{SCHEMA_FILE}"
    assert header[1].endswith(command_line)
    # Done as the header says, the path resolves from a spec in specs/.
    for folder in ("schemas", "specs"):
        (tmp_path / folder).mkdir()
    (tmp_path / "schemas" / SCHEMA_FILE).write_text(run("schema").stdout)
    (tmp_path / "specs" / "tenant.yaml").write_text(result.stdout)
    target = tmp_path / "specs" / first.split("$schema=", 1)[1]
    assert json.loads(target.read_text())["$id"] == "urn:journalgen:spec-v1"


def test_init_names_every_missing_flag_at_once() -> None:
    result = run("init", "--vendor", "mimecast", "--domain", "contoso.com", "--no-interactive")
    assert result.exit_code == 2
    assert result.stderr.startswith("journalgen: error: missing --region (one of: us,")
    for flag in ("--organization", "--ndr-address"):
        assert flag in result.stderr
    assert "--domain" not in result.stderr and "--vendor" not in result.stderr


def test_a_vendor_without_regions_is_not_asked_for_one() -> None:
    result = run("init", "--vendor", "barracuda", "--no-interactive")
    assert result.exit_code == 2
    assert "--region" not in result.stderr and "--organization" in result.stderr


def test_capture_script_reports_a_bad_organization_like_every_command() -> None:
    result = run("capture-script", "--organization", "contoso.com")
    assert result.exit_code == 2
    assert result.stderr.startswith("journalgen: error: --organization: 'contoso.com' is not")
    assert "Usage:" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [("probe",), ("capture-script",), ("render", str(MIMECAST))],
)
def test_every_output_option_says_what_it_wrote(args: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out.ps1"
    result = run(*args, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out}\n" and result.stdout == ""
    assert out.read_bytes() == run(*args).stdout_bytes


def test_check_sums_up_a_failure(repo: Path) -> None:
    apply = repo / "generated" / "tenant" / "apply.ps1"
    apply.write_bytes(apply.read_bytes() + b"# edited\r\n")
    # A bundle whose spec was deleted: only a folder that looks like a bundle is one.
    shutil.copytree(repo / "generated" / "tenant", repo / "generated" / "gone")
    result = run("check", "specs", "-d", "generated")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "1 of 1 spec(s) have errors or a bundle that is not up to date; "
        "generated holds a bundle with no spec"
    )


def test_after_an_upgrade_one_line_gives_the_one_command_that_rebuilds_every_bundle(
    repo: Path,
) -> None:
    shutil.copy(ROOT / "samples" / "litware-custom.yaml", repo / "specs" / "other tenant.yaml")
    assert run("build", "specs", "-d", "generated").exit_code == 0
    for manifest in (repo / "generated").glob("*/manifest.json"):
        text = manifest.read_text().replace(f'"journalgen {__version__}"', '"journalgen 0.0.1"')
        manifest.write_text(text)
    result = run("check", "specs", "-d", "generated")
    assert result.exit_code == 1
    assert result.stdout.count("error[JG025]") == 2
    assert result.stderr.splitlines()[-1] == (
        "2 bundle(s) were built by another journalgen version; rebuild them all with one "
        "command: journalgen build specs --out-dir generated"
    )
    rebuilt = run("build", "specs", "--out-dir", "generated")
    assert rebuilt.exit_code == 0
    assert run("check", "specs", "-d", "generated").exit_code == 0
    # One stale bundle needs no summary: its own line names its command.
    manifest = repo / "generated" / "tenant" / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace(f'"journalgen {__version__}"', '"journalgen 0.0.1"')
    )
    assert "rebuild them all" not in run("check", "specs", "-d", "generated").stderr


@pytest.mark.parametrize("command", ["validate", "build", "check"])
def test_a_refusing_pin_is_named_in_the_summary(repo: Path, command: str) -> None:
    (repo / ".journalgen-version").write_text(">=99\n")
    args = [command, "specs"] + ([] if command == "validate" else ["-d", "generated"])
    result = run(*args)
    assert result.exit_code == 1
    assert "error[JG026]" in result.stdout
    last = result.stderr.splitlines()[-1]
    assert last.startswith(".journalgen-version does not allow journalgen ")
    assert last.endswith(": nothing was read")


def test_a_path_that_does_not_exist_is_not_called_unreadable(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nodir") + "/")
    assert result.exit_code == 1
    assert "error[JG001]: does not exist: no file or folder by this name" in result.stdout


def test_render_refuses_standard_input_since_the_script_is_named_after_its_spec() -> None:
    result = run("render", "-", input=MIMECAST.read_bytes())
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("journalgen: error: render needs a spec file")


def test_explain_of_a_bad_spec_keeps_its_standard_output_for_the_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    result = run("explain", str(bad))
    assert result.exit_code == 1
    assert result.stdout == "" and "error[JG102]" in result.stderr


def test_help_names_only_arguments_that_exist() -> None:
    plan = run("plan", "--help").stdout
    assert "of STATE" not in plan and "--state" in plan.split("Options:")[0]
    for command in ("capture-script", "probe"):
        assert "\n  Print " in run(command, "--help").stdout


def test_a_signature_block_needs_its_own_leading_line_break(repo: Path) -> None:
    """What the README says is accepted: the signer's trailer starts with a line break of its own."""
    block = b"# SIG # Begin signature block\r\n# QUJD\r\n# SIG # End signature block\r\n"
    apply = repo / "generated" / "tenant" / "apply.ps1"
    script = apply.read_bytes()
    assert script.endswith(b"\r\n")
    apply.write_bytes(script + b"\r\n" + block)
    assert run("check", "specs", "-d", "generated").exit_code == 0
    apply.write_bytes(script + block)
    result = run("check", "specs", "-d", "generated")
    assert result.exit_code == 1 and "error[JG021]" in result.stdout
    # ... and says what went wrong, not merely "edited".
    assert "follows the script's last line with no line break of its own" in result.stdout
    assert "edited since it was generated" not in result.stdout

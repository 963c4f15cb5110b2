"""How `check` fits team workflows: git line endings, signed scripts, orphans, versions, history."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from journalgen import __version__
from journalgen.bundle import without_signature
from journalgen.cli import main
from journalgen.pin import Specifier, check_pin
from tests.conftest import ROOT
from tests.spectext import spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
STATES = ROOT / "samples" / "states"
SCRIPTS = ("apply.ps1", "verify.ps1", "rollback.ps1")
BASE64 = "MIIoCgYJKoZIhvcNAQcCoIIn+zCCJ/cCAQExDzANBglghkgBZQMEAgEFADB5Bgor"


def signature_block(lines: int = 3) -> bytes:
    """The trailer Set-AuthenticodeSignature appends (exchange-behaviour.md §7)."""
    body = "".join(f"\r\n# {BASE64}" for _ in range(lines))
    block = f"\r\n# SIG # Begin signature block{body}\r\n# SIG # End signature block\r\n"
    return block.encode("ascii")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec repository (specs/, generated/) with one fresh bundle; the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the pin is not looked for above the repository
    (tmp_path / "specs").mkdir()
    shutil.copy(MIMECAST, tmp_path / "specs" / "tenant.yaml")
    assert run("build", "specs", "-d", "generated").exit_code == 0
    return tmp_path


BUNDLE = Path("generated") / "tenant"


def check(*extra: str) -> Result:
    return run("check", "specs", "-d", "generated", *extra)


# --- line endings as git converts them -------------------------------------------------------


def test_scripts_checked_in_with_lf_pass_and_say_so(repo: Path) -> None:
    for name in SCRIPTS:
        path = BUNDLE / name
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    result = check("--verbose")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("current, but for its line endings") == 3


def test_generated_scripts_stay_crlf(repo: Path) -> None:
    data = (BUNDLE / "apply.ps1").read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 0


def test_change_md_and_manifest_checked_out_as_crlf_pass(repo: Path) -> None:
    for name in ("CHANGE.md", "manifest.json"):
        path = BUNDLE / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert check().exit_code == 0


def test_a_spec_checked_out_as_crlf_has_the_same_hash(repo: Path) -> None:
    spec = repo / "specs" / "tenant.yaml"
    spec.write_bytes(spec.read_bytes().replace(b"\n", b"\r\n"))
    result = check()
    assert result.exit_code == 0, result.output


def test_an_edit_is_still_caught_after_line_ending_conversion(repo: Path) -> None:
    path = BUNDLE / "apply.ps1"
    lf = path.read_bytes().replace(b"\r\n", b"\n")
    path.write_bytes(lf.replace(b"[CmdletBinding", b"Remove-Item x\n[CmdletBinding", 1))
    result = check()
    assert result.exit_code == 1
    assert "error[JG021]" in result.output and "error[JG020]" not in result.output


def test_a_converted_stale_bundle_is_stale_not_edited(repo: Path) -> None:
    path = BUNDLE / "apply.ps1"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    spec = repo / "specs" / "tenant.yaml"
    spec.write_bytes(spec.read_bytes().replace(b"journal_rules:", b"# changed\njournal_rules:"))
    result = check()
    assert "error[JG020]" in result.output and "error[JG021]" not in result.output


# --- signed scripts --------------------------------------------------------------------------


def test_a_signed_script_passes_and_is_reported_as_signed(repo: Path) -> None:
    path = BUNDLE / "apply.ps1"
    path.write_bytes(path.read_bytes() + signature_block())
    result = check("--verbose")
    assert result.exit_code == 0, result.output
    assert "1 bundle(s) up to date, 1 signed script(s)" in result.stderr
    assert "apply.ps1: signed" in result.stderr


def test_a_signed_script_checked_in_with_lf_passes(repo: Path) -> None:
    path = BUNDLE / "verify.ps1"
    signed = path.read_bytes() + signature_block()
    path.write_bytes(signed.replace(b"\r\n", b"\n"))
    assert check().exit_code == 0


def test_an_edit_before_the_signature_is_caught(repo: Path) -> None:
    path = BUNDLE / "apply.ps1"
    edited = path.read_bytes().replace(b"[CmdletBinding", b"# x\r\n[CmdletBinding", 1)
    path.write_bytes(edited + signature_block())
    result = check()
    assert result.exit_code == 1
    assert "error[JG021]: signed, but edited" in result.output


@pytest.mark.parametrize(
    "trailer",
    [
        # code hidden between the markers would run: it is not a signature
        b"\r\n# SIG # Begin signature block\r\nRemove-Item C:\\x\r\n# SIG # End signature block\r\n",
        # anything after the block
        b"\r\n# SIG # Begin signature block\r\n# QUJD\r\n# SIG # End signature block\r\nexit 0\r\n",
        # no end marker
        b"\r\n# SIG # Begin signature block\r\n# QUJD\r\n",
    ],
    ids=["code-inside", "code-after", "unterminated"],
)
def test_something_that_is_not_a_signature_block_is_an_edit(repo: Path, trailer: bytes) -> None:
    path = BUNDLE / "apply.ps1"
    path.write_bytes(path.read_bytes() + trailer)
    result = check()
    assert result.exit_code == 1
    assert "error[JG021]" in result.output


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=5))
def test_stripping_a_signature_returns_exactly_the_script(script: bytes, lines: int) -> None:
    script = script + b"\r\n"
    assert without_signature(script + signature_block(lines)) == (script, True)


def test_a_signature_on_change_md_is_an_edit(repo: Path) -> None:
    path = BUNDLE / "CHANGE.md"
    path.write_bytes(path.read_bytes() + signature_block())
    assert "error[JG021]" in check().output


# --- what check must not be quiet about -------------------------------------------------------


def test_a_bundle_whose_spec_was_deleted_is_an_error(repo: Path) -> None:
    shutil.copytree(BUNDLE, Path("generated") / "offboarded")
    result = check()
    assert result.exit_code == 1
    assert "generated/offboarded:1:1: error[JG028]" in result.output


def test_orphans_are_only_looked_for_when_a_folder_of_specs_is_given(repo: Path) -> None:
    shutil.copytree(BUNDLE, Path("generated") / "other")
    assert run("check", "specs/tenant.yaml", "-d", "generated").exit_code == 0


def test_a_stray_file_fails_check(repo: Path) -> None:
    (BUNDLE / "notes.txt").write_text("x")
    result = check()
    assert result.exit_code == 1
    assert "notes.txt:1:1: error[JG023]" in result.output


def test_a_bundle_of_another_version_says_so_once(repo: Path) -> None:
    apply = BUNDLE / "apply.ps1"
    apply.write_bytes(apply.read_bytes().replace(__version__.encode(), b"0.0.9"))
    path = BUNDLE / "manifest.json"
    manifest = json.loads(path.read_bytes())
    manifest["generator"] = "journalgen 0.0.9"
    manifest["artifacts"]["apply.ps1"] = hashlib.sha256(apply.read_bytes()).hexdigest()
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    result = check()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line for line in lines if "error[" in line] == [
        f"{BUNDLE / 'manifest.json'}:1:1: error[JG025]: built by journalgen 0.0.9, "
        f"this is journalgen {__version__}: rebuild; run: journalgen build specs/tenant.yaml "
        "--out-dir generated"
    ]


def test_check_of_a_missing_folder_says_so_once(repo: Path) -> None:
    result = run("check", "specs", "-d", "nowhere")
    assert result.exit_code == 2
    assert result.output.count("nowhere") == 1
    assert "does not exist" in result.output
    assert "JG022" not in result.output


# --- the journalgen version a spec repository pins --------------------------------------------


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        (f"=={__version__}", True),
        (">=0.1,<0.2", True),
        ("# reviewed engine\n~=0.1.0\n", True),
        ("==0.1.*", True),
        (">=99", False),
        ("!=0.1.*", False),
    ],
)
def test_a_pinned_version_is_checked(repo: Path, pin: str, ok: bool) -> None:
    (repo / ".journalgen-version").write_text(pin)
    for command in ("validate", "check", "build"):
        args = [command, "specs"] + ([] if command == "validate" else ["-d", "generated"])
        result = run(*args)
        assert (result.exit_code == 0) is ok, result.output
        assert ("error[JG026]" in result.output) is not ok


@pytest.mark.parametrize(
    "args",
    [
        ["render", "specs/tenant.yaml"],
        ["explain", "specs/tenant.yaml"],
        ["plan", "specs/tenant.yaml", "--state", "state.json"],
        ["plan", "specs/tenant.yaml", "--state", "state.json", "--format", "json"],
        ["import", "state.json", "-o", "specs/imported.yaml"],
        [
            "init",
            *("--vendor", "mimecast", "--region", "us", "--domain", "contoso.com"),
            *("--organization", "contoso.onmicrosoft.com", "--ndr-address", "ndr@contoso.com"),
            *("-o", "specs/new.yaml"),
        ],
        ["capture-script", "-o", "capture.ps1"],
    ],
    ids=lambda args: "-".join(a for a in args if not a.endswith((".yaml", ".json", ".ps1"))),
)
def test_every_command_that_reads_or_writes_the_repository_honours_the_pin(
    repo: Path, args: list[str]
) -> None:
    shutil.copy(STATES / "contoso-mimecast.json", repo / "state.json")
    assert run(*args).exit_code == 0
    for made in ("specs/imported.yaml", "specs/new.yaml", "capture.ps1"):
        (repo / made).unlink(missing_ok=True)
    (repo / ".journalgen-version").write_text(">=99\n")
    result = run(*args)
    assert result.exit_code == 1, result.output
    if "json" in args:
        assert '"code": "JG026"' in result.output
    else:
        assert ".journalgen-version:1:1: error[JG026]: this spec repository wants journalgen" in (
            result.output
        )
    assert not any(
        (repo / made).exists() for made in ("specs/imported.yaml", "specs/new.yaml", "capture.ps1")
    )


def test_a_pin_that_cannot_be_read_is_an_error(repo: Path) -> None:
    (repo / ".journalgen-version").write_text("0.1 or newer\n")
    [found] = check_pin(repo)
    assert found.code == "JG026" and found.file == ".journalgen-version"
    assert "'0.1 or newer' is not a version clause" in found.message


def test_the_pin_is_read_from_where_it_was_found_not_from_the_current_folder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".journalgen-version").write_text(">=99\n")
    monkeypatch.chdir(repo.parent)
    [found] = check_pin(repo / "specs")
    assert found.file == "../.journalgen-version"
    assert "wants journalgen >=99" in found.message


def test_the_pin_is_found_in_a_parent_folder_but_not_above_the_repository(repo: Path) -> None:
    (repo / ".journalgen-version").write_text(">=99\n")
    assert check_pin(repo / "specs")
    (repo / "specs" / ".git").mkdir()
    assert check_pin(repo / "specs") == []


VERSIONS = st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
CLAUSES = st.one_of(
    st.tuples(st.sampled_from(["==", "!=", "<=", ">=", "<", ">"]), VERSIONS).map("".join),
    st.tuples(st.sampled_from(["==", "!="]), VERSIONS).map(lambda c: f"{c[0]}{c[1]}.*"),
    st.tuples(st.just("~="), VERSIONS.filter(lambda v: "." in v)).map("".join),
)


@given(st.lists(CLAUSES, min_size=1, max_size=3).map(",".join), VERSIONS)
def test_specifiers_agree_with_packaging(text: str, version: str) -> None:
    packaging = pytest.importorskip("packaging.specifiers")
    expected = packaging.SpecifierSet(text).contains(version)
    assert Specifier.parse(text).contains(version) == expected


# --- comparing with earlier versions ------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose second commit disables a connector and adds a spec."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(spec_text())
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    (tmp_path / "specs" / "a.yaml").write_text(spec_text({"connector": {"enabled": False}}))
    other = {
        "tenant": {"organization": "fabrikam.onmicrosoft.com", "primary_domain": "fabrikam.com"}
    }
    (tmp_path / "specs" / "b.yaml").write_text(spec_text(other))
    return tmp_path


def test_previous_rev_compares_each_spec_with_its_earlier_version(history: Path) -> None:
    result = run("build", "specs", "-d", "out", "--previous-rev", "HEAD")
    assert result.exit_code == 0, result.output
    changed = (history / "out" / "a" / "CHANGE.md").read_text()
    assert "| Enabled | true | false |" in changed
    manifest = json.loads((history / "out" / "a" / "manifest.json").read_bytes())
    old = hashlib.sha256(spec_text().encode()).hexdigest()
    assert manifest["previous"] == {"spec": "a.yaml", "spec_sha256": old}
    new = json.loads((history / "out" / "b" / "manifest.json").read_bytes())
    assert "previous" not in new
    assert run("check", "specs", "-d", "out").exit_code == 0


def test_previous_rev_from_another_folder(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(history.parent)
    specs = str(Path(history.name) / "specs")
    result = run("build", specs, "-d", str(history / "out"), "--previous-rev", "HEAD")
    assert result.exit_code == 0, result.output
    assert "| Enabled | true | false |" in (history / "out" / "a" / "CHANGE.md").read_text()


def test_previous_rev_that_does_not_exist_is_a_usage_error(history: Path) -> None:
    result = run("build", "specs", "-d", "out", "--previous-rev", "nosuch")
    assert result.exit_code == 2
    assert "no such commit" in result.output
    assert not (history / "out").exists()


def test_previous_for_another_tenant_is_a_warning(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(spec_text({"tenant": {"organization": "fabrikam.onmicrosoft.com"}}))
    spec = tmp_path / "tenant.yaml"
    spec.write_text(spec_text())
    out = tmp_path / "out"
    result = run("build", str(spec), "--previous", str(old), "-d", str(out))
    assert result.exit_code == 0
    assert "warning[JG027]" in result.output and "fabrikam.onmicrosoft.com" in result.output
    strict = run("build", str(spec), "--previous", str(old), "-d", str(tmp_path / "o2"), "--strict")
    assert strict.exit_code == 1 and not (tmp_path / "o2").exists()


# --- smaller things -----------------------------------------------------------------------------


def test_validate_reports_a_summary_when_it_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    result = run("validate", str(bad), str(MIMECAST))
    assert result.exit_code == 1
    assert "1 of 2 spec(s) have errors" in result.stderr
    assert "error[JG102]" in result.stdout


def test_build_reports_diagnostics_on_stdout(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    result = run("build", str(bad), "-d", str(tmp_path / "out"))
    assert "error[JG102]" in result.stdout and "error[" not in result.stderr
    assert "built 0 of 1 spec(s)" in result.stderr


@pytest.mark.parametrize("command", ["validate", "explain"])
def test_dash_reads_the_spec_from_standard_input(command: str) -> None:
    result = CliRunner().invoke(main, [command, "-"], input=MIMECAST.read_bytes())
    assert result.exit_code == 0, result.output


def test_dash_reports_problems_as_standard_input() -> None:
    result = CliRunner().invoke(main, ["validate", "-"], input=b"version: 1\n")
    assert result.exit_code == 1
    assert result.stdout.startswith("-:1:1: error[JG102]")


@pytest.mark.parametrize("command", ["build", "check"])
def test_dash_is_refused_where_a_bundle_needs_a_file_name(command: str, tmp_path: Path) -> None:
    result = run(command, "-", "-d", str(tmp_path))
    assert result.exit_code == 2
    assert "standard input" in result.output

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from journalgen.bundle import BUNDLE_FILES
from journalgen.change import md_escape, plan_changes
from journalgen.cli import main
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.emit import ENGINE_BEGIN
from tests.conftest import ROOT, SAMPLES
from tests.psparse import commands
from tests.spectext import spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"

# What verify.ps1 may call: reads, sign-in and sign-out, output, and pure helpers.
READ_ONLY = {
    "Connect-ExchangeOnline",
    "Disconnect-ExchangeOnline",
    "ConvertTo-Json",
    "ForEach-Object",
    "Format-Table",
    "New-Object",
    "Out-String",
    "Set-StrictMode",
    "Sort-Object",
    # A throttled read waits before it is made again (Wait-JgThrottled).
    "Start-Sleep",
    "Where-Object",
    "Write-Host",
    "Write-Warning",
}
EXCHANGE_WRITES = (
    "New-",
    "Set-",
    "Remove-",
    "Enable-",
    "Disable-",
    "Add-",
    "Update-",
    "Start-",
    "Invoke-",
)


def script(bundle: dict[str, bytes], name: str) -> str:
    return bundle[name][3:].decode("ascii")


def own_functions(text: str) -> set[str]:
    return {line.split()[1] for line in text.splitlines() if line.startswith("function ")}


def assert_read_only(text: str, label: str) -> None:
    """The read-only proof of verify.ps1 and the capture script: every command either reads or is
    the script's own function (whose body is part of the text, so its commands are checked too).
    """
    mine = own_functions(text)
    called = {c for c in commands(text) if not c.startswith("$")}
    for name in called - mine:
        assert name.startswith("Get-") or name in READ_ONLY, f"{label} calls {name}"
    # Function bodies are part of the script, so `called` already covers what they call.
    assert not any(name.startswith(EXCHANGE_WRITES) for name in called - mine - READ_ONLY)
    assert "ShouldProcess" not in text


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_verify_calls_no_cmdlet_that_changes_state(sample: Path) -> None:
    text = script(compile_bundle(check_source(sample.read_bytes(), sample.name)), "verify.ps1")
    assert_read_only(text, "verify.ps1")


def _created_types(text: str) -> set[str]:
    return {
        c.removeprefix("New-")
        for c in commands(text)
        if c in ("New-MailContact", "New-OutboundConnector", "New-JournalRule")
    }


def _removed_types(text: str) -> set[str]:
    return {
        c.removeprefix("Remove-")
        for c in commands(text)
        if c.startswith("Remove-") and not c.startswith("Remove-Jg")
    }


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_rollback_removes_exactly_what_apply_creates(sample: Path) -> None:
    bundle = compile_bundle(check_source(sample.read_bytes(), sample.name))
    apply, rollback = script(bundle, "apply.ps1"), script(bundle, "rollback.ps1")
    assert (
        _created_types(apply)
        == _removed_types(rollback)
        == {"MailContact", "OutboundConnector", "JournalRule"}
    )
    # Both act on the same objects: their desired-state blocks are identical.
    block = slice(apply.index("$Journalgen = "), apply.index(ENGINE_BEGIN))
    assert apply[block] == rollback[rollback.index("$Journalgen = ") : rollback.index(ENGINE_BEGIN)]
    plan = plan_for(check_source(sample.read_bytes(), sample.name))
    created = [
        f"Remove {r.title}." for r in reversed(plan.resources) if r.type != "TransportConfig"
    ]
    for line in created:
        assert line.replace("'", "'") in rollback
    assert "Remove-JournalRule -Identity $id -Confirm:$false" in rollback
    assert "cannot clear" in rollback  # R2: the NDR address is left as it is


def test_bundle_has_every_artifact_and_a_manifest_of_their_hashes() -> None:
    import hashlib

    bundle = compile_bundle(check_source(MIMECAST.read_bytes(), "contoso-mimecast.yaml"))
    assert tuple(bundle) == BUNDLE_FILES
    manifest = json.loads(bundle["manifest.json"])
    assert manifest["spec_sha256"] == hashlib.sha256(MIMECAST.read_bytes()).hexdigest()
    for name, digest in manifest["artifacts"].items():
        assert hashlib.sha256(bundle[name]).hexdigest() == digest
    change = bundle["CHANGE.md"].decode()
    for name in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        assert hashlib.sha256(bundle[name]).hexdigest() in change


def test_change_document_shows_non_ascii_as_itself_and_escapes_markdown() -> None:
    text = spec_text({"contact": {"display_name": "Zoë | *Journal* <b>"}})
    change = compile_bundle(check_source(text.encode(), "s.yaml"))["CHANGE.md"].decode()
    assert "Zoë \\| \\*Journal\\* \\<b\\>" in change
    assert md_escape("a|b") == "a\\|b"


def test_change_document_has_every_section() -> None:
    change = compile_bundle(check_source(MIMECAST.read_bytes(), "m.yaml"))["CHANGE.md"].decode()
    for heading in (
        "## Summary",
        "## Tenant",
        "## Objects and settings",
        "## Order of operations",
        "## Preconditions and preflight",
        "## Risks",
        "## Verification",
        "## Rollback",
        "## Warnings from journalgen's checks",
        "## Hashes (SHA-256)",
    ):
        assert heading in change
    assert "(R10)" in change and "(R2)" in change


def test_previous_lists_changed_added_and_removed_settings() -> None:
    old_text = spec_text(
        {
            "contact": {"first_name": "SMTP"},
            "journal_rules": [
                {"name": "All mail"},
                {"name": "Board", "recipient": "board@contoso.com"},
            ],
        }
    )
    new_text = spec_text(
        {
            "contact": {"last_name": "Journaling"},
            "connector": {"comment": "New comment"},
            "ndr": {"queue_expiry_days": 3},
            "journal_rules": [
                {"name": "All mail", "scope": "external"},
                {"name": "Legal", "recipient": "legal@contoso.com"},
            ],
        }
    )
    old = plan_for(check_source(old_text.encode(), "old.yaml"))
    new = plan_for(check_source(new_text.encode(), "new.yaml"))
    changes = {(c.object, c.setting): (c.old, c.new) for c in plan_changes(old, new)}
    assert changes[("Mail contact 'SMTP Journaling'", "FirstName")] == ("SMTP", "(not managed)")
    assert changes[("Mail contact 'SMTP Journaling'", "LastName")] == (
        "(not managed)",
        "Journaling",
    )
    assert changes[("Journal rule 'All mail'", "Scope")] == ("Global", "External")
    assert changes[("Undeliverable journal reports (NDR)", "JournalMessageExpirationDays")] == (
        "(not managed)",
        "3",
    )
    assert changes[("Journal rule 'Legal'", "(object)")] == ("(absent)", "added")
    assert changes[("Journal rule 'Board'", "(object)")] == (
        "managed",
        "dropped from the spec: stays in the tenant",
    )
    assert ("Outbound connector 'Microsoft 365 to Mimecast'", "Comment") in changes


def test_build_previous_writes_the_difference_into_change_md(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "tenant.yaml"
    old.write_text(spec_text())
    new.write_text(spec_text({"connector": {"enabled": False}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(new), "--previous", str(old), "-d", str(out)])
    assert result.exit_code == 0, result.output
    change = (out / "tenant" / "CHANGE.md").read_text()
    assert "## Changes from the previous spec" in change
    assert "| Outbound connector 'Microsoft 365 to Mimecast' | Enabled | true | false |" in change


def test_previous_needs_exactly_one_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", *map(str, SAMPLES[:2]), "--previous", str(SAMPLES[0]), "-d", str(tmp_path)]
    )
    assert result.exit_code == 2


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    spec = tmp_path / "tenant.yaml"
    shutil.copy(MIMECAST, spec)
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(spec), "-d", str(out)]).exit_code == 0
    return spec, out


def test_check_passes_on_a_fresh_bundle(built: tuple[Path, Path]) -> None:
    spec, out = built
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 bundle(s) up to date" in result.output


def test_check_names_a_stale_bundle(built: tuple[Path, Path]) -> None:
    spec, out = built
    data = yaml.safe_load(spec.read_text())
    data["connector"]["comment"] = "Changed in the spec"
    spec.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 1
    stale = [line for line in result.output.splitlines() if "error[JG020]" in line]
    assert {Path(line.split(":")[0]).name for line in stale} == {
        "apply.ps1",
        "verify.ps1",
        "rollback.ps1",
        "CHANGE.md",
        "manifest.json",
    }


def test_check_names_a_hand_edited_file(built: tuple[Path, Path]) -> None:
    spec, out = built
    verify = out / "tenant" / "verify.ps1"
    lines = verify.read_bytes().split(b"\r\n")
    lines[9] = lines[9] + b" # tweak"
    verify.write_bytes(b"\r\n".join(lines))
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 1
    assert f"{verify}:10:" in result.output
    assert "error[JG021]" in result.output
    assert "error[JG020]" not in result.output


def test_check_names_a_missing_file_and_an_unexpected_one(built: tuple[Path, Path]) -> None:
    spec, out = built
    (out / "tenant" / "rollback.ps1").unlink()
    (out / "tenant" / "notes.txt").write_text("x")
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out), "--format", "json"])
    assert result.exit_code == 1
    found = {(Path(d["file"]).name, d["code"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert found == {("rollback.ps1", "JG022"), ("notes.txt", "JG023")}


def test_pre_commit_hooks_are_defined() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    ids = {hook["id"]: hook for hook in hooks}
    assert set(ids) == {"journalgen-validate", "journalgen-check"}
    assert ids["journalgen-validate"]["entry"] == "journalgen validate"
    assert ids["journalgen-check"]["entry"].startswith("journalgen check")


@pytest.fixture
def built_with_previous(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old.yaml"
    old.write_text(spec_text())
    spec = tmp_path / "tenant.yaml"
    spec.write_text(spec_text({"connector": {"enabled": False}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(spec), "--previous", str(old), "-d", str(out)])
    assert result.exit_code == 0, result.output
    return spec, out


def test_check_accepts_a_bundle_built_with_previous(built_with_previous: tuple[Path, Path]) -> None:
    spec, out = built_with_previous
    manifest = json.loads((out / "tenant" / "manifest.json").read_bytes())
    assert manifest["previous"]["spec"] == "old.yaml"
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 0, result.output


def test_check_catches_an_edit_inside_the_previous_section(
    built_with_previous: tuple[Path, Path],
) -> None:
    spec, out = built_with_previous
    change = out / "tenant" / "CHANGE.md"
    change.write_bytes(change.read_bytes().replace(b"| true | false |", b"| true | true |"))
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 1
    assert "CHANGE.md" in result.output and "error[JG021]" in result.output


def test_check_catches_a_stale_bundle_built_with_previous(
    built_with_previous: tuple[Path, Path],
) -> None:
    spec, out = built_with_previous
    spec.write_text(spec_text({"connector": {"enabled": False, "comment": "Changed"}}))
    result = CliRunner().invoke(main, ["check", str(spec), "-d", str(out)])
    assert result.exit_code == 1
    assert "error[JG020]" in result.output

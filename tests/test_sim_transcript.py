"""apply.ps1's transcript beside its backup, and the scripts' help examples as PowerShell reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.psast import parse_sources
from tests.sim import SAMPLES, Bundle, Tenant, baseline, build

pytestmark = pytest.mark.pwsh

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
GCC_HIGH = SAMPLES / "tailspin-gcchigh.yaml"
SCRIPTS = ("apply.ps1", "verify.ps1", "rollback.ps1")
# Parameters every advanced script has; apply and rollback also support -WhatIf and -Confirm.
COMMON = {"verbose", "debug", "erroraction", "warningaction", "whatif", "confirm"}
# Spec names an MSP's specs folder holds: spaces, parentheses, a quote, a '#>' that would end
# the help's comment block, and a non-ASCII letter.
AWKWARD_NAMES = ("Pine Crest (new).yaml", "O'Brien & Sons.yaml", "a#>b [U+1].yaml", "Zürich.yaml")


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def _seeded(tenant: Tenant, bundle: Bundle) -> None:
    # The sample's tenant before journaling: apply creates every object.
    tenant.seed(baseline())


# --- the transcript ------------------------------------------------------------------------------


def test_a_real_apply_leaves_its_transcript_beside_the_backup(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    _seeded(tenant, bundle)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert (tenant.folder / bundle.plan.backup_name).exists()
    transcript = tenant.folder / (bundle.plan.backup_name.removesuffix(".json") + ".transcript.txt")
    assert transcript.exists(), applied.output
    text = transcript.read_text(encoding="utf-8-sig")
    # The run's own output: the plan, the backup, the results table.
    for line in ("The plan: 4 change(s)", "Saved the current state to", "Updated"):
        assert line in text, line
    # The operator is told where it is.
    assert f"Transcript of this run: {transcript}" in applied.stdout

    # A second real run appends to the same file.
    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    text = transcript.read_text(encoding="utf-8-sig")
    assert "Every object already matches the spec." in text
    assert "The plan: 4 change(s)" in text


def test_whatif_leaves_no_transcript(tenant: Tenant, tmp_path: Path) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    _seeded(tenant, bundle)
    preview = tenant.run(bundle.script("apply.ps1"), "-WhatIf")
    assert preview.exit_code == 0, preview.output
    assert sorted(p.name for p in tenant.folder.glob("*.txt")) == []
    assert "Transcript" not in preview.stdout


def test_a_failed_run_still_closes_its_transcript(tenant: Tenant, tmp_path: Path) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    _seeded(tenant, bundle)
    failed = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false", faults={"fail_write": 1})
    assert failed.exit_code == 1, failed.output
    transcript = tenant.folder / (bundle.plan.backup_name.removesuffix(".json") + ".transcript.txt")
    text = transcript.read_text(encoding="utf-8-sig")
    assert "ERROR:" in text
    assert "Failed" in text  # the results table is inside it too
    # Stop-Transcript writes the end banner: the transcript was closed, not left open.
    assert text.rstrip().endswith("*" * 22) and "PowerShell transcript end" in text


# --- the help's examples -------------------------------------------------------------------------


def _examples(script: str) -> list[str]:
    """The command line of each .EXAMPLE in the help block."""
    help_block = script[script.index("<#") : script.index("#>")]
    return [m.group(1).strip() for m in re.finditer(r"^\.EXAMPLE\r?\n(.*?)\r?$", help_block, re.M)]


def _parameters(script: str) -> set[str]:
    body = script[script.index("\nparam(") :]
    body = body[: body.index("\n)")]
    return {name.lower() for name in re.findall(r"\] \$(\w+)", body)}


def _built(spec: Path, name: str, tmp_path: Path) -> Bundle:
    return build(spec.read_text(encoding="utf-8"), tmp_path / name.replace("#", "_"), name=name)


def test_help_examples_parse_and_name_only_parameters_the_script_has(
    pwsh: str, tmp_path: Path
) -> None:
    bundles = [build(MIMECAST, tmp_path / "mimecast"), build(GCC_HIGH, tmp_path / "gcc")]
    bundles += [_built(MIMECAST, name, tmp_path / str(i)) for i, name in enumerate(AWKWARD_NAMES)]
    sources: dict[str, str] = {}
    allowed: dict[str, set[str]] = {}
    for n, bundle in enumerate(bundles):
        for script in SCRIPTS:
            text = bundle.script(script).read_text(encoding="utf-8-sig")
            for i, example in enumerate(_examples(text)):
                key = f"{n}/{script}/{i}"
                sources[key] = example
                allowed[key] = _parameters(text) | COMMON
    parsed = parse_sources(sources, pwsh)
    for key, example in sources.items():
        result = parsed[key]
        assert result.errors == (), (key, example, result.errors)
        assert len(result.commands) == 1, (key, example)
        (command,) = result.commands
        assert command.name is not None and command.name.startswith(".\\"), example
        unknown = [p.name for p in command.parameters if p.name.lower() not in allowed[key]]
        assert unknown == [], (key, example)


def test_backup_and_state_path_examples_are_single_quoted_literals(
    pwsh: str, tmp_path: Path
) -> None:
    bundles = {
        name: _built(MIMECAST, name, tmp_path / str(i)) for i, name in enumerate(AWKWARD_NAMES)
    }
    sources: dict[str, str] = {}
    wanted: dict[str, str] = {}
    for name, bundle in bundles.items():
        for script in SCRIPTS:
            text = bundle.script(script).read_text(encoding="utf-8-sig")
            for i, example in enumerate(_examples(text)):
                if "-BackupPath" in example or "-StatePath" in example:
                    sources[f"{name}/{script}/{i}"] = example
                    wanted[f"{name}/{script}/{i}"] = bundle.plan.backup_name
    # rollback.ps1 shows the backup in its examples, and verify.ps1 a state file.
    assert {k.split("/")[1] for k in sources} == {"rollback.ps1", "verify.ps1"}, sorted(sources)
    parsed = parse_sources(sources, pwsh)
    for key, example in sources.items():
        (command,) = parsed[key].commands
        for parameter in ("BackupPath", "StatePath"):
            given = command.parameter(parameter)
            if given is None:
                continue
            text = given.value or ""
            # One single-quoted literal, or (for a name with characters outside printable
            # ASCII, which the help cannot hold) an expression of such literals and [char]s.
            assert text.startswith(("'", "('")), (key, example)
            if parameter == "BackupPath":
                values = [s.value for s in parsed[key].strings if s.type == "SingleQuoted"]
                assert values, (key, example)
                if text.startswith("'"):
                    assert values[0] == ".\\" + wanted[key], (key, example)


def test_the_pine_crest_backup_example_is_one_quoted_literal(tmp_path: Path) -> None:
    bundle = _built(MIMECAST, "Pine Crest (new).yaml", tmp_path)
    text = bundle.script("rollback.ps1").read_text(encoding="utf-8-sig")
    assert f"-BackupPath '.\\{bundle.plan.backup_name}'" in text
    assert bundle.plan.backup_name.startswith("journalgen-backup-Pine Crest (new)-")
    quoted = _built(MIMECAST, "O'Brien.yaml", tmp_path / "q").script("rollback.ps1")
    assert "-BackupPath '.\\journalgen-backup-O''Brien-" in quoted.read_text(encoding="utf-8-sig")


def test_the_help_shows_no_example_its_header_calls_untested(tmp_path: Path) -> None:
    bundle = build(GCC_HIGH, tmp_path / "gcc")
    for script in SCRIPTS:
        text = bundle.script(script).read_text(encoding="utf-8-sig")
        assert "App-only sign-in to Exchange Online there is contradicted" in text
        app_only = [e for e in _examples(text) if "-AppId" in e]
        assert app_only == [], (script, app_only)
    # Where app-only sign-in is not called untested, the example stays.
    commercial = build(MIMECAST, tmp_path / "mimecast").script("apply.ps1")
    assert any("-AppId" in e for e in _examples(commercial.read_text(encoding="utf-8-sig")))

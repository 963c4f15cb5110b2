"""journalgen probe: the probe script's encoding, oracle, goldens, read-only parts, cleanup and coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.clouds import CLOUDS
from journalgen.emit import UTF8_BOM, render_probe
from journalgen.probe import AUTOMATED, MANUAL, PREFIX
from tests.conftest import Golden
from tests.psparse import CommandUse, assert_clean, command_uses
from tests.test_apply import CMDLETS, COMMON
from tests.test_bundle import READ_ONLY

# Parameters the probe uses beyond apply's, each from the cmdlet help.
PROBE_CMDLETS = {
    **CMDLETS,
    "Get-MailContact": {"Identity", "ResultSize", "Filter"},
    "Get-Command": {"Name"},
    "Get-Module": {"Name"},
    "Set-JournalRule": CMDLETS["Set-JournalRule"],
}


def script(cloud: str = "commercial") -> str:
    return render_probe(cloud)[3:].decode("ascii")


def functions(uses: list[CommandUse]) -> dict[str, set[str]]:
    called: dict[str, set[str]] = {}
    for use in uses:
        if use.function is not None:
            called.setdefault(use.function, set()).add(use.name)
    return called


def read_only_functions(source: str) -> set[str]:
    """The script's functions that, through everything they call, only read."""
    uses = command_uses(source)
    own = {line.split()[1] for line in source.splitlines() if line.startswith("function ")}
    called = functions(uses)
    safe: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in own - safe:
            commands = {c for c in called.get(name, set()) if not c.startswith("$")}
            if all(c.startswith("Get-") or c in READ_ONLY or c in safe for c in commands):
                safe.add(name)
                changed = True
    return safe


@pytest.mark.parametrize("cloud", ["commercial", "gcc_high"])
def test_golden_probe(cloud: str, golden: Golden) -> None:
    golden.check(f"probe/probe-{cloud}.ps1", render_probe(cloud))


@pytest.mark.parametrize("cloud", list(CLOUDS))
def test_probe_is_ascii_with_bom_and_crlf_and_parses_cleanly(cloud: str) -> None:
    data = render_probe(cloud)
    assert data.startswith(UTF8_BOM)
    body = data[3:]
    assert body.isascii()
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    source = script(cloud)
    assert_clean(source)
    for use in command_uses(source):
        if use.name in PROBE_CMDLETS:
            unknown = set(use.parameters) - PROBE_CMDLETS[use.name] - COMMON
            assert not unknown, f"{use.name} has no parameter(s) {unknown}"
    environment = CLOUDS[cloud].environment
    expected = f"'{environment}'" if environment else "$null"
    assert f"ExchangeEnvironmentName = {expected}" in source


def test_the_probes_read_only_parts_are_read_only() -> None:
    source = script()
    safe = read_only_functions(source)
    readers = {name for name in functions(command_uses(source)) if name.startswith("Read-JgProbe")}
    assert readers >= {"Read-JgProbeNotFound", "Read-JgProbeShapes", "Read-JgProbeLeftovers"}
    assert readers <= safe, readers - safe
    # The writers are not: the proof can tell them apart.
    assert "Remove-JgProbeObjects" not in safe and "Invoke-JgProbeConnectors" not in safe
    # Everything the run does before its one confirmation only reads.
    run = source[source.rindex("    if (-not $TestTenant) {") :]
    before = run[: run.index("if ($JgCmdlet.ShouldProcess(")]
    for use in command_uses(before):
        name = use.name
        assert (
            name.startswith("Get-")
            or name in READ_ONLY
            or name in safe
            or name
            in {
                "Connect-Jg",
                "Add-JgFinding",
            }
        ), name


def test_the_probe_refuses_to_run_without_a_test_tenant_before_signing_in() -> None:
    source = script()
    run = source[source.rindex("    if (-not $TestTenant) {") :]
    refusal = run[: run.index("}")]
    assert "$JgExitCode = 2" in refusal and "throw 'Refusing to run" in refusal
    assert run.index("Connect-Jg") > run.index("throw 'Refusing")
    # The tenant guard checks the test tenant is the one signed in to.
    assert "PrimaryDomain = $TestTenant; Organization = $TestTenant" in run
    assert run.index("Assert-JgTenant") < run.index("ShouldProcess(")


def test_everything_the_probe_creates_is_named_jg_probe_and_no_rule_journals() -> None:
    source = script()
    assert f"Prefix                  = '{PREFIX}'" in source
    creates = [
        u for u in command_uses(source) if u.name.startswith("New-") and u.name != "New-Object"
    ]
    assert {u.name for u in creates} == {
        "New-MailContact",
        "New-OutboundConnector",
        "New-JournalRule",
    }
    for use in creates:
        name = re.search(r"-Name (\(\$JgProbe\.Prefix \+ '[a-z-]+'\)|\$[a-z]+)", use.text)
        assert name, use.text
        if name.group(1).startswith("$"):
            assert use.function is not None
            body = source[source.index(f"function {use.function} {{") :]
            assert re.search(rf"\{name.group(1)} = \$JgProbe\.Prefix \+ '[a-z-]+'", body)
        if use.name == "New-JournalRule":
            assert "-Enabled $false" in use.text


def test_the_probe_cleans_up_in_finally_whatever_happened() -> None:
    source = script()
    final = source[source.rindex("finally {") :]
    assert final.index("Remove-JgProbeObjects") < final.index("Restore-JgProbeNdr")
    assert final.index("Read-JgProbeLeftovers") < final.index("Disconnect-Jg")
    assert "ConvertTo-Json -InputObject $report" in final
    # Only objects the run could have made: cleanup runs after the confirmation said yes.
    assert "if ($JgProbeWrote) {" in final
    remover = source[source.index("function Remove-JgProbeObjects {") :]
    remover = remover[: remover.index("\r\n}\r\n")]
    assert remover.count("-like $like") == 3 and "$like = $JgProbe.Prefix + '*'" in remover


def test_the_probe_covers_section_9_of_the_reference() -> None:
    numbers = {key for key in AUTOMATED if key.startswith("9.")}
    numbers |= {item.split("-")[0] for item, _ in MANUAL}
    assert numbers == {f"9.{n}" for n in range(1, 23)}
    ids = re.findall(r"-Id '([0-9.]+)[-']", script())
    ids += re.findall(r'-Id "([0-9.]+)-', script())
    assert set(ids) == set(AUTOMATED)


def test_probe_command_writes_the_script_or_prints_it(tmp_path: Path) -> None:
    out = tmp_path / "probe.ps1"
    runner = CliRunner()
    result = runner.invoke(main, ["probe", "--cloud", "gcc_high", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == render_probe("gcc_high")
    printed = runner.invoke(main, ["probe"])
    assert printed.exit_code == 0
    assert printed.stdout_bytes == render_probe("commercial")
    assert runner.invoke(main, ["probe", "--cloud", "germany"]).exit_code == 2


def test_first_run_guide_says_how_to_settle_every_manual_item() -> None:
    from tests.conftest import ROOT

    guide = (ROOT / "docs" / "first-run.md").read_text(encoding="utf-8")
    for item, _ in MANUAL:
        assert f"| {item} |" in guide, item
    for step in ("apply -WhatIf", "## 3. apply", "## 4. verify", "apply again", "rollback with"):
        assert step in guide

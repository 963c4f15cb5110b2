"""The fleet capture script (``capture-script --fleet``): its command, sign-in sets and read-only proof."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.capture import fleet_script
from journalgen.cli import main
from journalgen.emit import engine_text, render_capture
from tests.psparse import assert_clean
from tests.test_bundle import assert_read_only
from tests.test_capture import function_body


def text(sign_in: str, cloud: str = "commercial") -> str:
    return fleet_script(sign_in, cloud)[3:].decode("ascii")


@pytest.mark.parametrize("sign_in", ["partner", "app-only"])
def test_the_fleet_command_writes_the_script_for_each_sign_in(sign_in: str, tmp_path: Path) -> None:
    out = tmp_path / "capture-fleet.ps1"
    result = CliRunner().invoke(main, ["capture-script", "--fleet", sign_in, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == fleet_script(sign_in, "commercial")
    source = text(sign_in)
    # Partner admins sign in as themselves and reach each customer with -DelegatedOrganization;
    # app-only sign-in names each tenant with -Organization and offers no interactive set.
    if sign_in == "partner":
        assert "[string] $UserPrincipalName" in source and "[string] $AppId" not in source
    else:
        assert "[string] $AppId" in source and "[string] $UserPrincipalName" not in source
    assert "-TenantList" in source


def test_the_fleet_and_the_organization_options_exclude_each_other() -> None:
    runner = CliRunner()
    both = runner.invoke(
        main, ["capture-script", "--fleet", "partner", "--organization", "contoso.onmicrosoft.com"]
    )
    assert both.exit_code == 2 and "--fleet" in both.output and "--organization" in both.output
    unknown = runner.invoke(main, ["capture-script", "--fleet", "guest"])
    assert unknown.exit_code == 2


def test_the_fleet_script_carries_its_cloud() -> None:
    source = text("app-only", "gcc_high")
    assert "'O365USGovGCCHigh'" in source and "'.onmicrosoft.us'" in source


@pytest.mark.parametrize("sign_in", ["partner", "app-only"])
def test_the_fleet_script_only_reads_and_is_clean_powershell(sign_in: str) -> None:
    source = text(sign_in)
    assert_read_only(source, "capture-fleet.ps1")
    assert_clean(source)


def test_the_fleet_capture_reads_with_the_single_captures_engine() -> None:
    fleet = engine_text("capture-fleet.ps1")
    for name in (
        "Get-JgState",
        "Save-JgState",
        "Get-JgInitialDomain",
        "Connect-Jg",
        "Disconnect-Jg",
    ):
        assert function_body(fleet, name) == function_body(engine_text("capture.ps1"), name)
    assert fleet.count("function Get-JgState {") == 1


def test_the_single_capture_script_is_unchanged_by_the_fleet() -> None:
    # The fleet script is a script of its own: the single one keeps no fleet parameter.
    single = render_capture(None, "commercial").decode("utf-8-sig")
    assert "TenantList" not in single and "OutputFolder" not in single

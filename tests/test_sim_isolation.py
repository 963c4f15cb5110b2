"""A script run against the simulator can never reach a real Exchange Online module or tenant."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from journalgen.simulator import MODULE_PATH
from tests.sim import SAMPLES, Tenant, baseline, build

pytestmark = pytest.mark.pwsh

# A stand-in for Microsoft's module, installed where Install-Module -Scope CurrentUser puts it,
# with a higher version than the simulator's: it records being loaded, then refuses to work.
REAL_MANIFEST = """@{
    RootModule = 'ExchangeOnlineManagement.psm1'
    ModuleVersion = '3.9.9'
    GUID = '00000000-0000-0000-0000-0000000000ee'
    FunctionsToExport = @('Connect-ExchangeOnline', 'Disconnect-ExchangeOnline', 'Get-ConnectionInformation')
}
"""
REAL_MODULE = """[System.IO.File]::WriteAllText($env:REAL_MODULE_MARKER, 'loaded')
function Connect-ExchangeOnline { throw 'the real module answered' }
function Disconnect-ExchangeOnline { throw 'the real module answered' }
function Get-ConnectionInformation { throw 'the real module answered' }
"""


def test_a_real_module_installed_for_the_user_is_not_used(tmp_path: Path, pwsh: str) -> None:
    home = tmp_path / "home"
    module = home / ".local" / "share" / "powershell" / "Modules" / "ExchangeOnlineManagement"
    module.mkdir(parents=True)
    (module / "ExchangeOnlineManagement.psd1").write_text(REAL_MANIFEST, encoding="utf-8")
    (module / "ExchangeOnlineManagement.psm1").write_text(REAL_MODULE, encoding="utf-8")
    marker = tmp_path / "real-module-loaded"
    (tmp_path / "tenant").mkdir()
    tenant = Tenant(tmp_path / "tenant", pwsh)
    tenant.seed(baseline())
    bundle = build(SAMPLES / "contoso-mimecast.yaml", tmp_path / "bundle")

    # Without the runner's guard, pwsh finds the user's module first: prove the set-up bites.
    listed = subprocess.run(
        [
            pwsh,
            "-NoLogo",
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "(Get-Module -ListAvailable -Name ExchangeOnlineManagement | Select-Object -First 1).Version.ToString()",
        ],
        env={**os.environ, "HOME": str(home), "PSModulePath": str(MODULE_PATH)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.strip() == "3.9.9"

    found = tenant.run(
        bundle.script("verify.ps1"),
        env={"HOME": str(home), "REAL_MODULE_MARKER": str(marker)},
    )
    assert not marker.exists(), found.output
    assert found.exit_code in (0, 1), found.output
    assert any(c["cmdlet"] == "Connect-ExchangeOnline" for c in found.calls)
    assert "the real module answered" not in found.output

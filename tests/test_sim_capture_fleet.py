"""The fleet capture script under pwsh: a simulated partner's customers, one file per tenant."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from journalgen.capture import fleet_script
from journalgen.simulator import Run, run_pwsh, script_command
from journalgen.state import load_state
from tests.sim import STATES
from tests.test_sim_capture import compare, expected, journaling

pytestmark = pytest.mark.pwsh

OK = "contoso.onmicrosoft.com"
REFUSING = "fabrikaminc.onmicrosoft.com"
THROTTLED = "litware.onmicrosoft.com"
FIXTURE = {
    OK: "contoso-mimecast.json",
    REFUSING: "fabrikam-recipients.json",
    THROTTLED: "litware-custom.json",
}
PARTNER = ("-UserPrincipalName", "'tech@partner.example'")
APP_ONLY = ("-AppId", "'6f1c4b2a-0d7e-4c55-9a7e-2b3c4d5e6f70'", "-CertificateFilePath", "'app.pfx'")


def fleet(folder: Path) -> Path:
    """Three customer tenants, one state file each, named by organization."""
    tenants = folder / "tenants"
    tenants.mkdir()
    for organization, sample in FIXTURE.items():
        shutil.copyfile(STATES / sample, tenants / f"{organization}.json")
    (folder / "app.pfx").write_bytes(b"not a real certificate: the simulator takes any file")
    return tenants


def run(
    folder: Path,
    pwsh: str,
    sign_in: str,
    listing: str,
    *,
    name: str = "tenants.txt",
    faults: Mapping[str, Any] | None = None,
) -> Run:
    script = folder / "capture-fleet.ps1"
    script.write_bytes(fleet_script(sign_in, "commercial"))
    (folder / name).write_text(listing, encoding="utf-8")
    credentials = PARTNER if sign_in == "partner" else APP_ONLY
    arguments = ("-TenantList", f"'{name}'", "-OutputFolder", "'states'", *credentials)
    log = folder / f"run-{len(list(folder.glob('run-*.jsonl')))}.jsonl"
    return run_pwsh(
        pwsh,
        ["-Command", script_command(script, arguments)],
        state=folder / "tenants",
        log=log,
        faults=faults,
        cwd=folder,
    )


def assert_captured(folder: Path, organization: str) -> None:
    """The file the script wrote loads as a state and holds what the simulated tenant holds."""
    written = folder / "states" / f"{organization}.json"
    captured = load_state(written.read_bytes(), written.name).state
    tenant = folder / "tenants" / f"{organization}.json"
    truth = load_state(tenant.read_bytes(), tenant.name).state
    compare(journaling(captured), expected(truth))


def row(output: str, organization: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(organization)]
    assert len(lines) == 1, output
    return lines[0]


REFUSE = {"tenants": {REFUSING: {"access_denied": "sign-in"}}}


@pytest.mark.parametrize("sign_in", ["partner", "app-only"])
def test_every_tenant_of_the_list_is_captured_past_one_that_refuses_access(
    sign_in: str, tmp_path: Path, pwsh: str
) -> None:
    fleet(tmp_path)
    faults = {"tenants": {**REFUSE["tenants"], THROTTLED: {"throttle": {"at": 1, "times": 2}}}}
    done = run(
        tmp_path,
        pwsh,
        sign_in,
        f"# customers\n{OK}\n{REFUSING}\n\n{THROTTLED}  # EU\n",
        faults=faults,
    )
    assert done.exit_code == 1, done.output
    assert_captured(tmp_path, OK)
    assert_captured(tmp_path, THROTTLED)
    assert sorted(p.name for p in (tmp_path / "states").iterdir()) == [
        f"{OK}.json",
        f"{THROTTLED}.json",
    ]
    assert "captured" in row(done.stdout, OK)
    assert "failed" in row(done.stdout, REFUSING) and "UnAuthorized" in row(done.stdout, REFUSING)
    assert "captured" in row(done.stdout, THROTTLED)
    # Throttled twice, then waited and read again: the waits are the engine's own.
    sleeps = [c["parameters"]["Seconds"] for c in done.calls if c["cmdlet"] == "Start-Sleep"]
    assert sleeps == [30, 60]
    connects = [c for c in done.calls if c["cmdlet"] == "Connect-ExchangeOnline"]
    key = "DelegatedOrganization" if sign_in == "partner" else "Organization"
    assert [c["parameters"][key] for c in connects] == [OK, REFUSING, THROTTLED]
    # Each session that opened is closed, by its own id.
    disconnects = [c for c in done.calls if c["cmdlet"] == "Disconnect-ExchangeOnline"]
    assert [c["parameters"].get("ConnectionId") for c in disconnects] == [
        [c["connection_id"]] for c in connects if c["outcome"] == "ok"
    ]
    assert [c for c in done.calls if c.get("kind") == "write"] == []


def test_a_tenant_throttled_beyond_the_retries_fails_and_the_rest_are_captured(
    tmp_path: Path, pwsh: str
) -> None:
    fleet(tmp_path)
    faults = {"tenants": {THROTTLED: {"throttle": {"at": 1, "times": 100}}}}
    done = run(tmp_path, pwsh, "partner", f"{THROTTLED}\n{OK}\n", faults=faults)
    assert done.exit_code == 1, done.output
    assert "failed" in row(done.stdout, THROTTLED) and "throttled" in row(done.stdout, THROTTLED)
    assert_captured(tmp_path, OK)
    assert not (tmp_path / "states" / f"{THROTTLED}.json").exists()
    # No half-written file either.
    assert [p.name for p in (tmp_path / "states").iterdir()] == [f"{OK}.json"]


def test_a_tenant_whose_reads_are_refused_fails_alone(tmp_path: Path, pwsh: str) -> None:
    # A partner whose relationship grants no Exchange role signs in but cannot read.
    fleet(tmp_path)
    faults = {"tenants": {REFUSING: {"access_denied": "roles"}}}
    done = run(tmp_path, pwsh, "partner", f"{REFUSING}\n{OK}\n", faults=faults)
    assert done.exit_code == 1, done.output
    assert "management roles" in row(done.stdout, REFUSING)
    assert_captured(tmp_path, OK)


def test_all_captured_exits_0_and_a_second_run_replaces_the_files(
    tmp_path: Path, pwsh: str
) -> None:
    fleet(tmp_path)
    listing = f"{OK}\n{THROTTLED}\n{REFUSING}\n"
    first = run(tmp_path, pwsh, "app-only", listing)
    assert first.exit_code == 0, first.output
    for organization in FIXTURE:
        assert_captured(tmp_path, organization)
    # The tenant changes; the next run's file replaces the old one.
    tenant = tmp_path / "tenants" / f"{OK}.json"
    data = json.loads(tenant.read_text(encoding="utf-8"))
    data["journal_rules"] = []
    tenant.write_text(json.dumps(data), encoding="utf-8")
    second = run(tmp_path, pwsh, "app-only", listing)
    assert second.exit_code == 0, second.output
    assert_captured(tmp_path, OK)
    assert sorted(p.name for p in (tmp_path / "states").iterdir()) == sorted(
        f"{o}.json" for o in FIXTURE
    )


def test_a_csv_list_by_tenant_id_names_each_file_by_its_organization(
    tmp_path: Path, pwsh: str
) -> None:
    fleet(tmp_path)
    ids = {}
    for organization in (OK, THROTTLED):
        # The simulator's tenant ID for an organization (Get-ConnectionInformation's TenantID).
        probe = run_pwsh(
            pwsh,
            [
                "-Command",
                "Import-Module $env:JOURNALGEN_SIM_MODULE; "
                f"Connect-ExchangeOnline -ShowBanner:$false -DelegatedOrganization {organization}; "
                "(Get-ConnectionInformation).TenantID",
            ],
            state=tmp_path / "tenants",
            log=tmp_path / "probe.jsonl",
            cwd=tmp_path,
        )
        assert probe.exit_code == 0, probe.output
        ids[organization] = probe.stdout.strip()
    listing = f'Name,Tenant\nContoso,{ids[OK]}\n"Litware, EU",{ids[THROTTLED]}\n'
    done = run(tmp_path, pwsh, "partner", listing, name="customers.csv")
    assert done.exit_code == 0, done.output
    assert_captured(tmp_path, OK)
    assert_captured(tmp_path, THROTTLED)


def test_bad_list_lines_are_all_reported_and_nothing_is_signed_in_to(
    tmp_path: Path, pwsh: str
) -> None:
    fleet(tmp_path)
    listing = f"{OK}\nnot a domain\n{THROTTLED}\nhttps://{REFUSING}/\n{OK.upper()}\n"
    done = run(tmp_path, pwsh, "partner", listing)
    assert done.exit_code == 2, done.output
    assert "tenants.txt:2: 'not a domain'" in done.output
    assert f"tenants.txt:4: 'https://{REFUSING}/'" in done.output
    assert "tenants.txt:5:" in done.output and "line 1" in done.output
    assert "tenants.txt:1:" not in done.output and "tenants.txt:3:" not in done.output
    assert [c for c in done.calls if c["cmdlet"] == "Connect-ExchangeOnline"] == []
    assert not (tmp_path / "states").exists()


def test_a_csv_list_needs_a_tenant_column(tmp_path: Path, pwsh: str) -> None:
    fleet(tmp_path)
    done = run(tmp_path, pwsh, "partner", f"Name,Domain\nContoso,{OK}\n", name="customers.csv")
    assert done.exit_code == 2, done.output
    assert "customers.csv:1:" in done.output and "Tenant" in done.output
    assert [c for c in done.calls if c["cmdlet"] == "Connect-ExchangeOnline"] == []


def test_a_folder_of_tenants_signs_in_to_the_one_named(tmp_path: Path, pwsh: str) -> None:
    # The simulator itself: an unknown tenant is refused as Entra ID refuses it, and a sign-in
    # that names no tenant cannot pick one of the folder's.
    fleet(tmp_path)
    for connect, message in [
        ("-DelegatedOrganization nowhere.onmicrosoft.com", "AADSTS90002"),
        ("", "-DelegatedOrganization or -Organization"),
    ]:
        done = run_pwsh(
            pwsh,
            [
                "-Command",
                "Import-Module $env:JOURNALGEN_SIM_MODULE; "
                f"Connect-ExchangeOnline -ShowBanner:$false {connect}",
            ],
            state=tmp_path / "tenants",
            log=tmp_path / "probe.jsonl",
            cwd=tmp_path,
        )
        assert done.exit_code != 0 and message in done.output, done.output

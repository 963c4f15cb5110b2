"""Sign-in, sign-out and exit codes of the generated scripts, run under pwsh against the simulator."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from journalgen.simulator import Run
from tests.sim import (
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    baseline,
    build,
    empty_tenant,
    load_json,
)

pytestmark = pytest.mark.pwsh

CONTOSO = SAMPLES / "contoso-mimecast.yaml"
SIGN_OUT_WARNING = "Sign-out failed"


def cloud_spec(cloud: str, organization: str, primary: str) -> str:
    """A spec of a tenant in ``cloud`` (GCC High's sample, moved to another cloud)."""
    return f"""\
version: 1
tenant:
  primary_domain: {primary}
  organization: {organization}
  cloud: {cloud}
archive:
  vendor: custom
  journal_address: journal@gov.archive.example.net
connector:
  name: Microsoft 365 to Example Archive
  smart_hosts: [smtp1.gov.archive.example.net]
journal_rules:
  - name: Journal all messages to Example Archive
ndr:
  address: journal-ndr@{primary}
"""


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def calls_of(run: Run, cmdlet: str) -> list[dict[str, Any]]:
    return [c for c in run.calls if c.get("cmdlet") == cmdlet]


def contoso(tmp_path: Path, tenant: Tenant) -> Bundle:
    """contoso-mimecast built, in the review's baseline tenant (nothing journaled yet)."""
    tenant.seed(baseline())
    return build(CONTOSO, tmp_path / "bundle")


def converged(tmp_path: Path, tenant: Tenant) -> Bundle:
    """contoso-mimecast built and applied: the tenant matches the spec."""
    bundle = contoso(tmp_path, tenant)
    applied = tenant.run(
        bundle.script("apply.ps1"), "-SkipConnect", "-Confirm:$false", connect_first=True
    )
    assert applied.exit_code == 0, applied.output
    return bundle


# --- sign-in ---------------------------------------------------------------------------------


CLOUDS = [
    pytest.param(CONTOSO, "contoso.onmicrosoft.com", "contoso.com", None, id="commercial"),
    pytest.param(
        SAMPLES / "tailspin-gcchigh.yaml",
        "tailspin.onmicrosoft.us",
        "tailspin.us",
        "O365USGovGCCHigh",
        id="gcc_high",
    ),
    pytest.param(
        cloud_spec("dod", "adventureworks.onmicrosoft.us", "adventureworks.mil"),
        "adventureworks.onmicrosoft.us",
        "adventureworks.mil",
        "O365USGovDoD",
        id="dod",
    ),
    pytest.param(
        cloud_spec("china", "tailspin.partner.onmschina.cn", "tailspin.cn"),
        "tailspin.partner.onmschina.cn",
        "tailspin.cn",
        "O365China",
        id="china",
    ),
]


@pytest.mark.parametrize(("spec", "organization", "primary", "environment"), CLOUDS)
def test_sign_in_names_the_tenants_cloud(
    spec: Path | str,
    organization: str,
    primary: str,
    environment: str | None,
    tmp_path: Path,
    tenant: Tenant,
) -> None:
    bundle = build(spec, tmp_path / "bundle")
    tenant.seed(baseline(organization, primary))
    run = tenant.run(bundle.script("apply.ps1"), "-WhatIf")
    assert run.exit_code == 0, run.output
    assert admin_writes(run) == []
    (connect,) = calls_of(run, "Connect-ExchangeOnline")
    assert connect["outcome"] == "ok", connect
    assert connect["parameters"].get("ExchangeEnvironmentName") == environment
    # The script signs out of what it signed in to, -WhatIf or not.
    (disconnect,) = calls_of(run, "Disconnect-ExchangeOnline")
    assert disconnect["parameters"]["ConnectionId"] == [connect["connection_id"]]


def test_a_partner_admin_signs_in_to_the_customer_tenant(tmp_path: Path, tenant: Tenant) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(
        bundle.script("apply.ps1"),
        "-UserPrincipalName",
        "tech@partner.example",
        "-DelegatedOrganization",
        "contoso.onmicrosoft.com",
        "-WhatIf",
    )
    assert run.exit_code == 0, run.output
    (connect,) = calls_of(run, "Connect-ExchangeOnline")
    assert connect["parameters"]["UserPrincipalName"] == "tech@partner.example"
    assert connect["parameters"]["DelegatedOrganization"] == "contoso.onmicrosoft.com"
    assert "AppId" not in connect["parameters"]


def test_a_relative_certificate_file_is_found_from_powershells_location(
    tmp_path: Path, tenant: Tenant
) -> None:
    """T5 (F5): .NET would resolve .\\app.pfx against the process folder, not the operator's."""
    bundle = contoso(tmp_path, tenant)
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "app.pfx").write_bytes(b"not a real certificate: the simulator only opens the path")
    run = tenant.run(
        bundle.script("apply.ps1"),
        "-AppId",
        "00000000-0000-0000-0000-00000000a99",
        "-CertificateFilePath",
        ".\\app.pfx",
        "-WhatIf",
        location=certs,
    )
    (connect,) = calls_of(run, "Connect-ExchangeOnline")
    assert connect["certificate_file"] == str(certs / "app.pfx"), connect
    assert run.exit_code == 0, run.output
    assert connect["parameters"]["Organization"] == "contoso.onmicrosoft.com"
    assert admin_writes(run) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the certificate store exists on Windows")
def test_a_thumbprint_off_windows_stops_with_the_scripts_own_message(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle = contoso(tmp_path, tenant)
    before = tenant.state
    run = tenant.run(
        bundle.script("apply.ps1"),
        "-AppId",
        "00000000-0000-0000-0000-00000000a99",
        "-CertificateThumbprint",
        "0123456789ABCDEF0123456789ABCDEF01234567",
        "-Confirm:$false",
    )
    assert run.exit_code == 1, run.output
    assert calls_of(run, "Connect-ExchangeOnline") == []
    assert admin_writes(run) == []
    assert tenant.state == before
    assert not list(tenant.folder.glob("journalgen-backup-*.json"))
    assert "-CertificateThumbprint" in run.stdout and "-CertificateFilePath" in run.stdout
    assert "Nothing was changed." in run.stdout
    assert "A parameter cannot be found" not in run.output


# --- sign-out --------------------------------------------------------------------------------


def test_skip_connect_uses_the_open_session_and_leaves_it_open(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert run.exit_code == 0, run.output
    # The one sign-in is the operator's (before the script); the script signs in and out never.
    (connect,) = calls_of(run, "Connect-ExchangeOnline")
    assert connect["seq"] == 1
    assert calls_of(run, "Disconnect-ExchangeOnline") == []


def test_sign_out_closes_only_the_scripts_own_connection(tmp_path: Path, tenant: Tenant) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(bundle.script("verify.ps1"), connect_first=True)
    assert run.exit_code == 1, run.output  # nothing journaled yet: MISSING rows
    operators, scripts = calls_of(run, "Connect-ExchangeOnline")
    (disconnect,) = calls_of(run, "Disconnect-ExchangeOnline")
    assert disconnect["parameters"]["ConnectionId"] == [scripts["connection_id"]]
    assert operators["connection_id"] != scripts["connection_id"]
    assert "cannot close one connection alone" not in run.output


def test_a_module_without_connection_ids_closes_every_connection_and_says_so(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(bundle.script("apply.ps1"), "-WhatIf", options={"module_version": "3.1.0"})
    assert run.exit_code == 0, run.output
    (disconnect,) = calls_of(run, "Disconnect-ExchangeOnline")
    assert "ConnectionId" not in disconnect["parameters"]
    assert disconnect["outcome"] == "ok"
    assert "cannot close one connection alone" in run.output


@pytest.mark.parametrize(
    ("script", "arguments"), [("verify.ps1", ()), ("apply.ps1", ("-Confirm:$false",))]
)
def test_a_failed_sign_out_warns_and_keeps_the_exit_code(
    script: str, arguments: tuple[str, ...], tmp_path: Path, tenant: Tenant
) -> None:
    """T8 (F8): an error in the finally block must not replace the run's own result."""
    bundle = converged(tmp_path, tenant)
    run = tenant.run(bundle.script(script), *arguments, faults={"disconnect_error": True})
    (disconnect,) = calls_of(run, "Disconnect-ExchangeOnline")
    assert disconnect["outcome"] == "error"
    assert run.exit_code == 0, run.output
    assert SIGN_OUT_WARNING in run.output
    assert admin_writes(run) == []


def test_a_failed_sign_out_keeps_verifys_drift_code(tmp_path: Path, tenant: Tenant) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(bundle.script("verify.ps1"), faults={"disconnect_error": True})
    assert run.exit_code == 1, run.output
    assert "setting(s) differ from the spec" in run.stdout
    assert SIGN_OUT_WARNING in run.output


# --- exit codes ------------------------------------------------------------------------------


def test_a_declined_plan_exits_3_and_changes_nothing(tmp_path: Path, tenant: Tenant) -> None:
    """T9 (F9): answering No must not look like a completed change (exit 0)."""
    bundle = build(CONTOSO, tmp_path / "bundle")
    before = empty_tenant(load_json(STATES / "contoso-mimecast.json"), "journal-ndr@contoso.com")
    tenant.seed(before)
    # With standard input, pwsh runs without -NonInteractive and the prompt reads the answer.
    run = tenant.run(bundle.script("apply.ps1"), stdin="N\n")
    assert "Apply all 4 change(s) listed above" in run.stdout, run.output
    assert run.exit_code == 3, run.output
    assert admin_writes(run) == []
    assert tenant.state == before
    assert not list(tenant.folder.glob("journalgen-backup-*.json"))
    assert "declined" in run.stdout
    # The operator signed in through the script, so it still signs out.
    assert len(calls_of(run, "Disconnect-ExchangeOnline")) == 1


def test_an_approved_plan_exits_0(tmp_path: Path, tenant: Tenant) -> None:
    bundle = contoso(tmp_path, tenant)
    run = tenant.run(bundle.script("apply.ps1"), stdin="Y\n")
    assert run.exit_code == 0, run.output
    assert len(admin_writes(run)) == 5
    assert list(tenant.folder.glob("journalgen-backup-*.json"))

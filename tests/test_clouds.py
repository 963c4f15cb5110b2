"""Sovereign clouds and partner sign-in: the tenant.cloud field, its checks, and what the scripts pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.clouds import CLOUDS, in_initial_domain, initial_suffix
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.emit import SCRIPTS
from tests.conftest import ROOT
from tests.psparse import assert_clean, command_uses, hashtable_assignments
from tests.spectext import after, codes, diagnostics, found, spec_text

GCC_HIGH = ROOT / "samples" / "tailspin-gcchigh.yaml"


def tenant(cloud: str, organization: str) -> dict[str, object]:
    return {"tenant": {"organization": organization, "cloud": cloud}}


def bundle_for(overrides: dict[str, object]) -> dict[str, bytes]:
    return compile_bundle(check_source(spec_text(overrides).encode(), "s.yaml"))


def text(data: bytes) -> str:
    return data[3:].decode("ascii")


def environment_in(script: str) -> str | None:
    """The ExchangeEnvironmentName the data block hands the engine, as PowerShell source."""
    for line in script.splitlines():
        if line.strip().startswith("ExchangeEnvironmentName"):
            return line.split("=", 1)[1].strip()
    raise AssertionError("no ExchangeEnvironmentName in the data block")


@pytest.mark.parametrize(
    ("cloud", "organization", "environment"),
    [
        ("commercial", "contoso.onmicrosoft.com", "$null"),
        ("gcc", "contoso.onmicrosoft.com", "$null"),
        ("gcc_high", "contoso.onmicrosoft.us", "'O365USGovGCCHigh'"),
        ("dod", "contoso.onmicrosoft.us", "'O365USGovDoD'"),
        ("china", "contoso.partner.onmschina.cn", "'O365China'"),
    ],
)
def test_each_cloud_builds_and_its_scripts_sign_in_to_its_environment(
    cloud: str, organization: str, environment: str
) -> None:
    bundle = bundle_for(tenant(cloud, organization))
    for script in SCRIPTS:
        source = text(bundle[script])
        assert_clean(source)
        assert environment_in(source) == environment
        if environment != "$null":
            assert f"-ExchangeEnvironmentName {environment}" in source
    assert "JG223" not in codes(spec_text(tenant(cloud, organization)))


def test_the_engine_passes_the_environment_to_connect_only_when_the_plan_names_one() -> None:
    source = text(bundle_for(tenant("gcc_high", "contoso.onmicrosoft.us"))["apply.ps1"])
    assert (
        "if ($Journalgen.ExchangeEnvironmentName) { $connect['ExchangeEnvironmentName'] = "
        "$Journalgen.ExchangeEnvironmentName }" in source
    )
    [connect] = [u for u in command_uses(source) if u.name == "Connect-ExchangeOnline"]
    assert connect.function == "Connect-Jg" and "@connect" in connect.text


def test_the_plan_decides_the_environment_from_the_cloud_table() -> None:
    plan = plan_for(check_source(GCC_HIGH.read_bytes(), GCC_HIGH.name))
    assert plan.environment_name == "O365USGovGCCHigh" == CLOUDS["gcc_high"].environment
    assert CLOUDS["commercial"].environment is None and CLOUDS["gcc"].environment is None


@pytest.mark.parametrize(
    ("cloud", "organization"),
    [
        ("gcc_high", "contoso.onmicrosoft.com"),
        ("commercial", "contoso.onmicrosoft.us"),
        ("china", "contoso.onmicrosoft.us"),
        ("dod", "contoso.partner.onmschina.cn"),
        ("gcc", "contoso.partner.onmschina.cn"),
    ],
)
def test_a_suffix_that_does_not_match_the_cloud_is_a_positioned_error(
    cloud: str, organization: str
) -> None:
    source = spec_text(tenant(cloud, organization))
    assert ("JG223", after(source, "organization: ")) in found(source)


def test_a_suffix_of_no_cloud_is_refused_by_the_field_itself() -> None:
    for organization in ("contoso.onmicrosoft.de", "a.b.onmicrosoft.us", "partner.onmschina.cn"):
        assert "JG106" in codes(spec_text(tenant("commercial", organization)))


def test_initial_suffix_needs_exactly_one_name_label() -> None:
    assert initial_suffix("Contoso.OnMicrosoft.US") == ".onmicrosoft.us"
    assert initial_suffix("contoso.partner.onmschina.cn") == ".partner.onmschina.cn"
    assert initial_suffix("x.contoso.onmicrosoft.com") is None
    assert initial_suffix("onmicrosoft.com") is None
    assert in_initial_domain("mail.onmicrosoft.us") and not in_initial_domain("contoso.us")


@pytest.mark.parametrize(
    "address", ["ndr@contoso.onmicrosoft.us", "ndr@contoso.partner.onmschina.cn"]
)
def test_ndr_in_a_sovereign_initial_domain_is_an_exchange_online_mailbox(address: str) -> None:
    assert "JG207" in codes(spec_text({"ndr": {"address": address}}))


@pytest.mark.parametrize("cloud", ["gcc_high", "dod", "china"])
def test_sovereign_clouds_warn_that_no_vendor_source_confirms_them(cloud: str) -> None:
    organization = "contoso" + CLOUDS[cloud].suffix
    source = spec_text(tenant(cloud, organization))
    [warning] = [d for d in diagnostics(source) if d.code == "JG307"]
    assert f"{warning.line}:{warning.column}" == after(source, "cloud: ")
    assert CLOUDS[cloud].label in warning.message


@pytest.mark.parametrize("cloud", ["commercial", "gcc"])
def test_commercial_clouds_do_not_warn_about_vendors(cloud: str) -> None:
    assert "JG307" not in codes(spec_text(tenant(cloud, "contoso.onmicrosoft.com")))


def test_gcc_high_and_dod_scripts_say_app_only_is_unconfirmed() -> None:
    for cloud in ("gcc_high", "dod"):
        source = text(bundle_for(tenant(cloud, "contoso.onmicrosoft.us"))["apply.ps1"])
        assert "contradicted in Microsoft's own docs and" in source
    china = text(bundle_for(tenant("china", "contoso.partner.onmschina.cn"))["apply.ps1"])
    assert "contradicted" not in china


def test_the_gcc_high_sample_validates_with_only_the_vendor_warning(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(GCC_HIGH)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {d.code for d in check_source(GCC_HIGH.read_bytes(), GCC_HIGH.name).warnings} == {
        "JG307"
    }


# --- partner admins ----------------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_takes_delegated_organization_for_interactive_sign_in(script: str) -> None:
    source = text(bundle_for({})[script])
    param = (
        "    [Parameter(ParameterSetName = 'Interactive')]\n    [string] $DelegatedOrganization,"
    )
    assert param in source.replace("\r\n", "\n")
    assert ".PARAMETER DelegatedOrganization" in source
    example = f".\\{script} -UserPrincipalName tech@partner.example -DelegatedOrganization"
    assert example in source
    assert "$connect['DelegatedOrganization'] = $DelegatedOrganization" in source
    # The tenant guard stays: it runs right after sign-in in every script.
    run = source[source.index("$JgConnected = Connect-Jg") :].splitlines()
    assert run[1].strip().endswith("= Assert-JgTenant")


def test_sign_in_is_chosen_by_parameter_set_name_so_skipconnect_false_cannot_fall_through() -> None:
    source = text(bundle_for({})["apply.ps1"])
    start = source.index("function Connect-Jg {")
    connect = source[start : source.index("\r\n}\r\n", start)]
    assert "switch ($JgCmdlet.ParameterSetName) {" in connect
    assert "if ($SkipConnect) { return $false }" not in connect
    existing = connect.index("'Existing' {")
    assert connect.index("-SkipConnect:$false names no way to sign in", existing)
    assert "default { throw" in connect
    # App-only values are read only in the app-only sets.
    assert connect.index("$connect['AppId'] = $AppId") > connect.index("'AppThumbprint' {")
    assert dict(hashtable_assignments(source))["connect"] == ["ShowBanner"]

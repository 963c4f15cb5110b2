"""Capturing a tenant's state: the capture script and verify.ps1 -StatePath, read-only, writing what state.py reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from journalgen import state
from journalgen.cli import main
from journalgen.clouds import CLOUDS
from journalgen.compiler import check_source, compile_bundle
from journalgen.emit import UTF8_BOM, engine_text, render_capture
from tests.conftest import ROOT, SAMPLES, Golden
from tests.psparse import (
    assert_clean,
    command_uses,
    hashtable_assignments,
)
from tests.test_apply import CMDLETS, COMMON
from tests.test_bundle import assert_read_only
from tests.test_probe import read_only_functions

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"

# The variable each [ordered] table of engine/state.ps1.j2 is built in, and the model reading it.
KINDS: dict[str, type[BaseModel]] = {
    "acceptedDomain": state.AcceptedDomain,
    "transportConfig": state.TransportConfig,
    "journalRule": state.JournalRule,
    "outboundConnector": state.OutboundConnector,
    "mailContact": state.MailContact,
    "recipient": state.Recipient,
    "transportRule": state.TransportRule,
    "state": state.TenantState,
}
# Keys the capture writes beyond the models, which docs/state.md names as ignored.
EXTRA = {"outboundConnector": ["Guid"]}
# A rule's target is read as an address whichever form Exchange returns it in (F13).
VALUE = re.compile(
    r"^\s+(\w+)\s+= (?:\(Get-JgJournalAddress -Value )?"
    r"\(Read-JgStateValue -Object \$\w+ -Name '(\w+)' -As '(\w+)'( -Optional)?\)\)?$"
)


def capture(organization: str | None = "contoso.onmicrosoft.com", cloud: str = "commercial") -> str:
    return render_capture(organization, cloud)[3:].decode("ascii")


def verify(sample: Path = MIMECAST) -> str:
    bundle = compile_bundle(check_source(sample.read_bytes(), sample.name))
    return bundle["verify.ps1"][3:].decode("ascii")


def function_body(source: str, name: str) -> str:
    source = source.replace("\r\n", "\n")
    start = source.index(f"function {name} {{")
    return source[start : source.index("\n}\n", start)]


def kind_of(schema: dict[str, Any]) -> str:
    """How Read-JgStateValue must convert a property of this JSON Schema type."""
    types = {t["type"] for t in schema.get("anyOf", [schema])}
    if "array" in types:
        return "list"
    (kind,) = types - {"null"}
    return {"string": "text", "boolean": "bool", "integer": "int"}[kind]


# --- the script itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "organization", "cloud"),
    [
        ("capture-contoso", "contoso.onmicrosoft.com", "commercial"),
        ("capture-gcchigh", None, "gcc_high"),
    ],
)
def test_golden_capture_script(
    name: str, organization: str | None, cloud: str, golden: Golden
) -> None:
    golden.check(f"capture/{name}.ps1", render_capture(organization, cloud))


@pytest.mark.parametrize("cloud", list(CLOUDS))
@pytest.mark.parametrize("organization", [None, "tailspin"])
def test_capture_is_ascii_with_bom_and_crlf_and_parses_cleanly(
    cloud: str, organization: str | None
) -> None:
    org = organization + CLOUDS[cloud].suffix if organization else None
    data = render_capture(org, cloud)
    assert data.startswith(UTF8_BOM)
    body = data[3:]
    assert body.isascii()
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    source = capture(org, cloud)
    assert_clean(source)
    for use in command_uses(source):
        if use.name in CMDLETS:
            unknown = set(use.parameters) - CMDLETS[use.name] - COMMON
            assert not unknown, f"{use.name} has no parameter(s) {unknown}"
    environment = CLOUDS[cloud].environment
    expected = f"'{environment}'" if environment else "$null"
    assert f"ExchangeEnvironmentName = {expected}" in source
    assert f"InitialSuffix           = '{CLOUDS[cloud].suffix}'" in source
    # The sign-in parameters of the other scripts, partner sign-in included.
    for parameter in ("UserPrincipalName", "DelegatedOrganization", "AppId", "SkipConnect"):
        assert f"[string] ${parameter}" in source or f"[switch] ${parameter}" in source


def test_the_capture_script_guards_the_tenant_it_was_built_for() -> None:
    source = capture("Contoso.onmicrosoft.com")
    assert "Organization            = 'contoso.onmicrosoft.com'" in source
    assert "PrimaryDomain           = 'contoso.onmicrosoft.com'" in source
    run = source[source.rindex("\ntry {") :]
    assert run.index("Connect-Jg") < run.index("Assert-JgTenant") < run.index("Get-JgState")
    assert "[string] $Organization = 'contoso.onmicrosoft.com'" in source
    # Built for no tenant: no guard to pass, the tenant names itself, app-only must name it.
    anywhere = capture(None)
    assert "Organization            = $null" in anywhere
    assert "Get-JgInitialDomain -Accepted (Get-JgAcceptedDomains)" in anywhere
    assert (
        "[Parameter(ParameterSetName = 'AppFile', Mandatory = $true)]\r\n    [string] $Organization"
        in anywhere
    )


def test_capture_script_command(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "capture.ps1"
    args = ["capture-script", "--organization", "tailspin.onmicrosoft.us", "--cloud", "gcc_high"]
    result = runner.invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == render_capture("tailspin.onmicrosoft.us", "gcc_high")
    printed = runner.invoke(main, ["capture-script"])
    assert printed.exit_code == 0
    assert printed.stdout_bytes == render_capture(None, "commercial")
    # An organization of another cloud, or no initial domain at all, is a usage error.
    wrong = runner.invoke(
        main, ["capture-script", "--organization", "contoso.onmicrosoft.com", "--cloud", "dod"]
    )
    assert wrong.exit_code == 2 and "onmicrosoft.us" in wrong.output
    plain = runner.invoke(main, ["capture-script", "--organization", "contoso.com"])
    assert plain.exit_code == 2 and "--cloud" not in plain.output
    assert not (tmp_path / "other.ps1").exists()


def test_capture_script_suggests_the_cloud_an_initial_domain_belongs_to() -> None:
    runner = CliRunner()
    us = runner.invoke(main, ["capture-script", "--organization", "contoso.onmicrosoft.us"])
    assert us.exit_code == 2
    assert "add --cloud gcc_high (Microsoft 365 GCC High) or --cloud dod" in us.output
    china = runner.invoke(
        main, ["capture-script", "--organization", "contoso.partner.onmschina.cn", "--cloud", "gcc"]
    )
    assert china.exit_code == 2 and "add --cloud china" in china.output


# --- read-only ---------------------------------------------------------------------------


def test_the_capture_script_passes_verifys_read_only_proof() -> None:
    for organization in ("contoso.onmicrosoft.com", None):
        assert_read_only(capture(organization), "capture.ps1")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_verifys_state_path_only_reads(sample: Path) -> None:
    source = verify(sample)
    assert_read_only(source, "verify.ps1")
    # Call graph: everything -StatePath runs reads, through every function it calls.
    safe = read_only_functions(source)
    assert {"Save-JgVerifyState", "Get-JgState", "Save-JgState", "Test-JgUnmanaged"} <= safe
    assert "if ($StatePath) { Save-JgVerifyState -Path $StatePath }" in source


def test_the_read_only_proof_rejects_a_write() -> None:
    source = capture().replace(
        "    $transport = Get-TransportConfig -ErrorAction Stop",
        "    Set-TransportConfig -JournalMessageExpirationDays 1\r\n"
        "    $transport = Get-TransportConfig -ErrorAction Stop",
    )
    with pytest.raises(AssertionError, match="Set-TransportConfig"):
        assert_read_only(source, "capture.ps1")
    assert "Get-JgState" not in read_only_functions(source)


def test_verify_and_the_capture_script_share_one_state_engine() -> None:
    piece = engine_text("capture.ps1")
    for name in ("Read-JgStateValue", "Get-JgState", "Get-JgStateRecipient", "Save-JgState"):
        assert function_body(piece, name) == function_body(engine_text("verify.ps1"), name)
    assert verify().count("function Get-JgState {") == 1


# --- what the capture writes is what state.py reads ---------------------------------------


def test_each_captured_object_has_exactly_the_keys_state_py_reads_in_its_order() -> None:
    tables = dict(hashtable_assignments(engine_text("capture.ps1")))
    for variable, model in KINDS.items():
        aliases = [field.alias or name for name, field in model.model_fields.items()]
        assert tables[variable] == aliases + EXTRA.get(variable, []), variable


def test_each_captured_value_has_the_shape_state_py_reads() -> None:
    source = engine_text("capture.ps1")
    tables = dict(hashtable_assignments(source))
    checked = 0
    for variable, model in KINDS.items():
        if variable == "state":
            continue
        schema = model.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        block = source[source.index(f"${variable} = [ordered]@{{") :]
        block = block[: block.index("\n    }")]
        lines = [m for m in (VALUE.match(line) for line in block.splitlines()) if m]
        assert [m.group(1) for m in lines] == tables[variable]
        for match in lines:
            key, name, kind, optional = match.groups()
            assert name == key, f"{variable}.{key} reads '{name}'"
            if key in EXTRA.get(variable, []):
                continue
            assert kind == kind_of(schema["properties"][key]), f"{variable}.{key}"
            # Only a property the model does not require may be missing from Exchange's object.
            assert (optional is not None) == (key not in required) or key == "EmailAddresses"
            checked += 1
    assert checked == sum(len(m.model_fields) for k, m in KINDS.items() if k != "state")


def test_the_captured_state_names_the_format_and_a_utc_time() -> None:
    body = function_body(engine_text("capture.ps1"), "Get-JgState")
    assert f"format              = '{state.FORMAT}'" in body
    # Invariant culture: a German or Thai session still writes 2026-11-27T10:00:00Z.
    assert (
        "(Get-Date).ToUniversalTime().ToString(\"yyyy-MM-dd'T'HH:mm:ss'Z'\", "
        "[System.Globalization.CultureInfo]::InvariantCulture)" in body
    )
    assert state._timestamp("2026-11-27T10:00:00Z")
    # Listing, not lookup by identity, for everything the format holds whole.
    assert "Get-JgAcceptedDomains" in body and "Get-JgOutboundConnectors" in body
    assert "Get-MailContact -ResultSize Unlimited" in body
    save = function_body(engine_text("capture.ps1"), "Save-JgState")
    assert "UTF8Encoding -ArgumentList $false" in save and "-Depth 6" in save


def test_a_property_exchange_did_not_return_stops_the_capture() -> None:
    body = function_body(engine_text("capture.ps1"), "Read-JgStateValue")
    assert "if ($Optional) { return $null }" in body
    assert "throw \"Exchange returned no '$Name' property" in body
    # 'False' as text must not become true.
    assert "[System.Convert]::ToBoolean($value" in body


# --- verify's UNMANAGED rows --------------------------------------------------------------


def test_verify_reports_unmanaged_rules_and_connectors_failing_only_with_strict() -> None:
    source = verify()
    assert "[switch] $Strict" in source and "[string] $StatePath" in source
    unmanaged = function_body(source, "Test-JgUnmanaged")
    # Retired objects have their own rows, PASS or PRESENT.
    assert (
        "@(@($Desired) + @($Retire)" in unmanaged
        and "$retiredConnectors -contains $name" in unmanaged
    )
    assert "Test-JgOverlapsJournalDomain" in unmanaged
    assert unmanaged.count("Status   = 'UNMANAGED'") == 2
    assert (
        "Get-JgOutboundConnectors" in unmanaged and "Get-JournalRule -ErrorAction Stop" in unmanaged
    )
    failing = function_body(source, "Test-JgFailing")
    assert "if ($Row.Status -eq 'UNMANAGED') { return [bool] $Strict }" in failing
    assert "$failing = @($rows | Where-Object { Test-JgFailing -Row $_ })" in source
    # -JsonPath still works this release, and says it is deprecated.
    assert "-JsonPath is deprecated" in source


def test_verify_captures_the_retired_contacts_plan_needs() -> None:
    # plan shows a retired contact's removal, and the rules it would strand, only if the state
    # holds it, whatever targets it.
    engine = engine_text("verify.ps1")
    call = next(line for line in engine.splitlines() if "Get-JgState -Organization" in line)
    assert "-ContactNames $contactNames" in call
    names = next(line for line in engine.splitlines() if line.strip().startswith("$contactNames ="))
    assert "$Journalgen.ContactName" in names
    assert "$Retire | Where-Object { $_.Type -eq 'MailContact' }" in names

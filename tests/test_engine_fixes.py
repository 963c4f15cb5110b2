"""The engine's answers to tenant behaviour no document settles (issue 12): each decision, tested."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.codes import CODES
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.emit import SCRIPTS, script_meta
from journalgen.plan import COMPARE, CONNECTOR_MUST_NOT, diff
from tests.conftest import ROOT, SAMPLES
from tests.psparse import CommandUse, command_uses
from tests.spectext import spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"


def bundle(sample: Path = MIMECAST) -> dict[str, bytes]:
    return compile_bundle(check_source(sample.read_bytes(), sample.name))


def text(data: bytes) -> str:
    return data[3:].decode("ascii")


def uses(script: str, sample: Path = MIMECAST) -> list[CommandUse]:
    return command_uses(text(bundle(sample)[script]))


def function_body(source: str, name: str) -> str:
    start = source.index(f"function {name} {{")
    return source[start : source.index("\r\n}\r\n", start)]


# 1. Get-OutboundConnector -IncludeTestModeConnectors: read both ways, merge by Guid.
def test_connectors_are_listed_with_and_without_test_mode_and_rule_scope_merged_by_guid() -> None:
    for script in SCRIPTS:
        listings = [
            u
            for u in uses(script)
            if u.name == "Get-OutboundConnector" and "Identity" not in u.parameters
        ]
        assert all(u.function == "Get-JgOutboundConnectors" for u in listings)
        assert [u.parameters for u in listings] == [
            ("IncludeTestModeConnectors", "IsTransportRuleScoped", "ResultSize", "ErrorAction")
        ]
    body = function_body(text(bundle()["apply.ps1"]), "Get-JgOutboundConnectors")
    assert "foreach ($testMode in @($true, $false))" in body
    assert "foreach ($ruleScoped in @($true, $false))" in body
    assert "-IncludeTestModeConnectors $testMode -IsTransportRuleScoped $ruleScoped" in body
    assert "'Guid'" in body


# 2. Every read by identity goes through the guard that keeps only the object named so.
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_read_by_identity_is_guarded_against_getting_all_objects(sample: Path) -> None:
    for script in SCRIPTS:
        reads = [
            u
            for u in uses(script, sample)
            if u.name.startswith("Get-")
            and "Identity" in u.parameters
            and not u.name.startswith("Get-Jg")
        ]
        assert reads, script
        for read in reads:
            assert read.enclosing[:1] == ("Get-JgOne",), f"{script}: {read.text}"
    body = function_body(text(bundle()["verify.ps1"]), "Get-JgOne")
    assert "Test-JgIdentityMatch -Object $_ -Identity $Identity" in body
    # None named so among what came back: a query with no result limit decides (T2 in
    # tests/test_sim_reads.py runs it); two named so stop the script.
    assert "Find-JgEvery -Identity $Identity -What $What" in body
    assert "if ($matching.Count -gt 1) {" in body
    assert "Where-Object { $null -ne $_ }" in body  # a not-found $null is no object


# 3. is a spec error: see test_checks (JG222); here, through the CLI.
def test_ndr_equal_to_a_rule_recipient_fails_validate_with_exit_1(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        spec_text({"journal_rules": [{"name": "Board", "recipient": "journal-ndr@contoso.com"}]})
    )
    result = CliRunner().invoke(main, ["validate", str(spec)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "error[JG222]" in result.output


# 4. An NDR address in an accepted domain with nobody behind it stops the preflight.
def test_preflight_stops_on_an_ndr_address_nobody_has_in_an_authoritative_domain() -> None:
    source = text(bundle()["apply.ps1"])
    preflight = function_body(source, "Test-JgPreflight")
    assert "$problems += Test-JgRoutingPreflight" in preflight
    routing = function_body(source, "Test-JgRoutingPreflight")
    ndr = routing[routing.index("$ndrDomain") : routing.index("foreach ($connector")]
    assert '$problems += "No recipient has the NDR address' in ndr
    # An internal-relay domain may deliver it elsewhere: only a warning there.
    assert "-ne 'InternalRelay'" in ndr and "Write-Warning" in ndr


# 5. The journal rule limit: configurable preflight, and a refusal names the setting and sources.
def test_a_refused_journal_rule_stops_and_names_the_limit_setting() -> None:
    source = text(bundle()["apply.ps1"])
    creates = [u for u in command_uses(source) if u.name == "New-JournalRule"]
    assert [u.function for u in creates] == ["New-JgJournalRule"]
    body = function_body(source, "New-JgJournalRule")
    assert "limits.max_journal_rules" in body and "10, 50 or 300" in body
    assert body.rstrip().endswith("}")
    assert "throw " in body[body.index("catch {") :]
    reason = CODES["JG211"].reason + CODES["JG211"].source
    for figure in ("10:", "50:", "300:"):
        assert figure in reason
    checks_md = (ROOT / "docs" / "checks.md").read_text()
    assert "10: Microsoft's journaling article of 2018" in checks_md


# 6. TestMode is managed (must be off); SmtpDaneMode Mandatory is refused and reported; other
#    OnPremises connectors routing all mail on-premises are warned about.
def test_test_mode_is_managed_off_and_compared_as_a_bool() -> None:
    plan = plan_for(check_source(MIMECAST.read_bytes(), MIMECAST.name))
    assert plan.connector.values()["TestMode"] is False
    assert COMPARE["TestMode"] == "bool"
    current = {s.name: s.value for s in plan.connector.settings} | {"TestMode": True}
    changes = diff(plan.connector, current)
    assert changes is not None and [c.name for c in changes] == ["TestMode"]


def test_smtp_dane_mandatory_is_refused_by_apply_and_reported_by_verify_but_never_written() -> None:
    assert CONNECTOR_MUST_NOT == {"SmtpDaneMode": "Mandatory"}
    plan = plan_for(check_source(MIMECAST.read_bytes(), MIMECAST.name))
    assert script_meta(plan)["ConnectorMustNot"] == {"SmtpDaneMode": "Mandatory"}
    assert "SmtpDaneMode" not in plan.connector.values()
    files = bundle()
    for script in SCRIPTS:
        assert not any("SmtpDaneMode" in u.parameters for u in command_uses(text(files[script])))
    routing = function_body(text(files["apply.ps1"]), "Test-JgRoutingPreflight")
    assert "foreach ($setting in $Journalgen.ConnectorMustNot.Keys)" in routing
    verify = text(files["verify.ps1"])
    assert "$rows += @(Test-JgConnectorMustNot)" in verify
    assert "$status = 'DRIFT'" in function_body(verify, "Test-JgConnectorMustNot")


def test_other_on_premises_connectors_routing_everything_on_premises_are_warned_about() -> None:
    routing = function_body(text(bundle()["apply.ps1"]), "Test-JgRoutingPreflight")
    branch = routing[
        routing.index(
            "elseif ([string] (Get-JgProperty -Object $connector -Name 'ConnectorType') -eq 'OnPremises'"
        ) :
    ]
    assert "'RouteAllMessagesViaOnPremises') -eq $true" in branch
    assert branch.index("Write-Warning") < branch.index("return ,$problems")
    assert "$problems +=" not in branch[: branch.index("return")]


# 7. Disconnect only this script's connection where the module can; never obey -WhatIf there.
@pytest.mark.parametrize("script", SCRIPTS)
def test_disconnect_is_by_connection_id_when_supported_and_never_follows_whatif(
    script: str,
) -> None:
    source = text(bundle()[script])
    disconnects = [u for u in command_uses(source) if u.name == "Disconnect-ExchangeOnline"]
    assert [u.function for u in disconnects] == ["Disconnect-Jg", "Disconnect-Jg"]
    for u in disconnects:
        assert {"Confirm", "WhatIf", "ErrorAction"} <= set(u.parameters)
        assert "-WhatIf:$false" in u.text and "-Confirm:$false" in u.text
    assert "ConnectionId" in disconnects[0].parameters
    body = function_body(source, "Disconnect-Jg")
    assert "$command.Parameters.ContainsKey('ConnectionId')" in body
    # The module version stays 3.0.0: older modules fall back to closing all, with a warning.
    assert "ModuleVersion = '3.0.0'" in source
    assert body.index("Write-Warning") < body.rindex("Disconnect-ExchangeOnline")
    # A failed sign-out warns instead of replacing the exit code (tests/test_sim_connect.py).
    assert "try { Disconnect-Jg }" in source
    assert 'catch { Write-Warning "Sign-out failed' in source


# 8. All accepted domains, and a parent domain matching subdomains covers the journal domain.
@pytest.mark.parametrize("script", SCRIPTS)
def test_accepted_domains_are_read_unlimited(script: str) -> None:
    reads = [u for u in uses(script) if u.name == "Get-AcceptedDomain"]
    assert reads and all("-ResultSize Unlimited" in u.text for u in reads)


def test_a_parent_accepted_domain_with_match_subdomains_stops_the_preflight() -> None:
    source = text(bundle()["apply.ps1"])
    covered = function_body(source, "Test-JgInDomain")
    assert "'MatchSubDomains') -eq $true -and $Domain.EndsWith('.' + $name)" in covered
    routing = function_body(source, "Test-JgRoutingPreflight")
    assert "Test-JgInDomain -Domain $Journalgen.JournalDomain -Accepted $domain" in routing


# 9. The first backup of a spec version is kept; CHANGE.md names it.
def test_the_backup_is_named_by_spec_version_and_a_first_backup_is_kept() -> None:
    files = bundle()
    plan = plan_for(check_source(MIMECAST.read_bytes(), MIMECAST.name))
    assert plan.backup_name == f"journalgen-backup-contoso-mimecast-{plan.spec_sha256[:12]}.json"
    apply = text(files["apply.ps1"])
    assert f"BackupName              = '{plan.backup_name}'" in apply
    assert "yyyyMMdd" not in apply
    run = apply[apply.index("$JgConnected = Connect-Jg") :]
    assert run.index("if (Test-JgKeepBackup -Path $BackupPath)") < run.index("Save-JgBackup -Path")
    keep = function_body(apply, "Test-JgKeepBackup")
    assert "-eq $Journalgen.SpecSha256) { return $true }" in keep
    assert "throw" in keep  # another file at the path is never overwritten
    change = files["CHANGE.md"].decode()
    assert f"`rollback.ps1 -BackupPath '{plan.backup_name}'`" in change
    assert plan.backup_name in text(files["rollback.ps1"])


def test_a_changed_spec_gets_its_own_backup_name() -> None:
    first = plan_for(check_source(spec_text().encode(), "s.yaml"))
    second = plan_for(check_source(spec_text({"ndr": {"queue_expiry_days": 2}}).encode(), "s.yaml"))
    assert first.backup_name != second.backup_name


# 10. One confirmation for the whole plan.
def test_apply_asks_once_for_the_whole_plan_before_the_backup_and_any_change() -> None:
    apply = text(bundle()["apply.ps1"])
    asks = [line for line in apply.splitlines() if "ShouldProcess(" in line]
    assert len(asks) == 2  # Confirm-JgStep's fallback, and the plan's one question
    run = apply[apply.index("$JgConnected = Connect-Jg") :]
    assert run.count("ShouldProcess(") == 1
    assert run.index("$JgPlanApproved = $JgCmdlet.ShouldProcess(") < run.index("Save-JgBackup")
    # A declined plan (not -WhatIf) changes nothing and exits 3 (tests/test_sim_connect.py).
    assert "$declined = ($JgPlanApproved -eq $false) -and -not $WhatIfPreference" in run
    assert "$JgExitCode = 3" in run
    step = function_body(apply, "Invoke-JgStep")
    assert "ShouldProcess" not in step and step.count("Confirm-JgStep") == 2
    confirm = function_body(apply, "Confirm-JgStep")
    assert "if ($null -ne $JgPlanApproved) { return $JgPlanApproved }" in confirm
    assert "$JgPlanApproved = $null" in apply[: apply.index("function Confirm-JgStep")]


# 11. The sign-in parameter set is tested by name (see test_clouds for Connect-Jg's switch).
def test_skipconnect_false_is_refused_before_any_sign_in() -> None:
    connect = function_body(text(bundle()["apply.ps1"]), "Connect-Jg")
    existing = connect[connect.index("'Existing' {") : connect.index("'Interactive' {")]
    assert "if (-not $SkipConnect) { throw" in existing and "return $false" in existing
    assert connect.index("'Existing' {") < connect.index("Connect-ExchangeOnline @connect")

"""Retire, rename, migrate: removal in apply, the guards around it, rollback, and specs for one tenant."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from journalgen.change import plan_changes
from journalgen.cli import main
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.plan import COMPARE, RETIRE_PROPERTIES
from tests.conftest import BATCH, ROOT
from tests.psparse import assert_clean, commands
from tests.spectext import DROP, spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
PARALLEL = ROOT / "docs" / "migration" / "contoso-cloudflare-parallel.yaml"
CUTOVER = ROOT / "docs" / "migration" / "contoso-cloudflare-cutover.yaml"
RETIRED = {
    "JournalRule": ["Journal all messages to Mimecast"],
    "MailContact": ["SMTP Journaling"],
    "OutboundConnector": ["Microsoft 365 to Mimecast"],
}


def bundle(path: Path) -> dict[str, bytes]:
    return compile_bundle(check_source(path.read_bytes(), path.name))


def text(data: bytes) -> str:
    return data[3:].decode("ascii").replace("\r\n", "\n")


def function(script: str, name: str) -> str:
    """The source of one engine function, up to the next function or the run."""
    match = re.search(rf"^function {name} \{{\n.*?^\}}\n", script, re.DOTALL | re.MULTILINE)
    assert match is not None, f"no function {name}"
    return match.group(0)


def run_block(script: str) -> str:
    return script[script.index("$JgConnected = $false") :]


def retire_block(script: str) -> str:
    start = script.index("$Retire = @(")
    return script[start : script.index("# --- BEGIN journalgen engine")]


# --- the spec, the plan and the data block -------------------------------------------------------


def test_the_issues_retire_block_validates_builds_and_reaches_the_data_block() -> None:
    files = bundle(CUTOVER)
    apply = text(files["apply.ps1"])
    for script in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        assert_clean(text(files[script]))
        assert retire_block(text(files[script])) == retire_block(apply)
    block = retire_block(apply)
    for kind, names in RETIRED.items():
        for name in names:
            assert f"Identity = '{name}'" in block
            assert f"Type     = '{kind}'" in block
    change = files["CHANGE.md"].decode()
    section = change[change.index("## Removed from the tenant") :]
    section = section[: section.index("\n## ")]
    for names in RETIRED.values():
        assert names[0] in section


def test_the_plan_removes_rules_then_contacts_then_connectors_whatever_the_spec_order() -> None:
    source = spec_text(
        {
            "retire": {
                "connectors": ["Old connector"],
                "contacts": ["Old contact"],
                "journal_rules": ["Old rule B", "Old rule A"],
            }
        }
    )
    plan = plan_for(check_source(source.encode(), "s.yaml"))
    assert [(r.type, r.identity) for r in plan.retired] == [
        ("JournalRule", "Old rule B"),
        ("JournalRule", "Old rule A"),
        ("MailContact", "Old contact"),
        ("OutboundConnector", "Old connector"),
    ]
    assert [r.source for r in plan.retired] == [
        "retire.journal_rules",
        "retire.journal_rules",
        "retire.contacts",
        "retire.connectors",
    ]


def test_a_spec_without_retire_removes_nothing() -> None:
    files = bundle(MIMECAST)
    apply = text(files["apply.ps1"])
    assert "$Retire = @()" in apply
    assert "Removed from the tenant" not in files["CHANGE.md"].decode()
    # No Remove-* reached from the data: the engine's removal has nothing to iterate.
    assert "Invoke-JgRetire -Handled $handled" in apply


def test_the_backup_records_the_settings_rollback_needs_to_recreate_each_retired_kind() -> None:
    apply = text(bundle(CUTOVER)["apply.ps1"])
    assert "Retired      = @($Retire | ForEach-Object { Get-JgRetiredRecord -Item $_ })" in apply
    for kind, names in RETIRE_PROPERTIES.items():
        # Each recorded setting is one the New-* cmdlet takes and the engine knows how to compare
        # (a connector's DANE and MTA-STS modes, which apply does not manage, compare as text).
        assert all(name in COMPARE or name in ("SmtpDaneMode", "MtaStsMode") for name in names)
        listed = ", ".join(f"'{name}'" for name in names)
        assert re.search(rf"^    {kind} +\= @\({listed}\)$", apply, re.MULTILINE), kind


def test_the_cmdlets_a_retired_record_feeds_accept_every_recorded_setting() -> None:
    from tests.test_apply import CMDLETS

    creators = {
        "JournalRule": "New-JournalRule",
        "MailContact": "New-MailContact",
        "OutboundConnector": "New-OutboundConnector",
    }
    for kind, names in RETIRE_PROPERTIES.items():
        for name in names:
            assert name in CMDLETS[creators[kind]] or (kind, name) == (
                "MailContact",
                "HiddenFromAddressListsEnabled",
            )


# --- apply: order and guards ---------------------------------------------------------------------


def test_apply_checks_takeover_and_retire_before_any_change_and_removes_after_converging() -> None:
    apply = text(bundle(CUTOVER)["apply.ps1"])
    run = run_block(apply)
    order = [
        "Test-JgPreflight -AcceptedDomains",
        "Test-JgConnectorTakeover",
        "Test-JgRetirePreflight",
        'throw "Preflight found',
        "$holders = @(Get-JgRetiredHolders)",
        "Get-JgPendingChanges -Holders $holders",
        "Save-JgBackup -Path",
        "Remove-JgRetiredHolder -Holders $holders",
        "Invoke-JgStep -Resource $resource",
        "Invoke-JgRetire -Handled",
    ]
    positions = [run.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_a_retired_object_is_removed_only_after_should_process_and_absent_is_unchanged() -> None:
    apply = text(bundle(CUTOVER)["apply.ps1"])
    body = function(apply, "Remove-JgRetired")
    # Confirm-JgStep: the operator's one answer for the whole plan, or ShouldProcess per step.
    assert body.index("Read-JgRetired") < body.index("'Unchanged'") < body.index("Confirm-JgStep")
    assert body.index("Confirm-JgStep") < body.index("Remove-JgNamed")
    # The only Remove-* cmdlets apply calls sit in Remove-JgNamed, reached from there alone.
    removers = [c for c in commands(apply) if c.startswith("Remove-") and "Jg" not in c]
    assert sorted(removers) == [
        "Remove-JournalRule",
        "Remove-MailContact",
        "Remove-OutboundConnector",
    ]
    assert set(removers) <= set(commands(function(apply, "Remove-JgNamed")))
    callers = [
        name
        for name in re.findall(r"^function (\S+) \{", apply, re.MULTILINE)
        if "Remove-JgNamed" in commands(function(apply, name))
    ]
    assert callers == ["Remove-JgRetired"]


def test_a_lookup_that_returns_other_objects_never_counts_as_the_retired_one() -> None:
    read = function(text(bundle(CUTOVER)["apply.ps1"]), "Read-JgRetired")
    # Get-JgOne stops unless Exchange returns exactly the object named (tests/test_engine_fixes.py).
    assert [c for c in commands(read) if c.startswith("Get-")] == [
        "Get-JgOne",
        "Get-JournalRule",
        "Get-JgOne",
        "Get-MailContact",
        "Get-JgOne",
        "Get-OutboundConnector",
    ]


def test_retire_preflight_stops_on_rules_outside_the_spec_using_a_retired_target() -> None:
    apply = text(bundle(CUTOVER)["apply.ps1"])
    body = function(apply, "Test-JgRetirePreflight")
    assert "Get-JgJournalTargets" in body and "Find-JgRulesUsing" in body
    targets = function(apply, "Get-JgJournalTargets")
    # Rules the spec manages or retires are not "outside the spec".
    assert "@(@($Desired) + @($Retire)" in targets
    using = function(apply, "Find-JgRulesUsing")
    assert "Test-JgDomainCovers" in using


def test_takeover_guard_covers_other_domains_onpremises_and_route_all() -> None:
    body = function(text(bundle(MIMECAST)["apply.ps1"]), "Test-JgConnectorTakeover")
    for needle in ("RecipientDomains", "'OnPremises'", "RouteAllMessagesViaOnPremises"):
        assert needle in body
    assert "$problems +=" in body


@pytest.mark.parametrize(
    ("pattern", "domain", "covered"),
    [
        ("*", "journal.contoso.com", True),
        ("*.mimecast.com", "journal.mimecast.com", True),
        ("*.mimecast.com", "mimecast.com", False),
        ("Journal.Contoso.com", "journal.contoso.com", True),
        ("contoso.com", "journal.contoso.com", False),
    ],
)
def test_domain_coverage_model_matches_the_engine(pattern: str, domain: str, covered: bool) -> None:
    # journalgen.checks.covers is the Python model of Test-JgDomainCovers, plus Exchange's '*'.
    from journalgen.checks import covers

    assert (pattern == "*" or covers(pattern, domain)) is covered
    body = function(text(bundle(MIMECAST)["apply.ps1"]), "Test-JgDomainCovers")
    assert "if ($p -eq '*') { return $true }" in body
    assert "$d.EndsWith($p.Substring(1))" in body


# --- verify -------------------------------------------------------------------------------------


def test_verify_reports_each_retired_object_pass_when_absent_and_fails_while_present() -> None:
    verify = text(bundle(CUTOVER)["verify.ps1"])
    body = function(verify, "Test-JgRetired")
    assert "$status = 'PASS'" in body and "$status = 'PRESENT'" in body
    run = run_block(verify)
    assert run.index("$rows += @(Test-JgRetired)") < run.index(
        "$failing = @($rows | Where-Object { Test-JgFailing -Row $_ })"
    )
    # PRESENT fails without -Strict; only UNMANAGED needs it.
    failing = function(verify, "Test-JgFailing")
    assert "if ($Row.Status -eq 'UNMANAGED') { return [bool] $Strict }" in failing
    assert failing.rstrip().endswith("return $true\n}")
    assert "ShouldProcess" not in verify


# --- rollback ------------------------------------------------------------------------------------


def test_rollback_does_nothing_destructive_without_a_backup_or_remove_all() -> None:
    rollback = text(bundle(MIMECAST)["rollback.ps1"])
    assert "[switch] $RemoveAll" in rollback
    run = run_block(rollback)
    refusal = run.index("if (-not $BackupPath -and -not $RemoveAll) {")
    # The refusal comes before signing in, before any read and before any change.
    assert refusal < run.index("Connect-Jg") < run.index("Remove-JgObject")
    assert run[refusal:].index("throw") < run[refusal:].index("}")


def test_rollback_help_leads_with_the_backup_form() -> None:
    rollback = text(bundle(MIMECAST)["rollback.ps1"])
    examples = re.findall(r"^\.EXAMPLE\n(.*)$", rollback, re.MULTILINE)
    assert "-BackupPath" in examples[0]
    assert all("-RemoveAll" in e or "-BackupPath" in e for e in examples)
    assert examples.index(next(e for e in examples if "-RemoveAll" in e)) == len(examples) - 1


def test_rollback_checks_for_rules_outside_the_spec_before_any_change() -> None:
    rollback = text(bundle(CUTOVER)["rollback.ps1"])
    run = run_block(rollback)
    check = run.index("Test-JgRollbackBlockers -Backup $backup")
    assert check < run.index("Restore-JgRetired") < run.index("Remove-JgObject")
    blockers = function(rollback, "Test-JgRollbackBlockers")
    # With a backup, an object that existed before is restored, not removed: not a blocker.
    assert "$null -ne $saved -and $saved.Exists) { continue }" in blockers


def test_rollback_recreates_retired_connectors_first_and_contacts_then_rules_last() -> None:
    run = run_block(text(bundle(CUTOVER)["rollback.ps1"]))
    order = [
        "Restore-JgRetired -Backup $backup -Type 'OutboundConnector'",
        "Restore-JgObject -Resource $resource",
        "Restore-JgRetired -Backup $backup -Type 'MailContact'",
        "Restore-JgRetired -Backup $backup -Type 'JournalRule'",
    ]
    positions = [run.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_rollback_removes_only_what_the_backup_records_absent() -> None:
    restore = function(text(bundle(MIMECAST)["rollback.ps1"]), "Restore-JgObject")
    assert restore.index("if (-not $Saved.Exists) {") < restore.index("Remove-JgObject")


# --- CHANGE.md and --previous ---------------------------------------------------------------------


def test_change_document_of_a_retiring_spec_says_what_is_removed() -> None:
    change = bundle(CUTOVER)["CHANGE.md"].decode()
    title = change.splitlines()[0]
    assert title == (
        "# Change request: Journal all mail of contoso.com to Cloudflare Email Security "
        "(journaling.mxrecord.io); 3 retired object(s) removed if present"
    )
    assert "Then remove the 3 object(s) the spec retires, where the tenant still has them" in change
    assert "**Removal**" in change


def test_removed_is_only_said_of_what_apply_removes() -> None:
    change = bundle(PARALLEL)["CHANGE.md"].decode()
    before = change[: change.index("## Rollback")]
    assert "removed" not in before.lower()


def renamed(rule: str = "Journal all mail", contact: str | None = None, **extra: Any) -> str:
    overrides: dict[str, Any] = {"journal_rules": [{"name": rule}], **extra}
    if contact is not None:
        overrides["contact"] = {"name": contact}
    return spec_text(overrides)


def test_a_rename_is_a_new_object_never_a_changed_name() -> None:
    old = plan_for(check_source(renamed().encode(), "old.yaml"))
    new = plan_for(
        check_source(
            renamed("Journal every message", contact="Archive Contact").encode(), "new.yaml"
        )
    )
    changes = plan_changes(old, new)
    assert all(c.setting != "Name" for c in changes)
    rows = {(c.object, c.setting): (c.old, c.new) for c in changes}
    assert rows[("Journal rule 'Journal every message'", "(object)")] == ("(absent)", "added")
    assert rows[("Mail contact 'Archive Contact'", "(object)")] == ("(absent)", "added")
    assert rows[("Journal rule 'Journal all mail'", "(object)")] == (
        "managed",
        "dropped from the spec: stays in the tenant",
    )


def test_a_retired_old_name_is_reported_as_removed_from_the_tenant() -> None:
    old = plan_for(check_source(renamed().encode(), "old.yaml"))
    source = renamed("Journal every message", retire={"journal_rules": ["Journal all mail"]})
    new = plan_for(check_source(source.encode(), "new.yaml"))
    rows = {(c.object, c.setting): c.new for c in plan_changes(old, new)}
    assert (
        rows[("Journal rule 'Journal all mail'", "(object)")] == "retired: removed from the tenant"
    )


def test_build_previous_warns_that_a_renamed_rule_stays(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(renamed(), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(renamed("Journal every message"), encoding="utf-8")
    out = tmp_path / "out"
    args = ["build", str(tmp_path / "spec.yaml"), "--previous", str(tmp_path / "old.yaml")]
    result = CliRunner().invoke(main, [*args, "-d", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning[JG504]: Journal rule 'Journal all mail' of the previous spec" in result.output
    assert "stays in the tenant and keeps journaling" in result.output
    change = (out / "spec" / "CHANGE.md").read_text(encoding="utf-8")
    assert "`JG504` Journal rule 'Journal all mail' of the previous spec" in change
    # The warning sits in the --previous section, so check still accepts the bundle.
    assert (
        CliRunner().invoke(main, ["check", str(tmp_path / "spec.yaml"), "-d", str(out)]).exit_code
        == 0
    )
    strict = CliRunner().invoke(main, [*args, "--strict", "-d", str(tmp_path / "strict")])
    assert strict.exit_code == 1
    assert "error[JG504]" in strict.output
    assert not (tmp_path / "strict" / "spec").exists()


def test_a_retired_rename_does_not_warn() -> None:
    from journalgen.compiler import previous_warnings

    old = check_source(renamed().encode(), "old.yaml")
    new = check_source(
        renamed("Journal every message", retire={"journal_rules": ["Journal all mail"]}).encode(),
        "new.yaml",
    )
    assert previous_warnings(new, old) == []


# --- pausing ------------------------------------------------------------------------------------


def test_a_spec_with_every_rule_disabled_is_a_pause() -> None:
    source = spec_text(
        {"journal_rules": [{"name": "All", "enabled": False, "paused_reason": "Contract renewal"}]}
    )
    files = compile_bundle(check_source(source.encode(), "s.yaml"))
    change = files["CHANGE.md"].decode()
    assert change.startswith("# Change request: Pause journaling of contoso.com to Mimecast")
    assert "no mail is journaled until one is re-enabled" in change
    assert "**Journaling paused**: no mail is journaled until a rule is re-enabled." in change
    assert "Contract renewal" in change
    apply = text(files["apply.ps1"])
    assert "    Pause journaling of contoso.com to Mimecast" in apply
    assert "paused: Contract renewal" in apply


# --- specs for one tenant -----------------------------------------------------------------------


def two(tmp_path: Path, first: dict[str, Any], second: dict[str, Any]) -> Any:
    (tmp_path / "a.yaml").write_text(spec_text(first), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(spec_text(second), encoding="utf-8")
    return CliRunner().invoke(main, ["validate", str(tmp_path)])


CLOUDFLARE: dict[str, Any] = {
    "archive": {
        "vendor": "cloudflare",
        "region": DROP,
        "journal_address": "contoso-1@journaling.mxrecord.io",
    },
    "journal_rules": [{"name": "Journal all mail to Cloudflare"}],
}


def test_two_specs_managing_one_contact_with_different_addresses_fail_naming_both(
    tmp_path: Path,
) -> None:
    result = two(tmp_path, {}, CLOUDFLARE)
    assert result.exit_code == 1
    clash = [
        line
        for line in result.output.splitlines()
        if "[JG501]" in line and "SMTP Journaling" in line
    ]
    assert len(clash) == 2
    assert any(line.startswith(str(tmp_path / "a.yaml")) and "b.yaml:" in line for line in clash)
    assert any(line.startswith(str(tmp_path / "b.yaml")) and "a.yaml:" in line for line in clash)


@pytest.mark.parametrize(
    "variant", ["Journal all mail to Cloudflare", "ＪＯＵＲＮＡＬ ａｌｌ ｍａｉｌ ｔｏ Cloudflare"]
)
def test_a_rule_name_two_specs_spell_alike_clashes(tmp_path: Path, variant: str) -> None:
    # The same name to a reviewer, whatever its case, composition or width.
    first = {**CLOUDFLARE, "contact": {"name": "Cloudflare Journaling"}}
    first["journal_rules"] = [{"name": "Journal all mail to Cloudflare"}]
    second = {
        **CLOUDFLARE,
        "contact": {"name": "Other Journaling"},
        "connector": {"name": "Other connector"},
        "journal_rules": [{"name": variant}],
    }
    result = two(tmp_path, first, second)
    assert result.exit_code == 1
    clash = [line for line in result.output.splitlines() if "[JG501]" in line]
    assert any("journal rule" in line for line in clash), result.output


def test_two_disjoint_specs_for_one_tenant_validate(tmp_path: Path) -> None:
    result = two(tmp_path, {}, {**CLOUDFLARE, "contact": {"name": "Cloudflare Journaling"}})
    assert result.exit_code == 0, result.output


def test_a_different_ndr_address_for_one_tenant_clashes(tmp_path: Path) -> None:
    second = {
        **CLOUDFLARE,
        "contact": {"name": "Cloudflare Journaling"},
        "ndr": {"address": "ndr@contoso.com"},
    }
    result = two(tmp_path, {}, second)
    assert result.exit_code == 1
    assert result.output.count("[JG503]") == 2


def test_retiring_what_another_spec_manages_clashes(tmp_path: Path) -> None:
    second = {
        **CLOUDFLARE,
        "contact": {"name": "Cloudflare Journaling"},
        "retire": {"journal_rules": ["journal all mail"]},
    }
    result = two(tmp_path, {}, second)
    assert result.exit_code == 1
    assert result.output.count("[JG502]") == 2


def test_specs_for_different_tenants_never_clash(tmp_path: Path) -> None:
    # Same object names, NDR address and vendor: each tenant has its own.
    other = {
        "tenant": {"organization": "fabrikam.onmicrosoft.com", "primary_domain": "fabrikam.com"}
    }
    assert two(tmp_path, {}, other).exit_code == 0


def test_one_primary_domain_for_two_organizations_clashes(tmp_path: Path) -> None:
    # A guessed initial domain: the same tenant twice, or one spec of the wrong tenant.
    other = {"tenant": {"organization": "contosoeu.onmicrosoft.com"}}
    result = two(tmp_path, {}, other)
    assert result.exit_code == 1
    domain = [line for line in result.output.splitlines() if "[JG505]" in line]
    assert len(domain) == 2
    assert any(
        line.startswith(str(tmp_path / "a.yaml"))
        and "the primary domain contoso.com of tenant contoso.onmicrosoft.com is also the "
        "primary domain of tenant contosoeu.onmicrosoft.com in "
        + str(tmp_path / "b.yaml")
        + ":3:"
        in line
        for line in domain
    ), domain
    # Mimecast's preset derives the journal address from the primary domain: shared too.
    assert result.output.count("[JG506]") == 2


def test_one_journal_address_for_two_tenants_clashes(tmp_path: Path) -> None:
    mine = {**CLOUDFLARE}
    theirs = {
        **CLOUDFLARE,
        "tenant": {"organization": "fabrikam.onmicrosoft.com", "primary_domain": "fabrikam.com"},
    }
    result = two(tmp_path, mine, theirs)
    assert result.exit_code == 1
    assert result.output.count("[JG506]") == 2 and "[JG505]" not in result.output
    assert "journal its mail into the other's archive account" in result.output


def test_build_writes_neither_of_two_clashing_specs_but_builds_the_rest(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(spec_text(), encoding="utf-8")
    (tmp_path / "specs" / "b.yaml").write_text(spec_text(CLOUDFLARE), encoding="utf-8")
    other = {
        "tenant": {"organization": "fabrikam.onmicrosoft.com", "primary_domain": "fabrikam.com"}
    }
    (tmp_path / "specs" / "c.yaml").write_text(spec_text(other), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "specs"), "-d", str(out)])
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["c"]
    checked = CliRunner().invoke(main, ["check", str(tmp_path / "specs"), "-d", str(out)])
    assert checked.exit_code == 1 and "[JG501]" in checked.output


# --- the samples as a batch ---------------------------------------------------------------------


def test_the_samples_folder_validates_as_one_batch_with_one_tenant_each() -> None:
    result = CliRunner().invoke(main, ["validate", *map(str, BATCH)])
    assert result.exit_code == 0, result.output
    import yaml

    tenants = [yaml.safe_load(p.read_text())["tenant"]["organization"] for p in BATCH]
    assert len(set(tenants)) == len(tenants)


def test_the_migration_runs_beside_the_old_spec_then_replaces_it() -> None:
    ok = CliRunner().invoke(main, ["validate", str(MIMECAST), str(PARALLEL)])
    assert ok.exit_code == 0, ok.output
    clash = CliRunner().invoke(main, ["validate", str(MIMECAST), str(CUTOVER)])
    assert clash.exit_code == 1 and "[JG502]" in clash.output
    alone = CliRunner().invoke(main, ["validate", "--strict", str(CUTOVER)])
    assert alone.exit_code == 0, alone.output


def test_the_cutover_built_on_the_parallel_spec_reports_removals(tmp_path: Path) -> None:
    args = ["build", str(CUTOVER), "--previous", str(PARALLEL), "-d", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    change = (tmp_path / CUTOVER.stem / "CHANGE.md").read_text(encoding="utf-8")
    for names in RETIRED.values():
        assert f"| {names[0]}'" in change or names[0] in change
    assert "retired: removed from the tenant" in change


def test_the_plan_apply_confirms_once_includes_each_retired_removal() -> None:
    apply = text(bundle(CUTOVER)["apply.ps1"])
    pending = function(apply, "Get-JgPendingChanges")
    assert pending.index("$lines += @(Get-JgPendingRemovals") < pending.index("return ,$lines")
    removals = function(apply, "Get-JgPendingRemovals")
    assert "foreach ($item in $Retire)" in removals and "Read-JgRetired" in removals


def test_the_plan_apply_confirms_lists_a_retired_holder_where_apply_removes_it() -> None:
    # A renamed contact: the list the operator confirms names its removal first, before the
    # spec's contact is created, as Remove-JgRetiredHolder does, and not again at the end.
    apply = text(bundle(CUTOVER)["apply.ps1"])
    pending = function(apply, "Get-JgPendingChanges")
    first = pending.index("$lines = @($Holders | ForEach-Object")
    assert first < pending.index("foreach ($resource in $Desired)")
    assert "Get-JgPendingRemovals -Skip @($Holders" in pending
    removals = function(apply, "Get-JgPendingRemovals")
    assert "$Skip -contains $item.Identity" in removals
    # The removal and the list come from one lookup of the holders.
    assert "Read-JgRetired" not in function(apply, "Remove-JgRetiredHolder")
    assert_clean(apply)

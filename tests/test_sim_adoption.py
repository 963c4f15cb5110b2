"""Adopting hand-configured tenants under pwsh: re-pointed contacts, foreign backups, gateways, renames."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from journalgen.emit import engine_sha256
from tests.sim import (
    MIGRATION,
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    baseline,
    build,
    live_plan,
    load_json,
    with_ndr_holder,
)

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
CONTACT = "SMTP Journaling"
OLD_ADDRESS = "journaling@journal.old.example"
LEGAL_HOLD = "Legal hold to old archive"
FORMS = ["address", "name"]

pwsh_only = pytest.mark.pwsh


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return build(MIMECAST, tmp_path / "bundle")


def quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# --- issue 18 item 1: adopting a contact by name that points at another archive -----------------


def hand_configured(*, outside_rule: bool = True) -> dict[str, Any]:
    """A tenant set up by hand for the old archive, with journalgen's default contact name."""
    state = baseline()
    state["transport_config"]["JournalingReportNdrTo"] = "journal-ndr@contoso.com"
    state["mail_contacts"].append(
        {
            "Name": CONTACT,
            "ExternalEmailAddress": f"SMTP:{OLD_ADDRESS}",
            "DisplayName": CONTACT,
            "Alias": "Journaling",
            "FirstName": None,
            "Initials": None,
            "LastName": None,
            "HiddenFromAddressListsEnabled": True,
        }
    )
    if outside_rule:
        state["journal_rules"].append(
            {
                "Name": LEGAL_HOLD,
                "JournalEmailAddress": OLD_ADDRESS,
                "Scope": "Global",
                "Recipient": "legal@contoso.com",
                "Enabled": True,
            }
        )
    return state


def test_plan_refuses_to_repoint_a_contact_an_outside_rule_journals_to(
    bundle: Bundle, tmp_path: Path
) -> None:
    planned = live_plan(bundle, hand_configured(), tmp_path)
    assert planned.has_errors
    found = [p for p in planned.problems if p.code == "JG427"]
    assert len(found) == 1, [str(p) for p in planned.problems]
    text = str(found[0])
    assert f"'{LEGAL_HOLD}'" in text and OLD_ADDRESS in text and f"'{CONTACT}'" in text
    assert ": error[JG427]: " in text


def test_plan_repoints_a_contact_no_outside_rule_uses(bundle: Bundle, tmp_path: Path) -> None:
    planned = live_plan(bundle, hand_configured(outside_rule=False), tmp_path)
    assert not [p for p in planned.problems if p.code == "JG427"]


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_apply_refuses_to_repoint_a_contact_an_outside_rule_journals_to(
    form: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"journal_address_form": form}
    before = hand_configured()
    tenant.seed(before)
    for mode in ("-WhatIf", "-Confirm:$false"):
        refused = tenant.run(bundle.script("apply.ps1"), mode)
        assert refused.exit_code == 1, refused.output
        problems = [line for line in refused.output.splitlines() if "Preflight:" in line]
        assert len(problems) == 1, refused.output
        assert f"'{LEGAL_HOLD}'" in problems[0] and f"'{CONTACT}'" in problems[0]
        assert "Nothing was changed." in refused.output
        assert admin_writes(refused) == []
    assert tenant.state == before


@pwsh_only
def test_apply_repoints_a_contact_no_outside_rule_uses(bundle: Bundle, tenant: Tenant) -> None:
    tenant.seed(hand_configured(outside_rule=False))
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    contact = tenant.state["mail_contacts"][0]
    assert contact["ExternalEmailAddress"] == "SMTP:journaling@journal.contoso.com"


# --- issue 18 item 2: a backup of another spec ---------------------------------------------------


@pwsh_only
def test_the_backup_names_its_spec_and_engine(bundle: Bundle, tenant: Tenant) -> None:
    tenant.seed(baseline())
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    saved = json.loads((tenant.folder / bundle.plan.backup_name).read_text(encoding="utf-8"))
    assert saved["SpecName"] == "contoso-mimecast.yaml"
    assert saved["SpecSha256"] == bundle.plan.spec_sha256
    assert saved["EngineSha256"] == engine_sha256()


@pwsh_only
def test_rollback_refuses_a_backup_of_another_spec_before_any_write(
    tenant: Tenant, tmp_path: Path
) -> None:
    # Two specs for one tenant (an MSP's colleague's): the same bytes under another name, then
    # another text as well. Neither backup is this spec's, whatever the switch says.
    text = MIMECAST.read_text(encoding="utf-8")
    legal = build(text, tmp_path / "legal", name="contoso-legal.yaml")
    ours = build(text, tmp_path / "ours", name="contoso-mimecast.yaml")
    edited = text.replace("comment: Sends journal reports", "comment: Now sends journal reports")
    other = build(edited, tmp_path / "other", name="contoso-other.yaml")
    assert legal.plan.spec_sha256 == ours.plan.spec_sha256

    tenant.seed(baseline())
    applied = tenant.run(legal.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    backup = tenant.folder / legal.plan.backup_name
    after_apply = tenant.state

    for current in (ours, other):
        for extra in ((), ("-AllowOtherSpecVersion",)):
            run = tenant.run(
                current.script("rollback.ps1"),
                "-BackupPath",
                quoted(backup),
                *extra,
                "-Confirm:$false",
            )
            assert run.exit_code == 1, run.output
            assert "contoso-legal" in run.stdout
            assert "another spec" in run.stdout
            assert "Nothing was changed." in run.stdout
            assert admin_writes(run) == []
            assert [c for c in run.calls if c.get("kind") == "connection"] == []
    assert tenant.state == after_apply
    help_text = ours.script("rollback.ps1").read_text(encoding="utf-8-sig")
    switch_help = help_text[help_text.index(".PARAMETER AllowOtherSpecVersion") :]
    switch_help = switch_help[: switch_help.index(".EXAMPLE")]
    assert "another spec" in switch_help


# --- issue 18 item 15 (T14): one overlap rule for plan, apply and verify -----------------------


def gateway_tenant(domains: list[str]) -> dict[str, Any]:
    state = baseline()
    state["outbound_connectors"].append(
        {
            "Name": "Gateway",
            "ConnectorType": "Partner",
            "Enabled": True,
            "RecipientDomains": domains,
            "UseMXRecord": False,
            "SmartHosts": ["us-smtp-outbound-1.mimecast.com"],
            "TlsSettings": "EncryptionOnly",
            "TlsDomain": None,
            "IsTransportRuleScoped": False,
            "TestMode": False,
            "RouteAllMessagesViaOnPremises": False,
            "Comment": "Mimecast gateway",
        }
    )
    return state


@pwsh_only
@pytest.mark.parametrize(
    ("domains", "overlaps"),
    [(["*"], False), (["*.contoso.com"], True), (["journal.contoso.com"], True)],
    ids=["every-domain", "wildcard", "exact"],
)
def test_t14_plan_apply_and_verify_agree_on_a_gateway_connector(
    domains: list[str], overlaps: bool, bundle: Bundle, tenant: Tenant
) -> None:
    before = gateway_tenant(domains)
    planned = live_plan(bundle, before, tenant.folder)
    assert any(p.code == "JG418" for p in planned.problems) is overlaps

    tenant.seed(before)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    warned = "Outbound connector 'Gateway' also routes mail for" in applied.output
    assert warned is overlaps, applied.output

    strict = tenant.run(bundle.script("verify.ps1"), "-Strict")
    # verify's only row about a connector outside the spec is its UNMANAGED row.
    assert ("Outbound connector 'Gateway'" in strict.stdout) is overlaps, strict.stdout
    assert strict.exit_code == (1 if overlaps else 0), strict.output


# --- issue 18 item 14 (T13): a contact rename, whichever form rules report their target in -----


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_t13_a_contact_rename_converges_in_either_read_back_form(
    form: str, tenant: Tenant, tmp_path: Path
) -> None:
    text = MIMECAST.read_text(encoding="utf-8")
    assert "contact:\n  name: SMTP Journaling\n" in text
    renamed = (
        text.replace("contact:\n  name: SMTP Journaling\n", "contact:\n  name: Journal Contact\n")
        + "\nretire:\n  contacts: [SMTP Journaling]\n"
    )
    bundle = build(renamed, tmp_path / "renamed", name="contoso-mimecast.yaml")
    tenant.options = {"journal_address_form": form}
    state = with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), "journal-ndr@contoso.com")
    tenant.seed(copy.deepcopy(state))

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    after = tenant.state
    assert [c["Name"] for c in after["mail_contacts"]] == ["Journal Contact"]
    assert [r["JournalEmailAddress"] for r in after["journal_rules"]] == [
        "journaling@journal.contoso.com"
    ]

    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert "Every object already matches the spec." in again.stdout
    assert admin_writes(again) == []
    verified = tenant.run(bundle.script("verify.ps1"), "-Strict")
    assert verified.exit_code == 0, verified.output


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_t13_a_captured_state_plans_no_change_in_either_read_back_form(
    form: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"journal_address_form": form}
    tenant.seed(baseline())
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output

    verified = tenant.run(bundle.script("verify.ps1"), "-StatePath", "s.json")
    assert verified.exit_code == 0, verified.output
    captured = load_json(tenant.folder / "s.json")
    assert [r["JournalEmailAddress"] for r in captured["journal_rules"]] == [
        "journaling@journal.contoso.com"
    ]
    planned = live_plan(bundle, captured, tenant.folder)
    assert not planned.changed, [s for s in planned.steps if s.action != "unchanged"]
    assert not planned.has_errors, [str(p) for p in planned.problems]


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_t13_a_retired_rule_comes_back_to_its_address_in_either_read_back_form(
    form: str, tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(MIGRATION / "contoso-cloudflare-cutover.yaml", tmp_path / "cutover")
    tenant.options = {"journal_address_form": form}
    state = load_json(STATES / "contoso-cloudflare-cutover.json")
    tenant.seed(with_ndr_holder(state, bundle.plan.resolved.ndr.address))
    before = {r["Name"]: r["JournalEmailAddress"] for r in tenant.state["journal_rules"]}

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    backup = tenant.folder / bundle.plan.backup_name
    retired = json.loads(backup.read_text(encoding="utf-8"))["Retired"]
    rules = [r for r in retired if r["Type"] == "JournalRule"]
    assert [r["Settings"]["JournalEmailAddress"] for r in rules] == [
        before[r["Identity"]] for r in rules
    ]

    undone = tenant.run(
        bundle.script("rollback.ps1"), "-BackupPath", quoted(backup), "-Confirm:$false"
    )
    assert undone.exit_code == 0, undone.output
    after = {r["Name"]: r["JournalEmailAddress"] for r in tenant.state["journal_rules"]}
    assert after == before

"""Rollback under pwsh: it gives back the tenant apply found, refuses a foreign backup, restores retired objects."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.sim import (
    MIGRATION,
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    baseline,
    build,
    empty_tenant,
    live_plan,
    load_json,
    with_ndr_holder,
)

pytestmark = pytest.mark.pwsh

SAMPLE_SPECS = sorted(SAMPLES.glob("*.yaml"))
MIMECAST = SAMPLES / "contoso-mimecast.yaml"
CUTOVER = MIGRATION / "contoso-cloudflare-cutover.yaml"
SECTIONS = ("journal_rules", "outbound_connectors", "mail_contacts")
MIMECAST_CONNECTOR = "Microsoft 365 to Mimecast"

# What a round trip may not give back, each because Exchange, not rollback, decides it:
# - Guid: New-* takes none; a recreated object gets the one Exchange gives it.
# - The order of a section: Exchange lists objects in its own order; a recreated one may come
#   last (sections are compared by name).
# - JournalingReportNdrTo: with none before apply ('<>'), rollback leaves the address apply set,
#   as its help says: Exchange Online refuses to clear it while rules exist and its behaviour
#   with none left is unconfirmed (R2; exchange-behaviour.md 1.3).
EXCHANGE_ASSIGNED = frozenset({"Guid"})


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def _by_name(state: Mapping[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {str(item["Name"]).casefold(): item for item in state.get(section, [])}


def restore_differences(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    ndr_address: str,
    not_restorable: frozenset[str] = EXCHANGE_ASSIGNED,
) -> list[str]:
    """Every journaling setting the state recorded before that differs after, but the exceptions."""
    missing = object()
    found: list[str] = []
    for section in SECTIONS:
        old, new = _by_name(before, section), _by_name(after, section)
        found += [f"{section}: {name} is gone" for name in sorted(old.keys() - new.keys())]
        found += [f"{section}: {name} was left" for name in sorted(new.keys() - old.keys())]
        for name in sorted(old.keys() & new.keys()):
            for key, value in old[name].items():
                got = new[name].get(key, missing)
                if key not in not_restorable and got != value:
                    found.append(f"{section}: {name}: {key} {value!r} -> {got!r}")
    for key, value in before["transport_config"].items():
        got = after["transport_config"].get(key, missing)
        if key == "JournalingReportNdrTo" and value in ("<>", None) and got == ndr_address:
            continue
        if got != value:
            found.append(f"transport_config: {key} {value!r} -> {got!r}")
    return found


def backup_of(tenant: Tenant, bundle: Bundle) -> Path:
    path = tenant.folder / bundle.plan.backup_name
    assert path.exists(), f"apply wrote no backup {bundle.plan.backup_name}"
    return path


def quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def rollback(tenant: Tenant, bundle: Bundle, backup: Path, *arguments: str) -> Any:
    return tenant.run(bundle.script("rollback.ps1"), "-BackupPath", quoted(backup), *arguments)


def round_trip(tenant: Tenant, bundle: Bundle, before: dict[str, Any]) -> list[str]:
    """Seed ``before``, apply, roll back with apply's backup: what did not come back."""
    tenant.seed(before)
    for old in tenant.folder.glob("journalgen-backup-*.json"):
        old.unlink()
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    undone = rollback(tenant, bundle, backup_of(tenant, bundle), "-Confirm:$false")
    assert undone.exit_code == 0, undone.output
    return restore_differences(before, tenant.state, bundle.plan.resolved.ndr.address)


def _states_of(spec: Path) -> list[Path]:
    return sorted({STATES / f"{spec.stem}.json", *STATES.glob(f"{spec.stem}-*.json")})


# --- 1. apply then rollback gives back the tenant ------------------------------------------------


@pytest.mark.parametrize("spec", SAMPLE_SPECS, ids=lambda p: p.stem)
def test_rollback_gives_back_the_tenant_apply_found(
    spec: Path, tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(spec, tmp_path / "bundle")
    ndr = bundle.plan.resolved.ndr.address
    tenants = {"empty": empty_tenant(load_json(STATES / f"{spec.stem}.json"), ndr)}
    for path in _states_of(spec):
        state = with_ndr_holder(load_json(path), ndr)
        if live_plan(bundle, state, tenant.folder).has_errors:
            continue  # apply refuses it before any change: nothing to roll back
        tenants[path.stem] = state
    for name, before in tenants.items():
        assert round_trip(tenant, bundle, before) == [], name


# --- 2. -RemoveAll removes what the spec manages, nothing else -----------------------------------


def _outside_objects(state: dict[str, Any], target: str) -> dict[str, Any]:
    """``state`` with a contact, a connector and a rule the spec does not describe."""
    state = copy.deepcopy(state)
    state["mail_contacts"].append(
        {
            "Name": "Vault Journaling",
            "ExternalEmailAddress": "SMTP:vault@archive.example",
            "DisplayName": "Vault Journaling",
            "Alias": "VaultJournaling",
            "FirstName": None,
            "Initials": None,
            "LastName": None,
            "HiddenFromAddressListsEnabled": True,
        }
    )
    state["outbound_connectors"].append(
        {
            "Name": "Microsoft 365 to Vault",
            "ConnectorType": "Partner",
            "Enabled": True,
            "RecipientDomains": ["archive.example"],
            "UseMXRecord": True,
            "SmartHosts": [],
            "TlsSettings": "EncryptionOnly",
            "TlsDomain": None,
            "IsTransportRuleScoped": False,
            "TestMode": False,
            "RouteAllMessagesViaOnPremises": False,
            "Comment": "Not journalgen's",
        }
    )
    state["journal_rules"].append(
        {
            "Name": "Journal legal to Vault",
            "JournalEmailAddress": target,
            "Scope": "Global",
            "Recipient": "legal@contoso.com",
            "Enabled": True,
        }
    )
    return state


def test_remove_all_removes_only_what_the_spec_manages(tenant: Tenant, tmp_path: Path) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    ndr = bundle.plan.resolved.ndr.address
    before = _outside_objects(
        with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), ndr), "vault@archive.example"
    )
    tenant.seed(before)
    removed = tenant.run(bundle.script("rollback.ps1"), "-RemoveAll", "-Confirm:$false")
    assert removed.exit_code == 0, removed.output
    assert [(c["cmdlet"], c["parameters"]["Identity"]) for c in admin_writes(removed)] == [
        ("Remove-JournalRule", "Journal all messages to Mimecast"),
        ("Remove-OutboundConnector", MIMECAST_CONNECTOR),
        ("Remove-MailContact", "SMTP Journaling"),
    ]
    # The spec's objects come first in each section: the others stay, every recorded setting as
    # it was, and so does the NDR address (R2).
    outside = {section: before[section][1:] for section in SECTIONS}
    kept = {**outside, "transport_config": before["transport_config"]}
    assert restore_differences(kept, tenant.state, ndr) == []
    assert "Left as is" in removed.stdout


def test_remove_all_stops_before_any_write_while_an_outside_rule_uses_the_contact(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    ndr = bundle.plan.resolved.ndr.address
    before = _outside_objects(
        with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), ndr),
        "journaling@journal.contoso.com",
    )
    tenant.seed(before)
    refused = tenant.run(bundle.script("rollback.ps1"), "-RemoveAll", "-Confirm:$false")
    assert refused.exit_code == 1, refused.output
    assert "Journal rule 'Journal legal to Vault' is not in the spec" in refused.stdout
    assert "Nothing was changed." in refused.stdout
    assert admin_writes(refused) == []


# --- 3 and T11 (F11): the retire path brings retired objects back with their settings -----------


def _cutover_state(**connector: Any) -> dict[str, Any]:
    state = load_json(STATES / "contoso-cloudflare-cutover.json")
    for item in state["outbound_connectors"]:
        if item["Name"] == MIMECAST_CONNECTOR:
            item.update(connector)
    return state


def test_rollback_of_the_cutover_restores_every_retired_setting_and_lists_what_it_cannot(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(CUTOVER, tmp_path / "bundle")
    ndr = bundle.plan.resolved.ndr.address
    state = _cutover_state(
        MtaStsMode="None",
        SmtpDaneMode="None",
        IsValidated=True,
        LastValidationTimestamp="2026-03-01T08:00:00Z",
        ValidationRecipients=["probe@journal.contoso.com"],
    )
    for contact in state["mail_contacts"]:
        if contact["Name"] == "SMTP Journaling":
            contact["EmailAddresses"] = [
                "SMTP:journaling@journal.contoso.com",
                "smtp:journaling-eu@journal.contoso.com",
            ]
    before = with_ndr_holder(state, ndr)
    tenant.seed(before)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert [c["cmdlet"] for c in admin_writes(applied)] == [
        "Remove-JournalRule",
        "Remove-MailContact",
        "Remove-OutboundConnector",
    ]
    backup = backup_of(tenant, bundle)
    retired = {r["Identity"]: r for r in json.loads(backup.read_text(encoding="utf-8"))["Retired"]}
    assert retired[MIMECAST_CONNECTOR]["NotRestored"]["ValidationRecipients"] == [
        "probe@journal.contoso.com"
    ]

    # What Exchange cannot be given back is listed before the first confirmation is asked for.
    preview = rollback(tenant, bundle, backup, "-WhatIf")
    assert preview.exit_code == 0, preview.output
    assert admin_writes(preview) == []
    listed = preview.stdout[: preview.stdout.index("What if:")]
    for text in (
        f"Outbound connector '{MIMECAST_CONNECTOR}'",
        "IsValidated",
        "LastValidationTimestamp '2026-03-01T08:00:00Z'",
        "ValidationRecipients 'probe@journal.contoso.com'",
        "Mail contact 'SMTP Journaling'",
        "EmailAddresses 'smtp:journaling-eu@journal.contoso.com'",
        "Guid",
    ):
        assert text in listed, text

    undone = rollback(tenant, bundle, backup, "-Confirm:$false")
    assert undone.exit_code == 0, undone.output
    assert [c["cmdlet"] for c in admin_writes(undone)] == [
        "New-OutboundConnector",
        "New-MailContact",
        "Set-MailContact",
        "New-JournalRule",
    ]
    lost = EXCHANGE_ASSIGNED | {
        "IsValidated",
        "LastValidationTimestamp",
        "ValidationRecipients",
        "EmailAddresses",
    }
    assert restore_differences(before, tenant.state, ndr, lost) == []


def test_t11_a_retired_test_mode_connector_comes_back_in_test_mode(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(CUTOVER, tmp_path / "bundle")
    before = with_ndr_holder(
        _cutover_state(TestMode=True, SmtpDaneMode="Opportunistic"),
        bundle.plan.resolved.ndr.address,
    )
    assert round_trip(tenant, bundle, before) == []
    connector = _by_name(tenant.state, "outbound_connectors")[MIMECAST_CONNECTOR.casefold()]
    assert connector["TestMode"] is True
    assert connector["SmtpDaneMode"] == "Opportunistic"


# --- T4 (F4): a backup of another spec version or tenant is refused before any write -------------


def _renamed_contact(spec: Path, name: str) -> str:
    text = spec.read_text(encoding="utf-8")
    assert "contact:\n  name: SMTP Journaling\n" in text
    return text.replace("contact:\n  name: SMTP Journaling\n", f"contact:\n  name: {name}\n")


def test_t4_a_backup_of_another_spec_version_or_tenant_is_refused_before_any_write(
    tenant: Tenant, tmp_path: Path
) -> None:
    old = build(_renamed_contact(MIMECAST, "Old Contact"), tmp_path / "old", name="contoso.yaml")
    current = build(MIMECAST.read_text(encoding="utf-8"), tmp_path / "current", name="contoso.yaml")
    tenant.seed(baseline())
    applied = tenant.run(old.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    backup = backup_of(tenant, old)
    applied_state = tenant.state

    # Another spec version: refused unless -AllowOtherSpecVersion, which rollback's help explains.
    refused = rollback(tenant, current, backup, "-Confirm:$false")
    assert refused.exit_code == 1, refused.output
    assert "-AllowOtherSpecVersion" in refused.stdout
    assert "Nothing was changed." in refused.stdout
    assert admin_writes(refused) == []
    help_text = current.script("rollback.ps1").read_text(encoding="utf-8-sig")
    assert ".PARAMETER AllowOtherSpecVersion" in help_text

    # With it, every object of the spec needs a record before the first change: the renamed
    # contact has none.
    allowed = rollback(tenant, current, backup, "-AllowOtherSpecVersion", "-Confirm:$false")
    assert allowed.exit_code == 1, allowed.output
    assert "Mail contact 'SMTP Journaling'" in allowed.stdout
    assert "Nothing was changed." in allowed.stdout
    assert admin_writes(allowed) == []

    # The backup names its tenant; one of another tenant is refused, the switch or not.
    recorded = json.loads(backup.read_text(encoding="utf-8"))
    assert recorded["Organization"] == "contoso.onmicrosoft.com"
    recorded["Organization"] = "fabrikam.onmicrosoft.com"
    foreign = tmp_path / "fabrikam-backup.json"
    foreign.write_text(json.dumps(recorded), encoding="utf-8")
    for extra in ((), ("-AllowOtherSpecVersion",)):
        other = rollback(tenant, old, foreign, *extra, "-Confirm:$false")
        assert other.exit_code == 1, other.output
        assert "fabrikam.onmicrosoft.com" in other.stdout
        assert "Nothing was changed." in other.stdout
        assert admin_writes(other) == []
    assert tenant.state == applied_state

    # A version that keeps every name (a new connector comment) may use it, with the switch.
    edited = build(
        _renamed_contact(MIMECAST, "Old Contact").replace(
            "comment: Sends journal reports", "comment: Now sends journal reports"
        ),
        tmp_path / "edited",
        name="contoso.yaml",
    )
    undone = rollback(tenant, edited, backup, "-AllowOtherSpecVersion", "-Confirm:$false")
    assert undone.exit_code == 0, undone.output
    assert restore_differences(baseline(), tenant.state, "journal-ndr@contoso.com") == []


# --- T10 (F10): a timestamp-shaped Comment comes back as the same text ----------------------------


def test_t10_a_timestamp_comment_is_restored_as_the_same_text(
    tenant: Tenant, tmp_path: Path
) -> None:
    stamp = "2026-03-14T22:00:00Z"
    bundle = build(MIMECAST, tmp_path / "bundle")
    state = load_json(STATES / "contoso-mimecast.json")
    state["outbound_connectors"][0]["Comment"] = stamp
    before = with_ndr_holder(state, bundle.plan.resolved.ndr.address)
    tenant.seed(before)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert [c["cmdlet"] for c in admin_writes(applied)] == ["Set-OutboundConnector"]
    backup = backup_of(tenant, bundle)
    saved = json.loads(backup.read_text(encoding="utf-8"))
    records = {o["Identity"]: o for o in saved["Objects"]}
    assert records[MIMECAST_CONNECTOR]["Settings"]["Comment"] == stamp

    undone = rollback(tenant, bundle, backup, "-Confirm:$false")
    assert undone.exit_code == 0, undone.output
    assert tenant.state["outbound_connectors"][0]["Comment"] == stamp
    again = rollback(tenant, bundle, backup, "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == [], again.output

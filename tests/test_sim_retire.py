"""Migrations, adoption and every preflight refusal, run for real: apply under pwsh agrees with plan."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from journalgen.importer import ImportRequest, render
from journalgen.state import load_state
from tests.sim import (
    MIGRATION,
    SAMPLES,
    STATES,
    Tenant,
    admin_writes,
    baseline,
    build,
    changed_settings,
    live_plan,
    load_json,
    predicted_changes,
    untouched,
    with_ndr_holder,
)

pytestmark = pytest.mark.pwsh

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
CUTOVER = MIGRATION / "contoso-cloudflare-cutover.yaml"
PARALLEL = MIGRATION / "contoso-cloudflare-parallel.yaml"

# Each state of samples/states whose spec is not named like it, with that spec.
PAIRS = {
    "contoso-mimecast-drifted": MIMECAST,
    "contoso-cloudflare-parallel": PARALLEL,
    "contoso-cloudflare-cutover": CUTOVER,
    "contoso-cloudflare-cutover-stranded": CUTOVER,
}
RETIRE_ORDER = ["Remove-JournalRule", "Remove-MailContact", "Remove-OutboundConnector"]


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def _plan_and_apply(
    spec: Path | str, state: dict[str, Any], tenant: Tenant, tmp_path: Path
) -> tuple[Any, Any, dict[str, Any]]:
    bundle = build(spec, tmp_path / "bundle")
    before = with_ndr_holder(state, bundle.plan.resolved.ndr.address)
    tenant.seed(before)
    predicted = live_plan(bundle, before, tenant.folder)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    return bundle, predicted, {"before": before, "run": applied}


@pytest.mark.parametrize("name", sorted(PAIRS), ids=str)
def test_apply_of_each_migration_state_does_what_plan_says(
    name: str, tenant: Tenant, tmp_path: Path
) -> None:
    bundle, predicted, got = _plan_and_apply(
        PAIRS[name], load_json(STATES / f"{name}.json"), tenant, tmp_path
    )
    applied = got["run"]
    if predicted.has_errors:
        # Apply refuses what plan refuses, before any write, naming the same objects.
        assert applied.exit_code == 1, applied.output
        assert admin_writes(applied) == []
        assert "Nothing was changed." in applied.stdout
        for problem in predicted.problems:
            if problem.is_error and problem.code in ("JG425", "JG426"):
                rule = problem.message.split("'")[1]
                assert rule in applied.stdout
        return
    assert applied.exit_code == 0, applied.output
    after = tenant.state
    assert changed_settings(got["before"], after, bundle.plan) == predicted_changes(predicted)
    assert untouched(got["before"], after, bundle.plan) == []
    removals = [c["cmdlet"] for c in admin_writes(applied) if c["cmdlet"].startswith("Remove-")]
    assert removals == sorted(removals, key=RETIRE_ORDER.index)
    verified = tenant.run(bundle.script("verify.ps1"))
    assert verified.exit_code == 0, verified.output
    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0 and admin_writes(again) == [], again.output


def test_the_cutover_removes_the_retired_objects_after_the_new_ones_converge(
    tenant: Tenant, tmp_path: Path
) -> None:
    _, _, got = _plan_and_apply(
        CUTOVER, load_json(STATES / "contoso-cloudflare-parallel.json"), tenant, tmp_path
    )
    applied = got["run"]
    assert applied.exit_code == 0, applied.output
    writes = [c["cmdlet"] for c in admin_writes(applied)]
    first_removal = next(i for i, c in enumerate(writes) if c.startswith("Remove-"))
    assert all(not c.startswith("Remove-") for c in writes[:first_removal])
    assert writes[first_removal:] == RETIRE_ORDER
    assert "New-JournalRule" in writes[:first_removal]
    state = tenant.state
    assert [r["Name"] for r in state["journal_rules"]] == ["Journal all messages to Cloudflare"]
    assert [c["Name"] for c in state["mail_contacts"]] == ["Cloudflare Journaling"]


def test_a_spec_imported_from_a_hand_configured_tenant_applies_without_a_write(
    tenant: Tenant, tmp_path: Path
) -> None:
    raw = (STATES / "hand-configured-mimecast.json").read_bytes()
    text = render(load_state(raw, "state.json"), ImportRequest())
    text = text.replace("acknowledge_downgrade: false", "acknowledge_downgrade: true")
    _, predicted, got = _plan_and_apply(
        text, load_json(STATES / "hand-configured-mimecast.json"), tenant, tmp_path
    )
    assert not predicted.changed
    assert got["run"].exit_code == 0, got["run"].output
    assert admin_writes(got["run"]) == []
    assert "Every object already matches the spec." in got["run"].stdout


# --- Preflight refusals: each one stops apply before any write, as plan predicts ---------------


def _contoso() -> dict[str, Any]:
    return baseline()


def _with_rules(state: dict[str, Any], count: int) -> dict[str, Any]:
    state["transport_config"]["JournalingReportNdrTo"] = "journal-ndr@contoso.com"
    state["journal_rules"] = [
        {
            "Name": f"Other rule {n}",
            "JournalEmailAddress": f"rule{n}@archive.example",
            "Scope": "Global",
            "Recipient": None,
            "Enabled": True,
        }
        for n in range(count)
    ]
    return state


def _wrong_tenant() -> dict[str, Any]:
    return baseline("fabrikam.onmicrosoft.com", "fabrikam.com")


def _journal_domain_accepted() -> dict[str, Any]:
    state = _contoso()
    state["accepted_domains"].append(
        {
            "DomainName": "journal.contoso.com",
            "Default": False,
            "DomainType": "Authoritative",
            "MatchSubDomains": False,
        }
    )
    return state


def _name_held_by_a_mailbox() -> dict[str, Any]:
    state = _contoso()
    state["recipients"].append(
        {
            "Name": "SMTP Journaling",
            "RecipientTypeDetails": "UserMailbox",
            "EmailAddresses": ["SMTP:smtp.journaling@contoso.com"],
        }
    )
    return state


def _address_held_by_another() -> dict[str, Any]:
    state = _contoso()
    state["mail_contacts"].append(
        {
            "Name": "Old archive contact",
            "ExternalEmailAddress": "SMTP:journaling@journal.contoso.com",
            "DisplayName": "Old archive contact",
            "Alias": "oldarchive",
            "FirstName": None,
            "Initials": None,
            "LastName": None,
            "HiddenFromAddressListsEnabled": True,
        }
    )
    return state


def _ndr_is_a_mailbox() -> dict[str, Any]:
    state = _contoso()
    state["recipients"][0]["RecipientTypeDetails"] = "SharedMailbox"
    return state


def _ndr_held_by_nobody() -> dict[str, Any]:
    state = _contoso()
    state["recipients"] = []
    state["recipient_lookups"] = ["journal-ndr@contoso.com"]
    return state


def _takeover() -> dict[str, Any]:
    state = _contoso()
    state["outbound_connectors"].append(
        {
            "Name": "Microsoft 365 to Mimecast",
            "ConnectorType": "Partner",
            "Enabled": True,
            "RecipientDomains": ["journal.contoso.com", "partner.example"],
            "UseMXRecord": False,
            "SmartHosts": ["smtp.partner.example"],
            "TlsSettings": "EncryptionOnly",
            "TlsDomain": None,
            "IsTransportRuleScoped": False,
            "TestMode": False,
            "RouteAllMessagesViaOnPremises": False,
            "Comment": None,
        }
    )
    return state


REFUSALS = {
    "wrong tenant": (_wrong_tenant, "Wrong tenant"),
    "rule limit": (lambda: _with_rules(_contoso(), 50), "would exceed the limit of 50"),
    "journal domain accepted": (_journal_domain_accepted, "cannot journal to itself"),
    "contact name held by a mailbox": (_name_held_by_a_mailbox, "already belongs to a UserMailbox"),
    "journal address held by another": (
        _address_held_by_another,
        "already belongs to 'Old archive contact'",
    ),
    "ndr address is a mailbox": (_ndr_is_a_mailbox, "is an Exchange Online mailbox"),
    "ndr address held by nobody": (_ndr_held_by_nobody, "No recipient has the NDR address"),
    "connector takeover": (_takeover, "also routes mail for partner.example"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS), ids=str)
def test_each_preflight_refusal_stops_before_any_write(
    case: str, tenant: Tenant, tmp_path: Path
) -> None:
    make, message = REFUSALS[case]
    bundle = build(MIMECAST, tmp_path / "bundle")
    state = make()
    tenant.seed(state)
    if case != "wrong tenant":
        # plan refuses the same state (the wrong tenant is a spec/state mismatch plan reports apart).
        predicted = live_plan(bundle, copy.deepcopy(state), tenant.folder)
        assert predicted.has_errors, [str(p) for p in predicted.problems]
    for arguments in (("-WhatIf",), ("-Confirm:$false",)):
        refused = tenant.run(bundle.script("apply.ps1"), *arguments)
        assert refused.exit_code == 1, refused.output
        assert message in refused.stdout
        assert "Nothing was changed." in refused.stdout
        assert admin_writes(refused) == []
        assert not list(tenant.folder.glob("journalgen-backup-*.json"))
    assert tenant.state == state or tenant.state["journal_rules"] == state["journal_rules"]


def test_ndr_address_equal_to_a_rule_recipient_is_refused_by_the_spec_not_the_tenant() -> None:
    # JG222: Exchange refuses it at New-JournalRule, halfway through apply; journalgen refuses the
    # spec, so no such script exists to run.
    from journalgen.compiler import check_source
    from journalgen.errors import SpecError

    text = MIMECAST.read_text(encoding="utf-8").replace(
        "  - name: Journal all messages to Mimecast\n",
        "  - name: Journal all messages to Mimecast\n    recipient: journal-ndr@contoso.com\n",
    )
    with pytest.raises(SpecError) as caught:
        check_source(text.encode("utf-8"), "ndr-recipient.yaml")
    assert "JG222" in str(caught.value.diagnostics[0])


def test_an_unset_ndr_address_is_set_before_the_first_rule(tenant: Tenant, tmp_path: Path) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    tenant.seed(_contoso())
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    writes = [c["cmdlet"] for c in admin_writes(applied)]
    assert writes.index("Set-TransportConfig") < writes.index("New-JournalRule")
    assert tenant.state["transport_config"]["JournalingReportNdrTo"] == "journal-ndr@contoso.com"

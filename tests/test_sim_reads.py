"""How the engine reads Exchange, under pwsh against the simulator (engine review F2, F6, F13, F14)."""

from __future__ import annotations

import copy
import json
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
    load_json,
    untouched,
)

pytestmark = pytest.mark.pwsh

SPEC = SAMPLES / "contoso-mimecast.yaml"
CONNECTOR = "Microsoft 365 to Mimecast"
CONTACT = "SMTP Journaling"
RULE = "Journal all messages to Mimecast"


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return build(SPEC, tmp_path / "bundle")


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def mail_user(name: str, address: str) -> dict[str, Any]:
    return {"Name": name, "RecipientTypeDetails": "MailUser", "EmailAddresses": [f"SMTP:{address}"]}


def with_mail_users(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` plus two mail users the spec has nothing to do with."""
    tenant = copy.deepcopy(state)
    tenant["recipients"] += [
        mail_user("Adele Vance", "adele@contoso.com"),
        mail_user("Ben Walters", "ben@contoso.com"),
    ]
    return tenant


def busy(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with mail users, and a contact, connector and rule of another archive."""
    tenant = with_mail_users(state)
    tenant["mail_contacts"].append(
        {"Name": "Partner Archive", "ExternalEmailAddress": "SMTP:archive@partner.example"}
    )
    tenant["outbound_connectors"].append(
        {
            "Name": "Partner Relay",
            "ConnectorType": "Partner",
            "RecipientDomains": ["partner.example"],
            "UseMXRecord": True,
        }
    )
    tenant["journal_rules"].append(
        {
            "Name": "Journal to partner",
            "JournalEmailAddress": "archive@partner.example",
            "Scope": "Global",
            "Enabled": False,
        }
    )
    return tenant


TENANTS = {"mail-users": with_mail_users, "busy": busy}


def plan_lines(stdout: str) -> list[str]:
    return [line.strip()[2:] for line in stdout.splitlines() if line.strip().startswith("- ")]


def rows(stdout: str, status: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.rstrip().endswith(status)]


# --- T2 (F2): a Get-* of a missing identity that returns every object -------------------------


@pytest.mark.parametrize("kind", list(TENANTS))
@pytest.mark.parametrize("missing", ["error", "all"])
def test_plan_and_verify_when_a_missing_identity_returns_every_object(
    missing: str, kind: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"missing_identity": missing}
    tenant.seed(TENANTS[kind](baseline()))

    what_if = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert what_if.exit_code == 0, what_if.output
    assert admin_writes(what_if) == []
    assert plan_lines(what_if.stdout) == [
        f"Create Mail contact '{CONTACT}'",
        f"Create Outbound connector '{CONNECTOR}'",
        "Update Undeliverable journal reports (NDR): JournalingReportNdrTo",
        f"Create Journal rule '{RULE}'",
    ]
    # Given every recipient for a name nobody has, apply made sure with a query of that name.
    filters = [c["parameters"]["Filter"] for c in what_if.calls if "Filter" in c["parameters"]]
    assert (f"Name -eq '{CONTACT}'" in filters) == (missing == "all"), filters

    verified = tenant.run(bundle.script("verify.ps1"), "-SkipConnect", connect_first=True)
    assert verified.exit_code == 1, verified.output
    missing_rows = rows(verified.stdout, "MISSING")
    assert any(CONTACT in row for row in missing_rows), verified.stdout
    assert any(CONNECTOR in row for row in missing_rows), verified.stdout
    assert any(RULE in row for row in missing_rows), verified.stdout


@pytest.mark.parametrize("kind", list(TENANTS))
@pytest.mark.parametrize("missing", ["error", "all"])
def test_apply_converges_when_a_missing_identity_returns_every_object(
    missing: str, kind: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"missing_identity": missing}
    before = TENANTS[kind](baseline())
    tenant.seed(before)

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert [c["cmdlet"] for c in applied.writes] == [
        "New-MailContact",
        "Set-MailContact",
        "New-OutboundConnector",
        "Set-TransportConfig",
        "New-JournalRule",
    ]
    verified = tenant.run(bundle.script("verify.ps1"))
    assert verified.exit_code == 0, verified.output

    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == []
    assert "Every object already matches the spec." in again.stdout
    assert untouched(before, tenant.state, bundle.plan) == []
    names = {r["Name"] for r in tenant.state["recipients"]}
    assert {"Adele Vance", "Ben Walters", "Journal NDR"} <= names


# --- T6 (F6): a transport-rule-scoped connector is listed ---------------------------------------


def spec_connector(**settings: Any) -> dict[str, Any]:
    """The spec's connector as apply would create it, with ``settings`` changed."""
    connector: dict[str, Any] = {
        "Name": CONNECTOR,
        "ConnectorType": "Partner",
        "Comment": "Sends journal reports to Mimecast over TLS with a certificate from a trusted CA.",
        "Enabled": True,
        "RecipientDomains": ["journal.contoso.com"],
        "UseMXRecord": False,
        "SmartHosts": ["us-smtp-journal-1.mimecast.com", "us-smtp-journal-2.mimecast.com"],
        "TlsSettings": "CertificateValidation",
        "TlsDomain": None,
        "IsTransportRuleScoped": False,
        "TestMode": False,
    }
    connector.update(settings)
    return connector


@pytest.mark.parametrize("listing", ["documented", "true_returns_all"])
def test_a_rule_scoped_connector_is_read_by_preflight_and_state(
    listing: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"connector_listing": listing}
    state = baseline()
    state["outbound_connectors"].append(
        spec_connector(IsTransportRuleScoped=True, SmtpDaneMode="Mandatory")
    )
    tenant.seed(state)

    what_if = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert what_if.exit_code == 1, what_if.output
    assert f"Preflight: Outbound connector '{CONNECTOR}' has SmtpDaneMode Mandatory" in (
        what_if.output
    )
    assert admin_writes(what_if) == []

    verified = tenant.run(
        bundle.script("verify.ps1"), "-SkipConnect", "-StatePath", "s.json", connect_first=True
    )
    assert verified.exit_code == 1, verified.output
    saved = json.loads((tenant.folder / "s.json").read_text(encoding="utf-8"))
    listed = [c["Name"] for c in saved["outbound_connectors"]]
    assert listed == [CONNECTOR]
    assert saved["outbound_connectors"][0]["IsTransportRuleScoped"] is True


@pytest.mark.parametrize("listing", ["documented", "true_returns_all"])
def test_every_kind_of_connector_is_listed_once(
    listing: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"connector_listing": listing}
    state = baseline()
    kinds = {
        "Plain": {},
        "Test": {"TestMode": True},
        "Scoped": {"IsTransportRuleScoped": True},
        "Test scoped": {"TestMode": True, "IsTransportRuleScoped": True},
    }
    for name, settings in kinds.items():
        state["outbound_connectors"].append(
            {"Name": name, "RecipientDomains": [f"{name.replace(' ', '')}.example"], **settings}
        )
    tenant.seed(state)
    verified = tenant.run(
        bundle.script("verify.ps1"), "-SkipConnect", "-StatePath", "s.json", connect_first=True
    )
    assert verified.exit_code == 1, verified.output
    saved = json.loads((tenant.folder / "s.json").read_text(encoding="utf-8"))
    assert sorted(c["Name"] for c in saved["outbound_connectors"]) == sorted(kinds)


# --- T14 (F14): a connector for the journal domain is named by apply's warning and verify ------
# (a '*' connector is not: Exchange prefers the spec's more specific one; test_sim_adoption.py)


@pytest.mark.parametrize("domains", [["*.contoso.com"], ["journal.contoso.com"]])
def test_a_connector_for_every_domain_is_named_by_apply_and_verify(
    domains: list[str], bundle: Bundle, tenant: Tenant
) -> None:
    state = baseline()
    state["outbound_connectors"].append(
        {"Name": "Gateway", "ConnectorType": "Partner", "RecipientDomains": domains}
    )
    tenant.seed(state)

    what_if = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert what_if.exit_code == 0, what_if.output
    assert "Outbound connector 'Gateway' also routes mail for journal.contoso.com" in (
        what_if.output
    )

    verified = tenant.run(bundle.script("verify.ps1"), "-SkipConnect", connect_first=True)
    assert any("'Gateway'" in row for row in rows(verified.stdout, "UNMANAGED")), verified.stdout


def test_a_connector_for_other_domains_is_not_named(bundle: Bundle, tenant: Tenant) -> None:
    state = baseline()
    state["outbound_connectors"].append(
        {"Name": "Gateway", "ConnectorType": "Partner", "RecipientDomains": ["*.fabrikam.com"]}
    )
    tenant.seed(state)
    what_if = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert what_if.exit_code == 0, what_if.output
    assert "Gateway" not in what_if.output


# --- T13 (F13): a journal rule that reports its target by the contact's name -------------------

FORMS = ["address", "name"]


@pytest.mark.parametrize("form", FORMS)
def test_apply_twice_when_rules_report_the_contact_name(
    form: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"journal_address_form": form}
    tenant.seed(baseline())

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert tenant.state["journal_rules"][0]["JournalEmailAddress"] == (
        "journaling@journal.contoso.com"
    )

    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert "Every object already matches the spec." in again.stdout
    assert admin_writes(again) == []

    verified = tenant.run(bundle.script("verify.ps1"))
    assert verified.exit_code == 0, verified.output
    assert rows(verified.stdout, "DRIFT") == []


@pytest.mark.parametrize("form", FORMS)
def test_a_rule_outside_the_spec_to_its_contact_is_named_in_either_form(
    form: str, bundle: Bundle, tenant: Tenant
) -> None:
    tenant.options = {"journal_address_form": form}
    state = baseline()
    state["mail_contacts"].append(
        {"Name": CONTACT, "ExternalEmailAddress": "SMTP:journaling@journal.contoso.com"}
    )
    state["transport_config"]["JournalingReportNdrTo"] = "journal-ndr@contoso.com"
    state["journal_rules"].append(
        {
            "Name": "Old journal rule",
            "JournalEmailAddress": "journaling@journal.contoso.com",
            "Scope": "Global",
            "Enabled": True,
        }
    )
    tenant.seed(state)

    what_if = tenant.run(bundle.script("apply.ps1"), "-SkipConnect", "-WhatIf", connect_first=True)
    assert what_if.exit_code == 0, what_if.output
    assert "Journal rule 'Old journal rule' also journals to journaling@journal.contoso.com" in (
        what_if.output
    )
    verified = tenant.run(bundle.script("verify.ps1"), "-SkipConnect", connect_first=True)
    unmanaged = rows(verified.stdout, "UNMANAGED")
    assert any("'Old journal rule'" in row for row in unmanaged), verified.stdout


def cutover_tenant(extra_target: str | None = None) -> dict[str, Any]:
    """The tenant in the middle of the Cloudflare migration, with one more Mimecast rule."""
    state = load_json(STATES / "contoso-cloudflare-cutover.json")
    state["recipients"].append(mail_user("Journal NDR", "journal-ndr@contoso.com"))
    target = extra_target or "journaling@journal.contoso.com"
    if extra_target is not None:
        state["mail_contacts"].append(
            {"Name": "Executives Archive", "ExternalEmailAddress": f"SMTP:{extra_target}"}
        )
    state["journal_rules"].append(
        {
            "Name": "Journal executives to Mimecast",
            "JournalEmailAddress": target,
            "Scope": "Global",
            "Recipient": "executives@contoso.com",
            "Enabled": True,
        }
    )
    return state


BY_CONTACT = "retired contact 'SMTP Journaling'"
BY_CONNECTOR = "through retired connector 'Microsoft 365 to Mimecast'"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("target", "reasons"),
    [
        (None, [BY_CONTACT, BY_CONNECTOR]),
        ("executives@journal.contoso.com", [BY_CONNECTOR]),
    ],
    ids=["contact", "connector"],
)
def test_retire_preflight_finds_a_stranded_rule_in_either_form(
    form: str, target: str | None, reasons: list[str], tmp_path: Path, tenant: Tenant
) -> None:
    cutover = build(MIGRATION / "contoso-cloudflare-cutover.yaml", tmp_path / "cutover")
    tenant.options = {"journal_address_form": form}
    tenant.seed(cutover_tenant(target))

    applied = tenant.run(cutover.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 1, applied.output
    assert admin_writes(applied) == []
    problems = [line for line in applied.output.splitlines() if "Preflight: Journal rule" in line]
    assert len(problems) == len(reasons), applied.output
    for problem, reason in zip(problems, reasons, strict=True):
        assert "'Journal executives to Mimecast'" in problem
        assert reason in problem

"""verify.ps1 -StatePath and the capture script under pwsh write what the simulated tenant holds."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from journalgen.app import capture_script
from journalgen.plan import COMPARE, normalise
from journalgen.state import Recipient, TenantState, load_state
from tests.sim import (
    MIGRATION,
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    build,
    empty_tenant,
    load_json,
)

pytestmark = pytest.mark.pwsh

# The spec whose verify.ps1 captures a state of samples/states that is not named after a spec:
# a drifted tenant, a tenant configured by hand, a migration stopped half-way.
SPEC_OF = {
    "contoso-cloudflare-cutover-stranded": MIGRATION / "contoso-cloudflare-cutover.yaml",
    "contoso-mimecast-drifted": SAMPLES / "contoso-mimecast.yaml",
    "hand-configured-mimecast": SAMPLES / "adatum-barracuda.yaml",
}


def spec_of(state: Path) -> Path:
    for folder in (SAMPLES, MIGRATION):
        if (folder / f"{state.stem}.yaml").exists():
            return folder / f"{state.stem}.yaml"
    return SPEC_OF[state.stem]


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


# --- what a capture must hold ----------------------------------------------------------------


def _address(value: str | None) -> Any:
    return normalise("address", value)


def _settings(model: Any) -> dict[str, Any]:
    """A model's values by Exchange name, in the form plan compares them."""
    values = model.model_dump(by_alias=True)
    return {name: normalise(COMPARE.get(name, "text"), value) for name, value in values.items()}


def _holders(tenant: TenantState) -> list[Recipient]:
    """Every recipient of the tenant, the mail contacts as Get-Recipient shows them."""
    recipients = list(tenant.recipients or ())
    named = {r.name.casefold() for r in recipients}
    for contact in tenant.mail_contacts:
        if contact.name.casefold() not in named:
            address = f"SMTP:{_address(contact.external_email_address)}"
            recipients.append(
                Recipient(
                    Name=contact.name, RecipientTypeDetails="MailContact", EmailAddresses=(address,)
                )
            )
    return recipients


def _holds(recipient: Recipient, identity: str) -> bool:
    return identity == recipient.name.casefold() or identity in {
        _address(a) for a in recipient.email_addresses
    }


def _unique(items: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item.lower() not in seen:
            seen.append(item.lower())
    return seen


def journaling(state: TenantState) -> dict[str, Any]:
    """What a capture holds, comparable: each object by name, each value as plan compares it."""
    return {
        "organization": state.organization.lower(),
        "accepted_domains": {
            d.domain_name.lower(): (d.default, d.domain_type, d.match_subdomains)
            for d in state.accepted_domains
        },
        "transport_config": _settings(state.transport_config),
        "journal_rules": {r.name: _settings(r) for r in state.journal_rules},
        "outbound_connectors": {c.name: _settings(c) for c in state.outbound_connectors},
        "mail_contacts": {c.name: _settings(c) for c in state.mail_contacts},
        "recipients": {
            r.name: (r.recipient_type_details, sorted({_address(a) for a in r.email_addresses}))
            for r in state.recipients or ()
        },
        "recipient_lookups": sorted(state.recipient_lookups or ()),
    }


def expected(
    tenant: TenantState, contact_names: Iterable[str] = (), identities: Iterable[str] = ()
) -> dict[str, Any]:
    """What a capture of ``tenant`` must hold: the whole tenant's journaling objects, the mail
    contacts the rules target (and ``contact_names``), and the recipients holding the rules'
    addresses, the NDR address, ``contact_names`` and ``identities``."""
    targets = {_address(r.journal_email_address) for r in tenant.journal_rules}
    names = {n.casefold() for n in contact_names}
    contacts = [
        c
        for c in tenant.mail_contacts
        if _address(c.external_email_address) in targets or c.name.casefold() in names
    ]
    lookups = _unique(
        [
            *(_address(r.journal_email_address) for r in tenant.journal_rules),
            _address(tenant.transport_config.journaling_report_ndr_to),
            *contact_names,
            *identities,
        ]
    )
    holders = _holders(tenant)
    found = [r for identity in lookups for r in holders if _holds(r, identity)]
    recipients = {r.name: r for r in found}
    want = journaling(
        tenant.model_copy(
            update={
                "mail_contacts": tuple(contacts),
                "recipients": tuple(recipients.values()),
                "recipient_lookups": tuple(lookups),
            }
        )
    )
    return want


def compare(captured: dict[str, Any], want: dict[str, Any]) -> None:
    # A state that does not record SmtpDaneMode (an older module's) leaves it to the simulator.
    for name, connector in want["outbound_connectors"].items():
        if connector["SmtpDaneMode"] is None and name in captured["outbound_connectors"]:
            connector["SmtpDaneMode"] = captured["outbound_connectors"][name]["SmtpDaneMode"]
    for key in want:
        if key != "recipients":
            assert captured[key] == want[key], key
    assert captured["recipients"].keys() == want["recipients"].keys()
    for name, (kind, addresses) in want["recipients"].items():
        assert captured["recipients"][name][0] == kind, name
        # A mail contact holds at least its external address; its others are the simulator's.
        if kind == "MailContact":
            assert set(addresses) <= set(captured["recipients"][name][1]), name
        else:
            assert captured["recipients"][name][1] == addresses, name


# --- the runs --------------------------------------------------------------------------------


def verify_capture(bundle: Bundle, tenant: Tenant) -> TenantState:
    path = tenant.folder / "verify-state.json"
    run = tenant.run(
        bundle.script("verify.ps1"), "-SkipConnect", "-StatePath", path.name, connect_first=True
    )
    assert run.exit_code in (0, 1), run.output
    assert [c for c in run.calls if c.get("kind") == "write"] == []
    return load_state(path.read_bytes(), path.name).state


def script_capture(organization: str, cloud: str, tenant: Tenant, folder: Path) -> TenantState:
    script = folder / "capture.ps1"
    script.write_bytes(capture_script(organization, cloud))
    path = tenant.folder / "capture-state.json"
    run = tenant.run(script, "-SkipConnect", "-StatePath", path.name, connect_first=True)
    assert run.exit_code == 0, run.output
    assert [c for c in run.calls if c.get("kind") == "write"] == []
    return load_state(path.read_bytes(), path.name).state


def check_both(bundle: Bundle, tenant: Tenant, folder: Path) -> None:
    """verify.ps1 -StatePath and the capture script each write what the tenant holds."""
    resolved = bundle.plan.resolved
    truth = tenant.captured().state
    by_verify = verify_capture(bundle, tenant)
    contact_names = [resolved.contact.name] + [
        item.identity for item in bundle.plan.retired if item.type == "MailContact"
    ]
    compare(
        journaling(by_verify),
        expected(truth, contact_names, [resolved.journal_address, resolved.ndr.address]),
    )
    by_script = script_capture(truth.organization, resolved.cloud, tenant, folder)
    compare(journaling(by_script), expected(truth))


@pytest.mark.parametrize("state", sorted(STATES.glob("*.json")), ids=lambda p: p.stem)
def test_each_sample_tenant_is_captured_as_it_is(
    state: Path, tmp_path: Path, tenant: Tenant
) -> None:
    bundle = build(spec_of(state), tmp_path / "bundle")
    tenant.seed(load_json(state))
    check_both(bundle, tenant, tmp_path)


def test_a_tenant_after_apply_is_captured_as_it_is(tmp_path: Path, tenant: Tenant) -> None:
    bundle = build(SAMPLES / "fabrikam-recipients.yaml", tmp_path / "bundle")
    before = empty_tenant(
        load_json(STATES / "fabrikam-recipients.json"), bundle.plan.resolved.ndr.address
    )
    tenant.seed(before)
    applied = tenant.run(
        bundle.script("apply.ps1"), "-SkipConnect", "-Confirm:$false", connect_first=True
    )
    assert applied.exit_code == 0, applied.output
    check_both(bundle, tenant, tmp_path)


def _with_connector(state: dict[str, Any], **settings: Any) -> dict[str, Any]:
    tenant = copy.deepcopy(state)
    tenant["outbound_connectors"].append(
        {
            "Name": "Gateway",
            "ConnectorType": "Partner",
            "Enabled": True,
            "RecipientDomains": ["*"],
            "UseMXRecord": False,
            "SmartHosts": ["gateway.example.net"],
            "TlsSettings": "EncryptionOnly",
            "TlsDomain": None,
            "IsTransportRuleScoped": False,
            "TestMode": False,
            "RouteAllMessagesViaOnPremises": False,
            "Comment": "Another team's connector",
            "SmtpDaneMode": "Opportunistic",
            **settings,
        }
    )
    return tenant


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"TestMode": True}, id="test-mode"),
        # F6: Get-OutboundConnector lists these only when asked with -IsTransportRuleScoped $true.
        pytest.param({"IsTransportRuleScoped": True}, id="rule-scoped"),
        pytest.param({"TestMode": True, "IsTransportRuleScoped": True}, id="both"),
    ],
)
def test_every_outbound_connector_is_captured(
    settings: dict[str, Any], tmp_path: Path, tenant: Tenant
) -> None:
    bundle = build(SAMPLES / "contoso-mimecast.yaml", tmp_path / "bundle")
    tenant.seed(_with_connector(load_json(STATES / "contoso-mimecast.json"), **settings))
    check_both(bundle, tenant, tmp_path)

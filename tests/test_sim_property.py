"""Property: for a random valid spec and a random tenant, apply refuses before any write or converges."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen.compiler import check_source
from journalgen.errors import SpecError
from tests.sim import (
    SAMPLES,
    STATES,
    Tenant,
    admin_writes,
    build,
    empty_tenant,
    live_plan,
    load_json,
)

pytestmark = pytest.mark.pwsh

# Samples whose tenant has no state quirk, as starting points for generated specs.
BASES = ["contoso-mimecast", "adatum-barracuda", "northwind-custom-tls", "tailspin-cloudflare"]
RULE_NAMES = st.text(alphabet="ABCdefgh 0123-", min_size=3, max_size=20).map(str.strip).filter(bool)


@st.composite
def specs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid spec: a sample with its rules, contact name and rule scopes redrawn."""
    base = draw(st.sampled_from(BASES))
    data = yaml.safe_load((SAMPLES / f"{base}.yaml").read_text(encoding="utf-8"))
    primary = data["tenant"]["primary_domain"]
    names = draw(st.lists(RULE_NAMES, min_size=1, max_size=3, unique_by=str.casefold))
    rules = []
    for name in names:
        rule: dict[str, Any] = {"name": name}
        if draw(st.booleans()):
            rule["scope"] = draw(st.sampled_from(["global", "internal", "external"]))
        if draw(st.booleans()):
            rule["recipient"] = f"{draw(st.sampled_from(['board', 'legal', 'cfo']))}@{primary}"
        rules.append(rule)
    data["journal_rules"] = rules
    data.pop("retire", None)
    if draw(st.booleans()):
        data.setdefault("contact", {})["name"] = draw(
            st.sampled_from(["Archive Journal", "SMTP Journaling"])
        )
    text = yaml.safe_dump(data, sort_keys=False)
    return text, {"base": base}


def _tenant_from(draw: st.DrawFn, base: str, bundle: Any) -> dict[str, Any]:
    """A tenant where some of the spec's objects exist, drifted, beside objects it does not manage."""
    state = empty_tenant(load_json(STATES / f"{base}.json"), bundle.plan.resolved.ndr.address)
    plan = bundle.plan
    for resource in plan.resources:
        values = {s.name: s.value for s in resource.settings}
        if resource.type == "TransportConfig":
            ndr = draw(
                st.sampled_from(
                    [None, "<>", values["JournalingReportNdrTo"], "old-ndr@archive.example"]
                )
            )
            if ndr is not None:
                state["transport_config"]["JournalingReportNdrTo"] = ndr
            continue
        if not draw(st.booleans()):
            continue
        item: dict[str, Any] = {"Name": resource.identity, **copy.deepcopy(values)}
        if resource.type == "MailContact":
            for key in ("DisplayName", "Alias", "FirstName", "Initials", "LastName"):
                item.setdefault(key, None)
            item["ExternalEmailAddress"] = "SMTP:" + str(item["ExternalEmailAddress"])
            item["HiddenFromAddressListsEnabled"] = draw(st.booleans())
            state["mail_contacts"].append(item)
        elif resource.type == "OutboundConnector":
            item["Enabled"] = draw(st.booleans())
            item["TestMode"] = draw(st.booleans())
            item["RouteAllMessagesViaOnPremises"] = False
            for key in ("RecipientDomains", "SmartHosts"):
                item[key] = list(item.get(key) or [])
            for key in ("Comment", "TlsDomain", "TlsSettings", "IsTransportRuleScoped"):
                item.setdefault(key, None if key != "IsTransportRuleScoped" else False)
            if draw(st.booleans()) and not item["UseMXRecord"]:
                item["SmartHosts"] = [*item["SmartHosts"][:1], "old-host.archive.example"]
            state["outbound_connectors"].append(item)
        elif resource.type == "JournalRule":
            item["Enabled"] = draw(st.booleans())
            item["Scope"] = draw(st.sampled_from(["Global", "Internal", "External"]))
            state["journal_rules"].append(item)
    if draw(st.booleans()):
        if state["transport_config"]["JournalingReportNdrTo"] in (None, "<>"):
            state["transport_config"]["JournalingReportNdrTo"] = "old-ndr@archive.example"
        state["journal_rules"].append(
            {
                "Name": "Journal legal to the old archive",
                "JournalEmailAddress": "legal@old-archive.example",
                "Scope": "Global",
                "Recipient": None,
                "Enabled": True,
            }
        )
    return state


# Derandomized: the same six examples on every run, so CI is repeatable; change the seed of
# exploration by raising max_examples locally.
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs(), data=st.data())
def test_apply_refuses_before_any_write_or_converges(
    spec: tuple[str, dict[str, Any]], data: st.DataObject, pwsh: str
) -> None:
    text, about = spec
    try:
        check_source(text.encode("utf-8"), f"{about['base']}.yaml")
    except SpecError:
        return  # a drawn spec journalgen refuses never becomes a script
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        bundle = build(text, folder / "bundle", name=f"{about['base']}.yaml")
        tenant_state = data.draw(
            st.composite(lambda draw: _tenant_from(draw, about["base"], bundle))()
        )
        (folder / "tenant").mkdir()
        tenant = Tenant(folder / "tenant", pwsh)
        tenant.seed(tenant_state)
        predicted = live_plan(bundle, tenant_state, tenant.folder)

        applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
        if applied.exit_code != 0:
            assert admin_writes(applied) == [], applied.output
            assert "Nothing was changed." in applied.stdout, applied.output
            return
        assert not predicted.has_errors, [str(p) for p in predicted.problems]
        again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
        assert again.exit_code == 0, again.output
        assert admin_writes(again) == [], again.output
        assert not live_plan(bundle, tenant.state, tenant.folder).changed

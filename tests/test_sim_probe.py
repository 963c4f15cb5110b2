"""probe.ps1 under pwsh against the simulator: what it settles, and the test tenant it leaves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from journalgen.emit import render_probe
from journalgen.probe import PREFIX
from tests.sim import Tenant, baseline

pytestmark = pytest.mark.pwsh

LAB = "contoso-lab.onmicrosoft.com"
NDR = "ndr@contoso-lab.example"


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    path = tmp_path / "probe.ps1"
    path.write_bytes(render_probe("commercial"))
    return path


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def lab() -> dict[str, Any]:
    """A test tenant with a gateway connector of its own and no NDR address."""
    state = baseline(organization=LAB, primary="contoso-lab.example")
    state["outbound_connectors"].append(
        {
            "Name": "Contoso Gateway",
            "ConnectorType": "Partner",
            "RecipientDomains": ["fabrikam.example"],
            "UseMXRecord": True,
        }
    )
    return state


def run_probe(tenant: Tenant, probe: Path, *arguments: str, **kwargs: Any) -> Any:
    return tenant.run(
        probe,
        "-TestTenant",
        LAB,
        "-SkipConnect",
        "-NdrAddress",
        NDR,
        "-Confirm:$false",
        "-JsonPath",
        "probe.json",
        *arguments,
        connect_first=True,
        **kwargs,
    )


def findings(tenant: Tenant) -> dict[str, dict[str, Any]]:
    report = json.loads((tenant.folder / "probe.json").read_text(encoding="utf-8-sig"))
    return {f["Id"]: f for f in report["Findings"]}


def probe_objects(state: dict[str, Any]) -> list[str]:
    """Every jg-probe-* object in a tenant state."""
    names = []
    for section in ("journal_rules", "outbound_connectors", "mail_contacts", "recipients"):
        names += [f"{section}: {o['Name']}" for o in state[section] if o["Name"].startswith(PREFIX)]
    return names


def assert_as_found(tenant: Tenant, before: dict[str, Any]) -> None:
    after = tenant.state
    assert probe_objects(after) == []
    assert (
        after["transport_config"]["JournalingReportNdrTo"]
        == (before["transport_config"]["JournalingReportNdrTo"])
    )
    assert [c["Name"] for c in after["outbound_connectors"]] == [
        c["Name"] for c in before["outbound_connectors"]
    ]


# --- T3 (F3): the merged connector list, and cleanup ------------------------------------------


def test_probe_confirms_the_merged_list_and_leaves_the_tenant_as_it_found_it(
    probe: Path, tenant: Tenant
) -> None:
    before = lab()
    tenant.seed(before)
    for attempt in (1, 2):
        run = run_probe(tenant, probe)
        assert run.exit_code == 0, (attempt, run.output)
        found = findings(tenant)
        assert found["9.1-merged"]["Status"] == "CONFIRMED", found["9.1-merged"]
        assert "cleanup" not in found, found["cleanup"]
        errors = {i: f["Observed"] for i, f in found.items() if f["Status"] == "ERROR"}
        assert errors == {}
        assert_as_found(tenant, before)


def test_probe_refuses_without_the_test_tenant_or_with_another(probe: Path, tenant: Tenant) -> None:
    before = lab()
    tenant.seed(before)
    alone = tenant.run(probe, "-SkipConnect", "-Confirm:$false", connect_first=True)
    assert alone.exit_code == 2, alone.output
    assert "Refusing to run: give -TestTenant" in alone.output
    assert [c for c in alone.calls if c.get("kind") != "connection"] == []

    other = tenant.run(
        probe,
        "-TestTenant",
        "contoso.onmicrosoft.com",
        "-SkipConnect",
        "-Confirm:$false",
        connect_first=True,
    )
    assert other.exit_code == 1, other.output
    assert "Wrong tenant" in other.output
    assert [c for c in other.calls if c.get("kind") == "write"] == []
    assert tenant.state == before | {"recipients": tenant.state["recipients"]}


# --- T12 (F12): objects the probe created are read back once Exchange can see them ------------


@pytest.mark.parametrize("fault", ["replication", "read_lag"])
def test_probe_reads_its_new_objects_back_after_retries(
    fault: str, probe: Path, tenant: Tenant
) -> None:
    before = lab()
    tenant.seed(before)
    run = run_probe(tenant, probe, faults={fault: 2})
    assert run.exit_code == 0, run.output
    found = findings(tenant)
    assert found["6.2-contact-address"]["Status"] == "CONFIRMED", found["6.2-contact-address"]
    errors = {i: f["Observed"] for i, f in found.items() if f["Status"] == "ERROR"}
    assert errors == {}
    assert any(c["cmdlet"] == "Start-Sleep" for c in run.calls)
    assert_as_found(tenant, before)


# --- Cleanup when a step fails ------------------------------------------------------------------


def executed_writes(run: Any) -> list[str]:
    """The write calls the simulator counted (fault fail_write's k), in order."""
    return [
        c["cmdlet"]
        for c in run.calls
        if c.get("kind") == "write" and c.get("outcome") in ("ok", "error")
    ]


@pytest.fixture(scope="module")
def probe_writes(tmp_path_factory: pytest.TempPathFactory, pwsh: str) -> list[str]:
    """The writes of one clean probe run, in order: where to make one fail."""
    folder = tmp_path_factory.mktemp("writes")
    path = folder / "probe.ps1"
    path.write_bytes(render_probe("commercial"))
    tenant = Tenant(folder / "tenant", pwsh)
    tenant.folder.mkdir()
    tenant.seed(lab())
    run = run_probe(tenant, path)
    assert run.exit_code == 0, run.output
    return executed_writes(run)


def nth(writes: list[str], cmdlet: str, occurrence: int = 1) -> int:
    """fail_write's k for the ``occurrence``-th call of ``cmdlet``."""
    seen = 0
    for k, name in enumerate(writes, start=1):
        if name == cmdlet:
            seen += 1
            if seen == occurrence:
                return k
    raise AssertionError(f"{cmdlet} #{occurrence} not in {writes}")


@pytest.mark.parametrize(
    ("cmdlet", "occurrence"),
    [
        ("New-MailContact", 1),
        ("New-OutboundConnector", 2),
        ("New-JournalRule", 1),
    ],
)
def test_probe_leaves_the_tenant_as_it_found_it_when_a_step_fails(
    cmdlet: str, occurrence: int, probe: Path, tenant: Tenant, probe_writes: list[str]
) -> None:
    before = lab()
    tenant.seed(before)
    k = nth(probe_writes, cmdlet, occurrence)
    run = run_probe(tenant, probe, faults={"fail_write": k})
    assert run.exit_code == 1, run.output
    assert executed_writes(run)[k - 1] == cmdlet
    assert "A server side error has occurred" in run.output
    assert_as_found(tenant, before)
    assert "cleanup" not in findings(tenant)


def test_a_failed_cleanup_is_reported_and_the_next_run_finishes_it(
    probe: Path, tenant: Tenant, probe_writes: list[str]
) -> None:
    before = lab()
    tenant.seed(before)
    # In a tenant with no leftovers, the first removal of a connector is the cleanup's.
    k = nth(probe_writes, "Remove-OutboundConnector")
    run = run_probe(tenant, probe, faults={"fail_write": k})
    assert run.exit_code == 1, run.output
    found = findings(tenant)
    assert found["cleanup"]["Status"] == "ERROR"
    assert "jg-probe-" in found["cleanup"]["Observed"]
    # The NDR address is restored all the same.
    assert tenant.state["transport_config"]["JournalingReportNdrTo"] == "<>"
    assert probe_objects(tenant.state) != []

    again = run_probe(tenant, probe)
    assert again.exit_code == 0, again.output
    assert_as_found(tenant, before)


# --- F13: the probe reports the form in which a rule returns JournalEmailAddress ----------------


@pytest.mark.parametrize(
    ("options", "address_status"),
    [
        ({"journal_address_form": "address"}, "CONFIRMED"),
        ({"journal_address_form": "name"}, "DIFFERENT"),
        ({"connector_listing": "true_returns_all"}, "CONFIRMED"),
        ({"missing_identity": "all"}, "CONFIRMED"),
    ],
    ids=["address", "name", "true-returns-all", "missing-returns-all"],
)
def test_probe_settles_what_the_engine_assumes_in_each_tenant_behaviour(
    options: dict[str, Any], address_status: str, probe: Path, tenant: Tenant
) -> None:
    before = lab()
    tenant.seed(before)
    run = run_probe(tenant, probe, options=options)
    assert run.exit_code == 0, run.output
    found = findings(tenant)
    assert found["9.11-rule-journal-address"]["Status"] == address_status
    if address_status == "DIFFERENT":
        assert found["9.11-rule-journal-address"]["Observed"] == f"'{PREFIX}contact'"
    # Whatever the form, the engine reads the address the rule was given.
    assert found["9.11-rule-journal-target"]["Status"] == "CONFIRMED"
    assert found["9.1-merged"]["Status"] == "CONFIRMED"
    not_found = {found[i]["Status"] for i in found if i.startswith("9.3-")}
    assert not_found == {"DIFFERENT" if options.get("missing_identity") == "all" else "CONFIRMED"}
    assert_as_found(tenant, before)

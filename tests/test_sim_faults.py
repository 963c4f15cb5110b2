"""Faults under pwsh: failed, throttled and killed runs, replication lag, a renamed contact's address."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from journalgen.plan import COMPARE, normalise
from journalgen.simulator import Run
from tests.sim import (
    MIGRATION,
    OBJECT_SECTIONS,
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    build,
    empty_tenant,
    live_plan,
    load_json,
    with_ndr_holder,
    write_summary,
)

pytestmark = pytest.mark.pwsh

MIMECAST = "contoso-mimecast"
CUTOVER = "contoso-cloudflare-cutover"

# What a clean apply writes, in order: the k of fail_write and kill_after_write run over these.
# test_a_clean_apply_makes_the_writes_the_faults_count keeps the table true.
CLEAN_WRITES: dict[str, list[str]] = {
    MIMECAST: [
        "New-MailContact SMTP Journaling",
        "Set-MailContact SMTP Journaling",
        "New-OutboundConnector Microsoft 365 to Mimecast",
        "Set-TransportConfig",
        "New-JournalRule Journal all messages to Mimecast",
    ],
    CUTOVER: [
        "Remove-JournalRule Journal all messages to Mimecast",
        "Remove-MailContact SMTP Journaling",
        "Remove-OutboundConnector Microsoft 365 to Mimecast",
    ],
}
EVERY_WRITE = [
    (case, k) for case, writes in CLEAN_WRITES.items() for k in range(1, len(writes) + 1)
]

SERVER_ERROR = "A server side error has occurred"


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def _case(case: str, tmp_path: Path) -> tuple[Bundle, dict[str, Any]]:
    """The bundle of one case and the tenant before its apply."""
    if case == MIMECAST:
        bundle = build(SAMPLES / f"{MIMECAST}.yaml", tmp_path / "bundle")
        state = load_json(STATES / f"{MIMECAST}.json")
        return bundle, empty_tenant(state, bundle.plan.resolved.ndr.address)
    bundle = build(MIGRATION / f"{CUTOVER}.yaml", tmp_path / "bundle")
    state = load_json(STATES / f"{CUTOVER}.json")
    return bundle, with_ndr_holder(state, bundle.plan.resolved.ndr.address)


def _converged(tmp_path: Path) -> tuple[Bundle, dict[str, Any]]:
    """contoso-mimecast and a tenant where its apply already ran: every object exists."""
    bundle = build(SAMPLES / f"{MIMECAST}.yaml", tmp_path / "bundle")
    state = load_json(STATES / f"{MIMECAST}.json")
    return bundle, with_ndr_holder(state, bundle.plan.resolved.ndr.address)


def _apply(tenant: Tenant, bundle: Bundle, faults: Mapping[str, Any] | None = None) -> Run:
    return tenant.run(bundle.script("apply.ps1"), "-Confirm:$false", faults=faults or {})


def _backup(tenant: Tenant) -> Path:
    found = sorted(tenant.folder.glob("journalgen-backup-*.json"))
    assert len(found) == 1, f"expected one backup, found {found}"
    return found[0]


def _rollback(tenant: Tenant, bundle: Bundle, backup: Path) -> Run:
    quoted = "'" + str(backup).replace("'", "''") + "'"
    return tenant.run(bundle.script("rollback.ps1"), "-BackupPath", quoted, "-Confirm:$false")


def _journaling_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """How ``after`` differs from ``before`` in its journaling objects, compared as apply compares.

    Objects are matched by name; Guids (a recreated object has a new one) and settings the
    before-state does not record are not compared. The NDR address is compared unless it was
    unset before: Exchange Online cannot clear it, so rollback leaves it (R2).
    """
    differences: list[str] = []
    for section in OBJECT_SECTIONS:
        old = {str(o["Name"]).casefold(): o for o in before.get(section, [])}
        new = {str(o["Name"]).casefold(): o for o in after.get(section, [])}
        differences += [f"{section}: {n} is missing" for n in sorted(old.keys() - new.keys())]
        differences += [f"{section}: {n} was added" for n in sorted(new.keys() - old.keys())]
        for name in sorted(old.keys() & new.keys()):
            for key, value in old[name].items():
                kind = COMPARE.get(key, "text")
                if key != "Guid" and normalise(kind, value) != normalise(kind, new[name].get(key)):
                    differences.append(
                        f"{section}: {name} {key} {value!r} -> {new[name].get(key)!r}"
                    )
    old_config, new_config = before["transport_config"], after["transport_config"]
    for key, value in old_config.items():
        if key == "JournalingReportNdrTo" and normalise("address", value) is None:
            continue
        kind = COMPARE.get(key, "text")
        if normalise(kind, value) != normalise(kind, new_config.get(key)):
            differences.append(f"transport_config: {key} {value!r} -> {new_config.get(key)!r}")
    return differences


def _title_of(bundle: Bundle, call: Mapping[str, Any]) -> str:
    """The step title apply prints for the object a write call names."""
    if call["cmdlet"] == "Set-TransportConfig":
        return next(r.title for r in bundle.plan.resources if r.type == "TransportConfig")
    name = call["parameters"].get("Identity") or call["parameters"].get("Name")
    titles = {r.identity: r.title for r in bundle.plan.resources}
    titles.update({r.identity: r.title for r in bundle.plan.retired})
    return titles[str(name)]


def _failed_row(run: Run, title: str) -> str:
    """The results table's row for a failed step (its first line)."""
    rows = [line for line in run.stdout.splitlines() if line.startswith(title)]
    assert rows, f"no result row for {title}:\n{run.output}"
    return rows[0]


def _sleeps(run: Run) -> list[float]:
    return [c["parameters"]["Seconds"] for c in run.calls if c["cmdlet"] == "Start-Sleep"]


def _call_number(
    tenant: Tenant,
    bundle: Bundle,
    before: Mapping[str, Any],
    wanted: Callable[[dict[str, Any]], bool],
) -> int:
    """The simulator's call number (what the throttle counts) of the first call ``wanted`` picks
    in a clean apply from ``before``; the tenant is left as ``before``, with no backup."""
    tenant.seed(before)
    clean = _apply(tenant, bundle)
    assert clean.exit_code == 0, clean.output
    for backup in tenant.folder.glob("journalgen-backup-*.json"):
        backup.unlink()
    tenant.seed(before)
    return int(next(c["seq"] for c in clean.calls if "seq" in c and wanted(c)))


def _converges_from(tenant: Tenant, bundle: Bundle, state: Mapping[str, Any]) -> None:
    """A plain apply from ``state`` completes, and the next one has nothing left to write."""
    tenant.seed(state)
    rerun = _apply(tenant, bundle)
    assert rerun.exit_code == 0, rerun.output
    assert not live_plan(bundle, tenant.state, tenant.folder).changed
    third = _apply(tenant, bundle)
    assert third.exit_code == 0, third.output
    assert admin_writes(third) == [], write_summary(third)


# --- 1. A write fails -------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CLEAN_WRITES))
def test_a_clean_apply_makes_the_writes_the_faults_count(
    case: str, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(case, tmp_path)
    tenant.seed(before)
    applied = _apply(tenant, bundle)
    assert applied.exit_code == 0, applied.output
    assert write_summary(applied) == CLEAN_WRITES[case]


@pytest.mark.parametrize(("case", "k"), EVERY_WRITE, ids=[f"{c}-write{k}" for c, k in EVERY_WRITE])
def test_a_failed_write_names_its_step_then_rollback_restores_and_a_rerun_converges(
    case: str, k: int, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(case, tmp_path)
    tenant.seed(before)

    failed = _apply(tenant, bundle, {"fail_write": k})
    assert failed.exit_code != 0, failed.output
    writes = admin_writes(failed)
    assert len(writes) == k, write_summary(failed)
    assert writes[-1]["outcome"] == "error"
    row = _failed_row(failed, _title_of(bundle, writes[-1]))
    assert "Failed" in row and SERVER_ERROR in row, row
    backup = _backup(tenant)
    after_failure = tenant.state

    rolled_back = _rollback(tenant, bundle, backup)
    assert rolled_back.exit_code == 0, rolled_back.output
    assert _journaling_differences(before, tenant.state) == []

    _converges_from(tenant, bundle, after_failure)


# --- 2. Throttling ----------------------------------------------------------------------------


def _names_contact(call: Mapping[str, Any]) -> bool:
    return bool(call["kind"] == "read" and call["parameters"].get("Identity") == "SMTP Journaling")


def test_a_throttled_first_read_of_an_object_is_retried_and_never_taken_as_absent(
    tmp_path: Path, tenant: Tenant
) -> None:
    # The tenant holds every object: a throttled read taken as "absent" would try to create one.
    bundle, before = _converged(tmp_path)
    at = _call_number(tenant, bundle, before, _names_contact)

    throttled = _apply(tenant, bundle, {"throttle": {"at": at, "times": 2}})
    assert throttled.exit_code == 0, throttled.output
    assert admin_writes(throttled) == [], write_summary(throttled)
    refused = [c for c in throttled.calls if c.get("error") == "ThrottlingException"]
    assert [c["seq"] for c in refused] == [at, at + 1]
    assert _sleeps(throttled) == [30, 60]
    assert "Every object already matches the spec." in throttled.stdout


def test_a_persistent_throttle_on_a_read_stops_before_any_change(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _converged(tmp_path)
    at = _call_number(tenant, bundle, before, _names_contact)

    throttled = _apply(tenant, bundle, {"throttle": {"at": at, "times": 50}})
    assert throttled.exit_code == 1, throttled.output
    assert admin_writes(throttled) == [], write_summary(throttled)
    assert "throttl" in throttled.stdout.lower()
    assert "safe" in throttled.stdout
    assert _sleeps(throttled) == [30, 60, 120]


def _cmdlet(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda call: bool(call["cmdlet"] == name)


# Every write of a clean contoso-mimecast apply: New-JgObject, its follow-up Set-MailContact and
# Update-JgObject (the NDR address).
THROTTLED_WRITES = [w.split()[0] for w in CLEAN_WRITES[MIMECAST]]


@pytest.mark.parametrize("cmdlet", THROTTLED_WRITES)
def test_a_throttled_write_is_retried_and_apply_converges(
    cmdlet: str, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(MIMECAST, tmp_path)
    at = _call_number(tenant, bundle, before, _cmdlet(cmdlet))

    throttled = _apply(tenant, bundle, {"throttle": {"at": at, "times": 2}})
    assert throttled.exit_code == 0, throttled.output
    refused = [c for c in throttled.calls if c.get("error") == "ThrottlingException"]
    assert [(c["seq"], c["cmdlet"]) for c in refused] == [(at, cmdlet), (at + 1, cmdlet)]
    done = [c for c in admin_writes(throttled) if c["outcome"] == "ok"]
    assert len(done) == len(CLEAN_WRITES[MIMECAST])
    assert _sleeps(throttled) == [30, 60]
    again = _apply(tenant, bundle)
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == [], write_summary(again)


@pytest.mark.parametrize("cmdlet", ["New-MailContact", "Set-TransportConfig", "New-JournalRule"])
def test_a_persistent_throttle_on_a_write_stops_naming_the_step_and_a_rerun_converges(
    cmdlet: str, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(MIMECAST, tmp_path)
    at = _call_number(tenant, bundle, before, _cmdlet(cmdlet))

    throttled = _apply(tenant, bundle, {"throttle": {"at": at, "times": 50}})
    assert throttled.exit_code == 1, throttled.output
    refused = next(c for c in throttled.calls if c.get("seq") == at)
    assert refused["cmdlet"] == cmdlet
    row = _failed_row(throttled, _title_of(bundle, refused))
    assert "Failed" in row and "throttled" in row, row
    assert "safe" in throttled.stdout
    assert _sleeps(throttled) == [30, 60, 120]
    assert [c["outcome"] for c in admin_writes(throttled) if c["cmdlet"] == cmdlet] == ["error"] * 4

    _converges_from(tenant, bundle, tenant.state)


# --- 3. The process is killed -----------------------------------------------------------------


@pytest.mark.parametrize(("case", "k"), EVERY_WRITE, ids=[f"{c}-write{k}" for c, k in EVERY_WRITE])
def test_a_run_killed_after_a_write_is_undone_by_rollback_or_completed_by_a_rerun(
    case: str, k: int, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(case, tmp_path)
    tenant.seed(before)

    killed = _apply(tenant, bundle, {"kill_after_write": k})
    assert killed.exit_code == 137, killed.output
    assert write_summary(killed) == CLEAN_WRITES[case][:k]
    backup = _backup(tenant)
    after_kill = tenant.state

    rolled_back = _rollback(tenant, bundle, backup)
    assert rolled_back.exit_code == 0, rolled_back.output
    assert _journaling_differences(before, tenant.state) == []

    _converges_from(tenant, bundle, after_kill)


# --- 4. Replication lag -----------------------------------------------------------------------


def test_objects_invisible_for_two_lookups_after_creation_still_converge(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(MIMECAST, tmp_path)
    tenant.seed(before)
    applied = _apply(tenant, bundle, {"replication": 2})
    assert applied.exit_code == 0, applied.output
    lagged = [c for c in applied.calls if "replication" in str(c.get("message", ""))]
    assert lagged, "the fault did not delay any lookup"
    assert len(_sleeps(applied)) == len(lagged)
    assert not live_plan(bundle, tenant.state, tenant.folder).changed
    again = _apply(tenant, bundle)
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == [], write_summary(again)


def test_replication_beyond_the_retry_budget_stops_naming_the_step(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _case(MIMECAST, tmp_path)
    tenant.seed(before)
    applied = _apply(tenant, bundle, {"replication": 10})
    assert applied.exit_code == 1, applied.output
    row = _failed_row(applied, "Mail contact 'SMTP Journaling'")
    assert "Failed" in row and "replication" in applied.stdout, applied.output
    assert "New-OutboundConnector" not in " ".join(write_summary(applied))
    _converges_from(tenant, bundle, tenant.state)


# --- 5. A renamed contact: the old one's address is released late (F7) ------------------------


def _renamed_contact_spec() -> str:
    text = (SAMPLES / f"{MIMECAST}.yaml").read_text(encoding="utf-8")
    renamed = text.replace(
        "  name: SMTP Journaling\n  display_name: SMTP Journaling\n",
        "  name: Mimecast Journaling\n  display_name: Mimecast Journaling\n",
    )
    assert renamed != text
    return renamed + "\nretire:\n  contacts: [SMTP Journaling]\n"


def _rename(tmp_path: Path) -> tuple[Bundle, dict[str, Any]]:
    bundle = build(_renamed_contact_spec(), tmp_path / "bundle", name="contoso-renamed.yaml")
    state = load_json(STATES / f"{MIMECAST}.json")
    return bundle, with_ndr_holder(state, bundle.plan.resolved.ndr.address)


def _contacts(state: Mapping[str, Any]) -> dict[str, object]:
    return {
        c["Name"]: normalise("address", c["ExternalEmailAddress"]) for c in state["mail_contacts"]
    }


@pytest.mark.parametrize("delay", [0, 2])
def test_a_renamed_contact_is_created_once_the_old_one_releases_the_address(
    delay: int, tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _rename(tmp_path)
    tenant.seed(before)
    applied = _apply(tenant, bundle, {"address_release_delay": delay} if delay else {})
    assert applied.exit_code == 0, applied.output
    assert _contacts(tenant.state) == {"Mimecast Journaling": "journaling@journal.contoso.com"}
    in_use = [c for c in applied.calls if c.get("error") == "ProxyAddressExistsException"]
    assert len(in_use) == delay
    again = _apply(tenant, bundle)
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == [], write_summary(again)


def test_an_address_held_beyond_the_retry_budget_stops_at_the_contact_and_a_rerun_completes(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _rename(tmp_path)
    tenant.seed(before)
    applied = _apply(tenant, bundle, {"address_release_delay": 50})
    assert applied.exit_code == 1, applied.output
    row = _failed_row(applied, "Mail contact 'Mimecast Journaling'")
    assert "Failed" in row and "already being used" in applied.stdout, applied.output
    assert _contacts(tenant.state) == {}
    _converges_from(tenant, bundle, copy.deepcopy(tenant.state))
    assert _contacts(tenant.state) == {"Mimecast Journaling": "journaling@journal.contoso.com"}


def test_a_throttled_removal_of_the_old_contact_is_retried(tmp_path: Path, tenant: Tenant) -> None:
    bundle, before = _rename(tmp_path)
    at = _call_number(tenant, bundle, before, _cmdlet("Remove-MailContact"))
    throttled = _apply(tenant, bundle, {"throttle": {"at": at, "times": 2}})
    assert throttled.exit_code == 0, throttled.output
    assert _contacts(tenant.state) == {"Mimecast Journaling": "journaling@journal.contoso.com"}
    # The removal is tried again from its read, which the second refusal meets: a wait each.
    refused = [c["cmdlet"] for c in throttled.calls if c.get("error") == "ThrottlingException"]
    assert refused == ["Remove-MailContact", "Get-MailContact"]
    assert _sleeps(throttled) == [30, 30]


def test_a_failed_removal_of_the_old_contact_names_its_step_and_a_rerun_completes(
    tmp_path: Path, tenant: Tenant
) -> None:
    bundle, before = _rename(tmp_path)
    tenant.seed(before)
    failed = _apply(tenant, bundle, {"fail_write": 1})
    assert failed.exit_code == 1, failed.output
    row = _failed_row(failed, "Mail contact 'SMTP Journaling'")
    assert "Failed" in row and SERVER_ERROR in row, row
    assert _contacts(tenant.state) == {"SMTP Journaling": "journaling@journal.contoso.com"}
    _converges_from(tenant, bundle, tenant.state)

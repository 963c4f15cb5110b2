"""apply.ps1 of every sample runs under pwsh against the simulator: converges, is idempotent, equals plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim import (
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    build,
    changed_settings,
    empty_tenant,
    live_plan,
    load_json,
    predicted_changes,
    untouched,
    with_ndr_holder,
)

pytestmark = pytest.mark.pwsh

SAMPLE_SPECS = sorted(SAMPLES.glob("*.yaml"))


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    return Tenant(tmp_path / "tenant", pwsh)


def _bundle(spec: Path, tmp_path: Path) -> Bundle:
    return build(spec, tmp_path / "bundle" / spec.stem)


@pytest.mark.parametrize("spec", SAMPLE_SPECS, ids=lambda p: p.stem)
def test_sample_converges_in_an_empty_tenant(spec: Path, tmp_path: Path, tenant: Tenant) -> None:
    tenant.folder.mkdir()
    bundle = _bundle(spec, tmp_path)
    before = empty_tenant(load_json(STATES / f"{spec.stem}.json"), bundle.plan.resolved.ndr.address)
    tenant.seed(before)

    what_if = tenant.run(bundle.script("apply.ps1"), "-WhatIf")
    assert what_if.exit_code == 0, what_if.output
    assert admin_writes(what_if) == []
    assert "The plan:" in what_if.stdout
    assert tenant.state["journal_rules"] == []

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    after = tenant.state
    assert changed_settings(before, after, bundle.plan) == predicted_changes(
        live_plan(bundle, before, tenant.folder)
    )
    assert untouched(before, after, bundle.plan) == []
    assert list(tenant.folder.glob("journalgen-backup-*.json")), "apply wrote no backup"

    verified = tenant.run(bundle.script("verify.ps1"))
    assert verified.exit_code == 0, verified.output

    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == []
    assert "Every object already matches the spec." in again.stdout
    # The tenant the simulator wrote is a state journalgen reads, and it plans to no change.
    assert not live_plan(bundle, tenant.state, tenant.folder).changed


@pytest.mark.parametrize("state", sorted(STATES.glob("*.json")), ids=lambda p: p.stem)
def test_apply_against_each_sample_state_does_what_plan_says(
    state: Path, tmp_path: Path, tenant: Tenant
) -> None:
    spec = SAMPLES / f"{state.stem}.yaml"
    if not spec.exists():
        pytest.skip("a state of a migration step: tests/test_sim_retire.py runs those")
    tenant.folder.mkdir()
    bundle = _bundle(spec, tmp_path)
    before = with_ndr_holder(load_json(state), bundle.plan.resolved.ndr.address)
    tenant.seed(before)
    predicted = live_plan(bundle, before, tenant.folder)

    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    if predicted.has_errors:
        assert applied.exit_code == 1, applied.output
        assert admin_writes(applied) == []
        assert "Preflight found" in applied.stdout
        return
    assert applied.exit_code == 0, applied.output
    after = tenant.state
    assert changed_settings(before, after, bundle.plan) == predicted_changes(predicted)
    assert untouched(before, after, bundle.plan) == []
    again = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert again.exit_code == 0, again.output
    assert admin_writes(again) == []

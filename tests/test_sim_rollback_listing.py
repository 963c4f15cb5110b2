"""Rollback under pwsh lists what it cannot restore, in one block, before its first confirmation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sim import (
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    baseline,
    build,
    load_json,
    with_ndr_holder,
)

pytestmark = pytest.mark.pwsh

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
CONNECTOR = "Microsoft 365 to Mimecast"
HEADING = "Cannot restore:"


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _applied(tenant: Tenant, bundle: Bundle, before: dict[str, Any]) -> Path:
    tenant.seed(before)
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    return tenant.folder / bundle.plan.backup_name


def _edit(tenant: Tenant, section: str, name: str, **settings: Any) -> None:
    state = tenant.state
    for item in state[section]:
        if item["Name"] == name:
            item.update(settings)
    tenant.seed(state)


def _block(stdout: str) -> list[str]:
    """The lines of the Cannot restore block, each without its bullet."""
    assert HEADING in stdout, stdout
    lines = stdout[stdout.index(HEADING) :].splitlines()[1:]
    block: list[str] = []
    for line in lines:
        if not line.startswith("  - "):
            break
        block.append(line.removeprefix("  - "))
    return block


def test_what_rollback_cannot_restore_is_listed_before_it_asks_and_in_whatif(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    # Before apply: no journaling at all, and no NDR address ('<>').
    backup = _applied(tenant, bundle, baseline())
    # Since apply created it, someone changed the connector: rollback removes it, with that.
    _edit(tenant, "outbound_connectors", CONNECTOR, Comment="Edited by hand", TestMode=True)

    preview = tenant.run(bundle.script("rollback.ps1"), "-BackupPath", _quoted(backup), "-WhatIf")
    assert preview.exit_code == 0, preview.output
    assert admin_writes(preview) == []
    # The block comes before the first confirmation (here: the first "What if:").
    assert preview.stdout.index(HEADING) < preview.stdout.index("What if:")
    block = _block(preview.stdout)
    connector = [line for line in block if f"Outbound connector '{CONNECTOR}'" in line]
    assert len(connector) == 1, block
    assert "did not exist before apply.ps1" in connector[0]
    assert "Comment 'Edited by hand'" in connector[0] and "TestMode true" in connector[0]
    ndr = [line for line in block if "Undeliverable journal reports" in line]
    assert len(ndr) == 1 and "R2" in ndr[0], block
    # The contact and the rule are as apply created them: removing them loses nothing.
    assert not [line for line in block if "SMTP Journaling" in line], block

    # A real run prints the same block before its first write, then does what it said.
    undone = tenant.run(
        bundle.script("rollback.ps1"), "-BackupPath", _quoted(backup), "-Confirm:$false"
    )
    assert undone.exit_code == 0, undone.output
    assert _block(undone.stdout) == block
    assert tenant.state["outbound_connectors"] == []


def test_an_object_gone_since_apply_is_listed_as_created_again_with_a_new_guid(
    tenant: Tenant, tmp_path: Path
) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    before = with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), "journal-ndr@contoso.com")
    backup = _applied(tenant, bundle, before)
    state = tenant.state
    state["outbound_connectors"] = []
    tenant.seed(state)

    preview = tenant.run(bundle.script("rollback.ps1"), "-BackupPath", _quoted(backup), "-WhatIf")
    assert preview.exit_code == 0, preview.output
    block = _block(preview.stdout)
    assert len(block) == 1, block
    assert f"Outbound connector '{CONNECTOR}'" in block[0]
    assert "is gone from the tenant" in block[0] and "new Guid" in block[0], block


def test_a_setting_the_backup_has_no_record_of_is_listed(tenant: Tenant, tmp_path: Path) -> None:
    bundle = build(MIMECAST, tmp_path / "bundle")
    backup = _applied(tenant, bundle, baseline())
    # A backup whose version did not manage the NDR queue: rollback cannot give it back.
    saved = json.loads(backup.read_text(encoding="utf-8"))
    for record in saved["Objects"]:
        if record["Type"] == "TransportConfig":
            record["Settings"].pop("JournalingReportNdrTo")
    backup.write_text(json.dumps(saved), encoding="utf-8")

    preview = tenant.run(bundle.script("rollback.ps1"), "-BackupPath", _quoted(backup), "-WhatIf")
    assert preview.exit_code == 0, preview.output
    block = _block(preview.stdout)
    assert any(
        "Undeliverable journal reports" in line
        and "JournalingReportNdrTo" in line
        and "no record" in line
        for line in block
    ), block

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.compiler import check_source, plan_for
from journalgen.errors import UsageError
from journalgen.importer import ImportRequest, render
from journalgen.live import plan_against
from journalgen.state import load_state
from tests.conftest import BATCH, ROOT, Golden

STATES = ROOT / "samples" / "states"
HAND = STATES / "hand-configured-mimecast.json"


def adopt(raw: bytes, request: ImportRequest | None = None) -> tuple[str, Any]:
    captured = load_state(raw, "state.json")
    text = render(captured, request or ImportRequest())
    # Import never accepts a TLS downgrade on the admin's behalf; accepting it is their edit.
    text = text.replace("acknowledge_downgrade: false", "acknowledge_downgrade: true")
    checked = check_source(text.encode("utf-8"), "imported.yaml")
    return text, plan_against(plan_for(checked), captured)


def test_a_hand_configured_mimecast_tenant_is_adopted_without_change() -> None:
    text, result = adopt(HAND.read_bytes())
    assert "vendor: mimecast\n  region: us\n" in text
    assert "recognised from the journal address and the smart hosts" in text
    assert not result.changed and not result.problems
    assert [s.identity for s in result.steps][-2:] == [
        "Mimecast journaling",
        "Mimecast journaling - legal",
    ]


@pytest.mark.parametrize("sample", BATCH, ids=lambda p: p.stem)
def test_every_sample_state_imports_to_a_spec_that_plans_no_change(sample: Path) -> None:
    text, result = adopt((STATES / f"{sample.stem}.json").read_bytes())
    assert not result.changed, text


def test_unknown_archive_is_custom_with_every_value_written() -> None:
    state = json.loads(HAND.read_bytes())
    for rule in state["journal_rules"]:
        rule["JournalEmailAddress"] = "tenant-7@journal.archive.example"
    state["mail_contacts"][0]["ExternalEmailAddress"] = "SMTP:tenant-7@journal.archive.example"
    state["outbound_connectors"][0]["RecipientDomains"] = ["journal.archive.example"]
    state["outbound_connectors"][0]["SmartHosts"] = ["smtp.archive.example"]
    text, result = adopt(json.dumps(state).encode())
    assert "vendor: custom\n" in text and "smart_hosts: [smtp.archive.example]" in text
    assert not result.changed


def test_a_tls_downgrade_is_left_for_the_admin_to_accept() -> None:
    raw = (STATES / "adatum-barracuda.json").read_bytes()
    text = render(load_state(raw, "state.json"), ImportRequest())
    assert "acknowledge_downgrade: false" in text and "TO DO" in text


def test_vendor_can_be_named() -> None:
    text, result = adopt(HAND.read_bytes(), ImportRequest(vendor="mimecast"))
    assert "as --vendor asked" in text and "region: us" in text and not result.changed


def test_several_journal_addresses_are_listed_not_guessed() -> None:
    state = json.loads(HAND.read_bytes())
    state["journal_rules"].append(
        {**state["journal_rules"][0], "Name": "Old archive", "JournalEmailAddress": "j@old.example"}
    )
    raw = json.dumps(state).encode()
    with pytest.raises(UsageError) as caught:
        adopt(raw)
    message = str(caught.value)
    assert "journaling@journal.adatum.com (rules 'Mimecast journaling', " in message
    assert "j@old.example (rule 'Old archive')" in message and "--journal-address" in message
    text, result = adopt(raw, ImportRequest(journal_address="Journaling@journal.adatum.com"))
    assert "Not adopted: journal rules to other addresses" in text and "'Old archive'" in text
    assert not result.changed
    assert [d.code for d in result.problems] == []
    with pytest.raises(UsageError, match="no journal rule of the state journals to it"):
        adopt(raw, ImportRequest(journal_address="nobody@example.com"))


def test_a_tenant_without_rules_has_nothing_to_adopt() -> None:
    state = json.loads(HAND.read_bytes())
    state["journal_rules"] = []
    with pytest.raises(UsageError, match="no journal rules"):
        adopt(json.dumps(state).encode())


def test_import_command_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "adatum.yaml"
    out.write_text("keep me\n")
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(HAND), "-o", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert out.read_text() == "keep me\n"
    result = runner.invoke(main, ["import", str(HAND), "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output
    assert runner.invoke(main, ["validate", str(out)]).exit_code == 0


def test_import_of_a_malformed_state_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": "journalgen-state/1"')
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(bad), "-o", str(out)])
    assert result.exit_code == 1 and "error[JG401]" in result.output
    assert not out.exists()


# States whose rules journal to several addresses, imported as `--journal-address` would.
IMPORT_ADDRESS = {
    "contoso-cloudflare-cutover": "contoso-0123456789@journaling.mxrecord.io",
    "contoso-cloudflare-cutover-stranded": "contoso-0123456789@journaling.mxrecord.io",
}


@pytest.mark.parametrize("state", sorted(STATES.glob("*.json")), ids=lambda p: p.stem)
def test_golden_import_and_plan(state: Path, golden: Golden) -> None:
    request = ImportRequest(journal_address=IMPORT_ADDRESS.get(state.stem))
    text = render(load_state(state.read_bytes(), "state.json"), request)
    golden.check(f"states/{state.stem}.import.yaml", text)
    # A state is planned with the sample (or migration) spec of its name, less a variant suffix.
    stem = state.stem.removesuffix("-drifted").removesuffix("-stranded")
    specs = [ROOT / folder / f"{stem}.yaml" for folder in ("samples", "docs/migration")]
    spec = next((s for s in specs if s.exists()), None)
    if spec is not None:
        relative = spec.relative_to(ROOT).as_posix()
        args = ["plan", relative, "--state", f"samples/states/{state.name}"]
        result = CliRunner().invoke(main, args)
        golden.check(f"states/{state.stem}.plan.txt", result.stdout + result.stderr)
        result = CliRunner().invoke(main, [*args, "--format", "json"])
        golden.check(f"states/{state.stem}.plan.json", result.stdout)

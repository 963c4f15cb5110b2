"""Transport rules that name a journaling contact under pwsh: captured, and guarded as journal rules are."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from journalgen.app import capture_script
from journalgen.emit import engine_text
from journalgen.live import undecided_lines
from journalgen.state import RULE_RECIPIENT_PROPERTIES, load_state
from tests.sim import (
    SAMPLES,
    STATES,
    Bundle,
    Tenant,
    admin_writes,
    build,
    live_plan,
    load_json,
    with_ndr_holder,
)

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
NDR = "journal-ndr@contoso.com"
# issue 18 item 1's hand-configured tenant: journalgen's default contact name, the old archive.
CONTACT = "SMTP Journaling"
OLD_ADDRESS = "journaling@journal.old.example"
# A contact the spec retires, which no journal rule uses.
RETIRED = "Old archive contact"
RETIRED_ADDRESS = "journal@old-archive.example"
FORMS = ["address", "name"]

pwsh_only = pytest.mark.pwsh


@pytest.fixture
def tenant(tmp_path: Path, pwsh: str) -> Tenant:
    folder = tmp_path / "tenant"
    folder.mkdir()
    return Tenant(folder, pwsh)


def rule(name: str, **recipients: list[str]) -> dict[str, Any]:
    """A transport rule as Get-TransportRule returns it, naming only ``recipients``."""
    return {"Name": name, "State": "Enabled", **recipients}


def contact(name: str, address: str) -> dict[str, Any]:
    return {
        "Name": name,
        "ExternalEmailAddress": f"SMTP:{address}",
        "DisplayName": name,
        "Alias": name.replace(" ", ""),
        "FirstName": None,
        "Initials": None,
        "LastName": None,
        "HiddenFromAddressListsEnabled": True,
    }


def test_the_engine_and_plan_read_the_same_recipient_properties() -> None:
    source = engine_text("apply.ps1")
    body = source[source.index("function Get-JgRuleRecipientProperties {") :]
    listed = body[body.index("return @(") + len("return @(") : body.index(")\n")]
    assert tuple(name.strip(" '") for name in listed.split(",")) == RULE_RECIPIENT_PROPERTIES


# --- retiring a contact a transport rule names --------------------------------------------------


@pytest.fixture
def retiring(tmp_path: Path) -> Bundle:
    text = MIMECAST.read_text(encoding="utf-8") + f"\nretire:\n  contacts: [{RETIRED}]\n"
    return build(text, tmp_path / "retiring", name="contoso-mimecast.yaml")


def with_retired_contact(*rules: dict[str, Any]) -> dict[str, Any]:
    """The sample tenant, set up by the spec, with the contact it retires and ``rules``."""
    state = with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), NDR)
    state["mail_contacts"].append(contact(RETIRED, RETIRED_ADDRESS))
    state["transport_rules"] = list(rules)
    return state


def bcc(form: str, target: tuple[str, str]) -> dict[str, Any]:
    name, address = target
    return rule(
        "BCC legal to the old archive", BlindCopyTo=[address if form == "address" else name]
    )


@pytest.mark.parametrize("form", FORMS)
def test_plan_refuses_to_retire_a_contact_a_transport_rule_names(
    form: str, retiring: Bundle, tmp_path: Path
) -> None:
    state = with_retired_contact(bcc(form, (RETIRED, RETIRED_ADDRESS)))
    planned = live_plan(retiring, state, tmp_path)
    found = [p for p in planned.problems if p.code == "JG428"]
    assert len(found) == 1, [str(p) for p in planned.problems]
    text = str(found[0])
    assert ": error[JG428]: " in text
    assert "'BCC legal to the old archive'" in text and "BlindCopyTo" in text
    assert f"'{RETIRED}'" in text
    # The position is the property that names the contact.
    captured = load_state((tmp_path / "plan-state.json").read_bytes(), "plan-state.json")
    where = captured.at(("transport_rules", 0, "BlindCopyTo"))
    assert (found[0].line, found[0].column) == (where.line, where.column)


def test_plan_retires_a_contact_no_transport_rule_names(retiring: Bundle, tmp_path: Path) -> None:
    state = with_retired_contact(rule("BCC legal", BlindCopyTo=["compliance@contoso.com"]))
    planned = live_plan(retiring, state, tmp_path)
    assert not planned.has_errors, [str(p) for p in planned.problems]
    assert [s.identity for s in planned.steps if s.action == "remove"] == [RETIRED]
    assert not planned.undecided


def test_plan_without_transport_rules_cannot_decide_the_retire_check(
    retiring: Bundle, tmp_path: Path
) -> None:
    state = with_retired_contact()
    del state["transport_rules"]
    planned = live_plan(retiring, state, tmp_path)
    assert not planned.has_errors
    assert [u.code for u in planned.undecided] == ["JG428"]
    lines = "\n".join(undecided_lines(planned))
    assert "transport_rules" in lines and f"'{RETIRED}'" in lines


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_apply_refuses_to_retire_a_contact_a_transport_rule_names(
    form: str, retiring: Bundle, tenant: Tenant
) -> None:
    before = with_retired_contact(bcc(form, (RETIRED, RETIRED_ADDRESS)))
    tenant.seed(before)
    for mode in ("-WhatIf", "-Confirm:$false"):
        refused = tenant.run(retiring.script("apply.ps1"), mode)
        assert refused.exit_code == 1, refused.output
        problems = [line for line in refused.output.splitlines() if "Preflight:" in line]
        assert len(problems) == 1, refused.output
        assert "'BCC legal to the old archive'" in problems[0] and "BlindCopyTo" in problems[0]
        assert f"'{RETIRED}'" in problems[0]
        assert "Nothing was changed." in refused.output
        assert admin_writes(refused) == []
    assert tenant.state == before


@pwsh_only
def test_apply_retires_a_contact_only_other_recipients_rules_name(
    retiring: Bundle, tenant: Tenant
) -> None:
    tenant.seed(with_retired_contact(rule("BCC legal", BlindCopyTo=["compliance@contoso.com"])))
    applied = tenant.run(retiring.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output
    assert [c["Name"] for c in tenant.state["mail_contacts"]] == [CONTACT]


# --- re-pointing the spec's contact that a transport rule names ---------------------------------


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return build(MIMECAST, tmp_path / "bundle")


def hand_configured(*rules: dict[str, Any]) -> dict[str, Any]:
    """The sample tenant before journalgen, its contact pointing at the old archive."""
    state = with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), NDR)
    state["transport_config"]["JournalingReportNdrTo"] = NDR
    state["journal_rules"] = []
    state["outbound_connectors"] = []
    state["mail_contacts"] = [contact(CONTACT, OLD_ADDRESS)]
    state["recipients"] = [r for r in state["recipients"] if r["Name"] != CONTACT]
    state["transport_rules"] = list(rules)
    return state


def redirect(form: str) -> dict[str, Any]:
    return rule(
        "Redirect to the archive", RedirectMessageTo=[OLD_ADDRESS if form == "address" else CONTACT]
    )


@pytest.mark.parametrize("form", FORMS)
def test_plan_refuses_to_repoint_a_contact_a_transport_rule_names(
    form: str, bundle: Bundle, tmp_path: Path
) -> None:
    planned = live_plan(bundle, hand_configured(redirect(form)), tmp_path)
    found = [p for p in planned.problems if p.code == "JG433"]
    assert len(found) == 1, [str(p) for p in planned.problems]
    text = str(found[0])
    assert ": error[JG433]: " in text
    assert "'Redirect to the archive'" in text and "RedirectMessageTo" in text
    assert f"'{CONTACT}'" in text and OLD_ADDRESS in text


def test_plan_repoints_a_contact_no_transport_rule_names(bundle: Bundle, tmp_path: Path) -> None:
    state = hand_configured(rule("Redirect", RedirectMessageTo=["someone@elsewhere.example"]))
    planned = live_plan(bundle, state, tmp_path)
    assert not planned.has_errors, [str(p) for p in planned.problems]
    assert not planned.undecided


def test_plan_without_transport_rules_cannot_decide_the_repoint_check(
    bundle: Bundle, tmp_path: Path
) -> None:
    state = hand_configured()
    del state["transport_rules"]
    planned = live_plan(bundle, state, tmp_path)
    assert not planned.has_errors
    assert [u.code for u in planned.undecided] == ["JG433"]


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_apply_refuses_to_repoint_a_contact_a_transport_rule_names(
    form: str, bundle: Bundle, tenant: Tenant
) -> None:
    before = hand_configured(redirect(form))
    tenant.seed(before)
    for mode in ("-WhatIf", "-Confirm:$false"):
        refused = tenant.run(bundle.script("apply.ps1"), mode)
        assert refused.exit_code == 1, refused.output
        problems = [line for line in refused.output.splitlines() if "Preflight:" in line]
        assert len(problems) == 1, refused.output
        assert "'Redirect to the archive'" in problems[0] and "RedirectMessageTo" in problems[0]
        assert f"'{CONTACT}'" in problems[0]
        assert "Nothing was changed." in refused.output
        assert admin_writes(refused) == []
    assert tenant.state == before


@pwsh_only
def test_apply_repoints_a_contact_only_other_recipients_rules_name(
    bundle: Bundle, tenant: Tenant
) -> None:
    tenant.seed(hand_configured(rule("Redirect", RedirectMessageTo=["someone@elsewhere.example"])))
    applied = tenant.run(bundle.script("apply.ps1"), "-Confirm:$false")
    assert applied.exit_code == 0, applied.output


# --- the capture records the rules that matter, and only those ----------------------------------

RELEVANT = [
    rule("BCC by name", BlindCopyTo=[CONTACT]),
    rule("Copy to the journal address", CopyTo=["SMTP:journaling@journal.contoso.com"]),
    rule("Moderated by the retired contact", ModerateMessageByUser=[RETIRED]),
]
UNRELATED = rule("BCC compliance", BlindCopyTo=["compliance@contoso.com"], From=["ceo@contoso.com"])


@pwsh_only
def test_verify_captures_the_transport_rules_naming_the_specs_contacts(
    retiring: Bundle, tenant: Tenant
) -> None:
    state = with_retired_contact(*copy.deepcopy(RELEVANT), copy.deepcopy(UNRELATED))
    tenant.seed(state)
    run = tenant.run(retiring.script("verify.ps1"), "-StatePath", "s.json")
    assert "s.json" in run.output, run.output
    captured = load_state((tenant.folder / "s.json").read_bytes(), "s.json").state
    assert captured.transport_rules is not None
    got = {r.name: r for r in captured.transport_rules}
    assert list(got) == [r["Name"] for r in RELEVANT]
    assert got["BCC by name"].blind_copy_to == (CONTACT,)
    assert got["Copy to the journal address"].copy_to == ("SMTP:journaling@journal.contoso.com",)
    assert got["Moderated by the retired contact"].moderate_message_by_user == (RETIRED,)
    # A property Exchange did not return is null, not an empty list.
    assert got["BCC by name"].state == "Enabled" and got["BCC by name"].redirect_message_to is None


@pwsh_only
def test_the_capture_script_captures_the_rules_naming_the_journal_contact(
    tenant: Tenant, tmp_path: Path
) -> None:
    state = with_retired_contact(*copy.deepcopy(RELEVANT), copy.deepcopy(UNRELATED))
    tenant.seed(state)
    script = tmp_path / "capture.ps1"
    script.write_bytes(capture_script("contoso.onmicrosoft.com", "commercial"))
    run = tenant.run(script, "-SkipConnect", "-StatePath", "c.json", connect_first=True)
    assert run.exit_code == 0, run.output
    captured = load_state((tenant.folder / "c.json").read_bytes(), "c.json").state
    # Knowing no spec, it watches the contacts the journal rules use: not the retired one.
    assert [r.name for r in captured.transport_rules or ()] == [
        "BCC by name",
        "Copy to the journal address",
    ]


@pwsh_only
def test_a_verify_capture_plans_the_same_refusal(retiring: Bundle, tenant: Tenant) -> None:
    tenant.seed(with_retired_contact(bcc("name", (RETIRED, RETIRED_ADDRESS))))
    tenant.run(retiring.script("verify.ps1"), "-StatePath", "s.json")
    planned = live_plan(retiring, load_json(tenant.folder / "s.json"), tenant.folder)
    assert [p.code for p in planned.problems if p.code.startswith("JG42")] == ["JG428"]


# --- a renamed contact: the spec's new contact takes over the address, not the name ---------------


@pytest.fixture
def renaming(tmp_path: Path) -> Bundle:
    text = MIMECAST.read_text(encoding="utf-8")
    renamed = (
        text.replace(f"contact:\n  name: {CONTACT}\n", "contact:\n  name: Journal Contact\n")
        + f"\nretire:\n  contacts: [{CONTACT}]\n"
    )
    assert renamed != text + f"\nretire:\n  contacts: [{CONTACT}]\n"
    return build(renamed, tmp_path / "renaming", name="contoso-mimecast.yaml")


def before_rename(form: str) -> dict[str, Any]:
    state = with_ndr_holder(load_json(STATES / "contoso-mimecast.json"), NDR)
    target = CONTACT if form == "name" else "journaling@journal.contoso.com"
    state["transport_rules"] = [rule("BCC legal", BlindCopyTo=[target])]
    return state


@pytest.mark.parametrize("form", FORMS)
def test_plan_refuses_a_rename_only_for_a_transport_rule_naming_the_old_name(
    form: str, renaming: Bundle, tmp_path: Path
) -> None:
    planned = live_plan(renaming, before_rename(form), tmp_path)
    codes = [p.code for p in planned.problems if p.code == "JG428"]
    assert codes == (["JG428"] if form == "name" else []), [str(p) for p in planned.problems]


@pwsh_only
@pytest.mark.parametrize("form", FORMS)
def test_apply_refuses_a_rename_only_for_a_transport_rule_naming_the_old_name(
    form: str, renaming: Bundle, tenant: Tenant
) -> None:
    tenant.seed(before_rename(form))
    run = tenant.run(renaming.script("apply.ps1"), "-WhatIf")
    assert run.exit_code == (1 if form == "name" else 0), run.output
    assert ("'BCC legal'" in run.output) == (form == "name"), run.output

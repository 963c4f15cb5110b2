from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen.compiler import Checked, check_source, compile_bundle, plan_for
from journalgen.emit import ENGINE_BEGIN, environment, render_template
from journalgen.errors import SpecError
from journalgen.plan import COMPARE, Plan, Resource, build_plan, diff, normalise
from tests.conftest import ROOT, SAMPLES, Golden
from tests.psparse import (
    assert_clean,
    command_parameters,
    commands,
    comments,
    eval_string_expr,
    parse_ps,
)
from tests.spectext import BASE, spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"

# The cmdlet facts of the shared reference: every parameter each cmdlet takes in Exchange Online
# that journalgen may use, and the values its enumerations accept.
COMMON = {"Confirm", "WhatIf", "ErrorAction"}
CMDLETS: dict[str, set[str]] = {
    "New-MailContact": {
        "Name",
        "ExternalEmailAddress",
        "Alias",
        "DisplayName",
        "FirstName",
        "Initials",
        "LastName",
    },
    "Set-MailContact": {
        "Identity",
        "Name",
        "ExternalEmailAddress",
        "Alias",
        "DisplayName",
        "HiddenFromAddressListsEnabled",
    },
    "Get-MailContact": {"Identity", "ResultSize", "Filter"},
    "Set-Contact": {"Identity", "FirstName", "Initials", "LastName"},
    "Get-Contact": {"Identity", "ResultSize", "Filter"},
    "New-OutboundConnector": {
        "Name",
        "Comment",
        "Enabled",
        "ConnectorType",
        "RecipientDomains",
        "UseMXRecord",
        "SmartHosts",
        "TlsSettings",
        "TlsDomain",
        "IsTransportRuleScoped",
        "TestMode",
        "MtaStsMode",
        "SmtpDaneMode",
    },
    "Set-OutboundConnector": {
        "Identity",
        "Name",
        "Comment",
        "Enabled",
        "ConnectorType",
        "RecipientDomains",
        "UseMXRecord",
        "SmartHosts",
        "TlsSettings",
        "TlsDomain",
        "IsTransportRuleScoped",
        "TestMode",
    },
    "Get-OutboundConnector": {
        "Identity",
        "IncludeTestModeConnectors",
        "IsTransportRuleScoped",
        "ResultSize",
    },
    "Get-ConnectionInformation": set(),
    "New-JournalRule": {"Name", "JournalEmailAddress", "Scope", "Recipient", "Enabled"},
    "Set-JournalRule": {"Identity", "Name", "JournalEmailAddress", "Scope", "Recipient"},
    "Enable-JournalRule": {"Identity"},
    "Disable-JournalRule": {"Identity"},
    "Get-JournalRule": {"Identity"},
    "Set-TransportConfig": {"JournalingReportNdrTo", "JournalMessageExpirationDays"},
    "Get-TransportConfig": set(),
    "Get-AcceptedDomain": {"ResultSize"},
    "Get-Recipient": {"Identity", "Filter", "ResultSize"},
    "Connect-ExchangeOnline": {
        "UserPrincipalName",
        "AppId",
        "CertificateThumbprint",
        "CertificateFilePath",
        "CertificatePassword",
        "Organization",
        "ShowBanner",
        "DelegatedOrganization",
        "ExchangeEnvironmentName",
    },
    "Disconnect-ExchangeOnline": {"ConnectionId"},
    "Remove-MailContact": {"Identity"},
    "Remove-OutboundConnector": {"Identity"},
    "Remove-JournalRule": {"Identity"},
}
ENUMS: dict[str, set[str | None]] = {
    "ConnectorType": {"Partner", "OnPremises"},
    "TlsSettings": {"EncryptionOnly", "CertificateValidation", "DomainValidation", None},
    "Scope": {"Global", "Internal", "External"},
}
# Which cmdlets receive a resource's settings by splatting, on create and on update.
SPLATTED = {
    "MailContact": ({"New-MailContact", "Set-MailContact"}, {"Set-MailContact", "Set-Contact"}),
    "OutboundConnector": ({"New-OutboundConnector"}, {"Set-OutboundConnector"}),
    "TransportConfig": (set(), {"Set-TransportConfig"}),
    "JournalRule": ({"New-JournalRule"}, {"Set-JournalRule", "Enable-JournalRule"}),
}


def checked(path: Path) -> Checked:
    return check_source(path.read_bytes(), f"samples/{path.name}")


def script_text(data: bytes) -> str:
    assert data.startswith(b"\xef\xbb\xbf")
    return data[3:].decode("ascii")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_golden_bundle(sample: Path, golden: Golden) -> None:
    for name, data in compile_bundle(checked(sample)).items():
        golden.check(f"{sample.stem}/{name}", data)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_scripts_parse_cleanly_and_use_only_known_parameters(sample: Path) -> None:
    bundle = compile_bundle(checked(sample))
    for script in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        text = script_text(bundle[script])
        assert_clean(text)
        for name, params in command_parameters(text):
            if name in CMDLETS:
                unknown = set(params) - CMDLETS[name] - COMMON
                assert not unknown, f"{script}: {name} has no parameter(s) {unknown}"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_plan_settings_are_parameters_of_the_cmdlets_that_receive_them(sample: Path) -> None:
    plan = plan_for(checked(sample))
    for resource in plan.resources:
        creators, updaters = SPLATTED[resource.type]
        for setting in resource.settings:
            if creators:
                assert any(setting.name in CMDLETS[c] for c in creators), setting.name
            accepted = any(setting.name in CMDLETS[c] for c in updaters)
            assert accepted or (resource.type, setting.name) == ("JournalRule", "Enabled")
            if setting.name in ENUMS:
                assert setting.value in ENUMS[setting.name]


def test_script_is_ascii_with_bom_and_crlf_only() -> None:
    data = compile_bundle(checked(MIMECAST))["apply.ps1"]
    body = data[3:]
    assert body.isascii()
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")


def test_same_spec_gives_same_bytes_and_header_names_the_spec() -> None:
    source = MIMECAST.read_bytes()
    first = compile_bundle(check_source(source, "/some/where/deep/contoso-mimecast.yaml"))
    second = compile_bundle(check_source(source, "other/contoso-mimecast.yaml"))
    assert first == second
    text = script_text(first["apply.ps1"])
    assert "/some/where" not in text
    assert hashlib.sha256(source).hexdigest() in text
    assert "from contoso-mimecast.yaml" in text


def test_apply_orders_steps_as_exchange_needs_them() -> None:
    plan = plan_for(checked(MIMECAST))
    assert [r.type for r in plan.resources][:3] == [
        "MailContact",
        "OutboundConnector",
        "TransportConfig",
    ]
    assert all(r.type == "JournalRule" for r in plan.resources[3:])
    text = script_text(render_plan(plan))
    positions = [text.index(f"Type     = '{r.type}'") for r in plan.resources]
    assert positions == sorted(positions)


def render_plan(plan: Plan) -> bytes:
    from journalgen.emit import render_apply

    return render_apply(plan)


def test_script_structure_for_a_reviewer() -> None:
    text = script_text(compile_bundle(checked(MIMECAST))["apply.ps1"])
    order = [
        "#Requires -Version 5.1",
        "ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0'",
        "[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High'",
        "Set-StrictMode",
        "$ErrorActionPreference = 'Stop'",
        "$Desired = @(",
        "Get-AcceptedDomain -ResultSize Unlimited",
        "Connect-ExchangeOnline @connect",
        "Disconnect-ExchangeOnline -ConnectionId $JgConnectionId -Confirm:$false -WhatIf:$false",
        "$JgConnected = Connect-Jg",
        "Assert-JgTenant",
        "Test-JgPreflight -AcceptedDomains",
        "Get-JgPendingChanges",
        '$JgPlanApproved = $JgCmdlet.ShouldProcess("tenant',
        "Save-JgBackup -Path",
        "Invoke-JgStep -Resource",
        "Disconnect-Jg",
    ]
    run = text.index("$JgConnected = Connect-Jg")
    split = order.index("$JgConnected = Connect-Jg")
    positions = [text.index(marker) for marker in order[:split]]
    positions += [text.index(marker, run) for marker in order[split:]]
    assert positions == sorted(positions)
    assert "$JgCmdlet.ShouldProcess(" in text
    # Every write to Exchange sits inside a function that only runs after ShouldProcess said yes.
    for cmdlet in (
        "New-MailContact",
        "New-OutboundConnector",
        "New-JournalRule",
        "Set-TransportConfig",
    ):
        assert text.count(cmdlet + " @") == 1


def test_engine_is_identical_for_every_spec() -> None:
    engines = set()
    for sample in SAMPLES:
        text = script_text(compile_bundle(checked(sample))["apply.ps1"])
        engines.add(text[text.index(ENGINE_BEGIN) :])
    assert len(engines) == 1


def test_rule_enabled_is_always_explicit_and_connector_is_partner() -> None:
    plan = plan_for(checked(MIMECAST))
    for rule in plan.rules:
        assert rule.values()["Enabled"] is True
    assert plan.connector.values()["ConnectorType"] == "Partner"
    assert plan.connector.values()["UseMXRecord"] is False
    assert plan.connector.values()["IsTransportRuleScoped"] is False


# --- the template environment itself refuses unescaped output -----------------------------


def test_template_cannot_print_a_raw_value() -> None:
    hostile = "x’; Remove-Item C:\\ -Recurse; #"
    env = environment()
    out = env.from_string("{{ v }} {{ v | upper }} {{ v ~ 'a' }} {{ '%s' % v }}").render(v=hostile)
    for part in out.split(" ('"):
        assert "Remove-Item" not in part or part.startswith("('") or "'" in part
    assert_clean(f"$x = @({out.replace(' (', ', (')})")
    assert "[char]0x2019" in out


def test_template_environment_refuses_undefined_names() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()


def test_comment_filter_keeps_comments_inert() -> None:
    out = render_template_string(
        "# {{ v | comment }}\nWrite-Host 'after'\n", v="a\n#> Remove-Item x <#"
    )
    assert commands(out) == ["Write-Host"]


def render_template_string(source: str, **context: Any) -> str:
    return environment().from_string(source).render(**context)


def test_render_template_loads_packaged_templates() -> None:
    assert "Invoke-JgStep" in render_template("engine/write.ps1.j2")


# --- what the script compares: the plan's model of it --------------------------------------


@pytest.mark.parametrize(
    ("kind", "desired", "current", "same"),
    [
        ("address", "journaling@journal.contoso.com", "SMTP:Journaling@Journal.Contoso.com", True),
        ("address", "a@contoso.com", "smtp:b@contoso.com", False),
        ("address", None, "<>", True),
        ("list", ("a.com", "B.com"), ["b.com", "A.COM"], True),
        ("list", ("a.com",), ["a.com", "b.com"], False),
        ("list", None, [], True),
        ("enum", "CertificateValidation", "certificatevalidation", True),
        ("enum", "Global", "Internal", False),
        ("domain", "*.Archive.example", "*.archive.example", True),
        ("text", "SMTP Journaling", "smtp journaling", False),
        ("text", None, "", True),
        ("bool", True, True, True),
        ("bool", False, True, False),
        ("int", 3, 3, True),
    ],
)
def test_normalise(kind: Any, desired: object, current: object, same: bool) -> None:
    assert (normalise(kind, desired) == normalise(kind, current)) is same


def _current_as_exchange_returns_it(resource: Resource) -> dict[str, object]:
    current: dict[str, object] = {}
    for s in resource.settings:
        value: object = s.value
        if s.compare == "address" and isinstance(value, str):
            value = "SMTP:" + value.upper()
        elif s.compare == "list" and isinstance(value, tuple):
            value = [v.upper() for v in reversed(value)]
        elif s.compare == "enum" and isinstance(value, str):
            value = value.lower()
        current[s.name] = value
    return current


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_second_run_changes_nothing(sample: Path) -> None:
    plan = plan_for(checked(sample))
    for resource in plan.resources:
        assert diff(resource, _current_as_exchange_returns_it(resource)) == []
        assert diff(resource, None) is None


def test_diff_reports_only_what_differs() -> None:
    plan = plan_for(checked(MIMECAST))
    current = _current_as_exchange_returns_it(plan.connector)
    current["SmartHosts"] = ["old.example.com"]
    current["Enabled"] = False
    changes = diff(plan.connector, current)
    assert changes is not None
    assert [c.name for c in changes] == ["Enabled", "SmartHosts"]


def test_every_managed_setting_has_a_comparison_rule_in_the_engine() -> None:
    text = script_text(compile_bundle(checked(MIMECAST))["apply.ps1"])
    for name, kind in COMPARE.items():
        assert f"{name}" in text and f"'{kind}'" in text


def test_unset_contact_name_parts_are_not_managed() -> None:
    c = check_source(spec_text().encode(), "s.yaml")
    names = plan_for(c).contact.values()
    assert "FirstName" not in names and "LastName" not in names
    assert names["Alias"] == "SMTPJournaling"


def test_queue_expiry_only_when_given() -> None:
    plain = plan_for(check_source(spec_text().encode(), "s.yaml"))
    assert "JournalMessageExpirationDays" not in plain.transport.values()
    given_ = plan_for(check_source(spec_text({"ndr": {"queue_expiry_days": 3}}).encode(), "s.yaml"))
    assert given_.transport.values()["JournalMessageExpirationDays"] == 3


# --- property: arbitrary text in every string field ----------------------------------------

STRING_FIELDS: list[tuple[str | int, ...]] = [
    ("contact", "name"),
    ("contact", "display_name"),
    ("contact", "first_name"),
    ("contact", "initials"),
    ("contact", "last_name"),
    ("contact", "alias"),
    ("connector", "name"),
    ("connector", "comment"),
    ("journal_rules", 0, "name"),
    ("journal_rules", 0, "recipient"),
    ("ndr", "address"),
    ("archive", "journal_address"),
    ("tenant", "primary_domain"),
]


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: str) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value


def _data_entries(text: str) -> list[tuple[str, str]]:
    """Every ``Key = value`` entry of the data block's hashtables, as source text."""
    src = text[: text.index(ENGINE_BEGIN)].encode("ascii")
    tree = parse_ps(src)
    out: list[tuple[str, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "hash_entry":
            key = node.child_by_field_name("key") or node.children[0]
            value = node.children[2]
            out.append(
                (
                    src[key.start_byte : key.end_byte].decode(),
                    src[value.start_byte : value.end_byte].decode(),
                )
            )
        stack.extend(reversed(node.children))
    return out


def _ordinary_commands() -> list[str]:
    data = copy.deepcopy(BASE)
    return commands(
        script_text(
            compile_bundle(check_source(yaml.safe_dump(data).encode(), "s.yaml"))["apply.ps1"]
        )
    )


ORDINARY = _ordinary_commands()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(STRING_FIELDS), value=st.text(min_size=0, max_size=40))
def test_any_string_is_refused_or_round_trips(field: tuple[str | int, ...], value: str) -> None:
    data = copy.deepcopy(BASE)
    _set(data, field, value)
    try:
        source = yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass")
        result = check_source(source, "s.yaml")
    except SpecError as exc:
        assert exc.diagnostics
        return
    except UnicodeEncodeError:
        return
    # YAML itself may fold some characters (NEL, for one); the spec holds what YAML delivered.
    delivered: Any = yaml.safe_load(source)
    for part in field:
        delivered = delivered[part]
    value = delivered
    text = script_text(compile_bundle(result)["apply.ps1"])
    assert_clean(text)
    assert commands(text) == ORDINARY
    literals = []
    for _key, expr in _data_entries(text):
        try:
            literals.append(eval_string_expr(expr))
        except AssertionError:
            continue
    assert value in literals, f"{value!r} does not come back from any literal"


def test_hostile_names_round_trip_exactly() -> None:
    hostile = 'Zoë’s "$(Remove-Item x)" `n #> ‘'
    data = copy.deepcopy(BASE)
    data["contact"] = {"display_name": hostile}
    data["connector"] = {"comment": hostile}
    text = script_text(
        compile_bundle(check_source(yaml.safe_dump(data, allow_unicode=True).encode(), "s.yaml"))[
            "apply.ps1"
        ]
    )
    assert_clean(text)
    values = [
        eval_string_expr(expr)
        for key, expr in _data_entries(text)
        if key in ("DisplayName", "Comment")
    ]
    assert values == [hostile, hostile]


def test_build_plan_hashes_the_source() -> None:
    c = checked(MIMECAST)
    plan = build_plan(c.resolved, "x.yaml", b"abc")
    assert plan.spec_sha256 == hashlib.sha256(b"abc").hexdigest()


def test_comments_never_show_a_name_as_a_lookalike() -> None:
    names = ["J\u00f6urnal \u00c4rchiv", "Journal #1", "\u30b8\u30e3\u30fc\u30ca\u30eb"]
    source = spec_text(
        {"contact": {"name": names[0]}, "journal_rules": [{"name": n} for n in names]}
    )
    bundle = compile_bundle(check_source(source.encode(), "s.yaml"))
    for script in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        text = script_text(bundle[script])
        assert_clean(text)
        shown = "\n".join(comments(text))
        assert "J[U+00F6]urnal [U+00C4]rchiv" in shown
        assert "[U+30B8 U+30E3 U+30FC U+30CA U+30EB]" in shown
        for lookalike in ("Journal Archiv", "Journal no.1", "?????"):
            assert lookalike not in shown
    assert "    # 5. Journal rule 'Journal #1'\r\n" in script_text(bundle["apply.ps1"])

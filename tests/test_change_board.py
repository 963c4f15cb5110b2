"""CHANGE.md as a change board reads it: order, sources, warnings, prerequisites, verification."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from journalgen.cli import main
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.emit import summary_lines
from tests.conftest import ROOT
from tests.spectext import DROP, spec_text

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
CLOUDFLARE = ROOT / "samples" / "tailspin-cloudflare.yaml"
CUTOVER = ROOT / "docs" / "migration" / "contoso-cloudflare-cutover.yaml"
DRIFTED = ROOT / "samples" / "states" / "contoso-mimecast-drifted.json"


def change_md(source: str | bytes, name: str = "s.yaml") -> str:
    data = source.encode() if isinstance(source, str) else source
    return compile_bundle(check_source(data, name))["CHANGE.md"].decode()


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def steps(text: str) -> list[str]:
    return re.findall(r"^\d+\. (.*)$", section(text, "Order of operations"), re.MULTILINE)


RENAMED = spec_text(
    {"contact": {"name": "Mimecast Journal"}, "retire": {"contacts": ["SMTP Journaling"]}}
)


def test_a_retired_contact_is_removed_before_the_contact_step_if_it_holds_the_address() -> None:
    order = steps(change_md(RENAMED))
    holder = next(i for i, s in enumerate(order) if s.startswith("Mail contact 'SMTP Journaling'"))
    create = next(i for i, s in enumerate(order) if s.startswith("Mail contact 'Mimecast Journal'"))
    assert holder < create
    assert "if it holds the journal address" in order[holder]


def test_the_holder_paragraph_appears_only_when_a_contact_is_retired() -> None:
    paragraph = "A retired mail contact that holds the spec's own journal address"
    assert paragraph in change_md(RENAMED)
    rule_only = spec_text({"retire": {"journal_rules": ["Old rule"]}})
    assert paragraph not in change_md(rule_only)


def test_the_transport_configuration_is_never_said_to_be_created() -> None:
    order = steps(change_md(MIMECAST.read_bytes()))
    [ndr] = [s for s in order if s.startswith("Undeliverable journal reports")]
    assert "create" not in ndr and "missing" not in ndr
    assert any("create it if missing" in s for s in order if s.startswith("Mail contact"))


def test_the_source_column_says_where_each_value_came_from() -> None:
    text = change_md(spec_text())
    assert "| From (spec key, and where the value came from) |" in text
    assert "connector.comment (derived: " in text
    assert "connector.smart\\_hosts (preset, confirmed \\[mimecast-onboarding\\])" in text
    assert "contact.alias (derived: " in text
    assert "| ndr.address (spec) |" in text


def test_archive_prerequisites_come_from_the_preset() -> None:
    mimecast = section(change_md(MIMECAST.read_bytes()), "Preconditions and preflight")
    assert "contoso.com is an internal domain of the Mimecast account" in mimecast
    cloudflare = section(change_md(CLOUDFLARE.read_bytes()), "Preconditions and preflight")
    assert "internal domain" not in cloudflare


def test_verification_says_what_verify_does() -> None:
    text = section(change_md(CUTOVER.read_bytes(), CUTOVER.name), "Verification")
    flat = " ".join(text.split())
    for fact in ("PRESENT", "UNMANAGED", "`-Strict`", "2 when it cannot read", "-StatePath '"):
        assert fact in flat, fact
    assert "exits 0 only when all match" not in flat
    assert "PRESENT" not in section(change_md(MIMECAST.read_bytes()), "Verification")


def paused() -> str:
    rules = [{"name": "All", "enabled": False, "paused_reason": "Contract renewal"}]
    return spec_text({"journal_rules": rules})


def test_a_paused_rule_is_described_without_contradiction() -> None:
    checked = check_source(paused().encode(), "s.yaml")
    [line] = [s for s in summary_lines(plan_for(checked)) if s.startswith("Journal rule")]
    assert "journals all messages" not in line
    assert line.startswith("Journal rule 'All' is DISABLED and journals nothing")
    risks = section(change_md(paused()), "Risks")
    assert "**Journaling paused**" in risks and "**Journaling gap**" not in risks
    assert "**Journaling gap**" in section(change_md(spec_text()), "Risks")


def build(tmp_path: Path, *args: str) -> tuple[Any, str]:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", *args, "-d", str(out)])
    assert result.exit_code == 0, result.output
    stem = Path(args[0]).stem
    return result, (out / stem / "CHANGE.md").read_text(encoding="utf-8")


def check(tmp_path: Path, spec: str) -> Any:
    return CliRunner().invoke(main, ["check", spec, "-d", str(tmp_path / "out")])


def test_warnings_from_previous_are_in_the_warnings_section_and_check_accepts(
    tmp_path: Path,
) -> None:
    (tmp_path / "old.yaml").write_text(spec_text(), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text({"journal_rules": [{"name": "Renamed"}]}), encoding="utf-8")
    result, text = build(tmp_path, str(spec), "--previous", str(tmp_path / "old.yaml"))
    assert "warning[JG504]" in result.output
    warnings = section(text, "Warnings from journalgen's checks")
    assert "None." not in warnings
    assert "`JG504` Journal rule 'Journal all mail' of the previous spec" in warnings
    assert check(tmp_path, str(spec)).exit_code == 0


def test_warnings_from_the_state_are_in_the_warnings_section_and_check_accepts(
    tmp_path: Path,
) -> None:
    import json

    state = json.loads(DRIFTED.read_bytes())
    rule = {**state["journal_rules"][0], "Name": "Unmanaged rule"}
    state["journal_rules"].append(rule)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    result, text = build(tmp_path, str(MIMECAST), "--state", str(path))
    assert "JG417" in result.output
    assert "`JG417`" in section(text, "Warnings from journalgen's checks")
    assert check(tmp_path, str(MIMECAST)).exit_code == 0
    # Edited warnings are still caught.
    change = tmp_path / "out" / MIMECAST.stem / "CHANGE.md"
    change.write_text(text.replace("`JG417`", "`JG000`"), encoding="utf-8")
    assert check(tmp_path, str(MIMECAST)).exit_code == 1


def test_jg420_advice_never_suggests_a_mailbox() -> None:
    from journalgen.emit import engine_text

    apply = engine_text("apply.ps1")
    [line] = [x for x in apply.splitlines() if "would go nowhere" in x]
    assert "shared mailbox route" not in line and "mail user or mail contact" in line
    docs = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert "shared mailbox route" not in docs


def test_previous_spec_of_another_tenant_reports_no_dropped_objects(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    other = {"tenant": {"organization": "fabrikam.onmicrosoft.com"}}
    old.write_text(spec_text({**other, "journal_rules": [{"name": "Fabrikam rule"}]}))
    result, _ = build(tmp_path, str(MIMECAST), "--previous", str(old))
    assert "warning[JG027]" in result.output
    assert "JG504" not in result.output


def test_every_presets_prerequisites_fill_in_for_a_tenant() -> None:
    from journalgen.vendors import presets

    for preset in presets().values():
        values = preset.template_values(None, "contoso.com")
        for item in preset.prerequisites:
            assert "{" not in item.format(**values), preset.name


# --- issue 18: a change board's CHANGE.md -------------------------------------------------------

CUTOVER_TEXT = CUTOVER.read_text(encoding="utf-8")


def test_an_object_retired_in_both_versions_is_not_a_change(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(CUTOVER_TEXT, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(CUTOVER_TEXT.replace("journal-ndr@contoso.com", "ndr@contoso.com"))
    _, text = build(tmp_path, str(spec), "--previous", str(old))
    changes = section(text, "Changes from the previous spec")
    assert "retired: removed from the tenant" not in changes
    assert "JournalingReportNdrTo" in changes
    # Not "removed by this change", wherever the document says what it removes.
    assert "Removed by this change" not in text
    assert "remove 3 retired object(s)" not in text.splitlines()[0]
    assert check(tmp_path, str(spec)).exit_code == 0


def test_newly_retired_objects_are_the_changes(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(spec_text({"retire": {"journal_rules": ["Old rule"]}}), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text({"retire": {"journal_rules": ["Old rule", "Older rule"]}}))
    _, text = build(tmp_path, str(spec), "--previous", str(old))
    changes = section(text, "Changes from the previous spec").splitlines()
    rows = [r for r in changes if r.startswith("|") and "retired" in r]
    assert len(rows) == 1 and "Older rule" in rows[0]
    assert "retired by an earlier version" in text
    assert check(tmp_path, str(spec)).exit_code == 0


def test_migration_docs_say_when_a_retire_entry_may_go() -> None:
    docs = " ".join((ROOT / "docs" / "migration.md").read_text(encoding="utf-8").split())
    assert "When a `retire:` entry may go" in docs


def parallel_change(others: list[str]) -> str:
    from journalgen.change import render_change

    def plan(text: str, name: str) -> Any:
        return plan_for(check_source(text.encode(), name))

    mine = plan(spec_text(), "new.yaml")
    other_plans = [plan(text, f"other{i}.yaml") for i, text in enumerate(others)]
    return render_change(mine, {}, [], parallel=other_plans).decode()


def test_a_parallel_run_says_mail_goes_to_both_archives() -> None:
    other = spec_text(
        {
            "archive": {
                "vendor": "cloudflare",
                "region": DROP,
                "journal_address": "x@journaling.mxrecord.io",
            },
            "contact": {"name": "Cloudflare Journaling"},
            "journal_rules": [{"name": "To Cloudflare"}],
        }
    )
    summary = " ".join(section(parallel_change([other]), "Summary").split())
    assert (
        "This tenant is also journaled by `other0.yaml` to Cloudflare Email Security "
        "(`x@journaling.mxrecord.io`): while both are applied, every journaled message goes to "
        "both archives" in summary
    )
    assert "also journaled" not in parallel_change([])


def test_the_boards_part_comes_first() -> None:
    text = change_md(CUTOVER_TEXT, CUTOVER.name)
    titles = re.findall(r"^## (.*)$", text, re.MULTILINE)
    assert titles[:3] == ["Summary", "Journal flow", "Risks"]
    assert titles.index("Risks") < titles.index("Tenant") < titles.index("Order of operations")


def test_no_rename_text_when_nothing_is_renamed() -> None:
    cutover = change_md(CUTOVER_TEXT, CUTOVER.name)
    assert "renamed" not in cutover
    assert "renamed contact" in change_md(RENAMED)


def test_no_queue_of_zero_days() -> None:
    text = change_md(spec_text({"ndr": {"queue_expiry_days": 0}}))
    assert "0 day(s)" not in text
    assert "not queued" in text


def test_commands_quote_paths_as_powershell_literals() -> None:
    text = change_md(spec_text(), "Pine Crest (new)'s.yaml")
    rollback = " ".join(section(text, "Rollback").split())
    assert "`rollback.ps1 -BackupPath 'journalgen-backup-Pine Crest (new)''s-" in rollback
    for span in re.findall(r"`[^`]*-(?:BackupPath|StatePath)[^`]*`", text):
        assert re.search(r"-(?:BackupPath|StatePath) '", span), span

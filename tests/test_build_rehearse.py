"""build --rehearse: CHANGE.md's Rehearsal section and its manifest record, and what check makes of them."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen.app import check_file
from journalgen.cli import main
from journalgen.compiler import compile_bundle
from journalgen.rehearse import UNCONFIRMED, Check, Record, RecordedStep
from journalgen.simulator import INSTALL_HINT
from tests.conftest import ROOT
from tests.sim import SAMPLES, STATES, load_json

MIMECAST = SAMPLES / "contoso-mimecast.yaml"
DRIFTED = STATES / "contoso-mimecast-drifted.json"
BEGIN = "<!-- journalgen:rehearsal -->"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cli(*arguments: str | Path) -> Result:
    return CliRunner().invoke(main, [*map(str, arguments)])


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory: pytest.TempPathFactory, pwsh: str) -> Path:
    """contoso-mimecast built with --states DIR --rehearse against its drifted tenant, once."""
    root = tmp_path_factory.mktemp("rehearsed")
    states = root / "states"
    states.mkdir()
    shutil.copy(DRIFTED, states / DRIFTED.name)
    result = _cli("build", MIMECAST, "--out-dir", root / "out", "--states", states, "--rehearse")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def bundle(rehearsed: Path, tmp_path: Path) -> Path:
    """A copy of the rehearsed bundle's out dir, and the state beside it, for a test to change."""
    shutil.copytree(rehearsed / "out", tmp_path / "out")
    shutil.copy(DRIFTED, tmp_path / DRIFTED.name)
    return tmp_path


def _check(folder: Path, *extra: str | Path) -> Result:
    state = folder / DRIFTED.name
    return _cli("check", MIMECAST, "--out-dir", folder / "out", "--state", state, *extra)


# --- without PowerShell, or without a state: a usage error, and nothing written ----------------


def test_without_pwsh_build_rehearse_is_a_usage_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNALGEN_PWSH", str(tmp_path / "no-such-pwsh"))
    out = tmp_path / "out"
    result = _cli("build", MIMECAST, "--out-dir", out, "--state", DRIFTED, "--rehearse")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"journalgen: error: {INSTALL_HINT}\n"
    assert not out.exists()


def test_without_pwsh_check_rehearse_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _cli("build", MIMECAST, "--out-dir", tmp_path / "out")
    assert built.exit_code == 0, built.output
    monkeypatch.setenv("JOURNALGEN_PWSH", str(tmp_path / "no-such-pwsh"))
    result = _cli("check", MIMECAST, "--out-dir", tmp_path / "out", "--rehearse")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"journalgen: error: {INSTALL_HINT}\n"


def test_rehearse_without_a_state_is_a_usage_error(tmp_path: Path) -> None:
    result = _cli("build", MIMECAST, "--out-dir", tmp_path / "out", "--rehearse")
    assert result.exit_code == 2, result.output
    assert "--rehearse runs the scripts against a captured tenant" in result.stderr
    assert not (tmp_path / "out").exists()


# --- the section, the record, and check --------------------------------------------------------


@pytest.mark.pwsh
def test_the_rehearsed_bundle_passes_check_and_says_what_it_is(bundle: Path) -> None:
    folder = bundle / "out" / MIMECAST.stem
    text = (folder / "CHANGE.md").read_text(encoding="utf-8")
    record = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["rehearsal"]
    assert record["result"] == "passed"
    assert record["state"]["sha256"] == hashlib.sha256(DRIFTED.read_bytes()).hexdigest()
    section = text[text.index(BEGIN) : text.index("## Tenant")]
    # In the board's part, before the engineer's material.
    assert text.index(BEGIN) < text.index("## Tenant") < text.index("<!-- journalgen:state -->")
    assert "**Result: passed.**" in section
    assert f"PowerShell\n`{record['powershell']}` (`pwsh`)" in section
    assert record["engine_sha256"] in section
    assert "captured at\n2026-11-27T10:00:00Z" in section
    assert "not Exchange Online.**" in section
    assert "| the tenant's journal rule limit | 50 |" in section
    assert len(UNCONFIRMED) == 11
    assert "Set-TransportConfig: JournalingReportNdrTo 'old-ndr@contoso.com' -\\>" in section
    assert "- Second run: the second apply wrote nothing." in section
    assert "- Rollback: rollback gave back the tenant as captured." in section

    checked = _check(bundle)
    assert checked.exit_code == 0, checked.output
    assert "not run again (check --rehearse runs it)" in checked.stderr
    # Without the state, as before: unverified changes against the tenant (a warning).
    alone = _cli("check", MIMECAST, "--out-dir", bundle / "out")
    assert alone.exit_code == 0, alone.output
    assert "warning[JG029]" in alone.stdout


@pytest.mark.pwsh
def test_editing_the_rehearsal_section_fails_check_at_the_edited_line(bundle: Path) -> None:
    change = bundle / "out" / MIMECAST.stem / "CHANGE.md"
    text = change.read_text(encoding="utf-8")
    edited = text.replace(
        "| rollback gave back the tenant as captured | PASS |", "| rollback | PASS |"
    )
    assert edited != text
    change.write_text(edited, encoding="utf-8")
    result = _check(bundle)
    assert result.exit_code == 1, result.output
    line = _line_of(edited, "| rollback | PASS |")
    assert f"CHANGE.md:{line}:12: error[JG021]: edited since it was generated" in result.stdout


@pytest.mark.pwsh
def test_a_section_rewritten_with_its_hash_still_fails_against_its_record(bundle: Path) -> None:
    folder = bundle / "out" / MIMECAST.stem
    text = (folder / "CHANGE.md").read_text(encoding="utf-8")
    edited = text.replace("**Result: passed.** Every check", "**Result: passed.** Each check")
    assert edited != text
    (folder / "CHANGE.md").write_bytes(edited.encode("utf-8"))
    manifest = load_json(folder / "manifest.json")
    manifest["artifacts"]["CHANGE.md"] = hashlib.sha256(edited.encode("utf-8")).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    result = _check(bundle)
    assert result.exit_code == 1, result.output
    line = _line_of(edited, "**Result: passed.** Each")
    assert f"CHANGE.md:{line}:22: error[JG035]:" in result.stdout
    assert "it should read '**Result: passed.** Every check below held.'" in result.stdout


@pytest.mark.pwsh
def test_changing_the_state_afterwards_fails_check(bundle: Path) -> None:
    state = bundle / DRIFTED.name
    data = load_json(state)
    data["transport_config"]["JournalingReportNdrTo"] = "other-ndr@contoso.com"
    state.write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = _check(bundle)
    assert result.exit_code == 1, result.output
    text = (bundle / "out" / MIMECAST.stem / "CHANGE.md").read_text(encoding="utf-8")
    line = _line_of(text, BEGIN)
    assert f"CHANGE.md:{line}:1: error[JG036]: the rehearsal no longer speaks for" in result.stdout
    assert "it ran against the state contoso-mimecast-drifted.json" in result.stdout


@pytest.mark.pwsh
def test_a_rebuild_keeps_the_rehearsal_and_rehearsing_again_gives_the_same_bytes(
    bundle: Path,
) -> None:
    folder = bundle / "out" / MIMECAST.stem
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    state = bundle / DRIFTED.name
    kept = _cli("build", MIMECAST, "--out-dir", bundle / "out", "--state", state)
    assert kept.exit_code == 0, kept.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # --state FILE rehearses as --states DIR did: the same bytes, so nothing is written.
    again = _cli("build", MIMECAST, "--out-dir", bundle / "out", "--state", state, "--rehearse")
    assert again.exit_code == 0, again.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert str(bundle) not in before["CHANGE.md"].decode("utf-8")
    assert "journalgen-rehearsal-" not in before["CHANGE.md"].decode("utf-8")


def _forge(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the rehearsal record, its section and the hash together, as only check --rehearse
    can catch: the section renders from the record, so plain check has nothing to compare with.
    """
    manifest = load_json(folder / "manifest.json")
    edit(manifest["rehearsal"])
    record = Record.from_manifest(manifest["rehearsal"])
    assert record is not None
    section = re.compile(
        r"<!-- journalgen:rehearsal -->\n.*?<!-- /journalgen:rehearsal -->\n", re.S
    )
    rendered = compile_bundle(check_file(str(MIMECAST)), rehearsal=record)["CHANGE.md"].decode()
    wanted = section.search(rendered)
    assert wanted is not None
    text = (folder / "CHANGE.md").read_text(encoding="utf-8")
    forged = section.sub(lambda _: wanted.group(), text).encode("utf-8")
    (folder / "CHANGE.md").write_bytes(forged)
    manifest["artifacts"]["CHANGE.md"] = hashlib.sha256(forged).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


@pytest.mark.pwsh
def test_a_forged_rehearsal_passes_check_and_fails_check_rehearse(bundle: Path) -> None:
    def hide_a_write(record: dict[str, Any]) -> None:
        del record["steps"][1]["writes"][0]

    _forge(bundle / "out" / MIMECAST.stem, hide_a_write)
    plain = _check(bundle)
    assert plain.exit_code == 0, plain.output
    result = _check(bundle, "--rehearse")
    assert result.exit_code == 1, result.output
    assert "error[JG038]: check --rehearse ran the scripts again" in result.stdout
    assert "step 'apply' exited 0 (wrote 'Set-MailContact 'SMTP Journaling':" in result.stdout


@pytest.mark.pwsh
def test_check_rehearse_warns_of_a_section_from_another_powershell(bundle: Path) -> None:
    def other(record: dict[str, Any]) -> None:
        record["powershell"] = "Core 7.4.0"

    _forge(bundle / "out" / MIMECAST.stem, other)
    result = _check(bundle, "--rehearse")
    assert result.exit_code == 0, result.output
    assert "warning[JG039]: the Rehearsal section is from PowerShell 'Core 7.4.0'" in result.stdout
    assert "not run again" not in result.stderr


# --- a rehearsal that fails: no bundle to approve -----------------------------------------------


@pytest.mark.pwsh
def test_a_failing_rehearsal_writes_nothing_and_names_the_problem(
    tmp_path: Path, pwsh: str
) -> None:
    # A mail user holds the alias the spec's contact needs: plan cannot see aliases, and
    # Exchange refuses New-MailContact (tests/test_rehearse.py).
    state = load_json(STATES / "contoso-mimecast.json")
    for section in ("journal_rules", "outbound_connectors", "mail_contacts"):
        state[section] = []
    state["transport_config"] = {"JournalingReportNdrTo": "<>", "JournalMessageExpirationDays": 0}
    state["recipients"] = [
        *(r for r in state["recipients"] if r["RecipientTypeDetails"] != "MailContact"),
        {
            "Name": "Journal NDR",
            "RecipientTypeDetails": "MailUser",
            "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
        },
        {
            "Name": "Legal hold",
            "RecipientTypeDetails": "MailUser",
            "Alias": "Journaling",
            "EmailAddresses": ["SMTP:legal-hold@contoso.com"],
        },
    ]
    path = tmp_path / "held.json"
    text = json.dumps(state, indent=2)
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = _cli("build", MIMECAST, "--out-dir", out, "--state", path, "--rehearse")
    assert result.exit_code == 1, result.output
    line = _line_of(text, '"organization"')
    assert f"held.json:{line}:" in result.stdout
    assert "error[JG037]: build --rehearse: the rehearsal of" in result.stdout
    assert "apply completed: FAIL (Mail contact 'SMTP Journaling': New-MailContact failed" in (
        result.stdout
    )
    assert not (out / MIMECAST.stem).exists()


# --- the record and its rendering, without PowerShell --------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_RECORDS = st.builds(
    Record,
    shell=st.sampled_from(["pwsh", "powershell"]),
    powershell=st.none() | _TEXT,
    engine_sha256=_TEXT,
    spec_sha256=_TEXT,
    state=st.dictionaries(
        st.sampled_from(["file", "sha256", "captured_at", "organization"]), _TEXT
    ),
    result=st.sampled_from(["passed", "problems", "preflight", "not-simulator"]),
    assumptions=st.tuples(_TEXT) | st.just(()),
    steps=st.lists(
        st.builds(
            RecordedStep,
            name=_TEXT,
            command=_TEXT,
            exit_code=st.none() | st.integers(-(2**31), 2**31),
            writes=st.tuples(_TEXT),
            warnings=st.just(()) | st.tuples(_TEXT),
            errors=st.just(()),
        ),
        max_size=3,
    ).map(tuple),
    checks=st.lists(
        st.builds(
            Check, name=_TEXT, question=_TEXT, passed=st.booleans(), problems=st.tuples(_TEXT)
        ),
        max_size=3,
    ).map(tuple),
)


@FUZZ
@given(_RECORDS)
def test_a_record_reads_back_from_the_manifest_as_it_was(record: Record) -> None:
    stored = json.loads(json.dumps(record.as_manifest(), ensure_ascii=False))
    assert Record.from_manifest(stored) == record


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_a_record_that_is_not_one_reads_as_none(junk: Any) -> None:
    assert Record.from_manifest(junk) is None


def test_every_value_of_the_section_is_escaped_and_stays_on_its_line() -> None:
    hostile = "a|b\n## Injected <img src=x> `code` \u202e"
    record = Record(
        "pwsh",
        hostile,
        "e" * 64,
        "s" * 64,
        {"file": hostile, "sha256": "a" * 64, "captured_at": hostile, "organization": hostile},
        "problems",
        (hostile,),
        (RecordedStep(hostile, hostile, 1, (hostile,), (hostile,), (hostile,)),),
        (Check("rollback", hostile, False, (hostile,)),),
    )
    text = compile_bundle(check_file(str(MIMECAST)), rehearsal=record)["CHANGE.md"].decode()
    section = text[text.index(BEGIN) : text.index("<!-- /journalgen:rehearsal -->")]
    assert "**Result: REHEARSAL FAILED.** 1 check(s) below did not hold" in section
    assert "- Rollback: FAILED: " in section
    assert "\n## Injected" not in section
    assert re.search(r"(?<!\\)<img", section) is None and "\u202e" not in section
    shown = r"a\|b\<U+000A\>\#\# Injected \<img src=x\> \`code\` \<U+202E\>"
    assert shown in section
    # Every table row keeps its cells: no value adds a column.
    for row in (line for line in section.splitlines() if line.startswith("| ")):
        assert row.replace("\\|", "").count("|") in (3, 4, 6), row


def test_the_unconfirmed_items_are_the_ones_docs_rehearse_md_lists() -> None:
    docs = (ROOT / "docs" / "rehearse.md").read_text(encoding="utf-8")
    for _, assumed in UNCONFIRMED:
        assert f"| {assumed} |" in docs

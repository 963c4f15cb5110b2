"""Acknowledging a warning by code (``acknowledge:``): still reported, with its reason, and no longer fatal under --strict."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from journalgen import textpolicy
from journalgen.change import md_escape
from journalgen.cli import main
from journalgen.compiler import check_source, compile_bundle
from journalgen.errors import SpecError
from tests.spectext import after, diagnostics, found, position, spec_text

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REASON = "EU hosts checked in the Mimecast console on 2026-11-02 (CHG-4711)"
# The Mimecast EU preset's smart hosts come from a community script only: warning JG305, always.
EU: dict[str, Any] = {"archive": {"region": "eu", "acknowledge_unconfirmed": True}}


# Where JG305 is reported: the region that picks the unconfirmed hosts (acknowledge: comes after it).
AT = after(spec_text(EU), "region: ")


def eu(*acknowledge: dict[str, Any]) -> str:
    return spec_text({**EU, "acknowledge": list(acknowledge)} if acknowledge else EU)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="journalgen", catch_exceptions=False)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- --strict -----------------------------------------------------------------------------------


def test_strict_fails_on_the_warning_and_passes_once_it_is_acknowledged(folder: Path) -> None:
    (folder / "bare.yaml").write_text(eu(), encoding="utf-8")
    (folder / "acked.yaml").write_text(eu({"code": "JG305", "reason": REASON}), encoding="utf-8")
    bare = run("validate", "--strict", "bare.yaml")
    assert bare.exit_code == 1
    assert f"bare.yaml:{AT}: error[JG305]: using the mimecast preset's unconfirmed" in bare.stdout
    acked = run("validate", "--strict", "acked.yaml")
    assert acked.exit_code == 0, acked.stdout
    # Still reported, as the warning it is, with the spec's reason.
    (line,) = acked.stdout.splitlines()
    assert line.startswith(f"acked.yaml:{AT}: warning[JG305]: using the mimecast preset's")
    assert line.endswith(f" (acknowledged: {REASON})")


def test_an_acknowledgement_at_the_warnings_path_or_above_it_matches() -> None:
    for path in ("archive.region", "archive"):
        text = eu({"code": "JG305", "path": path, "reason": REASON})
        assert [d.code for d in diagnostics(text, strict=True)] == ["JG305"]
        assert not any(d.is_error for d in diagnostics(text, strict=True))


def test_an_acknowledgement_elsewhere_matches_nothing_and_says_where_the_code_is() -> None:
    text = eu({"code": "JG305", "path": "connector.smart_hosts", "reason": REASON})
    by_code = {d.code: d for d in diagnostics(text, strict=True)}
    assert set(by_code) == {"JG231", "JG305"}
    ack, warning = by_code["JG231"], by_code["JG305"]
    assert (warning.code, warning.is_error) == ("JG305", True)
    assert (ack.code, f"{ack.line}:{ack.column}") == ("JG231", position(text, "code: JG305"))
    assert "JG305 at connector.smart_hosts" in ack.message
    assert "reported at archive.region" in ack.message


def test_the_narrowest_acknowledgement_takes_the_warning_and_a_redundant_one_is_reported() -> None:
    broad = {"code": "JG305", "reason": "Any unconfirmed value is fine"}
    narrow = {"code": "JG305", "path": "archive.region", "reason": REASON}
    text = eu(broad, narrow)
    by_code = {d.code: d for d in diagnostics(text)}
    assert by_code["JG305"].as_dict()["acknowledged"] == REASON
    assert f"{by_code['JG231'].line}:{by_code['JG231'].column}" == position(text, "code: JG305")
    assert "redundant" in by_code["JG231"].message


def test_an_acknowledgement_of_one_rule_does_not_cover_another() -> None:
    rules = [
        {"name": "Paused A", "enabled": False},
        {"name": "Paused B", "enabled": False, "scope": "internal"},
    ]
    text = spec_text(
        {
            "journal_rules": rules,
            "acknowledge": [{"code": "JG218", "path": "journal_rules[1]", "reason": REASON}],
        }
    )
    strict = {(d.code, d.line, d.is_error) for d in diagnostics(text, strict=True)}
    line_a = int(position(text, "enabled: false", 0).split(":")[0])
    line_b = int(position(text, "enabled: false", 1).split(":")[0])
    assert strict == {("JG218", line_a, True), ("JG218", line_b, False)}


# --- acknowledgements that match nothing, or cannot be made -------------------------------------


def test_a_stale_acknowledgement_is_reported_at_its_line_and_fails_strict(folder: Path) -> None:
    text = spec_text({"acknowledge": [{"code": "JG215", "reason": REASON}]})
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    where = position(text, "code: JG215")
    relaxed = run("validate", "spec.yaml")
    assert relaxed.exit_code == 0
    assert relaxed.stdout.startswith(f"spec.yaml:{where}: warning[JG231]: ")
    assert "JG215" in relaxed.stdout and "remove" in relaxed.stdout
    strict = run("validate", "--strict", "spec.yaml")
    assert strict.exit_code == 1
    assert strict.stdout.startswith(f"spec.yaml:{where}: error[JG231]: ")


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("JG214", "is an error"),
        ("JG223", "is an error"),
        ("JG999", "no journalgen code"),
        ("JG504", "not a warning of the spec's own checks"),
        ("JG231", "cannot be acknowledged"),
    ],
)
def test_only_a_warning_of_the_specs_checks_can_be_acknowledged(code: str, says: str) -> None:
    text = spec_text({"acknowledge": [{"code": code, "reason": REASON}]})
    (refusal,) = diagnostics(text)
    assert (refusal.code, refusal.is_error) == ("JG232", True)
    assert f"{refusal.line}:{refusal.column}" == position(text, code)
    assert says in refusal.message


def test_an_error_stays_an_error_whatever_is_acknowledged() -> None:
    text = spec_text(
        {
            "connector": {"tls": {"mode": "encryption_only"}},
            "acknowledge": [{"code": "JG214", "reason": REASON}],
        }
    )
    assert {code for code, _ in found(text)} == {"JG214", "JG232"}


def test_the_same_acknowledgement_twice_is_refused() -> None:
    twice = [{"code": "JG305", "path": "archive.region", "reason": REASON} for _ in range(2)]
    text = eu(*twice)
    assert found(text) == [("JG305", AT), ("JG232", after(text, "code: ", 1))]


@pytest.mark.parametrize(
    "entry",
    [
        {"code": "JG305"},
        {"code": "JG305", "reason": ""},
        {"code": "JG305", "reason": " padded"},
        {"code": "JG305", "reason": "x" * 257},
        {"code": "jg305", "reason": REASON},
        {"code": "JG305", "path": "archive/region", "reason": REASON},
    ],
)
def test_an_acknowledgement_needs_a_code_and_a_reason_of_plain_text(entry: dict[str, Any]) -> None:
    good = {"code": "JG305", "path": "archive.region", "reason": REASON}
    assert not [d for d in diagnostics(eu(good)) if d.is_error]
    problems = [d for d in diagnostics(eu(entry)) if d.is_error]
    assert problems and all(d.code < "JG200" for d in problems)


# --- what the outputs show ----------------------------------------------------------------------


def test_json_and_github_mark_the_acknowledged_warning(folder: Path) -> None:
    (folder / "spec.yaml").write_text(eu({"code": "JG305", "reason": REASON}), encoding="utf-8")
    (folder / "other.yaml").write_text(
        spec_text(
            {
                "tenant": {"primary_domain": "fabrikam.com"},
                "journal_rules": [{"name": "Off", "enabled": False}],
                "ndr": {"address": "journal-ndr@fabrikam.com"},
            }
        ).replace("contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"),
        encoding="utf-8",
    )
    result = run("validate", "--strict", "--format", "json", "spec.yaml", "other.yaml")
    payload = json.loads(result.stdout)
    by_code = {d["code"]: d for d in payload["diagnostics"]}
    assert by_code["JG305"]["severity"] == "warning"
    assert by_code["JG305"]["acknowledged"] == REASON
    assert by_code["JG218"]["severity"] == "error"
    assert "acknowledged" not in by_code["JG218"]
    github = run("validate", "--format", "github", "spec.yaml").stdout
    assert github.startswith(
        f"::warning file=spec.yaml,line={AT.replace(':', ',col=')},title=JG305::"
    )
    assert f"(acknowledged: {REASON})" in github


def test_change_md_shows_the_acknowledgement_in_the_boards_part() -> None:
    text = eu({"code": "JG305", "path": "archive.region", "reason": "Checked | *not* <b>"})
    change = compile_bundle(check_source(text.encode(), "eu.yaml"))["CHANGE.md"].decode()
    board, _, engineer = change.partition("\n## Tenant\n")
    assert "## Acknowledged warnings" in board
    (row,) = [line for line in board.splitlines() if line.startswith("| `JG305`")]
    assert "`archive.region`" in row and f"line {AT.split(':')[0]}" in row
    assert "unconfirmed smart hosts" in row
    assert row.endswith(f"| {md_escape('Checked | *not* <b>')} |")
    assert "## Acknowledged warnings" not in engineer


def test_without_acknowledgements_change_md_has_no_such_part() -> None:
    change = compile_bundle(check_source(eu().encode(), "eu.yaml"))["CHANGE.md"].decode()
    assert "Acknowledged" not in change


def test_acknowledgements_never_reach_the_scripts() -> None:
    reason = "Accepted by the board, ticket CHG-999"
    text = eu({"code": "JG305", "reason": reason})
    bundle = compile_bundle(check_source(text.encode(), "eu.yaml"))
    for name in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        assert reason.encode() not in bundle[name]
    assert reason.encode() in bundle["CHANGE.md"]


def test_explain_shows_the_acknowledgement_and_the_acknowledged_warning(folder: Path) -> None:
    (folder / "spec.yaml").write_text(eu({"code": "JG305", "reason": REASON}), encoding="utf-8")
    text = run("explain", "spec.yaml").stdout
    assert "acknowledge:" in text and "- code: JG305" in text
    unwrapped = re.sub(r"\n# +", " ", text)  # explain wraps its comment lines
    assert "warning[JG305]" in unwrapped and f"(acknowledged: {REASON})" in unwrapped
    payload = json.loads(run("explain", "--format", "json", "spec.yaml").stdout)
    (warning,) = payload["warnings"]
    assert warning["acknowledged"] == REASON


# --- the reason goes through the text policy ----------------------------------------------------


def _policy_allows(reason: str) -> bool:
    try:
        textpolicy.safe_text(reason)
    except PydanticCustomError:
        return False
    return len(reason) <= 256


@PROPERTY
@given(st.text(st.characters(codec="utf-8"), max_size=300))
@example("")
@example(" x")
@example("a\u202eb")
@example("Line one\nline two")
@example("| `JG305` | forged row |")
def test_a_reason_is_taken_exactly_as_the_text_policy_allows(reason: str) -> None:
    text = eu({"code": "JG305", "reason": reason})
    try:
        checked = check_source(text.encode("utf-8"), "spec.yaml", strict=True)
    except SpecError as exc:
        assert not _policy_allows(reason)
        line = int(position(text, "reason:").split(":")[0])
        assert [d.code for d in exc.diagnostics if d.is_error and d.line == line]
        return
    assert _policy_allows(reason)
    (warning,) = checked.warnings
    assert warning.as_dict()["acknowledged"] == reason
    change = compile_bundle(checked)["CHANGE.md"].decode()
    assert md_escape(reason) in change

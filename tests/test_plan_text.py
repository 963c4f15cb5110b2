"""`plan` shows captured values quoted and on one line: the tenant's text cannot forge or hide a line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from journalgen.cli import main
from journalgen.live import format_value
from tests.conftest import ROOT

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
DRIFTED = ROOT / "samples" / "states" / "contoso-mimecast-drifted.json"
NO_CHANGES = "No changes: the tenant matches the spec."
DIAGNOSTIC = re.compile(r"[^\s:]+:\d+:\d+: (error|warning)\[JG\d{3}\]: \S.*")


def plan(tmp: Path, *, spec: Path = MIMECAST, fmt: str = "text", **changes: Any) -> Result:
    """``journalgen plan`` of ``spec`` against the drifted sample state with ``changes`` made:
    ``comment`` for the connector's Comment, ``rule`` for the name of the rule outside the spec.
    """
    state = json.loads(DRIFTED.read_bytes())
    if "comment" in changes:
        state["outbound_connectors"][0]["Comment"] = changes["comment"]
    if "rule" in changes:
        state["journal_rules"][0]["Name"] = changes["rule"]
    path = tmp / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    return CliRunner().invoke(
        main, ["plan", str(spec), "--state", str(path), "--format", fmt], catch_exceptions=False
    )


def test_a_captured_value_cannot_forge_a_line_of_the_plan(tmp_path: Path) -> None:
    plain = plan(tmp_path, comment="old").stdout.split("\n")
    forged = plan(tmp_path, comment=f"old\n\n{NO_CHANGES}\u2028{NO_CHANGES}\n").stdout
    assert NO_CHANGES not in forged.split("\n") and len(forged.split("\n")) == len(plain)
    assert (
        f"     Comment: 'old<U+000A><U+000A>{NO_CHANGES}<U+2028>{NO_CHANGES}<U+000A>' -> "
    ) in forged


def test_a_carriage_return_cannot_overwrite_a_line_or_a_warning(tmp_path: Path) -> None:
    result = plan(tmp_path, comment="old\rfine", rule="Old rule\r\u202eenilno")
    assert "\r" not in result.stdout and "\u202e" not in result.stdout
    assert "Comment: 'old<U+000D>fine' -> " in result.stdout
    warnings = result.stderr.splitlines()
    assert warnings and all(DIAGNOSTIC.fullmatch(line) for line in warnings), warnings
    assert "journal rule 'Old rule<U+000D><U+202E>enilno' also journals" in warnings[0]


def test_a_spec_file_name_cannot_forge_a_line_of_the_plan(tmp_path: Path) -> None:
    spec = tmp_path / f"x\r\n{NO_CHANGES}\n.yaml"
    spec.write_bytes(MIMECAST.read_bytes())
    out = plan(tmp_path, spec=spec).stdout
    assert out.startswith(f"Plan for x<U+000D><U+000A>{NO_CHANGES}<U+000A>.yaml against ")
    assert NO_CHANGES not in out.splitlines()


def test_the_json_plan_keeps_the_value_as_it_is(tmp_path: Path) -> None:
    comment = "old\r\n\u202ex"
    plan_json = json.loads(plan(tmp_path, fmt="json", comment=comment).stdout)
    (connector,) = [o for o in plan_json["objects"] if o["type"] == "OutboundConnector"]
    (change,) = [c for c in connector["changes"] if c["setting"] == "Comment"]
    assert change["current"] == comment


def test_values_are_quoted_and_shown_one_by_one() -> None:
    assert format_value(["a.example", "b\u200b.example"]) == "'a.example', 'b<U+200B>.example'"
    assert format_value("x\x85y") == "'x<U+0085>y'"
    assert format_value([]) == format_value(None) == "(none)"
    assert format_value(False) == "false"

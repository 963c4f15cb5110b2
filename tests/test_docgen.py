"""The generated docs: committed copies are current, every field and code is documented truthfully."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from journalgen.codes import CODES
from journalgen.spec import Ndr, Wiring, leaves
from tests.spectext import diagnostics, spec_text
from tools import regen as docgen

ROOT = Path(__file__).resolve().parent.parent
FIELDS = [field for section in docgen.sections() for field in section.fields]


GENERATED = [
    "docs/spec.md",
    "docs/checks.md",
    "docs/vendors.md",
    docgen.SCHEMA_PATH,
    docgen.STATE_SCHEMA_PATH,
]


def test_every_generated_artefact_is_listed() -> None:
    assert sorted(docgen.documents()) == sorted(GENERATED)


@pytest.mark.parametrize("relative", GENERATED)
def test_committed_artefact_is_current(relative: str) -> None:
    committed = (ROOT / relative).read_text(encoding="utf-8")
    assert committed == docgen.documents()[relative], (
        f"{relative} is stale: run 'python tools/regen.py'"
    )


def test_every_field_is_documented_in_spec_order() -> None:
    assert [field.path for field in FIELDS] == [leaf.path for leaf in leaves()]


def test_a_field_without_its_declaration_stops_the_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    field = Ndr.model_fields["domain_policy"]
    monkeypatch.setattr(field, "metadata", [m for m in field.metadata if not isinstance(m, Wiring)])
    with pytest.raises(AssertionError, match=r"ndr\.domain_policy: declare exchange"):
        docgen.spec_markdown()


def test_every_field_has_a_meaning() -> None:
    assert [f.path for f in FIELDS if not f.meaning] == []


def _with_example(path: str, value: Any) -> dict[str, Any]:
    *parents, key = path.split(".")
    if parents and parents[0] == "journal_rules[]":
        return {"journal_rules": [{"name": "Journal all mail", key: value}]}
    if parents and parents[0] == "acknowledge[]":
        return {"acknowledge": [{"code": "JG305", "reason": "Checked", key: value}]}
    overrides: dict[str, Any] = {key: value}
    for parent in reversed(parents):
        overrides = {parent: overrides}
    return overrides


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.path)
def test_every_example_is_a_valid_value(field: docgen.FieldDoc) -> None:
    text = spec_text(_with_example(field.path, field.example))
    shape_problems = [d for d in diagnostics(text) if d.code < "JG200"]
    assert shape_problems == []


def test_the_spec_doc_names_every_field_and_its_parameter() -> None:
    text = docgen.spec_markdown()
    assert "### `connector.tls.domain`" in text
    assert "`New-OutboundConnector -TlsDomain`" in text
    assert "### `journal_rules[].enabled`" in text
    assert "| Default | `true` |" in text
    assert "whole number (from 0 to 7)" in text


def test_every_documented_example_reports_its_code() -> None:
    documented = [code for code in CODES if docgen.trigger_source(code) is not None]
    assert all(code.startswith("JG") for code in documented)
    for code in documented:
        message = docgen.example_message(code)
        assert message is not None
        assert f"[{code}]: " in message


def test_every_check_code_has_an_example() -> None:
    checks = [code for code in CODES if code.startswith(("JG2", "JG3"))]
    assert [code for code in checks if docgen.trigger_source(code) is None] == []


def test_every_state_code_has_an_example_that_reports_it() -> None:
    states = [code for code in CODES if code.startswith("JG4")]
    assert states
    for code in states:
        message = docgen.state_example_message(code)
        assert message is not None, code
        assert message.startswith("state.json:") and f"[{code}]: " in message


def test_a_wrong_example_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CODES, "JG205", dataclasses.replace(CODES["JG205"], example={}))
    with pytest.raises(AssertionError, match="documented example of JG205 reports nothing"):
        docgen.example_message("JG205")


def test_regen_writes_every_artefact_then_nothing(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "tools" / "regen.py"), str(tmp_path)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(f"wrote {relative}\n" for relative in GENERATED)
    for relative, text in docgen.documents().items():
        assert (tmp_path / relative).read_text(encoding="utf-8") == text
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (0, "")

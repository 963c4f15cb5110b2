"""The spec's change: section: validated like every string, shown to the board, recorded in the manifest."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from journalgen.change import CHANGE_LABELS
from journalgen.compiler import check_source, compile_bundle
from journalgen.spec import Change
from tests.psparse import assert_clean, comments
from tests.spectext import codes, spec_text


def bundle(change: Mapping[str, object]) -> dict[str, bytes]:
    return compile_bundle(check_source(spec_text({"change": change}).encode(), "s.yaml"))


def test_a_ticket_validates_and_reaches_change_md_manifest_and_scripts() -> None:
    files = bundle({"ticket": "CHG0012345"})
    change_md = files["CHANGE.md"].decode()
    assert "| Ticket | CHG0012345 |" in change_md
    assert change_md.index("CHG0012345") < change_md.index("## Summary")
    assert json.loads(files["manifest.json"])["change"] == {"ticket": "CHG0012345"}
    for script in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        text = files[script][3:].decode("ascii")
        assert "\r\n    Change ticket: CHG0012345\r\n" in text
        assert_clean(text)


def test_every_field_is_shown_and_recorded_in_spec_order() -> None:
    change = {
        "ticket": "CHG1",
        "requester": "Jane Doe",
        "implementer": "Ops",
        "window": "Sat 22:00-23:00 UTC",
        "reason": "Retention policy",
    }
    files = bundle(change)
    assert list(json.loads(files["manifest.json"])["change"].items()) == list(change.items())
    rows = [f"| {CHANGE_LABELS[k]} | {v} |" for k, v in change.items()]
    assert "\n".join(["| Change request | |", "|---|---|", *rows]) in files["CHANGE.md"].decode()


def test_labels_cover_every_field() -> None:
    assert list(CHANGE_LABELS) == list(Change.model_fields)


def test_without_a_change_section_nothing_is_added() -> None:
    files = bundle({})
    assert "Change request |" not in files["CHANGE.md"].decode()
    assert "change" not in json.loads(files["manifest.json"])
    assert b"Change ticket" not in files["apply.ps1"]


def test_hostile_change_text_stays_inert_everywhere() -> None:
    hostile = "CHG`1` | *x* <b>#> \u00e4 [y](z)"
    files = bundle({"ticket": hostile[:64], "reason": hostile})
    change_md = files["CHANGE.md"].decode()
    assert r"| Reason | CHG\`1\` \| \*x\* \<b\>\#\> ä \[y\](z) |" in change_md
    text = files["apply.ps1"][3:].decode("ascii")
    assert_clean(text)
    help_block = comments(text)[0]
    assert "Change ticket: CHG`1` | *x* <b>[U+0023]> [U+00E4] [y](z)\r\n" in help_block


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tickte": "CHG1"}, "JG101"),
        ({"ticket": 12345}, "JG103"),
        ({"ticket": "CHG\u202e1"}, "JG104"),
        ({"reason": " leading space"}, "JG104"),
        ({"ticket": "C" * 65}, "JG108"),
        ({"reason": "r" * 1025}, "JG108"),
    ],
)
def test_change_text_is_validated_like_every_string(change: dict[str, object], code: str) -> None:
    assert code in codes(spec_text({"change": change}))


@pytest.mark.parametrize("window", ["2026-03-14", "22:00", "2026-03-14 22:00-23:00 UTC"])
def test_a_window_written_bare_stays_text(window: str) -> None:
    source = spec_text() + f"change:\n  window: {window}\n"
    files = compile_bundle(check_source(source.encode(), "s.yaml"))
    assert json.loads(files["manifest.json"])["change"] == {"window": window}

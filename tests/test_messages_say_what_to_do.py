"""Messages for common slips say what to do: an empty state, a shallow ConvertTo-Json, a host's root dot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from journalgen.errors import SpecError
from journalgen.state import load_state
from tests.conftest import ROOT
from tests.spectext import diagnostics, spec_text

STATE = ROOT / "samples" / "states" / "contoso-mimecast.json"


def refused(raw: bytes) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_state(raw, "state.json")
    return [str(d) for d in caught.value.diagnostics]


@pytest.mark.parametrize("raw", [b"", b"\n", b"\xef\xbb\xbf", b"  \r\n"])
def test_an_empty_state_file_says_how_to_capture_one(raw: bytes) -> None:
    assert refused(raw) == [
        "state.json:1:1: error[JG401]: file is empty: a capture that failed, or a redirect of "
        "nothing; capture the tenant with verify.ps1 -StatePath FILE or the capture script "
        "(docs/state.md)"
    ]


def _shallow(value: Any, depth: int = 0) -> Any:
    # What ConvertTo-Json writes without -Depth: below depth 2, objects and lists are text.
    if isinstance(value, dict):
        if depth > 2:
            return "@{" + "; ".join(f"{k}={v}" for k, v in value.items()) + "}"
        return {k: _shallow(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth > 2:
            return " ".join(map(str, value))
        return [_shallow(v, depth + 1) for v in value]
    return value


def test_a_state_written_with_the_default_depth_names_depth() -> None:
    data = json.loads(STATE.read_bytes())
    found = refused(json.dumps(_shallow(data), indent=1).encode())
    # At the first value written as text, beside what is wrong there.
    assert (
        "state.json:39:24: error[JG403]: lists or objects written as text, as ConvertTo-Json writes "
        "what lies below its -Depth (2 by default): write states with verify.ps1 -StatePath or "
        "the capture script, or with ConvertTo-Json -Depth 10"
    ) in found
    assert any("SmartHosts must be a list" in line for line in found)
    # A wrong value of another type is no sign of depth.
    data["transport_config"]["JournalMessageExpirationDays"] = "3"
    assert not any("-Depth" in line for line in refused(json.dumps(data).encode()))


@pytest.mark.parametrize(
    ("key", "value"),
    [("smart_hosts", ["smtp.archive.example."]), ("smart_hosts", ["a.example", "b.example."])],
)
def test_a_host_with_the_root_dot_says_to_drop_it(key: str, value: list[str]) -> None:
    text = spec_text(
        {
            "archive": {"vendor": "custom", "region": None, "journal_address": "j@archive.example"},
            "connector": {key: value},
        }
    )
    messages = [d.message for d in diagnostics(text) if d.code == "JG107"]
    assert messages == [
        f"connector.{key}[{len(value) - 1}]: '{value[-1]}' is not a host name: ends in a dot; "
        f"write it without the dot, as '{value[-1][:-1]}'"
    ]

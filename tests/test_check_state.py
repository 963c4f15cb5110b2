"""`check --state` / `--states`: CHANGE.md's "Changes against the tenant" section is re-rendered from the state."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen.bundle import STATE_SECTION
from journalgen.cli import main
from tests.conftest import ROOT

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
LITWARE = ROOT / "samples" / "litware-custom.yaml"
STATES = ROOT / "samples" / "states"
DRIFTED = STATES / "contoso-mimecast-drifted.json"
CONVERGED = STATES / "contoso-mimecast.json"
DIAGNOSTIC = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<rest>\w+\[JG\d+\]: .*)$"
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def build(out: Path, spec: Path = MIMECAST, *extra: str | Path) -> Path:
    result = run("build", spec, "--out-dir", out, *extra)
    assert result.exit_code == 0, result.output
    return out / spec.stem


def rehash(folder: Path) -> None:
    """Update manifest.json's hash of CHANGE.md, as anyone who can write the folder can."""
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_bytes())
    data["artifacts"]["CHANGE.md"] = hashlib.sha256((folder / "CHANGE.md").read_bytes()).hexdigest()
    manifest.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def forge_no_changes(out: Path) -> Path:
    """A bundle built against the drifted state whose section says the tenant needs no change."""
    folder = build(out, MIMECAST, "--state", DRIFTED)
    honest = build(out / "converged", MIMECAST, "--state", CONVERGED)
    calm = STATE_SECTION.search((honest / "CHANGE.md").read_bytes())
    assert calm is not None
    drifted_sha = hashlib.sha256(DRIFTED.read_bytes()).hexdigest().encode()
    forged_section = (
        calm.group()
        .replace(CONVERGED.name.encode(), DRIFTED.name.encode())
        .replace(hashlib.sha256(CONVERGED.read_bytes()).hexdigest().encode(), drifted_sha)
    )
    change = folder / "CHANGE.md"
    text = change.read_bytes()
    blocks = list(STATE_SECTION.finditer(text))
    assert len(blocks) == 2  # the section, and the state's warnings among the warnings
    forged = (
        text[: blocks[0].start()]
        + forged_section
        + text[blocks[0].end() : blocks[1].start()]
        + text[blocks[1].end() :]
    )
    change.write_bytes(forged)
    rehash(folder)
    shutil.rmtree(out / "converged")
    return folder


def diagnostics(result: Result, code: str) -> list[re.Match[str]]:
    found = [DIAGNOSTIC.match(line) for line in result.output.splitlines()]
    return [m for m in found if m is not None and f"[{code}]" in m["rest"]]


def line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


def test_a_forged_no_changes_section_is_caught_with_the_state(tmp_path: Path) -> None:
    folder = forge_no_changes(tmp_path)
    result = run("check", MIMECAST, "--out-dir", tmp_path, "--state", DRIFTED)
    assert result.exit_code == 1, result.output
    [found] = diagnostics(result, "JG030")
    assert found["rest"].startswith("error[JG030]")
    assert found["file"] == str(folder / "CHANGE.md")
    # The first line that differs: the summary, where the forgery says "No changes".
    forged = (folder / "CHANGE.md").read_bytes()
    assert int(found["line"]) == line_of(forged, b"have changed since. No changes")
    assert "1 to create, 3 to update" in found["rest"]
    assert DRIFTED.name in found["rest"]


def test_without_the_state_the_section_is_reported_unverified(tmp_path: Path) -> None:
    folder = forge_no_changes(tmp_path)
    result = run("check", MIMECAST, "--out-dir", tmp_path)
    assert result.exit_code == 0, result.output
    [found] = diagnostics(result, "JG029")
    assert found["rest"].startswith("warning[JG029]")
    assert found["file"] == str(folder / "CHANGE.md")
    assert int(found["line"]) == line_of(
        (folder / "CHANGE.md").read_bytes(), b"<!-- journalgen:state"
    )
    assert DRIFTED.name in found["rest"] and "--state" in found["rest"]


def test_an_unverified_section_is_an_error_under_strict(tmp_path: Path) -> None:
    build(tmp_path, MIMECAST, "--state", DRIFTED)
    result = run("check", MIMECAST, "--out-dir", tmp_path, "--strict")
    assert result.exit_code == 1, result.output
    [found] = diagnostics(result, "JG029")
    assert found["rest"].startswith("error[JG029]")


def test_the_state_the_bundle_was_built_against_verifies_it(tmp_path: Path) -> None:
    build(tmp_path, MIMECAST, "--state", DRIFTED)
    for strict in ((), ("--strict",)):
        result = run("check", MIMECAST, "--out-dir", tmp_path, "--state", DRIFTED, *strict)
        assert result.exit_code == 0, result.output
        assert "JG029" not in result.output and "JG030" not in result.output
        assert "1 bundle(s) up to date" in result.output


def test_another_state_of_the_tenant_is_named_as_not_the_one_built_against(
    tmp_path: Path,
) -> None:
    folder = build(tmp_path, MIMECAST, "--state", DRIFTED)
    result = run("check", MIMECAST, "--out-dir", tmp_path, "--state", CONVERGED)
    assert result.exit_code == 1, result.output
    [found] = diagnostics(result, "JG030")
    assert found["file"] == str(folder / "CHANGE.md")
    message = found["rest"]
    drifted = hashlib.sha256(DRIFTED.read_bytes()).hexdigest()
    converged = hashlib.sha256(CONVERGED.read_bytes()).hexdigest()
    assert DRIFTED.name in message and drifted[:12] in message
    assert CONVERGED.name in message and converged[:12] in message
    # Reported once, at the bundle: the state given is not also reported as unused.
    assert len(diagnostics(result, "JG030")) == 1


def test_a_state_no_bundle_was_built_against_is_an_error(tmp_path: Path) -> None:
    build(tmp_path)  # without --state
    other = run("check", MIMECAST, "--out-dir", tmp_path, "--state", STATES / "litware-custom.json")
    assert other.exit_code == 1, other.output
    [found] = diagnostics(other, "JG030")
    assert found["file"] == str(STATES / "litware-custom.json")
    assert "litware.onmicrosoft.com" in found["rest"]
    same = run("check", MIMECAST, "--out-dir", tmp_path, "--state", DRIFTED)
    assert same.exit_code == 1, same.output
    [found] = diagnostics(same, "JG030")
    assert found["file"] == str(DRIFTED)


def test_a_broken_state_is_reported_at_its_position(tmp_path: Path) -> None:
    build(tmp_path, MIMECAST, "--state", DRIFTED)
    broken = tmp_path / "states" / "broken.json"
    broken.parent.mkdir()
    broken.write_bytes(b'{"format": "journalgen-state/1",\n "organization": 1}')
    for option in ("--state", "--states"):
        given_ = broken if option == "--state" else broken.parent
        result = run("check", MIMECAST, "--out-dir", tmp_path, option, given_)
        assert result.exit_code == 1, result.output
        at_state = rf"^{re.escape(str(broken))}:\d+:\d+: error\[JG4\d\d\]"
        assert re.search(at_state, result.output, re.M), result.output
        assert "internal error" not in result.output


def test_a_states_folder_is_matched_to_each_bundle_by_the_state_it_recorded(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    build(out, MIMECAST, "--state", DRIFTED)
    build(out, LITWARE, "--state", STATES / "litware-custom.json")
    states = tmp_path / "states"
    # Every sample state: several for contoso, one of them the one the bundle was built against.
    shutil.copytree(STATES, states)
    for jobs in ("1", "2"):
        result = run(
            "check", MIMECAST, LITWARE, "--out-dir", out, "--states", states, "--jobs", jobs
        )
        assert result.exit_code == 0, result.output
        assert "JG029" not in result.output and "JG030" not in result.output
    # A later capture in the folder does not verify the section: unverified, naming both.
    (states / DRIFTED.name).unlink()
    result = run("check", MIMECAST, LITWARE, "--out-dir", out, "--states", states)
    assert result.exit_code == 0, result.output
    [found] = diagnostics(result, "JG029")
    assert found["file"] == str(out / "contoso-mimecast" / "CHANGE.md")
    assert DRIFTED.name in found["rest"] and CONVERGED.name in found["rest"]
    assert not diagnostics(result, "JG030")
    strict = run("check", MIMECAST, LITWARE, "--out-dir", out, "--states", states, "--strict")
    assert strict.exit_code == 1 and diagnostics(strict, "JG029"), strict.output


def test_a_states_folder_without_the_tenant_leaves_the_section_unverified(
    tmp_path: Path,
) -> None:
    build(tmp_path / "out", MIMECAST, "--state", DRIFTED)
    states = tmp_path / "states"
    states.mkdir()
    shutil.copy(STATES / "litware-custom.json", states)
    result = run("check", MIMECAST, "--out-dir", tmp_path / "out", "--states", states)
    assert result.exit_code == 0, result.output
    assert diagnostics(result, "JG029") and not diagnostics(result, "JG030")


def test_a_states_folder_without_states_is_a_usage_error(tmp_path: Path) -> None:
    build(tmp_path / "out")
    (tmp_path / "empty").mkdir()
    result = run("check", MIMECAST, "--out-dir", tmp_path / "out", "--states", tmp_path / "empty")
    assert result.exit_code == 2, result.output
    assert "no *.json" in result.output


def test_the_state_section_is_verified_beside_a_previous_section(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.yaml"
    earlier.write_bytes(MIMECAST.read_bytes().replace(b"journal-ndr@", b"old-ndr@"))
    folder = build(tmp_path / "out", MIMECAST, "--previous", earlier, "--state", DRIFTED)
    result = run("check", MIMECAST, "--out-dir", tmp_path / "out", "--state", DRIFTED)
    assert result.exit_code == 0, result.output
    assert "JG030" not in result.output
    change = folder / "CHANGE.md"
    change.write_bytes(change.read_bytes().replace(b"| update |", b"| unchanged |", 1))
    rehash(folder)
    result = run("check", MIMECAST, "--out-dir", tmp_path / "out", "--state", DRIFTED)
    assert result.exit_code == 1, result.output
    [found] = diagnostics(result, "JG030")
    assert int(found["line"]) == line_of(change.read_bytes(), b"| unchanged |")


def test_a_bundle_git_converted_to_crlf_is_verified(tmp_path: Path) -> None:
    folder = build(tmp_path, MIMECAST, "--state", DRIFTED)
    change = folder / "CHANGE.md"
    change.write_bytes(change.read_bytes().replace(b"\n", b"\r\n"))
    result = run("check", MIMECAST, "--out-dir", tmp_path, "--state", DRIFTED)
    assert result.exit_code == 0, result.output
    assert "JG030" not in result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    build(out, MIMECAST, "--state", DRIFTED)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_any_edit_inside_the_section_fails_check_with_the_state(
    built: Path, where: int, byte: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        shutil.copytree(built, out)
        folder = out / "contoso-mimecast"
        change = folder / "CHANGE.md"
        text = change.read_bytes()
        inside = [i for m in STATE_SECTION.finditer(text) for i in range(*m.span())]
        at = inside[where % len(inside)]
        if text[at] == byte:
            byte = (byte + 1) % 256
        change.write_bytes(text[:at] + bytes([byte]) + text[at + 1 :])
        rehash(folder)
        # Without the state the edit passes (but for the JG029 warning): the hole this closes.
        result = run("check", MIMECAST, "--out-dir", out, "--state", DRIFTED)
        assert result.exit_code == 1, result.output
        assert "internal error" not in result.output
        differs = diagnostics(result, "JG030")
        if differs:  # the markers held: the edited byte is where the section first differs
            edited = change.read_bytes()
            line = edited.count(b"\n", 0, at) + 1
            column = at - edited.rfind(b"\n", 0, at)
            assert (int(differs[0]["line"]), int(differs[0]["column"])) == (line, column)
        else:  # a marker broke: the rest of CHANGE.md no longer matches the spec
            assert diagnostics(result, "JG020") or diagnostics(result, "JG021"), result.output


def test_the_state_is_matched_by_its_content_not_its_file_name(tmp_path: Path) -> None:
    build(tmp_path / "out", MIMECAST, "--state", DRIFTED)
    renamed = tmp_path / "contoso-2026-11-27.json"
    shutil.copy(DRIFTED, renamed)
    result = run("check", MIMECAST, "--out-dir", tmp_path / "out", "--state", renamed)
    assert result.exit_code == 0, result.output
    assert "JG030" not in result.output


def test_names_from_the_manifest_reach_the_message_escaped(tmp_path: Path) -> None:
    folder = build(tmp_path, MIMECAST, "--state", DRIFTED)
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_bytes())
    data["state"]["file"] = "x.json\n\nsrc/a.yaml:1:1: error[JG999]: \u202eforged"
    manifest.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    result = run("check", MIMECAST, "--out-dir", tmp_path)
    [found] = diagnostics(result, "JG029")
    assert "[U+000A][U+000A]src/a.yaml" in found["rest"] and "[U+202E]forged" in found["rest"]
    assert "JG999" not in result.output.replace(found.group(), "")
    # With the state, the name the manifest records must be the one CHANGE.md shows.
    result = run("check", MIMECAST, "--out-dir", tmp_path, "--state", DRIFTED)
    assert result.exit_code == 1 and diagnostics(result, "JG030"), result.output

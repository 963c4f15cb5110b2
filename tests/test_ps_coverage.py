"""tools/ps_coverage.py adds up the coverage records; the simulator's prelude records the lines run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from journalgen.emit import engine_text
from journalgen.simulator import ENV_COVERAGE, run_pwsh, script_command
from tools.ps_coverage import (
    KINDS,
    Record,
    aggregate,
    main,
    never_executed,
    read_records,
    total_percent,
)


def record(
    begin: int | None,
    lines: list[int],
    hit: list[int],
    functions: Sequence[tuple[str, int, int]] = (),
    *,
    engine: str | None = "apply.ps1",
    script: str = "apply.ps1",
    length: int = 20,
) -> dict[str, Any]:
    """A record as the prelude writes it; ``lines``, ``hit`` and functions counted from BEGIN."""
    shift = begin or 0
    return {
        "script": script,
        "engine": engine,
        "engine_begin": begin,
        "engine_end": None if begin is None else begin + length,
        "lines": [n + shift for n in lines],
        "hit": [n + shift for n in hit],
        "functions": [{"name": n, "start": s + shift, "end": e + shift} for n, s, e in functions],
    }


FUNCTIONS = [("Get-JgA", 2, 5), ("Get-JgB", 6, 9), ("Get-JgC", 10, 14), ("Get-JgInner", 12, 13)]


def test_runs_add_up_from_their_begin_line() -> None:
    # Two bundles: the same engine after desired states of different lengths.
    first = record(100, [3, 4, 7, 11, 13, 16], [3, 4, 16], FUNCTIONS)
    second = record(250, [3, 4, 7, 11, 13, 16], [7, 16], FUNCTIONS)
    # Lines before BEGIN (the desired state) and after END do not count.
    first["lines"] += [5, 99, 121]
    first["hit"] += [5, 99, 121]
    engines = aggregate(Record.from_json(r) for r in (first, second))
    apply = engines["apply.ps1"]
    assert apply.runs == 2
    assert apply.lines == {3, 4, 7, 11, 13, 16}
    assert apply.hit == {3, 4, 7, 16}
    assert apply.percent == pytest.approx(100 * 4 / 6)
    # A nested function's lines are its own, not its parent's.
    assert apply.functions == {
        "Get-JgA": {3, 4},
        "Get-JgB": {7},
        "Get-JgC": {11},
        "Get-JgInner": {13},
    }
    assert never_executed(engines) == {"Get-JgC": ["apply.ps1"], "Get-JgInner": ["apply.ps1"]}


def test_kinds_come_from_the_begin_line_and_a_script_without_engine_is_left_out() -> None:
    records = [
        record(10, [1, 2], [1], [("Get-JgShared", 1, 3)], engine="verify.ps1"),
        record(40, [1, 2, 5], [5], [("Get-JgShared", 1, 3)], engine="rollback.ps1"),
        record(8, [1, 2, 3, 4], [1, 2, 3, 4], engine="capture.ps1", script="my-capture.ps1"),
        record(None, [1, 2, 3], [1], engine=None, script="tiny.ps1"),
    ]
    engines = aggregate(Record.from_json(r) for r in records)
    assert sorted(engines) == ["capture.ps1", "rollback.ps1", "verify.ps1"]
    # Statements summed over the kinds: 1 + 1 + 4 of 2 + 3 + 4.
    assert total_percent(engines) == pytest.approx(100 * 6 / 9)
    # A function shared by two scripts is the same code: a run in either counts.
    assert never_executed(engines) == {}


def _write(folder: Path, records: list[dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    for i, data in enumerate(records):
        (folder / f"run{i}.jsonl").write_text(json.dumps(data) + "\n", encoding="utf-8")


def test_the_report_fails_below_the_floor_or_on_a_function_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, [record(100, [3, 4, 7, 11], [3, 4, 7], FUNCTIONS[:3])])
    assert len(read_records(tmp_path)) == 1
    assert main([str(tmp_path), "--min", "75"]) == 0
    out = capsys.readouterr().out
    assert "apply.ps1" in out and "75.0 %" in out
    assert "Get-JgC (apply.ps1)" in out
    assert main([str(tmp_path), "--min", "75.1"]) == 1
    assert "below 75.1 %" in capsys.readouterr().out
    assert main([str(tmp_path), "--functions"]) == 1
    assert "1 engine function(s) never executed" in capsys.readouterr().out


def test_no_records_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 1
    assert "no coverage records" in capsys.readouterr().err


@pytest.mark.parametrize("kind", KINDS)
def test_no_engine_reads_the_success_of_the_last_command(kind: str) -> None:
    # Under --ps-coverage a breakpoint's action runs before a statement and sets $? to true.
    assert "$?" not in engine_text(kind)


TINY = """\
param([int] $Value = 1)
# --- BEGIN journalgen engine: probe.ps1 ---
function Test-JgSign {
    param([int] $Number)
    if ($Number -gt 0) {
        'positive'
    }
    else {
        'not positive'
    }
}
function Test-JgUnused {
    'never'
}
$items = @(
    1
    2
)
$sign = Test-JgSign -Number $Value
try {
    $tried = $items.Count
}
catch {
    $caught = $true
}
exit 3
# --- END journalgen engine ---
"""


@pytest.mark.pwsh
def test_the_prelude_records_the_lines_a_run_executed(
    tmp_path: Path, pwsh: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not into the folder of a --ps-coverage run, where this script would count as a probe.
    monkeypatch.delenv(ENV_COVERAGE, raising=False)
    script = tmp_path / "tiny.ps1"
    script.write_text(TINY, encoding="utf-8")
    folder = tmp_path / "coverage"
    folder.mkdir()

    def run(extra_env: dict[str, str]) -> int:
        done = run_pwsh(
            pwsh,
            ["-Command", script_command(script)],
            state=tmp_path / "tenant.json",
            log=tmp_path / "log.jsonl",
            cwd=tmp_path,
            extra_env=extra_env,
        )
        return done.exit_code

    assert run({}) == 3
    assert list(folder.iterdir()) == []

    # The script's exit code stands, and the run leaves one record.
    assert run({ENV_COVERAGE: str(folder)}) == 3
    (written,) = folder.iterdir()
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["script"] == "tiny.ps1"
    assert (data["engine"], data["engine_begin"], data["engine_end"]) == ("probe.ps1", 2, 27)
    # Counted: each statement's first line, but neither function definitions nor try, nor what
    # is inside @() (lines 16, 17).
    assert data["lines"] == [5, 6, 9, 13, 15, 19, 21, 24, 26]
    # The branch not taken (9), the function never called (13) and the catch (24) did not run.
    assert data["hit"] == [5, 6, 15, 19, 21, 26]
    assert data["functions"] == [
        {"name": "Test-JgSign", "start": 3, "end": 11},
        {"name": "Test-JgUnused", "start": 12, "end": 14},
    ]
    engines = aggregate(read_records(folder))
    assert never_executed(engines) == {"Test-JgUnused": ["probe.ps1"]}

"""Engine line coverage of the pwsh scenarios, from what ``pytest --ps-coverage DIR`` recorded."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journalgen.emit import engine_text

# The scripts with an engine, in the order the table lists them (the name in their BEGIN line).
KINDS = ("apply.ps1", "verify.ps1", "rollback.ps1", "capture.ps1", "probe.ps1")


@dataclass(frozen=True)
class Function:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Record:
    """One script run: its statement lines, those that ran, and its functions (file lines)."""

    script: str
    engine: str | None
    engine_begin: int | None
    engine_end: int | None
    lines: frozenset[int]
    hit: frozenset[int]
    functions: tuple[Function, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            script=str(data["script"]),
            engine=data.get("engine"),
            engine_begin=data.get("engine_begin"),
            engine_end=data.get("engine_end"),
            lines=frozenset(int(n) for n in data.get("lines") or ()),
            hit=frozenset(int(n) for n in data.get("hit") or ()),
            functions=tuple(
                Function(str(f["name"]), int(f["start"]), int(f["end"]))
                for f in data.get("functions") or ()
            ),
        )


@dataclass
class Engine:
    """One kind of script's engine over every run, its lines counted from its BEGIN line."""

    kind: str
    runs: int = 0
    lines: set[int] = field(default_factory=set)
    hit: set[int] = field(default_factory=set)
    # Function name -> its own statement lines (those of a function nested in it excluded).
    functions: dict[str, set[int]] = field(default_factory=dict)
    # The distinct sets of lines the runs saw: more than one means the engine changed mid-run.
    shapes: set[frozenset[int]] = field(default_factory=set)
    # The distinct END-minus-BEGIN line counts the runs saw.
    spans: set[int] = field(default_factory=set)

    @property
    def percent(self) -> float:
        return percent(len(self.hit & self.lines), len(self.lines))

    def executed(self, function: str) -> bool:
        return bool(self.functions[function] & self.hit)


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def read_records(folder: Path) -> list[Record]:
    records: list[Record] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                records.append(Record.from_json(json.loads(line)))
    return records


def _owner(line: int, functions: Sequence[Function]) -> Function | None:
    """The innermost function whose lines hold ``line``."""
    holding = [f for f in functions if f.start <= line <= f.end]
    return min(holding, key=lambda f: f.end - f.start, default=None)


def aggregate(records: Iterable[Record]) -> dict[str, Engine]:
    """Each kind's engine, the union over its runs; runs of a script without an engine are left out."""
    engines: dict[str, Engine] = {}
    for record in records:
        begin, end = record.engine_begin, record.engine_end
        if begin is None or end is None:
            continue
        kind = record.engine or record.script
        engine = engines.setdefault(kind, Engine(kind))
        engine.runs += 1
        inside = sorted(n for n in record.lines if begin < n < end)
        engine.shapes.add(frozenset(n - begin for n in inside))
        engine.spans.add(end - begin)
        engine.lines.update(n - begin for n in inside)
        engine.hit.update(n - begin for n in record.hit if begin < n < end)
        functions = [f for f in record.functions if begin < f.start and f.end < end]
        for function in functions:
            engine.functions.setdefault(function.name, set())
        for n in inside:
            owner = _owner(n, functions)
            if owner is not None:
                engine.functions[owner.name].add(n - begin)
    return engines


def ordered(engines: dict[str, Engine]) -> list[Engine]:
    rank = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(engines.values(), key=lambda e: (rank.get(e.kind, len(KINDS)), e.kind))


def total_percent(engines: dict[str, Engine]) -> float:
    """Statements run over statements, summed over the kinds (a shared function counts per kind)."""
    values = engines.values()
    return percent(sum(len(e.hit & e.lines) for e in values), sum(len(e.lines) for e in values))


def never_executed(engines: dict[str, Engine]) -> dict[str, list[str]]:
    """Engine functions that ran in no script: name -> the scripts that hold it.

    A function the templates share (read.ps1.j2 is in apply, verify and rollback) is the same
    code in each, so a run in any of them counts. A function without statements never counts.
    """
    held: dict[str, list[str]] = {}
    ran: set[str] = set()
    for engine in ordered(engines):
        for name, lines in engine.functions.items():
            if not lines:
                continue
            held.setdefault(name, []).append(engine.kind)
            if engine.executed(name):
                ran.add(name)
    return {name: kinds for name, kinds in sorted(held.items()) if name not in ran}


def table(engines: dict[str, Engine]) -> list[str]:
    rows = [("script", "runs", "engine statements", "executed", "percent")]
    for engine in ordered(engines):
        rows.append(
            (
                engine.kind,
                str(engine.runs),
                str(len(engine.lines)),
                str(len(engine.hit & engine.lines)),
                f"{engine.percent:.1f} %",
            )
        )
    values = engines.values()
    rows.append(
        (
            "total",
            str(sum(e.runs for e in values)),
            str(sum(len(e.lines) for e in values)),
            str(sum(len(e.hit & e.lines) for e in values)),
            f"{total_percent(engines):.1f} %",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def missing_lines(engine: Engine) -> list[str]:
    """The statement lines no run executed, as ``+N`` from the BEGIN line, with their text.

    The text is this checkout's engine, shown only when every run had an engine of its length.
    """
    source: list[str] | None = None
    if engine.kind in KINDS:
        source = engine_text(engine.kind).splitlines()
        if engine.spans != {len(source) - 1}:
            source = None
    out = []
    for n in sorted(engine.lines - engine.hit):
        text = source[n].strip() if source is not None else ""
        out.append(f"  {engine.kind} +{n}: {text}".rstrip())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Report which engine lines the pwsh scenarios ran "
        "(record them with: python -m pytest --ps-coverage DIR)."
    )
    parser.add_argument("folder", type=Path, metavar="DIR")
    parser.add_argument(
        "--min", type=float, default=0.0, metavar="PCT", help="fail below this total percent"
    )
    parser.add_argument(
        "--functions", action="store_true", help="fail when an engine function never ran"
    )
    parser.add_argument(
        "--missing", action="store_true", help="list every engine statement line that never ran"
    )
    args = parser.parse_args(argv)

    engines = aggregate(read_records(args.folder))
    if not engines:
        print(f"no coverage records of a script with an engine in {args.folder}", file=sys.stderr)
        return 1
    print("\n".join(table(engines)))
    for engine in ordered(engines):
        if len(engine.shapes) > 1:
            print(
                f"warning: the runs of {engine.kind} saw {len(engine.shapes)} different engines "
                "(did the templates change during the test run?)",
                file=sys.stderr,
            )
    absent = [kind for kind in KINDS if kind not in engines]
    if absent:
        print(f"no run of: {', '.join(absent)}")
    unexecuted = never_executed(engines)
    if unexecuted:
        print(f"engine functions never executed ({len(unexecuted)}):")
        for name, kinds in unexecuted.items():
            print(f"  {name} ({', '.join(kinds)})")
    if args.missing:
        print("engine statement lines never executed (line numbers from the BEGIN line):")
        for engine in ordered(engines):
            print("\n".join(missing_lines(engine)))

    failed = False
    total = total_percent(engines)
    if total < args.min:
        print(f"FAIL: engine line coverage {total:.1f} % is below {args.min:g} %")
        failed = True
    if args.functions and unexecuted:
        print(f"FAIL: {len(unexecuted)} engine function(s) never executed")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Fleet benchmark: ``plan --states`` and ``report`` of N tenants against the floor of loading the same files.

Run ``python benchmarks/bench_fleet.py`` (``--tenants N``, default 1,000; ``--runs R``, best of R;
``--skip-browser``). It generates N tenants' specs and states (tools/fleet/sample.py: most in
sync, some that would change, some with no, a stale or a broken state) into a temporary folder
and prints, side by side:

1. the floor: reading every spec with PyYAML's C loader and every state with ``json.loads``;
2. journalgen loading the same files (``check_file`` and ``load_state``: validation, resolution,
   checks, positions), what any command that reads them pays;
3. the fleet plan as text, as JSON, and the report, each in this process, with its ratio to the
   floor;
4. the report's size (the issue's limit: 1 MB for 1,000 tenants);
5. how long headless Chromium takes to load and paint the report (tools/fleet/render.mjs), when
   Chromium, node and tools/mermaid's puppeteer are there.

It is a measurement: it exits 0 whatever the figures are, and non-zero only when something breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journalgen import app  # noqa: E402
from tools.fleet.sample import make_fleet  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MAX_REPORT_BYTES = 1_000_000
MAX_RENDER_SECONDS = 2.0


def best(action: Callable[[], object], runs: int) -> float:
    fastest = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = make_fleet(folder, args.tenants, NOW)
        specs = sorted(made.specs.glob("*.yaml"))
        states = sorted(made.states.glob("*.json"))
        print(
            f"{len(specs)} specs, {len(states)} states ({args.tenants} tenants), best of {args.runs}"
        )

        def floor() -> None:
            for spec in specs:
                yaml.load(spec.read_bytes(), Loader=yaml.CSafeLoader)
            for state in states:
                json.loads(state.read_bytes())

        def load() -> None:
            for spec in specs:
                app.check_file(str(spec))
            for state in states:
                app.load_state_file(str(state))

        def plan(fmt: str) -> Callable[[], object]:
            return lambda: app.plan_fleet(
                [str(made.specs)], str(made.states), fmt, now=NOW, max_age=7
            )

        page: list[bytes] = []

        def report() -> None:
            _, data = app.report(
                [str(made.specs)],
                str(made.states),
                out_dir=None,
                output=None,
                now=NOW,
                made_at=NOW,
                max_age=7,
            )
            assert data is not None
            page[:] = [data]

        base = best(floor, args.runs)
        rows = [
            ("floor: YAML (C loader) and json.loads", base),
            ("journalgen loading the specs and states", best(load, args.runs)),
            ("plan --states (text)", best(plan("text"), args.runs)),
            ("plan --states --format json", best(plan("json"), args.runs)),
            ("report", best(report, args.runs)),
        ]
        for label, seconds in rows:
            print(f"  {label:<42} {seconds * 1000:9.0f} ms  {seconds / base:6.1f} x floor")
        size = len(page[0])
        verdict = "under" if size < MAX_REPORT_BYTES else "OVER"
        print(f"report size: {size:,} bytes ({verdict} the {MAX_REPORT_BYTES:,} byte limit)")
        html = folder / "fleet.html"
        html.write_bytes(page[0])
        render(html, args.skip_browser)
    return 0


def render(html: Path, skip: bool) -> None:
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
    puppeteer = ROOT / "tools" / "mermaid" / "node_modules" / "puppeteer"
    if skip or browser is None or shutil.which("node") is None or not puppeteer.exists():
        print("Chromium render: skipped (no Chromium, node or tools/mermaid's puppeteer)")
        return
    done = subprocess.run(
        ["node", str(ROOT / "tools" / "fleet" / "render.mjs"), str(html)],
        capture_output=True,
        text=True,
        env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser},
        timeout=600,
        check=True,
    )
    seen = json.loads(done.stdout)
    seconds = seen["renderMs"] / 1000
    verdict = "under" if seconds < MAX_RENDER_SECONDS else "OVER"
    print(
        f"Chromium render: {seconds:.2f} s to load and paint {seen['rows']} rows "
        f"({verdict} the {MAX_RENDER_SECONDS:.0f} s target); console messages: "
        f"{len(seen['consoleMessages'])}, page errors: {len(seen['pageErrors'])}"
    )


if __name__ == "__main__":
    sys.exit(main())

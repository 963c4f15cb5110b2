"""Write docs/fleet.png: the report of a generated 300-tenant fleet as headless Chromium shows it, sorted by status.

Run ``python tools/fleet/screenshot.py [PNG]`` from the checkout (needs Chromium, node and
tools/mermaid's puppeteer, as tests/test_fleet_report.py does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from tools.fleet.sample import make_fleet  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MADE = ("--now", "2026-12-01T12:00:00Z", "-o", "fleet.html")


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "fleet.png").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_fleet(folder, 300, NOW)
        journalgen = [sys.executable, "-m", "journalgen"]
        # Relative names, so the page shows specs/ and states/ as a spec repository has them.
        subprocess.run([*journalgen, "build", "specs", "-d", "generated"], cwd=folder, check=False)
        subprocess.run(
            [*journalgen, "report", "specs", "--states", "states", "--out-dir", "generated", *MADE],
            cwd=folder,
            check=False,
        )
        render = ROOT / "tools" / "fleet" / "render.mjs"
        subprocess.run(
            ["node", str(render), str(folder / "fleet.html"), str(target)],
            check=True,
            env=os.environ,
            stdout=subprocess.DEVNULL,
        )
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

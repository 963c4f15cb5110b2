"""Shared test fixtures: golden files, regenerated with ``python -m pytest --update-goldens``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from journalgen.simulator import ENV_COVERAGE, INSTALL_HINT, find_pwsh

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# The samples folder is one MSP's specs folder: one batch that validates together.
BATCH = sorted((ROOT / "samples").glob("*.yaml"))
# A migration, step by step: two versions of one spec, each a batch with the specs around it, so
# not part of the samples folder (CI validates, builds and checks samples/ as one batch).
MIGRATION = sorted((ROOT / "docs" / "migration").glob("*.yaml"))
SAMPLES = BATCH + MIGRATION


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite the golden files under tests/golden from the current output.",
    )
    parser.addoption(
        "--ps-coverage",
        metavar="DIR",
        help="Record which lines of each script the pwsh scenarios run, into DIR "
        "(its *.jsonl files are removed first); report with python tools/ps_coverage.py DIR.",
    )


def pytest_configure(config: pytest.Config) -> None:
    folder = config.getoption("--ps-coverage")
    # xdist workers inherit the environment; only the controller (no workerinput) empties DIR.
    if folder is None or hasattr(config, "workerinput"):
        return
    path = Path(folder).resolve()
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.jsonl"):
        old.unlink()
    os.environ[ENV_COVERAGE] = str(path)


class Golden:
    """Compares output with a committed golden file, or rewrites it with --update-goldens."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, relative: str, actual: bytes | str) -> None:
        data = actual.encode("utf-8") if isinstance(actual, str) else actual
        path = GOLDEN / relative
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.exists(), f"no golden file {relative}; run: python -m pytest --update-goldens"
        expected = path.read_bytes()
        if expected != data:
            import difflib

            diff = "".join(
                difflib.unified_diff(
                    expected.decode("utf-8", "replace").splitlines(keepends=True),
                    data.decode("utf-8", "replace").splitlines(keepends=True),
                    f"golden/{relative}",
                    "actual",
                    n=2,
                )
            )
            pytest.fail(
                f"output differs from golden/{relative} "
                f"(regenerate with: python -m pytest --update-goldens)\n{diff[:6000]}"
            )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-goldens")))


@pytest.fixture(scope="session")
def pwsh() -> str:
    """The pwsh program; without one the test skips, and fails in CI, where it must be there."""
    found = find_pwsh(ROOT)
    if found is None:
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    return found

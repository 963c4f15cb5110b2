"""A build killed at any point: the next build and check recover, and no worker outlives it."""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from journalgen import app
from journalgen.cli import main
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "contoso-mimecast.yaml"
PROC = Path("/proc")
needs_proc = pytest.mark.skipif(
    not (PROC / "self" / "stat").exists(), reason="finds a build's processes through /proc"
)
# How long a killed build's workers may take to notice; they poll well within a second.
GONE_WITHIN = 20.0


def tenant_specs(folder: Path, count: int) -> list[Path]:
    """``count`` specs of one sample, each for its own tenant so that none clash."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8")
    made = []
    for i in range(count):
        spec = folder / f"t{i:03}.yaml"
        spec.write_text(text.replace("contoso", f"tenant{i}"), encoding="utf-8")
        made.append(spec)
    return made


def temp_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.tmp"))


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# --- item 9: what a killed build left ----------------------------------------------------------


def test_a_build_removes_the_temp_files_a_killed_build_left(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    (spec,) = tenant_specs(folder, 1)
    out = tmp_path / "out"
    assert cli("build", str(folder), "-d", str(out))[0] == 0
    bundle = out / spec.stem
    # Exactly what write.py's staging names its temporary files (tempfile.mkstemp).
    for name in (
        ".apply.ps1.k3j_9x0a.tmp",
        ".manifest.json.abcdefgh.tmp",
        ".CHANGE.md.12345678.tmp",
    ):
        (bundle / name).write_bytes(b"half a file")
    code, output = cli("check", str(folder), "-d", str(out))
    assert code == 1 and output.count("error[JG023]") == 3
    assert cli("build", str(folder), "-d", str(out))[0] == 0
    assert temp_files(out) == []
    assert cli("check", str(folder), "-d", str(out)) == (0, "1 bundle(s) up to date\n")


def test_a_build_removes_only_its_own_temp_files(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    (spec,) = tenant_specs(folder, 1)
    out = tmp_path / "out"
    bundle = out / spec.stem
    bundle.mkdir(parents=True)
    strangers = [
        ".apply.ps1.tmp",  # no random part
        ".apply.ps1.abcdefghi.tmp",  # nine characters, mkstemp makes eight
        ".notes.txt.abcdefgh.tmp",  # not a bundle file's name
        "apply.ps1.abcdefgh.tmp",  # no leading dot
        ".apply.ps1.ABCDEFGH.tmp",  # mkstemp's names are lower case
    ]
    for name in strangers:
        (bundle / name).write_text("someone else's")
    (out / ".apply.ps1.abcdefgh.tmp").write_text("not in a bundle")
    assert cli("build", str(folder), "-d", str(out))[0] == 0
    assert sorted(p.name for p in temp_files(out)) == sorted(
        [*strangers, ".apply.ps1.abcdefgh.tmp"]
    )


# --- item 10: --jobs ------------------------------------------------------------------------


def test_jobs_is_capped_at_the_specs_and_the_cpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    asked: list[int | None] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Spy(real):  # type: ignore[misc,valid-type]
        def __init__(self, max_workers: int | None = None, **kwargs: object) -> None:
            asked.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Spy)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    specs = [Path(f"{i}.yaml") for i in range(3)]
    assert list(app.in_order(str, specs, 16)) == [str(p) for p in specs]
    assert list(app.in_order(str, specs[:2], 8)) == [str(p) for p in specs[:2]]
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert list(app.in_order(str, specs, 16)) == [str(p) for p in specs]
    assert asked == [2, 2, 3]


def test_the_help_says_jobs_is_capped() -> None:
    code, output = cli("build", "--help")
    assert code == 0
    assert re.search(r"at\s+most\s+one\s+per\s+spec\s+and\s+per\s+CPU", output)


def session(leader: int) -> list[int]:
    """The processes of the session ``leader`` started (they keep it when they are orphaned)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == leader and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(leader: int, within: float) -> list[int]:
    """The session's processes still alive after ``within`` seconds (none: all are gone)."""
    deadline = time.monotonic() + within
    left = session(leader)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = session(leader)
    return left


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Session leaders a test started; whatever is left of them is killed at the end."""
    leaders: list[int] = []
    yield leaders
    for leader in leaders:
        for pid in session(leader):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def start(args: list[str], cwd: Path, leaders: list[int]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    leaders.append(process.pid)
    return process


@needs_proc
def test_workers_stop_when_the_parent_is_killed(tmp_path: Path, started: list[int]) -> None:
    # Each worker sleeps through its spec; the parent is killed while they do.
    code = (
        "import time; from journalgen.app import in_order; list(in_order(time.sleep, [3.0] * 8, 2))"
    )
    parent = start([sys.executable, "-c", code], tmp_path, started)
    deadline = time.monotonic() + GONE_WITHIN
    while len(session(parent.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [pid for pid in session(parent.pid) if pid != parent.pid]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    # Before the fix they slept on, took the next specs, then waited for the dead parent forever.
    assert wait_until_gone(parent.pid, GONE_WITHIN) == []


# --- the "Done when": kill -9 at random points --------------------------------------


@needs_proc
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_killed_at_random_points_recovers(
    tmp_path: Path, started: list[int], jobs: str
) -> None:
    folder = tmp_path / "specs"
    tenant_specs(folder, 30)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "journalgen", "build", str(folder), "-d", str(out), "-j", jobs]
    timed = time.monotonic()
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0
    whole = time.monotonic() - timed
    shutil.rmtree(out)
    # Fixed seeds: the same points on every run, spread from start-up to the last bundle.
    draw = random.Random(f"kill-{jobs}")
    for _ in range(3):
        build = start(command, tmp_path, started)
        time.sleep(draw.uniform(0.2, 0.95) * whole)
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert wait_until_gone(build.pid, GONE_WITHIN) == [], "a worker outlived the build"
        code, output = cli("build", str(folder), "-d", str(out), "-j", jobs)
        assert code == 0, output
        assert temp_files(out) == []
        code, output = cli("check", str(folder), "-d", str(out), "-j", jobs)
        assert (code, output) == (0, "30 bundle(s) up to date\n")


# --- item 11: the pre-commit hook -----------------------------------------------------------


def test_the_validate_hook_sees_every_spec_in_one_process() -> None:
    # Clashes are found across the specs of one run; pre-commit splits files over processes
    # unless a hook is serial, and then a clash between two batches passes.
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    assert hooks["journalgen-validate"].get("require_serial") is True
    assert hooks["journalgen-validate"].get("pass_filenames", True) is True

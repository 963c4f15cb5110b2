"""Batch-compile benchmark: journalgen against the floor of parsing YAML and writing the same files.

Run ``python benchmarks/bench.py`` (``--specs N``, ``--skip-memory``, ``--quiet``). It generates N
realistic, varied tenant specs into a temporary folder and prints, side by side:

1. the floor: parse every spec with PyYAML's C loader and write as many files of the same sizes as a
   real build wrote, the way a build writes them (journalgen's atomic writer: temporary file,
   replace; one os.sync() at the end);
2. ``journalgen build`` over all specs, in this process (throughput) and as a fresh process of the
   command (throughput plus start-up), and with ``--jobs`` when the command has it;
3. ``journalgen check`` over the built bundles, when the command exists;
4. cold start of ``journalgen validate`` on one sample against importing its dependencies, and
   against importing them and defining one pydantic model (which ``import pydantic`` defers);
5. at scale (``--scale N``, default ten times ``--specs``, at most 10,000): ``build`` and
   ``check`` of N specs with ``--jobs 2``, each one process with start-up;
6. peak memory (the child's ru_maxrss) of a build over 1,000 and 10,000 specs.

It is a measurement: it exits 0 whatever the figures are, and non-zero only when something breaks.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from journalgen.write import sync_to_disk, write_files

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "contoso-mimecast.yaml"
IMPORT_FLOOR = "import click, jinja2, pydantic, yaml"
MODEL_FLOOR = "import click, yaml; from pydantic import BaseModel\nclass A(BaseModel): x: int"
SCALE_JOBS = 2
COLD_RUNS = 9
MEMORY_SIZES = (1_000, 10_000)

# Targets from the issue: per-spec build time against the floor, throughput, start-up, memory.
MAX_FLOOR_RATIO = 3.0
MIN_SPECS_PER_SECOND = 200.0
MAX_COLD_START_RATIO = 1.25
MAX_PEAK_MB = 150.0
MAX_MEMORY_GROWTH = 0.10

WORDS = (
    "contoso",
    "fabrikam",
    "northwind",
    "adatum",
    "tailspin",
    "wingtip",
    "litware",
    "proseware",
    "woodgrove",
    "alpine",
    "lucerne",
    "margie",
)
TLDS = ("com", "net", "org", "de", "co.uk", "com.au", "fr", "ch")
PEOPLE = (
    ("legal", "Legal"),
    ("jose.garcia", "José García"),
    ("zoe.odegaard", "Zoë Ødegaard"),
    ("lukasz.nowak", "Łukasz Nowak"),
    ("yamada.taro", "山田 太郎"),
    ("francois.muller", "François Müller"),
    ("compliance", "Compliance"),
    ("ceo", "Chief Executive"),
    ("sofia.lindqvist", "Sofia Lindqvist"),
    ("anna.kowalska", "Anna Kowalska"),
)
CONTACT_NAMES = (
    None,
    "SMTP Journaling",
    "Journal Archiv Zürich",
    "Archivage Journal – Genève",
    "Journaling Ålesund",
)
MIMECAST_REGIONS = ("us", "us", "us", "eu", "de", "au", "je", "za", "ca", "us-b")
UNCONFIRMED = frozenset({"eu", "de", "au"})


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def spec_text(index: int, seed: int) -> str:
    """One realistic tenant spec; deterministic for (index, seed), and different for each index."""
    rng = random.Random(f"{seed}-{index}")
    word = rng.choice(WORDS)
    domain = f"{word}{index}.{rng.choice(TLDS)}"
    others = [f"{word}{index}-{n}.{rng.choice(TLDS)}" for n in range(rng.choice((0, 0, 1, 2)))]
    lines = [
        f"# Journaling for {word.title()} {index}: managed by the MSP, reviewed by the change board.",
        "version: 1",
        "",
        "tenant:",
        f"  primary_domain: {domain}",
        f"  organization: {word}{index}.onmicrosoft.com",
    ]
    if others:
        lines.append(f"  other_domains: [{', '.join(others)}]")
    lines += ["", "archive:"]
    connector: list[str] = []
    tls: list[str] = []
    if rng.random() < 0.7:
        region = rng.choice(MIMECAST_REGIONS)
        lines += ["  vendor: mimecast", f"  region: {region}"]
        if region in UNCONFIRMED:
            lines.append("  acknowledge_unconfirmed: true")
        elif region not in ("us",):
            hosts = [f"{region}-smtp-journal-{n}.mimecast.com" for n in (1, 2)]
            connector.append(f"  smart_hosts: [{', '.join(hosts)}]")
        if rng.random() < 0.2:
            tls += ["    mode: domain_validation", '    domain: "*.mimecast.com"']
    else:
        archive = f"archive{rng.randrange(1, 40)}.example.net"
        lines += ["  vendor: custom", f"  journal_address: journal-{index}@{archive}"]
        connector.append(f"  name: {q('Microsoft 365 to Archiv ' + word.title() + ' – Köln')}")
        if rng.random() < 0.5:
            hosts = [f"smtp{n}.{archive}" for n in range(1, rng.randrange(2, 5))]
        else:
            hosts = [f"203.0.113.{rng.randrange(1, 255)}", f"198.51.100.0/{rng.randrange(24, 31)}"]
        connector.append(f"  smart_hosts: [{', '.join(hosts)}]")
        mode = rng.choice(("certificate_validation", "domain_validation", "encryption_only"))
        if mode == "domain_validation" and hosts[0][0].isalpha():
            tls += ["    mode: domain_validation", f'    domain: "*.{archive}"']
        elif mode == "encryption_only":
            tls += ["    mode: encryption_only", "    acknowledge_downgrade: true"]
    if rng.random() < 0.05:
        connector.append("  enabled: false")
    contact = rng.choice(CONTACT_NAMES)
    if contact is not None:
        lines += ["", "contact:", f"  name: {q(contact)}"]
        if rng.random() < 0.5:
            lines.append(f"  display_name: {q(contact + ' (' + word.title() + ')')}")
    if connector or tls:
        lines += ["", "connector:", *connector]
        if tls:
            lines += ["  tls:", *tls]
    lines += ["", "journal_rules:", f"  - name: {q('Journal all mail of ' + word.title())}"]
    people = rng.sample(PEOPLE, rng.randrange(0, 6))
    for local, display in people:
        scope = rng.choice(("global", "internal", "external"))
        lines += [
            f"  - name: {q(f'Journal {display} ({scope})')}",
            f"    scope: {scope}",
            f"    recipient: {local}@{domain}",
        ]
        if rng.random() < 0.05:
            lines.append("    enabled: false")
    lines += ["", "ndr:", f"  address: journal-ndr@{rng.choice([domain, *others])}"]
    if rng.random() < 0.5:
        lines.append(f"  queue_expiry_days: {rng.randrange(0, 8)}")
    return "\n".join(lines) + "\n"


def generate(folder: Path, count: int, seed: int = 6) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"tenant-{index:05d}.yaml"
        path.write_text(spec_text(index, seed), encoding="utf-8")
        paths.append(path)
    return paths


def command() -> tuple[list[str], str]:
    """How to start journalgen as a user would: its console script, else ``python -m``."""
    script = shutil.which("journalgen", path=str(Path(sys.executable).parent))
    if script:
        return [script], "the journalgen console script"
    return [sys.executable, "-m", "journalgen"], "python -m journalgen"


def has_option(name: str, option: str | None = None) -> bool:
    """Whether this journalgen has the command ``name`` (and, if given, its ``option``)."""
    from journalgen.cli import main

    found = main.commands.get(name)
    if found is None:
        return False
    return option is None or any(p.name == option for p in found.params)


def timed(action: Callable[[], object]) -> float:
    # Flush what earlier phases left for the disk, so no phase pays for another's writes.
    if hasattr(os, "sync"):
        os.sync()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(args: Sequence[str], *, expect: int = 0) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != expect:
        raise SystemExit(
            f"bench: {' '.join(args[:3])} ... exited {done.returncode}\n{done.stderr[-2000:]}"
        )


def run_in_process(args: Sequence[str], *, expect: int = 0) -> None:
    """One command through the CLI's own entry point, in this process, its output discarded."""
    from journalgen.cli import main

    sink = io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            main.main(list(args), prog_name="journalgen", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    if (code or 0) != expect:
        raise SystemExit(f"bench: journalgen {args[0]} exited {code}\n{sink.getvalue()[-2000:]}")


def bundle_sizes(out_dir: Path) -> dict[str, list[int]]:
    """The size of every file a build wrote, per spec folder."""
    return {
        folder.name: sorted(p.stat().st_size for p in folder.iterdir() if p.is_file())
        for folder in sorted(out_dir.iterdir())
        if folder.is_dir()
    }


def floor(specs: Sequence[Path], sizes: dict[str, list[int]], out_dir: Path) -> None:
    """What any tool doing this job pays: parse each spec, write its files atomically."""
    for path in specs:
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        files = {f"file{n}": b"#" * size for n, size in enumerate(sizes[path.stem])}
        write_files(out_dir / path.stem, files, fsync=False)
    sync_to_disk()


@dataclass
class Row:
    label: str
    seconds: float
    specs: int = 0
    note: str = ""

    def text(self) -> str:
        figure = f"{self.seconds:8.3f} s"
        if self.specs:
            per = self.seconds / self.specs * 1000
            figure += f"  {per:7.3f} ms/spec  {self.specs / self.seconds:8.0f} specs/s"
        return f"  {self.label:<44}{figure}{'  ' + self.note if self.note else ''}"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


@dataclass
class Child:
    wall: float
    cpu: float
    peak_mb: float


def child(args: Sequence[str]) -> Child:
    """Run one command; its wall time, CPU time and peak memory, from the kernel's accounting."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args[:3])} ... exited {proc.returncode}")
    # Linux reports KiB, macOS bytes.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Child(wall, usage.ru_utime + usage.ru_stime, peak)


def cold_start(args: Sequence[str]) -> Child:
    """The median wall and CPU time of several runs of a command."""
    runs = [child(args) for _ in range(COLD_RUNS)]
    return Child(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak_mb for r in runs),
    )


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="journalgen-bench-") as name:
        yield Path(name)


def at_scale(count: int, cmd: Sequence[str], say: Callable[[str], None]) -> list[str]:
    """``build`` then ``check`` of ``count`` specs with ``--jobs 2``, each one process."""
    with scratch() as tmp:
        say(f"scale: generating {count} specs ...")
        generate(tmp / "specs", count)
        args = [str(tmp / "specs"), "--out-dir", str(tmp / "out"), "--jobs", str(SCALE_JOBS)]
        say(f"scale: build --jobs {SCALE_JOBS} ...")
        build_s = timed(lambda: run([*cmd, "build", *args]))
        say(f"scale: check --jobs {SCALE_JOBS} ...")
        check_s = timed(lambda: run([*cmd, "check", *args]))
    return [
        f"at scale, {count} specs, one process each (with start-up):",
        Row(f"build --jobs {SCALE_JOBS}", build_s, count).text(),
        Row(f"check --jobs {SCALE_JOBS}", check_s, count).text(),
    ]


def measure(count: int, *, scale: int, skip_memory: bool, say: Callable[[str], None]) -> list[str]:
    """Run every measurement and return the report's lines."""
    cmd, how = command()
    jobs = os.cpu_count() or 1
    report = [
        f"journalgen benchmark: {count} specs; Python {platform.python_version()}, "
        f"{jobs} CPU(s), {platform.system()} {platform.machine()}",
        f"subprocess runs start {how}",
    ]
    with scratch() as tmp:
        specs = generate(tmp / "specs", count)
        spec_dir = str(tmp / "specs")

        say("build (subprocess) ...")
        build_sub = timed(lambda: run([*cmd, "build", spec_dir, "--out-dir", str(tmp / "sub")]))
        sizes = bundle_sizes(tmp / "sub")
        files = sum(len(s) for s in sizes.values())
        total = sum(sum(s) for s in sizes.values())
        if len(sizes) != count:
            raise SystemExit(f"bench: build wrote {len(sizes)} of {count} bundles")

        say("floor ...")
        cpu = time.process_time()
        floor_s = timed(lambda: floor(specs, sizes, tmp / "floor"))
        floor_cpu = time.process_time() - cpu

        say("build (in-process) ...")
        run_in_process(["build", str(SAMPLE), "--out-dir", str(tmp / "warm")])
        cpu = time.process_time()
        build_in = timed(lambda: run_in_process(["build", spec_dir, "--out-dir", str(tmp / "in")]))
        build_cpu = time.process_time() - cpu

        rows = [
            Row(
                f"floor (parse + write {files} files, {total / 1e6:.1f} MB)",
                floor_s,
                count,
                f"CPU {floor_cpu / count * 1000:.2f} ms/spec",
            ),
            Row(
                "build, in-process",
                build_in,
                count,
                f"{build_in / floor_s:.2f}x floor (<= {MAX_FLOOR_RATIO:g}x: "
                f"{verdict(build_in <= MAX_FLOOR_RATIO * floor_s)}); "
                f">= {MIN_SPECS_PER_SECOND:g}/s: "
                f"{verdict(count / build_in >= MIN_SPECS_PER_SECOND)}; "
                f"CPU {build_cpu / count * 1000:.2f} ms/spec",
            ),
            Row(
                "build, one subprocess (with start-up)",
                build_sub,
                count,
                f"{build_sub / floor_s:.2f}x floor",
            ),
        ]
        if has_option("build", "jobs"):
            say("build --jobs (subprocess) ...")
            seconds = timed(
                lambda: run(
                    [*cmd, "build", spec_dir, "--out-dir", str(tmp / "jobs"), "--jobs", str(jobs)]
                )
            )
            rows.append(
                Row(
                    f"build --jobs {jobs}, one subprocess",
                    seconds,
                    count,
                    f"{seconds / floor_s:.2f}x floor",
                )
            )
        else:
            report.append("build --jobs: not measured (this journalgen has no --jobs)")
        if has_option("check"):
            say("check ...")
            check_args = ["check", spec_dir, "--out-dir", str(tmp / "sub")]
            cpu = time.process_time()
            check_in = timed(lambda: run_in_process(check_args))
            check_cpu = time.process_time() - cpu
            check_sub = timed(lambda: run([*cmd, *check_args]))
            rows += [
                Row(
                    "check, in-process",
                    check_in,
                    count,
                    f"{check_in / floor_s:.2f}x floor; CPU {check_cpu / count * 1000:.2f} ms/spec",
                ),
                Row("check, one subprocess (with start-up)", check_sub, count),
            ]
        else:
            report.append("check: not measured (this journalgen has no check command)")
        report += [row.text() for row in rows]

    say("cold start ...")
    imports = cold_start([sys.executable, "-c", IMPORT_FLOOR])
    model = cold_start([sys.executable, "-c", MODEL_FLOOR])
    validate = cold_start([*cmd, "validate", str(SAMPLE)])
    ratio = validate.wall / imports.wall
    report += [
        f"cold start, median of {COLD_RUNS} runs (CPU time: user + system, less sensitive to load):",
        f"  {'python -c ' + repr(IMPORT_FLOOR):<44}{imports.wall:8.3f} s  CPU {imports.cpu:.3f} s",
        f"  {'click, yaml and one pydantic model':<44}{model.wall:8.3f} s  CPU {model.cpu:.3f} s",
        f"  {'journalgen validate (one sample)':<44}{validate.wall:8.3f} s  CPU {validate.cpu:.3f} s"
        f"  {ratio:.2f}x imports, CPU {validate.cpu / imports.cpu:.2f}x "
        f"(<= {MAX_COLD_START_RATIO:g}x: {verdict(ratio <= MAX_COLD_START_RATIO)}); "
        f"{validate.wall / model.wall:.2f}x one model",
    ]
    if scale and has_option("build", "jobs") and has_option("check", "jobs"):
        report += at_scale(scale, cmd, say)
    elif scale:
        report.append("at scale: not measured (this journalgen has no check or no --jobs)")

    if skip_memory:
        report.append("peak memory: skipped (--skip-memory)")
        return report
    peaks: list[float] = []
    with scratch() as tmp:
        generate(tmp / "specs", max(MEMORY_SIZES))
        for size in MEMORY_SIZES:
            say(f"peak memory, {size} specs ...")
            folder = tmp / f"specs-{size}"
            folder.mkdir()
            for n in range(size):
                name = f"tenant-{n:05d}.yaml"
                os.link(tmp / "specs" / name, folder / name)
            out = tmp / f"out-{size}"
            peaks.append(child([*cmd, "build", str(folder), "--out-dir", str(out)]).peak_mb)
            shutil.rmtree(out)
    growth = peaks[-1] / peaks[0] - 1
    report.append("peak memory of one build process (ru_maxrss):")
    report += [
        f"  {size:>6} specs: {mb:6.1f} MB" for size, mb in zip(MEMORY_SIZES, peaks, strict=True)
    ]
    report.append(
        f"  {MEMORY_SIZES[-1]} specs < {MAX_PEAK_MB:g} MB: {verdict(peaks[-1] < MAX_PEAK_MB)}; "
        f"growth over {MEMORY_SIZES[0]} specs {growth:+.1%} "
        f"(<= {MAX_MEMORY_GROWTH:.0%}: {verdict(growth <= MAX_MEMORY_GROWTH)})"
    )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--specs", type=int, default=1000, help="how many specs (default 1000)")
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the 1,000/10,000-spec memory runs"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the results")
    parser.add_argument(
        "--scale",
        type=int,
        help="specs for the build and check with --jobs 2 at scale "
        "(default ten times --specs, at most 10,000; 0 skips)",
    )
    args = parser.parse_args(argv)
    if args.specs < 1:
        parser.error("--specs must be at least 1")
    if args.scale is not None and args.scale < 0:
        parser.error("--scale must not be negative")

    def say(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    scale = min(10 * args.specs, 10_000) if args.scale is None else args.scale
    print("\n".join(measure(args.specs, scale=scale, skip_memory=args.skip_memory, say=say)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

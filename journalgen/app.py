"""What each command does, apart from how its arguments are parsed: inputs in, results as data out."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from journalgen.diagnostics import Diagnostic, has_errors
from journalgen.errors import OutputError, PinError, SpecError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from journalgen.bundle import Comparison
    from journalgen.change import Parallel
    from journalgen.compiler import Checked
    from journalgen.fleet import Fleet
    from journalgen.importer import ImportRequest
    from journalgen.live import LivePlan
    from journalgen.rehearse import Record
    from journalgen.scaffold import Ask, InitRequest
    from journalgen.state import Captured
    from journalgen.tenants import Claims

SPEC_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
T = TypeVar("T")


@dataclass
class Outcome:
    """Everything a command found, handed to one reporter at the end."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signed: int = 0
    # The `.journalgen-version` that refused this journalgen; nothing else was read then.
    refused_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, file: str, diagnostics: Iterable[Diagnostic]) -> None:
        found = list(diagnostics)
        self.diagnostics.extend(found)
        if has_errors(found):
            self.failed.append(file)


def expand_inputs(paths: Iterable[str]) -> Iterator[Path]:
    """Spec files as given, and the ``*.yaml``/``*.yml`` files below any folder, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not found:
                raise UsageError(f"no *.yaml or *.yml spec files in folder {raw}")
            yield from found
        else:
            yield path


def read_spec(path: Path) -> bytes:
    """The spec's bytes (``-``: standard input), reading no more than one byte past the size limit."""
    from journalgen.loader import MAX_BYTES
    from journalgen.write import shown_path

    shown = shown_path(path)
    if shown != str(path):
        message = (
            "the file name is not UTF-8 (shown with \\x escapes); it names the bundle and is "
            "written into its scripts and CHANGE.md: rename the file"
        )
        raise SpecError([Diagnostic(shown, 1, 1, "JG015", message)])
    return _read_limited(path, MAX_BYTES, "file or folder")


def _read_limited(path: Path, limit: int, absent: str) -> bytes:
    """No more than one byte past ``limit`` of a file (``-``: standard input), or JG001."""
    import sys

    try:
        if str(path) == STDIN:
            return sys.stdin.buffer.read(limit + 1)
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        message = f"does not exist: no {absent} by this name"
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or type(exc).__name__}"
    raise SpecError([Diagnostic(str(path), 1, 1, "JG001", message)])


def check_file(name: str, *, strict: bool = False) -> Checked:
    """The checked spec in file ``name`` (``-``: standard input); raise :class:`SpecError`."""
    from journalgen.compiler import check_source

    return check_source(read_spec(Path(name)), name, strict=strict)


def _pinned(outcome: Outcome) -> bool:
    """Whether the spec repository's `.journalgen-version` allows this journalgen (else an error)."""
    from journalgen.pin import check_pin

    found = check_pin(Path.cwd())
    if found:
        outcome.files.append(found[0].file)
        outcome.add(found[0].file, found)
        outcome.refused_by = found[0].file
    return not found


def require_pin() -> None:
    """Raise :class:`PinError` when the spec repository's `.journalgen-version` refuses this journalgen.

    For the commands with no report of their own (import, init, capture-script).
    """
    from journalgen.pin import check_pin

    found = check_pin(Path.cwd())
    if found:
        raise PinError(found)


def _files_only(paths: Sequence[str], command: str) -> None:
    if STDIN in paths:
        raise UsageError(
            f"{command} needs spec files: '-' (standard input) works with validate and explain"
        )


def validate(paths: Iterable[str], *, strict: bool) -> Outcome:
    from journalgen.tenants import Claims
    from journalgen.write import shown_path

    outcome = Outcome()
    if not _pinned(outcome):
        return outcome
    claims: list[Claims] = []
    for path in expand_inputs(paths):
        name = shown_path(path)  # a file name that is not UTF-8 is JG015, shown escaped
        outcome.files.append(name)
        try:
            checked = check_file(str(path), strict=strict)
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
        else:
            outcome.add(name, checked.warnings)
            claims.append(Claims.of(checked))
    _add_clashes(outcome, claims)
    return outcome


def _clashes_by_file(claims: Sequence[Claims]) -> dict[str, list[Diagnostic]]:
    """The clashes between specs for one tenant (every input, across files), by file."""
    from journalgen.tenants import clashes

    by_file: dict[str, list[Diagnostic]] = {}
    # Standard input cannot be read twice: its positions fall back to the first line.
    for d in clashes(claims, lambda file: b"" if file == STDIN else read_spec(Path(file))):
        by_file.setdefault(d.file, []).append(d)
    return by_file


def _add_clashes(outcome: Outcome, claims: Sequence[Claims]) -> None:
    """Report the clashes between specs for one tenant; each clashing file fails once."""
    for file, found in _clashes_by_file(claims).items():
        outcome.diagnostics.extend(found)
        if file not in outcome.failed:
            outcome.failed.append(file)


def _organization(path: Path) -> str | None:
    """The organization a spec names, read from its YAML alone; ``None`` when it cannot tell."""
    from journalgen.loader import load_yaml

    try:
        tenant = load_yaml(read_spec(path), str(path)).data.get("tenant")
    except SpecError:
        return None
    organization = tenant.get("organization") if isinstance(tenant, dict) else None
    return organization.casefold() if isinstance(organization, str) else None


def _claims_one(path: Path, *, strict: bool) -> tuple[Claims | None, Parallel | None]:
    """What one spec claims in its tenant, and what the other specs' CHANGE.md say of it (a
    parallel run); nothing when it has errors (reported later).
    """
    from journalgen.change import Parallel
    from journalgen.compiler import plan_for
    from journalgen.tenants import Claims

    try:
        checked = check_file(str(path), strict=strict)
    except SpecError:
        return None, None
    return Claims.of(checked), Parallel.of(plan_for(checked))


SCHEMA_FILE = "journalgen-spec-v1.schema.json"


def schema_text() -> str:
    """The packaged JSON Schema, read as shipped (tests keep it equal to the models' schema)."""
    from importlib.resources import files

    return files("journalgen.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def _unique_stems(paths: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        if path.stem in seen:
            raise UsageError(
                f"{seen[path.stem]} and {path} would both build into '{path.stem}/'; rename one"
            )
        seen[path.stem] = path


def _workers(jobs: int, specs: int) -> int:
    """``jobs``, but no more processes than specs, nor than CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the CPUs this process may use
    cpus = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    return max(1, min(jobs, specs, cpus))


def _stop_with(parent: int) -> None:
    """In a ``--jobs`` worker: exit as soon as the process ``parent`` that started it is gone.

    A killed parent closes nothing its workers wait on (each holds the task queue's pipe too),
    so they would finish the specs already queued, writing bundles, and then wait forever.
    """
    import threading

    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def _watch(parent: int) -> None:
    import multiprocessing
    import sys
    import time

    if sys.platform == "win32":
        # Windows never re-parents a process, so getppid() goes on naming the dead parent; the
        # parent's handle, which every spawned worker holds, is signalled when it exits.
        started_by = multiprocessing.parent_process()
        if started_by is not None:
            started_by.join()
            os._exit(1)
        return
    # POSIX re-parents an orphan (to init or a subreaper) at once, so a changed getppid() is a
    # dead parent even once its pid is reused. Under forkserver the parent is the server, not
    # the build, hence also the signal-0 probe of the build itself. Polling
    # works on every POSIX kernel and start method; PR_SET_PDEATHSIG is Linux-only and fires
    # when the thread that forked the worker ends, not its process.
    started_by = os.getppid()
    while os.getppid() == started_by and _alive(parent):
        time.sleep(0.1)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is not ours to signal
        return True
    return True


def in_order(work: Callable[[Path], T], specs: Sequence[Path], jobs: int) -> Iterator[T]:
    """``work`` on each spec, results in input order; spread over ``jobs`` processes when asked,
    at most one per spec and per CPU.
    """
    jobs = _workers(jobs, len(specs))
    if jobs <= 1:
        yield from map(work, specs)  # lazily, so one spec at a time is in memory
        return
    from concurrent.futures import ProcessPoolExecutor

    # Chunks save a round trip per spec; several chunks per worker keep every worker busy.
    chunk = max(1, min(64, len(specs) // (jobs * 4)))
    pool = ProcessPoolExecutor(jobs, initializer=_stop_with, initargs=(os.getpid(),))
    try:
        yield from pool.map(work, specs, chunksize=chunk)
    finally:
        pool.shutdown(cancel_futures=True)  # after an error, start no more specs


@dataclass(frozen=True, slots=True)
class Runs:
    """The parallel runs among the specs given to ``build`` or ``check``: for each spec, the
    other specs given for its tenant (``tenant.organization``, casefolded as tenants.py does).
    """

    others: Mapping[str, tuple[Parallel, ...]]
    # Specs given by file name with no other spec of their tenant, and the specs of a tenant
    # one of whose specs has errors: the specs given do not tell their parallel run.
    untold: frozenset[str]
    together: str
    """The command that builds the specs given together."""

    def of(self, path: Path) -> tuple[Parallel, ...] | None:
        """The other specs of the tenant of ``path``; ``None`` when the specs given do not tell."""
        return None if str(path) in self.untold else self.others.get(str(path), ())


def _parallel_runs(
    paths: Sequence[str],
    specs: Sequence[Path],
    out_dir: Path,
    jobs: int,
    read_by_build: tuple[Sequence[str | None], Mapping[Path, Parallel | None]] | None = None,
) -> Runs:
    """Which specs among ``specs`` (``paths`` expanded) journal one tenant, from the YAML alone
    first, so the full front end runs again only for specs that share their tenant.
    ``read_by_build``: each spec's organization and, for those that share one, its record, as
    build's clash pass found them.
    """
    files = {Path(raw) for raw in paths if not Path(raw).is_dir()}
    if read_by_build is not None:
        organizations, read = read_by_build
    elif len(specs) > 1:
        organizations, read = list(in_order(_organization, specs, jobs)), {}
    else:
        organizations, read = [None] * len(specs), {}
    counts = Counter(org for org in organizations if org is not None)
    tenants: dict[str, list[Path]] = {}
    untold = set()
    for spec, org in zip(specs, organizations, strict=True):
        if org is not None and counts[org] > 1:
            tenants.setdefault(org, []).append(spec)
        elif spec in files:
            untold.add(str(spec))
    if read_by_build is None:
        shared = [spec for group in tenants.values() for spec in group]
        read = dict(zip(shared, in_order(_parallel_one, shared, jobs), strict=True))
    others: dict[str, tuple[Parallel, ...]] = {}
    for group in tenants.values():
        found = [read[spec] for spec in group]
        known = [p for p in found if p is not None]
        for spec, mine in zip(group, found, strict=True):
            if mine is None or len(known) < len(found):
                untold.add(str(spec))  # a spec of the tenant has errors: reported, and untold
            else:
                rest = (p for p in known if p is not mine)
                others[str(spec)] = tuple(sorted(rest, key=lambda p: p.spec_name))
    together = f"journalgen build {' '.join(paths)} --out-dir {out_dir}"
    return Runs(others, frozenset(untold), together)


def _parallel_one(path: Path) -> Parallel | None:
    """What the CHANGE.md of another spec of the tenant says of this one; ``None`` on errors."""
    from journalgen.change import Parallel
    from journalgen.compiler import plan_for

    try:
        return Parallel.of(plan_for(check_file(str(path))))
    except SpecError:
        return None


@dataclass(frozen=True, slots=True)
class Previous:
    """What ``build`` compares each spec with: one earlier spec, or each spec at a git revision."""

    spec: Checked | None = None
    rev: str | None = None


def _earlier(
    path: Path, previous: Previous, current: bytes
) -> tuple[Checked | None, Sequence[Diagnostic]]:
    """The earlier version of the spec at ``path`` to compare with, or its errors.

    A spec whose bytes at the revision are ``current`` (its bytes now) has no change to show:
    it is built as without ``--previous-rev``, so its bundle keeps what it holds.
    """
    from journalgen.compiler import check_source
    from journalgen.history import same_spec, spec_at

    if previous.rev is None:
        return previous.spec, ()
    source = spec_at(previous.rev, path)
    if source is None or same_spec(source, current):  # new, or unchanged, since the revision
        return None, ()
    name = f"{previous.rev}:{path}"
    try:
        return check_source(source, name), ()
    except SpecError as exc:
        return None, exc.diagnostics


def _other_tenant(checked: Checked, old: Checked) -> list[Diagnostic]:
    """A warning when the earlier spec configures another tenant than ``checked``."""
    from journalgen.compiler import locate
    from journalgen.diagnostics import Finding
    from journalgen.loader import load_yaml

    if old.resolved.organization.lower() == checked.resolved.organization.lower():
        return []
    message = (
        f"the earlier spec is for {old.resolved.organization}, this one for "
        f"{checked.resolved.organization}; CHANGE.md compares two different tenants"
    )
    finding = Finding("JG027", ("tenant", "organization"), message)
    return locate(old.file, load_yaml(old.source, old.file).index, [finding])


def _build_one(
    path: Path,
    *,
    out_dir: Path,
    strict: bool,
    previous: Previous,
    captured: Captured | None = None,
    paired: Paired | None = None,
    drop_state: bool = False,
    rehearse_with: str | None = None,
    runs: Runs | None = None,
) -> Built:
    """Write one spec's bundle, unless it has errors; its diagnostics, a failed write included.

    ``captured`` is the state given with ``--state FILE``, ``paired`` those of ``--states DIR``
    by tenant, ``runs`` the parallel runs among the specs given. Only the files that differ from the bundle already there are written, and none
    while that bundle stands as built (see :func:`_write_bundle`).
    """
    from journalgen.compiler import plan_for, previous_warnings
    from journalgen.diagnostics import promote_warnings
    from journalgen.write import refuse_links

    try:
        checked = check_file(str(path), strict=strict)
    except SpecError as exc:
        return Built(exc.diagnostics)
    old, problems = _earlier(path, previous, checked.source)
    if problems:
        return Built([*checked.warnings, *problems])
    found = list(checked.warnings)
    if old is not None:
        other = _other_tenant(checked, old)
        found += promote_warnings(other) if strict else other
        found += previous_warnings(checked, old, strict=strict)
    if paired is not None:
        captured, unpaired = paired.state_of(checked)
        found += promote_warnings(unpaired) if strict else unpaired
    against = None
    if captured is not None:
        from journalgen.live import plan_against

        against = plan_against(plan_for(checked), captured)
        # apply.ps1 would stop on the state's errors in its preflight: no bundle to approve.
        found += promote_warnings(against.problems) if strict else against.problems
    if has_errors(found):
        return Built(found)
    folder = out_dir / path.stem
    linked = refuse_links(folder, out_dir)  # again: a link may have appeared since build() looked
    if linked:
        return Built([*found, *linked])
    record = None
    if rehearse_with is not None and captured is not None and against is not None:
        from journalgen.rehearse import for_build

        # A rehearsal that fails leaves no bundle to approve: nothing is written (JG037).
        record, failed = for_build(checked, captured, against, rehearse_with)
        if failed:
            return Built([*found, *failed])
    return _write_bundle(
        folder,
        checked,
        old,
        against,
        found,
        states_given=paired is not None,
        drop_state=drop_state,
        rehearsal=record,
        parallel=None if runs is None else runs.of(path),
    )


@dataclass(frozen=True, slots=True)
class Built:
    """What building one spec found, whether it wrote any file, and a note for the build's output."""

    diagnostics: Sequence[Diagnostic]
    wrote: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Paired:
    """The states of ``build --states DIR``, by tenant (its organization, casefolded)."""

    folder: str
    by_tenant: Mapping[str, Captured]
    # Tenants whose state in the folder cannot be used, and why.
    unusable: Mapping[str, str]

    def state_of(self, checked: Checked) -> tuple[Captured | None, list[Diagnostic]]:
        """The state of the spec's tenant, or why there is none (JG043 error, JG040 warning)."""
        organization = checked.resolved.organization
        why = self.unusable.get(organization.casefold())
        if why is not None:
            message = f"not built, so its bundle is left as it is: {why}"
            return None, _at_tenant(checked, "JG043", message)
        state = self.by_tenant.get(organization.casefold())
        if state is None:
            message = (
                f"no state in {self.folder} is for {organization}, so CHANGE.md shows no changes "
                f"against the tenant; capture it into {self.folder} (journalgen capture-script "
                f"--organization {organization})"
            )
            return None, _at_tenant(checked, "JG040", message)
        return state, []


def _at_tenant(checked: Checked, code: str, message: str) -> list[Diagnostic]:
    """``message`` at the spec's ``tenant.organization``."""
    from journalgen.compiler import locate
    from journalgen.diagnostics import Finding
    from journalgen.loader import load_yaml

    finding = Finding(code, ("tenant", "organization"), message)
    return locate(checked.file, load_yaml(checked.source, checked.file).index, [finding])


def _write_bundle(
    folder: Path,
    checked: Checked,
    old: Checked | None,
    against: LivePlan | None,
    found: list[Diagnostic],
    *,
    states_given: bool,
    drop_state: bool,
    rehearsal: Record | None = None,
    parallel: Sequence[Parallel] | None = None,
) -> Built:
    """Write the files of the bundle in ``folder`` that differ from what it holds, if any.

    A bundle that stands as built (:func:`_stands`) is left as it is when this build compares
    with no earlier spec: an unchanged spec keeps the comparison and the changes against the
    tenant it was approved with. A bundle built against a state that this build has none for is
    left as it is (JG042), unless ``drop_state``; with ``--states`` that holds even while it
    stands, since there the state folder decides the section. ``parallel`` are the other specs
    given for the tenant; ``None``: the specs given do not tell, so the bundle keeps the parallel
    run its manifest records.
    """
    from journalgen.bundle import (
        BUNDLE_FILES,
        described_state,
        read_bundle,
        recorded_manifest,
        recorded_state,
        settled_parallel,
    )
    from journalgen.compiler import compile_bundle
    from journalgen.write import _sweep, write_files

    existing, _ = read_bundle(folder)  # a file that cannot be read is written over, or JG024
    recorded = recorded_manifest(existing)
    held = recorded_state(recorded)
    lost = held is not None and against is None
    if (
        old is None
        and not (lost and states_given)
        and (rehearsal is None or recorded.get("rehearsal") == rehearsal.as_manifest())
        and _stands(folder, checked, existing, recorded, against, parallel)
    ):
        _sweep(folder, BUNDLE_FILES)  # what a killed build left beside the files it kept
        return Built(found)
    note = None
    if held is not None and lost:
        if not drop_state:
            message = (
                f"built against the state {described_state(held)}, and this build has no state "
                "for its tenant, so the bundle is left as it is: rebuilding would drop the "
                "changes against the tenant the board approved; give the states with "
                "--states DIR (or --state FILE) to carry them over, or build with --drop-state "
                "to drop them"
            )
            return Built([*found, Diagnostic(str(folder), 1, 1, "JG042", message)])
        note = (
            f"{folder}: built without the changes against the tenant of the state "
            f"{described_state(held)} it held (--drop-state)"
        )
    others = settled_parallel(recorded, parallel)
    if parallel is None and others:
        kept = (
            f"{folder}: kept the parallel run its manifest records, on its word: "
            f"{', '.join(o.spec_name for o in others)}; build the specs folder to derive it again"
        )
        note = kept if note is None else f"{note}; {kept}"
    fresh = compile_bundle(checked, old, against, rehearsal=rehearsal, parallel=others)
    changed = {name: data for name, data in fresh.items() if existing.get(name) != data}
    try:
        # No fsync per file: build() makes everything durable once, at its end (see write.py).
        if changed:
            write_files(folder, changed, fsync=False)
    except OutputError as exc:
        # The write is all or nothing, so the other bundles are safe to build and report.
        return Built([*found, Diagnostic(str(folder), 1, 1, "JG024", str(exc))])
    _sweep(folder, BUNDLE_FILES)
    return Built(found, wrote=bool(changed), note=note)


def _stands(
    folder: Path,
    checked: Checked,
    existing: Mapping[str, bytes],
    recorded: Mapping[str, object],
    against: LivePlan | None,
    parallel: Sequence[Parallel] | None = None,
) -> bool:
    """Whether the bundle files ``existing`` are, byte for byte, what ``check`` accepts for
    ``checked`` given what their manifest records, and their changes against the tenant are what
    ``against``'s state gives (when there is one).
    """
    from journalgen.bundle import expected_bundle, recorded_state, verify_state_section
    from journalgen.plan import spec_sha256

    if recorded.get("spec_sha256") != spec_sha256(checked.source):
        return False  # the spec changed: no need to compile what it was
    held = recorded_state(recorded)
    if against is not None and (held is None or held.get("sha256") != against.state.sha256):
        return False
    expected = expected_bundle(checked, existing, recorded, parallel)
    if any(existing.get(name) != data for name, data in expected.items()):
        return False
    if against is None or held is None:
        return True
    change = existing["CHANGE.md"]
    return not verify_state_section(checked, folder / "CHANGE.md", change, held, [against.state])


def _pair_states(outcome: Outcome, folder: str) -> Paired:
    """The states of ``--states`` ``folder`` by tenant; each state that cannot be used is
    reported in ``outcome``, and its tenant, when it can be read, gets no bundle (JG043).
    """
    names = _states_in(folder)
    loaded = _load_states(outcome, names)
    tenants: dict[str, list[Captured]] = {}
    for captured in loaded:
        tenants.setdefault(captured.state.organization.casefold(), []).append(captured)
    unusable: dict[str, str] = {}
    for tenant, several in tenants.items():
        if len(several) < 2:
            continue
        files = ", ".join(s.file for s in several)
        organization = several[0].state.organization
        unusable[tenant] = f"{len(several)} states in {folder} are for {organization}: {files}"
        for captured in several:
            message = (
                f"{len(several)} states in {folder} are for {organization} ({files}); a spec is "
                "paired with the one state of its tenant: keep one, the capture CHANGE.md "
                "should show"
            )
            at = captured.at(("organization",))
            outcome.add(captured.file, [Diagnostic.at(captured.file, at, "JG041", message)])
    read = {captured.file for captured in loaded}
    for name in names:
        named = _state_organization(name) if name not in read else None
        if named is not None:
            # Its tenant's bundle stays as approved rather than lose its section to a typo.
            unusable[named.casefold()] = f"its state {name} has errors (reported there)"
    by_tenant = {t: s[0] for t, s in tenants.items() if t not in unusable}
    return Paired(folder, by_tenant, unusable)


def _state_organization(name: str) -> str | None:
    """The organization a state file names, read from its JSON alone; ``None`` when it cannot tell."""
    import contextlib
    import json

    from journalgen.state import MAX_BYTES

    with contextlib.suppress(SpecError, ValueError):
        data = json.loads(_read_limited(Path(name), MAX_BYTES, "file").decode("utf-8-sig"))
        organization = data.get("organization") if isinstance(data, dict) else None
        return organization if isinstance(organization, str) and organization else None
    return None


def build(
    paths: Iterable[str],
    out_dir: Path,
    *,
    strict: bool,
    previous: str | None = None,
    previous_rev: str | None = None,
    state: str | None = None,
    states_dir: str | None = None,
    drop_state: bool = False,
    jobs: int = 1,
    rehearse: bool = False,
) -> Outcome:
    """Compile each spec into ``out_dir/<stem>/``, one at a time.

    A bad spec, or a bundle that cannot be written, is reported and the next spec built. A
    bundle folder or file that is a link, or lies outside ``out_dir``, stops the build before
    anything is written. ``states_dir`` pairs each spec with the state of its tenant there; a
    state with errors stops only its tenant's bundle. A bundle that already holds what the spec
    compiles to is not written again (see :func:`_write_bundle`).
    """
    paths = list(paths)
    _files_only(paths, "build")
    outcome = Outcome()
    if not _pinned(outcome):
        return outcome
    specs = list(expand_inputs(paths))
    _unique_stems(specs)
    if previous is not None and previous_rev is not None:
        raise UsageError("give --previous or --previous-rev, not both")
    if state is not None and states_dir is not None:
        raise UsageError(
            "give --state FILE or --states DIR, not both: --state is for one spec, --states "
            "pairs each spec with the state of its tenant"
        )
    if drop_state and (state is not None or states_dir is not None):
        raise UsageError(
            "give --drop-state or --state/--states, not both: --drop-state builds without a "
            "state the bundles that were built against one"
        )
    rehearse_with = None
    if rehearse:
        if state is None and states_dir is None:
            raise UsageError(
                "--rehearse runs the scripts against a captured tenant: give --state FILE or "
                "--states DIR"
            )
        rehearse_with = _shell("pwsh")
    if previous is not None and len(specs) != 1:
        raise UsageError(
            "--previous compares one spec with its earlier version; give one spec, "
            "or use --previous-rev REV for many"
        )
    earlier = Previous(rev=previous_rev)
    if previous_rev is not None:
        from journalgen.history import check_rev

        for folder in {spec.parent for spec in specs}:
            check_rev(previous_rev, folder)
    if previous is not None:
        try:
            earlier = Previous(spec=check_file(previous))
        except SpecError as exc:
            outcome.files.append(previous)
            outcome.add(previous, exc.diagnostics)
            return outcome
    from journalgen.write import sync_to_disk

    captured = None
    if state is not None:
        if len(specs) != 1:
            raise UsageError("--state compares one spec with a captured tenant; give one spec")
        try:
            captured = load_state_file(state)
        except SpecError as exc:
            outcome.files.append(state)
            outcome.add(state, exc.diagnostics)
            return outcome
    paired = None if states_dir is None else _pair_states(outcome, states_dir)
    clashing: dict[str, list[Diagnostic]] = {}
    organizations: list[str | None] = [None] * len(specs)
    read: dict[Path, Parallel | None] = {}
    if len(specs) > 1:
        # Specs for one tenant must not clash; a spec that does is not built. Only specs that
        # share their organization with another can clash, and reading the YAML alone tells
        # which, so the full front end runs twice only for those. Claims are small, so this
        # first pass keeps memory flat as the build does.
        organizations = list(in_order(_organization, specs, jobs))
        counts = Counter(organizations)
        shared = [
            spec
            for spec, org in zip(specs, organizations, strict=True)
            if org is not None and counts[org] > 1
        ]
        found = list(in_order(functools.partial(_claims_one, strict=strict), shared, jobs))
        clashing = _clashes_by_file([c for c, _ in found if c is not None])
        read = dict(zip(shared, (p for _, p in found), strict=True))  # the parallel runs too
    from journalgen.write import refuse_links, shown_path

    # A linked bundle folder or file would be written through: refused before anything is written.
    linked = {str(spec): refuse_links(out_dir / spec.stem, out_dir) for spec in specs}
    if any(linked.values()):
        for spec in specs:
            outcome.files.append(shown_path(spec))
            outcome.diagnostics += [*clashing.get(str(spec), ()), *linked[str(spec)]]
            outcome.failed.append(shown_path(spec))
        return outcome
    work = functools.partial(
        _build_one,
        out_dir=out_dir,
        strict=strict,
        previous=earlier,
        captured=captured,
        paired=paired,
        drop_state=drop_state,
        rehearse_with=rehearse_with,
        runs=_parallel_runs(paths, specs, out_dir, jobs, (organizations, read)),
    )
    todo = [path for path in specs if str(path) not in clashing]
    results = iter(zip(todo, in_order(work, todo, jobs), strict=True))
    wrote = False
    try:
        # Only names and diagnostics are kept per spec, so memory stays flat however many there are.
        for path in specs:
            if str(path) in clashing:
                diagnostics: Sequence[Diagnostic] = clashing[str(path)]
            else:
                _, built = next(results)
                diagnostics = built.diagnostics
                wrote = wrote or built.wrote
                if built.note is not None:
                    outcome.notes.append(built.note)
            outcome.files.append(shown_path(path))
            outcome.add(shown_path(path), diagnostics)
    except BaseException:
        sync_to_disk()  # what was written before the failure stays
        raise
    if wrote:
        sync_to_disk()  # one barrier for the whole build, the --jobs workers' files included
    return outcome


def check(
    paths: Iterable[str],
    out_dir: Path,
    *,
    strict: bool,
    jobs: int = 1,
    states: Sequence[str] = (),
    states_dir: str | None = None,
    rehearse: bool = False,
) -> Outcome:
    """Compare each spec's bundle in ``out_dir`` with what the spec compiles to now.

    When a folder of specs is given, every bundle in ``out_dir`` must belong to one of them.
    ``states`` (files) and ``states_dir`` (a folder of them) are captured states: a bundle built
    with ``--state`` has its changes against the tenant re-rendered from the state it recorded.
    """
    from journalgen.bundle import Comparison
    from journalgen.write import shown_path

    paths = list(paths)
    _files_only(paths, "check")
    outcome = Outcome()
    if not _pinned(outcome):
        return outcome
    if not out_dir.is_dir():
        raise UsageError(f"--out-dir {out_dir}: the folder does not exist; build the bundles first")
    specs = list(expand_inputs(paths))
    _unique_stems(specs)
    given = _load_states(outcome, states)
    folder = _load_states(outcome, _states_in(states_dir))
    pool = _dedupe([*given, *folder])
    # A state given by name, or the only state of its tenant in the folder (as build --states
    # pairs them), is the tenant's state: a bundle built against another one is out of date.
    # Several states of one tenant in a folder are a pool: none of them is "the" state.
    tenants = Counter(state.state.organization.casefold() for state in folder)
    required = frozenset(state.sha256 for state in given) | frozenset(
        state.sha256 for state in folder if tenants[state.state.organization.casefold()] == 1
    )
    work = functools.partial(
        _check_one,
        out_dir=out_dir,
        strict=strict,
        states=pool,
        required=required,
        runs=_parallel_runs(paths, specs, out_dir, jobs),
        rehearse_with=_shell("pwsh") if rehearse else None,
    )
    claims: list[Claims] = []
    built_against: list[tuple[str, str]] = []
    for path, (found, claimed) in zip(specs, in_order(work, specs, jobs), strict=True):
        name = shown_path(path)
        outcome.files.append(name)
        if claimed is not None:
            claims.append(claimed)
        if isinstance(found, Comparison):
            outcome.add(name, found.diagnostics)
            outcome.notes += found.notes
            outcome.signed += found.signed
            if found.built_against is not None:
                built_against.append(found.built_against)
        else:
            outcome.add(name, found)
    _add_clashes(outcome, claims)
    for unused in _unused(given, built_against):
        outcome.add(unused.file, [_unused_state(unused)])
    if any(Path(raw).is_dir() for raw in paths):
        outcome.add(str(out_dir), _orphans(out_dir, {spec.stem for spec in specs}))
    return outcome


def _orphans(out_dir: Path, stems: set[str]) -> list[Diagnostic]:
    """Bundle folders in ``out_dir`` that belong to none of the specs.

    Only a folder that looks like a bundle is one: ``--out-dir .`` also holds the specs folder.
    """
    from journalgen.bundle import cannot_read, looks_like_bundle

    try:
        folders = sorted(out_dir.iterdir())
    except OSError as exc:
        return [cannot_read(out_dir, exc)]
    found = []
    for folder in folders:
        if folder.name.startswith(".") or folder.name in stems or not folder.is_dir():
            continue
        try:
            if not looks_like_bundle(folder):
                continue
        except OSError as exc:  # it may be a bundle, and no one can tell
            found.append(cannot_read(folder, exc))
            continue
        message = (
            f"a bundle with no spec named {folder.name}.yaml among the specs given "
            "(was it deleted?); delete the bundle, or restore its spec"
        )
        found.append(Diagnostic(str(folder), 1, 1, "JG028", message))
    return found


def _check_one(
    path: Path,
    *,
    out_dir: Path,
    strict: bool,
    states: Sequence[Captured] | None = None,
    required: frozenset[str] = frozenset(),
    runs: Runs | None = None,
    rehearse_with: str | None = None,
) -> tuple[Comparison | Sequence[Diagnostic], Claims | None]:
    """Every difference between one spec's bundle and what the spec compiles to now, and what
    the spec claims in its tenant.

    ``states`` are the states given to ``check`` (``None``: none given); ``required`` the hashes
    of those given with ``--state`` rather than in a ``--states`` folder; ``runs`` the parallel
    runs among the specs given.
    """
    from journalgen.bundle import compare_bundle
    from journalgen.tenants import Claims
    from journalgen.write import refuse_links

    name = str(path)
    try:
        checked = check_file(name, strict=strict)
    except SpecError as exc:
        return exc.diagnostics, None
    rebuild = f"journalgen build {name} --out-dir {out_dir}"
    folder = out_dir / path.stem
    # A linked folder or file may hold the expected bytes today and another file's tomorrow.
    linked = refuse_links(folder, out_dir)
    if linked:
        return linked, Claims.of(checked)
    found = compare_bundle(
        checked,
        folder,
        rebuild=rebuild,
        states=states,
        required=required,
        strict=strict,
        parallel=None if runs is None else runs.of(path),
        together=None if runs is None else runs.together,
    )
    if rehearse_with is not None and not has_errors(found.diagnostics):
        from journalgen.bundle import NOT_RUN_AGAIN
        from journalgen.diagnostics import promote_warnings
        from journalgen.rehearse import reproduce

        again, note = reproduce(checked, folder, states or (), rehearse_with)
        found.diagnostics += promote_warnings(again) if strict else again
        found.notes = [n for n in found.notes if not n.endswith(NOT_RUN_AGAIN)]
        found.notes += [note] if note is not None else []
    return found, Claims.of(checked)


def _states_in(folder: str | None) -> list[str]:
    """The ``*.json`` files of a ``--states`` folder, in a stable order."""
    if folder is None:
        return []
    try:
        found = sorted(
            str(p) for p in Path(folder).iterdir() if p.suffix == ".json" and p.is_file()
        )
    except OSError as exc:
        raise UsageError(f"--states {folder}: {exc.strerror or type(exc).__name__}") from None
    if not found:
        raise UsageError(f"no *.json state files in folder {folder}")
    return found


def _load_states(outcome: Outcome, names: Sequence[str]) -> list[Captured]:
    """The states in files ``names``; each one that cannot be loaded is reported in ``outcome``."""
    loaded = []
    for name in names:
        try:
            loaded.append(load_state_file(name))
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
    return loaded


def _dedupe(states: Sequence[Captured]) -> list[Captured] | None:
    """One state per hash (``None`` when there are none: the sections are unverified)."""
    unique: dict[str, Captured] = {}
    for state in states:
        unique.setdefault(state.sha256, state)
    return list(unique.values()) or None


def _unused(given: Sequence[Captured], built_against: Sequence[tuple[str, str]]) -> list[Captured]:
    """The states given with ``--state`` whose tenant has no bundle built against a state.

    ``built_against`` holds the hash and tenant of the state each bundle recorded; a bundle
    built against another state of the tenant is reported at the bundle.
    """
    return [
        state
        for state in given
        if not any(
            sha == state.sha256 or tenant == state.state.organization.casefold()
            for sha, tenant in built_against
        )
    ]


def _unused_state(state: Captured) -> Diagnostic:
    organization = state.state.organization
    message = (
        f"no bundle of the specs given was built against a state of {organization}, so this "
        "state verifies nothing; build the tenant's bundle with --state, or leave this state out"
    )
    return Diagnostic.at(state.file, state.at(("organization",)), "JG030", message)


def render(path: str, *, strict: bool) -> tuple[Outcome, bytes | None]:
    """The apply script of one spec, in memory."""
    from journalgen.compiler import compile_bundle

    if path == STDIN:
        # The script names its spec (SpecName, the backup file), and standard input has no name.
        raise UsageError(
            "render needs a spec file, since the script is named after it: '-' (standard input) "
            "works with validate and explain"
        )
    outcome = Outcome(files=[path])
    if not _pinned(outcome):
        return outcome, None
    try:
        checked = check_file(path, strict=strict)
    except SpecError as exc:
        outcome.add(path, exc.diagnostics)
        return outcome, None
    outcome.add(path, checked.warnings)
    return outcome, compile_bundle(checked)["apply.ps1"]


def engine(*, hash_only: bool) -> bytes:
    """The engine every spec of this version embeds, byte for byte as hashed; or its SHA-256."""
    from journalgen.emit import engine_bytes, engine_sha256

    if hash_only:
        return (engine_sha256() + "\n").encode("ascii")
    return engine_bytes()


def explain(path: str, fmt: str) -> tuple[Outcome, str | None]:
    """The resolved spec with the origin of every value, or the spec's diagnostics."""
    from journalgen import explain as explainer

    outcome = Outcome(files=[path])
    if not _pinned(outcome):
        return outcome, None
    try:
        checked = check_file(path)
    except SpecError as exc:
        outcome.add(path, exc.diagnostics)
        return outcome, None
    return outcome, explainer.render(checked, fmt)


def presets(fmt: str) -> str:
    """The vendor presets, for people (text) or machines (json)."""
    from journalgen import catalog

    return catalog.render(fmt)


def _may_write(output: Path | None, *, force: bool) -> None:
    """Refuse, before any work, to overwrite ``output`` without ``--force``."""
    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} already exists; use --force to overwrite it")


def _write_spec(output: Path | None, text: str) -> None:
    if output is not None:
        from journalgen.write import write_atomic

        write_atomic(output, text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Started:
    """A starter spec from ``init``: its text, and what is still to do before it validates."""

    text: str
    remaining: list[Diagnostic]


def init(request: InitRequest, ask: Ask | None, *, output: Path | None, force: bool) -> Started:
    """A commented starter spec from a vendor preset, written to ``output`` when one is given."""
    from journalgen import scaffold

    require_pin()
    _may_write(output, force=force)
    text = scaffold.render(scaffold.complete(request, ask))
    _write_spec(output, text)
    return Started(text, scaffold.remaining(text, str(output) if output else "-"))


def init_repo(folder: Path, *, force: bool) -> tuple[list[tuple[str, bool]], list[str]]:
    """A new spec repository written into ``folder``: each file written (and whether it replaced
    one), then the next steps to print.

    No `.journalgen-version` around is read: the new repository gets its own pin, this version.
    """
    from journalgen import initrepo

    has_git = (folder / ".git").exists()
    written = initrepo.write_repo(folder, force=force)
    return [(w.path, w.replaced) for w in written], initrepo.next_steps(folder, has_git=has_git)


def load_state_file(name: str) -> Captured:
    """The captured state in file ``name``, read no more than one byte past the size limit."""
    from journalgen.state import MAX_BYTES, load_state

    return load_state(_read_limited(Path(name), MAX_BYTES, "file"), name)


def probe(cloud: str) -> bytes:
    """The probe script for a test tenant in ``cloud``."""
    from journalgen.emit import render_probe

    return render_probe(cloud)


def capture_script(organization: str | None, cloud: str) -> bytes:
    """The read-only capture script; a usage error when ``organization`` cannot be in ``cloud``."""
    from journalgen.capture import organization_problem
    from journalgen.emit import render_capture

    require_pin()
    problem = None if organization is None else organization_problem(organization, cloud)
    if problem is not None:
        raise UsageError(f"--organization: {problem}")
    return render_capture(organization, cloud)


@dataclass(frozen=True, slots=True)
class Planned:
    """``plan``'s result: the diagnostics, the plan as text or JSON, and whether anything changes."""

    outcome: Outcome
    text: str | None
    changed: bool


def plan(spec: str, state: str, fmt: str) -> Planned:
    """What apply.ps1 of ``spec`` would do in the tenant captured in ``state``."""
    from journalgen import live
    from journalgen.compiler import plan_for

    outcome = Outcome(files=[spec, state])
    if not _pinned(outcome):
        return Planned(outcome, None, False)
    try:
        checked = check_file(spec)
    except SpecError as exc:
        outcome.add(spec, exc.diagnostics)
        return Planned(outcome, None, False)
    outcome.add(spec, checked.warnings)
    try:
        captured = load_state_file(state)
    except SpecError as exc:
        outcome.add(state, exc.diagnostics)
        return Planned(outcome, None, False)
    against = live.plan_against(plan_for(checked), captured)
    outcome.add(state, against.problems)
    if fmt == "json":
        return Planned(outcome, live.as_json(against, outcome.diagnostics), against.changed)
    return Planned(outcome, live.text(against), against.changed)


def plan_fleet(
    paths: Sequence[str],
    states_dir: str,
    fmt: str,
    *,
    now: datetime,
    max_age: int,
    details: bool = False,
) -> Planned:
    """Each spec of ``paths`` planned against the state of its tenant in ``states_dir``."""
    from journalgen import fleet

    outcome, found = _fleet(paths, states_dir, now=now, max_age=max_age)
    if found is None:
        return Planned(outcome, None, False)
    text = fleet.as_json(found) if fmt == "json" else fleet.text(found, details=details)
    return Planned(outcome, text, found.changed)


def _fleet(
    paths: Sequence[str], states_dir: str, *, now: datetime, max_age: int
) -> tuple[Outcome, Fleet | None]:
    """The fleet's rows, and all they found (``None`` when the pin refused this journalgen)."""
    from journalgen import fleet, live
    from journalgen.compiler import plan_for
    from journalgen.write import shown_path

    _files_only(paths, "plan")
    outcome = Outcome()
    if not _pinned(outcome):
        return outcome, None
    specs = list(expand_inputs(paths))
    paired = _pair_states(outcome, states_dir)
    from_states = list(outcome.diagnostics)
    used: set[str] = set()
    rows = []
    for path in specs:
        name = shown_path(path)
        outcome.files.append(name)
        try:
            checked = check_file(str(path))
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
            rows.append(fleet.failed_row(name, _organization(path), exc.diagnostics))
            continue
        tenant = checked.resolved.organization
        found = list(checked.warnings)
        captured = paired.by_tenant.get(tenant.casefold())
        why = paired.unusable.get(tenant.casefold())
        against = None
        if why is not None:
            found += _at_tenant(checked, "JG046", f"not planned: {why}")
        elif captured is None:
            message = (
                f"no state in {states_dir} is for {tenant}, so nothing tells whether it matches "
                f"this spec; capture it into {states_dir} (journalgen capture-script "
                f"--organization {tenant})"
            )
            found += _at_tenant(checked, "JG045", message)
        else:
            used.add(tenant.casefold())
            against = live.plan_against(plan_for(checked), captured)
            found += against.problems
        made, _ = fleet.row(name, checked, found, against, now, max_age)
        outcome.add(name, made.diagnostics)
        rows.append(made)
    unused = tuple(sorted(s.file for t, s in paired.by_tenant.items() if t not in used))
    result = fleet.Fleet(states_dir, now, max_age, tuple(rows), unused, tuple(from_states))
    return outcome, result


def report(
    paths: Sequence[str],
    states_dir: str,
    *,
    out_dir: Path | None,
    output: Path | None,
    now: datetime,
    made_at: datetime,
    max_age: int,
) -> tuple[Outcome, bytes | None]:
    """The fleet report page; with ``out_dir``, each row links to its bundle's CHANGE.md,
    relative to the folder of ``output`` (the current folder without one).
    """
    import posixpath
    from urllib.parse import quote

    from journalgen import fleet_report

    outcome, found = _fleet(paths, states_dir, now=now, max_age=max_age)
    if found is None:
        return outcome, None
    links: dict[str, str] | None = None
    if out_dir is not None:
        links = {}
        base = os.path.abspath(output.parent if output is not None else ".")
        for row in found.rows:
            change = out_dir / row.spec_name / "CHANGE.md"
            if not change.is_file():
                message = (
                    f"no {change} to link to: build the bundle (journalgen build {row.spec} "
                    f"--out-dir {out_dir}), or leave --out-dir out"
                )
                outcome.add(row.spec, [Diagnostic(str(change.parent), 1, 1, "JG049", message)])
                continue
            relative = os.path.relpath(os.path.abspath(change), base)
            # A path, not a URL: '#', '?', '%' and ':' in a name must not start anything.
            links[row.spec] = quote(posixpath.join(*Path(relative).parts))
    return outcome, fleet_report.render(found, made_at=made_at, links=links)


@dataclass(frozen=True, slots=True)
class Imported:
    """A spec from ``import``: its text, what ``validate`` says of it, and its plan against the state.

    ``text`` is ``None`` when the state cannot be read; ``remaining`` then holds why.
    """

    text: str | None
    remaining: list[Diagnostic]
    summary: str | None
    problems: list[Diagnostic] = field(default_factory=list)
    """What the plan against the state found (the errors its summary counts, its warnings)."""
    undecided: list[str] = field(default_factory=list)
    """The lines naming the preflight checks the state could not decide."""


def import_state(
    state: str, request: ImportRequest, *, output: Path | None, force: bool
) -> Imported:
    """A commented spec adopting the setup in ``state``, written to ``output`` when one is given."""
    from journalgen import importer, live
    from journalgen.compiler import check_source, plan_for

    require_pin()
    _may_write(output, force=force)
    try:
        captured = load_state_file(state)
        # render refuses, at their positions, state values no spec can hold.
        text = importer.render(captured, request)
    except SpecError as exc:
        return Imported(None, list(exc.diagnostics), None)
    name = str(output) if output else "-"
    summary = None
    problems: list[Diagnostic] = []
    undecided: list[str] = []
    try:
        checked = check_source(text.encode("utf-8"), name)
    except SpecError as exc:
        remaining = list(exc.diagnostics)
    else:
        remaining = list(checked.warnings)
        against = live.plan_against(plan_for(checked), captured)
        summary = live.summary(against)
        problems = list(against.problems)
        undecided = live.undecided_lines(against)
    _write_spec(output, text)
    return Imported(text, remaining, summary, problems, undecided)


@dataclass(frozen=True, slots=True)
class Rehearsed:
    """``rehearse``'s result: the diagnostics, the report as text or JSON, and whether it passed."""

    outcome: Outcome
    text: str | None
    passed: bool


def _faults(fail_write: int | None, throttle: str | None) -> dict[str, object]:
    """The simulator's fault plan for ``--fail-write K`` and ``--throttle N[:T]``."""
    faults: dict[str, object] = {}
    if fail_write is not None:
        faults["fail_write"] = fail_write
    if throttle is not None:
        at, _, times = throttle.partition(":")
        if not (
            at.isdigit() and int(at) > 0 and (not times or (times.isdigit() and int(times) > 0))
        ):
            raise UsageError(
                f"--throttle {throttle}: give the call to throttle from, N or N:T (T calls)"
            )
        faults["throttle"] = {"at": int(at), "times": int(times or 1)}
    return faults


def _shell(shell: str) -> str:
    """The PowerShell program to rehearse with, or the usage error that says how to get it."""
    import shutil

    from journalgen.simulator import INSTALL_HINT, find_pwsh

    if shell == "pwsh":
        found = find_pwsh()
        if found is None:
            raise UsageError(INSTALL_HINT)
        return found
    found = shutil.which("powershell")
    if found is None:
        raise UsageError(
            "Windows PowerShell 5.1 (powershell.exe) was not found; it ships with Windows only. "
            "Use --shell pwsh."
        )
    return found


def rehearse(
    specs: Sequence[str],
    state: str | None,
    fmt: str,
    *,
    states_dir: str | None = None,
    out_dir: Path | None = None,
    shell: str = "pwsh",
    fail_write: int | None = None,
    throttle: str | None = None,
    jobs: int = 1,
) -> Rehearsed:
    """Run a spec's scripts under PowerShell against the simulator seeded with ``state``; or,
    with ``states_dir``, each spec's (files or folders) against the state of its tenant there,
    over ``jobs`` processes, and a row per spec after the reports.
    """
    from journalgen import rehearse as rehearsal
    from journalgen.write import shown_path

    specs = list(specs)
    _files_only(specs, "rehearse")
    if state is not None and states_dir is not None:
        raise UsageError(
            "give --state FILE or --states DIR, not both: --state is for one spec, --states "
            "pairs each spec with the state of its tenant"
        )
    if state is None and states_dir is None:
        raise UsageError(
            "give --state FILE for one spec, or --states DIR to rehearse each spec against the "
            "state of its tenant"
        )
    if state is not None and len(specs) != 1:
        raise UsageError(
            "--state rehearses one spec against a captured tenant; give one spec, or --states "
            "DIR for several"
        )
    outcome = Outcome(files=[specs[0], state] if state is not None else [])
    if not _pinned(outcome):
        return Rehearsed(outcome, None, False)
    faults = _faults(fail_write, throttle)
    program = _shell(shell)
    run = functools.partial(_rehearse_spec, fmt, out_dir, shell, program, faults)
    if state is not None:
        return run({specs[0]: state}, specs[0])[0]
    assert states_dir is not None  # for mypy: one of the two is given
    paths = list(expand_inputs(specs))
    paired = _pair_states(outcome, states_dir)
    from_states = tuple(outcome.diagnostics)
    rows: list[rehearsal.FleetRow] = []
    states: dict[str, str] = {}
    to_run: list[tuple[int, Path]] = []
    for path in paths:
        name = shown_path(path)
        outcome.files.append(name)
        try:
            checked = check_file(str(path))
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
            found = tuple(exc.diagnostics)
            rows.append(rehearsal.FleetRow(name, _organization(path), None, "error", found))
            continue
        tenant = checked.resolved.organization
        captured = paired.by_tenant.get(tenant.casefold())
        why = paired.unusable.get(tenant.casefold())
        if why is None and captured is not None:
            states[str(path)] = captured.file
            to_run.append((len(rows), path))
            rows.append(rehearsal.FleetRow(name, tenant, captured.file, "error"))  # filled below
            continue
        if why is not None:
            missing = _at_tenant(checked, "JG046", f"not rehearsed: {why}")
        else:
            message = (
                f"no state in {states_dir} is for {tenant}, so it is not rehearsed; capture it "
                f"into {states_dir} (journalgen capture-script --organization {tenant})"
            )
            missing = _at_tenant(checked, "JG045", message)
        found = (*checked.warnings, *missing)
        outcome.add(name, found)
        result: rehearsal.FleetResult = "error" if why is not None else "no-state"
        rows.append(rehearsal.FleetRow(name, tenant, None, result, found))
    done = in_order(functools.partial(run, states), [p for _, p in to_run], jobs)
    for (index, _), (one, ran) in zip(to_run, done, strict=True):
        row = rows[index]
        outcome.add(row.spec, one.outcome.diagnostics)
        if not one.passed and row.spec not in outcome.failed:
            outcome.failed.append(row.spec)
        result = rehearsal.fleet_result(ran, one.passed)
        found = tuple(one.outcome.diagnostics)
        rows[index] = rehearsal.FleetRow(row.spec, row.tenant, row.state, result, found, one.text)
    used = {row.tenant.casefold() for row in rows if row.state is not None and row.tenant}
    unused = tuple(sorted(s.file for t, s in paired.by_tenant.items() if t not in used))
    fleet = rehearsal.FleetRehearsal(states_dir, tuple(rows), unused, from_states)
    text = rehearsal.fleet_json(fleet) if fmt == "json" else rehearsal.fleet_text(fleet)
    return Rehearsed(outcome, text, fleet.passed and outcome.ok)


def _rehearse_spec(
    fmt: str,
    out_dir: Path | None,
    shell: str,
    program: str,
    faults: Mapping[str, object],
    states: Mapping[str, str],
    spec: str | Path,
) -> tuple[Rehearsed, str | None]:
    """The rehearsal of ``spec`` against its state in ``states`` (by spec), as ``rehearse
    --state`` reports it, and its :func:`journalgen.rehearse.result` (``None``: none ran).
    Module-level, so that ``--jobs`` processes can run it.
    """
    import json
    import tempfile

    from journalgen import live
    from journalgen import rehearse as rehearsal
    from journalgen.bundle import compare_bundle
    from journalgen.compiler import compile_bundle, plan_for
    from journalgen.emit import engine_sha256
    from journalgen.state import MAX_BYTES, load_state

    spec = str(spec)
    state = states[spec]
    outcome = Outcome(files=[spec, state])
    try:
        checked = check_file(spec)
    except SpecError as exc:
        outcome.add(spec, exc.diagnostics)
        return Rehearsed(outcome, None, False), None
    outcome.add(spec, checked.warnings)
    try:
        raw = _read_limited(Path(state), MAX_BYTES, "file")
        captured = load_state(raw, state)
    except SpecError as exc:
        outcome.add(state, exc.diagnostics)
        return Rehearsed(outcome, None, False), None
    plan = plan_for(checked)
    if out_dir is not None:
        folder = out_dir / Path(spec).stem
        rebuild = f"journalgen build {spec} --out-dir {out_dir}"
        found = compare_bundle(checked, folder, rebuild=rebuild).diagnostics
        outcome.add(spec, found)
        if has_errors(found):
            return Rehearsed(outcome, None, False), None
    against = live.plan_against(plan, captured)
    outcome.add(state, against.problems)
    tenant, assumptions = rehearsal.seed_state(
        json.loads(raw.decode("utf-8-sig")), plan.resolved.ndr.address
    )
    done = rehearsal.Rehearsal(
        spec_name=plan.spec_name,
        spec_sha256=plan.spec_sha256,
        engine_sha256=engine_sha256(),
        state=against.about_state(),
        shell=shell,
        powershell=None,
        faults=faults,
        plan=against,
        assumptions=assumptions,
    )
    with tempfile.TemporaryDirectory(prefix="journalgen-rehearsal-") as temporary:
        work = Path(temporary)
        if out_dir is None:
            folder = work / Path(spec).stem
            folder.mkdir()
            for name, data in compile_bundle(checked).items():
                (folder / name).write_bytes(data)
        (work / "tenant").mkdir()
        request = rehearsal.Request(folder, plan, against, tenant, faults)
        rehearsal.rehearse(request, done, program, work / "tenant")
    passed = done.ok and outcome.ok
    ran = rehearsal.result(done)
    if fmt == "json":
        return Rehearsed(outcome, rehearsal.as_json(done, outcome.diagnostics), passed), ran
    return Rehearsed(outcome, rehearsal.text(done, outcome.diagnostics), passed), ran

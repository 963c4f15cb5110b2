"""A spec's bundle on disk: the files it holds, its manifest, and everything `check` compares."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from journalgen import __version__
from journalgen.change import Parallel, change_record
from journalgen.compiler import Checked, compile_bundle, plan_for
from journalgen.diagnostics import Diagnostic, promote_warnings
from journalgen.emit import engine_sha256
from journalgen.plan import Plan

if TYPE_CHECKING:
    from journalgen.state import Captured

BUNDLE_FILES = ("apply.ps1", "verify.ps1", "rollback.ps1", "CHANGE.md", "manifest.json")

# CHANGE.md's comparison with an earlier spec (--previous) sits between these markers, in its
# own section and in the warnings section; `check` sets every such block aside.
PREVIOUS_SECTION = re.compile(
    rb"<!-- journalgen:previous -->\n.*?<!-- /journalgen:previous -->\n\n", re.DOTALL
)
# ... and its comparison with a captured tenant state (--state) between these, likewise.
STATE_SECTION = re.compile(
    rb"<!-- journalgen:state -->\n.*?<!-- /journalgen:state -->\n\n", re.DOTALL
)
# ... and its rehearsal (--rehearse) between these: `check` renders it again from the manifest.
REHEARSAL_SECTION = re.compile(
    rb"<!-- journalgen:rehearsal -->\n.*?<!-- /journalgen:rehearsal -->\n\n", re.DOTALL
)


# An Authenticode signature block as Set-AuthenticodeSignature, signtool, osslsigncode and jsign
# append it, anchored at the end of the file. jsign strips `\r?\n# SIG # Begin...End...\r?\n`
# with anything between; here every line between must be a base64 comment, because a line that
# is not a comment would run, and so must not be waved through as "signature".
SIGNATURE = re.compile(
    rb"\r?\n# SIG # Begin signature block"
    rb"(?:\r?\n# [A-Za-z0-9+/=]*)*"
    rb"\r?\n# SIG # End signature block\r?\n\Z"
)
GENERATOR = f"journalgen {__version__}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def without_signature(data: bytes) -> tuple[bytes, bool]:
    """The script before an Authenticode signature block at its end, and whether it had one."""
    match = SIGNATURE.search(data)
    return (data, False) if match is None else (data[: match.start()], True)


def with_line_endings_of(expected: bytes, data: bytes) -> bytes:
    """``data`` with the line endings ``expected`` uses, undoing git's CRLF/LF conversion."""
    lf = data.replace(b"\r\n", b"\n")
    return lf.replace(b"\n", b"\r\n") if b"\r\n" in expected else lf


def manifest(
    plan: Plan,
    artifacts: Mapping[str, bytes],
    previous: Mapping[str, object] | None = None,
    state: Mapping[str, object] | None = None,
    rehearsal: Mapping[str, object] | None = None,
    *,
    parallel: Sequence[Parallel] = (),
) -> bytes:
    """The generator and its engine's hash, the spec's hash, its change request and each artifact's hash.

    For auditors and ``check``; ``engine_sha256`` is :func:`journalgen.emit.engine_sha256`.
    """
    payload: dict[str, object] = {
        "generator": GENERATOR,
        "engine_sha256": engine_sha256(),
        "spec": plan.spec_name,
        "spec_sha256": plan.spec_sha256,
    }
    if change := change_record(plan):
        payload["change"] = change
    if previous is not None:
        payload["previous"] = dict(previous)
    if state is not None:
        payload["state"] = dict(state)
    if rehearsal is not None:
        payload["rehearsal"] = dict(rehearsal)
    if parallel:
        payload["parallel"] = [
            dict(
                zip(
                    PARALLEL_KEYS,
                    (p.spec_name, p.vendor, p.journal_address, p.spec_sha256),
                    strict=True,
                )
            )
            for p in sorted(parallel, key=lambda p: p.spec_name)
        ]
    payload["artifacts"] = {name: sha256(data) for name, data in artifacts.items()}
    return (json.dumps(payload, indent=2, sort_keys=False) + "\n").encode("utf-8")


def expected_bundle(
    checked: Checked,
    found: Mapping[str, bytes],
    recorded: Mapping[str, object],
    parallel: Sequence[Parallel] | None = None,
) -> dict[str, bytes]:
    """What a bundle of ``checked`` must hold, given the files ``found`` in it and its manifest.

    A CHANGE.md built with ``--previous`` (or ``--state``) compares the spec with an earlier one
    (or a captured tenant state) that ``check`` does not have. It is accepted as it is when the
    rest of it is what the spec compiles to now and the manifest's hash still matches it, so
    neither stale nor edited text gets through. ``parallel``: see :func:`settled_parallel`.
    """
    others = settled_parallel(recorded, parallel)
    fresh = compile_bundle(checked, parallel=others)
    change = found.get("CHANGE.md")
    previous = recorded.get("previous")
    state = recorded.get("state")
    rehearsal = recorded.get("rehearsal")
    hashes = recorded.get("artifacts")
    recorded_change = hashes.get("CHANGE.md") if isinstance(hashes, dict) else None
    if (
        (previous is None and state is None and rehearsal is None)
        or change is None
        or recorded_change is None
    ):
        return fresh
    if not (
        isinstance(previous, dict | None)
        and isinstance(state, dict | None)
        and isinstance(rehearsal, dict | None)
    ):
        return fresh
    change = with_line_endings_of(fresh["CHANGE.md"], change)
    if sha256(change) != recorded_change and isinstance(rehearsal, dict):
        # An edit inside the Rehearsal section: expect the section its record renders to, so
        # that check names the edited line rather than the section's first.
        change = _with_rendered_rehearsal(checked, change, rehearsal)
    if sha256(change) != recorded_change:
        return fresh
    # The manifest names which sections the build added: exactly those are set aside.
    rest = change
    sections = (
        (previous, PREVIOUS_SECTION),
        (state, STATE_SECTION),
        (rehearsal, REHEARSAL_SECTION),
    )
    for about, section in sections:
        if about is not None:
            rest, found_section = section.subn(b"", rest)
            if not found_section:
                return fresh
    if rest != fresh["CHANGE.md"]:
        return fresh
    files = {name: data for name, data in fresh.items() if name != "manifest.json"}
    files["CHANGE.md"] = change
    manifest_json = manifest(plan_for(checked), files, previous, state, rehearsal, parallel=others)
    return {**files, "manifest.json": manifest_json}


def _with_rendered_rehearsal(
    checked: Checked, change: bytes, recorded: Mapping[str, object]
) -> bytes:
    """``change`` with its Rehearsal section replaced by what the ``recorded`` one renders to."""
    from journalgen.rehearse import Record

    record = Record.from_manifest(recorded)
    found = REHEARSAL_SECTION.search(change)
    if record is None or found is None:
        return change
    wanted = REHEARSAL_SECTION.search(compile_bundle(checked, rehearsal=record)["CHANGE.md"])
    if wanted is None:
        return change
    return change[: found.start()] + wanted.group() + change[found.end() :]


def read_bundle(folder: Path) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The bundle files found in ``folder``, and an error (JG031) for each one that cannot be read.

    A missing file is simply absent; an unreadable one is absent too, but reported as unreadable,
    not as missing, since it may well be there.
    """
    built: dict[str, bytes] = {}
    unreadable: list[Diagnostic] = []
    for file in BUNDLE_FILES:
        try:
            built[file] = (folder / file).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            unreadable.append(cannot_read(folder / file, exc))
    return built, unreadable


def recorded_manifest(found: Mapping[str, bytes]) -> dict[str, object]:
    """What the manifest.json among a bundle's files ``found`` records; empty when unreadable."""
    with contextlib.suppress(ValueError, TypeError):
        loaded = json.loads(found.get("manifest.json", b""))
        if isinstance(loaded, dict):
            return loaded
    return {}


# What a manifest records of each other spec of a parallel run, in Parallel's field order.
PARALLEL_KEYS = ("spec", "vendor", "journal_address", "spec_sha256")


def recorded_parallel(recorded: Mapping[str, object]) -> tuple[Parallel, ...]:
    """The parallel run a manifest records: the other specs of the tenant its CHANGE.md names."""
    about = recorded.get("parallel")
    found = []
    for item in about if isinstance(about, list) else ():
        values = [item.get(key) for key in PARALLEL_KEYS] if isinstance(item, dict) else []
        strings = [v for v in values if isinstance(v, str)]
        if len(strings) != len(PARALLEL_KEYS):
            return ()  # edited: CHANGE.md no longer matches its manifest, reported as such
        found.append(Parallel(*strings))
    return tuple(found)


def _shown(parallel: Sequence[Parallel]) -> list[tuple[str, str, str]]:
    return sorted(p.shown for p in parallel)


def settled_parallel(
    recorded: Mapping[str, object], known: Sequence[Parallel] | None
) -> tuple[Parallel, ...]:
    """The parallel run a bundle must show: ``known``, the other specs given for its tenant, or,
    when the specs given do not tell (``None``), the one its manifest records.

    While ``known`` says what the record says, the record stands with the hashes it holds: an
    edit of another spec that CHANGE.md does not show leaves this bundle as it is.
    """
    record = recorded_parallel(recorded)
    if known is None or _shown(known) == _shown(record):
        return record
    return tuple(sorted(known, key=lambda p: p.spec_name))


def recorded_state(recorded: Mapping[str, object]) -> dict[str, object] | None:
    """The state a manifest says CHANGE.md was built against (``None``: none)."""
    about = recorded.get("state")
    return about if isinstance(about, dict) else None


def described_state(about: Mapping[str, object]) -> str:
    """A state a manifest records, as a message names it: file, hash and capture time."""
    return _describe(about)


def cannot_read(path: Path, exc: OSError) -> Diagnostic:
    """JG031 for a bundle file or folder ``check`` cannot read."""
    reason = exc.strerror or type(exc).__name__
    return Diagnostic(
        str(path), 1, 1, "JG031", f"cannot be read ({reason}); check cannot vouch for it"
    )


def looks_like_bundle(folder: Path) -> bool:
    """Whether ``folder`` holds what only a bundle holds: its manifest or its apply script."""
    return any((folder / name).is_file() for name in ("manifest.json", "apply.ps1"))


@dataclass
class Comparison:
    """What ``check`` found in one bundle: problems, and notes for ``--verbose``."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signed: int = 0
    # The SHA-256 and tenant of the state manifest.json says CHANGE.md was built against.
    built_against: tuple[str, str] | None = None


def compare_bundle(
    checked: Checked,
    folder: Path,
    *,
    rebuild: str,
    states: Sequence[Captured] | None = None,
    required: Collection[str] = (),
    strict: bool = False,
    parallel: Sequence[Parallel] | None = None,
    together: str | None = None,
) -> Comparison:
    """Every difference between the bundle in ``folder`` and what ``checked`` compiles to now.

    ``rebuild`` is the command that brings the bundle up to date, named in the messages. A file
    that differs only in CRLF/LF (as git converts them) passes, and so does a script that is the
    generated one followed by an Authenticode signature block; both are noted. ``states`` are the
    captured states given to ``check``, ``required`` the hashes of those given one by one: see
    :func:`verify_state_section`. ``parallel`` are the other specs given for the tenant (``None``:
    the specs given do not tell, and the parallel run the manifest records is accepted, with a
    warning), ``together`` the command that builds them with this one.
    """
    try:
        listing = sorted(p.name for p in folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        listing = []  # every file is reported missing below
    except OSError as exc:
        # chmod 000, a stale network mount: one error for the folder, not one per file.
        return Comparison([cannot_read(folder, exc)])
    built, unreadable = read_bundle(folder)
    recorded: dict[str, object] = {}
    with contextlib.suppress(ValueError, TypeError):
        loaded = json.loads(built.get("manifest.json", b""))
        recorded = loaded if isinstance(loaded, dict) else {}
    record = recorded_parallel(recorded)
    moved = parallel is not None and _shown(parallel) != _shown(record)
    if moved and together is not None:
        rebuild = together  # a build of this spec alone would keep the parallel run recorded
    fresh = expected_bundle(checked, built, recorded, parallel)
    drift = None
    if parallel is not None and moved:
        drift = _parallel_drift(checked, folder, built, recorded, parallel, fresh, rebuild)
    hashes = recorded.get("artifacts")
    hashes = hashes if isinstance(hashes, dict) else {}
    generator = recorded.get("generator")
    other_version = isinstance(generator, str) and generator != GENERATOR
    result = Comparison(list(unreadable))
    cannot = {d.file for d in unreadable}
    stale: list[Diagnostic] = []
    for file, data in fresh.items():
        shown = str(folder / file)
        actual = built.get(file)
        if (actual is None and shown in cannot) or (drift is not None and file in _PARALLEL_FILES):
            continue
        if actual is None:
            result.diagnostics.append(Diagnostic(shown, 1, 1, "JG022", f"missing; run: {rebuild}"))
            continue
        if actual == data:
            continue
        content, signed = without_signature(actual) if file.endswith(".ps1") else (actual, False)
        restored = with_line_endings_of(data, content)
        if restored == data:
            if signed:
                result.signed += 1
                result.notes.append(f"{shown}: signed; the script before the signature is current")
            if restored != content:
                result.notes.append(
                    f"{shown}: current, but for its line endings (as git converts them)"
                )
            continue
        line, column = first_difference(data, restored)
        if hashes.get(file) not in (None, sha256(restored)):
            message = "edited since it was generated; build again and review the change"
            if signed and with_line_endings_of(data, content + b"\r\n") == data:
                # A signer appends CRLF and the block after the script's own last CRLF; here
                # the block took that CRLF as its own, so the script lost its last line break.
                message = (
                    "signed, but '# SIG # Begin signature block' follows the script's last line "
                    "with no line break of its own, so the script before it lost its last line "
                    "break: sign the generated file as it is, and do not remove the empty line "
                    "a signer leaves before the block"
                )
            elif signed:
                message = "signed, but " + message
            result.diagnostics.append(Diagnostic(shown, line, column, "JG021", message))
        else:
            message = f"stale: differs from what {checked.file} compiles to now; run: {rebuild}"
            stale.append(Diagnostic(shown, line, column, "JG020", message))
    if stale and other_version:
        message = f"built by {generator}, this is {GENERATOR}: rebuild; run: {rebuild}"
        result.diagnostics.append(Diagnostic(str(folder / "manifest.json"), 1, 1, "JG025", message))
    else:
        result.diagnostics.extend(stale)
    if drift is not None:
        result.diagnostics.append(drift)
    elif parallel is None and record:
        found = _unverified_parallel(checked, folder, built.get("CHANGE.md"), fresh, record)
        result.diagnostics += promote_warnings(found) if strict else found
    for extra in listing:
        if extra not in fresh:
            message = "not generated by journalgen; delete it or keep it outside the bundle"
            result.diagnostics.append(Diagnostic(str(folder / extra), 1, 1, "JG023", message))
    about = recorded.get("state")
    change = built.get("CHANGE.md")
    if isinstance(about, dict) and change is not None:
        organization = checked.resolved.organization
        result.built_against = (str(about.get("sha256")), organization.casefold())
        change = with_line_endings_of(fresh["CHANGE.md"], change)
        # Only a section accepted above is left to verify; any other CHANGE.md is reported already.
        if change == fresh["CHANGE.md"]:
            found = verify_state_section(
                checked, folder / "CHANGE.md", change, about, states, required
            )
            result.diagnostics += promote_warnings(found) if strict else found
    about_rehearsal = recorded.get("rehearsal")
    change = built.get("CHANGE.md")
    if isinstance(about_rehearsal, dict) and change is not None:
        change = with_line_endings_of(fresh["CHANGE.md"], change)
        if change == fresh["CHANGE.md"]:
            result.diagnostics += verify_rehearsal_section(
                checked, folder, change, about_rehearsal, recorded_state(recorded), states, required
            )
            result.notes.append(f"{folder / 'CHANGE.md'}: {NOT_RUN_AGAIN}")
    return result


# What check says of every Rehearsal section it verifies without running it.
NOT_RUN_AGAIN = (
    "its Rehearsal section was verified against its record, the engine, the spec and the state, "
    "not run again (check --rehearse runs it)"
)
# ... and of one check --rehearse ran again, with the same result.
RAN_AGAIN = "the same result as its Rehearsal section"


def verify_rehearsal_section(
    checked: Checked,
    folder: Path,
    change: bytes,
    recorded: Mapping[str, object],
    about_state: Mapping[str, object] | None,
    states: Sequence[Captured] | None,
    required: Collection[str] = (),
) -> list[Diagnostic]:
    """Whether CHANGE.md's Rehearsal section still speaks for this bundle, without running it.

    ``recorded`` is manifest.json's ``rehearsal``. It must be a record journalgen writes, of a
    rehearsal that passed, of this journalgen's engine, this spec and the state the bundle's
    changes against the tenant come from; a state of the tenant given to ``check`` on its own
    (its hash in ``required``) must be that state (JG036). The section must read exactly what
    the record renders to (JG035).
    """
    from journalgen.rehearse import Record

    path = folder / "CHANGE.md"
    found = REHEARSAL_SECTION.search(change)
    line = change.count(b"\n", 0, found.start()) + 1 if found is not None else 1
    record = Record.from_manifest(recorded)
    if record is None or found is None:
        message = (
            "manifest.json's rehearsal record is not one journalgen writes, so the Rehearsal "
            "section cannot be verified; build again with --rehearse"
        )
        return [Diagnostic(str(folder / "manifest.json"), 1, 1, "JG036", message)]
    stale: list[str] = []
    if record.engine_sha256 != engine_sha256():
        stale.append(
            f"it rehearsed the engine {visible(record.engine_sha256)[:12]}..., not this "
            f"journalgen's {engine_sha256()[:12]}..."
        )
    spec = plan_for(checked).spec_sha256
    if record.spec_sha256 != spec:
        stale.append(
            f"it rehearsed the spec {visible(record.spec_sha256)[:12]}..., not {checked.file} "
            f"({spec[:12]}...)"
        )
    rehearsed = _describe(record.state)
    if about_state is None or about_state.get("sha256") != record.state.get("sha256"):
        against = "no state" if about_state is None else f"the state {_describe(about_state)}"
        stale.append(
            f"it ran against the state {rehearsed}, and the changes against the tenant come "
            f"from {against}"
        )
    tenant = checked.resolved.organization.casefold()
    given = [s for s in states or () if s.state.organization.casefold() == tenant]
    rehearsed_given = any(s.sha256 == record.state.get("sha256") for s in given)
    if given and not rehearsed_given and any(s.sha256 in required for s in given):
        listed = ", ".join(_describe(_about(s)) for s in given)
        stale.append(
            f"it ran against the state {rehearsed}, not against the one given for "
            f"{checked.resolved.organization}: {listed}"
        )
    if not record.passed:
        stale.append(f"it records a rehearsal that did not pass ({visible(record.result)})")
    if stale:
        message = (
            "the rehearsal no longer speaks for this bundle: "
            + "; ".join(stale)
            + "; build again with --state FILE --rehearse and review the rehearsal"
        )
        return [Diagnostic(str(path), line, 1, "JG036", message)]
    expected = compile_bundle(checked, rehearsal=record)["CHANGE.md"]
    wanted = REHEARSAL_SECTION.search(expected)
    if wanted is not None and found.group() != wanted.group():
        at = _common_prefix(found.group(), wanted.group())
        should = expected_line(wanted.group(), at).decode("utf-8", errors="replace")
        where = found.start() + at
        column = where - (change.rfind(b"\n", 0, where) + 1) + 1
        message = (
            "the Rehearsal section is not what the rehearsal manifest.json records renders to, "
            f"from this line on; it should read {quoted(should)}: build again with --rehearse "
            "and review the rehearsal"
        )
        return [Diagnostic(str(path), change.count(b"\n", 0, where) + 1, column, "JG035", message)]
    return []


# The files a changed parallel run alone changes.
_PARALLEL_FILES = ("CHANGE.md", "manifest.json")


def _parallel_drift(
    checked: Checked,
    folder: Path,
    built: Mapping[str, bytes],
    recorded: Mapping[str, object],
    known: Sequence[Parallel],
    fresh: Mapping[str, bytes],
    rebuild: str,
) -> Diagnostic | None:
    """JG050 when the bundle is current but for its parallel run, which is not the one the
    specs given make (a spec added or removed for the tenant, or another vendor or address):
    one error at CHANGE.md's sentence. ``None`` when the bundle differs otherwise too.
    """
    as_recorded = expected_bundle(checked, built, recorded)
    for name in _PARALLEL_FILES:
        actual = built.get(name)
        if actual is None or with_line_endings_of(as_recorded[name], actual) != as_recorded[name]:
            return None
    change = with_line_endings_of(fresh["CHANGE.md"], built["CHANGE.md"])
    line, column = first_difference(fresh["CHANGE.md"], change)
    organization = checked.resolved.organization
    was = {p.spec_name: p for p in recorded_parallel(recorded)}
    now = {p.spec_name: p for p in known}
    parts = []
    for name in sorted(was.keys() | now.keys()):
        old, new = was.get(name), now.get(name)
        if new is None and old is not None:
            parts.append(
                f"it names {visible(name)} ({_archive(old)}), which no longer journals "
                f"{organization} among the specs given"
            )
        elif old is None and new is not None:
            parts.append(f"{name} also journals {organization} ({_archive(new)}): it is not named")
        elif old is not None and new is not None and old.shown != new.shown:
            parts.append(f"{name} now journals to {_archive(new)}, not {_archive(old)}")
    message = (
        f"the parallel run CHANGE.md states is not the one the specs given make: "
        f"{'; '.join(parts)}; build the tenant's specs together and review the change; "
        f"run: {rebuild}"
    )
    return Diagnostic(str(folder / "CHANGE.md"), line, column, "JG050", message)


def _archive(other: Parallel) -> str:
    return f"{visible(other.vendor)}, {visible(other.journal_address)}"


def _unverified_parallel(
    checked: Checked,
    folder: Path,
    change: bytes | None,
    fresh: Mapping[str, bytes],
    record: Sequence[Parallel],
) -> list[Diagnostic]:
    """JG051 for a parallel run that check accepts on its manifest's word alone."""
    if change is None:
        return []
    change = with_line_endings_of(fresh["CHANGE.md"], change)
    if change != fresh["CHANGE.md"]:
        return []  # reported already
    # Where CHANGE.md would differ without the parallel run: its sentence.
    line, column = first_difference(compile_bundle(checked)["CHANGE.md"], change)
    organization = checked.resolved.organization
    names = ", ".join(visible(p.spec_name) for p in record)
    message = (
        f"says that {organization} is also journaled by {names} on its manifest's word alone: "
        f"check was given no other spec of {organization}, so it cannot confirm the parallel "
        f"run; check the specs folder (every spec of {organization}) to verify it"
    )
    return [Diagnostic(str(folder / "CHANGE.md"), line, column, "JG051", message)]


def verify_state_section(
    checked: Checked,
    path: Path,
    change: bytes,
    about: Mapping[str, object],
    states: Sequence[Captured] | None,
    required: Collection[str] = (),
) -> list[Diagnostic]:
    """Whether the "Changes against the tenant" in ``change`` are what its state gives.

    ``about`` is what manifest.json records of the state CHANGE.md was built against. The state
    with that hash among ``states`` re-renders the section, which must match byte for byte.
    Without it the section is unverified (JG029, a warning), since its hash in the manifest
    proves nothing against whoever can rewrite both; but a state of the tenant given on its own
    (its hash in ``required``: ``--state FILE``, not one of a ``--states`` folder) is an error.
    """
    from journalgen.live import plan_against

    sections = list(STATE_SECTION.finditer(change))
    start = sections[0].start() if sections else 0
    line = change.count(b"\n", 0, start) + 1
    built = _describe(about)
    tenant = checked.resolved.organization.casefold()
    given = states or ()
    state = next((s for s in given if s.sha256 == about.get("sha256")), None)
    if state is None:
        others = [s for s in given if s.state.organization.casefold() == tenant]
        listed = ", ".join(_describe(_about(s)) for s in others)
        if any(s.sha256 in required for s in others):
            message = (
                f"built against the state {built}, not against the one given for "
                f"{checked.resolved.organization}: {listed}; give the state it was built "
                "against, or build again with the state given and review the changes"
            )
            return [Diagnostic(str(path), line, 1, "JG030", message)]
        besides = f" (the states given hold only {listed} for its tenant)" if others else ""
        message = (
            f"the changes against the tenant come from the state {built}, which check was not "
            f"given{besides}, so they are unverified; give it with --state FILE or --states DIR"
        )
        return [Diagnostic(str(path), line, 1, "JG029", message)]
    # The hash is what matches: a state renamed since (or kept under another name) still does.
    recorded = about.get("file")
    named = replace(state, file=recorded) if isinstance(recorded, str) else state
    expected = compile_bundle(checked, None, plan_against(plan_for(checked), named))["CHANGE.md"]
    wanted = [m.group() for m in STATE_SECTION.finditer(expected)]
    for i, found in enumerate(sections):
        if i >= len(wanted):
            return [_differs(path, change, found.start(), None, state)]
        if found.group() != wanted[i]:
            at = _common_prefix(found.group(), wanted[i])
            line_wanted = expected_line(wanted[i], at)
            return [_differs(path, change, found.start() + at, line_wanted, state)]
    if len(wanted) > len(sections):
        # A whole section is missing (say, the state's warnings): it would come before the hashes.
        at = change.find(b"## Hashes", sections[-1].end() if sections else 0)
        first = wanted[len(sections)].split(b"\n", 1)[0]
        return [_differs(path, change, at if at >= 0 else len(change), first, state)]
    return []


def _about(state: Captured) -> dict[str, str]:
    name = state.file.replace("\\", "/").rsplit("/", 1)[-1]
    return {"file": name, "sha256": state.sha256, "captured_at": state.state.captured_at}


def _describe(about: Mapping[str, object]) -> str:
    """A state as a message names it; ``about`` may come from a manifest anyone could have edited."""
    file, sha, at = (visible(str(about.get(key, ""))) for key in ("file", "sha256", "captured_at"))
    return f"{file} (SHA-256 {sha[:12]}..., captured at {at})"


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    return next((i for i in range(limit) if a[i] != b[i]), limit)


def expected_line(section: bytes, at: int) -> bytes:
    """The line of ``section`` that holds offset ``at``: what the differing line should read."""
    start = section.rfind(b"\n", 0, at) + 1
    end = section.find(b"\n", at)
    return section[start : end if end >= 0 else len(section)]


def _differs(
    path: Path, change: bytes, at: int, wanted: bytes | None, state: Captured
) -> Diagnostic:
    line = change.count(b"\n", 0, at) + 1
    column = at - (change.rfind(b"\n", 0, at) + 1) + 1
    if wanted is None:
        should = "this section should not be there"
    else:
        should = f"it should read {quoted(wanted.decode('utf-8', errors='replace'))}"
    message = (
        f"the changes against the tenant are not what the state {state.file} gives, from this "
        f"line on; {should}: build again with --state and review the changes"
    )
    return Diagnostic(str(path), line, column, "JG030", message)


def visible(text: str, limit: int = 160) -> str:
    """``text`` for a one-line message: invisible and control characters as code points, cut short."""
    shown = "".join(
        f"[U+{ord(c):04X}]" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text
    )
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def quoted(text: str) -> str:
    """``text`` in quotes for a one-line message (see :func:`visible`)."""
    return repr(visible(text))


def first_difference(expected: bytes, actual: bytes) -> tuple[int, int]:
    """1-based line and column of the first byte where two files differ."""
    limit = min(len(expected), len(actual))
    at = next((i for i in range(limit) if expected[i] != actual[i]), limit)
    line = actual.count(b"\n", 0, at) + 1
    return line, at - (actual.rfind(b"\n", 0, at) + 1) + 1

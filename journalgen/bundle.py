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
from journalgen.change import change_record
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
    payload["artifacts"] = {name: sha256(data) for name, data in artifacts.items()}
    return (json.dumps(payload, indent=2, sort_keys=False) + "\n").encode("utf-8")


def expected_bundle(
    checked: Checked, found: Mapping[str, bytes], recorded: Mapping[str, object]
) -> dict[str, bytes]:
    """What a bundle of ``checked`` must hold, given the files ``found`` in it and its manifest.

    A CHANGE.md built with ``--previous`` (or ``--state``) compares the spec with an earlier one
    (or a captured tenant state) that ``check`` does not have. It is accepted as it is when the
    rest of it is what the spec compiles to now and the manifest's hash still matches it, so
    neither stale nor edited text gets through.
    """
    fresh = compile_bundle(checked)
    change = found.get("CHANGE.md")
    previous = recorded.get("previous")
    state = recorded.get("state")
    hashes = recorded.get("artifacts")
    recorded_change = hashes.get("CHANGE.md") if isinstance(hashes, dict) else None
    if (previous is None and state is None) or change is None or recorded_change is None:
        return fresh
    change = with_line_endings_of(fresh["CHANGE.md"], change)
    if sha256(change) != recorded_change:
        return fresh
    if not isinstance(previous, dict | None) or not isinstance(state, dict | None):
        return fresh
    # The manifest names which sections the build added: exactly those are set aside.
    rest = change
    for about, section in ((previous, PREVIOUS_SECTION), (state, STATE_SECTION)):
        if about is not None:
            rest, found_section = section.subn(b"", rest)
            if not found_section:
                return fresh
    if rest != fresh["CHANGE.md"]:
        return fresh
    files = {name: data for name, data in fresh.items() if name != "manifest.json"}
    files["CHANGE.md"] = change
    return {**files, "manifest.json": manifest(plan_for(checked), files, previous, state)}


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
) -> Comparison:
    """Every difference between the bundle in ``folder`` and what ``checked`` compiles to now.

    ``rebuild`` is the command that brings the bundle up to date, named in the messages. A file
    that differs only in CRLF/LF (as git converts them) passes, and so does a script that is the
    generated one followed by an Authenticode signature block; both are noted. ``states`` are the
    captured states given to ``check``, ``required`` the hashes of those given one by one: see
    :func:`verify_state_section`.
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
    fresh = expected_bundle(checked, built, recorded)
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
        if actual is None and shown in cannot:
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
    return result


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

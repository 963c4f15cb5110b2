"""A spec's bundle on disk: the files it holds, its manifest, and everything `check` compares."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from journalgen import __version__
from journalgen.change import change_record
from journalgen.compiler import Checked, compile_bundle, plan_for
from journalgen.diagnostics import Diagnostic
from journalgen.emit import engine_sha256
from journalgen.plan import Plan

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


def read_bundle(folder: Path) -> dict[str, bytes]:
    """The bundle files found in ``folder``; a missing or unreadable one is simply absent."""
    built: dict[str, bytes] = {}
    for file in BUNDLE_FILES:
        with contextlib.suppress(OSError):
            built[file] = (folder / file).read_bytes()
    return built


@dataclass
class Comparison:
    """What ``check`` found in one bundle: problems, and notes for ``--verbose``."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signed: int = 0


def compare_bundle(checked: Checked, folder: Path, *, rebuild: str) -> Comparison:
    """Every difference between the bundle in ``folder`` and what ``checked`` compiles to now.

    ``rebuild`` is the command that brings the bundle up to date, named in the messages. A file
    that differs only in CRLF/LF (as git converts them) passes, and so does a script that is the
    generated one followed by an Authenticode signature block; both are noted.
    """
    built = read_bundle(folder)
    recorded: dict[str, object] = {}
    with contextlib.suppress(ValueError, TypeError):
        loaded = json.loads(built.get("manifest.json", b""))
        recorded = loaded if isinstance(loaded, dict) else {}
    fresh = expected_bundle(checked, built, recorded)
    hashes = recorded.get("artifacts")
    hashes = hashes if isinstance(hashes, dict) else {}
    generator = recorded.get("generator")
    other_version = isinstance(generator, str) and generator != GENERATOR
    result = Comparison()
    stale: list[Diagnostic] = []
    for file, data in fresh.items():
        shown = str(folder / file)
        actual = built.get(file)
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
            if signed:
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
    if folder.is_dir():
        for extra in sorted(p.name for p in folder.iterdir()):
            if extra not in fresh:
                message = "not generated by journalgen; delete it or keep it outside the bundle"
                result.diagnostics.append(Diagnostic(str(folder / extra), 1, 1, "JG023", message))
    return result


def first_difference(expected: bytes, actual: bytes) -> tuple[int, int]:
    """1-based line and column of the first byte where two files differ."""
    limit = min(len(expected), len(actual))
    at = next((i for i in range(limit) if expected[i] != actual[i]), limit)
    line = actual.count(b"\n", 0, at) + 1
    return line, at - (actual.rfind(b"\n", 0, at) + 1) + 1

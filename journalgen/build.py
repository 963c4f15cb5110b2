"""Compile one checked spec into its bundle of generated files, in memory."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import PurePath

from journalgen import __version__
from journalgen.change import render_change
from journalgen.emit import render_scripts
from journalgen.frontend import Checked
from journalgen.plan import Plan, build_plan

BUNDLE_FILES = ("apply.ps1", "verify.ps1", "rollback.ps1", "CHANGE.md", "manifest.json")


def spec_name(file: str) -> str:
    """The spec's file name without folders: what generated files may show of it."""
    return PurePath(file.replace("\\", "/")).name


def plan_for(checked: Checked) -> Plan:
    return build_plan(checked.resolved, spec_name(checked.file), checked.source)


# CHANGE.md's comparison with an earlier spec (--previous) sits between these markers.
PREVIOUS_SECTION = re.compile(
    rb"<!-- journalgen:previous -->\n.*?<!-- /journalgen:previous -->\n\n", re.DOTALL
)


def manifest(
    plan: Plan, artifacts: Mapping[str, bytes], previous: Mapping[str, object] | None = None
) -> bytes:
    """The generator, the spec's hash and each artifact's hash, for auditors and ``check``."""
    payload: dict[str, object] = {
        "generator": f"journalgen {__version__}",
        "spec": plan.spec_name,
        "spec_sha256": plan.spec_sha256,
    }
    if previous is not None:
        payload["previous"] = dict(previous)
    payload["artifacts"] = {name: sha256(data) for name, data in artifacts.items()}
    return (json.dumps(payload, indent=2, sort_keys=False) + "\n").encode("utf-8")


def compile_bundle(checked: Checked, previous: Checked | None = None) -> dict[str, bytes]:
    """Every file journalgen generates for one spec, by file name, in a stable order."""
    plan = plan_for(checked)
    scripts = render_scripts(plan)
    old = plan_for(previous) if previous is not None else None
    files = {**scripts, "CHANGE.md": render_change(plan, scripts, checked.warnings, old)}
    about_old = None if old is None else {"spec": old.spec_name, "spec_sha256": old.spec_sha256}
    return {**files, "manifest.json": manifest(plan, files, about_old)}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_bundle(checked: Checked, found: Mapping[str, bytes]) -> dict[str, bytes]:
    """What a bundle of ``checked`` must hold, given the files ``found`` in it.

    A CHANGE.md built with ``--previous`` compares the spec with an earlier one that ``check``
    does not have. It is accepted as it is when the rest of it is what the spec compiles to now
    and the manifest's hash still matches it, so neither stale nor edited text gets through.
    """
    fresh = compile_bundle(checked)
    change = found.get("CHANGE.md")
    try:
        recorded = json.loads(found.get("manifest.json", b""))
        previous = recorded["previous"]
        recorded_change = recorded["artifacts"]["CHANGE.md"]
    except (ValueError, KeyError, TypeError):
        return fresh
    if change is None or not isinstance(previous, dict) or sha256(change) != recorded_change:
        return fresh
    if PREVIOUS_SECTION.sub(b"", change, count=1) != fresh["CHANGE.md"]:
        return fresh
    files = {name: data for name, data in fresh.items() if name != "manifest.json"}
    files["CHANGE.md"] = change
    return {**files, "manifest.json": manifest(plan_for(checked), files, previous)}

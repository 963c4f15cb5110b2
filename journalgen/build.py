"""Compile one checked spec into its bundle of generated files, in memory."""

from __future__ import annotations

import hashlib
import json
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


def manifest(plan: Plan, artifacts: dict[str, bytes]) -> bytes:
    """The generator, the spec's hash and each artifact's hash, for auditors and ``check``."""
    payload = {
        "generator": f"journalgen {__version__}",
        "spec": plan.spec_name,
        "spec_sha256": plan.spec_sha256,
        "artifacts": {name: hashlib.sha256(data).hexdigest() for name, data in artifacts.items()},
    }
    return (json.dumps(payload, indent=2, sort_keys=False) + "\n").encode("utf-8")


def compile_bundle(checked: Checked, previous: Checked | None = None) -> dict[str, bytes]:
    """Every file journalgen generates for one spec, by file name, in a stable order."""
    plan = plan_for(checked)
    scripts = render_scripts(plan)
    old = plan_for(previous) if previous is not None else None
    files = {**scripts, "CHANGE.md": render_change(plan, scripts, checked.warnings, old)}
    return {**files, "manifest.json": manifest(plan, files)}

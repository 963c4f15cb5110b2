"""Compile one checked spec into its generated files, in memory."""

from __future__ import annotations

from pathlib import PurePath

from journalgen.emit import render_apply
from journalgen.frontend import Checked
from journalgen.plan import Plan, build_plan


def spec_name(file: str) -> str:
    """The spec's file name without folders: what generated files may show of it."""
    return PurePath(file.replace("\\", "/")).name


def plan_for(checked: Checked) -> Plan:
    return build_plan(checked.resolved, spec_name(checked.file), checked.source)


def compile_bundle(checked: Checked) -> dict[str, bytes]:
    """Every file journalgen generates for one spec, by file name, in a stable order."""
    plan = plan_for(checked)
    return {"apply.ps1": render_apply(plan)}

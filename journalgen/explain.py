"""`journalgen explain`: the fully resolved spec, each value with where it came from, and the warnings."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from journalgen.compiler import Checked
from journalgen.resolve import Origin, Resolved
from journalgen.scaffold import yaml_scalar
from journalgen.vendors import presets

COMMENT_COLUMN = 56
WIDTH = 100


@dataclass(frozen=True, slots=True)
class Explained:
    """One resolved value: its dotted path, the value, and its origin."""

    path: str
    value: object
    origin: Origin


def explain_values(r: Resolved) -> list[Explained]:
    """Every leaf of the spec, in spec order, with its resolved value and origin."""
    return [Explained(path, value, r.origins[path]) for path, value in r.values.items()]


def _cited(r: Resolved, explained: list[Explained]) -> dict[str, str]:
    preset = presets()[r.vendor]
    cited: dict[str, str] = {}
    for item in explained:
        source = item.origin.source
        if item.origin.kind == "preset" and source is not None and source not in cited:
            cited[source] = preset.source_text(source)
    return cited


def _yaml_lines(explained: list[Explained]) -> list[tuple[str, str]]:
    """(YAML line, origin comment) pairs; section lines have no comment."""
    out: list[tuple[str, str]] = []
    open_path: list[str] = []
    for item in explained:
        *parents, leaf = item.path.split(".")
        # "journal_rules[0]" is two levels: the list's key, then the item ("[0").
        levels = [part for parent in parents for part in _split_index(parent)]
        dash = False
        for depth, level in enumerate(levels):
            if open_path[: depth + 1] == levels[: depth + 1]:
                continue
            open_path = levels[: depth + 1]
            if level.startswith("["):
                dash = True  # the item's first line starts with "- "
                continue
            out.append((_indent(depth, dash) + f"{level}:", ""))
            dash = False
        line = _indent(len(levels), dash) + f"{leaf}: {yaml_scalar(item.value)}"
        out.append((line, item.origin.text()))
    return out


def _split_index(part: str) -> list[str]:
    key, bracket, index = part.partition("[")
    return [key, bracket + index.rstrip("]")] if bracket else [key]


def _indent(depth: int, dash: bool) -> str:
    return "  " * (depth - 1) + "- " if dash else "  " * depth


def _comment_block(title: str, entries: list[str]) -> list[str]:
    lines = ["", f"# {title}"]
    for entry in entries:
        lines += textwrap.wrap(
            entry,
            WIDTH,
            initial_indent="#   ",
            subsequent_indent="#     ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return lines


def text(checked: Checked) -> str:
    """The resolved spec as YAML with a comment on each value, then sources, notes and warnings."""
    r = checked.resolved
    explained = explain_values(r)
    preset = presets()[r.vendor]
    region = f", region {r.region}" if r.region else ""
    lines = [
        f"# journalgen explain: {checked.file}",
        f"# {r.vendor_display_name} ({r.vendor} preset{region}). Every value of the spec, filled in;",
        "# the comment after each says where it came from: spec, preset (with its confidence and",
        "# [source], listed below), default, or derived (from another value).",
    ]
    for line, comment in _yaml_lines(explained):
        if comment:
            line = f"{line.ljust(COMMENT_COLUMN - 2)}  # {comment}"
        lines.append(line)
    cited = _cited(r, explained)
    if cited:
        lines += _comment_block(
            f"Sources cited by the {r.vendor} preset:",
            [f"[{key}] {value}" for key, value in cited.items()],
        )
    if preset.notes:
        lines += _comment_block(
            f"Notes on {preset.display_name}:", [f"- {n}" for n in preset.notes]
        )
    needed = preset.prerequisites_for(r.region, r.primary_domain)
    if needed:
        lines += _comment_block("To set up on the archive's side:", [f"- {n}" for n in needed])
    warnings = [str(d) for d in checked.warnings] or ["none"]
    lines += _comment_block("Warnings:", warnings)
    return "\n".join(lines) + "\n"


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def as_json(checked: Checked) -> str:
    r = checked.resolved
    explained = explain_values(r)
    payload = {
        "file": checked.file,
        "vendor": r.vendor,
        "vendor_display_name": r.vendor_display_name,
        "region": r.region,
        "values": [
            {
                "path": item.path,
                "value": _plain(item.value),
                "origin": item.origin.kind,
                "detail": item.origin.detail,
                "source": item.origin.source,
                "confidence": item.origin.confidence,
            }
            for item in explained
        ],
        "sources": _cited(r, explained),
        "notes": list(presets()[r.vendor].notes),
        "prerequisites": presets()[r.vendor].prerequisites_for(r.region, r.primary_domain),
        "warnings": [d.as_dict() for d in checked.warnings],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render(checked: Checked, fmt: str) -> str:
    return as_json(checked) if fmt == "json" else text(checked)

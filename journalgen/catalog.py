"""The vendor presets for people and machines: `journalgen presets` and docs/vendors.md."""

from __future__ import annotations

import json
from typing import Any

from journalgen.vendors import REGIONAL_KEYS, VALUE_KEYS, Sourced, fill_template, presets


def show_value(sourced: Sourced[Any]) -> str:
    """A preset value for people: templates spelt out, lists joined, unknown said so."""
    value = sourced.value
    if value is None:
        shown = "unknown: the spec must state it"
        if sourced.placeholder is not None:
            shown += f", like {fill_template(sourced.placeholder)}"
        return shown
    if isinstance(value, tuple):
        return ", ".join(value)
    return fill_template(str(value))


def _entries(holder: object, keys: tuple[str, ...]) -> list[tuple[str, Sourced[Any]]]:
    found = []
    for key in keys:
        sourced: Sourced[Any] | None = getattr(holder, key)
        if sourced is not None:
            found.append((key, sourced))
    return found


def text() -> str:
    lines: list[str] = []
    for preset in presets().values():
        if lines:
            lines.append("")
        lines.append(f"{preset.name}: {preset.display_name}")
        for key, sourced in _entries(preset, VALUE_KEYS):
            lines.append(
                f"  {key}: {show_value(sourced)}  [{sourced.confidence}; {sourced.source}]"
            )
        if not preset.regions:
            lines.append("  regions: none")
        for name, region in preset.regions.items():
            lines.append(f"  region {name} ({region.display_name}):")
            for key, sourced in _entries(region, REGIONAL_KEYS):
                lines.append(
                    f"    {key}: {show_value(sourced)}  [{sourced.confidence}; {sourced.source}]"
                )
        lines.append("  sources:")
        lines.extend(f"    {key}: {value}" for key, value in preset.sources.items())
        if preset.notes:
            lines.append("  notes:")
            lines.extend(f"    - {note}" for note in preset.notes)
        if preset.prerequisites:
            lines.append("  prerequisites on the archive's side:")
            lines.extend(f"    - {fill_template(item)}" for item in preset.prerequisites)
    return "\n".join(lines) + "\n"


def _sourced_json(sourced: Sourced[Any]) -> dict[str, Any]:
    value = sourced.value
    return {
        "value": list(value) if isinstance(value, tuple) else value,
        "confidence": sourced.confidence,
        "source": sourced.source,
        "placeholder": sourced.placeholder,
    }


def as_json() -> str:
    """Values keep their templates (``journal.{primary_domain}``) so machines can fill them in."""
    vendors = [
        {
            "name": preset.name,
            "display_name": preset.display_name,
            "values": {k: _sourced_json(s) for k, s in _entries(preset, VALUE_KEYS)},
            "regions": [
                {
                    "name": name,
                    "display_name": region.display_name,
                    "values": {k: _sourced_json(s) for k, s in _entries(region, REGIONAL_KEYS)},
                }
                for name, region in preset.regions.items()
            ],
            "sources": dict(preset.sources),
            "notes": list(preset.notes),
            "prerequisites": list(preset.prerequisites),
        }
        for preset in presets().values()
    ]
    return json.dumps({"vendors": vendors}, indent=2, ensure_ascii=False) + "\n"


def render(fmt: str) -> str:
    return as_json() if fmt == "json" else text()


def _md(text: str) -> str:
    """Plain text safe in Markdown: ``<tenant id>`` must not be read as an HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def markdown() -> str:
    """docs/vendors.md, generated from the preset files so the two never disagree."""
    out = [
        "# Archive vendors",
        "",
        "<!-- Generated from journalgen/vendors/*.yaml by `python tools/regen.py`; do not edit by",
        "     hand. -->",
        "",
        "Each vendor preset fills in values a spec leaves out. Every value carries its source and",
        "how sure that source is:",
        "",
        "- **confirmed**: used silently (`journalgen explain` still shows where it came from);",
        "- **unconfirmed**: used only when the spec says `archive.acknowledge_unconfirmed: true`",
        "  (warning JG305), else an error (JG303) until the spec writes the value itself;",
        "- **unknown**: the spec must write the value (JG302); `journalgen init` writes a `<...>`",
        "  placeholder there, which never validates (JG113).",
        "",
        "`journalgen presets` prints the same facts (`--format json` for machines). Adding a",
        "vendor is adding `journalgen/vendors/<name>.yaml` and a sample `samples/<domain>-<name>.yaml`.",
    ]
    for preset in presets().values():
        out += ["", f"## {preset.display_name} (`{preset.name}`)", ""]
        if preset.notes:
            out += [f"- {_md(note)}" for note in preset.notes]
            out.append("")
        if preset.prerequisites:
            out.append("Prerequisites on the archive's side (listed in CHANGE.md's preconditions):")
            out.append("")
            out += [f"- {_md(fill_template(item))}" for item in preset.prerequisites]
            out.append("")
        out += ["| value | default | confidence | source |", "|---|---|---|---|"]
        rows = [(key, s) for key, s in _entries(preset, VALUE_KEYS)]
        for name, region in preset.regions.items():
            rows += [
                (f"{key} ({name}: {region.display_name})", s)
                for key, s in _entries(region, REGIONAL_KEYS)
            ]
        for key, sourced in rows:
            out.append(
                f"| `{key}` | {_md(show_value(sourced))} | {sourced.confidence} | "
                f"{sourced.source} |"
            )
        out += ["", "Sources:", ""]
        out += [f"- **{key}**: {_md(value)}" for key, value in preset.sources.items()]
    return "\n".join(out) + "\n"

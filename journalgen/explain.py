"""`journalgen explain`: the fully resolved spec, each value with where it came from, and the warnings."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from journalgen.compiler import Checked
from journalgen.diagnostics import Diagnostic
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


def _written(spec: BaseModel, path: str) -> bool:
    """Whether the spec file itself states the value at the dotted ``path``."""
    node: Any = spec
    parts = path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part)
    return parts[-1] in node.model_fields_set


def resolved_values(r: Resolved) -> dict[str, object]:
    """Every value of the resolved spec by dotted path, in the order a spec is written."""
    c, k, s = r.contact, r.connector, r.spec
    values: dict[str, object] = {
        "tenant.primary_domain": r.primary_domain,
        "tenant.organization": r.organization,
        "tenant.other_domains": r.other_domains,
        "archive.vendor": r.vendor,
        "archive.region": r.region,
        "archive.journal_domain": r.journal_domain,
        "archive.journal_address": r.journal_address,
        "archive.acknowledge_unconfirmed": s.archive.acknowledge_unconfirmed,
        "contact.name": c.name,
        "contact.display_name": c.display_name,
        "contact.first_name": c.first_name,
        "contact.initials": c.initials,
        "contact.last_name": c.last_name,
        "contact.alias": c.alias,
        "contact.hidden_from_address_lists": c.hidden_from_address_lists,
        "connector.name": k.name,
        "connector.comment": k.comment,
        "connector.enabled": k.enabled,
        "connector.recipient_domains": k.recipient_domains,
        "connector.routing": k.routing,
        "connector.smart_hosts": k.smart_hosts,
        "connector.tls.mode": k.tls_mode,
        "connector.tls.domain": k.tls_domain,
        "connector.tls.acknowledge_downgrade": s.connector.tls.acknowledge_downgrade,
    }
    for index, rule in enumerate(r.rules):
        values[f"journal_rules[{index}].name"] = rule.name
        values[f"journal_rules[{index}].scope"] = rule.scope
        values[f"journal_rules[{index}].recipient"] = rule.recipient
        values[f"journal_rules[{index}].enabled"] = rule.enabled
    values["ndr.address"] = r.ndr.address
    values["ndr.queue_expiry_days"] = r.ndr.queue_expiry_days
    values["ndr.domain_policy"] = r.ndr.domain_policy
    values["limits.max_journal_rules"] = r.max_journal_rules
    return values


def _origin(r: Resolved, path: str) -> Origin:
    found = r.origins.get(path)
    if found is not None:
        return found
    if path == "connector.smart_hosts":
        return Origin("default", f"none: routing is {r.connector.routing}")
    if "[" not in path and _written(r.spec, path):
        return Origin("spec")
    return Origin("default", "none" if path == "archive.region" else "journalgen default")


def explain_values(r: Resolved) -> list[Explained]:
    return [Explained(path, value, _origin(r, path)) for path, value in resolved_values(r).items()]


def origin_text(origin: Origin) -> str:
    if origin.kind == "preset":
        return f"preset, {origin.confidence} [{origin.source}]"
    if origin.kind == "spec":
        return "spec"
    return f"{origin.kind}: {origin.detail}" if origin.detail else origin.kind


def _cited(r: Resolved, explained: list[Explained]) -> dict[str, str]:
    preset = presets()[r.vendor]
    cited: dict[str, str] = {}
    for item in explained:
        source = item.origin.source
        if item.origin.kind == "preset" and source is not None and source not in cited:
            cited[source] = preset.source_text(source)
    return cited


def _yaml_lines(explained: list[Explained]) -> list[tuple[str, str]]:
    """(YAML line, origin comment) pairs; section and list-item lines have no comment."""
    out: list[tuple[str, str]] = [("version: 1", "")]
    open_path: list[str] = []
    for item in explained:
        head, _, leaf = item.path.rpartition(".")
        parts = head.split(".")
        rule = None
        if parts[0].startswith("journal_rules["):
            rule = parts[0]
            parts = ["journal_rules", *parts[1:]]
        for depth, part in enumerate(parts):
            if open_path[: depth + 1] != parts[: depth + 1]:
                out.append(("  " * depth + f"{part}:", ""))
                open_path = parts[: depth + 1]
        indent = "  " * len(parts)
        if rule is not None:
            if leaf == "name":
                out.append((f"  - {leaf}: {yaml_scalar(item.value)}", origin_text(item.origin)))
                continue
            indent = "    "
        out.append((f"{indent}{leaf}: {yaml_scalar(item.value)}", origin_text(item.origin)))
    return out


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
    warnings = [_diagnostic_line(d) for d in checked.warnings] or ["none"]
    lines += _comment_block("Warnings:", warnings)
    return "\n".join(lines) + "\n"


def _diagnostic_line(d: Diagnostic) -> str:
    return f"{d.file}:{d.line}:{d.column}: {d.severity}[{d.code}]: {d.message}"


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
        "warnings": [d.as_dict() for d in checked.warnings],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render(checked: Checked, fmt: str) -> str:
    return as_json(checked) if fmt == "json" else text(checked)

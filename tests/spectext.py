"""Helpers for spec tests: build spec YAML text from overrides, find positions in it, collect diagnostics."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from journalgen.compiler import check_source
from journalgen.diagnostics import Diagnostic
from journalgen.errors import SpecError

DROP = object()
"""An override value that removes the key."""

BASE: dict[str, Any] = {
    "version": 1,
    "tenant": {"primary_domain": "contoso.com", "organization": "contoso.onmicrosoft.com"},
    "archive": {"vendor": "mimecast", "region": "us"},
    "journal_rules": [{"name": "Journal all mail"}],
    "ndr": {"address": "journal-ndr@contoso.com"},
}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is DROP:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def spec_text(overrides: dict[str, Any] | None = None) -> str:
    """The minimal valid spec with ``overrides`` merged in (nested dicts merge, ``DROP`` removes)."""
    data = _merge(BASE, overrides or {})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def position(text: str, needle: str, nth: int = 0) -> str:
    """``LINE:COL`` (1-based) of the ``nth`` occurrence of ``needle`` in ``text``."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def after(text: str, prefix: str, nth: int = 0) -> str:
    """``LINE:COL`` of the character right after the ``nth`` occurrence of ``prefix``."""
    line, column = position(text, prefix, nth).split(":")
    return f"{line}:{int(column) + len(prefix)}"


def diagnostics(text: str | bytes, *, strict: bool = False) -> list[Diagnostic]:
    """Every diagnostic (errors and warnings) the front end reports for ``text``."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return list(check_source(raw, "spec.yaml", strict=strict).warnings)
    except SpecError as exc:
        return list(exc.diagnostics)


def found(text: str | bytes, *, strict: bool = False) -> list[tuple[str, str]]:
    """``(CODE, "LINE:COL")`` of every diagnostic, in report order."""
    return [(d.code, f"{d.line}:{d.column}") for d in diagnostics(text, strict=strict)]


def codes(text: str | bytes, *, strict: bool = False) -> set[str]:
    return {d.code for d in diagnostics(text, strict=strict)}

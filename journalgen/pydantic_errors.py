"""Translate pydantic's validation errors into journalgen's findings, in plain words and with codes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from journalgen.diagnostics import Finding
from journalgen.spec import Spec, nested_model

_CODE_BY_TYPE = {
    "extra_forbidden": "JG101",
    "missing": "JG102",
    "jg_text": "JG104",
    "jg_address": "JG105",
    "jg_domain": "JG106",
    "jg_host": "JG107",
    "jg_alias": "JG112",
    "string_too_long": "JG108",
    "too_long": "JG108",
    "greater_than_equal": "JG109",
    "less_than_equal": "JG109",
    "literal_error": "JG110",
    "string_pattern_mismatch": "JG110",
    "too_short": "JG111",
}


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# What `journalgen init` writes for values only the vendor can issue: no domain, address, host or
# choice accepts '<', so such a spec never validates, and this names the value left to write.
_PLACEHOLDER = re.compile(r"<[^<>]+>")
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})


def _model_at(path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` (for 'did you mean' hints)."""
    model: type[BaseModel] = Spec
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        found = nested_model(field.annotation)[0]
        if found is None:
            return None
        model = found
    return model


def _homes(key: str, model: type[BaseModel] = Spec, prefix: str = "") -> list[str]:
    """The mappings (as dotted paths) where ``key`` is a valid key, for a key in the wrong place."""
    found = [prefix or "the top level"] if key in model.model_fields else []
    for name, field in model.model_fields.items():
        inner = nested_model(field.annotation)[0]
        if inner is not None:
            found += _homes(key, inner, f"{prefix}.{name}" if prefix else name)
    return found


def _message(error: ErrorDetails, path: tuple[str | int, ...]) -> tuple[str, str]:
    kind = error["type"]
    value = error.get("input")
    where = dotted(path)
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        key = str(path[-1])
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
            homes = [home for home in _homes(key) if home != dotted(path[:-1])]
            if close:
                hint = f"; did you mean '{close[0]}'?"
            elif homes:
                hint = f"; '{key}' belongs under {' or '.join(homes)}"
            else:
                hint = f"; valid keys here: {', '.join(model.model_fields)}"
        parent = dotted(path[:-1]) or "the top level"
        # repr() shows invisible characters, which are the likely reason the key is unknown.
        shown = f"'{key}'" if key.isprintable() else repr(key)
        return "JG101", f"unknown key {shown} in {parent}{hint}"
    if kind == "missing":
        parent = dotted(path[:-1]) or "the top level"
        return "JG102", f"missing required key '{path[-1]}' in {parent}"
    if isinstance(value, str) and (placeholder := _PLACEHOLDER.search(value)):
        return "JG113", (
            f"{where} is still the placeholder {value!r}; replace {placeholder.group()} with the "
            "real value"
        )
    if kind in _CODE_BY_TYPE and kind.startswith("jg_"):
        return _CODE_BY_TYPE[kind], f"{where}: {error['msg']}"
    if kind in ("string_too_long", "too_long"):
        length = len(value) if isinstance(value, str) else ctx.get("actual_length")
        return "JG108", f"{where} is {length} characters long; the limit is {ctx.get('max_length')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "JG109", f"{where} is {value}; it must be {_range_text(ctx)}"
    if kind == "literal_error":
        return "JG110", f"{where} must be one of {ctx.get('expected')}; got {show(value)}"
    if kind == "string_pattern_mismatch":
        return "JG110", f"{where} must be a lowercase name like 'mimecast'; got {show(value)}"
    if kind == "too_short":
        return "JG111", f"{where} needs at least {ctx.get('min_length')} entry"
    expected = {
        "bool_type": "true or false",
        "int_type": "a whole number",
        "string_type": "text",
        "tuple_type": "a list",
        "list_type": "a list",
        "model_type": "a mapping of keys",
        "dict_type": "a mapping of keys",
    }.get(kind)
    if expected is None:
        return "JG103", f"{where}: {error['msg']}"
    hint = ""
    if (
        kind == "bool_type"
        and isinstance(value, str)
        and value.lower() in _YAML11_BOOLS | {"true", "false"}
    ):
        hint = f" (write {'true' if value.lower() in ('yes', 'on', 'y', 'true') else 'false'} without quotes)"
    elif kind == "string_type" and isinstance(value, int | bool):
        hint = " (put it in quotes to make it text)"
    elif kind == "int_type" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        # Leading zeros keep a number text (YAML 1.1 would have read 0755 as octal).
        leading_zero = re.fullmatch(r"-?0[0-9]+", value)
        hint = " (write it without leading zeros)" if leading_zero else " (write it without quotes)"
    return "JG103", f"{where} must be {expected}, not {show(value)}{hint}"


def _range_text(ctx: dict[str, Any]) -> str:
    if "ge" in ctx and "le" in ctx:
        return f"from {ctx['ge']} to {ctx['le']}"
    if "ge" in ctx:
        return f"at least {ctx['ge']}"
    return f"at most {ctx.get('le')}"


def validation_findings(exc: ValidationError) -> list[Finding]:
    """One finding per pydantic error, each with its code and a message for people."""
    errors = exc.errors(include_url=False)
    failed = {tuple(e["loc"]) for e in errors}
    findings: list[Finding] = []
    for error in errors:
        path = tuple(error["loc"])
        # A list whose items failed also reports 'too short' after validation; that is noise.
        if error["type"] == "too_short" and any(
            loc[: len(path)] == path and loc != path for loc in failed
        ):
            continue
        code, message = _message(error, path)
        findings.append(Finding(code, path, message, at_key=error["type"] == "extra_forbidden"))
    return findings

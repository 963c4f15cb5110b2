"""The front end: spec file bytes to a resolved, checked spec, or every diagnostic at once."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from journalgen.checks import run_checks
from journalgen.codes import severity_of
from journalgen.diagnostics import Diagnostic, Finding, has_errors, promote_warnings
from journalgen.errors import SpecError
from journalgen.loader import LoadedDocument, PositionIndex, load_yaml
from journalgen.resolve import Resolved, resolve
from journalgen.spec import SPEC_VERSIONS, Spec


@dataclass(frozen=True, slots=True)
class Checked:
    """A spec that compiles: its resolved values, the SHA-256 source bytes, and its warnings."""

    file: str
    source: bytes
    resolved: Resolved
    warnings: tuple[Diagnostic, ...]


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


def _show(value: object) -> str:
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
        found = _find_model(field.annotation)
        if found is None:
            return None
        model = found
    return model


def _homes(key: str, model: type[BaseModel] = Spec, prefix: str = "") -> list[str]:
    """The mappings (as dotted paths) where ``key`` is a valid key, for a key in the wrong place."""
    found = [prefix or "the top level"] if key in model.model_fields else []
    for name, field in model.model_fields.items():
        inner = _find_model(field.annotation)
        if inner is not None:
            found += _homes(key, inner, f"{prefix}.{name}" if prefix else name)
    return found


def _find_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated or origin in (typing.Union, types.UnionType, tuple):
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


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
        return "JG110", f"{where} must be one of {ctx.get('expected')}; got {_show(value)}"
    if kind == "string_pattern_mismatch":
        return "JG110", f"{where} must be a lowercase name like 'mimecast'; got {_show(value)}"
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
    return "JG103", f"{where} must be {expected}, not {_show(value)}{hint}"


def _range_text(ctx: dict[str, Any]) -> str:
    if "ge" in ctx and "le" in ctx:
        return f"from {ctx['ge']} to {ctx['le']}"
    if "ge" in ctx:
        return f"at least {ctx['ge']}"
    return f"at most {ctx.get('le')}"


def _validation_findings(exc: ValidationError) -> list[Finding]:
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


def to_diagnostics(
    file: str, index: PositionIndex, findings: Iterable[Finding]
) -> list[Diagnostic]:
    out = []
    for f in findings:
        pos = index.locate(f.path, prefer_key=f.at_key)
        out.append(Diagnostic(file, pos.line, pos.column, f.code, severity_of(f.code), f.message))
    return out


def _empty_values(data: object, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Every key or list item written with no value (YAML null)."""
    items: Iterable[tuple[str | int, object]] = ()
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    for key, value in items:
        where = (*path, key)
        if value is None:
            what = f"'{dotted(where)}'"
            yield Finding(
                "JG114",
                where,
                f"{what} has no value; give one, or remove the key to use its default",
            )
        else:
            yield from _empty_values(value, where)


def _without_empty(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_empty(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_empty(v) for v in data if v is not None]
    return data


def _version_findings(data: dict[str, Any]) -> list[Finding]:
    if "version" not in data:
        return [
            Finding(
                "JG102",
                ("version",),
                "missing required key 'version'; a spec starts with 'version: 1'",
            )
        ]
    version = data["version"]
    supported = ", ".join(str(v) for v in SPEC_VERSIONS)
    if isinstance(version, int) and not isinstance(version, bool):
        if version in SPEC_VERSIONS:
            return []
        message = f"unsupported spec version {version}; this journalgen reads version {supported}"
    else:
        quoted = isinstance(version, str) and version.strip() in supported.split(", ")
        hint = " (write it without quotes)" if quoted else ""
        message = f"version must be the number {supported}, not {_show(version)}{hint}"
    return [Finding("JG100", ("version",), message)]


def check_document(document: LoadedDocument, source: bytes, *, strict: bool = False) -> Checked:
    """Validate, resolve and check a loaded document; raise :class:`SpecError` on any error."""
    file, index = document.file, document.index
    findings = _version_findings(document.data)
    if findings:
        raise SpecError(to_diagnostics(file, index, findings))
    empty = list(_empty_values(document.data, ()))
    data = _without_empty(document.data)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        nulls = {f.path for f in empty}
        found = [f for f in _validation_findings(exc) if f.path not in nulls]
        raise SpecError(to_diagnostics(file, index, empty + found)) from None
    if empty:
        raise SpecError(to_diagnostics(file, index, empty))
    resolved, findings = resolve(spec)
    if resolved is not None:
        findings = findings + run_checks(resolved)
    diagnostics = to_diagnostics(file, index, findings)
    if strict:
        diagnostics = promote_warnings(diagnostics)
    if resolved is None or has_errors(diagnostics):
        raise SpecError(diagnostics)
    return Checked(file, source, resolved, tuple(sorted(diagnostics, key=Diagnostic.sort_key)))


def check_source(source: bytes, file: str, *, strict: bool = False) -> Checked:
    """The whole front end on one spec's bytes; ``file`` is the name shown in diagnostics."""
    return check_document(load_yaml(source, file), source, strict=strict)

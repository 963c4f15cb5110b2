"""The spec stage: a loaded YAML document to a validated :class:`Spec`, or findings for every problem."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from journalgen.diagnostics import Finding
from journalgen.pydantic_errors import dotted, show, validation_findings
from journalgen.spec import SPEC_VERSIONS, Spec


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
        message = f"version must be the number {supported}, not {show(version)}{hint}"
    return [Finding("JG100", ("version",), message)]


def validate_spec(data: dict[str, Any]) -> tuple[Spec | None, list[Finding]]:
    """The document as a :class:`Spec`, or ``None`` and every finding that stops it being one."""
    findings = _version_findings(data)
    if findings:
        return None, findings
    empty = list(_empty_values(data, ()))
    try:
        spec = Spec.model_validate(_without_empty(data))
    except ValidationError as exc:
        nulls = {f.path for f in empty}
        return None, empty + [f for f in validation_findings(exc) if f.path not in nulls]
    if empty:
        return None, empty
    return spec, []

"""Diagnostics as data: what went wrong, where, and how bad it is."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    column: int


START = Position(1, 1)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in one file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, str | int]:
        """The JSON shape every machine-readable output uses."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": str(self.severity),
            "code": self.code,
            "message": self.message,
        }

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.code, self.message)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def promote_warnings(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Turn every warning into an error (``--strict``)."""
    return [
        Diagnostic(d.file, d.line, d.column, d.code, Severity.ERROR, d.message)
        if d.severity is Severity.WARNING
        else d
        for d in diagnostics
    ]


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem tied to a place in the spec (a path of keys and list indexes), before it has a line.

    ``at_key`` points at the key itself (unknown keys) instead of its value.
    """

    code: str
    path: tuple[str | int, ...]
    message: str
    at_key: bool = False

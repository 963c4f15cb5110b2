"""Diagnostics as data: what went wrong, where, and how bad it is (the severity is the code's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from journalgen.codes import Severity, require_registered, severity_of

__all__ = ["START", "Diagnostic", "Finding", "Position", "Severity"]


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    column: int


START = Position(1, 1)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in one file; ``line`` and ``column`` are 1-based.

    The severity is never given: it is the registered code's, or an error when ``--strict``
    promoted a warning. An unregistered code is refused here, so it cannot reach a user.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    promoted: bool = False

    def __post_init__(self) -> None:
        require_registered(self.code)

    @classmethod
    def at(cls, file: str, position: Position, code: str, message: str) -> Diagnostic:
        return cls(file, position.line, position.column, code, message)

    @property
    def severity(self) -> Severity:
        return Severity.ERROR if self.promoted else severity_of(self.code)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        """The text form, ``file:line:col: severity[CODE]: message``; written nowhere else."""
        return (
            f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        )

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
    return [replace(d, promoted=True) if not d.is_error else d for d in diagnostics]


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem tied to a place in the spec (a path of keys and list indexes), before it has a line.

    ``at_key`` points at the key itself (unknown keys) instead of its value. An unregistered code
    is refused here, at the check that made it.
    """

    code: str
    path: tuple[str | int, ...]
    message: str
    at_key: bool = False

    def __post_init__(self) -> None:
        require_registered(self.code)

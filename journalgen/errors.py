"""Typed errors raised by domain code; the CLI alone turns them into messages and exit codes."""

from __future__ import annotations

from collections.abc import Sequence

from journalgen.diagnostics import Diagnostic


class JournalgenError(Exception):
    """Base of every error journalgen expects and reports without a traceback."""

    exit_code = 1


class SpecError(JournalgenError):
    """A spec cannot be compiled; carries every diagnostic found, warnings included."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__(f"{len(self.diagnostics)} problem(s) in spec")


class OutputError(JournalgenError):
    """Output could not be written; nothing was changed."""


class UsageError(JournalgenError):
    """The command line asks for something that cannot be done."""

    exit_code = 2


class PinError(JournalgenError):
    """The spec repository's `.journalgen-version` does not allow this journalgen; nothing was read."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(f"{self.diagnostics[0].file} does not allow this journalgen")

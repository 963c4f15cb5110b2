"""The journalgen versions a spec repository accepts: `.journalgen-version`, a PEP 440 subset."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from journalgen import __version__
from journalgen.diagnostics import Diagnostic

PIN_FILE = ".journalgen-version"

# One clause: an operator and a release of dot-separated numbers; `==` and `!=` may end in `.*`.
# Pre-, post- and dev-releases, epochs and local versions are not part of the subset.
CLAUSE = re.compile(r"(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?")
Release = tuple[int, ...]


def release(text: str) -> Release:
    return tuple(int(part) for part in text.split("."))


def _padded(a: Release, b: Release) -> tuple[Release, Release]:
    size = max(len(a), len(b))
    return a + (0,) * (size - len(a)), b + (0,) * (size - len(b))


def _matches(op: str, wanted: Release, prefix: bool, have: Release) -> bool:
    if prefix:  # ==1.2.* : the release starts with 1.2
        same = _padded(have, wanted)[0][: len(wanted)] == wanted
        return same if op == "==" else not same
    x, y = _padded(have, wanted)
    if op == "~=":  # ~=1.4.2 : >=1.4.2 and ==1.4.*
        return x >= y and _matches("==", wanted[:-1], True, have)
    return {
        "==": x == y,
        "!=": x != y,
        "<=": x <= y,
        ">=": x >= y,
        "<": x < y,
        ">": x > y,
    }[op]


@dataclass(frozen=True, slots=True)
class Specifier:
    """Comma-separated clauses, all of which a version must meet, like ``>=0.2,<0.3``."""

    clauses: tuple[tuple[str, Release, bool], ...]

    @classmethod
    def parse(cls, text: str) -> Specifier:
        clauses = []
        for raw in text.split(","):
            match = CLAUSE.fullmatch(raw.strip())
            if match is None:
                raise ValueError(
                    f"{raw.strip()!r} is not a version clause like '>=0.2' or '==0.2.*'"
                )
            op, number, star = match.groups()
            if star and op not in ("==", "!="):
                raise ValueError(f"{raw.strip()!r}: only == and != take '.*'")
            if op == "~=" and "." not in number:
                raise ValueError(f"{raw.strip()!r}: ~= needs at least two numbers, like ~=0.2")
            clauses.append((op, release(number), bool(star)))
        return cls(tuple(clauses))

    def contains(self, version: str) -> bool:
        have = release(version)
        return all(_matches(op, wanted, prefix, have) for op, wanted, prefix in self.clauses)


def find_pin(start: Path) -> Path | None:
    """The nearest `.journalgen-version` in ``start`` or above, stopping at a git repository's top."""
    for folder in (start, *start.parents):
        candidate = folder / PIN_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def check_pin(start: Path, version: str = __version__) -> list[Diagnostic]:
    """An error when the spec repository around ``start`` pins journalgen versions this is not."""
    nearest = find_pin(start)
    if nearest is None:
        return []
    pin = Path(os.path.relpath(nearest, start))
    try:
        lines = nearest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [_pin(str(pin), 1, f"cannot read the file: {exc}")]
    uncommented = ((number, line.split("#", 1)[0].strip()) for number, line in enumerate(lines, 1))
    found = [(number, text) for number, text in uncommented if text]
    if len(found) != 1:
        return [_pin(str(pin), 1, "needs exactly one line like '>=0.2,<0.3' (and # comments)")]
    number, text = found[0]
    try:
        specifier = Specifier.parse(text)
    except ValueError as exc:
        return [_pin(str(pin), number, str(exc))]
    if specifier.contains(version):
        return []
    return [
        _pin(
            str(pin),
            number,
            f"this spec repository wants journalgen {text}, this is {version}: "
            "install a matching version, or change the pin in its own reviewed commit",
        )
    ]


def _pin(file: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(file, line, 1, "JG026", message)

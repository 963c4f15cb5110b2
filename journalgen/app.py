"""What each command does, apart from how its arguments are parsed: inputs in, results as data out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from journalgen.diagnostics import Diagnostic, Severity
from journalgen.errors import SpecError, UsageError

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class Outcome:
    """Everything a command found, handed to one reporter at the end."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, file: str, diagnostics: Iterable[Diagnostic]) -> None:
        found = list(diagnostics)
        self.diagnostics.extend(found)
        if any(d.severity is Severity.ERROR for d in found):
            self.failed.append(file)


def expand_inputs(paths: Iterable[str]) -> Iterator[Path]:
    """Spec files as given, and the ``*.yaml``/``*.yml`` files below any folder, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not found:
                raise UsageError(f"no *.yaml or *.yml spec files in folder {raw}")
            yield from found
        else:
            yield path


def read_spec(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError(
            [
                Diagnostic(
                    str(path), 1, 1, "JG001", Severity.ERROR, f"cannot read the file: {reason}"
                )
            ]
        ) from None


def validate(paths: Iterable[str], *, strict: bool) -> Outcome:
    from journalgen.frontend import check_source

    outcome = Outcome()
    for path in expand_inputs(paths):
        name = str(path)
        outcome.files.append(name)
        try:
            checked = check_source(read_spec(path), name, strict=strict)
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
        else:
            outcome.add(name, checked.warnings)
    return outcome


def schema_text() -> str:
    from journalgen.spec import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _unique_stems(paths: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        if path.stem in seen:
            raise UsageError(
                f"{seen[path.stem]} and {path} would both build into '{path.stem}/'; rename one"
            )
        seen[path.stem] = path


def build(paths: Iterable[str], out_dir: Path, *, strict: bool) -> Outcome:
    """Compile each spec into ``out_dir/<stem>/``, one at a time; a bad spec is reported and skipped."""
    from journalgen.build import compile_bundle
    from journalgen.frontend import check_source
    from journalgen.write import write_files

    specs = list(expand_inputs(paths))
    _unique_stems(specs)
    outcome = Outcome()
    for path in specs:
        name = str(path)
        outcome.files.append(name)
        try:
            checked = check_source(read_spec(path), name, strict=strict)
        except SpecError as exc:
            outcome.add(name, exc.diagnostics)
            continue
        outcome.add(name, checked.warnings)
        written = write_files(out_dir / path.stem, compile_bundle(checked))
        outcome.written.extend(str(p) for p in written)
    return outcome


def render(path: str, *, strict: bool) -> tuple[Outcome, bytes | None]:
    """The apply script of one spec, in memory."""
    from journalgen.build import compile_bundle
    from journalgen.frontend import check_source

    outcome = Outcome(files=[path])
    try:
        checked = check_source(read_spec(Path(path)), path, strict=strict)
    except SpecError as exc:
        outcome.add(path, exc.diagnostics)
        return outcome, None
    outcome.add(path, checked.warnings)
    return outcome, compile_bundle(checked)["apply.ps1"]

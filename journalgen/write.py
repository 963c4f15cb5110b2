"""Atomic writes: every output is built in memory, then replaces its target in one step."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from journalgen.diagnostics import Diagnostic
from journalgen.errors import OutputError

# Durability. The rename is what keeps a reader from ever seeing half a file, whatever follows.
# A per-file fsync adds only crash durability: after a power cut each file is whole, old or new.
# It cannot make a bundle's five renames one step, so after a crash a bundle may mix old and new
# files either way, and `journalgen check` (which compares every byte) finds that and any file a
# crash left empty; building again repairs it. Measured on a 2-core VM (benchmarks/, README),
# five fsyncs per bundle cost about 1.5 ms a spec, over a third of a build; one os.sync() at the
# end of a build costs about 0.2 ms a spec. So `build` writes without fsync and calls
# sync_to_disk() once before it exits; single files (init -o, render -o) keep their fsync.
CAN_SYNC = hasattr(os, "sync")


def output_mode() -> int:
    """The mode a new file gets from the umask, as ``open()`` would give it (0644 under 022)."""
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def _temp_name(name: str) -> re.Pattern[str]:
    """The names _stage gives the temporary files of ``name``: mkstemp's eight random characters."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")


def _stage(target: Path, data: bytes, *, mode: int, fsync: bool) -> Path:
    """Write ``data`` to a temporary file beside ``target`` and return its path."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(name, mode)  # mkstemp makes 0600; outputs get what the umask gives
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened for fsync
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _missing(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing.append(path)
    return missing


def _sweep(folder: Path, names: Iterable[str]) -> None:
    """Remove what an interrupted write of ``names`` (a killed build) left in ``folder``."""
    leftover = re.compile("|".join(_temp_name(name).pattern for name in names))
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if leftover.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_files(folder: Path, files: Mapping[str, bytes], *, fsync: bool = True) -> list[Path]:
    """Write several files into ``folder`` all or nothing.

    Every file is staged first; only when all are written is each moved over its target, so a
    failure leaves existing files untouched and no partial set behind. A folder this call made is
    removed again when the write fails. A replaced file gets the umask's mode like a new one, not
    the mode of the file it replaces. The temporary files an interrupted earlier write of these
    names left are removed. With ``fsync=False`` the caller owes one sync_to_disk() after its last
    write (where the platform has no os.sync, every file is fsynced anyway).
    """
    fsync = fsync or not CAN_SYNC
    mode = output_mode()
    made = _missing(folder)
    staged: list[tuple[Path, Path]] = []
    replaced: list[Path] = []
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                target = folder / name
                if target.is_dir():
                    raise OutputError(f"cannot write {target}: a folder has that name")
                staged.append((_stage(target, data, mode=mode, fsync=fsync), target))
            for temp, target in staged:
                os.replace(temp, target)
                replaced.append(target)
        finally:
            for temp, _ in staged:
                with contextlib.suppress(OSError):
                    temp.unlink()
    except BaseException as exc:
        # Everything in a folder this call made is its own; an older folder keeps its files.
        if made:
            for target in replaced:
                with contextlib.suppress(OSError):
                    target.unlink()
            for path in made:  # deepest first; one that is not empty stays
                with contextlib.suppress(OSError):
                    path.rmdir()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
        raise
    _sweep(folder, files)
    if fsync:
        _fsync_dir(folder)
    return [target for _, target in staged]


def shown_path(path: Path) -> str:
    r"""``path`` as text that can be printed: bytes that are not UTF-8 as ``\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


LINK = (
    "a symbolic link: journalgen writes and checks a bundle only as files in a folder of its own "
    "in the out dir, never through a link; remove the link"
)


def refuse_links(folder: Path, out_dir: Path) -> list[Diagnostic]:
    """Why ``folder`` may not be written or trusted as a bundle folder of ``out_dir``; none: it may.

    It may not when it is a symbolic link, when it resolves to anything but a folder of its own
    directly in ``out_dir`` (a spec named ``..``, a Windows junction), or when it holds a link.
    """
    if folder.is_symlink():
        return [Diagnostic(shown_path(folder), 1, 1, "JG032", LINK)]
    real: Path | None
    try:
        real = folder.resolve()
        inside = real.parent == out_dir.resolve()
    except (OSError, RuntimeError):  # a loop of links
        real, inside = None, False
    if not inside:
        message = (
            f"resolves to {shown_path(real) if real else 'a loop of links'}, not to a folder of "
            f"its own in {shown_path(out_dir)}, where journalgen writes a bundle: rename the spec, "
            "or remove the link"
        )
        return [Diagnostic(shown_path(folder), 1, 1, "JG033", message)]
    try:
        entries = sorted(folder.iterdir())
    except OSError:  # missing, or unreadable and so not writable either
        return []
    return [Diagnostic(shown_path(p), 1, 1, "JG032", LINK) for p in entries if p.is_symlink()]


def sync_to_disk() -> None:
    """One durability barrier for everything written with ``fsync=False``."""
    if CAN_SYNC:
        os.sync()


def write_atomic(path: Path, data: bytes) -> Path:
    """Write one file atomically (temporary file, flush, fsync, replace) with the umask's mode."""
    return write_files(path.parent, {path.name: data})[0]

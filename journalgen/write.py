"""Atomic writes: every output is built in memory, then replaces its target in one step."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

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


def write_files(folder: Path, files: Mapping[str, bytes], *, fsync: bool = True) -> list[Path]:
    """Write several files into ``folder`` all or nothing.

    Every file is staged first; only when all are written is each moved over its target, so a
    failure leaves existing files untouched and no partial set behind. A replaced file gets the
    umask's mode like a new one, not the mode of the file it replaces. With ``fsync=False`` the
    caller owes one sync_to_disk() after its last write (where the platform has no os.sync, every
    file is fsynced anyway).
    """
    fsync = fsync or not CAN_SYNC
    mode = output_mode()
    staged: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            target = folder / name
            if target.is_dir():
                raise OutputError(f"cannot write {target}: a folder has that name")
            staged.append((_stage(target, data, mode=mode, fsync=fsync), target))
        for temp, target in staged:
            os.replace(temp, target)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                temp.unlink()
    if fsync:
        _fsync_dir(folder)
    return [target for _, target in staged]


def sync_to_disk() -> None:
    """One durability barrier for everything written with ``fsync=False``."""
    if CAN_SYNC:
        os.sync()


def write_atomic(path: Path, data: bytes) -> Path:
    """Write one file atomically (temporary file, flush, fsync, replace) with the umask's mode."""
    return write_files(path.parent, {path.name: data})[0]

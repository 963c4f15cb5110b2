"""Atomic writes: every output is built in memory, then replaces its target in one step."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from journalgen.errors import OutputError


def _stage(target: Path, data: bytes) -> Path:
    """Write ``data`` to a fsynced temporary file beside ``target`` and return its path."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` all or nothing.

    Every file is staged first; only when all are safely on disk is each moved over its target,
    so a failure leaves existing files untouched and no partial set behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            target = folder / name
            if target.is_dir():
                raise OutputError(f"cannot write {target}: a folder has that name")
            staged.append((_stage(target, data), target))
        for temp, target in staged:
            os.replace(temp, target)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                temp.unlink()
    _fsync_dir(folder)
    return [target for _, target in staged]


def write_atomic(path: Path, data: bytes) -> Path:
    """Write one file atomically (temporary file, flush, fsync, replace)."""
    return write_files(path.parent, {path.name: data})[0]

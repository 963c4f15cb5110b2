"""Earlier versions of specs, read from git for `build --previous-rev`, and whether a spec changed since."""

from __future__ import annotations

import subprocess
from pathlib import Path

from journalgen.errors import UsageError


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise UsageError("--previous-rev needs git, which is not installed") from None


def check_rev(rev: str, folder: Path) -> None:
    """Fail unless ``folder`` is in a git repository that has the commit ``rev``."""
    if rev.startswith("-"):
        raise UsageError(f"--previous-rev {rev!r}: a revision cannot start with '-'")
    done = _git(folder, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise UsageError(f"--previous-rev {rev}: no such commit in the git repository of {folder}")


def spec_at(rev: str, path: Path) -> bytes | None:
    """The bytes of the spec at ``path`` as of ``rev``, or ``None`` when it did not exist then.

    ``./name`` makes git resolve the path from the spec's own folder, wherever journalgen runs.
    """
    folder = path.parent
    done = _git(folder, "cat-file", "blob", f"{rev}:./{path.name}")
    if done.returncode != 0:
        return None
    return done.stdout


def same_spec(earlier: bytes, current: bytes) -> bool:
    """Whether a spec is unchanged since a revision: the same bytes, but for git's CRLF/LF conversion.

    git hands back a file as the repository stores it; a checkout with ``core.autocrlf`` holds
    it with CRLF, which is no change to the spec.
    """
    return earlier == current or earlier.replace(b"\r\n", b"\n") == current.replace(b"\r\n", b"\n")

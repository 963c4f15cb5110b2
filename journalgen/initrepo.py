"""`init-repo`: the files of a new spec repository, pinned to the journalgen that writes them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from journalgen import __version__
from journalgen.errors import OutputError, UsageError
from journalgen.pin import PIN_FILE
from journalgen.spec import SCHEMA_FILE

SPECS, STATES, GENERATED = "specs", "states", "generated"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
WORKFLOW = ".github/workflows/journalgen.yml"
# Git keeps no empty folder; an empty .gitkeep is what no journalgen command reads as a spec,
# a state or a bundle.
KEEP = ".gitkeep"

GITATTRIBUTES = """\
# Let git convert line endings of ordinary text, but keep the bundles byte for byte as journalgen
# wrote them (scripts CRLF, CHANGE.md and manifest.json LF), so the hashes in CHANGE.md and
# manifest.json are those of the files the operator runs (journalgen's README: "Line endings").
* text=auto
generated/** -text
"""

PIN = """\
# The journalgen versions this spec repository accepts (journalgen's README: "Pinning the
# journalgen version"); every journalgen command refuses to run under any other. Raise it in a
# commit of its own, with the rebuilt bundles and the same version in .pre-commit-config.yaml and
# .github/workflows/journalgen.yml.
~={release}
"""

PRE_COMMIT = """\
# pre-commit hooks (https://pre-commit.com): `pre-commit install` once per clone, then every
# commit runs them. They are journalgen's own hooks (its .pre-commit-hooks.yaml) as local hooks
# that install journalgen from your package index, pinned like .journalgen-version.
repos:
  - repo: local
    hooks:
      - id: journalgen-validate
        name: journalgen validate
        entry: journalgen validate
        language: python
        additional_dependencies: ["journalgen=={version}"]
        # Spec files only: not this file or other YAML in the repository.
        files: ^specs/.*\\.ya?ml$
        types: [yaml]
        # One process for all staged specs, so specs for one tenant are checked together.
        require_serial: true
      - id: journalgen-check
        name: journalgen check
        entry: journalgen check
        language: python
        additional_dependencies: ["journalgen=={version}"]
        # The whole spec folder, whenever a spec, a generated file or the version pin changes.
        args: [specs, --out-dir, generated]
        files: ^(specs/.*\\.ya?ml|generated/.*|\\.journalgen-version)$
        pass_filenames: false
        require_serial: true
"""

# GitHub's ${{ }} expressions are why this is filled in with str.replace, not str.format.
WORKFLOW_TEXT = """\
# journalgen in GitHub Actions: every push and pull request validates the specs and checks that
# the bundles in generated/ are what the specs compile to; every night each spec is planned
# against its tenant's captured state in states/, to catch drift.
name: journalgen

on:
  push:
  pull_request:
  schedule:
    - cron: "17 3 * * *"  # nightly, 03:17 UTC
  workflow_dispatch:

permissions:
  contents: read

jobs:
  check:
    if: github.event_name != 'schedule'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # The version .journalgen-version allows, as in .pre-commit-config.yaml.
      - run: python -m pip install "journalgen==@VERSION@"
      - run: journalgen validate specs --format github
      - run: journalgen check specs --out-dir generated --format github

  plan:
    if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install "journalgen==@VERSION@"
      # Every spec against the state of its tenant in states/ (any file name: a state that
      # verify.ps1 -StatePath or capture-script wrote), one row per tenant, then each plan.
      # Exit 1 when a plan has an error, else 2 when any tenant would change, else 0; a spec
      # with no state, or a state older than --max-age days, is a warning.
      - name: plan every tenant against its captured state
        run: journalgen plan specs --states states --details --max-age 7 --detailed-exitcode
"""


def pin_release(version: str = __version__) -> str:
    """``major.minor.patch`` of a version, for a ``~=`` pin that allows its patch releases."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    if match is None:
        raise ValueError(f"{version!r} does not start with a release number")
    parts = [*match.group(0).split("."), "0", "0"]
    return ".".join(parts[:3])


def repo_files(version: str = __version__) -> dict[str, bytes]:
    """Every file `init-repo` writes, by path inside the repository, in the order it writes them."""
    from journalgen.app import schema_text

    texts = {
        f"{SPECS}/{KEEP}": "",
        f"{STATES}/{KEEP}": "",
        f"{GENERATED}/{KEEP}": "",
        f"schemas/{SCHEMA_FILE}": schema_text(),
        ".gitattributes": GITATTRIBUTES,
        PIN_FILE: PIN.format(release=pin_release(version)),
        PRE_COMMIT_CONFIG: PRE_COMMIT.format(version=version),
        WORKFLOW: WORKFLOW_TEXT.replace("@VERSION@", version),
    }
    return {name: text.encode("utf-8") for name, text in texts.items()}


@dataclass(frozen=True, slots=True)
class Written:
    """One file `init-repo` wrote: its path as the user would type it, and whether it replaced one."""

    path: str
    replaced: bool


def _refuse(folder: Path, names: list[str], *, force: bool) -> None:
    """Every reason not to write, found before anything is written."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    if not force and folder.is_dir() and any(folder.iterdir()):
        raise UsageError(
            f"{folder} is not empty; use --force to add the repository's files to it "
            "(it replaces only those files and keeps every other)"
        )
    for name in names:
        target = folder / name
        if target.is_dir():
            raise OutputError(f"cannot write {target}: a folder has that name")
        for parent in target.parents:
            if parent == folder:
                break
            if parent.exists() and not parent.is_dir():
                raise OutputError(f"cannot write {target}: {parent} is not a folder")


def write_repo(folder: Path, *, force: bool, version: str = __version__) -> list[Written]:
    """Write a new spec repository's files into ``folder``; with ``force``, also into a used one."""
    from journalgen.write import write_atomic

    files = repo_files(version)
    _refuse(folder, list(files), force=force)
    written: list[Written] = []
    for name, data in files.items():
        target = folder / name
        replaced = target.exists()
        try:
            write_atomic(target, data)
        except OutputError as exc:
            done = ", ".join(item.path for item in written) or "nothing"
            raise OutputError(f"{exc} (written before it: {done})") from None
        written.append(Written(target.as_posix(), replaced))
    return written


def next_steps(folder: Path, *, has_git: bool) -> list[str]:
    """What a new user types next, from the folder they ran `init-repo` in."""
    steps = [] if folder == Path(".") else [f"cd {shlex.quote(folder.as_posix())}"]
    steps += [
        "journalgen init --vendor mimecast --region us --domain contoso.com "
        "--organization contoso.onmicrosoft.com --ndr-address journal-ndr@contoso.com "
        "-o specs/contoso.yaml   # your tenant; `journalgen presets` lists the vendors",
        "journalgen build specs -d generated",
    ]
    if not has_git:
        steps.append("git init")
    steps += [
        'git add . && git commit -m "journalgen spec repository"',
        "pre-commit install   # validate and check on every commit",
    ]
    return steps

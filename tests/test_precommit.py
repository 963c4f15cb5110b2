"""The pre-commit hooks, checked by pre-commit itself: what they run on and what they catch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"
SAMPLE = ROOT / "samples" / "contoso-mimecast.yaml"
# What pre-commit needs to install journalgen from a copy of this repository.
PROJECT = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "journalgen",
    "templates",
    "schemas",
)
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}


def test_the_hook_file_is_a_valid_pre_commit_manifest() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    loaded = clientlib.load_manifest(str(HOOKS))
    assert {hook["id"] for hook in loaded} == {"journalgen-validate", "journalgen-check"}


@pytest.mark.parametrize(
    ("path", "validate", "check"),
    [
        ("specs/contoso.yaml", True, True),
        ("specs/eu/fabrikam.yml", True, True),
        (".pre-commit-config.yaml", False, False),
        ("docs/notes.yaml", False, False),
        ("generated/contoso/apply.ps1", False, True),
        ("generated/contoso/manifest.json", False, True),
        (".journalgen-version", False, True),
    ],
)
def test_which_files_start_which_hook(path: str, validate: bool, check: bool) -> None:
    found = hooks()
    assert bool(re.search(str(found["journalgen-validate"]["files"]), path)) is validate
    assert bool(re.search(str(found["journalgen-check"]["files"]), path)) is check


def test_the_check_hook_checks_the_whole_spec_folder() -> None:
    check = hooks()["journalgen-check"]
    assert check["pass_filenames"] is False
    assert check["args"] == ["specs", "--out-dir", "generated"]


# --- pre-commit itself, on a spec repository ---------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def spec_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spec repository using this repository's hooks, with pre-commit's environment installed."""
    if (
        shutil.which("git") is None
        or shutil.which("pre-commit", path=Path(sys.executable).parent) is None
    ):
        pytest.skip("git and pre-commit are needed (pre-commit is in the test extras)")
    base = tmp_path_factory.mktemp("precommit")
    hook_repo = base / "journalgen"
    hook_repo.mkdir()
    for name in PROJECT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, hook_repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, hook_repo / name)
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", ".")
    git(hook_repo, "commit", "-q", "-m", "journalgen")
    rev = git(hook_repo, "rev-parse", "HEAD")

    repo = base / "specs-repo"
    (repo / "specs").mkdir(parents=True)
    shutil.copy(SAMPLE, repo / "specs" / "contoso.yaml")
    config = {
        "repos": [
            {
                "repo": str(hook_repo),
                "rev": rev,
                "hooks": [{"id": "journalgen-validate"}, {"id": "journalgen-check"}],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    journalgen = Path(sys.executable).parent / "journalgen"
    subprocess.run([str(journalgen), "build", "specs", "-d", "generated"], cwd=repo, check=True)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    pre_commit(repo, "install-hooks")
    return repo


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "pre-commit"), *args]
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(repo.parent / "cache")}
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env, check=False)


def staged_run(repo: Path, edit: dict[str, bytes]) -> subprocess.CompletedProcess[str]:
    """`pre-commit run` on these staged changes, then the repository as it was."""
    try:
        for name, data in edit.items():
            (repo / name).write_bytes(data)
        git(repo, "add", ".")
        return pre_commit(repo, "run")
    finally:
        git(repo, "reset", "-q", "--hard")
        git(repo, "clean", "-qfd")


def test_only_the_config_changed_runs_nothing(spec_repo: Path) -> None:
    config = (spec_repo / ".pre-commit-config.yaml").read_bytes()
    done = staged_run(spec_repo, {".pre-commit-config.yaml": config + b"# note\n"})
    assert done.returncode == 0, done.stdout
    assert "journalgen validate" in done.stdout and "(no files to check)Skipped" in done.stdout


def test_a_hand_edited_script_alone_is_caught(spec_repo: Path) -> None:
    apply = spec_repo / "generated" / "contoso" / "apply.ps1"
    done = staged_run(spec_repo, {"generated/contoso/apply.ps1": apply.read_bytes() + b"# x\r\n"})
    assert done.returncode == 1
    assert "error[JG021]" in done.stdout


def test_a_bad_spec_is_caught(spec_repo: Path) -> None:
    done = staged_run(spec_repo, {"specs/contoso.yaml": b"version: 1\n"})
    assert done.returncode == 1
    assert "error[JG102]" in done.stdout


def test_an_unchanged_repository_passes(spec_repo: Path) -> None:
    done = pre_commit(spec_repo, "run", "--all-files")
    assert done.returncode == 0, done.stdout

"""`journalgen init-repo`: the new spec repository's files, and the README's five minutes, for real."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from journalgen import __version__
from journalgen.cli import main
from journalgen.pin import PIN_FILE, check_pin
from tests.conftest import ROOT
from tests.test_precommit import GIT_ENV, PROJECT

FILES = {
    "specs/.gitkeep",
    "states/.gitkeep",
    "generated/.gitkeep",
    "schemas/journalgen-spec-v1.schema.json",
    ".gitattributes",
    ".journalgen-version",
    ".pre-commit-config.yaml",
    ".github/workflows/journalgen.yml",
}
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
WORKFLOW = ".github/workflows/journalgen.yml"
SAMPLE = ROOT / "samples" / "contoso-mimecast.yaml"
STATES = ROOT / "samples" / "states"


def init_repo(*args: str) -> Result:
    return CliRunner().invoke(main, ["init-repo", *args])


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_it_writes_exactly_the_repository_files_and_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "acme"
    done = init_repo(str(repo))
    assert done.exit_code == 0, done.output
    assert files_in(repo) == FILES
    wrote = [line.removeprefix("wrote ") for line in done.stdout.splitlines() if "wrote" in line]
    assert sorted(wrote) == sorted(f"{repo.as_posix()}/{name}" for name in FILES)
    assert "next steps:" in done.stdout
    assert "journalgen build specs -d generated" in done.stdout
    assert "git init" in done.stdout


def test_every_file_is_the_same_on_every_run(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert init_repo(str(tmp_path / name)).exit_code == 0
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = init_repo(str(tmp_path))
    assert done.exit_code == 2
    assert "is not empty; use --force" in done.stderr
    assert files_in(tmp_path) == {"notes.txt"}


def test_force_replaces_only_its_own_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "specs").mkdir()
    shutil.copy(SAMPLE, tmp_path / "specs" / "contoso.yaml")
    (tmp_path / PIN_FILE).write_text("==0.0.1\n")
    done = init_repo(str(tmp_path), "--force")
    assert done.exit_code == 0, done.output
    assert files_in(tmp_path) == FILES | {"notes.txt", "specs/contoso.yaml"}
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert (tmp_path / "specs" / "contoso.yaml").read_bytes() == SAMPLE.read_bytes()
    assert f"replaced {tmp_path.as_posix()}/{PIN_FILE}" in done.stdout
    assert pin_allows(tmp_path, __version__)


def test_a_folder_in_the_way_of_a_file_stops_it_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").mkdir()
    done = init_repo(str(tmp_path), "--force")
    assert done.exit_code == 1
    assert "a folder has that name" in done.stderr
    assert files_in(tmp_path) == set()


def test_a_file_given_as_the_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "repo").write_text("")
    done = init_repo(str(tmp_path / "repo"), "--force")
    assert done.exit_code == 2
    assert "is a file" in done.stderr
    assert (tmp_path / "repo").read_text() == ""


def pin_allows(repo: Path, version: str) -> bool:
    """Whether journalgen ``version`` may run in ``repo``, as every command checks it (from cwd)."""
    with contextlib.chdir(repo):
        found = check_pin(Path.cwd(), version)
    assert all(d.code == "JG026" and "wants journalgen" in d.message for d in found), found
    return not found


def test_the_written_pin_accepts_this_journalgen_and_its_patch_releases(tmp_path: Path) -> None:
    assert init_repo(str(tmp_path)).exit_code == 0
    assert pin_allows(tmp_path, __version__)
    major, minor, patch = (int(n) for n in __version__.split(".")[:3])
    assert pin_allows(tmp_path, f"{major}.{minor}.{patch + 1}")
    assert not pin_allows(tmp_path, f"{major}.{minor + 1}.0")


@settings(max_examples=50, deadline=None)
@given(
    st.tuples(*[st.integers(0, 30)] * 3),
    st.integers(1, 5),
)
def test_a_pin_written_for_any_version_allows_it_and_refuses_the_next_minor(
    release: tuple[int, int, int], step: int
) -> None:
    from journalgen.initrepo import repo_files

    major, minor, patch = release
    version = f"{major}.{minor}.{patch}"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / PIN_FILE).write_bytes(repo_files(version)[PIN_FILE])
        assert pin_allows(folder, version)
        assert pin_allows(folder, f"{major}.{minor}.{patch + step}")
        assert not pin_allows(folder, f"{major}.{minor + step}.0")
        assert not pin_allows(folder, f"{major + step}.{minor}.{patch}")
        if patch:
            assert not pin_allows(folder, f"{major}.{minor}.{patch - 1}")


def test_the_schema_is_what_journalgen_schema_prints(tmp_path: Path) -> None:
    assert init_repo(str(tmp_path)).exit_code == 0
    printed = CliRunner().invoke(main, ["schema"]).stdout_bytes
    assert (tmp_path / "schemas" / "journalgen-spec-v1.schema.json").read_bytes() == printed


def workflow(repo: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((repo / WORKFLOW).read_text())
    # YAML 1.1, which PyYAML reads, takes a bare `on` for true; GitHub reads it as the key.
    loaded["on"] = loaded.pop(True)
    assert isinstance(loaded, dict)
    return loaded


def runs(job: object) -> list[str]:
    assert isinstance(job, dict)
    return [str(step["run"]) for step in job["steps"] if "run" in step]


def test_the_workflow_validates_and_checks_on_push_and_plans_nightly(tmp_path: Path) -> None:
    assert init_repo(str(tmp_path)).exit_code == 0
    found = workflow(tmp_path)
    on = found["on"]
    assert isinstance(on, dict) and {"push", "pull_request", "schedule"} <= set(on)
    jobs = found["jobs"]
    assert isinstance(jobs, dict)
    check, plan = runs(jobs["check"]), runs(jobs["plan"])
    assert f'python -m pip install "journalgen=={__version__}"' in check
    assert any(run.startswith("journalgen validate specs") for run in check)
    assert any(run.startswith("journalgen check specs --out-dir generated") for run in check)
    assert jobs["check"]["if"] == "github.event_name != 'schedule'"
    assert "github.event_name == 'schedule'" in jobs["plan"]["if"]
    (step,) = [run for run in plan if "journalgen plan" in run]
    assert step.startswith("journalgen plan specs --states states")
    assert "--detailed-exitcode" in step


def nightly(repo: Path) -> subprocess.CompletedProcess[str]:
    """The workflow's nightly plan step, run by bash in ``repo`` with this journalgen."""
    (step,) = [run for run in runs(workflow(repo)["jobs"]["plan"]) if "journalgen plan" in run]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-e", "-c", step], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="the nightly step is run by bash")
def test_the_nightly_plan_step_exits_as_plan_detailed_exitcode_does(tmp_path: Path) -> None:
    assert init_repo(str(tmp_path)).exit_code == 0
    shutil.copy(SAMPLE, tmp_path / "specs" / "contoso-mimecast.yaml")
    # Any file name: the fleet plan pairs a state with its spec by the tenant it records.
    state = tmp_path / "states" / "captured-2026-11-27.json"

    # Before the first capture the folder holds no state: a usage error, not a silent pass.
    assert nightly(tmp_path).returncode == 2
    # Another tenant's state only: this tenant has none, a warning.
    shutil.copy(STATES / "litware-custom.json", tmp_path / "states")
    done = nightly(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "JG045" in done.stdout + done.stderr

    shutil.copy(STATES / "contoso-mimecast.json", state)
    done = nightly(tmp_path)
    # A sample capture is older than --max-age days: still no change, and said so.
    assert done.returncode == 0, done.stdout + done.stderr

    shutil.copy(STATES / "contoso-mimecast-drifted.json", state)
    done = nightly(tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr

    state.write_text("{}")
    done = nightly(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr


def local_hooks(repo: Path) -> dict[str, dict[str, object]]:
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    assert local["repo"] == "local"
    return {hook["id"]: hook for hook in local["hooks"]}


def test_the_pre_commit_config_is_valid_for_pre_commit(tmp_path: Path) -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    assert init_repo(str(tmp_path)).exit_code == 0
    loaded = clientlib.load_config(str(tmp_path / ".pre-commit-config.yaml"))
    assert [hook["id"] for hook in loaded["repos"][0]["hooks"]] == [
        "journalgen-validate",
        "journalgen-check",
    ]


def test_the_pre_commit_hooks_are_the_projects_hooks_pinned_to_this_version(
    tmp_path: Path,
) -> None:
    assert init_repo(str(tmp_path)).exit_code == 0
    written = local_hooks(tmp_path)
    project = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert list(written) == [hook["id"] for hook in project]
    for hook in project:
        mine = written[hook["id"]]
        assert mine["additional_dependencies"] == [f"journalgen=={__version__}"]
        kept = {key: value for key, value in hook.items() if key != "description"}
        assert {key: mine.get(key) for key in kept} == kept
        assert set(mine) == set(kept) | {"additional_dependencies"}


# --- the README's five minutes, and pre-commit for real --------------------------------------


def five_minutes() -> str:
    """The shell block of the README's "A spec repository in five minutes"."""
    section = README[README.index("## A spec repository in five minutes") :]
    section = section[: section.index("\n## ")]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    return str(block)


def test_the_readme_steps_start_with_init_repo_and_end_with_pre_commit() -> None:
    steps = five_minutes()
    assert steps.startswith("journalgen init-repo ")
    assert "-o specs/" in steps and "journalgen build specs -d generated" in steps
    assert "git commit" in steps and "pre-commit run --all-files" in steps


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built from a copy so the checkout gets no build files."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in PROJECT:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    return wheels


@pytest.mark.wheel
def test_the_readme_five_minutes_give_a_repository_whose_hooks_and_ci_pass(
    tmp_path: Path, wheelhouse: Path
) -> None:
    if shutil.which("git") is None or shutil.which("pre-commit", path=BIN) is None:
        pytest.skip("git and pre-commit are needed (pre-commit is in the test extras)")
    # pre-commit installs journalgen==<this version> from the wheel of this checkout, first.
    links = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS")]))
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PIP_FIND_LINKS": links,
    }
    done = subprocess.run(
        ["bash", "-e", "-c", five_minutes()],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"journalgen validate\.+Passed", done.stdout), done.stdout
    assert re.search(r"journalgen check\.+Passed", done.stdout), done.stdout

    (repo,) = (p for p in tmp_path.iterdir() if (p / ".git").is_dir())
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    assert status.stdout == b""  # the hooks changed nothing, and everything was committed

    # The workflow's validate and check steps, in the new repository.
    check = runs(workflow(repo)["jobs"]["check"])
    commands = [shlex.split(run) for run in check if run.startswith("journalgen ")]
    assert len(commands) == 2
    for command in commands:
        ran = subprocess.run(
            [str(BIN / "journalgen"), *command[1:]], cwd=repo, env=env, capture_output=True
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr

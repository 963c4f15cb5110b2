from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from click.testing import CliRunner

from journalgen import __version__, emit
from journalgen.cli import main
from journalgen.compiler import check_source, compile_bundle
from journalgen.emit import (
    ENGINE_BEGIN,
    ENGINE_END,
    SCRIPTS,
    engine_bytes,
    engine_sha256,
    engine_text,
    environment,
    to_script_bytes,
)
from tests.conftest import ROOT


def packaged(folder: Traversable, prefix: str = "") -> set[str]:
    """Every template under ``folder`` as the installed package sees it, by relative path."""
    found: set[str] = set()
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                found |= packaged(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".j2"):
            found.add(prefix + entry.name)
    return found


def in_checkout() -> set[str]:
    root = ROOT / "templates"
    return {p.relative_to(root).as_posix() for p in root.rglob("*.j2")}


ENGINE_TEMPLATES = sorted(name for name in in_checkout() if name.startswith("engine/"))


def spec_data_read_by(source: str) -> set[str]:
    """The names a template reads that the environment does not provide itself."""
    env = environment()
    return jinja2.meta.find_undeclared_variables(env.parse(source)) - set(env.globals)


def template_source(name: str) -> str:
    return (files("journalgen.templates") / name).read_text(encoding="utf-8")


def bundle(sample: str) -> dict[str, bytes]:
    path = ROOT / "samples" / f"{sample}.yaml"
    return compile_bundle(check_source(path.read_bytes(), path.name))


def engine_section(script: bytes) -> bytes:
    """What an auditor cuts from a script: the BEGIN line through the END line, as bytes."""
    begin = re.escape(ENGINE_BEGIN.encode("ascii"))
    end = re.escape(ENGINE_END.encode("ascii"))
    pattern = re.compile(rb"^" + begin + rb".*?^" + end + rb"\r\n", re.M | re.S)
    (section,) = [found.group(0) for found in pattern.finditer(script)]
    return section


def test_the_package_holds_every_template_of_the_checkout_including_subfolders() -> None:
    assert "engine/read.ps1.j2" in in_checkout()
    assert packaged(files("journalgen.templates")) == in_checkout()


@pytest.mark.wheel
def test_a_built_wheel_ships_every_template_including_subfolders(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("journalgen", "templates", "schemas"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    prefix = "journalgen/templates/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix(prefix)
            for name in archive.namelist()
            if name.startswith(prefix) and name.endswith(".j2")
        }
    assert shipped == in_checkout()


def test_the_engine_has_a_template_per_script_and_its_own_folder() -> None:
    assert {f"engine/{script}.j2" for script in SCRIPTS} <= set(ENGINE_TEMPLATES)


@pytest.mark.parametrize("name", ENGINE_TEMPLATES)
def test_an_engine_template_reads_nothing_but_the_compilers_globals(name: str) -> None:
    assert spec_data_read_by(template_source(name)) == set()


@pytest.mark.parametrize("name", ENGINE_TEMPLATES)
def test_an_engine_template_renders_with_no_spec_at_hand(name: str) -> None:
    assert environment().get_template(name).render().strip()


def test_the_engine_check_names_spec_data_a_template_would_read() -> None:
    source = "{% if true %}{{ plan.resolved.organization }}{% endif %}"
    assert spec_data_read_by(source) == {"plan"}
    with pytest.raises(jinja2.UndefinedError, match="plan"):
        environment().from_string(source).render()


def test_two_different_specs_carry_byte_identical_engines() -> None:
    first, second = bundle("contoso-mimecast"), bundle("northwind-custom-tls")
    for script in SCRIPTS:
        assert first[script] != second[script]
        engine = engine_section(first[script])
        assert engine == engine_section(second[script])
        assert engine == to_script_bytes(engine_text(script)).removeprefix(emit.UTF8_BOM)
        # The engine ends the script: nothing of the spec follows it.
        assert first[script].endswith(engine)


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_engine_is_delimited_and_names_its_script(script: str) -> None:
    text = engine_text(script)
    assert text.startswith(f"{ENGINE_BEGIN}{script} ---\n")
    assert text.endswith(f"\n{ENGINE_END}\n")
    assert text.count(ENGINE_BEGIN) == text.count(ENGINE_END) == 1


def test_an_auditor_recomputes_engine_sha256_from_the_scripts_alone() -> None:
    files = bundle("fabrikam-recipients")
    cut = b"".join(engine_section(files[script]) for script in SCRIPTS)
    digest = hashlib.sha256(cut).hexdigest()
    assert cut == engine_bytes()
    assert digest == engine_sha256()
    assert json.loads(files["manifest.json"])["engine_sha256"] == digest
    row = f"| Engine (the same for every spec of journalgen {__version__}) | `{digest}` |"
    assert row in files["CHANGE.md"].decode("utf-8").splitlines()


def test_a_signature_block_appended_to_a_script_leaves_its_engine_as_hashed() -> None:
    files = bundle("contoso-mimecast")
    signed = files["apply.ps1"] + b"\r\n# SIG # Begin signature block\r\n# MIIx\r\n"
    assert engine_section(signed) == engine_section(files["apply.ps1"])


def test_engine_bytes_hold_each_scripts_engine_once_in_the_documented_order() -> None:
    joined = engine_bytes()
    assert [joined.count(f"{ENGINE_BEGIN}{s} ---".encode()) for s in SCRIPTS] == [1, 1, 1]
    assert joined.index(b"apply.ps1 ---") < joined.index(b"verify.ps1 ---")
    assert joined.index(b"verify.ps1 ---") < joined.index(b"rollback.ps1 ---")


def test_cli_engine_prints_exactly_the_bytes_its_hash_covers() -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["engine"])
    digest = runner.invoke(main, ["engine", "--hash"])
    assert text.exit_code == digest.exit_code == 0
    assert text.stdout_bytes == engine_bytes()
    assert digest.stdout == f"{engine_sha256()}\n"
    assert hashlib.sha256(text.stdout_bytes).hexdigest() == engine_sha256()


def test_the_engine_is_rendered_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    real = emit.render_template

    def counting(name: str, **context: object) -> str:
        rendered.append(name)
        return real(name, **context)

    monkeypatch.setattr(emit, "render_template", counting)
    engine_text.cache_clear()
    try:
        bundle("contoso-mimecast")
        bundle("northwind-custom-tls")
    finally:
        engine_text.cache_clear()
    assert sorted(name for name in rendered if name.startswith("engine/")) == sorted(
        f"engine/{script}.j2" for script in SCRIPTS
    )
    assert rendered.count("apply.ps1.j2") == 2


SED_RECIPE = "/^# --- BEGIN journalgen engine/,/^# --- END journalgen engine ---/p"


@pytest.mark.skipif(shutil.which("sed") is None, reason="needs sed")
def test_the_readme_recipe_recomputes_engine_sha256(tmp_path: Path) -> None:
    assert f"sed -n '{SED_RECIPE}'" in (ROOT / "README.md").read_text(encoding="utf-8")
    for script, data in bundle("litware-custom").items():
        (tmp_path / script).write_bytes(data)
    cut = subprocess.run(
        ["sed", "-n", SED_RECIPE, *SCRIPTS], cwd=tmp_path, check=True, capture_output=True
    ).stdout
    assert hashlib.sha256(cut).hexdigest() == engine_sha256()

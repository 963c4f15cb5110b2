from __future__ import annotations

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

from journalgen import emit
from journalgen.compiler import check_source, compile_bundle
from journalgen.emit import SCRIPTS, engine_text, environment, to_script_bytes
from tests.conftest import ROOT

ENGINE_HEADER = "# " + "=" * 76 + "\n# Engine:"


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


def engine_section(script: bytes) -> str:
    text = script[3:].decode("ascii").replace("\r\n", "\n")
    start = text.index(ENGINE_HEADER)
    return text[start:]


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
        assert engine == engine_text(script)
        # As bytes too: the file ends with the engine, CRLF and all.
        assert first[script].endswith(to_script_bytes(engine).removeprefix(emit.UTF8_BOM))


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

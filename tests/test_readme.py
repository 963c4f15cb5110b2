"""The README's Code map names every module and template, so it cannot fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE_MAP = README[README.index("## Code map") : README.index("## Development")]
MODULES = sorted(
    p.relative_to(ROOT / "journalgen").as_posix()
    for p in (ROOT / "journalgen").rglob("*.py")
    if p.name != "__init__.py" or p.parent.name == "vendors"
)
TEMPLATES = sorted(
    p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.j2")
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_a_line_in_the_code_map(module: str) -> None:
    assert re.search(rf"^\| `{re.escape(module)}` \| \S", CODE_MAP, re.MULTILINE), (
        f"add a line for journalgen/{module} to the README's Code map"
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_named_in_the_code_map(template: str) -> None:
    assert f"`{template}`" in CODE_MAP, f"name templates/{template} in the README's Code map"

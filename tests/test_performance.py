from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journalgen.powershell import _SIGNATURE_LINE, _edit_distance_below
from tests.conftest import ROOT, SAMPLES
from tests.psparse import _edit_distance

# Runs one command through the CLI in a fresh interpreter, then names the heavy modules it loaded.
PROBE = """
import sys
from click.testing import CliRunner
from journalgen.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(" ".join(name for name in ("pydantic", "jinja2") if name in sys.modules))
"""


def loaded_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_neither_pydantic_nor_jinja(flag: str) -> None:
    assert loaded_by(flag) == set()


def test_validate_does_not_import_jinja() -> None:
    assert loaded_by("validate", str(SAMPLES[0])) == {"pydantic"}


@given(st.text(alphabet="sigbenatuFlock#\n x", max_size=34), st.integers(0, 40))
def test_bounded_edit_distance_agrees_with_the_full_one(text: str, limit: int) -> None:
    expected = _edit_distance(text, _SIGNATURE_LINE) < limit
    assert _edit_distance_below(text, _SIGNATURE_LINE, limit) is expected

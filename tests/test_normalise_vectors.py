"""Python and the generated engine compare values with one table; shared vectors pin what it means."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from journalgen.compiler import check_source, compile_bundle
from journalgen.plan import COMPARE, normalise
from tests.conftest import ROOT, SAMPLES

VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "data" / "normalise-vectors.json").read_text(encoding="utf-8")
)
TABLE = re.compile(r"^\$JgCompare = \[ordered\]@\{\r?\n(.*?)^\}", re.MULTILINE | re.DOTALL)
ENTRY = re.compile(r"^\s+(\w+)\s+= '(\w+)'\r?$", re.MULTILINE)


def test_the_vectors_use_the_plans_table() -> None:
    assert VECTORS["compare"] == dict(COMPARE)


def test_every_kind_has_vectors_including_null() -> None:
    kinds = {v["kind"] for v in VECTORS["vectors"]}
    assert kinds == set(COMPARE.values())
    for kind in kinds:
        assert any(v["kind"] == kind and v["value"] is None for v in VECTORS["vectors"])


@pytest.mark.parametrize(
    "vector", VECTORS["vectors"], ids=lambda v: f"{v['kind']}-{json.dumps(v['value'])}"
)
def test_normalise_matches_the_shared_vector(vector: dict[str, Any]) -> None:
    got = normalise(vector["kind"], vector["value"])
    assert (list(got) if isinstance(got, tuple) else got) == vector["normalised"]


def engine_table(script: bytes) -> dict[str, str]:
    text = script.decode("utf-8-sig")
    match = TABLE.search(text)
    assert match is not None, "the engine has no $JgCompare table"
    return dict(ENTRY.findall(match.group(1)))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_generated_script_embeds_exactly_the_shared_table(sample: Path) -> None:
    bundle = compile_bundle(check_source(sample.read_bytes(), sample.name))
    for name in ("apply.ps1", "verify.ps1", "rollback.ps1"):
        assert engine_table(bundle[name]) == VECTORS["compare"], name


def test_the_engine_normaliser_handles_every_kind_the_table_names() -> None:
    sample = SAMPLES[0]
    text = compile_bundle(check_source(sample.read_bytes(), sample.name))["verify.ps1"]
    body = text.decode("utf-8-sig").split("function ConvertTo-JgComparable", 1)[1]
    body = body.split("\nfunction ", 1)[0]
    # 'text', 'bool' and 'int' fall to the default branch: compared as text, case-sensitively.
    for kind in ("address", "domain", "enum", "list"):
        assert f"'{kind}'" in body
    assert "'<>'" in body and "'smtp:*'" in body and "ToLowerInvariant" in body

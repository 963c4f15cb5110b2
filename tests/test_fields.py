"""The guard: every leaf field of the spec reaches the plan (or says it steers journalgen only) and explain."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from journalgen.compiler import Checked, check_source, plan_for
from journalgen.explain import explain_values, text
from journalgen.spec import Leaf, Spec, leaves

LEAVES = list(leaves())


def example_spec(model: type[Any] = Spec) -> dict[str, Any]:
    """A spec that writes every field, each with the example its declaration gives."""
    data: dict[str, Any] = {}
    for leaf in leaves(model):
        assert leaf.wiring is not None, leaf.path
        node = data
        *parents, key = leaf.path.split(".")
        for parent in parents:
            if parent.endswith("[]"):
                items = node.setdefault(parent.removesuffix("[]"), [{}])
                node = items[0]
            else:
                node = node.setdefault(parent, {})
        value = leaf.wiring.example
        node[key] = list(value) if isinstance(value, tuple) else value
    return data


def _checked() -> Checked:
    source = yaml.safe_dump(example_spec(), sort_keys=False, allow_unicode=True, width=1000)
    return check_source(source.encode("utf-8"), "example.yaml")


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda leaf: leaf.path)
def test_every_field_declares_where_it_goes(leaf: Leaf) -> None:
    assert leaf.wiring is not None, (
        f"{leaf.path}: declare exchange('<cmdlet -Parameter>', example=...) or "
        "journalgen_only(example=...) on the field in journalgen/spec.py"
    )


def test_the_examples_make_a_spec_that_compiles() -> None:
    checked = _checked()  # raises SpecError with the diagnostics when the examples disagree
    filled = {path: o for path, o in checked.resolved.origins.items() if o.kind != "spec"}
    assert filled == {}, "the example spec writes every field, so nothing is filled in"


@pytest.mark.parametrize(
    "leaf", [leaf for leaf in LEAVES if leaf.wiring and leaf.wiring.exchange], ids=lambda f: f.path
)
def test_every_exchange_field_reaches_the_plan(leaf: Leaf) -> None:
    sources = {_generic(source) for source in plan_for(_checked()).sources()}
    assert leaf.path in sources, (
        f"{leaf.path} is declared as {leaf.wiring and leaf.wiring.exchange} but no value of the plan "
        "comes from it: wire it in journalgen/resolve.py and journalgen/plan.py (Setting source "
        f"'{leaf.path.replace('[]', '[<index>]')}'), or declare it journalgen_only(...)"
    )


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda leaf: leaf.path)
def test_every_field_appears_in_explain_as_written(leaf: Leaf) -> None:
    checked = _checked()
    shown = {_generic(item.path): item for item in explain_values(checked.resolved)}
    assert leaf.path in shown, f"{leaf.path} is missing from journalgen explain"
    item = shown[leaf.path]
    assert item.origin.kind == "spec", (
        f"{leaf.path}: the example spec writes it, explain says {item.origin}"
    )
    key = leaf.path.rpartition(".")[2]
    assert re.search(rf"^ *(- )?{key}: .*# spec$", text(checked), re.MULTILINE)

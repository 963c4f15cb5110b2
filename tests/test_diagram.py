"""The journal flow diagram in CHANGE.md: its content, its syntax, and hostile names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from journalgen import textpolicy
from journalgen.compiler import check_source, compile_bundle, plan_for
from journalgen.diagram import flow, mermaid_label, mermaid_text, render_flow
from journalgen.textshow import shown
from tests.conftest import SAMPLES
from tests.mermaid import LABEL, Diagram, MermaidError, decode, parse
from tests.spectext import DROP, spec_text

FENCE = re.compile(r"^```mermaid\n(.*?)\n```$", re.MULTILINE | re.DOTALL)


def diagram_of(change_md: bytes) -> Diagram:
    blocks = FENCE.findall(change_md.decode("utf-8"))
    assert len(blocks) == 1
    return parse(blocks[0])


def compiled(overrides: Mapping[str, object]) -> dict[str, bytes]:
    return compile_bundle(check_source(spec_text(dict(overrides)).encode(), "s.yaml"))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_draws_its_flow(sample: Path) -> None:
    checked = check_source(sample.read_bytes(), sample.name)
    d = diagram_of(compile_bundle(checked)["CHANGE.md"])
    r = checked.resolved
    rules = [f"rule{i}" for i in range(1, len(r.rules) + 1)]
    removed = [f"removed{i}" for i in range(1, len(plan_for(checked).retired) + 1)]
    assert list(d.nodes) == ["tenant", *rules, "contact", "connector", "archive", "ndr", *removed]
    assert d.nodes["contact"] == [f"Mail contact '{r.contact.name}'", r.journal_address]
    assert d.nodes["connector"][0] == f"Outbound connector '{r.connector.name}'"
    assert d.nodes["ndr"][:2] == ["NDR address", r.ndr.address]
    assert set(r.connector.smart_hosts) <= set(d.nodes["archive"])
    edges = {(a, b): label for a, _arrow, b, label in d.edges}
    tls = plan_for(checked).connector.values()["TlsSettings"]
    assert edges[("connector", "archive")] is not None
    assert edges[("connector", "archive")][0].startswith(f"TLS {tls}")
    assert edges[("connector", "ndr")] == ["undeliverable journal reports"]
    for rule_id in rules:
        assert ("tenant", rule_id) in edges and (rule_id, "contact") in edges


def test_what_the_rules_select_and_disabled_objects() -> None:
    rules = [
        {"name": "All"},
        {"name": "Some", "scope": "internal", "recipient": "ceo@contoso.com", "enabled": False},
    ]
    d = diagram_of(compiled({"journal_rules": rules, "connector": {"enabled": False}})["CHANGE.md"])
    arrows = {(a, b): (arrow, label) for a, arrow, b, label in d.edges}
    assert arrows[("tenant", "rule1")] == ("-->", ["all messages"])
    assert arrows[("tenant", "rule2")] == ("-.->", ["internal messages to or from ceo@contoso.com"])
    assert d.nodes["rule2"] == ["Journal rule 'Some'", "DISABLED, journals nothing"]
    assert d.nodes["connector"][-1] == "DISABLED, reports follow the MX records"


def test_mx_routing_draws_the_mx_records() -> None:
    overrides = {
        "archive": {"vendor": "custom", "region": DROP, "journal_address": "j@archive.example"},
        "connector": {"routing": "mx_record"},
    }
    d = diagram_of(compiled(overrides)["CHANGE.md"])
    assert d.nodes["archive"] == ["Journal Archive", "MX records of archive.example"]


def test_retired_objects_are_drawn_in_their_own_box_in_apply_order() -> None:
    hostile = 'Old "rule" ]) end; #quot; <b>'
    retire = {"connectors": ["Old connector"], "journal_rules": [hostile]}
    plan = plan_for(check_source(spec_text({"retire": retire}).encode(), "s.yaml"))
    d = parse(render_flow(flow(plan)))
    assert d.subgraphs == {"removed": ["removed1", "removed2"]}
    assert d.nodes["removed1"] == [f"Journal rule '{hostile}'", "removed by apply.ps1"]
    assert d.nodes["removed2"] == ["Outbound connector 'Old connector'", "removed by apply.ps1"]


def test_nothing_retired_draws_no_removal_box() -> None:
    d = parse(render_flow(flow(plan_for(check_source(spec_text().encode(), "s.yaml")))))
    assert d.subgraphs == {}


# --- labels ----------------------------------------------------------------------------------

names = st.text(min_size=1, max_size=64).filter(
    lambda s: s == s.strip() and not any(c in s for c in "\x00")
)


def _safe(name: str) -> bool:
    try:
        textpolicy.safe_text(name)
    except ValueError:
        return False
    return True


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.filter_too_much])
@given(names.filter(_safe), names.filter(_safe), names.filter(_safe))
@example('a"] --> x["b', "#quot; <b>x</b> &amp; |y|", "end; click a `z` $w$ style:#f00;")
def test_hostile_names_neither_break_nor_inject_into_the_diagram(
    contact: str, connector: str, rule: str
) -> None:
    overrides = {
        "contact": {"name": contact, "alias": "journal"},
        "connector": {"name": connector},
        "journal_rules": [{"name": rule}],
    }
    d = diagram_of(compiled(overrides)["CHANGE.md"])
    # Names are drawn as people are shown them: a space other than U+0020 as its code point.
    assert d.nodes["contact"][0] == f"Mail contact '{shown(contact)}'"
    assert d.nodes["connector"][0] == f"Outbound connector '{shown(connector)}'"
    assert d.nodes["rule1"] == [f"Journal rule '{shown(rule)}'"]


@given(st.text())
def test_a_label_is_inert_and_reads_back(text: str) -> None:
    label = mermaid_label(text)
    assert re.fullmatch(LABEL, label)
    assert decode(label) == [text]
    assert "\n" not in mermaid_text(text) and '"' not in mermaid_text(text)


def test_labels_encode_what_mermaid_treats_specially() -> None:
    assert mermaid_text('a "b" #c; <i>&amp; |x| `y` $z$ s:t') == (
        "a #34;b#34; #35;c#59; #60;i#62;#38;amp#59; #124;x#124; #96;y#96; #36;z#36; s#58;t"
    )
    assert mermaid_text("J\u00f6rg \u30b8 (EU)") == "J\u00f6rg \u30b8 (EU)"
    assert mermaid_label(("a", "b<br>")) == '"a<br>b#60;br#62;"'


# --- the reader rejects what is outside the subset ------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'graph TD\n    a["x"]',
        'flowchart LR\n    a["x"y"]',  # a raw quote ends the label
        'flowchart LR\n    a["<b>x</b>"]',  # raw HTML
        'flowchart LR\n    a["x#35"]',  # a raw # that is no entity code
        "flowchart LR\n    a[x]",  # unquoted label
        'flowchart LR\n    a["x"]\n    a --> b',  # undeclared node
        'flowchart LR\n    end["x"]',  # reserved word
        'flowchart LR\n    a["x"]\n    click a "http://example.com"',
        'flowchart LR\n    a["x"]; b["y"]',
        'flowchart LR\n    subgraph s["x"]\n        a["y"]',  # not closed
    ],
)
def test_the_reader_refuses_anything_else(source: str) -> None:
    with pytest.raises(MermaidError):
        parse(source)

"""A strict reader of the Mermaid flowchart subset journalgen writes: every line one known statement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = r"[a-z][a-z]*[0-9]*"
# A quoted label: letters and digits of any script, a few inert marks, entity codes, <br>.
_LABEL_BODY = r"(?:[^\W_]|[ .,'\-/@+?!()]|#[0-9]+;|<br>)*"
LABEL = rf'"{_LABEL_BODY}"'
ARROW = r"-->|-\.->|==>"
_SHAPES = [(r"\[", r"\]"), (r"\(\[", r"\]\)"), (r"\[\(", r"\)\]")]
_NODE = re.compile(
    "|".join(rf"(?P<id{i}>{ID}){o}(?P<label{i}>{LABEL}){c}" for i, (o, c) in enumerate(_SHAPES))
)
_EDGE = re.compile(rf"(?P<a>{ID}) (?P<arrow>{ARROW})(?:\|(?P<label>{LABEL})\|)? (?P<b>{ID})")
_SUBGRAPH = re.compile(rf"subgraph (?P<id>{ID})\[(?P<label>{LABEL})\]")
RESERVED = {"end", "subgraph", "graph", "flowchart", "style", "class", "classdef", "click"}


class MermaidError(AssertionError):
    pass


@dataclass
class Diagram:
    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, str, list[str] | None]] = field(default_factory=list)
    subgraphs: dict[str, list[str]] = field(default_factory=dict)


def decode(label: str) -> list[str]:
    """A quoted label's lines as Mermaid draws them."""
    # Entity codes are decoded after splitting, so an encoded "<br>" stays text.
    parts = label[1:-1].split("<br>")
    return [re.sub(r"#([0-9]+);", lambda m: chr(int(m[1])), part) for part in parts]


def parse(source: str) -> Diagram:
    """Read ``source`` or raise MermaidError naming the first line outside the subset."""
    lines = source.split("\n")
    if lines[0] != "flowchart LR":
        raise MermaidError(f"line 1: expected 'flowchart LR', got {lines[0]!r}")
    diagram = Diagram()
    open_subgraph: str | None = None
    for number, line in enumerate(lines[1:], 2):
        indent = "        " if open_subgraph else "    "
        if line == "    end" and open_subgraph:
            open_subgraph = None
            continue
        if not line.startswith(indent) or line[len(indent) : len(indent) + 1] in ("", " "):
            raise MermaidError(f"line {number}: unexpected indentation: {line!r}")
        statement = line[len(indent) :]
        if m := _NODE.fullmatch(statement):
            i = next(k for k in range(len(_SHAPES)) if m[f"id{k}"])
            node = m[f"id{i}"]
            if node in diagram.nodes or node in RESERVED:
                raise MermaidError(f"line {number}: node {node!r} declared twice or reserved")
            diagram.nodes[node] = decode(m[f"label{i}"])
            if open_subgraph:
                diagram.subgraphs[open_subgraph].append(node)
        elif (m := _EDGE.fullmatch(statement)) and not open_subgraph:
            label = decode(m["label"]) if m["label"] else None
            diagram.edges.append((m["a"], m["arrow"], m["b"], label))
        elif (m := _SUBGRAPH.fullmatch(statement)) and not open_subgraph:
            open_subgraph = m["id"]
            diagram.subgraphs[m["id"]] = []
        else:
            raise MermaidError(f"line {number}: not a statement of the subset: {line!r}")
    if open_subgraph:
        raise MermaidError(f"subgraph {open_subgraph!r} is not closed")
    for a, _arrow, b, _label in diagram.edges:
        for end in (a, b):
            if end not in diagram.nodes:
                raise MermaidError(f"edge to undeclared node {end!r}")
    return diagram

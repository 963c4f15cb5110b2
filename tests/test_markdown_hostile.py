"""Values from a tenant or a file name cannot add Markdown structure to CHANGE.md (issue 17, 2, 8, 12)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from journalgen import change, diagram
from journalgen.cli import main
from journalgen.textshow import shown
from tests.conftest import ROOT
from tests.mermaid import decode

MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
DRIFTED = ROOT / "samples" / "states" / "contoso-mimecast-drifted.json"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADING = "old\n\n## Board decision: approved, no review needed\n\nx"

# Any code point, lone surrogates, line breaks and bidi controls included.
anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
hostile = st.lists(
    st.sampled_from(
        [
            *"\\`*_[]<>|#~$&!()-+=.:;' 019aZ\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029\u00a0\u00ad",
            *("\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\ud800", "\u3164"),
            *("&amp;", "<U+", "``", "```", "\r\n", "1. ", "- ", "# "),
        ]
    ),
    max_size=30,
).map("".join)

# What CommonMark (with GitHub's tables, strikethrough and math) may read as syntax within a line.
ACTIVE = frozenset("\\`*_[]<>|#~$&")
BLOCK_START = re.compile(r" *(?:[-+=]|\d{1,9}[.)](?: |$))")


def read_literal(md: str) -> str:
    """The text Markdown shows for ``md``; fails on any active character left unescaped."""
    assert not BLOCK_START.match(md), md
    out, i = [], 0
    while i < len(md):
        c = md[i]
        if c == "\\":
            assert i + 1 < len(md) and md[i + 1] in string.punctuation, md
            out.append(md[i + 1])
            i += 2
        elif c == "&":
            assert md.startswith("&amp;", i), md
            out.append("&")
            i += 5
        else:
            assert c not in ACTIVE, md
            out.append(c)
            i += 1
    return "".join(out)


def read_code(md: str) -> str:
    """The text a code span shows (CommonMark's rules), or ``md`` read as a literal."""
    if not md.startswith("`"):
        return read_literal(md)
    assert "|" not in md, md  # a table would split the cell inside the span
    fence = re.match("`+", md)
    assert fence is not None
    n = len(fence[0])
    assert md.endswith(fence[0]) and not md[:-n].endswith("`"), md
    content = md[n:-n]
    assert all(len(run) != n for run in re.findall("`+", content)), md
    if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
        content = content[1:-1]
    return content


def one_line(md: str) -> None:
    assert md.splitlines() == ([md] if md else []), md
    assert md.isprintable(), md


@PROPERTY
@given(anything)
@example(HEADING)
@example("a\r\nb")
@example("&#x202E; &amp; \u202e")
@example("1. item")
@example("---")
def test_the_markdown_literal_is_one_inert_line_that_reads_back(value: str) -> None:
    md = change.md_escape(value)
    one_line(md)
    assert read_literal(md) == shown(value)


@PROPERTY
@given(anything)
@example("``` `a` ``")
@example("a|b")
@example(" ` ")
def test_a_code_span_cannot_be_broken(value: str) -> None:
    md = change.environment().filters["code"](value)
    one_line(md)
    assert read_code(md) == shown(value)


def _cells(row: str) -> list[str]:
    """A table row's cells, split at the pipes that no backslash escapes."""
    cells, cell, i = [], "", 0
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row):
            cell += row[i : i + 2]
            i += 2
            continue
        if row[i] == "|":
            cells.append(cell)
            cell = ""
        else:
            cell += row[i]
        i += 1
    return [*cells, cell]


@PROPERTY
@given(hostile)
@example(HEADING)
def test_every_value_the_change_template_writes_goes_through_the_literal(value: str) -> None:
    # A table cell, a paragraph, a line of its own and a code span, as CHANGE.md.j2 places them.
    template = "| a | {{ v }} |\n\nbefore {{ v }} after\n\n{{ v }}\n\n- {{ v | code }}\n"
    lines = change.environment().from_string(template).render(v=value).split("\n")
    assert len(lines) == 8 and lines[1::2] == ["", "", "", ""]
    for line in lines:
        one_line(line)
    row = _cells(lines[0])
    assert len(row) == 4 and row[0] == row[3] == ""
    assert read_literal(row[2].strip(" ")) == shown(value).strip(" ")
    assert read_literal(lines[2].removeprefix("before ").removesuffix(" after")) == shown(value)
    assert read_literal(lines[4]) == shown(value)
    assert read_code(lines[6].removeprefix("- ")) == shown(value)


@PROPERTY
@given(anything)
@example("a\u202eb\nc\u2028d")
def test_a_diagram_label_shows_hidden_characters_as_code_points(value: str) -> None:
    label = diagram.environment().from_string("{{ v }}").render(v=value)
    one_line(label)
    assert decode(label) == [shown(value)]


# --- end to end: build --state, then check ---------------------------------------------------


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def build(tmp: Path, spec_name: str, comment: str) -> tuple[Path, Path, str]:
    """Build the Mimecast sample, named ``spec_name``, against a state whose connector has
    ``comment``; the spec, the out dir and CHANGE.md's text.
    """
    spec = tmp / spec_name
    spec.write_bytes(MIMECAST.read_bytes())
    state = json.loads(DRIFTED.read_bytes())
    state["outbound_connectors"][0]["Comment"] = comment
    state_file = tmp / "state.json"
    state_file.write_text(json.dumps(state), encoding="utf-8")
    out = tmp / "out"
    result = run("build", spec, "--out-dir", out, "--state", state_file)
    assert result.exit_code == 0, result.output
    (folder,) = out.iterdir()
    return spec, out, (folder / "CHANGE.md").read_bytes().decode("utf-8")


def structure(text: str) -> list[object]:
    """CHANGE.md's headings, and the number of cells of each table row, in order."""
    lines = text.split("\n")
    assert text.splitlines() == lines[:-1]  # no line break but \n
    return [
        line if line.startswith("#") else len(_cells(line))
        for line in lines
        if line.startswith(("#", "|"))
    ]


def test_a_hostile_state_value_and_spec_name_do_not_change_change_md(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "hostile").mkdir()
    _, _, plain = build(tmp_path / "plain", "x.yaml", "old")
    name = HEADING.replace("old", "x") + "\u202e.yaml"
    spec, out, text = build(tmp_path / "hostile", name, HEADING + " &#x202E; | `y`")
    assert structure(text) == structure(plain)
    assert len(text.split("\n")) == len(plain.split("\n"))
    assert "## Board decision" not in structure(text)
    assert "&#" not in text and "&amp;\\#x202E;" in text
    assert "\u202e" not in text and "\\<U+202E\\>" in text
    # A value inside a code span is shown as it is: no escape of the literal would be undone there.
    spans = re.findall(r"(?<![\\`])`([^`]+)`(?!`)", text)
    assert not [span for span in spans if "\\" in span]
    assert run("check", spec, "--out-dir", out).exit_code == 0


def test_check_accepts_what_build_state_wrote_from_a_crlf_value(tmp_path: Path) -> None:
    spec, out, text = build(tmp_path, "contoso-mimecast.yaml", "first line\r\nsecond line")
    assert "\r" not in text and "first line\\<U+000D\\>\\<U+000A\\>second line" in text
    result = run("check", spec, "--out-dir", out)
    assert result.exit_code == 0, result.output

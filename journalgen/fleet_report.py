"""The fleet report: one self-contained HTML page of every tenant, rendered through an HTML-escaping environment."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
from collections.abc import Mapping
from datetime import datetime

import jinja2

from journalgen import __version__
from journalgen.emit import new_environment
from journalgen.fleet import STATUS_WORDS, STATUSES, Fleet, Row, stamp
from journalgen.textshow import shown


class HtmlText(str):
    """HTML the compiler made itself (the style sheet, the script, the policy that names them);
    every other value goes through ``html_escape`` on output.
    """

    __slots__ = ()


def html_escape(value: object) -> str:
    """``value`` as HTML text that reads as exactly its text, the one way values reach the page.

    One line (every hidden character shown as its code point), and ``& < > " '`` as character
    references, so it is text in an element and in a quoted attribute alike.
    """
    return html.escape(shown(str(value)), quote=True)


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _finalize(value: object) -> object:
    if isinstance(value, HtmlText):
        return value
    return html_escape(_show(value))


@functools.cache
def environment() -> jinja2.Environment:
    """The HTML environment: every value is escaped unless the compiler made it."""
    return new_environment(_finalize)


# Sorts the table by a column when its heading's button is clicked, again to reverse; rows that
# sort alike keep their order. The status column sorts worst first (the row's data-rank).
SCRIPT = HtmlText(
    """
for (const button of document.querySelectorAll("th[data-kind] button")) {
  button.addEventListener("click", () => {
    const th = button.parentElement, body = th.closest("table").tBodies[0];
    const kind = th.dataset.kind, col = th.cellIndex;
    const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (const other of th.parentElement.cells) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    const key = (row) => kind === "rank" ? Number(row.dataset.rank)
      : kind === "num" ? Number(row.cells[col].dataset.n) : row.cells[col].textContent;
    const rows = Array.from(body.rows, (row, i) => [key(row), i, row]);
    rows.sort((a, b) => (a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1]));
    body.append(...rows.map((r) => r[2]));
  });
}
"""
)

STYLE = HtmlText(
    """
body { font: 13px/1.35 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
p { margin: .2em 0; }
.totals { display: flex; flex-wrap: wrap; gap: .5em; list-style: none; padding: 0; margin: 1em 0; }
.totals li { border: 1px solid #ccc; border-radius: 4px; padding: .3em .8em; }
.totals b { font-size: 1.3em; margin-right: .3em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
th button { font: inherit; font-weight: bold; border: 0; background: none; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " \\2191"; }
th[aria-sort=descending] button::after { content: " \\2193"; }
td.n { text-align: right; }
ul.v { margin: 0; padding-left: 1em; min-width: 16em; }
td.c { white-space: nowrap; }
.st { font-weight: bold; white-space: nowrap; }
.problem .st { color: #b00020; }
.no-state .st, .stale-state .st { color: #8a5a00; }
.would-change .st { color: #0b57d0; }
.in-sync .st { color: #137333; }
"""
)


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


# Nothing loads from anywhere: only the page's own style sheet and script run (by their hashes).
POLICY = HtmlText(
    f"default-src 'none'; style-src 'sha256-{_digest(STYLE)}'; "
    f"script-src 'sha256-{_digest(SCRIPT)}'; base-uri 'none'; form-action 'none'"
)


def render(fleet: Fleet, *, made_at: datetime, links: Mapping[str, str] | None = None) -> bytes:
    """The page, UTF-8: ``links`` maps a row's spec to the URL of its bundle's CHANGE.md."""
    rank = {status: i for i, status in enumerate(STATUSES)}
    page = (
        environment()
        .get_template("fleet.html.j2")
        .render(
            fleet=fleet,
            rows=fleet.rows,
            totals=fleet.totals(),
            statuses=STATUSES,
            words=STATUS_WORDS,
            rank=rank,
            links=links,
            now=stamp(fleet.now),
            made_at=stamp(made_at),
            version=__version__,
            style=STYLE,
            script=SCRIPT,
            policy=POLICY,
            errors=_errors,
        )
    )
    return page.encode("utf-8")


def _errors(row: Row) -> list[str]:
    """The row's errors, as a reader of the page needs them: code and message."""
    return [f"{d.code}: {d.message}" for d in row.diagnostics if d.is_error]

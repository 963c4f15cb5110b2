"""`report SPECS... --states DIR`: one self-contained HTML page of the fleet, every value escaped."""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from journalgen.cli import main
from journalgen.fleet_report import environment
from journalgen.textshow import shown
from tests.conftest import ROOT
from tests.spectext import spec_text
from tools.fleet.sample import Made, make_fleet

NOW = "2026-12-01T12:00:00Z"
NOW_AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
RENDER = ROOT / "tools" / "fleet" / "render.mjs"
PUPPETEER = ROOT / "tools" / "mermaid" / "node_modules" / "puppeteer"
INSTALL_HINT = (
    "Chromium or puppeteer was not found. Install them with: apt-get install chromium && "
    "PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tools/mermaid (or set PUPPETEER_EXECUTABLE_PATH)."
)
WORDS = {
    "in-sync": "in sync",
    "would-change": "would change",
    "problem": "problem",
    "no-state": "no state",
    "stale-state": "stale state",
}
ORDER = ["problem", "no state", "stale state", "would change", "in sync"]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def report(made: Made, out: Path, *args: str | Path, now: str = NOW) -> Result:
    return run("report", made.specs, "--states", made.states, "--now", now, "-o", out, *args)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Made, Path]:
    """The 300-tenant fleet, built, and its report with links to the bundles."""
    folder = tmp_path_factory.mktemp("fleet")
    made = make_fleet(folder, 300, NOW_AT)
    assert run("build", made.specs, "--out-dir", folder / "out").exit_code == 0
    page = folder / "site" / "fleet.html"
    result = report(made, page, "--out-dir", folder / "out")
    assert result.exit_code == 1, result.output  # the problem tenants
    assert "wrote" in result.stderr
    return made, page


class Page(HTMLParser):
    """The rows of the page, each as its cells' text, and every tag and attribute seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tbody":
            self.body = True
        elif tag == "tr" and self.body:
            self.rows.append([])
        elif tag == "td" and self.body:
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.body = False

    def handle_data(self, data: str) -> None:
        if self.body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


class AllText(HTMLParser):
    """Every piece of text of a page, character references resolved."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def parsed(page: Path) -> Page:
    found = Page()
    found.feed(page.read_text("utf-8"))
    return found


def test_300_tenants_one_row_each_with_its_status_and_totals(big: tuple[Made, Path]) -> None:
    made, page = big
    found = parsed(page)
    assert len(found.rows) == 300
    statuses = {Path(row[2]).stem: row[0] for row in found.rows}
    assert statuses == {name: WORDS[s] for name, s in made.expected.items()}
    text = page.read_text("utf-8")
    for status, word in WORDS.items():
        count = list(made.expected.values()).count(status)
        assert f'<li class="{status}"><b>{count}</b><span class="st">{word}</span></li>' in text


def test_the_page_loads_nothing_and_runs_only_its_own_style_and_script(
    big: tuple[Made, Path],
) -> None:
    text = big[1].read_text("utf-8")
    assert not re.search(r"(?i)https?:|//[a-z]|\bsrc=|url\(|@import", text)
    tags = parsed(big[1]).tags
    assert [t for t, a in tags if t in {"script", "style", "link", "img", "iframe", "object"}] == [
        "style",
        "script",
    ]
    (policy,) = [a["content"] for t, a in tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert policy is not None and policy.startswith("default-src 'none';")
    for tag in ("style", "script"):
        (body,) = re.findall(f"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_links_go_to_each_bundles_change_md_relative_to_the_page(big: tuple[Made, Path]) -> None:
    _, page = big
    links = [a["href"] for t, a in parsed(page).tags if t == "a"]
    assert len(links) == 300
    assert all(link is not None and link.startswith("../out/") for link in links)
    assert all((page.parent / str(link)).is_file() for link in links)


def test_the_same_inputs_give_the_same_bytes_but_the_line_that_says_when(tmp_path: Path) -> None:
    made = make_fleet(tmp_path, 20, NOW_AT)
    report(made, tmp_path / "a.html")
    report(made, tmp_path / "b.html")
    report(made, tmp_path / "c.html", now="2026-12-01T12:00:01Z")
    a, b, c = ((tmp_path / f"{x}.html").read_text("utf-8") for x in "abc")
    assert a == b
    changed = [
        line
        for line in difflib.ndiff(a.splitlines(), c.splitlines())
        if line.startswith(("- ", "+ "))
    ]
    assert len(changed) == 2 and all("Made at 2026-12-01T12:00:0" in line for line in changed)


def test_every_value_is_escaped_and_shown(tmp_path: Path) -> None:
    made = make_fleet(tmp_path, 1, NOW_AT)
    name = "a<b>&'\"\u202e#?x"
    (made.specs / "fabrikam0000.yaml").rename(made.specs / f"{name}.yaml")
    (tmp_path / "out" / name).mkdir(parents=True)
    (tmp_path / "out" / name / "CHANGE.md").write_text("x", "utf-8")
    page = tmp_path / "fleet.html"
    assert report(made, page, "--out-dir", tmp_path / "out").exit_code == 0
    text = page.read_text("utf-8")
    assert "a<b>" not in text and "\u202e" not in text
    assert "a&lt;b&gt;&amp;&#x27;&quot;&lt;U+202E&gt;#?x.yaml" in text
    (href,) = [a["href"] for t, a in parsed(page).tags if t == "a"]
    assert href == "out/a%3Cb%3E%26%27%22%E2%80%AE%23%3Fx/CHANGE.md"


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_value_reaches_the_page_as_its_text(value: str) -> None:
    template = environment().from_string('<td title="{{ v }}">{{ v }}</td><i>{{ v }}</i>')
    found = Page()
    found.feed(template.render(v=value))
    assert [t for t, _ in found.tags] == ["td", "i"]
    assert found.tags[0][1] == {"title": shown(value)}
    text = AllText()
    text.feed(template.render(v=value))
    text.close()
    assert "".join(text.data) == shown(value) * 2


def test_a_spec_without_a_bundle_has_no_link_and_a_warning(tmp_path: Path) -> None:
    made = make_fleet(tmp_path, 2, NOW_AT)
    assert run("build", made.specs / "fabrikam0000.yaml", "-d", tmp_path / "out").exit_code == 0
    result = report(made, tmp_path / "fleet.html", "--out-dir", tmp_path / "out")
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stderr.splitlines() if "JG049" in x]
    assert line.startswith(f"{tmp_path / 'out' / 'northwind0001'}:1:1: warning[JG049]: ")
    assert len([t for t, _ in parsed(tmp_path / "fleet.html").tags if t == "a"]) == 1


def test_unconfirmed_vendor_values_and_acknowledged_warnings_are_listed(tmp_path: Path) -> None:
    specs, states = tmp_path / "specs", tmp_path / "states"
    specs.mkdir()
    states.mkdir()
    reason = "EU hosts checked in the console (CHG-1 & CHG-2)"
    overrides = {
        "archive": {"region": "eu", "acknowledge_unconfirmed": True},
        "acknowledge": [{"code": "JG305", "path": "archive.region", "reason": reason}],
    }
    (specs / "eu.yaml").write_text(spec_text(overrides), "utf-8")
    shutil.copy(ROOT / "samples" / "states" / "wingtip-mimecast-eu.json", states)
    page = tmp_path / "fleet.html"
    result = run("report", specs, "--states", states, "-o", page)
    assert result.exit_code == 0, result.output
    (row,) = parsed(page).rows
    assert row[0] == "no state"
    assert "connector.smart_hosts: eu-smtp-journal-1.mimecast.com" in row[11]
    assert row[12] == f"JG305 at archive.region: {reason}"


def test_the_report_of_1000_tenants_stays_under_1_mb(tmp_path: Path) -> None:
    made = make_fleet(tmp_path, 1000, NOW_AT)
    page = tmp_path / "fleet.html"
    report(made, page)
    assert len(parsed(page).rows) == 1000
    assert page.stat().st_size < 1_000_000


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser; without it, node or puppeteer the test skips, and fails in CI."""
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
    if browser is None or shutil.which("node") is None or not PUPPETEER.exists():
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    return browser


def test_chromium_renders_the_300_tenant_page_and_sorts_it_by_status(
    big: tuple[Made, Path], chromium: str
) -> None:
    made, page = big
    done = subprocess.run(
        ["node", str(RENDER), str(page)],
        capture_output=True,
        text=True,
        env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout)
    assert seen["consoleMessages"] == [] and seen["pageErrors"] == [] and seen["requests"] == []
    assert seen["rows"] == 300
    assert seen["before"] == [WORDS[made.expected[name]] for name in sorted(made.expected)]
    assert seen["sorted"] == sorted(seen["before"], key=ORDER.index)
    assert seen["reversed"] == sorted(seen["before"], key=ORDER.index, reverse=True)

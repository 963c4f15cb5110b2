"""A hostile or broken state: loading stays linear, and odd JSON is a positioned error, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen import loader
from journalgen import state as state_module
from journalgen.cli import main
from journalgen.compiler import check_source
from journalgen.diagnostics import Position
from journalgen.errors import SpecError
from journalgen.loader import MAX_INT_DIGITS
from journalgen.state import load_state
from tests.conftest import ROOT
from tests.spectext import spec_text

STATES = ROOT / "samples" / "states"
MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
SAMPLE = STATES / "contoso-mimecast.json"
DAYS_KEY = '"JournalMessageExpirationDays": '
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    return data


def encode(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def naive(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def at(text: str, needle: str) -> str:
    position = naive(text, text.index(needle))
    return f"{position.line}:{position.column}"


def after(text: str, prefix: str) -> str:
    position = naive(text, text.index(prefix) + len(prefix))
    return f"{position.line}:{position.column}"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_state(text.encode("utf-8"), "state.json")
    return [f"{d.line}:{d.column}:{d.code}" for d in caught.value.diagnostics]


def with_raw(raw_value: str, *, where: str = "extra") -> str:
    """The sample state with ``raw_value``, JSON text written as is, under one key."""
    text = encode(sample())
    if where == "extra":
        return text.replace('"captured_at"', f'"extra": {raw_value},\n  "captured_at"', 1)
    if where == "comment":
        return text.replace('"Comment": "Sends', f'"Comment": {raw_value},\n      "x": "Sends', 1)
    if where == "days":
        return text.replace(
            '"JournalMessageExpirationDays": 0', f'"JournalMessageExpirationDays": {raw_value}'
        )
    raise AssertionError(where)


# --- positions: linear, and the same as counting from the start ------------------------------


@FUZZ
@given(
    st.text(alphabet="ab\n\r \u2028", max_size=200),
    st.lists(st.integers(0, 200), max_size=20),
)
def test_positions_equal_counting_from_the_start_in_any_order(
    text: str, offsets: list[int]
) -> None:
    lines = state_module.Lines(text)
    for offset in [*sorted(offsets), *offsets]:
        offset = min(offset, len(text))
        assert lines.position(offset) == naive(text, offset)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 40),
    st.integers(0, 4) | st.none(),
    st.text(max_size=8),
)
def test_every_indexed_value_is_where_the_text_holds_it(
    domains: int, indent: int | None, junk: str
) -> None:
    data = sample()
    data["accepted_domains"] = [
        {
            "DomainName": f"d{i}.{junk}example",
            "Default": False,
            "DomainType": "Authoritative",
            "MatchSubDomains": i % 2 == 0,
        }
        for i in range(domains)
    ]
    data["transport_config"]["junk"] = {junk: [junk, 1, None]}
    text = json.dumps(data, indent=indent)
    captured = load_state(text.encode("utf-8"), "s.json")
    lines = text.split("\n")
    assert captured.index.values
    for path, position in captured.index.values.items():
        value: Any = data
        for part in path:
            value = value[part]
        shown = json.dumps(value, indent=indent)
        line = lines[position.line - 1]
        assert line[position.column - 1 :].startswith(shown.split("\n")[0]), (path, position)


def test_values_inside_keys_the_format_ignores_are_not_indexed() -> None:
    data = sample()
    data["extra"] = [{"a": [i, str(i)]} for i in range(10_000)]
    data["journal_rules"][0]["Extra"] = list(range(10_000))
    captured = load_state(encode(data).encode("utf-8"), "s.json")
    # One position for each ignored key's value, none for what it holds: the work of loading a
    # state grows with what journalgen reads, not with what a capture carries besides.
    assert ("extra",) in captured.index.values
    assert ("journal_rules", 0, "Extra") in captured.index.values
    assert not [p for p in captured.index.values if p[:1] == ("extra",) and len(p) > 1]
    assert not [p for p in captured.index.values if p[:4] == ("journal_rules", 0, "Extra", 0)]
    assert len(captured.index.values) < 100


def test_a_wrong_value_in_an_ignored_key_is_still_found_where_it_is() -> None:
    data = sample()
    data["extra"] = [{"a": 1}] * 500
    text = encode(data)
    dup = text.replace('"a": 1\n    }\n  ]', '"a": 1,\n      "a": 2\n    }\n  ]', 1)
    assert problems(dup) == [f"{at(dup, chr(34) + 'a' + chr(34) + ': 2')}:JG401"]


# --- integers too long to convert, lone surrogates --------------------------------------------


LONG = "9" * (MAX_INT_DIGITS + 1)


@pytest.mark.parametrize("where", ["extra", "comment", "days"])
@pytest.mark.parametrize("raw", [LONG, "-" + LONG, f'[1, {{"x": [{LONG}]}}]'])
def test_an_integer_too_long_to_convert_is_refused_where_it_is(where: str, raw: str) -> None:
    text = with_raw(raw, where=where)
    assert problems(text) == [
        f"{at(text, LONG[:50])}:JG405" if raw.startswith("[") else f"{at(text, raw)}:JG405"
    ]


def test_the_longest_integer_python_converts_is_only_a_type_problem() -> None:
    text = with_raw("9" * MAX_INT_DIGITS, where="comment")
    assert problems(text) == [f"{at(text, '9' * 10)}:JG403"]
    load_state(with_raw("9" * MAX_INT_DIGITS).encode("utf-8"), "s.json")


@pytest.mark.parametrize("where", ["extra", "comment"])
@pytest.mark.parametrize(
    "raw",
    [r'"\ud800"', r'"a\udfffb"', r'"\ud83d\ud83d"', r'"\ude00\ud83d"', r'["x", {"k": "\udbff"}]'],
)
def test_a_lone_surrogate_is_refused_where_its_string_is(where: str, raw: str) -> None:
    text = with_raw(raw, where=where)
    needle = raw if not raw.startswith("[") else r'"\udbff"'
    assert problems(text) == [f"{at(text, needle)}:JG406"]


def test_a_lone_surrogate_in_a_key_is_refused_at_the_key() -> None:
    text = encode(sample()).replace('"captured_at"', '"\\udc00": 1,\n  "captured_at"', 1)
    assert problems(text) == [f"{at(text, chr(34) + chr(92) + 'udc00')}:JG406"]
    text = with_raw(r'{"ok": [{"\ud800x": 1}]}')
    assert problems(text) == [f"{at(text, chr(34) + chr(92) + 'ud800x')}:JG406"]


def test_a_surrogate_pair_and_an_escaped_backslash_are_text() -> None:
    data = sample()
    data["outbound_connectors"][0]["Comment"] = "Archive \U0001f4e6 \\ud800"
    text = encode(data)
    assert "\\ud83d\\udce6" in text and "\\\\ud800" in text
    captured = load_state(text.encode("utf-8"), "s.json")
    assert captured.state.outbound_connectors[0].comment == "Archive \U0001f4e6 \\ud800"


def test_every_problem_is_reported_at_once() -> None:
    text = with_raw(f'[{LONG}, "\\ud800", {{"a": 1, "a": 2}}]')
    assert [p.rsplit(":", 1)[1] for p in problems(text)] == ["JG405", "JG406", "JG401"]


# --- JournalMessageExpirationDays --------------------------------------------------------------


@pytest.mark.parametrize("days", ["8", "-1", "2147483647"])
def test_expiration_days_outside_0_to_7_are_refused_at_the_value(days: str) -> None:
    text = with_raw(days, where="days")
    with pytest.raises(SpecError) as caught:
        load_state(text.encode("utf-8"), "state.json")
    [d] = caught.value.diagnostics
    assert f"{d.line}:{d.column}:{d.code}" == f"{after(text, DAYS_KEY)}:JG403"
    assert d.message == (
        f"transport_config.JournalMessageExpirationDays is {days}; Exchange allows 0 to 7"
    )


@pytest.mark.parametrize("days", ["0", "7"])
def test_expiration_days_0_to_7_load(days: str) -> None:
    load_state(with_raw(days, where="days").encode("utf-8"), "state.json")


# --- every command that reads a state ------------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "import", "build"])
@pytest.mark.parametrize(
    ("raw", "where", "code"),
    [
        (LONG, "extra", "JG405"),
        (r'"\ud800 comment"', "comment", "JG406"),
        ("99", "days", "JG403"),
    ],
)
def test_plan_import_and_build_refuse_with_a_position(
    tmp_path: Path, command: str, raw: str, where: str, code: str
) -> None:
    text = with_raw(raw, where=where)
    state = tmp_path / "state.json"
    state.write_text(text, encoding="utf-8")
    args = {
        "plan": ["plan", str(MIMECAST), "--state", str(state)],
        "import": ["import", str(state), "-o", str(tmp_path / "spec.yaml")],
        "build": [
            "build",
            str(MIMECAST),
            "--out-dir",
            str(tmp_path / "out"),
            "--state",
            str(state),
        ],
    }[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    where_raw = after(text, DAYS_KEY) if where == "days" else at(text, raw)
    assert f"{state}:{where_raw}: error[{code}]" in result.output
    assert "JG900" not in result.output and "Traceback" not in result.output
    assert (
        not (tmp_path / "spec.yaml").exists()
        and not (tmp_path / "out" / "contoso-mimecast").exists()
    )


# --- any JSON value, anywhere -----------------------------------------------------------------

_ANY_CHAR = st.characters(codec=None, categories=None)
_JSON_TEXT = st.text(alphabet=_ANY_CHAR, max_size=6)


@st.composite
def raw_json(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON text that json.dumps cannot write: lone surrogates, huge integers, repeated keys."""
    kind = draw(
        st.sampled_from(
            ["int", "long", "text", "list", "object"] if depth < 3 else ["int", "long", "text"]
        )
    )
    if kind == "int":
        return str(draw(st.integers()))
    if kind == "long":
        return "-" * draw(st.booleans()) + "9" * draw(
            st.integers(MAX_INT_DIGITS - 1, MAX_INT_DIGITS + 2)
        )
    if kind == "text":
        return json.dumps(draw(_JSON_TEXT))
    if kind == "list":
        return "[" + ", ".join(draw(st.lists(raw_json(depth + 1), max_size=3))) + "]"
    keys = draw(st.lists(st.sampled_from(["a", "\ud800", "b"]) | _JSON_TEXT, max_size=3))
    return "{" + ", ".join(f"{json.dumps(k)}: {draw(raw_json(depth + 1))}" for k in keys) + "}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_json(), st.sampled_from(["extra", "comment", "days"]))
def test_any_json_anywhere_loads_or_is_refused_with_positions(raw: str, where: str) -> None:
    text = with_raw(raw, where=where)
    try:
        load_state(text.encode("utf-8"), "s.json")
    except SpecError as exc:
        assert exc.diagnostics
        first = naive(text, text.index(raw))
        for d in exc.diagnostics:
            assert d.code in {"JG401", "JG403", "JG405", "JG406"}, d
            assert (d.line, d.column) >= (first.line, first.column) or d.code == "JG403", d


# --- what a state may make journalgen do ------------------------------------------------------


def test_the_values_journalgen_reads_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "MAX_VALUES", 500)
    data = sample()
    data["accepted_domains"] = [
        {"DomainName": f"d{i}.example", "Default": False, "DomainType": "Authoritative"}
        for i in range(200)
    ]
    text = encode(data)
    with pytest.raises(SpecError) as caught:
        load_state(text.encode("utf-8"), "state.json")
    [d] = caught.value.diagnostics
    assert d.code == "JG404" and "more than 500 values" in d.message
    # Far into the domains, not at a key the format ignores.
    assert d.line > text[: text.index('"d90.example"')].count("\n")
    # A megabyte the format does not read counts one value.
    data = sample()
    data["extra"] = [{"a": [1, 2]}] * 50_000
    load_state(encode(data).encode("utf-8"), "state.json")


def test_a_state_with_thousands_of_problems_lists_the_first_and_counts_the_rest() -> None:
    data = sample()
    data["mail_contacts"] = [{}] * 2_000
    data["captured_at"] = 5
    text = encode(data)
    with pytest.raises(SpecError) as caught:
        load_state(text.encode("utf-8"), "state.json")
    found = caught.value.diagnostics
    assert len(found) == state_module.MAX_FINDINGS + 1
    assert found[0].message == "captured_at must be text, not the number 5"
    assert found[1].message.startswith("missing required key ")
    assert found[1].message.endswith(" in mail_contacts[0]")
    # 8 missing keys in each of 2,000 contacts, and the time: 16,001 problems.
    more = f"{16_001 - state_module.MAX_FINDINGS} more problems after this one are not listed"
    assert [d.message for d in found].count(more) == 1
    assert {d.code for d in found} == {"JG403"}


# --- the same in a spec ---------------------------------------------------------------------------


@pytest.fixture(params=["libyaml", "python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both of PyYAML's parsers: one refuses a lone surrogate escape, the other decodes it."""
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML built without libyaml")
        monkeypatch.setattr(loader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    return str(request.param)


def spec_problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        check_source(text.encode("utf-8"), "spec.yaml")
    return [f"{d.line}:{d.column}:{d.code}" for d in caught.value.diagnostics]


@pytest.mark.parametrize(
    "line",
    [f"x_extra: {LONG}", f"x_extra: [-{LONG}]", f"? {LONG}\n: x", f"version2: {{a: {LONG}}}"],
)
def test_an_integer_too_long_in_a_spec_is_refused_where_it_is(yaml_parser: str, line: str) -> None:
    text = spec_text() + line + "\n"
    where = naive(text, text.index(("-" if f"-{LONG}" in line else "") + LONG))
    assert spec_problems(text) == [f"{where.line}:{where.column}:JG004"]


def test_a_quoted_long_number_is_text(yaml_parser: str) -> None:
    codes = [p.rsplit(":", 1)[1] for p in spec_problems(spec_text() + f'x_extra: "{LONG}"\n')]
    assert codes == ["JG101"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("name: Journal all mail", r'name: "Journal \ud800 all mail"'),
        ("name: Journal all mail", r'name: "Journal \udfff"'),
        ("version: 1", 'version: 1\n"\\ud83d": 2'),
    ],
)
def test_a_lone_surrogate_escape_in_a_spec_is_refused_on_its_line(
    yaml_parser: str, old: str, new: str
) -> None:
    text = spec_text().replace(old, new)
    line = naive(text, text.index("\\ud")).line
    [found] = spec_problems(text)
    assert found.startswith(f"{line}:") and found.endswith(":JG006")
    if yaml_parser == "python":
        start = naive(text, text.index('"', text.index(new.rsplit("\n", 1)[-1])))
        assert found == f"{start.line}:{start.column}:JG006"


def test_validate_reports_them_without_an_internal_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text() + f"x_extra: {LONG}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert f"{spec}:" in result.output and "error[JG004]" in result.output
    assert "JG900" not in result.output

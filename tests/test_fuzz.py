"""Property tests: any bytes give a checked spec or positioned diagnostics, never another exception."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from journalgen import loader
from journalgen.compiler import Checked, check_source
from journalgen.errors import SpecError

SAMPLES = sorted((Path(__file__).parent.parent / "samples").glob("*.yaml"))
SAMPLE_BYTES = [path.read_bytes() for path in SAMPLES]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The line breaks YAML counts; a diagnostic's line must be one of the file's lines by that count.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def assert_checked_or_positioned(raw: bytes) -> None:
    try:
        result = check_source(raw, "fuzz.yaml")
    except SpecError as exc:
        assert exc.diagnostics, "a SpecError must carry at least one diagnostic"
        diagnostics = exc.diagnostics
    else:
        assert isinstance(result, Checked)
        diagnostics = result.warnings
    text = raw.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    lines = _LINE_BREAK.split(text)
    for d in diagnostics:
        assert d.file == "fuzz.yaml"
        assert d.code.startswith("JG") and d.message
        assert 1 <= d.line <= len(lines), (d, len(lines))
        assert 1 <= d.column <= len(lines[d.line - 1]) + 1, (d, lines[d.line - 1])


# --- mutated samples ----------------------------------------------------------------------------

_YAMLISH = b" \n\r\t:-?[]{},!&*#|>'\"%@`\\~.0123456789abcxyz\x00\x07\xc3\xa9\xef\xbb\xbf\xff\xfe\xe2\x80\xae"


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "swap", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 12))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(_YAMLISH_PIECES))
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


_YAMLISH_PIECES = [
    b": ",
    b"- ",
    b"\t",
    b"&a ",
    b"*a",
    b"!!str ",
    b"---\n",
    b"? ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"'",
    b'"',
    b"\\u202e",
    b"yes",
    b"0755",
    b"2024-01-01",
    b"\r",
    b"\xc3",
    b"\x00",
    b"    ",
    b"\n  ",
    b"~",
    b"null",
]


@FUZZ
@given(mutated_sample())
def test_mutated_samples(raw: bytes) -> None:
    assert_checked_or_positioned(raw)


# --- random YAML-ish text -----------------------------------------------------------------------


@FUZZ
@given(st.lists(st.sampled_from([*_YAMLISH_PIECES, *(bytes([b]) for b in _YAMLISH)]), max_size=60))
def test_random_yamlish_text(pieces: list[bytes]) -> None:
    assert_checked_or_positioned(b"".join(pieces))


@FUZZ
@given(st.text(max_size=200))
def test_random_unicode_text(text: str) -> None:
    assert_checked_or_positioned(text.encode("utf-8", errors="surrogatepass"))


# --- random structures, alone and grafted into a valid spec -------------------------------------

_KEYS = sorted(
    {
        "version",
        "tenant",
        "archive",
        "contact",
        "connector",
        "journal_rules",
        "ndr",
        "limits",
        "name",
        "scope",
        "recipient",
        "enabled",
        "tls",
        "mode",
        "domain",
        "address",
        "vendor",
        "region",
        "smart_hosts",
        "recipient_domains",
        "routing",
        "primary_domain",
        "organization",
        "queue_expiry_days",
        "journal_address",
        "journal_domain",
        "x",
    }
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(
        [
            "contoso.com",
            "journal.contoso.com",
            "a@contoso.com",
            "mimecast",
            "us",
            "global",
            "yes",
            "*",
            "",
        ]
    ),
    st.text(max_size=20),
)
_structures = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode(
        "utf-8", errors="surrogatepass"
    )


@FUZZ
@given(_structures)
def test_random_structures(data: Any) -> None:
    assert_checked_or_positioned(_dump(data))


_BASE: dict[str, Any] = yaml.safe_load(SAMPLE_BYTES[0])


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(_KEYS), st.sampled_from(_KEYS), _structures), max_size=4))
def test_random_values_grafted_into_a_valid_spec(grafts: list[tuple[str, str, Any]]) -> None:
    data = dict(_BASE)
    for section, key, value in grafts:
        target = data.get(section)
        if isinstance(target, dict):
            data[section] = {**target, key: value}
        else:
            data[section] = value
    assert_checked_or_positioned(_dump(data))


# --- both parsers agree -------------------------------------------------------------------------


def _report(
    raw: bytes, parser: Any, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, int, int, str]]:
    monkeypatch.setattr(loader, "_Loader", parser)
    try:
        found = check_source(raw, "fuzz.yaml").warnings
    except SpecError as exc:
        found = exc.diagnostics
    return [(d.code, d.line, d.column, d.message) for d in found]


@FUZZ
@given(mutated_sample())
def test_both_parsers_report_the_same_once_the_yaml_parses(raw: bytes) -> None:
    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML built without libyaml")
    # Syntax errors are worded and placed differently by the two parsers; everything after
    # parsing (positions of keys and values included) must not depend on which one ran.
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast = _report(raw, yaml.CSafeLoader, monkeypatch)
        slow = _report(raw, yaml.SafeLoader, monkeypatch)
    syntax = {"JG006", "JG007", "JG013"}
    assume(not any(code in syntax for code, *_ in fast + slow))
    assert fast == slow

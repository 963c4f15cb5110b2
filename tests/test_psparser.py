"""PowerShell 7's own parser on every generated script: no error, nothing 5.1 cannot run, inert spec text."""

from __future__ import annotations

import copy
import functools
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from journalgen.cli import main
from journalgen.clouds import CLOUDS
from journalgen.compiler import check_source, compile_bundle
from journalgen.emit import ENGINE_BEGIN, SCRIPTS
from journalgen.simulator import MODULE_PATH
from tests.conftest import BATCH, MIGRATION, ROOT
from tests.psast import SCRIPT, ParsedScript, parse_files
from tests.spectext import BASE

pytestmark = pytest.mark.pwsh

FLEET = ("partner", "app-only")

# --- every script journalgen generates -----------------------------------------------------------

# (label, CLI arguments) of the standalone scripts: capture for each cloud, and for one tenant.
STANDALONE = [
    *((f"capture-{cloud}.ps1", ["capture-script", "--cloud", cloud]) for cloud in CLOUDS),
    ("capture-contoso.ps1", ["capture-script", "--organization", "contoso.onmicrosoft.com"]),
    *((f"capture-fleet-{how}.ps1", ["capture-script", "--fleet", how]) for how in FLEET),
    ("capture-fleet-gcc_high.ps1", ["capture-script", "--fleet", "partner", "--cloud", "gcc_high"]),
    *((f"probe-{cloud}.ps1", ["probe", "--cloud", cloud]) for cloud in CLOUDS),
]
LABELS = [
    *(f"samples/{spec.stem}/{script}" for spec in BATCH for script in SCRIPTS),
    *(f"docs/migration/{spec.stem}/{script}" for spec in MIGRATION for script in SCRIPTS),
    *(label for label, _ in STANDALONE),
]


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


def write_generated(out: Path) -> dict[str, Path]:
    """Every generated script, by label, written into ``out`` by the CLI as a user runs it."""
    _cli("build", str(ROOT / "samples"), "--out-dir", str(out / "samples"))
    # The migration specs are two versions of one spec: each is built alone.
    for spec in MIGRATION:
        _cli("build", str(spec), "--out-dir", str(out / "docs" / "migration"))
    for label, args in STANDALONE:
        _cli(*args, "-o", str(out / label))
    return {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*.ps1"))}


def parsed_generated(pwsh: str) -> dict[str, ParsedScript]:
    """Every generated script as PowerShell 7 parses it."""
    return batch(pwsh).generated


def test_every_generated_script_is_checked(tmp_path: Path) -> None:
    assert sorted(write_generated(tmp_path)) == sorted(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_generated_script_parses_cleanly_with_nothing_51_lacks(label: str, pwsh: str) -> None:
    parsed = parsed_generated(pwsh)[label]
    assert not parsed.errors, "\n".join(f"{e.line}:{e.column}: {e.message}" for e in parsed.errors)
    # A call the script checks for first (a guard) runs on 5.1 too: the check skips it there.
    assert not parsed.unguarded, "\n".join(
        f"{c.line}: {c.construct}: {c.text[:120]}" for c in parsed.unguarded
    )
    assert len(parsed.commands) > 50  # the parse saw the whole script, not a fragment


# --- the oracle catches every construct of its table --------------------------------------------

# One snippet per construct of the table in psast.ps1, named exactly as the oracle names it.
SYNTAX = {
    "?: ternary operator": "$x = $a ? 1 : 2",
    "?? null-coalescing operator": "$x = $a ?? 'b'",
    "??= null-coalescing assignment": "$x ??= 1",
    "?. null-conditional member access": "$x = ${a}?.Name",
    "?[] null-conditional index": "$x = ${a}?[0]",
    "&& / || pipeline chain": "Get-Item x && Get-Item y",
    "& background operator": "Start-Sleep 1 &",
    "clean block": "function f { process { $_ } clean { 'x' } }",
    "-replace with a script block": "$x = 'ab' -replace 'a', { $_.Value.ToUpper() }",
    "numeric suffix or 0b literal": "$x = 0b1010 + 5u",
    "`e or `u{} escape": 'Write-Host "`e[1mbold"',
    "[Type]::new()": "$x = [System.Text.StringBuilder]::new()",
    "[System.IO.Path]::GetRelativePath()": "$x = [IO.Path]::GetRelativePath('a', 'b')",
    "[System.IO.Path]::Join()": "$x = [System.IO.Path]::Join('a', 'b')",
    "[System.IO.Path]::TrimEndingDirectorySeparator()": "[IO.Path]::TrimEndingDirectorySeparator('a/')",
    "[System.IO.Path]::EndsInDirectorySeparator()": "[IO.Path]::EndsInDirectorySeparator('a/')",
    "[System.Convert]::ToHexString()": "$x = [Convert]::ToHexString($bytes)",
    "[System.Convert]::FromHexString()": "$x = [System.Convert]::FromHexString('00')",
    "$PSStyle": "$x = $PSStyle.Reset",
    "$IsWindows": "if ($IsWindows) { 'w' }",
    "$IsLinux": "if ($IsLinux) { 'l' }",
    "$IsMacOS": "if ($IsMacOS) { 'm' }",
    "$IsCoreCLR": "if ($IsCoreCLR) { 'c' }",
    "$EnabledExperimentalFeatures": "$EnabledExperimentalFeatures",
    "-Encoding utf8NoBOM": "Set-Content -Path x -Value y -Encoding utf8NoBOM",
    "-Encoding utf8BOM": "Out-File -FilePath x -Encoding 'utf8BOM'",
    "-Encoding ansi": "Add-Content -Path x -Value y -Encoding ansi",
}
COMMANDS = {
    "ForEach-Object -Parallel": "1..3 | ForEach-Object -Parallel { $_ } -ThrottleLimit 2",
    "ForEach-Object -ThrottleLimit": "1..3 | ForEach-Object -Parallel { $_ } -ThrottleLimit 2",
    "ForEach-Object -TimeoutSeconds": "1 | ForEach-Object -TimeoutSeconds 5 -Parallel { }",
    "ForEach-Object -AsJob": "1 | % -Parallel { } -AsJob",
    "ForEach-Object -UseNewRunspace": "1 | foreach -Parallel { } -UseNewRunspace",
    "ConvertFrom-Json -AsHashtable": "$x = '{}' | ConvertFrom-Json -AsHashtable",
    "ConvertFrom-Json -Depth": "$x = '{}' | ConvertFrom-Json -Depth 5",
    "ConvertFrom-Json -NoEnumerate": "$x = '[]' | ConvertFrom-Json -NoEnumerate",
    "ConvertFrom-Json -DateKind": "$x = '{}' | ConvertFrom-Json -DateKind Utc",
    "ConvertTo-Json -EscapeHandling": "ConvertTo-Json -InputObject 1 -EscapeHandling EscapeNonAscii",
    "ConvertTo-Json -AsArray": "ConvertTo-Json -InputObject 1 -AsArray",
    "ConvertTo-Json -EnumsAsStrings": "ConvertTo-Json -InputObject 1 -EnumsAsStrings",
    "Get-Content -AsByteStream": "$b = Get-Content -Path x -AsByteStream",
    "Set-Content -AsByteStream": "Set-Content -Path x -Value $b -AsByteStream",
    "Add-Content -AsByteStream": "ac -Path x -Value $b -AsByteStream",
    "Out-String -NoNewline": "$s = 1 | Out-String -NoNewline",
    "Get-Date -AsUTC": "$d = Get-Date -AsUTC",
    "Get-Date -UnixTimeSeconds": "$d = Get-Date -UnixTimeSeconds 0",
    "Sort-Object -Top": "1, 2 | Sort-Object -Top 1",
    "Sort-Object -Bottom": "1, 2 | sort -Bottom 1",
    "Select-Object -SkipIndex": "1, 2 | Select-Object -SkipIndex 0",
    "Select-String -Raw": "'a' | Select-String -Pattern a -Raw",
    "Select-String -NoEmphasis": "'a' | sls -Pattern a -NoEmphasis",
    "Split-Path -LeafBase": "Split-Path -Path x.txt -LeafBase",
    "Split-Path -Extension": "Split-Path -Path x.txt -Extension",
    "Where-Object -Not": "$x | Where-Object -Not Name",
    "Invoke-WebRequest -SkipCertificateCheck": "iwr -Uri https://x -SkipCertificateCheck",
    "Invoke-WebRequest -Authentication": "Invoke-WebRequest -Uri https://x -Authentication Bearer",
    "Invoke-WebRequest -Token": "Invoke-WebRequest -Uri https://x -Token $t",
    "Invoke-WebRequest -SkipHttpErrorCheck": "Invoke-WebRequest -Uri https://x -SkipHttpErrorCheck",
    "Invoke-WebRequest -StatusCodeVariable": "Invoke-WebRequest -Uri https://x -StatusCodeVariable s",
    "Invoke-WebRequest -ResponseHeadersVariable": "iwr https://x -ResponseHeadersVariable h",
    "Invoke-RestMethod -SkipCertificateCheck": "irm -Uri https://x -SkipCertificateCheck",
    "Invoke-RestMethod -Authentication": "Invoke-RestMethod -Uri https://x -Authentication Bearer",
    "Invoke-RestMethod -Token": "Invoke-RestMethod -Uri https://x -Token $t",
    "Invoke-RestMethod -SkipHttpErrorCheck": "Invoke-RestMethod -Uri https://x -SkipHttpErrorCheck",
    "Invoke-RestMethod -StatusCodeVariable": "Invoke-RestMethod -Uri https://x -StatusCodeVariable s",
    "Invoke-RestMethod -ResponseHeadersVariable": "irm https://x -ResponseHeadersVariable h",
    "Join-String": "$s = 1, 2 | Join-String -Separator ','",
    "Test-Json": "Test-Json -Json '{}'",
    "Get-Error": "Get-Error -Newest 1",
    "Get-Uptime": "$u = Get-Uptime",
    "ConvertFrom-Markdown": "ConvertFrom-Markdown -Path x.md",
    "Show-Markdown": "Show-Markdown -Path x.md",
    "Remove-Alias": "Remove-Alias -Name x",
    "Remove-Service": "Remove-Service -Name x",
}
CONSTRUCTS = {**SYNTAX, **COMMANDS}
LOOKALIKES_NAME = "lookalikes"
# What 5.1 runs as it is, written to look like the constructs above.
LOOKALIKES = """
$x = 'a ?? b ? c : d && e'  # $a ? b : c
$y = "$($a)?.b"
$h = @{ Parallel = 1; AsHashtable = 2 }
$t = if ($a) { 1 } else { 2 }
Get-Content -Path x -Raw -Encoding UTF8 | ConvertFrom-Json
ConvertTo-Json -InputObject $h -Depth 5 -Compress
$n = 5; $m = 0x1F; $k = 1kb; $f = 1.5e3; $d = 2d; $l = 3l
$e = "``e is not an escape here"
$o = New-Object -TypeName System.Text.StringBuilder
$p = [System.IO.Path]::Combine('a', 'b')
1..3 | ForEach-Object { $_ } | Where-Object { $_ -gt 1 } | Sort-Object -Descending
Out-File -FilePath x -Encoding utf8
$q = 'a' -replace 'a', 'b'
$null = Get-Date -Format o
Write-Output -InputObject $IsWindowsServer
"""


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_the_oracle_names_each_construct_of_its_table(construct: str, pwsh: str) -> None:
    parsed = batch(pwsh).snippets[construct]
    assert not parsed.errors, [e.message for e in parsed.errors]
    assert construct in parsed.constructs, parsed.newer


def test_the_oracle_names_nothing_in_51_code_that_looks_alike(pwsh: str) -> None:
    parsed = batch(pwsh).snippets[LOOKALIKES_NAME]
    assert not parsed.errors, [e.message for e in parsed.errors]
    assert not parsed.newer, parsed.newer


# (source, construct, whether the oracle must call it guarded)
GUARDS = {
    "parameter probe": (
        "if ((Get-Command -Name 'ConvertFrom-Json').Parameters.ContainsKey('DateKind')) {\n"
        "    $x = ConvertFrom-Json -InputObject $t -DateKind String\n}",
        "ConvertFrom-Json -DateKind",
        True,
    ),
    "command probe": (
        "if (Get-Command -Name 'Join-String' -ErrorAction SilentlyContinue) { $s = 1 | Join-String }",
        "Join-String",
        True,
    ),
    "version check": (
        "if ($PSVersionTable.PSVersion.Major -ge 7) { 1 | ForEach-Object -Parallel { $_ } }",
        "ForEach-Object -Parallel",
        True,
    ),
    "else branch": (
        "if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) { }\n"
        "else { $x = ConvertFrom-Json -InputObject $t -DateKind String }",
        "ConvertFrom-Json -DateKind",
        False,
    ),
    "probe of another parameter": (
        "if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('Depth')) {\n"
        "    $x = ConvertFrom-Json -InputObject $t -DateKind String\n}",
        "ConvertFrom-Json -DateKind",
        False,
    ),
    "version 5": (
        "if ($PSVersionTable.PSVersion.Major -ge 5) { $s = 1 | Join-String }",
        "Join-String",
        False,
    ),
}


@pytest.mark.parametrize("case", list(GUARDS))
def test_the_oracle_tells_a_guarded_call_from_an_unguarded_one(case: str, pwsh: str) -> None:
    _, construct, guarded = GUARDS[case]
    parsed = batch(pwsh).snippets[f"guard: {case}"]
    assert not parsed.errors, [e.message for e in parsed.errors]
    (found,) = parsed.newer
    assert found.construct == construct
    assert (found.guard is not None) == guarded, found


def test_the_snippets_cover_the_whole_table(pwsh: str) -> None:
    # The oracle reads its own table: each command row and variable is literal data.
    table = batch(pwsh).oracle
    rows: dict[int, dict[str, Any]] = {}
    for entry in table.entries:
        rows.setdefault(entry.table, {})[entry.key or ""] = entry.value
    expected = set()
    for row in rows.values():
        if "Command" in row and "Parameters" in row:
            parameters = row["Parameters"]
            if parameters is None:
                expected.add(row["Command"])
            else:
                expected |= {f"{row['Command']} -{p}" for p in parameters}
        if "PSStyle" in row:
            expected |= {f"${name}" for name in row}
        if "IO.Path" in row:
            expected |= {f"[System.{t}]::{m}()" for t, members in row.items() for m in members}
    assert len(expected) > 40
    assert expected <= set(CONSTRUCTS), expected - set(CONSTRUCTS)


# --- spec text stays inert, as PowerShell's parser sees it ---------------------------------------

FIVE_QUOTES = "'\u2018\u2019\u201a\u201b"
HOSTILE = [
    *FIVE_QUOTES,
    *(f"x{q}; Stop-Computer; #" for q in FIVE_QUOTES),  # INJECTION among them
    *(f"a{q}b{q}{q}c" for q in FIVE_QUOTES),
    *(f"{q}) + (Stop-Computer) + ({q}" for q in FIVE_QUOTES),
    '"',
    'say "hi"',
    "\u201c\u201d\u201e",
    '"$(Stop-Computer)"',
    "$(Stop-Computer)",
    "${env:PATH}",
    "$null",
    "`n`$x `",
    "`'; Stop-Computer; #",
    "a; b | Out-Host & c",
    "<# c #>",
    "#> x <#",
    "@{a=1}",
    "}); Remove-Item x; (@{",
    "-Confirm:$true",
    "@'",
    "'@",
    "Zo\u00eb\u2019s caf\u00e9",
    "\U0001f600 journal",
    "[char]0x2019",
    "' + [char]0x41 + '",
    "#Requires -Version 7",
    "--% x",
]
PLAIN = "Journal"
# The spec fields that take free text ("rule": the one journal rule) and where apply.ps1 shows
# each: (resource type, key).
FREE_TEXT = {
    ("contact", "name"): [("MailContact", "Identity"), ("Journalgen", "ContactName")],
    ("contact", "display_name"): [("MailContact", "DisplayName")],
    ("contact", "first_name"): [("MailContact", "FirstName")],
    ("contact", "last_name"): [("MailContact", "LastName")],
    ("connector", "name"): [("OutboundConnector", "Identity"), ("Journalgen", "ConnectorName")],
    ("connector", "comment"): [("OutboundConnector", "Comment")],
    ("rule", "name"): [("JournalRule", "Identity")],
}
# Bare words a script's header and desired state may hold: keys, cmdlet and parameter names.
BARE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def hostile_spec(value: str) -> bytes:
    """The minimal spec with ``value`` in every free-text field of FREE_TEXT."""
    data: dict[str, Any] = copy.deepcopy(BASE)
    data["journal_rules"] = [{}]
    for section, field in FREE_TEXT:
        target = data["journal_rules"][0] if section == "rule" else data.setdefault(section, {})
        target[field] = value
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


def apply_script(source: bytes) -> bytes:
    return compile_bundle(check_source(source, "hostile.yaml"))["apply.ps1"]


def check_inert(value: str, data: bytes, parsed: ParsedScript, plain: ParsedScript) -> None:
    """What PowerShell's parser sees of ``value`` in apply.ps1 is ``value``, inert, everywhere.

    ``plain`` is apply.ps1 of the same spec with an ordinary name in place of ``value``.
    """
    assert not parsed.errors, [f"{e.line}: {e.message}" for e in parsed.errors]
    assert not parsed.unguarded, parsed.unguarded
    # No command came in: the same calls, in the same order, as for an ordinary name.
    assert [c.name for c in parsed.commands] == [c.name for c in plain.commands]
    lines = data.decode("utf-8-sig").split("\r\n")
    engine = next(n for n, line in enumerate(lines, 1) if line.startswith(ENGINE_BEGIN))
    block = parsed.strings_between(1, engine - 1)
    assert not [c for c in parsed.commands if c.line < engine and c.name != "Set-StrictMode"]
    # Single-quoted or a bare word, never a string PowerShell expands.
    assert {s.type for s in block} <= {"SingleQuoted", "BareWord"}, block
    assert all(BARE_WORD.fullmatch(s.value) for s in block if s.type == "BareWord")
    if value.isascii():
        # The emitter writes an ASCII value as one literal: the parser sees it whole.
        assert value in {s.value for s in block if s.type == "SingleQuoted"}
    tables: dict[int, dict[str, Any]] = {}
    for entry in parsed.entries:
        if entry.line < engine:
            tables.setdefault(entry.table, {})[entry.key or ""] = entry.value
    shown: dict[str, dict[str, Any]] = {"Journalgen": {}}
    for table in tables.values():
        if "SpecSha256" in table:
            shown["Journalgen"] = table
        elif "Type" in table:
            shown[table["Type"]] = {**table, **table["Settings"]}
    for places in FREE_TEXT.values():
        for kind, key in places:
            assert shown[kind][key] == value, (kind, key, shown[kind][key])
    assert shown["MailContact"]["Title"] == f"Mail contact '{value}'"
    assert shown["OutboundConnector"]["Title"] == f"Outbound connector '{value}'"
    assert shown["JournalRule"]["Title"] == f"Journal rule '{value}'"


INJECTION = "x\u2019; Stop-Computer; #"


def naive_script(data: bytes) -> bytes:
    """``data`` with each literal of INJECTION as an emitter that doubles only ASCII ' writes it."""
    emitted = "('x' + [char]0x2019 + '; Stop-Computer; #')"
    assert emitted.encode("ascii") in data
    return data.replace(emitted.encode("ascii"), "'x\u2019; Stop-Computer; #'".encode())


def test_the_inert_check_catches_a_naive_literal(pwsh: str) -> None:
    scripts = batch(pwsh)
    data, parsed = scripts.naive
    # PowerShell ends the string at the curly quote: the rest of the line is code.
    assert any("Missing '=' operator after key" in e.message for e in parsed.errors)
    with pytest.raises(AssertionError):
        check_inert(INJECTION, data, parsed, scripts.applies[PLAIN][1])


def test_hostile_values_are_accepted_by_the_spec() -> None:
    assert len(set(HOSTILE)) == len(HOSTILE) >= 40
    for value in HOSTILE:
        check_source(hostile_spec(value), "hostile.yaml")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_reaches_powershell_exactly_and_inert(value: str, pwsh: str) -> None:
    scripts = batch(pwsh).applies
    data, parsed = scripts[value]
    check_inert(value, data, parsed, scripts[PLAIN][1])


_HOSTILE_CHARS = st.sampled_from(
    [*FIVE_QUOTES, *'"\u201c\u201d\u201e`$(){}@#<>;|&-:[]+,= \u00a0\u00eb\u2013\U0001f600aZ0']
)
hostile_texts = st.lists(_HOSTILE_CHARS, min_size=1, max_size=40).map("".join)


@functools.cache
def drawn_values() -> tuple[str, ...]:
    """Values Hypothesis draws, the same on every run, that the spec accepts."""
    drawn: list[str] = []

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(hostile_texts)
    def collect(value: str) -> None:
        assume(value == value.strip() and value not in drawn and value not in HOSTILE)
        assume(value != PLAIN)
        drawn.append(value)

    collect()
    return tuple(drawn)


def test_any_hostile_text_reaches_powershell_exactly_and_inert(pwsh: str) -> None:
    # Hypothesis drew the values up front, so that one pwsh run parses every script they give.
    drawn = drawn_values()
    assert len(drawn) >= 20
    scripts = batch(pwsh).applies
    for value in drawn:
        data, parsed = scripts[value]
        check_inert(value, data, parsed, scripts[PLAIN][1])


# --- one pwsh run for all of the above ---------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    generated: dict[str, ParsedScript]  # by label
    snippets: dict[str, ParsedScript]  # by construct, LOOKALIKES_NAME and "guard: " + case
    oracle: ParsedScript  # psast.ps1 itself
    applies: dict[str, tuple[bytes, ParsedScript]]  # apply.ps1 by the value in its spec
    naive: tuple[bytes, ParsedScript]  # apply.ps1 of INJECTION with its literals written naively


@functools.cache
def batch(pwsh: str) -> Batch:
    """Everything this file and test_contract.py parse, in one pwsh run per test process."""
    folder = Path(tempfile.mkdtemp(prefix="jg-psparser-"))
    try:
        generated = write_generated(folder / "generated")
        snippets: dict[str, Path] = {}
        sources = {
            **CONSTRUCTS,
            LOOKALIKES_NAME: LOOKALIKES,
            **{f"guard: {case}": source for case, (source, _, _) in GUARDS.items()},
        }
        for index, (name, source) in enumerate(sources.items()):
            snippets[name] = folder / "snippets" / f"{index}.ps1"
            snippets[name].parent.mkdir(exist_ok=True)
            snippets[name].write_text(source, encoding="utf-8")
        applies: dict[str, tuple[bytes, Path]] = {}
        for index, value in enumerate([PLAIN, *HOSTILE, *drawn_values()]):
            data = apply_script(hostile_spec(value))
            applies[value] = (data, folder / "applies" / f"{index}.ps1")
            applies[value][1].parent.mkdir(exist_ok=True)
            applies[value][1].write_bytes(data)
        naive = naive_script(applies[INJECTION][0])
        (folder / "naive.ps1").write_bytes(naive)
        paths = [*generated.values(), *snippets.values(), SCRIPT, folder / "naive.ps1"]
        parsed = parse_files([*paths, *(path for _, path in applies.values())], pwsh)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Batch(
        generated={label: parsed[path] for label, path in generated.items()},
        snippets={name: parsed[path] for name, path in snippets.items()},
        oracle=parsed[SCRIPT],
        applies={value: (data, parsed[path]) for value, (data, path) in applies.items()},
        naive=(naive, parsed[folder / "naive.ps1"]),
    )


SIMULATOR_FILES = sorted(
    p
    for p in (MODULE_PATH / "ExchangeOnlineManagement").iterdir()
    if p.suffix in (".psm1", ".psd1")
)


@pytest.mark.parametrize("path", SIMULATOR_FILES, ids=lambda p: p.name)
def test_the_simulator_loads_in_windows_powershell_51_too(path: Path, pwsh: str) -> None:
    # journalgen rehearse runs it under powershell.exe 5.1 as well as pwsh.
    parsed = parse_files([path], pwsh)[path]
    assert not parsed.errors, "\n".join(f"{e.line}:{e.column}: {e.message}" for e in parsed.errors)
    assert not parsed.unguarded, "\n".join(
        f"{c.line}: {c.construct}: {c.text[:120]}" for c in parsed.unguarded
    )

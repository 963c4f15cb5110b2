"""Tier-0 contract: every Exchange cmdlet call of a generated script fits the simulator's signatures."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from journalgen.simulator import SIGNATURES
from tests.psast import Command, ParsedScript, parse_sources
from tests.test_psparser import LABELS, parsed_generated

pytestmark = pytest.mark.pwsh

NOUNS = (
    "MailContact",
    "Contact",
    "OutboundConnector",
    "JournalRule",
    "TransportConfig",
    "AcceptedDomain",
    "Recipient",
    "ExchangeOnline",
    "ConnectionInformation",
    "TransportRule",
)
EXCHANGE_CMDLET = re.compile(rf"[A-Za-z]+-(?:{'|'.join(NOUNS)})", re.IGNORECASE)
# The common parameters of Windows PowerShell 5.1 and their aliases. -ProgressAction is left
# out on purpose: it is common only from PowerShell 7.4, and 5.1 refuses it.
COMMON = {
    "Verbose": ("vb",),
    "Debug": ("db",),
    "ErrorAction": ("ea",),
    "WarningAction": ("wa",),
    "InformationAction": ("infa",),
    "ErrorVariable": ("ev",),
    "WarningVariable": ("wv",),
    "InformationVariable": ("iv",),
    "OutVariable": ("ov",),
    "OutBuffer": ("ob",),
    "PipelineVariable": ("pv",),
}
SHOULD_PROCESS = {"WhatIf": ("wi",), "Confirm": ("cf",)}
# Splats whose keys are data, not code: the engine copies them from a resource's Settings in
# $Desired (or from a backup of them), so no parser sees them at the call. Instead,
# test_desired_settings_are_parameters_of_the_cmdlets_they_are_splatted_into checks those
# Settings against every cmdlet the engine splats that resource type into.
# (function, variable) -> why.
DATA_DRIVEN = {
    ("New-JgObject", "create"): "Name, then each set value of the resource's Settings",
    ("New-JgJournalRule", "Create"): "the $create of New-JgObject, passed as a parameter",
    ("Update-JgObject", "update"): "the names of the changed Settings",
    ("Update-JgObject", "person"): "FirstName, Initials, LastName taken out of $update",
}


@dataclass(frozen=True)
class Signature:
    name: str
    module: str
    kind: str
    should_process: bool
    impact: str | None
    accepted: dict[str, str]  # lower-case name or alias -> parameter name
    values: dict[str, list[str] | None]  # parameter name -> the values it accepts, when listed

    @property
    def parameters(self) -> set[str]:
        return set(self.values)


@functools.cache
def signatures() -> dict[str, Signature]:
    """The simulator's signature table, by lower-case cmdlet name."""
    data: dict[str, Any] = json.loads(SIGNATURES.read_text(encoding="utf-8"))
    assert data["format"] == "journalgen-sim-signatures/1"
    table: dict[str, Signature] = {}
    for cmdlet in data["cmdlets"]:
        extra = {**COMMON, **(SHOULD_PROCESS if cmdlet["supports_should_process"] else {})}
        accepted = {
            alias.lower(): name for name, aliases in extra.items() for alias in (name, *aliases)
        }
        for parameter in cmdlet["parameters"]:
            for alias in (parameter["name"], *parameter["aliases"]):
                accepted[alias.lower()] = parameter["name"]
        table[cmdlet["name"].lower()] = Signature(
            name=cmdlet["name"],
            module=cmdlet["module"],
            kind=cmdlet["kind"],
            should_process=cmdlet["supports_should_process"],
            impact=cmdlet["confirm_impact"],
            accepted=accepted,
            values={p["name"]: p["values"] for p in cmdlet["parameters"]},
        )
    return table


def confirms_false(command: Command) -> bool:
    """-Confirm:$false, colon-bound: `-Confirm $false` passes $false as a positional argument."""
    confirm = command.parameter("Confirm")
    return confirm is not None and (confirm.argument or "").lower() == "$false"


def violations(script: ParsedScript) -> list[str]:
    """Every way the script's Exchange cmdlet calls break the signature table, one line each."""
    found: list[str] = []
    table = signatures()
    for command in script.commands:
        # A module-qualified name (ExchangeOnlineManagement\Get-JournalRule) is the same cmdlet.
        name = (command.name or "").rsplit("\\", 1)[-1]
        if not EXCHANGE_CMDLET.fullmatch(name):
            continue
        where = f"line {command.line}: {name}"
        signature = table.get(name.lower())
        if signature is None:
            found.append(f"{where} is not in the signature table")
            continue
        # Parameter names must be written in full: an abbreviation that is unique today may
        # become ambiguous with a parameter of a later module version.
        for parameter in command.parameters:
            if parameter.name.lower() not in signature.accepted:
                found.append(f"{where} has no parameter -{parameter.name}")
        splatted = {key.lower() for splat in command.splats for key in splat.keys}
        for splat in command.splats:
            for key in splat.keys:
                if key.lower() not in signature.accepted:
                    found.append(f"{where}: @{splat.name} holds {key}, not a parameter")
            if (splat.dynamic or not splat.assigned) and (
                command.function,
                splat.name,
            ) not in DATA_DRIVEN:
                found.append(f"{where}: the keys of @{splat.name} are not all visible")
        if signature.impact == "High" and not confirms_false(command):
            found.append(f"{where} is High impact and has no -Confirm:$false")
        written = {p.name.lower() for p in command.parameters} | splatted
        if signature.module == "admin" and not written & {"erroraction", "ea"}:
            found.append(f"{where} is an admin cmdlet and has no -ErrorAction")
    return found


def test_the_signature_table_is_there_and_covers_the_exchange_nouns() -> None:
    table = signatures()
    assert {"new-journalrule", "connect-exchangeonline", "set-transportconfig"} <= set(table)
    for signature in table.values():
        assert EXCHANGE_CMDLET.fullmatch(signature.name), signature.name
        assert signature.module in {"admin", "root"}
        assert signature.kind in {"read", "write", "connection"}


@pytest.mark.parametrize("label", LABELS)
def test_generated_script_calls_exchange_as_the_signatures_say(label: str, pwsh: str) -> None:
    script = parsed_generated(pwsh)[label]
    assert not violations(script), "\n".join(violations(script))
    assert any(EXCHANGE_CMDLET.fullmatch(c.name or "") for c in script.commands)


def receivers(script: ParsedScript) -> dict[str, set[str]]:
    """Resource type -> the cmdlets the engine splats that type's settings into.

    A call's type is the switch clause ('MailContact' { ... }) it is in, or, for a call in a
    helper function, the clause of each call of that function.
    """
    clauses: dict[str, set[str]] = {}
    for command in script.commands:
        if command.name and command.clauses:
            clauses.setdefault(command.name, set()).add(command.clauses[0])
    found: dict[str, set[str]] = {}
    for command in script.commands:
        if not any((command.function, s.name) in DATA_DRIVEN for s in command.splats):
            continue
        types = {command.clauses[0]} if command.clauses else clauses.get(command.function or "")
        assert types, f"line {command.line}: no resource type for {command.name}"
        for kind in types:
            found.setdefault(kind, set()).add(command.name or "")
    return found


def desired(script: ParsedScript) -> list[dict[str, Any]]:
    """The resources of $Desired: each hashtable with a Type and literal Settings."""
    tables: dict[int, dict[str, Any]] = {}
    for entry in script.entries:
        if entry.constant:
            tables.setdefault(entry.table, {})[entry.key or ""] = entry.value
    return [t for t in tables.values() if "Type" in t and isinstance(t.get("Settings"), dict)]


WITH_DESIRED = [label for label in LABELS if label.endswith(("/apply.ps1", "/rollback.ps1"))]


@pytest.mark.parametrize("label", WITH_DESIRED)
def test_desired_settings_are_parameters_of_the_cmdlets_they_are_splatted_into(
    label: str, pwsh: str
) -> None:
    # Which of the cmdlets receives a setting depends on the tenant (create or update, and the
    # engine moves some keys to another cmdlet), so each setting must fit at least one of them.
    script = parsed_generated(pwsh)[label]
    table = signatures()
    into = receivers(script)
    assert set(into) == {"MailContact", "OutboundConnector", "TransportConfig", "JournalRule"}
    resources = desired(script)
    assert resources
    for resource in resources:
        cmdlets = [table[name.lower()] for name in sorted(into[resource["Type"]])]
        for key, value in resource["Settings"].items():
            takers = [s for s in cmdlets if key in s.parameters]
            assert takers, f"{resource['Type']}.{key}: no parameter of {[s.name for s in cmdlets]}"
            for signature in takers:
                allowed = signature.values[key]
                if allowed is not None and isinstance(value, str):
                    assert value in allowed, f"{signature.name} -{key} {value!r}: not in {allowed}"


# --- the contract catches what it is for -----------------------------------------------------------

BROKEN = {
    "Set-JournalRule -Identity x -Enabled $true -Confirm:$false -ErrorAction Stop": (
        "Set-JournalRule has no parameter -Enabled"
    ),
    "New-JournalRule -Name x -JournalEmailAddres j@x.example -Confirm:$false -ErrorAction Stop": (
        "New-JournalRule has no parameter -JournalEmailAddres"
    ),
    "Remove-JournalRule -Identity x -ErrorAction Stop": "High impact and has no -Confirm:$false",
    "Remove-MailContact -Identity x -Confirm $false -ErrorAction Stop": "has no -Confirm:$false",
    "Disconnect-ExchangeOnline -Confirm:$true": "has no -Confirm:$false",
    "$r = Get-JournalRule -Identity x": "is an admin cmdlet and has no -ErrorAction",
    "Get-TransportConfig -ProgressAction SilentlyContinue -ErrorAction Stop": (
        "has no parameter -ProgressAction"
    ),
    "New-TransportRule -Name x -ErrorAction Stop": "New-TransportRule is not in the signature table",
    "ExchangeOnlineManagement\\Get-JournalRule -Identity x -Bogus -ErrorAction Stop": (
        "Get-JournalRule has no parameter -Bogus"
    ),
    "$p = @{ Identity = 'x'; Bogus = 1 }\nSet-JournalRule @p -Confirm:$false -ErrorAction Stop": (
        "@p holds Bogus, not a parameter"
    ),
    "function Set-Jg { param($p) Set-JournalRule @p -Confirm:$false -ErrorAction Stop }": (
        "the keys of @p are not all visible"
    ),
    "function Set-Jg { $p = @{}; $p[$k] = 1; Set-MailContact @p -Confirm:$false -ea Stop }": (
        "the keys of @p are not all visible"
    ),
}
CORRECT = """
$p = [ordered]@{ Identity = 'x'; Scope = 'Global' }
$p['Recipient'] = 'a@x.example'
Set-JournalRule @p -Confirm:$false -ErrorAction Stop
Remove-JournalRule -Identity x -Confirm:$false -WhatIf:$false -ea Stop
Connect-ExchangeOnline -UserPrincipalName a@x.example -ShowBanner:$false
Get-MailContact -Identity x -ResultSize Unlimited -ErrorAction SilentlyContinue -Verbose
Get-Jg-JournalRuleNotExchange -Anything 1
"""


def parsed_snippets(pwsh: str) -> dict[str, ParsedScript]:
    return parse_sources({**{source: source for source in BROKEN}, "correct": CORRECT}, pwsh)


@pytest.mark.parametrize("source", list(BROKEN))
def test_the_contract_catches(source: str, pwsh: str) -> None:
    script = parsed_snippets(pwsh)[source]
    assert not script.errors
    found = violations(script)
    assert len(found) == 1, found
    assert BROKEN[source] in found[0]


def test_the_contract_passes_calls_that_fit(pwsh: str) -> None:
    script = parsed_snippets(pwsh)["correct"]
    assert not script.errors
    assert violations(script) == []

"""The simulator's signature table is internally consistent and keeps the facts the scripts rely on."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from journalgen.simulator import SIGNATURES

FORMAT = "journalgen-sim-signatures/1"
ALL_SETS = "__AllParameterSets"
TOP_KEYS = ["format", "source", "cmdlets"]
CMDLET_KEYS = [
    "name",
    "module",
    "kind",
    "supports_should_process",
    "confirm_impact",
    "default_set",
    "parameters",
]
PARAMETER_KEYS = [
    "name",
    "type",
    "position",
    "pipeline",
    "aliases",
    "sets",
    "dynamic",
    "windows_only",
    "values",
]
TYPES = {
    "object",
    "string",
    "string[]",
    "object[]",
    "bool",
    "int",
    "uint32",
    "switch",
    "guid",
    "securestring",
    "pscredential",
    "x509certificate2",
    "datetime",
}
PIPELINE = {None, "value", "property", "both"}
KIND_BY_VERB = {
    "Get": "read",
    "New": "write",
    "Set": "write",
    "Remove": "write",
    "Enable": "write",
    "Disable": "write",
}
CONNECTION = {"Connect-ExchangeOnline", "Disconnect-ExchangeOnline", "Get-ConnectionInformation"}
HIGH_IMPACT = {
    "Remove-MailContact",
    "Remove-OutboundConnector",
    "Remove-JournalRule",
    "Disable-JournalRule",
    "Disconnect-ExchangeOnline",
}
# Default sets that no parameter belongs to: the cmdlet run with no set-specific parameter.
PARAMETERLESS_DEFAULT_SETS = {
    "Disconnect-ExchangeOnline": "DefaultParameterSet",
    "Get-ConnectionInformation": "Default",
}
# WhatIf/Confirm come from SupportsShouldProcess, ErrorAction is a common parameter,
# DomainController exists only on-premises.
NEVER_LISTED = {"WhatIf", "Confirm", "ErrorAction", "DomainController"}
ABSENT = [
    ("Set-JournalRule", "Enabled"),
    ("New-MailContact", "HiddenFromAddressListsEnabled"),
    ("Set-MailContact", "FirstName"),
    ("Set-TransportConfig", "Identity"),
]


@cache
def _table() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SIGNATURES.read_text(encoding="utf-8"))
    return loaded


def _cmdlets() -> list[dict[str, Any]]:
    cmdlets: list[dict[str, Any]] = _table()["cmdlets"]
    return cmdlets


def _by_name() -> dict[str, dict[str, Any]]:
    return {cmdlet["name"]: cmdlet for cmdlet in _cmdlets()}


def _explicit_sets(cmdlet: dict[str, Any]) -> set[str]:
    """The set names the parameters declare, without the all-sets marker."""
    return {
        name for parameter in cmdlet["parameters"] for name in parameter["sets"] if name != ALL_SETS
    }


def _sets(cmdlet: dict[str, Any]) -> set[str]:
    """The parameter sets PowerShell would build for the cmdlet."""
    sets = _explicit_sets(cmdlet)
    if cmdlet["default_set"] is not None:
        sets.add(cmdlet["default_set"])
    return sets or {ALL_SETS}


def test_format_and_key_order() -> None:
    table = _table()
    assert table["format"] == FORMAT
    assert list(table) == TOP_KEYS
    assert isinstance(table["source"], str) and table["source"]
    for cmdlet in _cmdlets():
        assert list(cmdlet) == CMDLET_KEYS, cmdlet["name"]
        for parameter in cmdlet["parameters"]:
            assert list(parameter) == PARAMETER_KEYS, (cmdlet["name"], parameter["name"])


def test_cmdlet_names_are_unique_and_sorted() -> None:
    names = [cmdlet["name"] for cmdlet in _cmdlets()]
    assert len(names) == len(set(names))
    assert names == sorted(names)


def test_parameter_names_are_unique_within_a_cmdlet() -> None:
    for cmdlet in _cmdlets():
        names = [parameter["name"].lower() for parameter in cmdlet["parameters"]]
        assert len(names) == len(set(names)), cmdlet["name"]


def test_every_parameter_type_is_allowed() -> None:
    for cmdlet in _cmdlets():
        for parameter in cmdlet["parameters"]:
            assert parameter["type"] in TYPES, (cmdlet["name"], parameter["name"])


def test_parameter_fields_have_their_shapes() -> None:
    for cmdlet in _cmdlets():
        for parameter in cmdlet["parameters"]:
            where = (cmdlet["name"], parameter["name"])
            position = parameter["position"]
            assert position is None or (isinstance(position, int) and position >= 0), where
            assert parameter["pipeline"] in PIPELINE, where
            assert parameter["aliases"] == [], where
            sets = parameter["sets"]
            assert sets, where
            assert all(isinstance(mandatory, bool) for mandatory in sets.values()), where
            assert ALL_SETS not in sets or len(sets) == 1, where
            values = parameter["values"]
            assert values is None or (values and all(isinstance(v, str) for v in values)), where
            if parameter["windows_only"]:
                assert parameter["dynamic"], where


def test_positions_are_unique_within_each_set() -> None:
    for cmdlet in _cmdlets():
        for name in _sets(cmdlet):
            positions = [
                parameter["position"]
                for parameter in cmdlet["parameters"]
                if parameter["position"] is not None
                and (name in parameter["sets"] or ALL_SETS in parameter["sets"])
            ]
            assert len(positions) == len(set(positions)), (cmdlet["name"], name, positions)


def test_default_set_names_an_existing_set() -> None:
    for cmdlet in _cmdlets():
        default = cmdlet["default_set"]
        explicit = _explicit_sets(cmdlet)
        if default is None:
            # Without a default, PowerShell could not choose among several declared sets.
            assert not explicit, cmdlet["name"]
        else:
            assert explicit, cmdlet["name"]
            assert (
                default in explicit or PARAMETERLESS_DEFAULT_SETS.get(cmdlet["name"]) == default
            ), (cmdlet["name"], default)


def test_confirm_impact_only_with_should_process() -> None:
    for cmdlet in _cmdlets():
        if cmdlet["supports_should_process"]:
            assert cmdlet["confirm_impact"] in ("High", "Medium"), cmdlet["name"]
        else:
            assert cmdlet["confirm_impact"] is None, cmdlet["name"]


def test_kind_and_module_follow_the_cmdlet() -> None:
    for cmdlet in _cmdlets():
        name = cmdlet["name"]
        if name in CONNECTION:
            assert (cmdlet["kind"], cmdlet["module"]) == ("connection", "root"), name
        else:
            assert cmdlet["kind"] == KIND_BY_VERB[name.split("-")[0]], name
            assert cmdlet["module"] == "admin", name


def test_every_write_cmdlet_supports_should_process() -> None:
    writes = [cmdlet for cmdlet in _cmdlets() if cmdlet["kind"] == "write"]
    assert writes
    for cmdlet in writes:
        assert cmdlet["supports_should_process"], cmdlet["name"]


def test_high_impact_cmdlets() -> None:
    high = {cmdlet["name"] for cmdlet in _cmdlets() if cmdlet["confirm_impact"] == "High"}
    assert high == HIGH_IMPACT


def test_no_common_or_on_premises_parameters() -> None:
    for cmdlet in _cmdlets():
        names = {parameter["name"] for parameter in cmdlet["parameters"]}
        assert not names & NEVER_LISTED, cmdlet["name"]


@pytest.mark.parametrize(("cmdlet", "parameter"), ABSENT)
def test_parameter_the_real_cmdlet_lacks(cmdlet: str, parameter: str) -> None:
    table = _by_name()
    assert cmdlet in table
    names = {p["name"].lower() for p in table[cmdlet]["parameters"]}
    assert parameter.lower() not in names

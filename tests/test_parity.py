"""plan and apply.ps1 decide the same preflight: every problem or warning apply.ps1 can raise has its plan code, and back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from journalgen.codes import CODES, Severity
from journalgen.emit import engine_text
from journalgen.plan import CONNECTOR_MUST_NOT
from journalgen.state import OutboundConnector
from tests.conftest import ROOT
from tests.psparse import command_uses


@dataclass(frozen=True)
class Pending:
    """An engine message a state decides but plan does not report yet: a known gap, named."""

    reason: str


@dataclass(frozen=True)
class Undecidable:
    """An engine message no captured state can decide, and why."""

    reason: str


# Each message apply.ps1 raises before it changes anything (found by a fragment only it holds),
# with the plan code that reports the same from a state, or why a state cannot decide it.
ENGINE_TO_PLAN: dict[str, str | Pending | Undecidable] = {
    # Assert-JgTenant, before the preflight.
    "Wrong tenant: this session is connected": "JG410",
    # Test-JgContactRepoint
    "would change that contact's address": "JG427",
    "would re-point that contact to": "JG433",
    # Test-JgPreflight
    "is an accepted domain of this tenant; Exchange Online cannot journal to itself": "JG411",
    "is an Exchange Online mailbox": "JG414",
    "already belongs to a $($holder.RecipientTypeDetails)": "JG412",
    "already belongs to '$($owner.Name)'": "JG413",
    "would exceed the limit of": "JG415",
    "but is not in the spec; check which one Exchange uses": "JG418",
    "also journals to": "JG417",
    # Test-JgRoutingPreflight
    "matches its subdomains, so it covers the journal domain": "JG411",
    "No recipient has the NDR address": "JG420",
    "No recipient in this tenant has the NDR address": "JG421",
    "which drops journal reports when the archive's domain cannot satisfy it": "JG422",
    "routes all mail via on-premises (centralized mail flow)": "JG423",
    # Test-JgAdoptedConnector
    "is in test mode; journal reports may not have reached the archive": "JG419",
    # Test-JgConnectorTakeover
    "already exists and also routes mail for": "JG416",
    "already exists as an OnPremises (hybrid) connector": "JG416",
    "already exists with RouteAllMessagesViaOnPremises set": "JG416",
    # Test-JgRetirePreflight
    "retired contact": "JG425",
    "through retired connector": "JG426",
    "which the spec retires, in": "JG428",
    # Get-JgOne, which every read by identity goes through.
    "objects carrying that name or address": "JG424",
    "Cannot read an object of type": Undecidable(
        "a journalgen bug (an unknown object type), not a tenant state"
    ),
    "Cannot look up a $What by a query": Undecidable(
        "a journalgen bug (an unknown object kind), not a tenant state"
    ),
    # Wait-JgThrottled, which every read by identity goes through.
    "Exchange Online throttled this session": Undecidable(
        "the service's answer to the session's request rate, not a tenant state"
    ),
}
# Plan codes with no apply.ps1 counterpart, each with its reason (none now).
PLAN_ONLY: dict[str, str] = {}
MESSAGE = re.compile(r'(?:\$problems \+= |Write-Warning |throw )"((?:[^"`]|`.)*)"')


def functions(source: str) -> dict[str, str]:
    """Each function of the engine by name, with its body."""
    found = {}
    for match in re.finditer(r"^function ([\w-]+) \{\n", source, re.M):
        end = source.index("\n}\n", match.end())
        found[match.group(1)] = source[match.end() : end]
    return found


def preflight_messages() -> list[tuple[str, Severity]]:
    """Every message raised by the preflight, the tenant guard and what they call, in order."""
    source = engine_text("apply.ps1")
    bodies = functions(source)
    # The roots: every function the run calls up to the preflight's verdict.
    run = source[source.rindex("\ntry {\n") :]
    run = run[: run.index('throw "Preflight found')]
    roots = [name for name in re.findall(r"\b([A-Z][a-z]+-Jg\w+)", run) if name in bodies]
    calls: dict[str, set[str]] = {}
    for use in command_uses(source):
        if use.function is not None:
            calls.setdefault(use.function, set()).add(use.name)
    reached: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo += [c for c in calls.get(name, ()) if c in bodies]
    messages = []
    for name in sorted(reached):
        for match in MESSAGE.finditer(bodies[name]):
            kind = (
                Severity.WARNING if match.group(0).startswith("Write-Warning") else Severity.ERROR
            )
            messages.append((match.group(1), kind))
    return messages


def plan_codes() -> set[str]:
    """The codes live.py (plan's preflight) reports."""
    source = (ROOT / "journalgen" / "live.py").read_text(encoding="utf-8")
    return set(re.findall(r'"(JG4[1-9]\d)"', source))


def test_the_engine_scan_sees_the_preflight() -> None:
    messages = preflight_messages()
    assert len(messages) >= 15
    assert any("Wrong tenant" in text for text, _ in messages)
    assert any("already exists as an OnPremises" in text for text, _ in messages)
    assert any(kind is Severity.WARNING for _, kind in messages)


def test_every_engine_message_has_its_plan_code() -> None:
    for text, kind in preflight_messages():
        keys = [key for key in ENGINE_TO_PLAN if key in text]
        assert len(keys) == 1, f"apply.ps1 raises {text!r}: map it to a plan code in ENGINE_TO_PLAN"
        target = ENGINE_TO_PLAN[keys[0]]
        if isinstance(target, str):
            assert CODES[target].severity is kind, f"{target} and {text!r} differ in severity"


def test_every_table_entry_is_an_engine_message() -> None:
    messages = [text for text, _ in preflight_messages()]
    for key in ENGINE_TO_PLAN:
        assert any(key in text for text in messages), f"apply.ps1 no longer raises {key!r}"


def test_every_plan_code_has_its_engine_message_or_a_reason() -> None:
    mapped = {code for code in ENGINE_TO_PLAN.values() if isinstance(code, str)}
    assert plan_codes() == mapped | set(PLAN_ONLY)
    assert not mapped & set(PLAN_ONLY)


def test_every_setting_apply_refuses_to_adopt_is_in_the_state() -> None:
    aliases = {field.alias for field in OutboundConnector.model_fields.values()}
    assert set(CONNECTOR_MUST_NOT) <= aliases

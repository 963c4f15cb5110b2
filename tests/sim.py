"""Engine scenarios: build a bundle, seed the simulator with a tenant, run a script under pwsh."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journalgen.compiler import Checked, check_source, compile_bundle, plan_for
from journalgen.live import LivePlan, plan_against
from journalgen.plan import Plan

# What changed, compared as apply compares: the rehearsal's own functions, so that scenarios and
# `journalgen rehearse` judge a run the same way (re-exported for the scenarios).
from journalgen.rehearse import changed_settings as changed_settings
from journalgen.rehearse import predicted_changes as predicted_changes
from journalgen.rehearse import settings_of as settings_of
from journalgen.rehearse import untouched as untouched
from journalgen.simulator import Run, run_pwsh, script_command
from journalgen.state import Captured, load_state
from tests.conftest import ROOT

SAMPLES = ROOT / "samples"
STATES = SAMPLES / "states"
MIGRATION = ROOT / "docs" / "migration"

# The state sections that hold journaling objects; an "empty" tenant has none of them.
OBJECT_SECTIONS = ("journal_rules", "outbound_connectors", "mail_contacts")


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def empty_tenant(state: Mapping[str, Any], ndr_address: str) -> dict[str, Any]:
    """The tenant of ``state`` before any journaling: its domains and its other recipients only."""
    tenant = copy.deepcopy(dict(state))
    for section in OBJECT_SECTIONS:
        tenant[section] = []
    tenant["transport_config"] = {"JournalingReportNdrTo": "<>", "JournalMessageExpirationDays": 0}
    tenant["recipients"] = [
        r for r in tenant.get("recipients", []) if r.get("RecipientTypeDetails") != "MailContact"
    ]
    tenant.pop("recipient_lookups", None)
    return with_ndr_holder(tenant, ndr_address)


def with_ndr_holder(state: Mapping[str, Any], ndr_address: str) -> dict[str, Any]:
    """``state`` with a mail user holding the NDR address, unless the state says who holds it.

    The spec's premise (R4) is that someone holds an NDR address in the tenant's domain, and
    apply's preflight refuses one that nobody holds. A state that did not look the address up
    (no ``recipient_lookups``) cannot tell, and ``plan`` leaves the check undecided.
    """
    tenant = copy.deepcopy(dict(state))
    recipients = list(tenant.get("recipients", []))
    contacts = tenant.get("mail_contacts", [])
    held = {
        a.lower().removeprefix("smtp:")
        for r in [*recipients, *contacts]
        for a in [*r.get("EmailAddresses", []), r.get("ExternalEmailAddress") or ""]
    }
    looked_up = {a.lower() for a in tenant.get("recipient_lookups", [])}
    domain = ndr_address.rsplit("@", 1)[-1].lower()
    ours = {d["DomainName"].lower() for d in tenant["accepted_domains"]}
    address = ndr_address.lower()
    if domain in ours and address not in held and address not in looked_up:
        recipients.append(
            {
                "Name": "Journal NDR",
                "RecipientTypeDetails": "MailUser",
                "EmailAddresses": [f"SMTP:{ndr_address}"],
            }
        )
    tenant["recipients"] = recipients
    return tenant


def baseline(
    organization: str = "contoso.onmicrosoft.com", primary: str = "contoso.com"
) -> dict[str, Any]:
    """The review's baseline tenant: two accepted domains and a mail user holding the NDR address."""
    return {
        "format": "journalgen-state/1",
        "captured_at": "2026-11-27T10:00:00Z",
        "organization": organization,
        "accepted_domains": [
            {
                "DomainName": primary,
                "Default": True,
                "DomainType": "Authoritative",
                "MatchSubDomains": False,
            },
            {
                "DomainName": organization,
                "Default": False,
                "DomainType": "Authoritative",
                "MatchSubDomains": False,
            },
        ],
        "transport_config": {"JournalingReportNdrTo": "<>", "JournalMessageExpirationDays": 0},
        "journal_rules": [],
        "outbound_connectors": [],
        "mail_contacts": [],
        "recipients": [
            {
                "Name": "Journal NDR",
                "RecipientTypeDetails": "MailUser",
                "EmailAddresses": [f"SMTP:journal-ndr@{primary}"],
            }
        ],
    }


@dataclass
class Bundle:
    """A built bundle in a folder, with the plan it was built from."""

    folder: Path
    checked: Checked
    plan: Plan

    def script(self, name: str) -> Path:
        return self.folder / name


def build(spec: Path | str, folder: Path, *, name: str | None = None) -> Bundle:
    """Compile one spec (a path, or YAML text) into ``folder``."""
    if isinstance(spec, Path):
        source, file = spec.read_bytes(), spec.name
    else:
        source, file = spec.encode("utf-8"), name or "spec.yaml"
    checked = check_source(source, file)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, data in compile_bundle(checked).items():
        (folder / filename).write_bytes(data)
    return Bundle(folder, checked, plan_for(checked))


@dataclass
class Tenant:
    """A simulated tenant in a folder: its state file, call log, options and faults."""

    folder: Path
    pwsh: str
    options: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    runs: int = 0

    @property
    def state_path(self) -> Path:
        return self.folder / "tenant.json"

    def seed(self, state: Mapping[str, Any]) -> None:
        self.state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")

    @property
    def state(self) -> dict[str, Any]:
        return load_json(self.state_path)

    def captured(self) -> Captured:
        """The tenant as journalgen's own loader reads it (so the simulator writes valid states)."""
        return load_state(self.state_path.read_bytes(), "tenant.json")

    def run(
        self,
        script: Path,
        *arguments: str,
        connect_first: bool = False,
        stdin: str | None = None,
        cwd: Path | None = None,
        faults: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        location: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Run:
        """Run ``script`` with ``arguments`` (PowerShell text) against this tenant.

        ``location`` is PowerShell's current location for the run, which (unlike ``cwd``, the
        process folder) is what an operator's relative paths are relative to.
        """
        self.runs += 1
        log = self.folder / f"run{self.runs}.jsonl"
        command = script_command(script, arguments, connect_first=connect_first)
        if location is not None:
            quoted = "'" + str(location).replace("'", "''") + "'"
            command = f"Set-Location -LiteralPath {quoted}\n{command}"
        pwsh_args: list[str] = ["-Command", command]
        return run_pwsh(
            self.pwsh,
            pwsh_args,
            state=self.state_path,
            log=log,
            faults=dict(faults if faults is not None else self.faults),
            options=dict(options if options is not None else self.options),
            cwd=cwd or self.folder,
            stdin=stdin,
            extra_env=env,
        )


def admin_writes(run: Run) -> list[dict[str, Any]]:
    """The admin write cmdlets that ran for real (not -WhatIf, not declined), changed or not."""
    return [
        c
        for c in run.calls
        if c.get("kind") == "write" and c.get("outcome") not in ("whatif", "declined")
    ]


def write_summary(run: Run) -> list[str]:
    return [
        f"{c['cmdlet']} {c['parameters'].get('Identity') or c['parameters'].get('Name') or ''}".strip()
        for c in admin_writes(run)
    ]


def live_plan(bundle: Bundle, state: Mapping[str, Any], folder: Path) -> LivePlan:
    """journalgen plan's answer for ``bundle`` against ``state``."""
    path = folder / "plan-state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    captured = load_state(path.read_bytes(), "plan-state.json")
    return plan_against(bundle.plan, captured)


def spec_arguments(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(values)

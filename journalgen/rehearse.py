"""A rehearsal: a bundle's own scripts run under PowerShell against the simulator seeded with a captured tenant, and its report."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from journalgen.diagnostics import Diagnostic, Severity
from journalgen.live import LivePlan
from journalgen.plan import COMPARE, Plan, diff, normalise
from journalgen.simulator import Run, run_pwsh, script_command
from journalgen.textshow import quoted

if TYPE_CHECKING:
    from journalgen.compiler import Checked
    from journalgen.state import Captured

REHEARSAL_FORMAT = "journalgen-rehearsal/1"
# Where the rehearsal's temporary folder appears in what the scripts print: reports name no paths.
FOLDER = "<rehearsal>"
# The exit code run_pwsh's prelude gives when the module that answered is not the simulator.
NOT_THE_SIMULATOR = 97
OBJECT_SECTIONS = {
    "MailContact": "mail_contacts",
    "OutboundConnector": "outbound_connectors",
    "JournalRule": "journal_rules",
}
# Parameters of a write call that say how it runs, not what it changes.
_HOW = frozenset({"Confirm", "ErrorAction", "WhatIf", "Force", "Identity", "Name"})
_STATE_FILE = "tenant.json"
_VERSION_FILE = "powershell-version.txt"


@dataclass(frozen=True, slots=True)
class Write:
    """One write call apply made, with each setting's value before and after it."""

    cmdlet: str
    identity: str | None
    changes: tuple[tuple[str, object, object], ...]
    outcome: str
    error: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One script run of the rehearsal: what the operator would have seen, and the tenant after it."""

    name: str
    command: str
    exit_code: int | None
    writes: tuple[Write, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    state: Mapping[str, Any] | None = None

    @property
    def ran(self) -> bool:
        return self.exit_code is not None


@dataclass(frozen=True, slots=True)
class Check:
    """One thing the rehearsal checks, and each way it did not hold."""

    name: str
    question: str
    passed: bool
    problems: tuple[str, ...] = ()


@dataclass
class Rehearsal:
    """What a rehearsal did and found."""

    spec_name: str
    spec_sha256: str
    engine_sha256: str
    state: Mapping[str, str]
    shell: str
    powershell: str | None
    faults: Mapping[str, Any]
    plan: LivePlan
    assumptions: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    stopped_in_preflight: bool = False
    preflight_printed: list[str] = field(default_factory=list)
    not_simulator: bool = False
    fault_seen: str | None = None

    @property
    def preflight(self) -> list[Diagnostic]:
        """The errors ``plan`` reports that stop apply.ps1 in its preflight."""
        return [p for p in self.plan.problems if p.is_error]

    @property
    def ok(self) -> bool:
        """Whether everything the rehearsal checks holds (exit 0)."""
        if self.not_simulator or self.stopped_in_preflight:
            return False
        return all(check.passed for check in self.checks)


KINDS = {
    "MailContact": "Mail contact",
    "OutboundConnector": "Outbound connector",
    "TransportConfig": "Undeliverable journal reports (NDR)",
    "JournalRule": "Journal rule",
}


def show(value: object) -> str:
    """Any value from a spec, a tenant or a script, as a report shows it: quoted, nothing hidden.

    The one way a value reaches a report's text, so none can hide characters or pose as text.
    """
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value) if value else "(none)"
    return quoted(json.dumps(value, sort_keys=True, ensure_ascii=False))


def label(kind: str, identity: str | None) -> str:
    """An object as the report names it: ``Outbound connector 'Microsoft 365 to Mimecast'``."""
    if kind == "TransportConfig" or identity is None:
        return KINDS.get(kind, kind)
    return f"{KINDS.get(kind, kind)} {show(identity)}"


# --- the tenant ------------------------------------------------------------------------------


def seed_state(state: Mapping[str, Any], ndr_address: str) -> tuple[dict[str, Any], list[str]]:
    """The tenant to seed the simulator with, and the assumptions made to fill what the state omits.

    apply.ps1's preflight refuses an NDR address in the tenant's domain that nobody holds. A
    state that did not look the address up (no ``recipient_lookups``) cannot tell, and ``plan``
    leaves that undecided; the simulator knows every recipient, so the rehearsal gives the
    address to a mail user and says so.
    """
    tenant = copy.deepcopy(dict(state))
    recipients = list(tenant.get("recipients") or [])
    contacts = tenant.get("mail_contacts") or []
    held = {
        str(a).lower().removeprefix("smtp:")
        for r in [*recipients, *contacts]
        for a in [*(r.get("EmailAddresses") or []), r.get("ExternalEmailAddress") or ""]
    }
    looked_up = {str(a).lower() for a in tenant.get("recipient_lookups") or []}
    domain = ndr_address.rsplit("@", 1)[-1].lower()
    ours = {str(d.get("DomainName", "")).lower() for d in tenant.get("accepted_domains") or []}
    address = ndr_address.lower()
    assumptions: list[str] = []
    if domain in ours and address not in held and address not in looked_up:
        recipients.append(
            {
                "Name": "Journal NDR",
                "RecipientTypeDetails": "MailUser",
                "EmailAddresses": [f"SMTP:{ndr_address}"],
            }
        )
        assumptions.append(
            f"the state does not say who holds the NDR address {show(ndr_address)} (plan leaves it "
            "undecided): the rehearsal gave it to a mail user"
        )
    tenant["recipients"] = recipients
    return tenant, assumptions


def _items(state: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        str(item.get("Name", "")).casefold(): item
        for item in state.get(OBJECT_SECTIONS[kind]) or []
    }


def settings_of(state: Mapping[str, Any], kind: str, identity: str) -> dict[str, Any] | None:
    """An object's properties in a state file, by Exchange's names, or ``None`` when absent."""
    if kind == "TransportConfig":
        return dict(state.get("transport_config") or {})
    return _items(state, kind).get(identity.casefold())


def _differs(key: str, old: object, new: object) -> bool:
    kind = COMPARE.get(key, "text")
    return normalise(kind, old) != normalise(kind, new)


def _name(item: Mapping[str, Any]) -> str:
    return str(item.get("Name", ""))


# --- what the scripts did --------------------------------------------------------------------


def _identity(call: Mapping[str, Any]) -> str | None:
    parameters = call.get("parameters") or {}
    found = parameters.get("Identity") or parameters.get("Name")
    return None if found is None else str(found)


def _kind(cmdlet: str) -> str:
    return cmdlet.split("-", 1)[-1]


def real_writes(run: Run) -> list[dict[str, Any]]:
    """The admin write calls that ran for real (not -WhatIf, not declined), changed or not."""
    return [
        c
        for c in run.calls
        if c.get("kind") == "write" and c.get("outcome") not in ("whatif", "declined")
    ]


def _error_text(call: Mapping[str, Any]) -> str:
    # The simulator's messages are Exchange's: "<code>|<exception type>|<text>".
    return str(call.get("message") or "").rsplit("|", 1)[-1]


def writes_of(run: Run, before: Mapping[str, Any]) -> list[Write]:
    """Each write apply made, with the old value of each setting it set, replayed from ``before``."""
    view = copy.deepcopy(dict(before))
    found: list[Write] = []
    for call in real_writes(run):
        cmdlet = str(call["cmdlet"])
        verb, kind = cmdlet.split("-", 1)
        identity = _identity(call)
        parameters = {k: v for k, v in (call.get("parameters") or {}).items() if k not in _HOW}
        current: dict[str, Any] | None
        if kind == "TransportConfig":
            view.setdefault("transport_config", {})
            current = view["transport_config"]
        elif kind in OBJECT_SECTIONS and identity is not None:
            current = settings_of(view, kind, identity)
        else:
            current = None
        if verb in ("Enable", "Disable"):
            parameters = {"Enabled": verb == "Enable"}
        old = current or {}
        changes: tuple[tuple[str, object, object], ...]
        if verb == "Remove":
            changes = ()
        elif verb == "New":
            changes = tuple((k, None, v) for k, v in parameters.items())
        else:
            changes = tuple((k, old.get(k), v) for k, v in parameters.items())
        ok = call.get("outcome") == "ok"
        if ok and kind in OBJECT_SECTIONS and identity is not None:
            section = view.setdefault(OBJECT_SECTIONS[kind], [])
            if verb == "New":
                section.append({"Name": identity, **parameters})
            elif verb == "Remove":
                view[OBJECT_SECTIONS[kind]] = [
                    o for o in section if str(o.get("Name", "")).casefold() != identity.casefold()
                ]
            elif current is not None:
                current.update(parameters)
        elif ok and current is not None:
            current.update(parameters)
        found.append(
            Write(
                cmdlet,
                None if kind == "TransportConfig" else identity,
                changes,
                "ok" if ok else "error",
                None if ok else str(call.get("error") or "error"),
                None if ok else _error_text(call),
            )
        )
    return found


# The header of the results table the scripts print (Format-Table): its columns say where a
# row's Result starts.
_TABLE_HEADER = re.compile(r"^Step\s+Result\s+Details\s*$")


def _printed(run: Run, folder: Path) -> tuple[list[str], list[str], list[str]]:
    """The warnings, errors and failed result rows a run printed, with the folder's path hidden."""
    warnings: list[str] = []
    errors: list[str] = []
    failed: list[str] = []
    places = sorted({str(folder), str(folder.resolve())}, key=len, reverse=True)

    def plain(line: str) -> str:
        for place in places:
            line = line.replace(place, FOLDER)
        return line.strip()

    result_column = None
    for line in run.stdout.splitlines():
        if line.startswith("WARNING: "):
            warnings.append(plain(line.removeprefix("WARNING: ")))
        elif line.startswith("ERROR: "):
            errors.append(plain(line.removeprefix("ERROR: ")))
        elif _TABLE_HEADER.match(line):
            result_column = line.index("Result")
        elif result_column and line[result_column:].startswith("Failed "):
            failed.append(plain(line[:result_column]))
    errors += [plain(line) for line in run.stderr.splitlines() if line.strip()]
    return warnings, errors, failed


# --- the run ---------------------------------------------------------------------------------


@dataclass
class _Runner:
    """Runs the bundle's scripts one after the other against one simulated tenant in ``folder``."""

    pwsh: str
    bundle: Path
    folder: Path
    runs: int = 0

    @property
    def state_path(self) -> Path:
        return self.folder / _STATE_FILE

    def tenant(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8-sig"))
        return data

    def run(
        self, script: str, arguments: Sequence[str], faults: Mapping[str, Any] | None = None
    ) -> Run:
        self.runs += 1
        command = script_command(self.bundle / script, arguments)
        location = _literal(str(self.folder))
        # The backup apply writes, and every relative path, lands in the rehearsal's folder.
        prefix = f"Set-Location -LiteralPath {location}\n"
        if self.runs == 1:
            version = _literal(str(self.folder / _VERSION_FILE))
            prefix += (
                f"[System.IO.File]::WriteAllText({version}, "
                '"$($PSVersionTable.PSEdition) $($PSVersionTable.PSVersion)")\n'
            )
        return run_pwsh(
            self.pwsh,
            ["-Command", prefix + command],
            state=self.state_path,
            log=self.folder / f"run{self.runs}.jsonl",
            faults=faults,
            cwd=self.folder,
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _not_simulator(run: Run) -> bool:
    # The prelude refuses another module (exit 97); a sign-in the simulator did not log means the
    # same, since only the simulator writes the call log.
    if run.exit_code == NOT_THE_SIMULATOR:
        return True
    return not any(c.get("cmdlet") == "Connect-ExchangeOnline" for c in run.calls)


def _step(name: str, command: str, run: Run, runner: _Runner, before: Mapping[str, Any]) -> Step:
    warnings, errors, failed = _printed(run, runner.folder)
    return Step(
        name,
        command,
        run.exit_code,
        tuple(writes_of(run, before)),
        tuple(warnings),
        tuple(errors),
        tuple(failed),
        run.state,
    )


def _object(write: Write) -> str:
    return label(_kind(write.cmdlet), write.identity)


def matches_plan(
    plan: Plan, predicted: LivePlan, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[str]:
    """Every way the tenant after apply differs from what ``plan`` predicted, setting by setting."""
    problems: list[str] = []
    for resource in plan.resources:
        current = settings_of(after, resource.type, resource.identity)
        changes = diff(resource, current)
        if changes is None:
            problems.append(
                f"{label(resource.type, resource.identity)} is missing; plan predicted it there"
            )
            continue
        problems += [
            f"{label(resource.type, resource.identity)}: {c.name} is {show(c.old)}; plan predicted {show(c.new)}"
            for c in changes
        ]
    for item in plan.retired:
        if settings_of(after, item.type, item.identity) is not None:
            problems.append(
                f"{label(item.type, item.identity)} is still there; plan predicted its removal"
            )
    actual = changed_settings(before, after, plan)
    expected = predicted_changes(predicted)
    for key in sorted(actual.keys() | expected.keys()):
        got, wanted = actual.get(key, set()), expected.get(key, set())
        title = label(*key)
        if got == wanted:
            continue
        if isinstance(got, str) or isinstance(wanted, str):
            shown_got = got if isinstance(got, str) else "updated" if got else "left alone"
            shown_wanted = wanted if isinstance(wanted, str) else "updated" if wanted else "none"
            problems.append(f"{title} was {shown_got}; plan predicted {shown_wanted}")
            continue
        for name in sorted(got - wanted):
            problems.append(f"{title}: apply changed {name}, which plan did not predict")
        for name in sorted(wanted - got):
            problems.append(f"{title}: plan predicted a change to {name} that apply did not make")
    problems += untouched(before, after, plan)
    return problems


def changed_settings(
    before: Mapping[str, Any], after: Mapping[str, Any], plan: Plan
) -> dict[tuple[str, str], set[str] | str]:
    """What changed between two states, for the plan's objects, compared as apply compares.

    A value per (type, identity): "created", "removed", or the set of settings that changed.
    """
    result: dict[tuple[str, str], set[str] | str] = {}
    for resource in plan.resources:
        old = settings_of(before, resource.type, resource.identity)
        new = settings_of(after, resource.type, resource.identity)
        key = (resource.type, resource.identity)
        if old is None and new is not None:
            result[key] = "created"
        elif old is not None and new is None:
            result[key] = "removed"
        elif old is not None and new is not None:
            names = {
                s.name
                for s in resource.settings
                if _differs(s.name, old.get(s.name), new.get(s.name))
            }
            if names:
                result[key] = names
    for item in plan.retired:
        old = settings_of(before, item.type, item.identity)
        new = settings_of(after, item.type, item.identity)
        if old is not None and new is None:
            result[(item.type, item.identity)] = "removed"
    return result


def predicted_changes(live: LivePlan) -> dict[tuple[str, str], set[str] | str]:
    """What ``journalgen plan`` says apply changes, in the form of :func:`changed_settings`."""
    result: dict[tuple[str, str], set[str] | str] = {}
    for step in live.steps:
        key = (step.type, step.identity)
        if step.action in ("create", "remove"):
            result[key] = "created" if step.action == "create" else "removed"
        elif step.action == "update":
            result[key] = {c.name for c in step.changes}
    return result


def untouched(before: Mapping[str, Any], after: Mapping[str, Any], plan: Plan) -> list[str]:
    """Objects outside the spec whose recorded settings changed: apply must leave them alone."""
    managed = {(r.type, r.identity.casefold()) for r in plan.resources}
    managed |= {(r.type, r.identity.casefold()) for r in plan.retired}
    moved: list[str] = []
    for kind in OBJECT_SECTIONS:
        old_items, new_items = _items(before, kind), _items(after, kind)
        for name, old in old_items.items():
            if (kind, name) in managed:
                continue
            new = new_items.get(name)
            if new is None:
                moved.append(f"{label(kind, _name(old))} (not in the spec) was removed")
                continue
            for key, value in old.items():
                if key != "Guid" and key in new and _differs(key, value, new[key]):
                    moved.append(f"{label(kind, _name(old))} (not in the spec): {key} changed")
    return moved


def _restored(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for kind in OBJECT_SECTIONS:
        old, new = _items(before, kind), _items(after, kind)
        found += [
            f"{label(kind, _name(old[n]))} is missing" for n in sorted(old.keys() - new.keys())
        ]
        found += [f"{label(kind, _name(new[n]))} was left" for n in sorted(new.keys() - old.keys())]
        for n in sorted(old.keys() & new.keys()):
            for key, value in old[n].items():
                got = new[n].get(key)
                if key != "Guid" and _differs(key, value, got):
                    found.append(
                        f"{label(kind, _name(old[n]))}: {key} is {show(got)}, was {show(value)}"
                    )
    old_config = before.get("transport_config") or {}
    new_config = after.get("transport_config") or {}
    for key, value in old_config.items():
        if key == "JournalingReportNdrTo" and normalise("address", value) is None:
            continue
        got = new_config.get(key)
        if _differs(key, value, got):
            found.append(
                f"{label('TransportConfig', None)}: {key} is {show(got)}, was {show(value)}"
            )
    return found


@dataclass(frozen=True, slots=True)
class Request:
    """What to rehearse: the bundle's folder, its plan, the seeded tenant, and the faults."""

    bundle: Path
    plan: Plan
    predicted: LivePlan
    tenant: Mapping[str, Any]
    faults: Mapping[str, Any]


def rehearse(request: Request, rehearsal: Rehearsal, pwsh: str, folder: Path) -> Rehearsal:
    """Run apply -WhatIf, apply, verify, apply again and rollback in ``folder``, filling ``rehearsal``."""
    runner = _Runner(pwsh, request.bundle, folder)
    before = dict(request.tenant)
    runner.state_path.write_text(json.dumps(before, indent=2), encoding="utf-8")
    plan, predicted = request.plan, request.predicted
    checks = rehearsal.checks

    def go(
        name: str, script: str, arguments: Sequence[str], faults: Mapping[str, Any] | None = None
    ) -> tuple[Step, Run] | None:
        start = runner.tenant()
        run = runner.run(script, arguments, faults)
        shown = " ".join([script, *arguments]).replace(str(folder), FOLDER)
        step = _step(name, shown, run, runner, start)
        rehearsal.steps.append(step)
        if _not_simulator(run):
            rehearsal.not_simulator = True
            return None
        return step, run

    first = go("apply -WhatIf", "apply.ps1", ["-WhatIf"])
    version = folder / _VERSION_FILE
    if version.exists():
        rehearsal.powershell = version.read_text(encoding="utf-8-sig").strip()
    if first is None:
        return rehearsal
    what_if = first[0]
    moved = _restored(before, runner.tenant())
    expected_exit = 1 if predicted.has_errors else 0
    problems = [f"{w.cmdlet} {_object(w)} ran for real" for w in what_if.writes] + [
        f"the tenant changed: {m}" for m in moved
    ]
    if what_if.exit_code != expected_exit:
        problems.append(f"apply.ps1 -WhatIf exited {what_if.exit_code}, not {expected_exit}")
    checks.append(Check("what-if", "apply -WhatIf changed nothing", not problems, tuple(problems)))

    second = go("apply", "apply.ps1", ["-Confirm:$false"], request.faults)
    if second is None:
        return rehearsal
    applied, applied_run = second
    after_apply = runner.tenant()
    preflight = "Preflight found" in applied_run.output and not applied.writes
    if preflight or predicted.has_errors:
        rehearsal.stopped_in_preflight = preflight
        rehearsal.preflight_printed = [
            w.removeprefix("Preflight: ") for w in applied.warnings if w.startswith("Preflight: ")
        ]
        problems = []
        if preflight and not predicted.has_errors:
            problems.append("apply.ps1 stopped in its preflight, which plan did not predict")
        if predicted.has_errors and not preflight:
            problems.append(
                f"plan predicted a preflight stop; apply.ps1 exited {applied.exit_code} and made "
                f"{len(applied.writes)} write(s)"
            )
        problems += [f"the tenant changed: {m}" for m in _restored(before, after_apply)]
        checks.append(
            Check(
                "preflight",
                "apply stopped in its preflight as plan predicted",
                not problems,
                tuple(problems),
            )
        )
        return rehearsal

    failed_writes = [w for w in applied.writes if w.outcome == "error"]
    completed = applied.exit_code == 0
    if request.faults:
        fault = _fault_problem(request.faults, applied_run, applied.writes)
        if fault is None and failed_writes:
            last = failed_writes[-1]
            rehearsal.fault_seen = (
                f"{_object(last)}: {last.cmdlet} failed with {last.error}: {show(last.message)}"
            )
        checks.append(
            Check(
                "fault",
                "the fault asked for happened, and apply stopped naming the step or retried",
                fault is None,
                () if fault is None else (fault,),
            )
        )
    elif not completed:
        problems = [
            f"{_object(w)}: {w.cmdlet} failed with {w.error}: {show(w.message)}"
            for w in failed_writes
        ] or [f"apply.ps1 exited {applied.exit_code}"]
        checks.append(Check("apply", "apply completed", False, tuple(problems)))

    if completed:
        checks.append(_plan_check(matches_plan(plan, predicted, before, after_apply)))
        verified = go("verify", "verify.ps1", [])
        if verified is None:
            return rehearsal
        checks.append(_verify_check(verified[0]))
        again = go("apply again", "apply.ps1", ["-Confirm:$false"])
        if again is None:
            return rehearsal
        checks.append(_again_check(again[0], "the second apply wrote nothing", written=False))
    elif request.faults:
        # The operator reruns apply after a failure: it must complete what the first left.
        again = go("apply again", "apply.ps1", ["-Confirm:$false"])
        if again is None:
            return rehearsal
        checks.append(_again_check(again[0], "apply run again completed", written=True))
        if again[0].exit_code == 0:
            checks.append(_plan_check(matches_plan(plan, predicted, before, runner.tenant())))
            verified = go("verify", "verify.ps1", [])
            if verified is None:
                return rehearsal
            checks.append(_verify_check(verified[0]))

    backup = folder / plan.backup_name
    if not backup.exists():
        checks.append(
            Check(
                "rollback",
                "rollback gave back the tenant as captured",
                False,
                ("apply wrote no backup: nothing to roll back with",),
            )
        )
        return rehearsal
    arguments = ["-BackupPath", _literal(str(backup)), "-Confirm:$false"]
    rolled = go("rollback", "rollback.ps1", arguments)
    if rolled is None:
        return rehearsal
    problems = [] if rolled[0].exit_code == 0 else [f"rollback.ps1 exited {rolled[0].exit_code}"]
    problems += _restored(before, runner.tenant())
    checks.append(
        Check(
            "rollback", "rollback gave back the tenant as captured", not problems, tuple(problems)
        )
    )
    return rehearsal


def _plan_check(problems: Sequence[str]) -> Check:
    return Check(
        "plan", "the tenant after apply is what plan predicted", not problems, tuple(problems)
    )


def _verify_check(step: Step) -> Check:
    problems = () if step.exit_code == 0 else (f"verify.ps1 exited {step.exit_code}",)
    return Check("verify", "verify passed", not problems, problems)


def _again_check(step: Step, question: str, *, written: bool) -> Check:
    problems: list[str] = []
    if step.exit_code != 0:
        problems.append(f"apply.ps1 exited {step.exit_code}")
    if not written:
        problems += [
            f"{w.cmdlet} {_object(w)}" + ("" if w.outcome == "ok" else f" ({w.error})")
            for w in step.writes
        ]
    name = "rerun" if written else "idempotent"
    return Check(name, question, not problems, tuple(problems))


def _fault_problem(faults: Mapping[str, Any], run: Run, writes: Sequence[Write]) -> str | None:
    """Why the fault asked for did not happen as designed, or ``None`` when it did."""
    if "fail_write" in faults:
        k = int(faults["fail_write"])
        if len(writes) < k:
            return f"apply made {len(writes)} write(s): no {k}th write to fail"
        if writes[k - 1].outcome != "error":
            return f"write {k} did not fail"
        if run.exit_code == 0:
            return "apply.ps1 exited 0 after a write failed"
        return None
    throttled = [c for c in run.calls if "Throttl" in str(c.get("error"))]
    if not throttled:
        return f"apply made fewer than {faults['throttle']['at']} call(s): nothing was throttled"
    if run.exit_code not in (0, 1):
        return f"apply.ps1 exited {run.exit_code}"
    return None


# --- the report: text for the change board, and the journalgen-rehearsal/1 JSON document ------


NOT_EXCHANGE = (
    "The simulator is journalgen's model of Exchange Online, not Exchange Online: what it has "
    "not had confirmed in a tenant is listed in docs/rehearse.md."
)


def result(rehearsal: Rehearsal) -> str:
    """One word for the outcome: passed, problems, preflight or not-simulator."""
    if rehearsal.not_simulator:
        return "not-simulator"
    if rehearsal.stopped_in_preflight:
        return "preflight"
    return "passed" if rehearsal.ok else "problems"


def _write_line(write: Write) -> str:
    head = write.cmdlet if write.identity is None else f"{write.cmdlet} {show(write.identity)}"
    if write.outcome != "ok":
        return f"{head}: FAILED with {write.error}: {show(write.message)}"
    if write.cmdlet.startswith("New-"):
        parts = [f"{name} {show(new)}" for name, _, new in write.changes]
    else:
        parts = [f"{name} {show(old)} -> {show(new)}" for name, old, new in write.changes]
    return f"{head}: {'; '.join(parts)}" if parts else head


def _step_lines(number: int, step: Step) -> list[str]:
    writes = f", {len(step.writes)} write(s)" if step.writes else ""
    lines = [f"{number}. {step.name} ({show(step.command)}): exit {step.exit_code}{writes}"]
    lines += [f"     {_write_line(w)}" for w in step.writes]
    lines += [f"     failed step: {show(title)}" for title in step.failed]
    lines += [f"     warning: {show(w)}" for w in step.warnings]
    lines += [f"     error: {show(e)}" for e in step.errors]
    return lines


def _check_lines(check: Check) -> list[str]:
    mark = "PASS" if check.passed else "FAIL"
    return [f"  {mark:<7} {check.question}", *(f"            {p}" for p in check.problems)]


def text(rehearsal: Rehearsal, diagnostics: Sequence[Diagnostic] = ()) -> str:
    """The rehearsal for people: each step, every write apply made, each check, the result."""
    r = rehearsal
    lines = [
        f"Rehearsal of {show(r.spec_name)} against {show(r.state['organization'])} as captured "
        f"at {show(r.state['captured_at'])}",
        f"State: {show(r.state['file'])} (SHA-256 {r.state['sha256']})",
        f"Spec SHA-256 {r.spec_sha256}; engine SHA-256 {r.engine_sha256}",
        f"PowerShell: {show(r.powershell)} ({r.shell})",
        NOT_EXCHANGE,
    ]
    if r.faults:
        lines.append(f"Faults: {show(dict(r.faults))} on the first apply")
    lines += [f"Assumed: {a}" for a in r.assumptions]
    lines.append("")
    for number, step in enumerate(r.steps, 1):
        lines += _step_lines(number, step)
    if r.preflight or r.stopped_in_preflight:
        lines += ["", "Preflight problems plan reports:"]
        lines += [f"  {show(str(d))}" for d in r.preflight] or ["  (none)"]
        lines.append("Preflight problems apply.ps1 printed:")
        lines += [f"  {show(p)}" for p in r.preflight_printed] or ["  (none)"]
    if r.fault_seen:
        lines += ["", f"The operator saw: {r.fault_seen}"]
    lines += ["", "Checks:"]
    for check in r.checks:
        lines += _check_lines(check)
    lines += ["", summary(r, diagnostics)]
    return "\n".join(lines) + "\n"


def summary(rehearsal: Rehearsal, diagnostics: Sequence[Diagnostic] = ()) -> str:
    """The last line: the result, and what the exit code says."""
    found = result(rehearsal)
    if found == "not-simulator":
        return (
            "Result: the ExchangeOnlineManagement module that answered is not journalgen's "
            "simulator; no result of this rehearsal can be trusted (exit 1)."
        )
    if found == "preflight":
        return (
            "Result: apply.ps1 stops in its preflight and changes nothing; fix the problems "
            "above and rehearse again (exit 1)."
        )
    if found == "problems":
        failed = sum(not c.passed for c in rehearsal.checks)
        return f"Result: the rehearsal found a problem in {failed} check(s) (exit 1)."
    if any(d.is_error for d in diagnostics):
        return "Result: every check passed, but the spec or state has errors (exit 1)."
    return "Result: every check passed (exit 0)."


def _write(write: Write) -> dict[str, Any]:
    return {
        "cmdlet": write.cmdlet,
        "identity": write.identity,
        "outcome": write.outcome,
        "error": write.error,
        "message": write.message,
        "changes": [{"setting": n, "before": old, "after": new} for n, old, new in write.changes],
    }


def as_json(rehearsal: Rehearsal, diagnostics: Sequence[Diagnostic] = ()) -> str:
    """The rehearsal for machines; its shape is documented in docs/rehearse.md."""
    r = rehearsal
    payload = {
        "format": REHEARSAL_FORMAT,
        "spec": r.spec_name,
        "spec_sha256": r.spec_sha256,
        "engine_sha256": r.engine_sha256,
        "state": dict(r.state),
        "shell": r.shell,
        "powershell": r.powershell,
        "faults": dict(r.faults),
        "assumptions": list(r.assumptions),
        "result": result(r),
        "passed": result(r) == "passed" and not any(d.is_error for d in diagnostics),
        "steps": [
            {
                "name": step.name,
                "command": step.command,
                "exit_code": step.exit_code,
                "writes": [_write(w) for w in step.writes],
                "failed_steps": list(step.failed),
                "warnings": list(step.warnings),
                "errors": list(step.errors),
                "tenant": step.state,
            }
            for step in r.steps
        ],
        "preflight": {
            "stopped": r.stopped_in_preflight,
            "plan": [d.as_dict() for d in r.preflight],
            "printed": list(r.preflight_printed),
        },
        "fault_seen": r.fault_seen,
        "checks": [
            {
                "name": c.name,
                "question": c.question,
                "passed": c.passed,
                "problems": list(c.problems),
            }
            for c in r.checks
        ],
        "errors": sum(d.severity is Severity.ERROR for d in diagnostics),
        "warnings": sum(d.severity is Severity.WARNING for d in diagnostics),
        "diagnostics": [d.as_dict() for d in diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=True) + "\n"


# --- build --rehearse: the rehearsal as manifest.json records it and CHANGE.md shows it --------


# The [U] items: where only a tenant can tell how Exchange Online behaves, the simulator's
# default is the answer observed in practice (docs/rehearse.md lists the same questions).
UNCONFIRMED: tuple[tuple[str, str], ...] = (
    ("Get-* -Identity naming nothing", "the not-found error of v3, not every object"),
    (
        "Get-OutboundConnector -IncludeTestModeConnectors $true / -IsTransportRuleScoped $true",
        "only those connectors, as documented",
    ),
    ("whether those filters apply with -Identity", "they do not"),
    ("-TlsDomain $null, -SmartHosts $null, -Recipient $null", "they clear the setting"),
    ("the form of a rule's JournalEmailAddress", "the address, not the recipient's name"),
    ("clearing the NDR address with no rule left", "allowed"),
    ("removing a mail contact a journal rule targets", "allowed"),
    ("the tenant's journal rule limit", "50"),
    ("the ExchangeOnlineManagement version", "3.9.2"),
    ("the tenant's language", "English"),
    ("the admin's roles", "every cmdlet and parameter the scripts use"),
)


@dataclass(frozen=True, slots=True)
class RecordedStep:
    """One step of a recorded rehearsal: its command, exit code, and what it wrote and printed."""

    name: str
    command: str
    exit_code: int | None
    writes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """A rehearsal as manifest.json records it (``rehearsal``) and CHANGE.md's Rehearsal section
    shows it: every value of the section is here, so ``check`` renders the section from it again.
    """

    shell: str
    powershell: str | None
    engine_sha256: str
    spec_sha256: str
    state: Mapping[str, str]
    result: str
    assumptions: tuple[str, ...]
    steps: tuple[RecordedStep, ...]
    checks: tuple[Check, ...]

    @classmethod
    def of(cls, rehearsal: Rehearsal) -> Record:
        """What a finished rehearsal leaves for the bundle."""
        return cls(
            rehearsal.shell,
            rehearsal.powershell,
            rehearsal.engine_sha256,
            rehearsal.spec_sha256,
            {key: str(value) for key, value in rehearsal.state.items()},
            result(rehearsal),
            tuple(rehearsal.assumptions),
            tuple(
                RecordedStep(
                    s.name,
                    s.command,
                    s.exit_code,
                    tuple(_write_line(w) for w in s.writes),
                    s.warnings,
                    s.errors,
                )
                for s in rehearsal.steps
            ),
            tuple(rehearsal.checks),
        )

    @property
    def passed(self) -> bool:
        return self.result == "passed"

    def check(self, name: str) -> Check | None:
        """The check ``name`` (``idempotent``, ``rollback``, ...), when the rehearsal made it."""
        return next((c for c in self.checks if c.name == name), None)

    def same_run(self, other: Record) -> bool:
        """Whether ``other`` did and found the same, whichever PowerShell version ran it."""
        return replace(self, powershell=None) == replace(other, powershell=None)

    def as_manifest(self) -> dict[str, object]:
        """The ``rehearsal`` record of manifest.json (docs/rehearse.md)."""
        return {
            "format": REHEARSAL_FORMAT,
            "shell": self.shell,
            "powershell": self.powershell,
            "engine_sha256": self.engine_sha256,
            "spec_sha256": self.spec_sha256,
            "state": dict(self.state),
            "result": self.result,
            "assumptions": list(self.assumptions),
            "steps": [
                {
                    "name": s.name,
                    "command": s.command,
                    "exit_code": s.exit_code,
                    "writes": list(s.writes),
                    "warnings": list(s.warnings),
                    "errors": list(s.errors),
                }
                for s in self.steps
            ],
            "checks": [
                {
                    "name": c.name,
                    "question": c.question,
                    "passed": c.passed,
                    "problems": list(c.problems),
                }
                for c in self.checks
            ],
        }

    @classmethod
    def from_manifest(cls, data: object) -> Record | None:
        """The record manifest.json holds, or ``None`` when it is not one (anyone can edit it)."""
        try:
            return cls._read(data)
        except (KeyError, TypeError, ValueError):
            return None

    @classmethod
    def _read(cls, data: object) -> Record:
        record = _mapping(data)
        if record["format"] != REHEARSAL_FORMAT:
            raise ValueError("another format")
        state = _mapping(record["state"])
        steps = tuple(
            RecordedStep(
                _text(step["name"]),
                _text(step["command"]),
                _exit_code(step["exit_code"]),
                _texts(step["writes"]),
                _texts(step["warnings"]),
                _texts(step["errors"]),
            )
            for step in map(_mapping, _list(record["steps"]))
        )
        checks = tuple(
            Check(
                _text(c["name"]),
                _text(c["question"]),
                _flag(c["passed"]),
                _texts(c["problems"]),
            )
            for c in map(_mapping, _list(record["checks"]))
        )
        powershell = record["powershell"]
        return cls(
            _text(record["shell"]),
            None if powershell is None else _text(powershell),
            _text(record["engine_sha256"]),
            _text(record["spec_sha256"]),
            {_text(k): _text(v) for k, v in state.items()},
            _text(record["result"]),
            _texts(record["assumptions"]),
            steps,
            checks,
        )


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _texts(value: object) -> tuple[str, ...]:
    return tuple(_text(v) for v in _list(value))


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not true or false")
    return value


def _exit_code(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an exit code")
    return value


def section_values(record: Record) -> dict[str, object]:
    """What CHANGE.md's Rehearsal section renders from ``record`` (templates/CHANGE.md.j2)."""
    again, rolled = record.check("idempotent"), record.check("rollback")
    return {
        "rehearsal": record,
        "rehearsal_failed": [c for c in record.checks if not c.passed],
        "rehearsal_powershell": record.powershell or "(not reported)",
        "rehearsal_not_exchange": (
            "The simulator is journalgen's model of Exchange Online, not Exchange Online."
        ),
        "rehearsal_second_run": again,
        "rehearsal_rollback": rolled,
        "rehearsal_unconfirmed": UNCONFIRMED,
    }


def run_for_build(
    checked: Checked, captured: Captured, against: LivePlan, pwsh: str
) -> Rehearsal | str:
    """Rehearse the scripts ``checked`` compiles to against ``captured`` (``build --rehearse``).

    The scripts do not depend on CHANGE.md, so these are the bundle's own. The state file is
    read again to seed the simulator with every key it holds: a file that changed since it was
    loaded (or cannot be read) gives the reason as text, and no rehearsal.
    """
    import hashlib
    import tempfile

    from journalgen.compiler import compile_bundle, plan_for
    from journalgen.emit import engine_sha256

    try:
        raw = Path(captured.file).read_bytes()
    except OSError as exc:
        return (
            f"the state {captured.file} cannot be read again ({exc.strerror or type(exc).__name__})"
        )
    if hashlib.sha256(raw).hexdigest() != captured.sha256:
        return f"the state {captured.file} changed while journalgen read it; build again"
    plan = plan_for(checked)
    tenant, assumptions = seed_state(json.loads(raw.decode("utf-8-sig")), plan.resolved.ndr.address)
    done = Rehearsal(
        spec_name=plan.spec_name,
        spec_sha256=plan.spec_sha256,
        engine_sha256=engine_sha256(),
        state=against.about_state(),
        shell="pwsh",
        powershell=None,
        faults={},
        plan=against,
        assumptions=assumptions,
    )
    with tempfile.TemporaryDirectory(prefix="journalgen-rehearsal-") as temporary:
        work = Path(temporary)
        folder = work / Path(checked.file.replace("\\", "/")).stem
        folder.mkdir()
        for name, data in compile_bundle(checked).items():
            (folder / name).write_bytes(data)
        (work / "tenant").mkdir()
        rehearse(Request(folder, plan, against, tenant, {}), done, pwsh, work / "tenant")
    return done


def for_build(
    checked: Checked, captured: Captured, against: LivePlan, pwsh: str
) -> tuple[Record | None, list[Diagnostic]]:
    """``build --rehearse``: the record of a rehearsal that passed, or why there is none (JG037).

    The error is at the state's organization, as the state's own problems are.
    """
    done = run_for_build(checked, captured, against, pwsh)
    if isinstance(done, Rehearsal) and done.ok:
        return Record.of(done), []
    if isinstance(done, str):
        why = done
    elif done.not_simulator:
        why = "the ExchangeOnlineManagement module that answered is not journalgen's simulator"
    else:
        why = "; ".join(
            f"{c.question}: FAIL" + (f" ({'; '.join(c.problems)})" if c.problems else "")
            for c in done.checks
            if not c.passed
        ) or summary(done)
    message = (
        f"build --rehearse: the rehearsal of {checked.file} against this state found a problem, "
        f"so its bundle is not written: {why}; journalgen rehearse {checked.file} --state "
        f"{captured.file} prints the whole report"
    )
    at = captured.at(("organization",))
    return None, [Diagnostic.at(captured.file, at, "JG037", message)]


def reproduce(
    checked: Checked, folder: Path, states: Sequence[Captured], pwsh: str
) -> tuple[list[Diagnostic], str | None]:
    """``check --rehearse``: the bundle's rehearsal run again against the state it records.

    The diagnostics (JG038 when it does something else, or cannot run; JG039 when only the
    PowerShell version differs) and a note of what it did, for a bundle with a rehearsal record.
    """
    from journalgen.bundle import RAN_AGAIN, REHEARSAL_SECTION, read_bundle, recorded_manifest
    from journalgen.compiler import plan_for
    from journalgen.live import plan_against

    found, _ = read_bundle(folder)
    recorded = Record.from_manifest(recorded_manifest(found).get("rehearsal"))
    if recorded is None:
        return [], None
    change = found.get("CHANGE.md", b"").replace(b"\r\n", b"\n")
    section = REHEARSAL_SECTION.search(change)
    path = str(folder / "CHANGE.md")
    line = 1 if section is None else change.count(b"\n", 0, section.start()) + 1
    state = next((s for s in states if s.sha256 == recorded.state.get("sha256")), None)
    if state is None:
        message = (
            f"check --rehearse cannot run the rehearsal again: the state it ran against, "
            f"{show(recorded.state.get('file'))} (SHA-256 {show(recorded.state.get('sha256'))}), "
            "was not given; give it with --state FILE or --states DIR"
        )
        return [Diagnostic(path, line, 1, "JG038", message)], None
    done = run_for_build(checked, state, plan_against(plan_for(checked), state), pwsh)
    if isinstance(done, str):
        return [Diagnostic(path, line, 1, "JG038", f"check --rehearse: {done}")], None
    again = Record.of(done)
    if not again.same_run(recorded):
        message = (
            f"check --rehearse ran the scripts again against {show(state.file)} and they did "
            f"something else than this Rehearsal section says: {_first_difference(recorded, again)}; "
            "journalgen rehearse prints the whole report"
        )
        return [Diagnostic(path, line, 1, "JG038", message)], None
    if again.powershell != recorded.powershell:
        message = (
            f"the Rehearsal section is from PowerShell {show(recorded.powershell)}; rehearsed "
            f"again with {show(again.powershell)}, with the same result: build again with "
            "--rehearse for a section from this PowerShell"
        )
        return [Diagnostic(path, line, 1, "JG039", message)], None
    return (
        [],
        f"{path}: rehearsed again under PowerShell {show(again.powershell)}, {RAN_AGAIN}",
    )


def _first_difference(recorded: Record, again: Record) -> str:
    """The first thing a rehearsal run again did otherwise, in words."""
    if recorded.result != again.result:
        return f"the result is {show(again.result)}, not {show(recorded.result)}"
    for old, new in zip(recorded.steps, again.steps, strict=False):
        if old != new:
            writes = [w for w in new.writes if w not in old.writes]
            shown_writes = f" (wrote {show(writes)})" if writes else ""
            return f"step {show(new.name)} exited {new.exit_code}{shown_writes}, not as recorded"
    if len(recorded.steps) != len(again.steps):
        return f"it ran {len(again.steps)} step(s), not {len(recorded.steps)}"
    return "its checks or assumptions differ"


# --- rehearse SPECS... --states DIR: every tenant of a fleet, and the journalgen-rehearsals/1 JSON --

REHEARSALS_FORMAT = "journalgen-rehearsals/1"
FleetResult = Literal["passed", "failed", "preflight", "no-state", "error"]
# The order of the totals; text shows each as its word.
FLEET_RESULTS: tuple[FleetResult, ...] = ("passed", "failed", "preflight", "no-state", "error")
FLEET_WORDS: dict[FleetResult, str] = {result: result.replace("-", " ") for result in FLEET_RESULTS}


def fleet_result(ran: str | None, passed: bool) -> FleetResult:
    """A spec's result in the fleet from its rehearsal's :func:`result` (``None``: none ran)."""
    if ran is None:
        return "error"
    if ran == "preflight":
        return "preflight"
    return "passed" if passed else "failed"


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One spec of ``rehearse --states``: its tenant, the state it was paired with, and the result.

    ``report`` is its rehearsal's text report or ``journalgen-rehearsal/1`` document, ``None``
    when none ran (no state, or an error before it could).
    """

    spec: str
    tenant: str | None
    state: str | None
    result: FleetResult
    diagnostics: tuple[Diagnostic, ...] = ()
    report: str | None = None

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class FleetRehearsal:
    """Every row, in the order the specs were given, and what was found in the states folder."""

    states: str
    rows: tuple[FleetRow, ...]
    unused_states: tuple[str, ...] = ()
    # Found in state files, not at any one tenant (a state with errors, two for one tenant).
    diagnostics: tuple[Diagnostic, ...] = ()

    def totals(self) -> dict[str, int]:
        return {"tenants": len(self.rows)} | {
            r: sum(row.result == r for row in self.rows) for r in FLEET_RESULTS
        }

    @property
    def passed(self) -> bool:
        """Every spec with a state passed, and nothing has an error (exit 0)."""
        return all(r.result in ("passed", "no-state") for r in self.rows) and not any(
            d.is_error for d in self.diagnostics
        )


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def fleet_summary(f: FleetRehearsal) -> str:
    """One line: how many tenants, how many of each result, and the exit code."""
    t = f.totals()
    parts = ", ".join(f"{t[r]} {FLEET_WORDS[r]}" for r in FLEET_RESULTS)
    return f"{t['tenants']} tenant(s): {parts} (exit {0 if f.passed else 1})."


def fleet_text(f: FleetRehearsal) -> str:
    """Each rehearsal's text report, in the order the specs were given, then one row per spec."""
    from journalgen.textshow import shown

    headings = ("TENANT", "SPEC", "STATE", "RESULT", "ERRORS", "WARNINGS")
    table: list[tuple[str, ...]] = [headings]
    for r in f.rows:
        cells = (
            r.tenant or "-",
            _base(r.spec),
            "-" if r.state is None else _base(r.state),
            FLEET_WORDS[r.result],
            str(r.errors),
            str(r.warnings),
        )
        # Shown before measured, so a name can neither hide nor shift a column.
        table.append(tuple(shown(c) for c in cells))
    widths = [max(len(line[i]) for line in table) for i in range(len(headings))]
    out = "".join(r.report + "\n" for r in f.rows if r.report is not None)
    lines = [f"Rehearsals against the states in {f.states}", ""]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    lines += ["", fleet_summary(f)]
    if f.unused_states:
        lines.append(
            f"{len(f.unused_states)} state(s) in {f.states} are for no spec's tenant: "
            + ", ".join(f.unused_states)
        )
    return out + "".join(shown(line) + "\n" for line in lines)


def fleet_json(f: FleetRehearsal) -> str:
    """The fleet's rehearsals for machines; its shape is documented in docs/rehearse.md."""
    rehearsals: list[Any] = []
    rows = []
    for r in f.rows:
        index = None
        if r.report is not None:
            index = len(rehearsals)
            rehearsals.append(json.loads(r.report))
        rows.append(
            {
                "spec": r.spec,
                "tenant": r.tenant,
                "state": r.state,
                "result": r.result,
                "rehearsal": index,
                "errors": r.errors,
                "warnings": r.warnings,
                "diagnostics": [d.as_dict() for d in r.diagnostics],
            }
        )
    payload = {
        "format": REHEARSALS_FORMAT,
        "states": f.states,
        "totals": f.totals(),
        "passed": f.passed,
        "rows": rows,
        "rehearsals": rehearsals,
        "unused_states": list(f.unused_states),
        "errors": sum(r.errors for r in f.rows)
        + sum(d.severity is Severity.ERROR for d in f.diagnostics),
        "warnings": sum(r.warnings for r in f.rows)
        + sum(d.severity is Severity.WARNING for d in f.diagnostics),
        "diagnostics": [d.as_dict() for d in f.diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=True) + "\n"

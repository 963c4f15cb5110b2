"""The Exchange Online simulator: where its PowerShell module lives, and how to run a script against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A folder to put first in PSModulePath: it holds the simulator's ExchangeOnlineManagement module.
MODULE_PATH = Path(__file__).resolve().parent / "modules"
SIGNATURES = MODULE_PATH / "ExchangeOnlineManagement" / "signatures.json"

PWSH_VERSION = "7.6.9"
# Where the project's own scripts install PowerShell when the machine has none (.gitignore'd).
LOCAL_TOOLS = Path(".tools") / "pwsh"
INSTALL_HINT = (
    "PowerShell 7 (pwsh) was not found. Install it from https://aka.ms/powershell, or with the .NET SDK: "
    f"dotnet tool install --tool-path {LOCAL_TOOLS.as_posix()} PowerShell --version {PWSH_VERSION}, "
    "then put that folder on PATH (or set JOURNALGEN_PWSH to the pwsh program)."
)

# The environment variables the simulator reads (docs/simulator.md).
ENV_STATE = "JOURNALGEN_SIM_STATE"
ENV_LOG = "JOURNALGEN_SIM_LOG"
ENV_FAULTS = "JOURNALGEN_SIM_FAULTS"
ENV_OPTIONS = "JOURNALGEN_SIM_OPTIONS"
# A folder: each script run adds one JSON line of the lines it ran (tools/ps_coverage.py).
ENV_COVERAGE = "JOURNALGEN_SIM_COVERAGE"
_PSMODULEPATH = "PSModulePath"  # PowerShell's own spelling


def find_pwsh(start: Path | None = None) -> str | None:
    """The pwsh program to run: $JOURNALGEN_PWSH, then PATH, then .tools/pwsh below a checkout."""
    named = os.environ.get("JOURNALGEN_PWSH")
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    found = shutil.which("pwsh")
    if found:
        return found
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / LOCAL_TOOLS / "pwsh"
        if candidate.exists():
            return str(candidate)
    return None


@dataclass(frozen=True)
class Run:
    """What one PowerShell run did: exit code, its streams, the tenant after it and the call log."""

    exit_code: int
    stdout: str
    stderr: str
    state: dict[str, Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def writes(self) -> list[dict[str, Any]]:
        """The calls that changed the tenant, in order."""
        return [call for call in self.calls if call.get("write")]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_pwsh(
    pwsh: str,
    arguments: Sequence[str],
    *,
    state: Path,
    log: Path,
    faults: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 300,
    extra_env: Mapping[str, str] | None = None,
) -> Run:
    """Run pwsh with the simulator first in PSModulePath and its tenant in ``state``.

    ``arguments`` follow ``pwsh -NoLogo -NoProfile -NonInteractive`` (for example ``-File
    apply.ps1 -Confirm:$false``). The state file is read at sign-in and rewritten after each
    write; ``log`` collects one JSON object per cmdlet call.
    """
    # The simulator's folder alone: a real ExchangeOnlineManagement installed on this machine
    # (or any module a profile would load) must never answer a script run here.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("JOURNALGEN_SIM_") and key.upper() != "PSMODULEPATH"
    }
    # Coverage is the test run's setting (tests/conftest.py --ps-coverage), not a scenario's.
    if os.environ.get(ENV_COVERAGE):
        env[ENV_COVERAGE] = os.environ[ENV_COVERAGE]
    env[_PSMODULEPATH] = str(MODULE_PATH)
    env["JOURNALGEN_SIM_MODULE"] = str(
        MODULE_PATH / "ExchangeOnlineManagement" / "ExchangeOnlineManagement.psd1"
    )
    env[ENV_STATE] = str(state)
    env[ENV_LOG] = str(log)
    if faults:
        fault_file = log.with_suffix(".faults.json")
        fault_file.write_text(json.dumps(faults), encoding="utf-8")
        env[ENV_FAULTS] = str(fault_file)
    if options:
        env[ENV_OPTIONS] = json.dumps(options)
    # No colour codes or progress bars in captured output.
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    env.update(extra_env or {})
    command = [pwsh, "-NoLogo", "-NoProfile"]
    if stdin is None:
        command.append("-NonInteractive")
    command.extend(arguments)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )
    calls: list[dict[str, Any]] = []
    if log.exists():
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
    # A folder of tenants (docs/simulator.md) leaves each tenant in its own file there.
    tenant = json.loads(state.read_text(encoding="utf-8-sig")) if state.is_file() else {}
    return Run(done.returncode, done.stdout, done.stderr, tenant, calls)


# Run before the script: Start-Sleep is shadowed so that retries cost no time (each sleep is
# logged instead), and -SkipConnect finds a session already open, as an operator's would be.
_PRELUDE = """\
$ErrorActionPreference = 'Stop'
# pwsh puts the user's and the machine's module folders before the inherited PSModulePath, so a
# real ExchangeOnlineManagement there would win the name: load the simulator by its path, first.
Import-Module -Name $env:JOURNALGEN_SIM_MODULE -Force
if (-not (Get-Module -Name ExchangeOnlineManagement).PrivateData.JournalgenSimulator) {
    [Console]::Error.WriteLine('The ExchangeOnlineManagement module loaded is not the journalgen simulator.')
    exit 97
}
function global:Start-Sleep {
    param([Parameter(Position = 0)] [double] $Seconds, [int] $Milliseconds)
    $line = (ConvertTo-Json -Compress -InputObject ([ordered]@{ cmdlet = 'Start-Sleep'; kind = 'host'; parameters = @{ Seconds = $Seconds; Milliseconds = $Milliseconds }; whatif = $false; write = $false; outcome = 'skipped' })) + "`n"
    [System.IO.File]::AppendAllText($env:JOURNALGEN_SIM_LOG, $line)
}
"""
_CONNECT = "Connect-ExchangeOnline -ShowBanner:$false\n"

# Line coverage, when JOURNALGEN_SIM_COVERAGE names a folder (tools/ps_coverage.py reads it): a
# breakpoint on the first line of each statement notes that line and removes itself, so a loop
# costs one stop; after the script, one JSON line goes into the folder (a killed run writes
# none). Counted: the statements of a script's, function's, script block's or statement's body,
# not those inside @() or $() (no stop of their own: their line would bind to the enclosing
# statement), nor a function definition (declared, not run), try or do (no stop of their own;
# their bodies' statements count). An action sets $? to true: no engine may read $?
# (tests/test_ps_coverage.py).
_COVERAGE_START = """\
$JournalgenSimCoverage = $null
if ($env:JOURNALGEN_SIM_COVERAGE) {
    $JournalgenSimCoverage = & {
        param([string] $Script)
        $path = (Resolve-Path -LiteralPath $Script).ProviderPath
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref] $null, [ref] $null)
        $skip = @('FunctionDefinitionAst', 'TryStatementAst', 'DoWhileStatementAst', 'DoUntilStatementAst', 'TypeDefinitionAst')
        $lines = New-Object -TypeName 'System.Collections.Generic.SortedSet[int]'
        $functions = New-Object -TypeName 'System.Collections.Generic.List[object]'
        foreach ($node in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.StatementAst] }, $true)) {
            if ($node -is [System.Management.Automation.Language.FunctionDefinitionAst]) {
                $functions.Add([ordered]@{ name = $node.Name; start = $node.Extent.StartLineNumber; end = $node.Extent.EndLineNumber })
            }
            $block = $node.Parent
            if (($block -is [System.Management.Automation.Language.NamedBlockAst] -or
                    ($block -is [System.Management.Automation.Language.StatementBlockAst] -and
                        $block.Parent -isnot [System.Management.Automation.Language.ExpressionAst])) -and
                $skip -notcontains $node.GetType().Name) {
                [void] $lines.Add($node.Extent.StartLineNumber)
            }
        }
        $lines = [int[]] @($lines)
        $engine = $null; $begin = $null; $end = $null; $number = 0
        foreach ($text in [System.IO.File]::ReadAllLines($path)) {
            $number++
            if ($text -match '^# --- BEGIN journalgen engine: (.+) ---$') { $engine = $Matches[1]; $begin = $number }
            elseif ($text -eq '# --- END journalgen engine ---') { $end = $number }
        }
        if ($lines.Count -gt 0) {
            $null = Set-PSBreakpoint -Script $path -Line $lines -Action {
                [void] $global:JournalgenSimCoverage.hit.Add($_.Line)
                Remove-PSBreakpoint -Breakpoint $_
            }
        }
        $hit = New-Object -TypeName 'System.Collections.Generic.HashSet[int]'
        [ordered]@{ script = [System.IO.Path]::GetFileName($path); engine = $engine; engine_begin = $begin; engine_end = $end; lines = $lines; hit = $hit; functions = $functions.ToArray() }
    } __SCRIPT__
}
"""
_COVERAGE_END = """\
    if ($JournalgenSimCoverage) {
        $JournalgenSimCoverage.hit = [int[]] @($JournalgenSimCoverage.hit | Sort-Object)
        [System.IO.File]::WriteAllText((Join-Path $env:JOURNALGEN_SIM_COVERAGE ([guid]::NewGuid().ToString('N') + '.jsonl')),
            (ConvertTo-Json -Compress -Depth 4 -InputObject $JournalgenSimCoverage) + "`n")
    }
"""


def script_command(
    script: Path, arguments: Sequence[str] = (), *, connect_first: bool = False
) -> str:
    """The -Command text that runs ``script`` with ``arguments`` (PowerShell text) and keeps its exit code."""
    quoted = "'" + str(script).replace("'", "''") + "'"
    body = (
        _PRELUDE
        + (_CONNECT if connect_first else "")
        + _COVERAGE_START.replace("__SCRIPT__", quoted)
    )
    body += f"$ErrorActionPreference = 'Continue'\ntry {{ & {quoted} {' '.join(arguments)} }}\n"
    body += "finally {\n" + _COVERAGE_END + "}\nexit $LASTEXITCODE\n"
    return body

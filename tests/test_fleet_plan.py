"""`plan SPECS... --states DIR`: one row per tenant, its plan on request, JSON, and exit codes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journalgen import fleet
from journalgen.cli import main
from tests.spectext import position
from tools.fleet.sample import STALE_DAYS, STATUS_BY_REMAINDER, Made, make_fleet

NOW = "2026-12-01T12:00:00Z"
NOW_AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
WORDS = {
    "in-sync": "in sync",
    "would-change": "would change",
    "problem": "problem",
    "no-state": "no state",
    "stale-state": "stale state",
}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def fleet_plan(made: Made, *args: str) -> Result:
    return run("plan", made.specs, "--states", made.states, "--now", NOW, *args)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Made:
    return make_fleet(tmp_path_factory.mktemp("fleet"), 300, NOW_AT)


def rows(stdout: str) -> dict[str, str]:
    """Each spec name of the table, with its row."""
    found = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) > 2 and cells[1].endswith((".yaml", ".yml")):
            found[Path(cells[1]).stem] = line
    return found


def test_300_tenants_print_one_row_each_with_the_status_the_fleet_was_made_with(big: Made) -> None:
    result = fleet_plan(big)
    assert result.exit_code == 1, result.output  # the problem tenants' states stop apply.ps1
    table = rows(result.stdout)
    assert len(table) == 300
    for name, status in big.expected.items():
        assert table[name].endswith(WORDS[status]), table[name]
    counts = {s: list(big.expected.values()).count(s) for s in WORDS}
    assert f"300 tenant(s): {counts['in-sync']} in sync, {counts['would-change']} would change" in (
        result.stdout
    )
    # The no-state tenants are warnings (JG045) on standard error, not errors.
    assert result.stderr.count("warning[JG045]") == counts["no-state"]
    assert result.stderr.count("warning[JG047]") == counts["stale-state"]


def test_a_row_shows_the_capture_its_age_and_what_would_change(big: Made) -> None:
    table = rows(fleet_plan(big).stdout)
    changing = table["alpine0006"].split()
    assert changing[:2] == ["alpine0006.onmicrosoft.com", "alpine0006.yaml"]
    assert changing[2:8] == ["2026-11-30T12:00:00Z", "1", "1", "3", "0", "0"]
    stale = table["fabrikam0008"].split()
    assert stale[2:4] == ["2026-11-01T12:00:00Z", str(STALE_DAYS)]
    assert "-" in table["lucerne0007"].split()[2:4]


def test_the_json_embeds_each_tenants_plan(big: Made) -> None:
    result = fleet_plan(big, "--format", "json")
    data = json.loads(result.stdout)
    assert data["format"] == fleet.FLEET_PLAN_FORMAT == "journalgen-fleet-plan/1"
    assert data["now"] == NOW and data["max_age_days"] == 7
    assert len(data["tenants"]) == 300
    by_name = {t["spec_name"]: t for t in data["tenants"]}
    for name, status in big.expected.items():
        entry = by_name[name]
        assert entry["status"] == status
        if status == "no-state":
            assert entry["plan"] is None and entry["state"] is None
        else:
            assert entry["plan"]["format"] == "journalgen-plan/1"
            assert entry["plan"]["organization"] == entry["tenant"]
    assert data["totals"]["tenants"] == 300
    assert data["totals"]["would-change"] == list(big.expected.values()).count("would-change")
    assert by_name["alpine0006"]["counts"] == {
        "create": 1,
        "update": 3,
        "remove": 0,
        "unchanged": 0,
    }
    assert data["changed"] is True and data["errors"] > 0


def test_details_print_each_tenants_plan_after_the_table(big: Made) -> None:
    plain, detailed = fleet_plan(big).stdout, fleet_plan(big, "--details").stdout
    assert detailed.startswith(plain)
    assert "Plan for alpine0006.yaml against alpine0006.onmicrosoft.com" in detailed
    assert "Plan for alpine0006.yaml" not in plain


def small(tmp_path: Path, remainders: list[int]) -> Made:
    """A fleet of one tenant per remainder of ``make_fleet``'s ten kinds, in that order."""
    made = make_fleet(tmp_path / "all", 10, NOW_AT)
    specs, states = tmp_path / "specs", tmp_path / "states"
    specs.mkdir()
    states.mkdir()
    expected = {}
    for r in dict.fromkeys(remainders):
        name = list(made.expected)[r]
        shutil.copy(made.specs / f"{name}.yaml", specs)
        expected[name] = made.expected[name]
        for state in made.states.glob(f"capture-{r:04}.json"):
            shutil.copy(state, states)
    if not any(states.iterdir()):
        shutil.copy(made.states / "capture-0009.json", states)  # a state of no spec's tenant
    return Made(specs, states, expected)


def test_detailed_exitcode_is_0_without_change_2_with_changes_1_on_an_error(tmp_path: Path) -> None:
    assert fleet_plan(small(tmp_path / "a", [0, 1, 7]), "--detailed-exitcode").exit_code == 0
    changing = small(tmp_path / "b", [0, 6])
    assert fleet_plan(changing, "--detailed-exitcode").exit_code == 2
    assert fleet_plan(changing, "--exit-code").exit_code == 1
    assert fleet_plan(changing).exit_code == 0
    assert fleet_plan(small(tmp_path / "c", [6, 9]), "--detailed-exitcode").exit_code == 1


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=4))
def test_the_exit_code_follows_the_worst_tenant(tmp_path: Path, remainders: list[int]) -> None:
    folder = tmp_path / "-".join(map(str, remainders))
    if folder.exists():
        shutil.rmtree(folder)
    made = small(folder, remainders)
    statuses = {STATUS_BY_REMAINDER[r] for r in remainders}
    expected = 1 if "problem" in statuses else 2 if "would-change" in statuses else 0
    result = fleet_plan(made, "--detailed-exitcode")
    assert result.exit_code == expected, result.output
    assert len(rows(result.stdout)) == len(set(remainders))


def test_max_age_and_now_decide_what_is_stale(tmp_path: Path) -> None:
    made = small(tmp_path, [8])
    assert rows(fleet_plan(made).stdout)["fabrikam0008"].endswith("stale state")
    kept = fleet_plan(made, "--max-age", str(STALE_DAYS))
    assert rows(kept.stdout)["fabrikam0008"].endswith("in sync") and "JG047" not in kept.stderr
    earlier = run("plan", made.specs, "--states", made.states, "--now", "2026-11-02T12:00:00Z")
    assert rows(earlier.stdout)["fabrikam0008"].split()[3] == "1"
    future = run("plan", made.specs, "--states", made.states, "--now", "2026-10-01T00:00:00Z")
    assert "warning[JG048]" in future.stderr and future.exit_code == 0


def test_a_tenant_with_no_state_is_a_warning_at_its_organization(tmp_path: Path) -> None:
    made = small(tmp_path, [0, 7])
    result = fleet_plan(made)
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stderr.splitlines() if "JG045" in x]
    spec = made.specs / "lucerne0007.yaml"
    at = position(spec.read_text("utf-8"), "lucerne0007.onmicrosoft.com")
    assert line.startswith(f"{spec}:{at}: warning[JG045]: ")
    assert "lucerne0007.onmicrosoft.com" in line and "capture-script" in line


def test_two_states_of_one_tenant_make_its_row_a_problem(tmp_path: Path) -> None:
    made = small(tmp_path, [0, 1])
    shutil.copy(made.states / "capture-0000.json", made.states / "again.json")
    result = fleet_plan(made, "--detailed-exitcode")
    assert result.exit_code == 1
    assert result.stderr.count("error[JG041]") == 2
    assert "error[JG046]" in result.stderr
    table = rows(result.stdout)
    assert table["fabrikam0000"].endswith("problem") and table["northwind0001"].endswith("in sync")


def test_a_state_no_spec_uses_is_named(tmp_path: Path) -> None:
    made = small(tmp_path, [0])
    shutil.copy(make_fleet(tmp_path / "other", 2, NOW_AT).states / "capture-0001.json", made.states)
    result = fleet_plan(made)
    assert "1 state(s) in" in result.stdout and "capture-0001.json" in result.stdout
    assert json.loads(fleet_plan(made, "--format", "json").stdout)["unused_states"] == [
        str(made.states / "capture-0001.json")
    ]


def test_names_are_shown_with_nothing_hidden(tmp_path: Path) -> None:
    made = small(tmp_path, [0])
    (made.specs / "fabrikam0000.yaml").rename(made.specs / "evil\u202etxt.yaml")
    result = fleet_plan(made)
    assert "\u202e" not in result.stdout
    assert "evil<U+202E>txt.yaml" in result.stdout


def test_one_spec_with_state_is_the_plan_it_was(tmp_path: Path) -> None:
    made = small(tmp_path, [6])
    spec = made.specs / "alpine0006.yaml"
    result = run("plan", spec, "--state", made.states / "capture-0006.json")
    assert result.stdout.startswith("Plan for alpine0006.yaml against")
    assert run("plan", spec, "--state", "x.json", "--states", made.states).exit_code == 2
    assert run("plan", made.specs, spec).exit_code == 2  # several specs need --states


def test_a_spec_with_errors_is_a_problem_row_named_by_its_tenant(tmp_path: Path) -> None:
    made = small(tmp_path, [0])
    (made.specs / "bad.yaml").write_text(
        "version: 1\ntenant: {primary_domain: bad.com, organization: bad.onmicrosoft.com}\n",
        "utf-8",
    )
    result = fleet_plan(made, "--detailed-exitcode")
    assert result.exit_code == 1 and "error[JG102]" in result.stderr
    assert rows(result.stdout)["bad"].split()[0] == "bad.onmicrosoft.com"
    assert rows(result.stdout)["bad"].endswith("problem")


@pytest.mark.parametrize("now", ["yesterday", "2026-12-01T12:00:00"])
def test_now_is_a_time_with_a_zone(tmp_path: Path, now: str) -> None:
    made = small(tmp_path, [0])
    result = run("plan", made.specs, "--states", made.states, "--now", now)
    assert result.exit_code == 2 and "--now" in result.stderr

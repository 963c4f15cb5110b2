from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from journalgen import textpolicy
from journalgen.cli import main
from journalgen.compiler import check_source
from journalgen.errors import SpecError
from journalgen.loader import load_yaml
from journalgen.scaffold import SCHEMA_LINE
from journalgen.vendors import presets

FLAGS = [
    "--domain",
    "contoso.com",
    "--organization",
    "contoso.onmicrosoft.com",
    "--ndr-address",
    "journal-ndr@contoso.com",
]

COMBINATIONS: list[tuple[str, str | None]] = [
    (vendor, region)
    for vendor, preset in presets().items()
    for region in ([*preset.regions] if preset.regions else [None])
]

# What `validate` says about a spec written by init from flags alone: nothing (valid), or the
# values still to write, as (code, dotted path named in the message).
EXPECTED: dict[tuple[str, str | None], set[tuple[str, str]]] = {
    ("barracuda", None): {("JG113", "archive.journal_address")},
    ("cloudflare", None): {("JG113", "archive.journal_address")},
    ("custom", None): {
        ("JG113", "archive.journal_address"),
        ("JG113", "connector.smart_hosts[0]"),
    },
    ("mimecast", "us"): set(),
    **{("mimecast", r): {("JG303", "connector.smart_hosts")} for r in ("eu", "de", "au")},
    **{
        ("mimecast", r): {("JG113", "connector.smart_hosts[0]")} for r in ("je", "za", "ca", "us-b")
    },
    **{
        ("proofpoint-essentials", r): {
            ("JG113", "archive.journal_address"),
            ("JG113", "connector.routing"),
            ("JG113", "connector.smart_hosts[0]"),
        }
        for r in ("us", "eu")
    },
}


def init(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["init", *args], input=input)


def init_args(vendor: str, region: str | None) -> list[str]:
    return ["--vendor", vendor, *(["--region", region] if region else []), *FLAGS]


def problems(text: str) -> set[tuple[str, str]]:
    """(code, the first quoted dotted path in the message) of every error validate reports."""
    try:
        check_source(text.encode(), "spec.yaml")
    except SpecError as exc:
        found = set()
        for d in exc.diagnostics:
            if d.is_error:
                named = re.search(r"'([a-z_]+(?:\.[a-z_]+|\[\d+\])+)", d.message)
                path = d.message.split(" ")[0] if d.code == "JG113" else named and named.group(1)
                found.add((d.code, path or ""))
        return found
    return set()


def test_every_vendor_and_region_has_an_expectation() -> None:
    assert set(EXPECTED) == set(COMBINATIONS)


@pytest.mark.parametrize(("vendor", "region"), COMBINATIONS)
def test_init_then_validate_succeeds_or_names_the_missing_value(
    vendor: str, region: str | None, tmp_path: Path
) -> None:
    out = tmp_path / "spec.yaml"
    result = init(*init_args(vendor, region), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_LINE}"
    assert problems(text) == EXPECTED[(vendor, region)]
    validated = CliRunner().invoke(main, ["validate", str(out)])
    assert validated.exit_code == (1 if EXPECTED[(vendor, region)] else 0), validated.output


def _adjust(text: str) -> str:
    """What a newcomer does after reading the comments: fill in each placeholder, acknowledge."""
    text = text.replace("acknowledge_unconfirmed: false", "acknowledge_unconfirmed: true")
    text = text.replace("acknowledge_downgrade: false", "acknowledge_downgrade: true")
    text = re.sub(r"routing: <[^\n]*>", "routing: smart_hosts", text)
    text = re.sub(r"- <[^\n]*>", "- smtp1.archive.example.net", text)
    text = re.sub(r"address: <[^@\n]*>$", "address: j@archive.example.net", text, flags=re.M)
    return re.sub(r"<[^<>\n]+>", "x123", text)


@pytest.mark.parametrize(("vendor", "region"), COMBINATIONS)
def test_filling_in_the_placeholders_gives_a_spec_that_builds(
    vendor: str, region: str | None, tmp_path: Path
) -> None:
    result = init(*init_args(vendor, region))
    assert result.exit_code == 0
    spec = result.stdout
    adjusted = _adjust(spec)
    assert problems(adjusted) == set(), adjusted
    # Only the lines init marked changed: every placeholder and acknowledgement, nothing else.
    changed = [a for a, b in zip(spec.splitlines(), adjusted.splitlines(), strict=True) if a != b]
    assert all("<" in line or "false" in line for line in changed)
    (tmp_path / "tenant.yaml").write_text(adjusted)
    out = tmp_path / "out"
    built = CliRunner().invoke(main, ["build", str(tmp_path / "tenant.yaml"), "-d", str(out)])
    assert built.exit_code == 0, built.output
    assert (out / "tenant" / "apply.ps1").is_file()


def test_init_never_writes_a_guess_for_a_value_the_vendor_issues() -> None:
    for vendor in ("barracuda", "cloudflare"):
        text = init("--vendor", vendor, *FLAGS).stdout
        address = yaml.safe_load(text)["archive"]["journal_address"]
        assert "<" in address
        with pytest.raises(ValueError):
            textpolicy.address(address)


def test_init_with_the_journal_address_flag() -> None:
    result = init(
        "--vendor", "cloudflare", *FLAGS, "--journal-address", "t1@journaling.mxrecord.io"
    )
    assert result.exit_code == 0
    assert problems(result.stdout) == set()
    barracuda = init(
        "--vendor", "barracuda", *FLAGS, "--journal-address", "7@mas.x.barracudanetworks.com"
    )
    # The downgrade to EncryptionOnly must be acknowledged by the admin, never by init.
    assert problems(barracuda.stdout) == {("JG214", "connector.tls.acknowledge_downgrade")}


def test_init_reports_what_is_left_to_do() -> None:
    result = init("--vendor", "barracuda", *FLAGS)
    assert "-:" in result.stderr and "error[JG113]" in result.stderr
    assert "still to do" in result.stderr
    assert init("--vendor", "mimecast", "--region", "us", *FLAGS).stderr == ""


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "spec.yaml"
    out.write_text("keep me\n")
    args = [*init_args("mimecast", "us"), "-o", str(out)]
    refused = init(*args)
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert out.read_text() == "keep me\n"
    forced = init(*args, "--force")
    assert forced.exit_code == 0
    assert out.read_text().startswith("# yaml-language-server")
    assert [p.name for p in tmp_path.iterdir()] == ["spec.yaml"]  # no temporary file left


@pytest.mark.parametrize(
    ("drop", "flag"),
    [
        ("--vendor", "--vendor"),
        ("--region", "--region"),
        ("--domain", "--domain"),
        ("--organization", "--organization"),
        ("--ndr-address", "--ndr-address"),
    ],
)
def test_without_a_terminal_a_missing_flag_is_a_usage_error(drop: str, flag: str) -> None:
    args = init_args("mimecast", "us")
    index = args.index(drop)
    del args[index : index + 2]
    result = init(*args)
    assert result.exit_code == 2
    assert f"missing {flag}" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vendor", "nope", *FLAGS], "--vendor 'nope' is not a known vendor"),
        (["--vendor", "mimecast", "--region", "mars", *FLAGS], "--region 'mars'"),
        (["--vendor", "barracuda", "--region", "us", *FLAGS], "has no regions"),
        (["--vendor", "custom", *FLAGS[:-1], "not an address"], "--ndr-address"),
        (["--vendor", "custom", "--domain", "contoso", *FLAGS[2:]], "--domain 'contoso'"),
        (
            ["--vendor", "custom", *FLAGS[:2], "--organization", "contoso.com", *FLAGS[4:]],
            "--organization",
        ),
    ],
)
def test_bad_flags_are_usage_errors(args: list[str], message: str) -> None:
    result = init(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_organization_is_never_guessed_from_the_domain() -> None:
    args = ["--vendor", "custom", "--domain", "contoso.com", "--ndr-address", "n@contoso.com"]
    result = init(*args)
    assert result.exit_code == 2
    assert "missing --organization" in result.stderr
    assert "contoso.onmicrosoft.com" not in result.stdout


def test_init_prompts_for_what_is_missing_in_a_terminal() -> None:
    answers = "mimecast\nus\nnot a domain\ncontoso.com\ncontoso.onmicrosoft.com\nndr@contoso.com\n"
    result = init("--interactive", input=answers)
    assert result.exit_code == 0, result.output
    assert "The archive vendor [--vendor]" in result.stderr
    assert "Error:" in result.stderr  # the bad domain was refused and asked again
    spec = yaml.safe_load(result.stdout)
    assert spec["tenant"] == {
        "primary_domain": "contoso.com",
        "organization": "contoso.onmicrosoft.com",
    }
    assert spec["archive"] == {"vendor": "mimecast", "region": "us"}
    assert problems(result.stdout) == set()


def test_init_prompts_only_for_what_flags_do_not_give() -> None:
    result = init("--interactive", "--vendor", "barracuda", *FLAGS, input="\n")
    assert result.exit_code == 0, result.output
    assert "[--journal-address]" in result.stderr
    assert "[--domain]" not in result.stderr
    assert problems(result.stdout) == {("JG113", "archive.journal_address")}
    given_address = init(
        "--interactive", "--vendor", "cloudflare", *FLAGS, input="t@journaling.mxrecord.io\n"
    )
    assert problems(given_address.stdout) == set()


def test_init_output_is_deterministic() -> None:
    args = init_args("proofpoint-essentials", "eu")
    assert init(*args).stdout == init(*args).stdout


# Every character an address may have before '@'; many of them mean something to YAML.
HOSTILE_LOCAL = st.text(alphabet="!#$%&'*+/=?^_`{|}~-abc019", min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(local=HOSTILE_LOCAL, label=st.sampled_from(["yes", "null", "true", "0755", "on", "x-1"]))
def test_hostile_values_round_trip_exactly(local: str, label: str) -> None:
    domain = f"{label}.com"
    ndr = f"{local}@{domain}"
    journal = f"{local}@journaling.mxrecord.io"
    assert textpolicy.address(ndr) == ndr  # every generated value is one the spec accepts
    result = init(
        "--vendor",
        "cloudflare",
        "--domain",
        domain,
        "--organization",
        f"{label}.onmicrosoft.com",
        "--ndr-address",
        ndr,
        "--journal-address",
        journal,
    )
    assert result.exit_code == 0, result.output
    data = load_yaml(result.stdout.encode(), "spec.yaml").data
    assert data["tenant"]["primary_domain"] == domain
    assert data["tenant"]["organization"] == f"{label}.onmicrosoft.com"
    assert data["ndr"]["address"] == ndr
    assert data["archive"]["journal_address"] == journal


@pytest.mark.parametrize("cloud", ["gcc_high", "dod", "china", "gcc"])
def test_init_writes_the_cloud_and_checks_the_initial_domain_against_it(cloud: str) -> None:
    from journalgen.clouds import CLOUDS

    organization = "tailspin" + CLOUDS[cloud].suffix
    args = ["--vendor", "custom", "--domain", "tailspin.com", "--organization", organization]
    args += ["--ndr-address", "ndr@tailspin.com", "--journal-address", "j@archive.example"]
    result = init(*args, "--cloud", cloud)
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert spec["tenant"] == {
        "primary_domain": "tailspin.com",
        "organization": organization,
        "cloud": cloud,
    }
    assert f"initial {CLOUDS[cloud].suffix} domain" in result.stdout
    if CLOUDS[cloud].suffix != ".onmicrosoft.com":
        # The cloud forgotten: the initial domain names the flag that is missing.
        forgot = init(*args)
        assert forgot.exit_code == 2
        assert f"--cloud {cloud} (" in forgot.stderr and "add --cloud" in forgot.stderr


def test_init_leaves_the_commercial_cloud_as_a_comment() -> None:
    result = init(*init_args("mimecast", "us"))
    assert "  # cloud: commercial  # or gcc, gcc_high, dod, china" in result.stdout
    assert "cloud" not in yaml.safe_load(result.stdout)["tenant"]

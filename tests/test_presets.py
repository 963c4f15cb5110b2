from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from journalgen import vendors as presets_module
from journalgen.cli import main
from journalgen.compiler import check_source
from journalgen.errors import SpecError
from journalgen.vendors import PresetError, load_presets, presets
from tests.conftest import BATCH as SAMPLES

ACME = """\
name: acme
display_name: ACME Archive
sources:
  acme-docs: ACME's journaling guide.
  acme-forum: A forum post, not an ACME publication.
notes:
  - ACME needs its own journal domain per tenant.
journal_domain: {value: "journal.{primary_domain}", source: acme-docs, confidence: confirmed}
journal_address: {value: "archive@{journal_domain}", source: acme-docs, confidence: confirmed}
routing: {value: smart_hosts, source: acme-docs, confidence: confirmed}
regions:
  north:
    display_name: North
    smart_hosts: {value: [n1.acme.example, n2.acme.example], source: acme-docs, confidence: confirmed}
  south:
    display_name: South
    smart_hosts: {value: [s1.acme.example], source: acme-forum, confidence: unconfirmed}
"""


def spec_text(vendor: str, **archive: object) -> str:
    data = {
        "version": 1,
        "tenant": {"primary_domain": "contoso.com", "organization": "contoso.onmicrosoft.com"},
        "archive": {"vendor": vendor, **archive},
        "journal_rules": [{"name": "All"}],
        "ndr": {"address": "journal-ndr@contoso.com"},
    }
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The packaged presets plus one more data file, loaded by the same code as the real ones."""
    folder = tmp_path / "vendors"
    folder.mkdir()
    for entry in files("journalgen.vendors").iterdir():
        if entry.name.endswith(".yaml"):
            (folder / entry.name).write_bytes(entry.read_bytes())
    (folder / "acme.yaml").write_text(ACME)
    monkeypatch.setattr(presets_module, "files", lambda package: folder)
    presets.cache_clear()
    yield folder
    monkeypatch.undo()
    presets.cache_clear()


def test_a_new_vendor_is_only_a_data_file(acme: Path, tmp_path: Path) -> None:
    assert "acme" in presets()
    checked = check_source(spec_text("acme", region="north").encode(), "acme.yaml")
    assert checked.resolved.journal_address == "archive@journal.contoso.com"
    assert checked.resolved.connector.smart_hosts == ("n1.acme.example", "n2.acme.example")
    with pytest.raises(SpecError) as caught:
        check_source(spec_text("acme", region="south").encode(), "acme.yaml")
    assert [d.code for d in caught.value.diagnostics] == ["JG303"]

    runner = CliRunner()
    out = tmp_path / "acme-spec.yaml"
    flags = ["--domain", "contoso.com", "--organization", "contoso.onmicrosoft.com"]
    result = runner.invoke(
        main,
        ["init", "--vendor", "acme", "--region", "north", *flags, "--ndr-address", "n@contoso.com"],
    )
    assert result.exit_code == 0, result.output
    assert "ACME needs its own journal domain per tenant." in result.stdout
    out.write_text(result.stdout)
    assert runner.invoke(main, ["validate", str(out)]).exit_code == 0
    explained = runner.invoke(main, ["explain", str(out)])
    assert "preset, confirmed [acme-docs]" in explained.stdout
    listed = json.loads(runner.invoke(main, ["presets", "--format", "json"]).stdout)
    assert "acme" in [v["name"] for v in listed["vendors"]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("acme-docs, confidence: confirmed}", "nowhere, confidence: confirmed}"), "nowhere"),
        (("[s1.acme.example]", "null"), "value must be null exactly when"),
        (("name: acme", "name: other"), "names itself 'other'"),
        (("  south:", "  South:"), "South"),
        (("source: acme-forum,", "source: acme-forum, placeholder: x,"), "placeholder"),
    ],
)
def test_a_broken_preset_file_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "acme.yaml").write_text(ACME.replace(*change, 1))
    with pytest.raises(PresetError, match=message):
        load_presets(tmp_path)


def test_packaged_presets_cite_their_sources_and_say_how_sure() -> None:
    for preset in presets().values():
        entries = preset.entries()
        assert entries, preset.name
        for key, sourced in entries:
            assert sourced.source in preset.sources, (preset.name, key)
            assert (sourced.value is None) == (sourced.confidence == "unknown")


def test_every_vendor_has_a_sample() -> None:
    vendors = {yaml.safe_load(path.read_text())["archive"]["vendor"] for path in SAMPLES}
    assert set(presets()) <= vendors


def test_samples_start_with_the_schema_line() -> None:
    for path in SAMPLES:
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/journalgen-spec-v1.schema.json"


def _variants() -> Iterator[tuple[str, str | None, bool]]:
    for vendor, preset in presets().items():
        for region, ack in itertools.product([None, *preset.regions], [False, True]):
            yield vendor, region, ack


@pytest.mark.parametrize(("vendor", "region", "ack"), list(_variants()))
def test_no_unconfirmed_preset_value_is_used_without_acknowledgement(
    vendor: str, region: str | None, ack: bool
) -> None:
    """Every preset value that reaches the resolved spec (the script's only input) is confirmed,
    unless the spec says acknowledge_unconfirmed, and then a warning names it."""
    archive: dict[str, object] = {"journal_address": "j@archive.example.net"}
    if region is not None:
        archive["region"] = region
    if ack:
        archive["acknowledge_unconfirmed"] = True
    text = spec_text(vendor, **archive)
    try:
        checked = check_source(text.encode(), "spec.yaml")
    except SpecError as exc:
        codes = {d.code for d in exc.diagnostics}
        assert codes & {"JG302", "JG303", "JG304", "JG214"}, exc.diagnostics
        return
    preset_origins = [o for o in checked.resolved.origins.values() if o.kind == "preset"]
    unconfirmed = [o for o in preset_origins if o.confidence != "confirmed"]
    assert all(o.confidence in ("confirmed", "unconfirmed") for o in preset_origins)
    if not ack:
        assert unconfirmed == []
    assert bool(unconfirmed) == any(w.code == "JG305" for w in checked.warnings)


def test_unconfirmed_smart_hosts_never_reach_the_resolved_spec_silently() -> None:
    for vendor, preset in presets().items():
        for region, entry in preset.regions.items():
            hosts = entry.smart_hosts
            if hosts is None or hosts.confidence != "unconfirmed":
                continue
            text = spec_text(vendor, region=region)
            with pytest.raises(SpecError) as caught:
                check_source(text.encode(), "spec.yaml")
            messages = [d.message for d in caught.value.diagnostics if d.code == "JG303"]
            assert messages and "'connector.smart_hosts'" in messages[0]
            acknowledged = spec_text(vendor, region=region, acknowledge_unconfirmed=True)
            checked = check_source(acknowledged.encode(), "spec.yaml")
            assert checked.resolved.connector.smart_hosts == hosts.value
            assert [w.code for w in checked.warnings] == ["JG305"]


def test_unknown_preset_values_are_never_replaced_by_a_fallback() -> None:
    with pytest.raises(SpecError) as caught:
        check_source(
            spec_text(
                "proofpoint-essentials", region="us", journal_address="a@us.earchive.cloud"
            ).encode(),
            "spec.yaml",
        )
    assert [(d.code, "'connector.routing'" in d.message) for d in caught.value.diagnostics] == [
        ("JG302", True)
    ]


def test_the_address_alone_is_asked_for_when_the_vendor_issues_it() -> None:
    with pytest.raises(SpecError) as caught:
        check_source(spec_text("barracuda").encode(), "spec.yaml")
    (only,) = caught.value.diagnostics
    assert only.code == "JG302"
    assert "'archive.journal_address'" in only.message
    assert "<tenant id>@mas.<region>.barracudanetworks.com" in only.message


def test_a_region_only_value_asks_for_the_region() -> None:
    with pytest.raises(SpecError) as caught:
        check_source(spec_text("mimecast").encode(), "spec.yaml")
    assert [d.code for d in caught.value.diagnostics] == ["JG302"]
    assert "needs 'archive.region' (us, eu, de, au, je, za, ca, us-b)" in (
        caught.value.diagnostics[0].message
    )


def test_copying_a_preset_folder_keeps_every_vendor(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(Path(str(files("journalgen.vendors"))), folder)
    assert list(load_presets(folder)) == list(presets())


@pytest.mark.parametrize(
    ("vendor", "archive", "warned"),
    [
        ("cloudflare", {"journal_address": "t@journaling.mxrecord.com"}, True),
        ("cloudflare", {"journal_address": "t@Journaling.MXRecord.io"}, False),
        ("proofpoint-essentials", {"region": "us", "journal_address": "a@eu.earchive.cloud"}, True),
        (
            "proofpoint-essentials",
            {"region": "eu", "journal_address": "a@eu.earchive.cloud"},
            False,
        ),
        ("mimecast", {"region": "us", "journal_address": "journaling@journal.contoso.org"}, True),
        (
            "mimecast",
            {
                "region": "us",
                "journal_address": "journaling@journal.contoso.org",
                "journal_domain": "journal.contoso.org",
            },
            False,
        ),
        ("custom", {"journal_address": "j@anything.example"}, False),
    ],
)
def test_an_address_outside_the_presets_journal_domain_is_warned_about(
    vendor: str, archive: dict[str, object], warned: bool
) -> None:
    connector = {"routing": "mx_record"} if vendor in ("proofpoint-essentials", "custom") else {}
    data = yaml.safe_load(spec_text(vendor, **archive))
    if connector:
        data["connector"] = connector
    checked = check_source(yaml.safe_dump(data).encode(), "spec.yaml")
    codes = [w.code for w in checked.warnings]
    assert codes == (["JG306"] if warned else [])
    if warned:
        assert "archive.journal_domain" in checked.warnings[0].message

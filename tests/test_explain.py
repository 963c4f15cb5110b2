from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.compiler import check_source
from journalgen.explain import explain_values
from tests.conftest import GOLDEN, ROOT, SAMPLES, Golden


def explain(*args: str) -> str:
    result = CliRunner().invoke(main, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_explain_golden(sample: Path, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the file name shown is the one given, so keep it relative
    golden.check(f"explain/{sample.stem}.txt", explain(relative(sample)))


def test_every_explain_golden_has_a_sample() -> None:
    stems = {p.stem for p in SAMPLES}
    assert {p.stem for p in (GOLDEN / "explain").glob("*.txt")} <= stems


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_origin_is_explained(sample: Path) -> None:
    resolved = check_source(sample.read_bytes(), sample.name).resolved
    assert list(resolved.origins) == list(resolved.values)
    for item in explain_values(resolved):
        assert item.origin.kind in ("spec", "preset", "default", "derived")
        if item.origin.kind == "preset":
            assert item.origin.source and item.origin.confidence


def test_explain_shows_the_preset_source_and_the_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = explain("samples/wingtip-mimecast-eu.yaml")
    assert "preset, unconfirmed [community-script]" in text
    assert "[community-script] A community PowerShell script" in text
    assert "warning[JG305]" in text
    assert text == explain("samples/wingtip-mimecast-eu.yaml")


def test_explain_output_is_yaml_of_the_resolved_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    monkeypatch.chdir(ROOT)
    data = yaml.safe_load(explain("samples/contoso-mimecast.yaml"))
    assert data["archive"]["journal_address"] == "journaling@journal.contoso.com"
    assert data["connector"]["smart_hosts"] == [
        "us-smtp-journal-1.mimecast.com",
        "us-smtp-journal-2.mimecast.com",
    ]


def test_explain_json_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    payload = json.loads(explain("samples/adatum-barracuda.yaml", "--format", "json"))
    assert set(payload) == {
        "file",
        "vendor",
        "vendor_display_name",
        "region",
        "values",
        "sources",
        "notes",
        "prerequisites",
        "warnings",
    }
    by_path = {v["path"]: v for v in payload["values"]}
    assert by_path["connector.tls.mode"] == {
        "path": "connector.tls.mode",
        "value": "encryption_only",
        "origin": "preset",
        "detail": "barracuda preset, confirmed, source: barracuda-script",
        "source": "barracuda-script",
        "confidence": "confirmed",
    }
    assert by_path["archive.journal_domain"]["origin"] == "derived"
    assert by_path["connector.smart_hosts"]["value"] == []
    assert list(payload["sources"]) == ["barracuda-script"]
    assert [w["code"] for w in payload["warnings"]] == ["JG215"]


def test_explain_of_a_bad_spec_reports_its_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntenant:\n  primary_domain: contoso\n")
    result = CliRunner().invoke(main, ["explain", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:3:19: error[JG106]" in result.stderr and result.stdout == ""


def test_explain_fills_in_the_archive_side_prerequisites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    payload = json.loads(explain("samples/contoso-mimecast.yaml", "--format", "json"))
    assert payload["prerequisites"] == [
        "contoso.com is an internal domain of the Mimecast account (set up in Mimecast, outside "
        "Microsoft 365)."
    ]

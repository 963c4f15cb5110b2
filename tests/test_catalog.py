from __future__ import annotations

import json

from click.testing import CliRunner

from journalgen.cli import main
from journalgen.vendors import presets
from tests.conftest import ROOT

VENDORS_MD = ROOT / "docs" / "vendors.md"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["presets", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_presets_json_shape() -> None:
    payload = json.loads(run("--format", "json"))
    assert [v["name"] for v in payload["vendors"]] == list(presets())
    mimecast = next(v for v in payload["vendors"] if v["name"] == "mimecast")
    assert set(mimecast) == {
        "name",
        "display_name",
        "values",
        "regions",
        "sources",
        "notes",
        "prerequisites",
    }
    assert mimecast["values"]["journal_domain"] == {
        "value": "journal.{primary_domain}",
        "confidence": "confirmed",
        "source": "mimecast-guide",
        "placeholder": None,
    }
    regions = {r["name"]: r for r in mimecast["regions"]}
    assert regions["us"]["values"]["smart_hosts"]["value"] == [
        "us-smtp-journal-1.mimecast.com",
        "us-smtp-journal-2.mimecast.com",
    ]
    assert regions["eu"]["values"]["smart_hosts"]["confidence"] == "unconfirmed"
    assert regions["je"]["values"]["smart_hosts"]["value"] is None
    assert "mimecast-onboarding" in mimecast["sources"]


def test_presets_text_lists_vendors_regions_hosts_confidence_and_source() -> None:
    text = run()
    for name in presets():
        assert f"{name}: " in text
    assert "  region eu (EU grid):" in text
    assert (
        "    smart_hosts: eu-smtp-journal-1.mimecast.com, eu-smtp-journal-2.mimecast.com"
        "  [unconfirmed; community-script]"
    ) in text
    assert "  journal_domain: journal.<primary domain>  [confirmed; mimecast-guide]" in text
    assert "mailstream-east.mxrecord.io, mailstream-west.mxrecord.io  [confirmed;" in text

"""The committed JSON Schema, checked with a JSON Schema validator against the samples and the loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from journalgen.cli import main
from journalgen.spec import json_schema
from journalgen.vendors import presets
from tests.conftest import SAMPLES
from tests.spectext import BASE

jsonschema = pytest.importorskip("jsonschema")
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def valid(data: Any) -> bool:
    return bool(VALIDATOR.is_valid(data))


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_is_valid(sample: Path) -> None:
    assert valid(yaml.safe_load(sample.read_text()))


def test_null_is_refused_as_the_loader_refuses_it() -> None:
    assert valid(BASE)
    assert not valid({**BASE, "archive": {**BASE["archive"], "region": None}})
    assert not valid({**BASE, "ndr": {**BASE["ndr"], "queue_expiry_days": None}})
    assert "null" not in str(json_schema())


def test_vendors_and_regions_come_from_the_presets() -> None:
    archive = json_schema()["$defs"]["Archive"]["properties"]
    assert archive["vendor"]["enum"] == sorted(presets())
    assert "us" in archive["region"]["enum"]
    assert not valid({**BASE, "archive": {**BASE["archive"], "vendor": "archivecorp"}})


def test_a_region_must_be_one_of_its_vendors() -> None:
    mimecast = BASE["archive"]
    assert valid({**BASE, "archive": {**mimecast, "region": "eu"}})
    assert not valid({**BASE, "archive": {**mimecast, "region": "mars"}})
    custom = {"vendor": "custom", "journal_address": "j@archive.example"}
    assert valid({**BASE, "archive": custom})
    assert not valid({**BASE, "archive": {**custom, "region": "us"}})


def test_the_schema_names_no_url_for_itself() -> None:
    assert not str(json_schema()["$id"]).startswith("http")


# --- init: choices are case-insensitive and domains are written in lower case ------------------


def test_init_takes_choices_in_any_case_and_lowercases_domains() -> None:
    args = [
        "init",
        "--vendor=Mimecast",
        "--region=US",
        "--domain=Contoso.COM",
        "--organization=Contoso.onmicrosoft.com",
        "--ndr-address=Journal-NDR@Contoso.com",
        "--no-interactive",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["archive"]["vendor"] == "mimecast" and data["archive"]["region"] == "us"
    assert data["tenant"]["primary_domain"] == "contoso.com"
    assert data["tenant"]["organization"] == "contoso.onmicrosoft.com"
    assert data["ndr"]["address"] == "Journal-NDR@contoso.com"


def test_init_prompts_accept_a_choice_in_any_case() -> None:
    answers = "MIMECAST\nEu\ncontoso.com\ncontoso.onmicrosoft.com\nndr@contoso.com\n"
    result = CliRunner().invoke(main, ["init", "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "vendor: mimecast" in result.stdout and "region: eu" in result.stdout

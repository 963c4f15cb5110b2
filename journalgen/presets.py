"""Vendor presets: packaged data files of defaults, each carrying its source and confidence."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from journalgen.loader import load_yaml
from journalgen.spec import Items

Confidence = Literal["confirmed", "unconfirmed", "unknown"]
T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Sourced(_Model, Generic[T]):
    """A default value with where it came from and how sure that source is."""

    value: T | None
    source: str
    confidence: Confidence


class Region(_Model):
    smart_hosts: Sourced[Items[str]]


class Preset(_Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    display_name: str
    sources: dict[str, str]
    journal_domain: Sourced[str] | None = None
    journal_address: Sourced[str] | None = None
    connector_name: Sourced[str] | None = None
    routing: Sourced[Literal["smart_hosts", "mx_record"]] | None = None
    tls_mode: (
        Sourced[Literal["certificate_validation", "domain_validation", "encryption_only"]] | None
    ) = None
    ndr_domain_policy: Sourced[Literal["tenant", "external", "any"]] | None = None
    regions: dict[str, Region] = {}

    def source_text(self, key: str) -> str:
        return self.sources.get(key, key)


class PresetError(Exception):
    """A packaged preset file is broken: a bug in journalgen's data, not in a user's spec."""


def _load(filename: str, raw: bytes) -> Preset:
    document = load_yaml(raw, f"journalgen/vendors/{filename}")
    try:
        preset = Preset.model_validate(document.data)
    except ValidationError as exc:
        raise PresetError(f"vendor preset {filename} is invalid: {exc}") from None
    if f"{preset.name}.yaml" != filename:
        raise PresetError(f"vendor preset {filename} names itself '{preset.name}'")
    for sourced in _sourced_values(preset):
        if sourced.source not in preset.sources:
            raise PresetError(
                f"vendor preset {filename} cites an undefined source '{sourced.source}'"
            )
    return preset


def _sourced_values(preset: Preset) -> list[Sourced[Any]]:
    values: list[Sourced[Any] | None] = [
        preset.journal_domain,
        preset.journal_address,
        preset.connector_name,
        preset.routing,
        preset.tls_mode,
        preset.ndr_domain_policy,
        *(region.smart_hosts for region in preset.regions.values()),
    ]
    return [v for v in values if v is not None]


@functools.cache
def presets() -> dict[str, Preset]:
    """Every packaged vendor preset, by name, sorted."""
    folder = files("journalgen.vendors")
    found: dict[str, Preset] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            preset = _load(entry.name, entry.read_bytes())
            found[preset.name] = preset
    return found


def vendor_names() -> list[str]:
    return list(presets())

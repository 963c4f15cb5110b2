"""Vendor presets: the packaged YAML file of each archive vendor, loaded with every default's source and confidence."""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from journalgen.loader import load_yaml
from journalgen.spec import Items

Confidence = Literal["confirmed", "unconfirmed", "unknown"]
T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Sourced(_Model, Generic[T]):
    """A default value with where it came from and how sure that source is.

    ``value`` is null exactly when ``confidence`` is ``unknown``. ``placeholder`` is what
    ``journalgen init`` writes for a value only the vendor can issue (it may name
    ``{primary_domain}``, ``{journal_domain}`` and ``{region}``); it always holds a ``<...>`` part,
    which no domain, address or host accepts, so a spec still holding it never validates.
    """

    value: T | None
    source: str
    confidence: Confidence
    placeholder: str | None = Field(default=None, pattern=r"<[^<>]+>")

    @model_validator(mode="after")
    def _value_matches_confidence(self) -> Sourced[T]:
        if (self.value is None) != (self.confidence == "unknown"):
            raise ValueError("value must be null exactly when confidence is 'unknown'")
        return self


class Region(_Model):
    """One of the vendor's regions (grids, data centres); its values win over the vendor's."""

    display_name: str
    journal_domain: Sourced[str] | None = None
    journal_address: Sourced[str] | None = None
    smart_hosts: Sourced[Items[str]] | None = None


REGIONAL_KEYS = ("journal_domain", "journal_address", "smart_hosts")
VALUE_KEYS = (
    "journal_domain",
    "journal_address",
    "connector_name",
    "routing",
    "smart_hosts",
    "tls_mode",
    "ndr_domain_policy",
)
NAME = re.compile(r"[a-z][a-z0-9-]*")
# How a preset text shows a name it may use (``{primary_domain}``, ...) whose value is not known.
TEMPLATE_NAMES = {
    "primary_domain": "<primary domain>",
    "journal_domain": "<journal domain>",
    "region": "<region>",
}


def fill_template(text: str, values: dict[str, str] | None = None) -> str:
    """A preset text (value, placeholder, prerequisite) with the values known; others stay ``<name>``."""
    known = dict(TEMPLATE_NAMES)
    known.update({k: v for k, v in (values or {}).items() if v})
    return text.format(**known)


class Preset(_Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """The vendor name a spec writes in ``archive.vendor``; also the file's name."""
    display_name: str
    sources: dict[str, str]
    notes: Items[str] = ()
    """Facts an admin should read before using the preset; shown by init, explain and presets."""
    prerequisites: Items[str] = ()
    """What must be set up on the archive's side beyond receiving journal reports, listed in
    CHANGE.md's preconditions; may name ``{primary_domain}`` (:meth:`template_values`)."""
    journal_domain: Sourced[str] | None = None
    journal_address: Sourced[str] | None = None
    connector_name: Sourced[str] | None = None
    routing: Sourced[Literal["smart_hosts", "mx_record"]] | None = None
    smart_hosts: Sourced[Items[str]] | None = None
    tls_mode: (
        Sourced[Literal["certificate_validation", "domain_validation", "encryption_only"]] | None
    ) = None
    ndr_domain_policy: Sourced[Literal["tenant", "external", "any"]] | None = None
    regions: dict[str, Region] = {}

    def entries(self) -> list[tuple[str, Sourced[Any]]]:
        """Every default with its dotted key (``regions.us.smart_hosts``), in file order."""
        found: list[tuple[str, Sourced[Any]]] = []
        for key in VALUE_KEYS:
            value = getattr(self, key)
            if value is not None:
                found.append((key, value))
        for name, region in self.regions.items():
            for key in REGIONAL_KEYS:
                value = getattr(region, key)
                if value is not None:
                    found.append((f"regions.{name}.{key}", value))
        return found

    def cite(self, sourced: Sourced[Any]) -> str:
        """Where a value of this preset came from, as explain and init show it."""
        return f"{self.name} preset, {sourced.confidence}, source: {sourced.source}"

    def source_text(self, key: str) -> str:
        return self.sources.get(key, key)

    def lookup(self, key: str, region: str | None) -> Sourced[Any] | None:
        """The preset's entry for ``key``: the region's when it has one, else the vendor's."""
        chosen = self.regions.get(region) if region is not None else None
        if chosen is not None and key in REGIONAL_KEYS:
            found: Sourced[Any] | None = getattr(chosen, key)
            if found is not None:
                return found
        vendor_level: Sourced[Any] | None = getattr(self, key)
        return vendor_level

    def template_values(self, region: str | None, primary_domain: str) -> dict[str, str]:
        """The names a preset value may use (``{primary_domain}``, ...), filled in for a tenant."""
        values = {"primary_domain": primary_domain, "region": region or ""}
        journal_domain = self.lookup("journal_domain", region)
        if journal_domain is not None and journal_domain.value is not None:
            values["journal_domain"] = str(journal_domain.value).format(**values)
        return values

    def prerequisites_for(self, region: str | None, primary_domain: str) -> list[str]:
        """What must be set up on the archive's side, filled in for a tenant."""
        values = self.template_values(region, primary_domain)
        return [item.format(**values) for item in self.prerequisites]

    def needs_region(self, key: str) -> bool:
        """Only the regions, not the vendor as a whole, have an entry for ``key``."""
        return (
            key in REGIONAL_KEYS
            and getattr(self, key) is None
            and any(getattr(r, key) is not None for r in self.regions.values())
        )


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
    for key, sourced in preset.entries():
        if sourced.source not in preset.sources:
            raise PresetError(
                f"vendor preset {filename}: {key} cites an undefined source '{sourced.source}'"
            )
    for region in preset.regions:
        if not NAME.fullmatch(region):
            raise PresetError(
                f"vendor preset {filename}: region '{region}' is not a lowercase name"
            )
    return preset


def load_presets(folder: Traversable) -> dict[str, Preset]:
    """Every ``*.yaml`` preset in ``folder``, by name, sorted: a vendor is a data file, nothing more."""
    found: dict[str, Preset] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            preset = _load(entry.name, entry.read_bytes())
            found[preset.name] = preset
    return found


@functools.cache
def presets() -> dict[str, Preset]:
    """Every packaged vendor preset, by name, sorted."""
    return load_presets(files("journalgen.vendors"))


def vendor_names() -> list[str]:
    return list(presets())

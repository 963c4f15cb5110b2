"""A fleet of generated tenants: a specs folder and a states folder, each tenant in a known status.

The specs and states are the samples' (contoso-mimecast, wingtip-mimecast-eu) with their
domains and organizations replaced, so each tenant is a tenant of its own. Tenant ``i`` is, by
``i % 10``: in sync (0-5), would change (6), no state (7), stale state (8), problem (9).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "samples"
BASES = (
    ("contoso", "contoso-mimecast"),
    ("wingtiptoys", "wingtip-mimecast-eu"),
)
WORDS = ("fabrikam", "northwind", "adatum", "tailspin", "litware", "proseware", "alpine", "lucerne")
TLDS = ("com", "net", "org", "de", "co.uk", "fr")
STATUS_BY_REMAINDER = (
    *(["in-sync"] * 6),
    "would-change",
    "no-state",
    "stale-state",
    "problem",
)
STALE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Made:
    """Where the fleet is, and the status each spec (by name) should have."""

    specs: Path
    states: Path
    expected: dict[str, str]


def _renamed(text: str, token: str, name: str, tld: str) -> str:
    text = text.replace(f"{token}.onmicrosoft.com", "\0org")
    text = text.replace(f"{token}.com", f"{name}.{tld}")
    return text.replace("\0org", f"{name}.onmicrosoft.com").replace(token, name)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_fleet(folder: Path, count: int, now: datetime) -> Made:
    """``count`` tenants' specs in ``folder/specs`` and their states in ``folder/states``."""
    specs, states = folder / "specs", folder / "states"
    specs.mkdir(parents=True, exist_ok=True)
    states.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    for i in range(count):
        token, base = BASES[i % len(BASES)]
        name = f"{WORDS[i % len(WORDS)]}{i:04}"
        tld = TLDS[i % len(TLDS)]
        status = STATUS_BY_REMAINDER[i % len(STATUS_BY_REMAINDER)]
        spec = _renamed((SAMPLES / f"{base}.yaml").read_text("utf-8"), token, name, tld)
        (specs / f"{name}.yaml").write_text(spec, "utf-8", newline="\n")
        expected[name] = status
        if status == "no-state":
            continue
        source = "contoso-mimecast-drifted" if status == "would-change" else base
        state = json.loads(
            _renamed((SAMPLES / "states" / f"{source}.json").read_text("utf-8"), token, name, tld)
        )
        age = timedelta(days=STALE_DAYS if status == "stale-state" else 1)
        state["captured_at"] = _stamp(now - age)
        if status == "problem":
            # The tenant guard would stop: the primary domain is not the tenant's.
            state["accepted_domains"] = state["accepted_domains"][1:]
        # Named unlike the spec: states are paired by organization, not by file name.
        out = states / f"capture-{i:04}.json"
        out.write_text(json.dumps(state, indent=2) + "\n", "utf-8", newline="\n")
    return Made(specs, states, expected)

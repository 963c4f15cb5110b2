"""The Microsoft 365 clouds a tenant can live in: initial-domain suffix and sign-in environment of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cloud = Literal["commercial", "gcc", "gcc_high", "dod", "china"]


@dataclass(frozen=True, slots=True)
class CloudInfo:
    """What the scripts and checks need to know about one cloud."""

    label: str
    suffix: str
    """The suffix of the tenant's initial domain, after its one name label."""
    environment: str | None
    """`Connect-ExchangeOnline -ExchangeEnvironmentName`; ``None`` where Microsoft says to omit it."""
    sovereign: bool
    """A separate national cloud, whose egress no archive preset has confirmed."""


# Connect-ExchangeOnline.md: "Microsoft 365 or Microsoft 365 GCC: Don't use this parameter."
CLOUDS: dict[str, CloudInfo] = {
    "commercial": CloudInfo("Microsoft 365 (commercial)", ".onmicrosoft.com", None, False),
    "gcc": CloudInfo("Microsoft 365 GCC", ".onmicrosoft.com", None, False),
    "gcc_high": CloudInfo("Microsoft 365 GCC High", ".onmicrosoft.us", "O365USGovGCCHigh", True),
    "dod": CloudInfo("Microsoft 365 DoD", ".onmicrosoft.us", "O365USGovDoD", True),
    "china": CloudInfo(
        "Office 365 operated by 21Vianet", ".partner.onmschina.cn", "O365China", True
    ),
}

INITIAL_SUFFIXES = tuple(sorted({info.suffix for info in CLOUDS.values()}))


def initial_suffix(domain: str) -> str | None:
    """The initial-domain suffix ``domain`` ends in (one name label before it), if any."""
    lowered = domain.lower()
    for suffix in INITIAL_SUFFIXES:
        name = lowered.removesuffix(suffix)
        if name != lowered and name and "." not in name:
            return suffix
    return None


def in_initial_domain(domain: str) -> bool:
    """``domain`` is a tenant's initial domain or a subdomain of one, in any cloud."""
    lowered = domain.lower()
    return any(
        lowered.endswith(suffix) and lowered.removesuffix(suffix) for suffix in INITIAL_SUFFIXES
    )

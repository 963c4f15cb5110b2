"""The capture script (``journalgen capture-script``): its data block and the organization it may be built for."""

from __future__ import annotations

from journalgen import __version__
from journalgen.clouds import CLOUDS, initial_suffix


def organization_problem(organization: str, cloud: str) -> str | None:
    """Why ``organization`` cannot be the initial domain of a tenant in ``cloud``, if it cannot."""
    info = CLOUDS[cloud]
    suffix = initial_suffix(organization) if organization.isascii() else None
    if suffix == info.suffix:
        return None
    problem = (
        f"'{organization}' is not the initial domain of a tenant in "
        f"{info.label}: it looks like 'contoso{info.suffix}'"
    )
    clouds = [name for name, other in CLOUDS.items() if other.suffix == suffix]
    if clouds:
        # The domain is right for another cloud: the likelier mistake is the missing --cloud.
        problem += (
            "; add "
            + " or ".join(f"--cloud {name} ({CLOUDS[name].label})" for name in clouds)
            + " if the tenant is there"
        )
    return problem


def capture_meta(organization: str | None, cloud: str) -> dict[str, object]:
    """The capture script's data block (``$Journalgen``), read by its engine.

    With an organization, ``Assert-JgTenant`` checks it is an accepted domain of the tenant the
    script signed in to (``PrimaryDomain`` and ``Organization`` are both that domain).
    """
    org = organization.lower() if organization else None
    info = CLOUDS[cloud]
    return {
        "Version": __version__,
        "Organization": org,
        "PrimaryDomain": org,
        "Cloud": info.label,
        "InitialSuffix": info.suffix,
        "ExchangeEnvironmentName": info.environment,
    }


# How the fleet capture script signs in to each tenant of its list (``capture-script --fleet``).
FLEET_SIGN_INS = ("partner", "app-only")


def fleet_meta(sign_in: str, cloud: str) -> dict[str, object]:
    """The fleet capture script's data block: the single capture's, for no one tenant, and how
    it signs in (``partner``: -DelegatedOrganization, ``app-only``: -Organization, per tenant).
    """
    if sign_in not in FLEET_SIGN_INS:
        raise ValueError(f"unknown fleet sign-in {sign_in!r}")
    return {**capture_meta(None, cloud), "SignIn": sign_in}


def fleet_script(sign_in: str, cloud: str) -> bytes:
    """The read-only script that captures every tenant of a list into ``DIR/<organization>.json``."""
    from journalgen.app import require_pin
    from journalgen.emit import render_capture_fleet

    require_pin()
    return render_capture_fleet(sign_in, cloud)

"""Specs for one tenant: what each spec claims in the tenant, and the clashes between them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from journalgen.diagnostics import START, Diagnostic, Position
from journalgen.errors import SpecError
from journalgen.textpolicy import name_key

if TYPE_CHECKING:
    from journalgen.compiler import Checked
    from journalgen.loader import PositionIndex

Path = tuple[str | int, ...]

# The retire kinds and the kind of object each names.
_RETIRED_KIND = {
    "journal_rules": "journal rule",
    "contacts": "mail contact",
    "connectors": "outbound connector",
}


@dataclass(frozen=True, slots=True)
class Claim:
    """One thing a spec manages or retires in its tenant, and where the spec says so."""

    kind: str
    name: str
    path: Path

    @property
    def key(self) -> tuple[str, str]:
        # Exchange names and addresses are case-insensitive; composed and decomposed or
        # fullwidth forms look the same to a reviewer (textpolicy.name_key).
        return (self.kind, name_key(self.name))


@dataclass(frozen=True, slots=True)
class Claims:
    """What one spec claims in its tenant: small, so a batch of thousands stays in memory."""

    file: str
    organization: str
    managed: tuple[Claim, ...]
    retired: tuple[Claim, ...]
    ndr_address: Claim
    ndr_days: Claim | None
    primary_domain: Claim
    journal_address: Claim

    @classmethod
    def of(cls, checked: Checked) -> Claims:
        from journalgen.checks import managed_names

        r = checked.resolved
        names = {
            "journal_rules": [rule.name for rule in r.rules],
            "contacts": [r.contact.name],
            "connectors": [r.connector.name],
        }
        paths = managed_names(r)
        managed = [
            Claim(_RETIRED_KIND[kind], name, paths[kind][name.casefold()])
            for kind, found in names.items()
            for name in found
        ]
        address_path: Path = (
            ("archive", "journal_address")
            if r.origins["archive.journal_address"].kind == "spec"
            else ("archive",)
        )
        address = Claim("journal address", r.journal_address, address_path)
        managed.append(address)
        retired = tuple(
            Claim(what, name, ("retire", kind, index))
            for kind, what in _RETIRED_KIND.items()
            for index, name in enumerate(getattr(r.retire, kind))
        )
        days = r.ndr.queue_expiry_days
        return cls(
            file=checked.file,
            organization=r.organization.casefold(),
            managed=tuple(managed),
            retired=retired,
            ndr_address=Claim("NDR address", r.ndr.address, ("ndr", "address")),
            ndr_days=None
            if days is None
            else Claim("NDR queue days", str(days), ("ndr", "queue_expiry_days")),
            primary_domain=Claim("primary domain", r.primary_domain, ("tenant", "primary_domain")),
            journal_address=address,
        )


@dataclass(frozen=True, slots=True)
class _Found:
    code: str
    file: str
    path: Path
    other: str
    other_path: Path
    message: str


def _pair(a: Claims, b: Claims) -> Iterable[_Found]:
    """Every clash between two specs for one tenant, reported in both files."""
    theirs = {c.key: c for c in b.managed}
    for mine in a.managed:
        other = theirs.get(mine.key)
        if other is None:
            continue
        what = f"{mine.kind} '{mine.name}'"
        for here, there, f, g in ((mine, other, a, b), (other, mine, b, a)):
            yield _Found(
                "JG501",
                f.file,
                here.path,
                g.file,
                there.path,
                f"{what} is also managed by \x00 for tenant {a.organization}; two specs "
                "would overwrite each other: manage it in one spec",
            )
    for retirer, owner in ((a, b), (b, a)):
        owned = {c.key: c for c in owner.managed}
        for retired in retirer.retired:
            target = owned.get(retired.key)
            if target is None:
                continue
            what = f"{retired.kind} '{retired.name}'"
            yield _Found(
                "JG502",
                retirer.file,
                retired.path,
                owner.file,
                target.path,
                f"{what} is retired here but managed by \x00 for tenant {a.organization}; "
                "each apply would undo the other: retire it only once that spec is gone",
            )
            yield _Found(
                "JG502",
                owner.file,
                target.path,
                retirer.file,
                retired.path,
                f"{what} is managed here but retired by \x00 for tenant {a.organization}; "
                "each apply would undo the other: remove it from one of the specs",
            )
    ndr = [(a.ndr_address, b.ndr_address)]
    if a.ndr_days is not None and b.ndr_days is not None:
        ndr.append((a.ndr_days, b.ndr_days))
    for x, y in ndr:
        if name_key(x.name) == name_key(y.name):
            continue
        for here, there, f, g in ((x, y, a, b), (y, x, b, a)):
            yield _Found(
                "JG503",
                f.file,
                here.path,
                g.file,
                there.path,
                f"the {here.kind} {here.name} differs from {there.name} in \x00 for tenant "
                f"{a.organization}; it is one setting per tenant: give both specs the same value",
            )


# What two specs for different tenants cannot share, and why.
_ACROSS = {
    "primary_domain": (
        "JG505",
        "a domain belongs to one tenant, so one of the two organizations is wrong",
    ),
    "journal_address": (
        "JG506",
        "each tenant would journal its mail into the other's archive account",
    ),
}


def _across(a: Claims, b: Claims, field: str) -> Iterable[_Found]:
    code, why = _ACROSS[field]
    x, y = getattr(a, field), getattr(b, field)
    for here, there, f, g in ((x, y, a, b), (y, x, b, a)):
        yield _Found(
            code,
            f.file,
            here.path,
            g.file,
            there.path,
            f"the {here.kind} {here.name} of tenant {f.organization} is also the "
            f"{there.kind} of tenant {g.organization} in \x00; {why}",
        )


def _clashes_across(claims: Sequence[Claims]) -> list[_Found]:
    # Grouped by the shared value first, so thousands of tenants stay linear.
    found: list[_Found] = []
    for field in _ACROSS:
        sharing: dict[str, list[Claims]] = {}
        for c in claims:
            claim: Claim = getattr(c, field)
            sharing.setdefault(name_key(claim.name), []).append(c)
        for same in sharing.values():
            for i, a in enumerate(same):
                for b in same[i + 1 :]:
                    if b.organization != a.organization:
                        found.extend(_across(a, b, field))
    return found


def clashes(claims: Sequence[Claims], read: Callable[[str], bytes]) -> list[Diagnostic]:
    """Every clash between specs for the same tenant, each reported in both files.

    ``read`` gives a file's bytes, to place the diagnostics: positions are worked out only for
    files that clash, so nothing per spec is kept beyond its claims.
    """
    from journalgen.loader import load_yaml

    by_tenant: dict[str, list[Claims]] = {}
    for c in claims:
        by_tenant.setdefault(c.organization, []).append(c)
    found = [
        f
        for group in by_tenant.values()
        for i, a in enumerate(group)
        for b in group[i + 1 :]
        for f in _pair(a, b)
    ]
    found += _clashes_across(claims)
    indexes: dict[str, PositionIndex] = {}

    def where(file: str, path: Path) -> Position:
        if file not in indexes:
            try:
                indexes[file] = load_yaml(read(file), file).index
            except SpecError:  # changed since it was checked, or not readable twice
                return START
        return indexes[file].locate(path)

    out = []
    for f in found:
        pos, other = where(f.file, f.path), where(f.other, f.other_path)
        # NUL marks where the other file goes: no spec text can hold it (textpolicy).
        message = f.message.replace("\x00", f"{f.other}:{other.line}:{other.column}")
        out.append(Diagnostic.at(f.file, pos, f.code, message))
    return sorted(out, key=Diagnostic.sort_key)

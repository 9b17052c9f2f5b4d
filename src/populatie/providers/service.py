"""The register of providers and of their memberships of partnerships, with history.

Finance writes it (API and CLI); every write is a new version row and an audit event in the
caller's unit of work, so a change is committed with its audit entry or not at all. The
configuration seeds version 1 of what the award names (``seed_memberships``); later versions
are never overwritten by a reload.

Reconciliation asks :func:`memberships_by_partnership` who was a lead, member or subcontractor
of a partnership on a booking date: a provider that was, is no exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from populatie.auth.audit import Audit
from populatie.configuration import PartnershipConfig
from populatie.errors import ConflictError, DataError, NotFoundError
from populatie.providers.models import ROLES, Membership, Provider
from populatie.registry.models import Partnership

__all__ = [
    "ROLES",
    "Audit",
    "MembershipView",
    "ProviderView",
    "add_member",
    "add_provider",
    "end_member",
    "list_members",
    "list_providers",
    "memberships_by_partnership",
    "seed_memberships",
]

EIGHT_DIGITS = re.compile(r"^\d{8}$")
CONFIG_ACTOR = "config"


@dataclass(frozen=True)
class ProviderView:
    name: str
    kvk_number: str | None
    agb_code: str | None
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kvk_number": self.kvk_number,
            "agb_code": self.agb_code,
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MembershipView:
    partnership: str
    provider: str
    role: str
    valid_from: date
    valid_to: date | None
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str
    source: str

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def as_json(self) -> dict[str, object]:
        return {
            "partnership": self.partnership,
            "provider": self.provider,
            "role": self.role,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "reason": self.reason,
            "source": self.source,
        }


def _provider_view(row: Provider) -> ProviderView:
    return ProviderView(
        name=row.name,
        kvk_number=row.kvk_number,
        agb_code=row.agb_code,
        version=row.version,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        reason=row.reason,
    )


def _membership_view(row: Membership) -> MembershipView:
    return MembershipView(
        partnership=row.partnership_name,
        provider=row.provider_name,
        role=row.role,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        version=row.version,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        reason=row.reason,
        source=row.source,
    )


def _code(field: str, value: str | None) -> str | None:
    """A KvK number or AGB code: eight digits, or absent."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not EIGHT_DIGITS.match(value):
        raise DataError(
            f"{field} {value!r} is not valid: it has 8 digits",
            details=[{"field": field, "value": value, "reason": "must be 8 digits"}],
        )
    return value


def _name(field: str, value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise DataError(
            f"{field} is empty", details=[{"field": field, "value": value, "reason": "empty"}]
        )
    return name


def _flush(session: Session, what: str) -> None:
    """Two writers racing past the checks meet the unique key: a conflict, not a crash."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"{what} was changed at the same moment; read it again") from None


# ---------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------


def _current_providers(session: Session) -> dict[str, Provider]:
    current: dict[str, Provider] = {}
    for row in session.execute(select(Provider).order_by(col(Provider.version))).scalars():
        current[row.name] = row
    return current


def _current_provider(session: Session, name: str) -> Provider | None:
    return (
        session.execute(
            select(Provider)
            .where(col(Provider.name) == name)
            .order_by(col(Provider.version).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def add_provider(
    session: Session,
    name: str,
    kvk_number: str | None,
    agb_code: str | None,
    actor: str,
    audit: Audit,
    reason: str = "",
) -> ProviderView:
    """Register a provider, or record its new KvK number or AGB code as the next version.
    The same facts again change nothing and are refused."""
    name = _name("name", name)
    kvk = _code("kvk_number", kvk_number)
    agb = _code("agb_code", agb_code)
    current = _current_provider(session, name)
    if current is not None and (current.kvk_number, current.agb_code) == (kvk, agb):
        raise ConflictError(f"provider {name} is registered already with these facts")
    row = Provider(
        name=name,
        version=1 if current is None else current.version + 1,
        kvk_number=kvk,
        agb_code=agb,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        reason=reason or ("registered" if current is None else "changed"),
    )
    session.add(row)
    _flush(session, f"provider {name}")
    detail: dict[str, Any] = {"version": row.version, "kvk_number": kvk, "agb_code": agb}
    if current is not None:
        detail["before"] = {"kvk_number": current.kvk_number, "agb_code": current.agb_code}
    audit("provider.add" if current is None else "provider.change", f"provider/{name}", detail)
    return _provider_view(row)


def list_providers(session: Session) -> list[ProviderView]:
    """The current version of every provider, by name."""
    return [_provider_view(r) for _, r in sorted(_current_providers(session).items())]


# ---------------------------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------------------------


def _partnership(session: Session, name: str) -> str:
    if session.get(Partnership, name) is None:
        raise NotFoundError(f"partnership {name!r} is not of record")
    return name


def _current_memberships(session: Session, partnership: str | None = None) -> list[Membership]:
    """The highest version of each membership (partnership, provider, valid_from)."""
    query = select(Membership).order_by(col(Membership.version))
    if partnership is not None:
        query = query.where(col(Membership.partnership_name) == partnership)
    current: dict[tuple[str, str, date], Membership] = {}
    for row in session.execute(query).scalars():
        current[(row.partnership_name, row.provider_name, row.valid_from)] = row
    return sorted(
        current.values(),
        key=lambda r: (r.partnership_name, ROLES.index(r.role), r.provider_name, r.valid_from),
    )


def _overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return a_from <= (b_to or date.max) and b_from <= (a_to or date.max)


def add_member(
    session: Session,
    partnership: str,
    provider: str,
    role: str,
    valid_from: date,
    valid_to: date | None,
    actor: str,
    audit: Audit,
    reason: str = "",
) -> MembershipView:
    """Record that ``provider`` is a lead, member or subcontractor of ``partnership`` from
    ``valid_from`` (to ``valid_to``, inclusive, when known). A provider holds one role in a
    partnership at a time, and a partnership has one lead at a time."""
    partnership = _partnership(session, partnership)
    provider = _name("provider", provider)
    if role not in ROLES:
        raise DataError(
            f"role {role!r} is not one of {', '.join(ROLES)}",
            details=[{"field": "role", "value": role, "reason": "unknown role"}],
        )
    if valid_to is not None and valid_to < valid_from:
        raise DataError(
            f"valid_to {valid_to} is before valid_from {valid_from}",
            details=[{"field": "valid_to", "value": str(valid_to), "reason": "before valid_from"}],
        )
    if _current_provider(session, provider) is None:
        raise DataError(
            f"provider {provider!r} is not registered: register it first "
            "(POST /api/providers or `populatie providers add`)",
            details=[{"field": "provider", "value": provider, "reason": "not registered"}],
        )
    for other in _current_memberships(session, partnership):
        if not _overlap(valid_from, valid_to, other.valid_from, other.valid_to):
            continue
        until = other.valid_to or "open-ended"
        if other.provider_name == provider:
            raise ConflictError(
                f"{provider} is already {other.role} of {partnership} from {other.valid_from} "
                f"to {until}; end that membership first"
            )
        if role == "lead" and other.role == "lead":
            raise ConflictError(
                f"{partnership} already has lead {other.provider_name} from {other.valid_from} "
                f"to {until}; end that membership first"
            )
    row = Membership(
        partnership_name=partnership,
        provider_name=provider,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        version=1,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        reason=reason or "added",
    )
    session.add(row)
    _flush(session, f"membership of {provider} in {partnership}")
    audit(
        "membership.add",
        f"partnership/{partnership}/members/{provider}",
        {
            "role": role,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return _membership_view(row)


def end_member(
    session: Session,
    partnership: str,
    provider: str,
    ends_on: date,
    actor: str,
    audit: Audit,
    reason: str = "",
) -> MembershipView:
    """End the membership that holds on ``ends_on`` (its last day): the next version of it."""
    partnership = _partnership(session, partnership)
    provider = _name("provider", provider)
    holding = [
        m
        for m in _current_memberships(session, partnership)
        if m.provider_name == provider and m.valid_from <= ends_on
    ]
    current = next((m for m in holding if _membership_view(m).holds_on(ends_on)), None)
    if current is None:
        raise NotFoundError(f"{provider} is no member of {partnership} on {ends_on}")
    if current.valid_to == ends_on:
        raise ConflictError(f"the membership of {provider} in {partnership} ends on {ends_on}")
    row = Membership(
        partnership_name=current.partnership_name,
        provider_name=current.provider_name,
        role=current.role,
        valid_from=current.valid_from,
        valid_to=ends_on,
        version=current.version + 1,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        reason=reason or "ended",
        source=current.source,
    )
    session.add(row)
    _flush(session, f"membership of {provider} in {partnership}")
    audit(
        "membership.end",
        f"partnership/{partnership}/members/{provider}",
        {
            "role": current.role,
            "valid_from": current.valid_from.isoformat(),
            "valid_to": ends_on.isoformat(),
            "before": current.valid_to.isoformat() if current.valid_to else None,
            "version": row.version,
        },
    )
    return _membership_view(row)


def list_members(
    session: Session, partnership: str, on: date | None = None, *, history: bool = False
) -> list[MembershipView]:
    """The memberships of a partnership as they stand (lead first), or only those holding
    on ``on``; with ``history``, every version, oldest first."""
    partnership = _partnership(session, partnership)
    if history:
        rows = session.execute(
            select(Membership)
            .where(col(Membership.partnership_name) == partnership)
            .order_by(col(Membership.recorded_at), col(Membership.id))
        ).scalars()
        return [_membership_view(r) for r in rows]
    views = [_membership_view(r) for r in _current_memberships(session, partnership)]
    return [v for v in views if on is None or v.holds_on(on)]


def memberships_by_partnership(session: Session) -> dict[str, list[MembershipView]]:
    """The current memberships of every partnership that has any."""
    result: dict[str, list[MembershipView]] = {}
    for row in _current_memberships(session):
        result.setdefault(row.partnership_name, []).append(_membership_view(row))
    return result


def seed_memberships(session: Session, partnerships: Sequence[PartnershipConfig]) -> int:
    """Write version 1 of each configured membership (and of its provider) that the register
    lacks; what finance changed since is left as it is. Returns how many were added."""
    providers = _current_providers(session)
    known = {
        (m.partnership_name, m.provider_name, m.valid_from)
        for m in session.execute(select(Membership)).scalars()
    }
    now = datetime.now(UTC)
    added = 0
    for p in partnerships:
        for m in p.membership:
            if m.provider not in providers:
                providers[m.provider] = Provider(
                    name=m.provider,
                    version=1,
                    recorded_at=now,
                    recorded_by=CONFIG_ACTOR,
                    reason=f"configured ({m.source})" if m.source else "configured",
                )
                session.add(providers[m.provider])
            if (p.name, m.provider, m.valid_from) in known:
                continue
            session.add(
                Membership(
                    partnership_name=p.name,
                    provider_name=m.provider,
                    role=m.role,
                    valid_from=m.valid_from,
                    version=1,
                    recorded_at=now,
                    recorded_by=CONFIG_ACTOR,
                    reason="configured",
                    source=m.source,
                )
            )
            added += 1
    session.flush()
    return added

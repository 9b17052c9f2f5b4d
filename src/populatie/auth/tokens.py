"""Bearer tokens: issued once, stored as a SHA-256 hash only, resolved to a :class:`Principal`.

The token itself is shown once, when it is issued, and never stored; a lost token is revoked and
a new one issued. Every request resolves its token; the HTTP layer keeps each answer for
:data:`CACHE_SECONDS` (:class:`populatie.auth.access.PrincipalResolver`), so a revocation takes
effect within about that time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.audit import record_event
from populatie.auth.models import ApiToken
from populatie.errors import ConfigurationError, NotFoundError
from populatie.registry.models import Partnership

TOKEN_PREFIX = "pop_"
CACHE_SECONDS = 5.0


class Role(StrEnum):
    """What a token may do; see SPEC "Access"."""

    FINANCE = "finance"  # everything
    PLANNER = "planner"  # scenarios and runs; proposes adoption
    AUDITOR = "auditor"  # reads everything
    CONSORTIUM = "consortium"  # reads its own partnership's data only


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the token's id, role and, for a consortium, its partnership."""

    token_id: int
    role: Role
    partnership: str | None
    label: str

    @property
    def actor(self) -> str:
        """How the audit log and the runs name this caller."""
        return f"token:{self.token_id}" + (f" ({self.label})" if self.label else "")

    @property
    def scope(self) -> str | None:
        """The partnership this caller is confined to, or None for an unconfined role."""
        return self.partnership if self.role is Role.CONSORTIUM else None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    role: str,
    partnership: str | None,
    label: str,
    user: str,
) -> IssuedToken:
    """Create a token (caller commits); the plain token is in the result and nowhere else."""
    try:
        parsed = Role(role)
    except ValueError:
        raise ConfigurationError(
            f"unknown role {role!r}; roles are {', '.join(r.value for r in Role)}",
            details=[{"field": "role", "reason": "unknown role"}],
        ) from None
    if parsed is Role.CONSORTIUM:
        if not partnership:
            raise ConfigurationError(
                "a consortium token needs --partnership NAME",
                details=[{"field": "partnership", "reason": "required for consortium"}],
            )
        if session.get(Partnership, partnership) is None:
            known = session.execute(select(col(Partnership.name))).scalars().all()
            raise ConfigurationError(
                f"unknown partnership {partnership!r}; known: {', '.join(sorted(known)) or 'none'}"
                " (run `populatie load` first)",
                details=[{"field": "partnership", "reason": "unknown partnership"}],
            )
    elif partnership:
        raise ConfigurationError(
            f"only a consortium token is bound to a partnership, not a {parsed.value} token",
            details=[{"field": "partnership", "reason": "only for consortium"}],
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        token_hash=hash_token(token),
        role=parsed.value,
        partnership_name=partnership if parsed is Role.CONSORTIUM else None,
        label=label,
        created_at=datetime.now(UTC),
        created_by=user,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor=user,
        role="cli",
        partnership=None,
        action="token.create",
        target=f"token:{record.id}",
        detail={"role": record.role, "partnership": record.partnership_name, "label": label},
    )
    return IssuedToken(token=token, record=record)


def list_tokens(session: Session, *, include_revoked: bool = True) -> list[ApiToken]:
    query = select(ApiToken).order_by(col(ApiToken.id))
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return list(session.execute(query).scalars())


def revoke_token(session: Session, token_id: int, user: str) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFoundError(f"token {token_id} does not exist")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.add(record)
        session.flush()
        record_event(
            session,
            actor=user,
            role="cli",
            partnership=None,
            action="token.revoke",
            target=f"token:{token_id}",
            detail={"role": record.role, "label": record.label},
        )
    return record


def find_principal(session: Session, token: str) -> Principal | None:
    """The principal a presented token stands for, or None if unknown or revoked."""
    record = session.execute(
        select(ApiToken).where(col(ApiToken.token_hash) == hash_token(token))
    ).scalar_one_or_none()
    if record is None or record.revoked_at is not None or record.id is None:
        return None
    return Principal(
        token_id=record.id,
        role=Role(record.role),
        partnership=record.partnership_name,
        label=record.label,
    )

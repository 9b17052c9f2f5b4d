"""Secrets every worker and every restart must share, such as the one signing the CSRF cookies.

``POPULATIE_SECRET_KEY`` when it is set; otherwise one generated the first time it is needed and
kept in the database (``server_secret``), so that workers started together agree on it too: the
first insert wins, the others read what it wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from populatie.auth.models import ServerSecret
from populatie.settings import Settings

__all__ = ["CSRF_SECRET", "derive", "server_secret"]

CSRF_SECRET = "csrf"


def server_secret(engine: Engine, settings: Settings, name: str = CSRF_SECRET) -> str:
    """The secret ``name``: derived from ``POPULATIE_SECRET_KEY``, or else kept in the database."""
    if settings.secret_key:
        return derive(settings.secret_key, name)
    with Session(engine) as session:
        kept = session.get(ServerSecret, name)
        if kept is not None:
            return kept.value
        session.add(
            ServerSecret(name=name, value=secrets.token_urlsafe(32), created_at=datetime.now(UTC))
        )
        try:
            session.commit()
        except IntegrityError:  # another worker was first
            session.rollback()
    with Session(engine) as session:
        kept = session.get(ServerSecret, name)
        assert kept is not None
        return kept.value


def derive(key: str, purpose: str) -> str:
    """A secret for one purpose, so that one key never signs two kinds of things alike."""
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).hexdigest()

"""Bearer tokens (stored as hashes only) and the audit log of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=20)
    partnership_name: str | None = Field(default=None, foreign_key="partnership.name")
    label: str = ""
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str
    role: str = Field(max_length=20)
    partnership_name: str | None = None
    action: str = Field(max_length=60)
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WebSession(SQLModel, table=True):
    """A signed-in browser: the SHA-256 hash of its session id (the id itself is only in the
    cookie), who it is signed in as and until when. Kept in the database, so every worker and
    every restart sees the same sessions."""

    __tablename__ = "web_session"

    id_hash: str = Field(max_length=64, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    role: str = Field(max_length=20)
    partnership_name: str | None = None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime = Field(index=True)


class ServerSecret(SQLModel, table=True):
    """A secret the server generated once (e.g. for signing the pages' CSRF cookies), shared by
    every worker and kept over restarts."""

    __tablename__ = "server_secret"

    name: str = Field(max_length=40, primary_key=True)
    value: str = Field(max_length=200)
    created_at: datetime

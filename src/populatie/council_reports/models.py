"""Council reports: frozen snapshots, stored as the exact text they were hashed from.

The snapshot is kept as text (canonical JSON), not as a JSON column: a database may store JSON
in its own form (PostgreSQL's ``jsonb`` reorders keys), and the report must be reproduced byte
for byte from what was stored. ``content_hash`` is the SHA-256 of that text; the same content a
second time is the same report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class CouncilReport(SQLModel, table=True):
    __tablename__ = "council_report"

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: str = Field(max_length=6, index=True)
    year: int
    to_month: int
    content_hash: str = Field(max_length=64, unique=True)
    snapshot: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    created_by: str

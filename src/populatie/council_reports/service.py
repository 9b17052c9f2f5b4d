"""Council reports over a session: create (atomic, audited, the same content once), list,
read, and the files, made from the stored snapshot alone.

Creating reads the figures of the moment and freezes them; nothing read later (new spending,
a new adoption) changes a stored report. Exporting never reads anything but the stored row: it
checks the stored text still has its hash, and renders it with the row's own creation time as
the files' time, so the same report gives the same bytes whenever it is exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, col

from populatie.auth.audit import record_event
from populatie.configuration import RegionConfig
from populatie.council_reports.models import CouncilReport
from populatie.council_reports.render import report_html, report_pdf, report_xlsx
from populatie.council_reports.snapshot import build_snapshot, canonical_json, content_hash
from populatie.errors import ConflictError, NotFoundError
from populatie.kpis.register import Register

__all__ = ["Created", "Format", "create_report", "export_report", "get_report", "list_reports"]

Format = Literal["pdf", "xlsx", "html"]


@dataclass(frozen=True)
class Created:
    report: CouncilReport
    created: bool


def _existing(session: Session, digest: str) -> CouncilReport | None:
    return session.execute(
        select(CouncilReport).where(col(CouncilReport.content_hash) == digest)
    ).scalar_one_or_none()


def create_report(
    engine: Engine,
    municipality: str,
    year: int,
    to_month: int,
    register: Register,
    config: RegionConfig | None,
    *,
    actor: str,
    role: str,
) -> Created:
    """Freeze the figures of ``municipality`` for ``year`` up to ``to_month``; the same content
    a second time is the report stored before (and says so)."""
    with Session(engine) as session:
        text = canonical_json(
            build_snapshot(session, municipality, year, to_month, register, config)
        )
    digest = content_hash(text)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            earlier = _existing(session, digest)
            if earlier is not None:
                return Created(earlier, False)
            report = CouncilReport(
                municipality_code=municipality,
                year=year,
                to_month=to_month,
                content_hash=digest,
                snapshot=text,
                created_at=datetime.now(UTC).replace(microsecond=0),
                created_by=actor,
            )
            session.add(report)
            session.flush()
            record_event(
                session,
                actor=actor,
                role=role,
                partnership=None,
                action="council-report.create",
                target=f"council_report/{report.id}",
                detail={
                    "municipality": municipality,
                    "year": year,
                    "to_month": to_month,
                    "content_hash": digest,
                },
            )
            return Created(report, True)
    except sa_exc.IntegrityError:
        with Session(engine, expire_on_commit=False) as session:
            again = _existing(session, digest)  # made at the same moment by someone else
        if again is None:
            raise
        return Created(again, False)


def list_reports(session: Session, municipality: str | None = None) -> list[CouncilReport]:
    query = select(CouncilReport).order_by(col(CouncilReport.id).desc())
    if municipality is not None:
        query = query.where(col(CouncilReport.municipality_code) == municipality)
    return list(session.execute(query).scalars())


def get_report(session: Session, report_id: int) -> CouncilReport:
    report = session.get(CouncilReport, report_id)
    if report is None:
        raise NotFoundError(f"council report {report_id} not found")
    return report


def snapshot_of(report: CouncilReport) -> dict[str, Any]:
    """The stored snapshot, after checking that its text still has its hash."""
    if content_hash(report.snapshot) != report.content_hash:
        raise ConflictError(
            f"council report {report.id}: the stored snapshot no longer matches its hash"
        )
    snapshot: dict[str, Any] = json.loads(report.snapshot)
    return snapshot


def export_report(report: CouncilReport, fmt: Format) -> bytes:
    """The report's file, from the stored snapshot and the report's own creation time."""
    snapshot = snapshot_of(report)
    meta = {"id": report.id, "content_hash": report.content_hash, "created_at": report.created_at}
    if fmt == "xlsx":
        return report_xlsx(snapshot, meta)
    if fmt == "html":
        return report_html(snapshot, meta).encode("utf-8")
    return report_pdf(snapshot, meta)


def file_name(report: CouncilReport, fmt: str) -> str:
    return (
        f"raadsrapportage-{report.municipality_code}-{report.year}-{report.to_month:02d}"
        f"-{report.id}.{fmt}"
    )

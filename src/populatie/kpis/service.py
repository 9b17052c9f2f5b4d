"""Import a file of aggregated figures: validated whole, written in one transaction, or not at all.

The unit of work is the file: the ``kpi_import`` row (its unique content hash makes the same
file a second time a no-op that says so, also when two arrive at once), every figure, the
provider cells its figures change (:mod:`populatie.kpis.provider_cells`) and the audit event, in
one transaction. A figure already imported from another file (the same KPI,
period, unit, segment, area and category) is an error naming that file and line: figures are
not silently replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, and_, insert, or_, select
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, col

from populatie.auth.audit import record_event
from populatie.districts.models import Municipality
from populatie.errors import DataError
from populatie.kpis.models import KpiFigure, KpiImport
from populatie.kpis.parsing import (
    FigureFileError,
    FigureRow,
    Known,
    content_hash,
    parse_figures,
)
from populatie.kpis.provider_cells import refresh_provider_cells, slices_of
from populatie.kpis.register import Register, load_register
from populatie.registry.models import Area, Partnership
from populatie.segments.models import Segment
from populatie.spending.parsing import RowError

__all__ = ["FigureImportError", "ImportOutcome", "import_figures", "known", "register_of"]


class FigureImportError(DataError):
    """A figures file is rejected; ``details`` lists every ``{line, column, value, reason}``."""

    problem_type = "kpi-import"


@dataclass(frozen=True)
class ImportOutcome:
    imported: bool
    import_id: int
    content_hash: str
    file_name: str
    rows: int
    imported_at: datetime

    def summary(self) -> str:
        if not self.imported:
            return (
                f"{self.file_name}: imported before (import {self.import_id}, "
                f"{self.imported_at:%Y-%m-%d %H:%M}); nothing changed"
            )
        return f"{self.file_name}: {self.rows} figures imported (import {self.import_id})"


@lru_cache(maxsize=4)
def _cached_register(folder: str, segments: frozenset[str]) -> Register:
    return load_register(Path(folder), set(segments))


def register_of(config_dir: Path, segments: Sequence[str] | None = None) -> Register:
    """The register of ``config_dir``, checked against ``segments`` when given."""
    if segments is None:
        from populatie.configuration import load_config

        segments = [s.code for s in load_config(config_dir).segments]
    return _cached_register(str(config_dir), frozenset(segments))


def known(session: Session, register: Register) -> Known:
    areas = {
        a.code: (a.municipality_code, a.partnership_name)
        for a in session.execute(select(Area)).scalars()
    }
    return Known(
        register=register,
        segments=frozenset(session.execute(select(col(Segment.code))).scalars()),
        partnerships=frozenset(session.execute(select(col(Partnership.name))).scalars()),
        municipalities=frozenset(session.execute(select(col(Municipality.code))).scalars()),
        areas=areas,
    )


def import_figures(
    engine: Engine,
    data: bytes,
    file_name: str,
    register: Register,
    *,
    actor: str,
    role: str,
) -> ImportOutcome:
    """Import the file's figures, or refuse it whole with every error."""
    digest = content_hash(data)
    earlier = _earlier(engine, digest, file_name)
    if earlier is not None:
        return earlier
    with Session(engine) as session:
        facts = known(session, register)
    if not facts.municipalities:
        raise DataError("no municipalities of record: run `populatie load` first")
    try:
        rows = parse_figures(data, file_name, facts)
    except FigureFileError as exc:
        raise _rejected(file_name, exc.errors) from None
    try:
        with Session(engine) as session, session.begin():
            clashes = _stored_clashes(session, rows)
            if clashes:
                raise _rejected(file_name, clashes)
            now = datetime.now(UTC)
            record = KpiImport(
                content_hash=digest,
                file_name=file_name,
                rows=len(rows),
                imported_at=now,
                imported_by=actor,
            )
            session.add(record)
            session.flush()
            assert record.id is not None
            session.execute(
                insert(KpiFigure),
                [_values(record.id, r) for r in rows],
            )
            refresh_provider_cells(
                session,
                slices_of((r.kpi_code, r.segment_code, r.provider, r.period) for r in rows),
            )
            record_event(
                session,
                actor=actor,
                role=role,
                partnership=None,
                action="kpis.import",
                target=f"kpi_import/{record.id}",
                detail={"file": file_name, "content_hash": digest, "rows": len(rows)},
            )
            return ImportOutcome(True, record.id, digest, file_name, len(rows), now)
    except sa_exc.IntegrityError:
        again = _earlier(engine, digest, file_name)
        if again is not None:
            return again  # the same file, imported at the same moment by someone else
        with Session(engine) as session:
            clashes = _stored_clashes(session, rows)
        if clashes:
            raise _rejected(file_name, clashes) from None
        raise


def _values(import_id: int, r: FigureRow) -> dict[str, object]:
    return {
        "import_id": import_id,
        "line": r.line,
        "kpi_code": r.kpi_code,
        "period": r.period,
        "year": r.year,
        "start_month": r.start_month,
        "months": r.months,
        "partnership_name": r.partnership_name,
        "provider": r.provider,
        "segment_code": r.segment_code,
        "municipality_code": r.municipality_code,
        "area_code": r.area_code,
        "category": r.category,
        "numerator": r.numerator,
        "denominator": r.denominator,
        "value_milli": r.value_milli,
    }


def _rejected(file_name: str, errors: Sequence[RowError]) -> FigureImportError:
    return FigureImportError(
        f"{file_name} is rejected: {len(errors)} error{'s' if len(errors) != 1 else ''}, "
        "nothing was imported",
        details=[e.as_dict() for e in errors],
    )


def _earlier(engine: Engine, digest: str, file_name: str) -> ImportOutcome | None:
    with Session(engine) as session:
        row = session.execute(
            select(KpiImport).where(col(KpiImport.content_hash) == digest)
        ).scalar_one_or_none()
    if row is None or row.id is None:
        return None
    return ImportOutcome(False, row.id, digest, file_name, row.rows, row.imported_at)


def _stored_clashes(session: Session, rows: Sequence[FigureRow]) -> list[RowError]:
    """Errors for the figures an earlier file holds already."""
    line_of = {r.key(): r.line for r in rows}
    found: list[RowError] = []
    by_period: dict[tuple[str, str], list[FigureRow]] = {}
    for r in rows:
        by_period.setdefault((r.kpi_code, r.period), []).append(r)
    pairs = list(by_period)
    for start in range(0, len(pairs), 200):
        chunk = pairs[start : start + 200]
        query = (
            select(KpiFigure, col(KpiImport.file_name))
            .join(KpiImport, col(KpiImport.id) == col(KpiFigure.import_id))
            .where(
                or_(
                    *(
                        and_(col(KpiFigure.kpi_code) == k, col(KpiFigure.period) == p)
                        for k, p in chunk
                    )
                )
            )
        )
        for figure, stored_in in session.execute(query):
            key = (
                figure.kpi_code,
                figure.period,
                figure.partnership_name,
                figure.provider,
                figure.segment_code,
                figure.municipality_code,
                figure.area_code,
                figure.category,
            )
            if key in line_of:
                found.append(
                    RowError(
                        line_of[key],
                        "kpi",
                        figure.kpi_code,
                        f"this figure was imported before ({stored_in} line {figure.line})",
                    )
                )
    return sorted(found, key=lambda e: e.line)

"""What a council report freezes, and its canonical form.

A snapshot holds, for one municipality and period (a year up to a month): the adopted run of
that year with its amounts per area and domain, the reconciliation's lines and exceptions
about the municipality, and the KPIs of the partnerships that hold its areas, with every count
under 10 withheld (a council report is public, so it is suppressed as a consortium's view is).
Nothing in it depends on when it was made: the same data give the same snapshot and hash.

The canonical JSON is sorted by key, without spaces, UTF-8; its SHA-256 is the content hash.

The run's author is frozen twice: ``adopted_by`` as the audit log names it (``token:3
(finance)``), and ``adopted_by_name`` as a reader is told (``financiën (sleutel 3)``). The
words are fixed when the report is made, since a file is rendered from the snapshot alone.
Snapshots of format 1 have no ``adopted_by_name``; they are still rendered as they were made.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun, RunArea
from populatie.auth.authors import author_name
from populatie.configuration import RegionConfig
from populatie.contracts.service import list_contracts
from populatie.core.reconciliation import EXCEPTION_KINDS, ReconciliationException
from populatie.districts.models import Municipality
from populatie.errors import DataError, NotFoundError
from populatie.kpis import views
from populatie.kpis.register import Register
from populatie.reconciliation.service import reconcile_year
from populatie.registry.models import Area

__all__ = ["FORMAT", "build_snapshot", "canonical_json", "content_hash"]

#: 2: the run names its author in words too (``adopted_by_name``).
FORMAT = 2


def canonical_json(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_snapshot(
    session: Session,
    municipality: str,
    year: int,
    to_month: int,
    register: Register,
    config: RegionConfig | None = None,
) -> dict[str, Any]:
    if not 1 <= to_month <= 12:
        raise DataError(f"--to-month {to_month} is not a month")
    place = session.get(Municipality, municipality)
    if place is None:
        raise NotFoundError(f"municipality {municipality} not found")
    areas = list(
        session.execute(
            select(Area).where(col(Area.municipality_code) == municipality).order_by(col(Area.code))
        ).scalars()
    )
    result = reconcile_year(session, year, to_month, config)
    lots_here = {
        c.reference: c.lot for c in list_contracts(session) if c.municipality == municipality
    }
    partnerships = sorted({a.partnership_name for a in areas if a.partnership_name})
    return {
        "format": FORMAT,
        "municipality": {"code": place.code, "name": place.name},
        "year": year,
        "to_month": to_month,
        "run": _run(session, municipality, year, areas),
        "reconciliation": {
            "to": f"{year}-{to_month:02d}",
            "forecast_method": result.forecast_method,
            "lines": [
                {
                    "contract": line.contract,
                    "lot": line.lot,
                    "area": line.area,
                    "partnership": line.partnership,
                    "domain": line.domain,
                    "allocated_cents": line.allocated_cents,
                    "ceiling_cents": line.ceiling_cents,
                    "spent_cents": line.spent_cents,
                    "forecast_cents": line.forecast_cents,
                    "remaining_cents": line.remaining_cents,
                    "status": line.status,
                }
                for line in result.lines
                if line.municipality == municipality
            ],
            "exceptions": [
                _exception(e)
                for e in result.exceptions
                if _municipality_of(e, lots_here, municipality) == municipality
            ],
        },
        "kpis": [_kpis(session, register, name, year, to_month) for name in partnerships],
        "suppressed_below": views.SUPPRESS_BELOW,
    }


def _run(
    session: Session, municipality: str, year: int, areas: list[Area]
) -> dict[str, Any] | None:
    adoption = session.get(Adoption, (year, municipality))
    if adoption is None:
        return None
    run = session.get(AllocationRun, adoption.run_id)
    assert run is not None
    names = {a.code: (a.name, a.partnership_name) for a in areas}
    amounts: dict[str, dict[str, int]] = {}
    for area, domain, cents in session.execute(
        select(col(RunArea.area_code), col(RunArea.domain), col(RunArea.amount_cents)).where(
            col(RunArea.run_id) == run.id, col(RunArea.municipality_code) == municipality
        )
    ):
        amounts.setdefault(str(area), {})[str(domain)] = int(cents)
    return {
        "run_id": run.id,
        "scenario": run.scenario,
        "adopted_at": adoption.adopted_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "adopted_by": adoption.adopted_by,
        "adopted_by_name": author_name(session, adoption.adopted_by),
        "content_hash": run.content_hash,
        "areas": [
            {
                "area": code,
                "name": names.get(code, ("", None))[0],
                "partnership": names.get(code, ("", None))[1],
                "amounts_cents": dict(sorted(by_domain.items())),
                "total_cents": sum(by_domain.values()),
            }
            for code, by_domain in sorted(amounts.items())
        ],
        "total_cents": sum(sum(d.values()) for d in amounts.values()),
    }


def _municipality_of(
    exc: ReconciliationException, lots_here: dict[str, str], municipality: str
) -> str | None:
    """Which municipality a finding is about, from its facts and its subject."""
    facts = exc.facts
    if isinstance(facts.get("municipality"), str):
        return str(facts["municipality"])
    for key in ("contract", "reference", "lot"):
        value = facts.get(key)
        if isinstance(value, str) and (value in lots_here or value.startswith(f"{municipality}/")):
            return municipality
    words = exc.subject.split(" ")
    if len(words) >= 2:
        name = words[1]
        if words[0] == "contract" and name in lots_here:
            return municipality
        if words[0] == "lot" and name.startswith(f"{municipality}/"):
            return municipality
        if words[0] == "district" and name[2:6] == municipality[2:]:
            return municipality
    district = facts.get("district")
    if isinstance(district, str) and district[2:6] == municipality[2:]:
        return municipality
    return None


def _exception(exc: ReconciliationException) -> dict[str, Any]:
    from populatie.web.exception_text import dutch_detail, dutch_subject

    return {
        "kind": exc.kind,
        "description": EXCEPTION_KINDS[exc.kind],
        "subject": exc.subject,
        "subject_nl": dutch_subject(exc),
        "amount_cents": exc.amount_cents,
        "rows": exc.rows,
        "detail_nl": dutch_detail(exc)[0],
        "partnership": exc.partnership,
    }


def _kpis(
    session: Session, register: Register, partnership: str, year: int, to_month: int
) -> dict[str, Any]:
    """The partnership's KPI series in the period, suppressed as a consortium sees them."""
    overview = views.overview(session, register, partnership, year=year)
    series = []
    for s in overview.series:
        points = [
            {
                "period": p.period,
                "value": p.value,
                "suppressed": p.suppressed,
                "norm": p.norm,
                "norm_illustrative": p.norm_illustrative,
                "outside_norm": p.outside_norm,
            }
            for p in s.points
            if _month_of(p.period) <= to_month
        ]
        if points:
            series.append(
                {
                    "segment": s.segment,
                    "kpi": s.kpi,
                    "name_nl": s.name_nl,
                    "unit": s.unit,
                    "direction": s.direction,
                    "category": s.category,
                    "points": points,
                    "signals": sum(_month_of(sig.periods[-1]) <= to_month for sig in s.signals),
                }
            )
    return {"partnership": partnership, "series": series}


def _month_of(period: str) -> int:
    """The last month of ``2025-03`` (3) or ``2025-Q2`` (6)."""
    tail = period[5:]
    return int(tail[1]) * 3 if tail.startswith("Q") else int(tail)

"""Read services for budgets: the adopted allocation per area and domain.

A budget is what the adopted run of a municipality-year gives an area; there is no other
source. Without ``year`` an area's budget is that of the newest year with an adoption.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, RunArea
from populatie.api import schemas
from populatie.api.pagination import Window
from populatie.api.registry import area_in_scope
from populatie.configuration import DOMAINS
from populatie.errors import NotFoundError
from populatie.registry.models import Area


def _budget(area: Area, adoption: Adoption, rows: Iterable[RunArea]) -> schemas.AreaBudget:
    domains = dict.fromkeys(DOMAINS, 0)
    for row in rows:
        domains[row.domain] = int(row.amount_cents)
    return schemas.AreaBudget(
        area=area.code,
        name=area.name,
        municipality=area.municipality_code,
        partnership=area.partnership_name,
        year=adoption.year,
        run_id=adoption.run_id,
        domains=domains,
        total_cents=sum(domains.values()),
        adopted_at=adoption.adopted_at,
        adopted_by=adoption.adopted_by,
    )


def area_budget(
    session: Session, code: str, scope: str | None, year: int | None = None
) -> schemas.AreaBudget:
    area = area_in_scope(session, code, scope)
    if year is not None:
        adoption = session.get(Adoption, (year, area.municipality_code))
    else:
        adoption = (
            session.execute(
                select(Adoption)
                .where(col(Adoption.municipality_code) == area.municipality_code)
                .order_by(col(Adoption.year).desc())
                .limit(1)
            )
            .scalars()
            .first()
        )
    when = f" in {year}" if year is not None else ""
    if adoption is None:
        raise NotFoundError(f"no adopted allocation for area {code}{when}")
    rows = list(
        session.execute(
            select(RunArea)
            .where(col(RunArea.run_id) == adoption.run_id)
            .where(col(RunArea.area_code) == code)
        ).scalars()
    )
    if not rows:
        raise NotFoundError(f"no adopted allocation for area {code}{when}")
    return _budget(area, adoption, rows)


def list_budgets(
    session: Session,
    window: Window,
    scope: str | None,
    year: int | None = None,
    municipality: str | None = None,
) -> schemas.AreaBudgetPage:
    """Every (year, area) with an adopted allocation, newest year first, then by area code."""
    adoptions_query = select(Adoption)
    if year is not None:
        adoptions_query = adoptions_query.where(col(Adoption.year) == year)
    if municipality is not None:
        adoptions_query = adoptions_query.where(col(Adoption.municipality_code) == municipality)
    adoptions = list(session.execute(adoptions_query).scalars())
    areas_query = select(Area)
    if scope is not None:
        areas_query = areas_query.where(col(Area.partnership_name) == scope)
    areas = list(session.execute(areas_query.order_by(col(Area.code))).scalars())
    pairs = sorted(
        (
            (adoption, area)
            for adoption in adoptions
            for area in areas
            if area.municipality_code == adoption.municipality_code
        ),
        key=lambda pair: (-pair[0].year, pair[1].code),
    )
    page = pairs[window.offset : window.offset + window.limit]
    items: list[schemas.AreaBudget] = []
    for adoption, area in page:
        rows = session.execute(
            select(RunArea)
            .where(col(RunArea.run_id) == adoption.run_id)
            .where(col(RunArea.area_code) == area.code)
        ).scalars()
        items.append(_budget(area, adoption, rows))
    return schemas.AreaBudgetPage(items=items, total=len(pairs))

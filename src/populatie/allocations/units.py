"""The allocation unit a run divides over: the district (default) or the neighbourhood.

``config/model.toml`` chooses it (``allocation_unit``). Either way the unit's counts make the
need, each unit lies in exactly one area, and the areas are what the budget is divided among,
so the damping and rounding rules do not change with the unit; only where the units, their
area and their figures come from does. Districts are the districts of record and their
figures; neighbourhoods are the fetched neighbourhoods stored by the load, each in the area of
its district. The need model's rates are per count (euro per young inhabitant, …), so the same
rates apply to either unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.configuration import RegionConfig
from populatie.districts.models import District, IndicatorFigure, Neighbourhood, NeighbourhoodFigure
from populatie.errors import ConfigurationError, DataError

#: ``(unit, indicator) → value`` for the figures that exist, and which of them are derived.
Figures = tuple[dict[tuple[str, str], float], set[tuple[str, str]]]


@dataclass(frozen=True)
class Units:
    """The units of record of one kind, each with its municipality and its one area."""

    kind: str  # district | neighbourhood
    vintage: int
    municipality_of: dict[str, str]
    area_of: dict[str, str]

    def of(self, municipality: str) -> list[str]:
        return sorted(u for u, m in self.municipality_of.items() if m == municipality)


def allocation_units(session: Session, config: RegionConfig) -> Units:
    """The units of ``config.allocation_unit``, each in one area; raises naming what does not
    fit (a neighbourhood outside the districts of record, a district without neighbourhoods)."""
    districts = {
        str(code): str(municipality)
        for code, municipality in session.execute(
            select(col(District.code), col(District.municipality_code))
        )
    }
    if config.allocation_unit == "district":
        vintage = session.execute(select(func.max(District.vintage))).scalar_one()
        return Units("district", int(vintage), districts, config.district_areas(districts))
    rows = session.execute(
        select(
            col(Neighbourhood.code),
            col(Neighbourhood.district_code),
            col(Neighbourhood.municipality_code),
            col(Neighbourhood.vintage),
        )
    ).all()
    if not rows:
        raise ConfigurationError(
            'allocation_unit = "neighbourhood" in config/model.toml, but the data of record '
            "holds no neighbourhoods: fetch them with `populatie fetch-cbs --year YEAR --level "
            'neighbourhood` and run `populatie load`, or set allocation_unit = "district"',
            details=[{"field": "allocation_unit", "value": config.allocation_unit}],
        )
    area_of = config.neighbourhood_areas({str(r[0]): str(r[1]) for r in rows}, districts)
    return Units(
        "neighbourhood",
        max(int(r[3]) for r in rows),
        {str(r[0]): str(r[2]) for r in rows},
        area_of,
    )


def unit_figures(
    session: Session, kind: str, units: Sequence[str], vintage: int, indicators: Sequence[str]
) -> Figures:
    """The figures of ``units`` (of ``kind``) for ``indicators`` that exist, and which of them
    are derived (labelled so, as the run's counts copy the label)."""
    values: dict[tuple[str, str], float] = {}
    derived: set[tuple[str, str]] = set()
    if kind == "district":
        rows = session.execute(
            select(
                col(IndicatorFigure.district_code),
                col(IndicatorFigure.indicator),
                col(IndicatorFigure.value),
                col(IndicatorFigure.derived),
            )
            .where(col(IndicatorFigure.vintage) == vintage)
            .where(col(IndicatorFigure.district_code).in_(list(units)))
            .where(col(IndicatorFigure.indicator).in_(list(indicators)))
        )
        for d, k, v, is_derived in rows:
            values[(str(d), str(k))] = float(v)
            if is_derived:
                derived.add((str(d), str(k)))
        return values, derived
    if kind != "neighbourhood":
        raise DataError(f"unknown allocation unit {kind!r}: district or neighbourhood")
    for code, k, v, is_derived in session.execute(
        select(
            col(NeighbourhoodFigure.code),
            col(NeighbourhoodFigure.indicator),
            col(NeighbourhoodFigure.value),
            col(NeighbourhoodFigure.derived),
        )
        .where(col(NeighbourhoodFigure.vintage) == vintage)
        .where(col(NeighbourhoodFigure.code).in_(list(units)))
        .where(col(NeighbourhoodFigure.indicator).in_(list(indicators)))
    ):
        values[(str(code), str(k))] = float(v)
        if is_derived:
            derived.add((str(code), str(k)))
    return values, derived

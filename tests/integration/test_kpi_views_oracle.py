"""The KPI views against an independent computation over the raw figures.

The views sum in the database and round in integers; here every expected number is computed
from the figures as written, with exact fractions, row by row: per provider and period, the year
before, the peers (the other providers of the period, pooled), the funnel's events and cases,
the overview's whole partnership or the sum of its parts, and the suppression of every count
under 10 for a consortium. Figures are drawn at random (a fixed seed per case) with many small
counts, several categories, providers in two partnerships and a provider split over areas.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from populatie.db import session_scope
from populatie.kpis import sums, views
from populatie.kpis.models import KpiFigure, KpiImport
from populatie.kpis.provider_cells import refresh_provider_cells, slices_of
from populatie.kpis.register import Kpi
from populatie.kpis.service import register_of
from tests.conftest import ROOT

REGISTER = register_of(ROOT / "config")
KRACHT = "Kracht voor Jeugd en Gezin"
RONDOMJOU = "RondomJou"
PROVIDERS = {f"Aanbieder {i}": (KRACHT if i % 2 else RONDOMJOU) for i in range(7)}
AREAS = {KRACHT: ("GM0518-L1", "GM0518-L3"), RONDOMJOU: ("GM0518-L2", "GM0518-L4")}
PERIODS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in (1, 2, 3)]


def _figure(period: str, **values: Any) -> dict[str, Any]:
    year, month = int(period[:4]), int(period[5:])
    row = {
        "line": 0,
        "period": period,
        "year": year,
        "start_month": month,
        "months": 1,
        "partnership_name": "",
        "provider": "",
        "segment_code": "B",
        "municipality_code": "",
        "area_code": "",
        "category": "",
        "numerator": None,
        "denominator": None,
        "value_milli": None,
    }
    row.update(values)
    return row


def draws(rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kpi in ("dropout", "cost_per_client"):
        for period in PERIODS:
            for provider, partnership in PROVIDERS.items():
                for category in ("", "45"):
                    if rng.random() < 0.2:
                        continue  # not every provider has a figure every period
                    # Most providers give one figure; some give one per area, to be added up.
                    areas = AREAS[partnership] if rng.random() < 0.3 else ("",)
                    for area in areas:
                        cases = rng.choice([rng.randint(1, 12), rng.randint(10, 400)])
                        events = (
                            rng.randint(0, cases)
                            if kpi == "dropout"
                            else rng.randint(0, 9) * rng.randint(1, 10**6)
                        )
                        rows.append(
                            _figure(
                                period,
                                kpi_code=kpi,
                                partnership_name=partnership,
                                provider=provider,
                                area_code=area,
                                category=category,
                                numerator=events,
                                denominator=cases,
                            )
                        )
        for period in PERIODS:
            for partnership, areas in AREAS.items():
                whole = rng.random() < 0.5
                for area in ("", *areas) if whole else areas:
                    cases = rng.choice([rng.randint(1, 12), rng.randint(10, 900)])
                    rows.append(
                        _figure(
                            period,
                            kpi_code=kpi,
                            partnership_name=partnership,
                            area_code=area,
                            numerator=rng.randint(0, cases)
                            if kpi == "dropout"
                            else rng.randint(0, 10**8),
                            denominator=cases,
                        )
                    )
    return rows


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Written past the import, the later year first, each part's provider cells recomputed as
    the import recomputes them: so the year before arrives after the year it is before."""
    for year in sorted({r["year"] for r in rows}, reverse=True):
        part = [r for r in rows if r["year"] == year]
        with session_scope(engine) as session:
            insert_figures(session, part, f"oracle-{year}")
            written = ((r["kpi_code"], r["segment_code"], r["provider"], r["period"]) for r in part)
            refresh_provider_cells(session, slices_of(written))


def insert_figures(session: Session, rows: list[dict[str, Any]], name: str) -> None:
    """The figures as one file would bring them, straight into the table."""
    record = KpiImport(
        content_hash=name,
        file_name=f"{name}.csv",
        rows=len(rows),
        imported_at=datetime.now(UTC),
        imported_by="test",
    )
    session.add(record)
    session.flush()
    session.execute(
        insert(KpiFigure),
        [{**r, "import_id": record.id, "line": i + 2} for i, r in enumerate(rows)],
    )


# --- the oracle: exact fractions over the raw rows ---------------------------------------------


def _small(kpi: Kpi, n: int, d: int) -> bool:
    """A count under 10: a share counts both, a mean (a sum of cents over clients) its clients."""
    return d < 10 or (kpi.measure == "rate" and n < 10)


def _shown(kpi: Kpi, n: int, d: int, consortium: bool) -> float | None:
    """The value as a viewer sees it; None when withheld or undefined."""
    if consortium and _small(kpi, n, d):
        return None
    if d == 0:
        return None
    exact = Fraction(n, d) * Fraction(kpi.scale)
    return float(round(exact, 3))  # Fraction rounds half to even, as Decimal does


def _sum(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    return (
        sum(r["numerator"] for r in rows),
        sum(r["denominator"] for r in rows),
        len(rows),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_provider_view_is_the_raw_figures_summed(loaded: Engine, seed: int) -> None:
    rows = draws(random.Random(seed))
    _write(loaded, rows)
    for viewer in (None, KRACHT, RONDOMJOU):
        for kpi_code in ("dropout", "cost_per_client"):
            _compare_providers(loaded, rows, viewer, kpi_code)


def _compare_providers(
    loaded: Engine, rows: list[dict[str, Any]], viewer: str | None, kpi_code: str
) -> None:
    kpi = REGISTER.get(kpi_code)
    assert kpi is not None
    mine = [
        r
        for r in rows
        if r["kpi_code"] == kpi_code
        and r["provider"]
        and (viewer is None or r["partnership_name"] == viewer)
    ]
    cells: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in mine:
        cells[(r["provider"], r["category"], r["period"])].append(r)
    consortium = viewer is not None
    expected: dict[tuple[str, str], list[tuple[str, float | None, bool, Any, Any]]] = {}
    for (provider, category, period), here in sorted(cells.items()):
        if not period.startswith("2025"):
            continue
        n, d, _ = _sum(here)
        others = [
            r
            for r in mine
            if r["period"] == period and r["category"] == category and r["provider"] != provider
        ]
        before = cells.get((provider, category, "2024" + period[4:]), [])
        peers = _shown(kpi, *_sum(others)[:2], consortium) if others else None
        expected.setdefault((provider, category), []).append(
            (
                period,
                _shown(kpi, n, d, consortium),
                consortium and _small(kpi, n, d),
                _shown(kpi, *_sum(before)[:2], consortium) if before else None,
                peers,
            )
        )
    with Session(loaded) as session:
        view = views.provider_comparison(
            session, REGISTER, viewer, kpi=kpi_code, segment="B", year=2025
        )
    got = {
        (s.provider, s.category): [
            (p.period, p.value, p.suppressed, p.previous_year, p.peers) for p in s.points
        ]
        for s in view.providers
    }
    assert got == expected
    assert view.partnerships == ([viewer] if viewer else sorted(AREAS))


def test_the_funnel_is_the_raw_figures_summed(loaded: Engine) -> None:
    rows = draws(random.Random(4))
    _write(loaded, rows)
    for viewer in (None, KRACHT, RONDOMJOU):
        for category in ("", "45"):
            _compare_funnel(loaded, rows, viewer, category)


def _compare_funnel(
    loaded: Engine, rows: list[dict[str, Any]], viewer: str | None, category: str
) -> None:
    period = "2025-03"
    here: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if (
            r["kpi_code"] == "dropout"
            and r["provider"]
            and r["period"] == period
            and r["category"] == category
            and (viewer is None or r["partnership_name"] == viewer)
        ):
            here[r["provider"]].append(r)
    sums = {p: _sum(rs) for p, rs in here.items()}
    events = sum(n for n, d, _ in sums.values() if d)
    cases = sum(d for _, d, _ in sums.values())
    with Session(loaded) as session:
        view = views.funnel_view(session, REGISTER, viewer, segment="B", category=category)
    assert view.periods == [period]  # the newest month with figures
    if viewer is not None and (events < 10 or cases < 10):
        assert view.providers == []
        return
    assert view.target == pytest.approx(events / cases, rel=1e-12)
    got = {p.provider: (p.events, p.cases, p.suppressed) for p in view.providers}
    hidden = viewer is not None
    assert got == {
        p: (None, None, True) if hidden and (n < 10 or d < 10) else (n, d, False)
        for p, (n, d, _) in sorted(sums.items())
        if d
    }


def test_the_overview_is_the_whole_or_the_sum_of_its_parts(loaded: Engine) -> None:
    rows = draws(random.Random(6))
    _write(loaded, rows)
    for viewer in (None, KRACHT, RONDOMJOU):
        _compare_overview(loaded, rows, viewer)


def _compare_overview(loaded: Engine, rows: list[dict[str, Any]], viewer: str | None) -> None:
    kpi = REGISTER.get("dropout")
    assert kpi is not None
    expected: dict[tuple[str, str], tuple[float | None, int | None, int | None, bool]] = {}
    for partnership in sorted(AREAS) if viewer is None else [viewer]:
        for period in PERIODS:
            figures = [
                r
                for r in rows
                if r["kpi_code"] == "dropout"
                and not r["provider"]
                and r["partnership_name"] == partnership
                and r["period"] == period
            ]
            whole = [r for r in figures if not r["area_code"]]
            n, d, _ = _sum(whole or figures)
            hidden = viewer is not None and (n < 10 or d < 10)
            expected[(partnership, period)] = (
                _shown(kpi, n, d, hidden),
                None if hidden else n,
                None if hidden else d,
                hidden,
            )
    with Session(loaded) as session:
        view = views.overview(session, REGISTER, viewer, kpi="dropout")
    got = {
        (s.partnership, p.period): (p.value, p.numerator, p.denominator, p.suppressed)
        for s in view.series
        for p in s.points
    }
    assert got == expected


def test_a_share_rounds_half_to_even_like_the_decimal_it_replaces() -> None:
    """Ties and near-ties: the integer rounding and ``round(Decimal, 3)`` agree."""
    kpi = REGISTER.get("dropout")
    cost = REGISTER.get("cost_per_client")
    assert kpi is not None
    assert cost is not None
    rng = random.Random(8)
    pairs = [(1, 8), (3, 8), (5, 16), (1, 3), (2, 3), (0, 7), (123456789, 1000)]
    pairs += [(rng.randint(0, 10**9), rng.randint(1, 10**6)) for _ in range(2000)]
    for definition in (kpi, cost):
        for n, d in pairs:
            figure = sums.Sums(n, d, None, 1)
            before = float(round(Decimal(n) / Decimal(d) * definition.scale, 3))
            assert sums.value_of(definition, figure) == before, (n, d)

"""How fast the KPI views answer over ten years of figures, beside a bare GROUP BY, same run.

Run from the repository root::

    python -m bench kpis
    python -m bench.bench_kpis --repeat 100      # a quicker look

The case, on SQLite (a throw-away file) and then on PostgreSQL (a throw-away schema; skipped,
saying why, when no server answers or with ``--no-postgres``): 10 years × 12 months × 200
providers × 10 segments of provider figures of one share (``dropout``: 240,000 rows), and each
partnership's own figure per segment and month (2,400), written straight into the table (not
timed), with the shipped registry, each provider in one of the two Den Haag partnerships. Each
view is called ``--repeat`` times on one session, as a request would, and timed per call:

- the funnel plot of one segment's newest month, as finance sees it, and as a consortium;
- the providers of one segment over a year beside the year before and their peers, as finance
  and as a consortium;
- a consortium's overview of one segment over a year.

Beside each, the bare ``GROUP BY`` that reads the same figures (``SELECT provider,
sum(numerator), sum(denominator) … GROUP BY provider`` for the same period, ``GROUP BY
provider, period`` over the two years, ``GROUP BY period`` over the partnership's year). The
funnel and the overview read the figures themselves, through the indexes of migration 0017, so
their bare query is over the very same rows, and the ratio says what the view costs on top of
reading them. The provider view reads the provider cells the import keeps (migration 0018: per
viewer scope, provider and period, the sums beside the year before), made here from the figures
as an import makes them, not timed; its bare query is what it would cost to add up its figures
on each call, so a ratio under 1 is what the cells save. Target: p99 of each view at most 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from populatie.configuration import load_config
from populatie.db import make_engine, migrate, session_scope
from populatie.districts.service import load_districts
from populatie.kpis import views
from populatie.kpis.models import KpiFigure, KpiImport
from populatie.kpis.provider_cells import refresh_provider_cells
from populatie.kpis.service import register_of
from populatie.registry.service import sync_registry

ROOT = Path(__file__).resolve().parents[1]
PARTNERSHIPS = ("Kracht voor Jeugd en Gezin", "RondomJou")
YEARS = range(2016, 2026)
PROVIDERS = 200
SEGMENTS = [f"S{i:02d}" for i in range(10)]
TARGET_P99_MS = 50.0
POSTGRES_URL = os.environ.get(
    "POPULATIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _rows(import_id: int) -> list[dict[str, Any]]:
    rows = []
    for year in YEARS:
        for month in range(1, 13):
            for s, segment in enumerate(SEGMENTS):
                for p in range(PROVIDERS):
                    cases = 20 + (p * 37 + month * 11 + s * 5) % 400
                    rows.append(
                        {
                            "import_id": import_id,
                            "line": len(rows) + 2,
                            "kpi_code": "dropout",
                            "period": f"{year}-{month:02d}",
                            "year": year,
                            "start_month": month,
                            "months": 1,
                            "partnership_name": PARTNERSHIPS[p % 2],
                            "provider": f"Aanbieder {p:03d}",
                            "segment_code": segment,
                            "municipality_code": "",
                            "area_code": "",
                            "category": "",
                            "numerator": cases * (5 + (p + month) % 11) // 100,
                            "denominator": cases,
                            "value_milli": None,
                        }
                    )
    return rows


def _timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """p50 and p99 in ms, after one warm-up call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def _fill(engine: Engine) -> int:
    """Migrate and fill the database (not timed); return how many figures it holds."""
    migrate(engine)
    config = load_config(ROOT / "config")
    with session_scope(engine) as session:
        load_districts(session, ROOT / "geodata", "bench")
        sync_registry(session, config)
        record = KpiImport(
            content_hash="bench",
            file_name="bench",
            rows=0,
            imported_at=datetime.now(UTC),
            imported_by="bench",
        )
        session.add(record)
        session.flush()
        assert record.id is not None
        rows = _rows(record.id) + _partnership_rows(record.id)
        for start in range(0, len(rows), 20_000):
            session.execute(insert(KpiFigure), rows[start : start + 20_000])
        # Written past the import, so the provider cells are made as an import makes them.
        refresh_provider_cells(session)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return len(rows)


def _partnership_rows(import_id: int) -> list[dict[str, Any]]:
    """Each partnership's own figure per segment and month, as the overview reads them."""
    rows = []
    for year in YEARS:
        for month in range(1, 13):
            for s, segment in enumerate(SEGMENTS):
                for p, partnership in enumerate(PARTNERSHIPS):
                    cases = 2000 + (p * 131 + month * 17 + s * 7) % 900
                    rows.append(
                        {
                            "import_id": import_id,
                            "line": 0,
                            "kpi_code": "dropout",
                            "period": f"{year}-{month:02d}",
                            "year": year,
                            "start_month": month,
                            "months": 1,
                            "partnership_name": partnership,
                            "provider": "",
                            "segment_code": segment,
                            "municipality_code": "",
                            "area_code": "",
                            "category": "",
                            "numerator": cases * (6 + (p + month) % 9) // 100,
                            "denominator": cases,
                            "value_milli": None,
                        }
                    )
    return rows


BARE_FUNNEL = text(
    "SELECT provider, sum(numerator), sum(denominator) FROM kpi_figure "
    "WHERE kpi_code = 'dropout' AND segment_code = :s AND period = :p "
    "AND provider != '' GROUP BY provider"
)
BARE_YEARS = text(
    "SELECT provider, period, sum(numerator), sum(denominator) FROM kpi_figure "
    "WHERE kpi_code = 'dropout' AND segment_code = :s AND year BETWEEN :a AND :b "
    "AND provider != '' GROUP BY provider, period"
)
BARE_OVERVIEW = text(
    "SELECT period, sum(numerator), sum(denominator) FROM kpi_figure "
    "WHERE provider = '' AND partnership_name = :n AND segment_code = :s "
    "AND kpi_code = 'dropout' AND year = :y GROUP BY period"
)


def _measure(engine: Engine, label: str, repeat: int) -> int:
    """Time every case on ``engine``; print one line each; return 1 when one is over target."""
    register = register_of(ROOT / "config")
    segment, period, year = "S04", "2025-12", 2025
    worst = 0
    with Session(engine) as session:
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            (
                "funnel, newest month (finance)",
                lambda: views.funnel_view(session, register, None, segment=segment),
                lambda: session.execute(BARE_FUNNEL, {"s": segment, "p": period}).all(),
            ),
            (
                "funnel, newest month (consortium)",
                lambda: views.funnel_view(session, register, PARTNERSHIPS[1], segment=segment),
                lambda: session.execute(BARE_FUNNEL, {"s": segment, "p": period}).all(),
            ),
            (
                "providers over a year (finance)",
                lambda: views.provider_comparison(
                    session, register, None, kpi="dropout", segment=segment
                ),
                lambda: session.execute(BARE_YEARS, {"s": segment, "a": year - 1, "b": year}).all(),
            ),
            (
                "providers over a year (consortium)",
                lambda: views.provider_comparison(
                    session, register, PARTNERSHIPS[0], kpi="dropout", segment=segment
                ),
                lambda: session.execute(BARE_YEARS, {"s": segment, "a": year - 1, "b": year}).all(),
            ),
            (
                "overview, a year (consortium)",
                lambda: views.overview(
                    session, register, PARTNERSHIPS[1], segment=segment, kpi="dropout", year=year
                ),
                lambda: session.execute(
                    BARE_OVERVIEW, {"n": PARTNERSHIPS[1], "s": segment, "y": year}
                ).all(),
            ),
        ]
        print(f"{label}")
        print(f"  {'view':<36} {'p50 ms':>8} {'p99 ms':>8} {'bare p99':>9} {'ratio':>6}")
        for name, view, bare in cases:
            p50, p99 = _timed(view, repeat)
            _, bare_p99 = _timed(bare, repeat)
            ok = p99 <= TARGET_P99_MS
            worst = max(worst, 0 if ok else 1)
            print(
                f"  {name:<36} {p50:8.2f} {p99:8.2f} {bare_p99:9.2f} {p99 / bare_p99:6.1f}"
                f"  {'ok' if ok else 'OVER'} (target p99 ≤ {TARGET_P99_MS:.0f} ms)",
                flush=True,
            )
    return worst


@contextmanager
def _schema(url: str) -> Iterator[str]:
    """A fresh schema of its own on the PostgreSQL server, dropped afterwards."""
    schema = f"bench_kpis_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _postgres_missing(url: str) -> str | None:
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
    except OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_kpis")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    worst = 0
    with tempfile.TemporaryDirectory(prefix="populatie-bench-kpis-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'kpis.db'}")
        count = _fill(engine)
        print(
            f"{count:,} figures: 10 years × 12 months × 200 providers × 10 segments, "
            "and each partnership's own per segment and month"
        )
        worst = max(worst, _measure(engine, "SQLite", args.repeat))
        engine.dispose()
    reason = "--no-postgres" if args.no_postgres else _postgres_missing(POSTGRES_URL)
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        return worst
    with _schema(POSTGRES_URL) as url:
        pg = make_engine(url)
        _fill(pg)
        worst = max(worst, _measure(pg, "PostgreSQL", args.repeat))
        pg.dispose()
    return worst


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

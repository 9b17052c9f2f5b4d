"""How fast spending is imported and reconciled, beside the engine's own limit, same run.

Run from the repository root::

    python -m bench spending                      # 1,000,000 rows, SQLite and PostgreSQL
    python -m bench.bench_spending --rows 100000  # a quicker look

The case: the shipped CBS data and configuration, the 2025 allocation adopted, demo contracts
on Den Haag's four lots, and a synthetic spending file of ``--rows`` rows for 2025
(``populatie demo-spending``), with the six optional detail columns filled on every row.

Import: ``import_spending`` on the file, everything included (reading, hashing, parsing and
validating every row, the monthly totals, the rows, the duplicate check, the commit), in rows/s.
Beside it the engine's limit for the same rows in the same table (its primary and unique keys)
in one transaction, measured on a second, fresh database, best of two: ``sqlite3``
``executemany`` of the ready tuples, and ``COPY`` of ready text for PostgreSQL; and, for scale,
the same into a bare table without any key. Target: at least 0.5 of the same-table limit.

Reconciliation: ``reconcile_year`` for 2025 (the whole report, exceptions and evidence
included) against one bare ``GROUP BY`` scan of the same rows
(``SELECT reference, domain, sum(amount_cents), count(*) FROM spending WHERE booked_on in
2025``). Target: at most 1.5 times the scan.

Reconciliation with tariff checks: the same, after ``--tariff-rows`` (a quarter of ``--rows``)
rows with a product, quantity and unit have been imported (not timed) on a demo contract
turned effort-based with tariffs for its two products, one row in a hundred off the tariff.
The same target holds: the checks read the detail grouped at import, never the rows.

Reconciliation beside many duplicate flags: the same, after ``--flags`` (300,000) rows of
another year (2024, copies of the 2025 rows written straight into the table, not timed) have
been flagged as duplicate invoices, as years of imports leave them. Only the year's flags may
be read, so the same target holds. ``--flags-only`` runs this case alone (the import is then
not measured against the engine's limit).
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from populatie.allocations.service import adopt, create_run
from populatie.budget_totals.service import seed_totals
from populatie.configuration import load_config
from populatie.contracts.service import ContractChange, change_contract, get_contract
from populatie.contracts.tariffs import TariffInput, set_tariff
from populatie.db import make_engine, migrate, session_scope
from populatie.districts.service import load_districts
from populatie.reconciliation.service import reconcile_year
from populatie.registry.service import sync_registry
from populatie.settings import PROJECT_ROOT
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.service import import_spending

YEAR = 2025
TARGET_IMPORT_RATIO = 0.5
TARGET_RECONCILE_RATIO = 1.5
POSTGRES_URL = os.environ.get(
    "POPULATIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BARE_SCAN = (
    "SELECT reference, domain, sum(amount_cents), count(*) FROM spending "
    f"WHERE booked_on >= '{YEAR}-01-01' AND booked_on <= '{YEAR}-12-31' "
    "GROUP BY reference, domain"
)


def _prepare(engine: Engine) -> None:
    """Shipped data, the adopted 2025 allocation, demo contracts."""
    config = load_config(PROJECT_ROOT / "config")
    with session_scope(engine) as s:
        load_districts(s, PROJECT_ROOT / "geodata", "bench")
        sync_registry(s, config)
        seed_totals(s, config, "bench")
        run = create_run(s, config, YEAR, None, "bench")
        adopt(s, run.id, "bench")
        register_demo_contracts(s, YEAR, "bench")


def _add_detail(csv_path: Path, seed: int) -> None:
    """Fill the optional detail columns on every row, as a regional contract's bookings carry
    them (illustrative codes): a 2025 segment, an iJw product, a quantity and its unit, and on
    a third of the rows the stage of a trajectory with its assignment reference. Skipped when
    the demo file carries them already."""
    lines = csv_path.read_text(encoding="utf-8").split("\n")
    if "segment" in lines[0].split(","):
        return
    n = len(lines) - 2  # the header, and the empty string after the last newline
    rng = np.random.default_rng(seed)
    segment = np.array(["A", "B", "C"])[rng.integers(3, size=n)]
    product = np.array(["45A12", "45A13", "41A01", "43B02", "46C01"])[rng.integers(5, size=n)]
    hundredths = rng.integers(25, 4_000, size=n)
    unit = np.array(["hour", "day", "month", "trajectory"])[rng.integers(4, size=n)]
    staged = rng.random(n) < 1 / 3
    stage = np.where(
        staged, np.array(["start", "completion", "dropout"])[rng.integers(3, size=n)], ""
    )
    assignment = np.char.add("TW", rng.integers(10_000_000, 99_999_999, size=n).astype(str))
    detail = [
        f"{s},{p},{h // 100}.{h % 100:02d},{u},{st},{a if st else ''}"
        for s, p, h, u, st, a in zip(
            segment.tolist(),
            product.tolist(),
            hundredths.tolist(),
            unit.tolist(),
            stage.tolist(),
            assignment.tolist(),
            strict=True,
        )
    ]
    header = lines[0] + ",segment,product_code,quantity,unit,stage,assignment_reference"
    body = map(",".join, zip(lines[1:-1], detail, strict=True))
    csv_path.write_text("\n".join([header, *body, ""]), encoding="utf-8")


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _median(action: Callable[[], Any], repeats: int) -> float:
    return statistics.median(_timed(action)[0] for _ in range(repeats))


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM spending ORDER BY id"))]


def _copy_small_tables(source: Engine, target: Engine) -> None:
    """The import and monthly-total rows the spending rows point at (not timed)."""
    with source.connect() as src, target.begin() as dst:
        for table in ("spending_import", "spending_month"):
            rows = [dict(r._mapping) for r in src.execute(text(f"SELECT * FROM {table}"))]
            columns = ", ".join(rows[0])
            marks = ", ".join(f":{c}" for c in rows[0])
            dst.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), rows)


BARE_TABLE = (
    "CREATE TABLE spending_bare (id bigint, import_id int, line int, month_id int, "
    "booked_on date, municipality_code varchar(6), district_code varchar(8), "
    "reference varchar(64), domain varchar(20), provider varchar(200), amount_cents bigint, "
    "invoice_reference varchar(64), description varchar(500), segment varchar(40), "
    "product_code varchar(5), quantity_hundredths bigint, unit varchar(20), stage varchar(12), "
    "assignment_reference varchar(20))"
)


def _sqlite_limit(source: Engine, folder: Path, rows: list[tuple[Any, ...]]) -> dict[str, float]:
    """sqlite3 executemany of the same tuples in one transaction: into the same table (keys,
    foreign keys on), and into a bare table."""
    path = folder / "limit.db"
    target = make_engine(f"sqlite:///{path.as_posix()}")
    migrate(target)
    _copy_small_tables(source, target)
    target.dispose()
    marks = ", ".join("?" * len(rows[0]))
    result: dict[str, float] = {}
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(BARE_TABLE)
    for name, table in (
        ("same table", "spending"),
        ("same table", "spending"),
        ("bare table", "spending_bare"),
    ):
        con.execute(f"DELETE FROM {table}")
        con.execute("BEGIN")
        seconds, _ = _timed(
            lambda table=table: (
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows),
                con.execute("COMMIT"),
            )
        )
        result[name] = max(result.get(name, 0.0), len(rows) / seconds)
    con.close()
    return result


def _copy_text(rows: list[tuple[Any, ...]]) -> list[bytes]:
    def cell(value: Any) -> str:
        if value is None:
            return "\\N"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    chunks, buffer = [], io.StringIO()
    for i, row in enumerate(rows, start=1):
        buffer.write("\t".join(map(cell, row)) + "\n")
        if i % 50_000 == 0:
            chunks.append(buffer.getvalue().encode())
            buffer = io.StringIO()
    chunks.append(buffer.getvalue().encode())
    return chunks


def _postgres_limit(source: Engine, url: str, rows: list[tuple[Any, ...]]) -> dict[str, float]:
    """COPY of the same rows as ready text, one transaction: same table, and a bare one."""
    chunks = _copy_text(rows)
    result: dict[str, float] = {}
    with _schema(url) as target_url:
        target = make_engine(target_url)
        migrate(target)
        _copy_small_tables(source, target)
        target.dispose()
        dsn = target_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as con:
            con.execute(BARE_TABLE)
            con.commit()
            for name, table in (
                ("same table", "spending"),
                ("same table", "spending"),
                ("bare table", "spending_bare"),
            ):
                con.execute(f"TRUNCATE {table} CASCADE")
                con.commit()

                def copy(table: str = table) -> None:
                    with con.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN") as cp:
                        for chunk in chunks:
                            cp.write(chunk)
                    con.commit()

                seconds, _ = _timed(copy)
                result[name] = max(result.get(name, 0.0), len(rows) / seconds)
    return result


@contextmanager
def _schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
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


def _flag_another_year(engine: Engine, flags: int) -> int:
    """Copy ``flags`` rows of the year into the year before, each flagged as a duplicate of
    the row it copies; return how many flags there are then."""
    shifted = (
        "date(booked_on, '-1 year')"
        if engine.dialect.name == "sqlite"
        else "(booked_on - interval '1 year')::date"
    )
    with engine.begin() as conn:
        offset = int(conn.execute(text("SELECT max(id) FROM spending")).scalar_one())
        conn.execute(
            text(
                "INSERT INTO spending (id, import_id, line, month_id, booked_on, "
                "municipality_code, district_code, reference, domain, provider, amount_cents, "
                "invoice_reference, description) "
                f"SELECT id + :offset, import_id, line, month_id, {shifted}, municipality_code, "
                "district_code, reference, domain, provider, amount_cents, "
                "invoice_reference || '-PREVIOUS-YEAR', description FROM spending "
                "WHERE id <= :flags"
            ),
            {"offset": offset, "flags": flags},
        )
        conn.execute(
            text(
                "INSERT INTO spending_duplicate (spending_id, original_id) "
                "SELECT id + :offset, id FROM spending WHERE id <= :flags"
            ),
            {"offset": offset, "flags": flags},
        )
        return int(conn.execute(text("SELECT count(*) FROM spending_duplicate")).scalar_one())


def _reconcile_against_scan(engine_name: str, engine: Engine, what: str) -> bool:
    def reconcile() -> None:
        with session_scope(engine) as s:
            reconcile_year(s, YEAR)

    def scan() -> None:
        with engine.connect() as conn:
            conn.execute(text(BARE_SCAN)).all()

    reconcile()  # warm both the same way
    scan()
    seconds_reconcile = _median(reconcile, 3)
    seconds_scan = _median(scan, 3)
    ratio = seconds_reconcile / seconds_scan
    met = ratio <= TARGET_RECONCILE_RATIO
    print(
        f"{engine_name} reconciliation {YEAR} {what}: "
        f"{seconds_reconcile * 1000:8.1f} ms; bare GROUP BY scan {seconds_scan * 1000:8.1f} ms; "
        f"ratio {ratio:.2f} "
        f"(target <= {TARGET_RECONCILE_RATIO}: {'met' if met else 'MISSED'})"
    )
    return met


def _report(
    engine_name: str,
    engine: Engine,
    csv_path: Path,
    rows: int,
    limit: Callable[[list[tuple[Any, ...]]], dict[str, float]],
    flags: int,
    flags_only: bool,
    tariff_rows: int = 0,
) -> bool:
    seconds, outcome = _timed(lambda: import_spending(engine, csv_path, user="bench"))
    assert outcome.imported, outcome.summary()
    assert outcome.rows == rows
    rate = rows / seconds
    ok = True
    print(f"{engine_name} import of {rows:,} rows: {seconds:6.2f} s = {rate:10,.0f} rows/s")
    if not flags_only:
        ok = _import_against_limit(rate, limit(_rows(engine)))
        ok &= _reconcile_against_scan(engine_name, engine, f"over {rows:,} rows")
    if flags:
        count = _flag_another_year(engine, min(flags, rows))
        ok &= _reconcile_against_scan(
            engine_name,
            engine,
            f"over {rows:,} rows, {count:,} duplicate flags ({count - outcome.duplicates:,} "
            f"of {YEAR - 1})",
        )
    if tariff_rows and not flags_only:
        ok &= _tariff_case(engine_name, engine, csv_path.parent, tariff_rows)
    return ok


TARIFF_CONTRACT = "DEMO-H10-GM0518-P1"
TARIFFS = {"45A12": 85_33, "45A13": 112_50}  # illustrative tariffs, cents per hour


def _tariff_file(path: Path, rows: int, seed: int) -> None:
    """``rows`` bookings of hours on the tariff contract (illustrative figures): quantity ×
    tariff, one in a hundred off by a euro. The rows are spread over the year and the hours
    vary, so nearly every row is a detail group of its own: the checks' worst case."""
    rng = np.random.default_rng(seed)
    days = np.datetime64(f"{YEAR}-01-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")
    product = rng.choice(np.array(list(TARIFFS)), rows)
    tariff = np.where(product == "45A12", TARIFFS["45A12"], TARIFFS["45A13"])
    # 0.25 to 40 hours in hundredths: amounts vary enough that few rows repeat another's day
    # and amount (a likely double invoice, a finding of its own)
    hundredths = rng.integers(25, 4001, rows)
    cents = (hundredths * tariff * 2 + 100) // 200  # half up, positive
    cents = cents + np.where(rng.random(rows) < 0.01, 100, 0)
    header = (
        "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
        "description,segment,product_code,quantity,unit,stage,assignment_reference"
    )
    lines = [
        f"{d},GM0518,,{TARIFF_CONTRACT},specialist,Incluzio Randstad B.V.,"
        f"{c // 100}.{c % 100:02d},PQ-{i},,,{p},{q // 100}.{q % 100:02d},hour,,"
        for i, (d, p, q, c) in enumerate(
            zip(days.astype(str), product, hundredths.tolist(), cents.tolist(), strict=True)
        )
    ]
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def _tariff_case(engine_name: str, engine: Engine, folder: Path, rows: int) -> bool:
    with session_scope(engine) as s:
        change_contract(
            s,
            TARIFF_CONTRACT,
            ContractChange(funding_form="effort-based", product_codes=tuple(TARIFFS)),
            "bench",
            "bench: paid by the hour (illustrative)",
        )
        contract = get_contract(s, TARIFF_CONTRACT)
        for product, cents in TARIFFS.items():
            set_tariff(s, contract, TariffInput(product, YEAR, "hour", cents), "bench", "bench")
    path = folder / f"tariffs-{engine_name}.csv"
    _tariff_file(path, rows, 7)
    import_spending(engine, path, user="bench")
    return _reconcile_against_scan(engine_name, engine, f"with tariff checks on {rows:,} rows")


def _import_against_limit(rate: float, limits: dict[str, float]) -> bool:
    ok = True
    for name, value in limits.items():
        ratio = rate / value
        mark = ""
        if name == "same table":
            ok = ratio >= TARGET_IMPORT_RATIO
            mark = f"  target >= {TARGET_IMPORT_RATIO}: {'met' if ok else 'MISSED'}"
        print(
            f"  engine limit, {name:<10}: {value:10,.0f} rows/s; import/limit = {ratio:.2f}{mark}"
        )
    return ok


def _postgres_available(url: str) -> str | None:
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
    except OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_spending", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--flags", type=int, default=300_000, help="duplicate flags of another year (0: none)"
    )
    parser.add_argument(
        "--flags-only", action="store_true", help="only the case with the duplicate flags"
    )
    parser.add_argument(
        "--tariff-rows", type=int, help="rows with products for the tariff case (0: none)"
    )
    args = parser.parse_args(argv)
    tariff_rows = args.rows // 4 if args.tariff_rows is None else args.tariff_rows
    all_met = True
    with tempfile.TemporaryDirectory(prefix="bench-spending-") as tmp:
        folder = Path(tmp)
        csv_path = folder / f"spending-{YEAR}.csv"
        sqlite = make_engine(f"sqlite:///{(folder / 'import.db').as_posix()}")
        migrate(sqlite)
        _prepare(sqlite)

        def write() -> None:
            with session_scope(sqlite) as s:
                write_demo_spending(s, YEAR, args.rows, args.seed, csv_path)

        written = _timed(write)[0] + _timed(lambda: _add_detail(csv_path, args.seed))[0]
        print(
            f"demo file: {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB "
            f"(written in {written:.1f} s, not timed below)"
        )
        all_met &= _report(
            "SQLite",
            sqlite,
            csv_path,
            args.rows,
            lambda rows: _sqlite_limit(sqlite, folder, rows),
            args.flags,
            args.flags_only,
            tariff_rows,
        )
        sqlite.dispose()
        reason = "--no-postgres" if args.no_postgres else _postgres_available(POSTGRES_URL)
        if reason:
            print(f"PostgreSQL skipped: {reason}")
        else:
            with _schema(POSTGRES_URL) as url:
                pg = make_engine(url)
                migrate(pg)
                _prepare(pg)
                all_met &= _report(
                    "PostgreSQL",
                    pg,
                    csv_path,
                    args.rows,
                    lambda rows: _postgres_limit(pg, POSTGRES_URL, rows),
                    args.flags,
                    args.flags_only,
                    tariff_rows,
                )
                pg.dispose()
    return 0 if all_met else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

"""Import a spending file: validate it whole, then write it in one transaction, or not at all.

The unit of work is the file. Validation (:mod:`populatie.spending.parsing`) happens before any
write; the write then adds, in one transaction: the ``spending_import`` row (its unique content
hash makes a second import of the same file a no-op, also when two run at once), the monthly
totals (``spending_month``, upserted by adding), the rows (``COPY`` on PostgreSQL, one prepared
``INSERT`` executed many times on SQLite, no ORM objects), where each month of the file lies,
the likely double invoices, the rows with contract detail grouped for the tariff checks
(``spending_detail_month``) and the rows naming an assignment's stage (``spending_stage``),
and an audit event. Any failure rolls all of it back. A file without detail columns writes
NULL in them and nothing to the two detail tables. Two rows for different assignments
(both naming one) are never a double invoice, whatever else they share.

Imports are serialised (SQLite's write lock; an advisory lock on PostgreSQL), which lets a file
take one contiguous block of row ids, in file order. A duplicate invoice reference against an
earlier file is caught by the database's unique key while writing (no million-row lookup up
front); the transaction is then rolled back and the offending lines are looked up and reported
like every other validation error.
"""

from __future__ import annotations

import gc
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, literal_column, select
from sqlalchemy import exc as sa_exc
from sqlmodel import col

from populatie.auth.models import AuditEvent
from populatie.districts.models import Municipality
from populatie.errors import DataError, SpendingImportError
from populatie.segments.models import Segment
from populatie.spending.arrow_copy import copy_detail, copy_rows
from populatie.spending.detail import DETAIL_COLUMNS
from populatie.spending.models import (
    Spending,
    SpendingImport,
    SpendingImportMonth,
    SpendingMonth,
)
from populatie.spending.parsing import (
    ALL_COLUMNS,
    COMMA_HINT,
    Coded,
    ParsedSpending,
    RowError,
    SpendingFileError,
    content_hash,
    parse_spending,
)

__all__ = ["ImportOutcome", "ImportProgress", "import_spending"]

CHUNK_ROWS = 50_000
_LOCK_KEY = 4_240_518  # pg_advisory_xact_lock key that serialises spending imports
_MONTH_KEY = ("municipality_code", "district_code", "reference", "domain", "provider")
#: The detail columns as the ``spending`` table names them.
_DETAIL_TABLE_COLUMNS = tuple(
    "quantity_hundredths" if name == "quantity" else name for name in DETAIL_COLUMNS
)


class ImportProgress(Protocol):
    """What the import reports while it runs (the CLI shows it as a progress bar)."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, rows: int) -> None: ...


@dataclass(frozen=True)
class ImportOutcome:
    imported: bool
    import_id: int
    content_hash: str
    file_name: str
    rows: int
    amount_cents: int
    first_booked_on: date
    last_booked_on: date
    months: int = 0
    duplicates: int = 0
    imported_at: datetime | None = None

    def summary(self) -> str:
        if not self.imported:
            return (
                f"{self.file_name}: already imported (content hash {self.content_hash[:12]}, "
                f"import {self.import_id} of {self.imported_at:%Y-%m-%d %H:%M}); nothing written"
            )
        return (
            f"{self.file_name}: imported {self.rows} rows booked {self.first_booked_on} to "
            f"{self.last_booked_on} as import {self.import_id} ({self.months} months; "
            f"{self.duplicates} likely double invoices flagged for reconciliation)"
        )


def import_spending(
    engine: Engine,
    path: Path,
    *,
    decimal_comma: bool = False,
    user: str,
    progress: ImportProgress | None = None,
    comma_hint: str = COMMA_HINT,
) -> ImportOutcome:
    """Import the spending file at ``path`` (see the module docstring for what is written).

    ``comma_hint`` is how an error about Dutch amounts names the caller's option for them.

    The cyclic garbage collector is paused meanwhile: a large file is millions of strings in
    lists that live until the import ends, and each collection would walk all of them again
    (a tenth of the import's time) to find no garbage.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _import(engine, path, decimal_comma, user, progress, comma_hint)
    finally:
        if paused:
            gc.enable()


def _import(
    engine: Engine,
    path: Path,
    decimal_comma: bool,
    user: str,
    progress: ImportProgress | None,
    comma_hint: str,
) -> ImportOutcome:
    data = path.read_bytes()
    digest = content_hash(data)
    show = progress or _Silent()
    earlier = _earlier_import(engine, digest, path.name)
    if earlier is not None:
        return earlier
    with engine.connect() as conn:
        municipalities = [str(m) for m in conn.execute(select(col(Municipality.code))).scalars()]
        segments = {
            str(code): (int(first), None if last is None else int(last))
            for code, first, last in conn.execute(
                select(col(Segment.code), col(Segment.from_year), col(Segment.to_year))
            )
        }
    if not municipalities:
        raise DataError("no municipalities of record: run `populatie load` first")
    show.phase("checking", None)
    try:
        parsed = parse_spending(
            data,
            decimal_comma=decimal_comma,
            municipalities=municipalities,
            on_step=lambda _: None,
            comma_hint=comma_hint,
            segments=segments,
            digest=digest,
        )
    except SpendingFileError as exc:
        errors = exc.errors + _already_imported(engine, exc.invoices, exc.lines)
        raise _rejected(path.name, errors) from None
    show.phase("writing", len(parsed))
    try:
        return _write(engine, parsed, path.name, decimal_comma, user, show)
    except (sa_exc.IntegrityError, psycopg.errors.IntegrityError, sqlite3.IntegrityError) as exc:
        again = _earlier_import(engine, digest, path.name)
        if again is not None:
            return again  # the same file, imported at the same moment by someone else
        errors = _already_imported(engine, parsed.invoice_reference, parsed.lines.tolist())
        if not errors:
            raise DataError(f"{path.name}: the database refused the import: {exc}") from None
        raise _rejected(path.name, errors) from None


class _Silent:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


def _rejected(file_name: str, errors: Sequence[RowError]) -> SpendingImportError:
    return SpendingImportError(
        f"{file_name} is rejected: {len(errors)} error{'s' if len(errors) != 1 else ''}, "
        "nothing was imported",
        details=[e.as_dict() for e in sorted(errors, key=_error_order)],
    )


def _error_order(error: RowError) -> tuple[int, int, str]:
    position = ALL_COLUMNS.index(error.column) if error.column in ALL_COLUMNS else len(ALL_COLUMNS)
    return (error.line, position, error.column)


def _earlier_import(engine: Engine, digest: str, file_name: str) -> ImportOutcome | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(SpendingImport).where(col(SpendingImport.content_hash) == digest)
        ).first()
    if row is None:
        return None
    return ImportOutcome(
        imported=False,
        import_id=row.id,
        content_hash=digest,
        file_name=file_name,
        rows=row.rows,
        amount_cents=row.amount_cents,
        first_booked_on=row.first_booked_on,
        last_booked_on=row.last_booked_on,
        imported_at=row.imported_at,
    )


def _already_imported(
    engine: Engine,
    invoices: Sequence[str],
    lines: Sequence[int],
) -> list[RowError]:
    """Errors for the invoice references that an earlier import holds already."""
    if not invoices:
        return []
    line_of: dict[str, int] = {}
    for invoice, line in zip(invoices, lines, strict=True):
        if invoice:
            line_of.setdefault(invoice, line)
    found: list[RowError] = []
    with engine.connect() as conn:
        keys = list(line_of)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = conn.execute(
                select(
                    col(Spending.invoice_reference),
                    col(SpendingImport.file_name),
                    col(Spending.line),
                )
                .join(SpendingImport, col(SpendingImport.id) == col(Spending.import_id))
                .where(col(Spending.invoice_reference).in_(chunk))
            )
            for invoice, file_name, line in rows:
                found.append(
                    RowError(
                        line_of[invoice],
                        "invoice_reference",
                        invoice,
                        f"duplicate invoice reference: imported before ({file_name} line {line})",
                    )
                )
    return found


# ---------------------------------------------------------------------------------------------
# Grouping, in numpy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Groups:
    """The file's rows grouped by month key: ``group[i]`` is row i's key; ``first[g]`` the
    first row of key g; per key its cents and rows."""

    group: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    amount_cents: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]


def _group(parsed: ParsedSpending) -> _Groups:
    n = len(parsed)
    key = (parsed.year.astype(np.int64) * 12 + parsed.month - 1) - 2000 * 12
    radix = 100 * 12
    for name in ("municipality", "district", "reference", "domain", "provider"):
        column = parsed.coded[name]
        size = len(column.values)
        if radix * size >= 2**62:  # cannot happen with real files; stay exact anyway
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1
        key = key * size + column.codes
        radix *= size
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    group = group.astype(np.int64).reshape(n)
    amount = np.zeros(first.size, dtype=np.int64)
    np.add.at(amount, group, parsed.amount_cents)
    rows = np.bincount(group, minlength=first.size).astype(np.int64)
    return _Groups(group=group, first=first.astype(np.int64), amount_cents=amount, rows=rows)


def _assignment_codes(parsed: ParsedSpending) -> npt.NDArray[np.int64] | None:
    """Each row's assignment as a number (equal numbers: the same assignment); None when no
    row names one."""
    detail = parsed.detail
    if detail is None:
        return None
    coded = detail.coded.get("assignment_reference") or Coded.of(detail.assignment_reference)
    if not any(coded.values):
        return None
    return coded.codes.astype(np.int64)


def _duplicates_in_file(parsed: ParsedSpending, groups: _Groups) -> list[tuple[int, int]]:
    """(row, earlier row) for every row equal to an earlier one in key, day and amount."""
    n = len(parsed)
    assignment = _assignment_codes(parsed)
    # lexsort is stable: alike rows stay in file order, the first of each run the earliest.
    keys = (parsed.amount_cents, parsed.day, groups.group)
    order = np.lexsort(keys if assignment is None else (assignment, *keys))
    g, d, a = groups.group[order], parsed.day[order], parsed.amount_cents[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = (g[1:] == g[:-1]) & (d[1:] == d[:-1]) & (a[1:] == a[:-1])
    if assignment is not None:
        s = assignment[order]
        same[1:] &= s[1:] == s[:-1]
    if not same.any():
        return []
    run_start = np.maximum.accumulate(np.where(same, 0, np.arange(n)))
    dup = np.flatnonzero(same)
    return list(zip(order[dup].tolist(), order[run_start[dup]].tolist(), strict=True))


# ---------------------------------------------------------------------------------------------
# The write
# ---------------------------------------------------------------------------------------------


def _write(
    engine: Engine,
    parsed: ParsedSpending,
    file_name: str,
    decimal_comma: bool,
    user: str,
    progress: ImportProgress,
) -> ImportOutcome:
    n = len(parsed)
    now = datetime.now(UTC)
    groups = _group(parsed)
    first_day = date.fromordinal(int(parsed.day.min()))
    last_day = date.fromordinal(int(parsed.day.max()))
    total = int(parsed.amount_cents.sum())
    with engine.connect() as conn, conn.begin():
        # The first statement writes: on SQLite it takes the write lock (waiting for another
        # import to finish), on PostgreSQL a concurrent import of the same file blocks on the
        # unique hash until it commits; either way the loser gets an IntegrityError.
        import_id = conn.execute(
            insert(SpendingImport)
            .values(
                content_hash=parsed.content_hash,
                file_name=file_name,
                decimal_comma=decimal_comma,
                rows=n,
                amount_cents=total,
                first_booked_on=first_day,
                last_booked_on=last_day,
                imported_at=now,
                imported_by=user,
            )
            .returning(col(SpendingImport.id))
        ).scalar_one()
        assert import_id is not None
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        base = int(conn.execute(select(func.coalesce(func.max(Spending.id), 0))).scalar_one()) + 1

        month_ids, existed = _upsert_month_totals(conn, parsed, groups, base)
        _record_months(conn, parsed, import_id, base)
        if postgres:
            _copy_rows(conn, parsed, import_id, base, month_ids[groups.group], progress)
        else:
            _insert_rows(conn, parsed, import_id, base, month_ids[groups.group], progress)

        if parsed.detail is not None:
            _record_detail(conn, parsed, import_id, base, month_ids[groups.group])
        original = _duplicates_of_earlier(conn, parsed, groups, base, month_ids, existed)
        for i, j in _duplicates_in_file(parsed, groups):
            original.setdefault(base + i, base + j)
        if original:
            _record_duplicates(conn, sorted(original.items()))
        conn.execute(
            insert(AuditEvent).values(
                at=now,
                actor=user,
                role="finance",
                partnership_name=None,
                action="spending.import",
                target=f"spending_import/{import_id}",
                detail={
                    "file": file_name,
                    "content_hash": parsed.content_hash,
                    "rows": n,
                    "amount_cents": total,
                },
            )
        )
    return ImportOutcome(
        imported=True,
        import_id=import_id,
        content_hash=parsed.content_hash,
        file_name=file_name,
        rows=n,
        amount_cents=total,
        first_booked_on=first_day,
        last_booked_on=last_day,
        months=int(np.unique(parsed.year * 100 + parsed.month).size),
        duplicates=len(original),
        imported_at=now,
    )


def _record_duplicates(conn: Connection, pairs: list[tuple[int, int]]) -> None:
    """The likely double invoices, (row, the row it repeats): COPY on PostgreSQL (a statement
    per row was a round trip each), one prepared insert on SQLite."""
    driver = conn.connection.driver_connection
    if isinstance(driver, psycopg.Connection):
        statement = "COPY spending_duplicate (spending_id, original_id) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write("".join(f"{s}\t{o}\n" for s, o in pairs))
    else:
        conn.exec_driver_sql(
            "INSERT INTO spending_duplicate (spending_id, original_id) VALUES (?, ?)", pairs
        )


def _month_key_values(parsed: ParsedSpending, groups: _Groups) -> list[tuple[Any, ...]]:
    first = groups.first
    columns = [
        [parsed.coded[name].values[c] for c in parsed.coded[name].codes[first].tolist()]
        for name in ("municipality", "district", "reference", "domain", "provider")
    ]
    periods = (parsed.year[first].tolist(), parsed.month[first].tolist())
    return list(zip(*periods, *columns, strict=True))


_UPSERT_MONTH = (
    "INSERT INTO spending_month (year, month, municipality_code, district_code, reference, "
    "domain, provider, amount_cents, rows, first_spending_id) VALUES ({marks}) "
    "ON CONFLICT (year, month, municipality_code, district_code, reference, domain, provider) "
    "DO UPDATE SET amount_cents = spending_month.amount_cents + excluded.amount_cents, "
    "rows = spending_month.rows + excluded.rows"
)


_UPSERT_MONTH_COPIED = (
    "INSERT INTO spending_month (year, month, municipality_code, district_code, reference, "
    "domain, provider, amount_cents, rows, first_spending_id) "
    "SELECT y, m, mc, dc, r, d, p, a, n, f FROM month_total ORDER BY k "
    "ON CONFLICT (year, month, municipality_code, district_code, reference, domain, provider) "
    "DO UPDATE SET amount_cents = spending_month.amount_cents + excluded.amount_cents, "
    "rows = spending_month.rows + excluded.rows"
)


def _upsert_month_totals(
    conn: Connection, parsed: ParsedSpending, groups: _Groups, base: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Add the file's totals to ``spending_month`` (a new total names its first row); the id
    of every key, and whether the key had a total before this file."""
    keys = _month_key_values(parsed, groups)
    periods = {(k[0], k[1]) for k in keys}
    before = _month_ids(conn, periods)
    params = [
        (*key, amount, rows, base + first)
        for key, amount, rows, first in zip(
            keys,
            groups.amount_cents.tolist(),
            groups.rows.tolist(),
            groups.first.tolist(),
            strict=True,
        )
    ]
    # One order for every import, so two imports touching the same totals cannot deadlock.
    params.sort(key=lambda p: p[:7])
    driver = conn.connection.driver_connection
    if isinstance(driver, psycopg.Connection):
        # COPY to a temporary table, then one upsert: a statement per total was a round trip
        # each, and arrays as parameters cost as much in dumping them.
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE month_total (k integer, y integer, m integer, mc text, "
            "dc text, r text, d text, p text, a bigint, n integer, f bigint) ON COMMIT DROP"
        )
        with driver.cursor() as cursor, cursor.copy("COPY month_total FROM STDIN") as copy:
            for k, total in enumerate(params):
                copy.write_row((k, *total))
        conn.exec_driver_sql(_UPSERT_MONTH_COPIED)
        conn.exec_driver_sql("DROP TABLE month_total")
    else:
        conn.exec_driver_sql(_UPSERT_MONTH.format(marks=", ".join(["?"] * 10)), params)
    after = _month_ids(conn, periods)
    ids = np.fromiter((after[k] for k in keys), dtype=np.int64, count=len(keys))
    existed = np.fromiter((k in before for k in keys), dtype=bool, count=len(keys))
    return ids, existed


def _month_ids(conn: Connection, periods: set[tuple[int, int]]) -> dict[tuple[Any, ...], int]:
    """The id of every total of the months ``periods``, by its key (one range read)."""
    years = [year for year, _ in periods]
    rows = conn.execute(
        select(
            col(SpendingMonth.id),
            col(SpendingMonth.year),
            col(SpendingMonth.month),
            *(getattr(SpendingMonth, name) for name in _MONTH_KEY),
        ).where(col(SpendingMonth.year).between(min(years), max(years)))
    )
    return {tuple(row[1:]): int(row[0]) for row in rows if (row[1], row[2]) in periods}


def _record_months(conn: Connection, parsed: ParsedSpending, import_id: int, base: int) -> None:
    period = parsed.year.astype(np.int64) * 100 + parsed.month
    values, first, inverse = np.unique(period, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    last = np.zeros(values.size, dtype=np.int64)
    np.maximum.at(last, inverse, np.arange(len(parsed)))
    amount = np.zeros(values.size, dtype=np.int64)
    np.add.at(amount, inverse, parsed.amount_cents)
    rows = np.bincount(inverse, minlength=values.size)
    conn.execute(
        insert(SpendingImportMonth),
        [
            {
                "import_id": import_id,
                "year": int(v) // 100,
                "month": int(v) % 100,
                "first_id": base + int(f),
                "last_id": base + int(last_i),
                "rows": int(r),
                "amount_cents": int(a),
            }
            for v, f, last_i, r, a in zip(
                values.tolist(),
                first.tolist(),
                last.tolist(),
                rows.tolist(),
                amount.tolist(),
                strict=True,
            )
        ],
    )


def _row_tuples(
    parsed: ParsedSpending, import_id: int, base: int, row_month: npt.NDArray[np.int64]
) -> Iterator[tuple[Any, ...]]:
    """The rows in the column order of the ``spending`` table."""
    n = len(parsed)
    columns = {
        "id": range(base, base + n),
        "import_id": itertools.repeat(import_id, n),
        "line": parsed.lines.tolist(),
        "month_id": row_month.tolist(),
        "booked_on": parsed.booked_on,
        "municipality_code": parsed.municipality,
        "district_code": [d or None for d in parsed.district],
        "reference": parsed.reference,
        "domain": parsed.domain,
        "provider": parsed.provider,
        "amount_cents": parsed.amount_cents.tolist(),
        "invoice_reference": parsed.invoice_reference,
        "description": parsed.description,
        **_detail_values(parsed),
    }
    order = [c.name for c in Spending.__table__.columns]  # type: ignore[attr-defined]
    return zip(*(columns[name] for name in order), strict=True)


def _detail_values(parsed: ParsedSpending) -> dict[str, Sequence[Any]]:
    """The detail columns of the rows, None where a row has none (all None: no detail)."""
    detail = parsed.detail
    if detail is None:
        return {name: [None] * len(parsed) for name in _DETAIL_TABLE_COLUMNS}
    return {
        "segment": [v or None for v in detail.segment],
        "product_code": [v or None for v in detail.product_code],
        "quantity_hundredths": detail.quantity_hundredths,
        "unit": [v or None for v in detail.unit],
        "stage": [v or None for v in detail.stage],
        "assignment_reference": [v or None for v in detail.assignment_reference],
    }


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _insert_rows(
    conn: Connection,
    parsed: ParsedSpending,
    import_id: int,
    base: int,
    row_month: npt.NDArray[np.int64],
    progress: ImportProgress,
) -> None:
    """SQLite: one Core ``insert``, compiled once and executed for every row by the driver.

    Only what differs per row is bound: the import is a literal, an empty district becomes
    NULL in SQL, and the id is SQLite's own next rowid (the largest plus one: the ids the
    import reserved, as the write lock is held; checked below). The rows are fed to
    ``executemany`` as they are zipped, chunk by chunk, never gathered in lists.
    """
    n = len(parsed)
    # ``inline``: no RETURNING of the generated ids, which would cost a result row per insert.
    statement = (
        insert(Spending)
        .inline()
        .values(
            id=literal_column("NULL"),  # INTEGER PRIMARY KEY: NULL takes the next rowid
            import_id=literal_column(str(int(import_id))),
            line=bindparam("line"),
            month_id=bindparam("month_id"),
            booked_on=bindparam("booked_on"),
            municipality_code=bindparam("municipality_code"),
            district_code=func.nullif(bindparam("district_code"), literal_column("''")),
            reference=bindparam("reference"),
            domain=bindparam("domain"),
            provider=bindparam("provider"),
            amount_cents=bindparam("amount_cents"),
            invoice_reference=bindparam("invoice_reference"),
            description=bindparam("description"),
            # A file without detail binds none of it: its rows cost what they cost before.
            **{
                name: bindparam(name) if parsed.detail is not None else literal_column("NULL")
                for name in _DETAIL_TABLE_COLUMNS
            },
        )
    )
    compiled = statement.compile(dialect=conn.dialect)
    values: dict[str, Sequence[Any]] = {
        "line": parsed.lines.tolist(),
        "month_id": row_month.tolist(),
        "booked_on": parsed.booked_on,
        "municipality_code": parsed.municipality,
        "district_code": parsed.district,
        "reference": parsed.reference,
        "domain": parsed.domain,
        "provider": parsed.provider,
        "amount_cents": parsed.amount_cents.tolist(),
        "invoice_reference": parsed.invoice_reference,
        "description": parsed.description,
    }
    if parsed.detail is not None:
        values.update(_detail_values(parsed))
    assert compiled.positiontup is not None
    rows = zip(*(values[name] for name in compiled.positiontup), strict=True)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, n, CHUNK_ROWS):
            stop = min(n, start + CHUNK_ROWS)
            cursor.executemany(str(compiled), itertools.islice(rows, stop - start))
            progress.advance(stop - start)
    finally:
        cursor.close()
    # Every new id is above the old largest (base - 1); n of them ending at base + n - 1 are
    # exactly the reserved block.
    last = conn.execute(select(func.max(Spending.id))).scalar_one()
    if last != base + n - 1:
        raise DataError(f"rows got ids up to {last}, not the block {base}..{base + n - 1}")


def _copy_rows(
    conn: Connection,
    parsed: ParsedSpending,
    import_id: int,
    base: int,
    row_month: npt.NDArray[np.int64],
    progress: ImportProgress,
) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` on the transaction's own connection.

    A file that pyarrow read goes as CSV that pyarrow writes (:mod:`.arrow_copy`). Otherwise,
    when no value needs escaping in COPY's text format (no tab, backslash or line break in the
    file), each chunk is written as one block of text joined column-wise; otherwise row by
    row, letting psycopg escape.
    """
    names = [c.name for c in Spending.__table__.columns]  # type: ignore[attr-defined]
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    if parsed.arrow is not None:
        copy_rows(driver, names, parsed, import_id, base, row_month, CHUNK_ROWS, progress.advance)
        return
    statement = f"COPY spending ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if not parsed.copy_safe:
            rows = _row_tuples(parsed, import_id, base, row_month)
            for chunk in _chunks(rows, CHUNK_ROWS):
                for row in chunk:
                    copy.write_row(row)
                progress.advance(len(chunk))
            return
        n = len(parsed)
        for start in range(0, n, CHUNK_ROWS):
            stop = min(n, start + CHUNK_ROWS)
            text = {
                "id": map(str, range(base + start, base + stop)),
                "import_id": itertools.repeat(str(import_id), stop - start),
                "line": map(str, parsed.lines[start:stop].tolist()),
                "month_id": map(str, row_month[start:stop].tolist()),
                "booked_on": parsed.booked_on[start:stop],
                "municipality_code": parsed.municipality[start:stop],
                "district_code": [d or "\\N" for d in parsed.district[start:stop]],
                "reference": parsed.reference[start:stop],
                "domain": parsed.domain[start:stop],
                "provider": parsed.provider[start:stop],
                "amount_cents": map(str, parsed.amount_cents[start:stop].tolist()),
                "invoice_reference": parsed.invoice_reference[start:stop],
                "description": parsed.description[start:stop],
                **_detail_text(parsed, start, stop),
            }
            block = "\n".join(map("\t".join, zip(*(text[name] for name in names), strict=True)))
            copy.write(block + "\n")
            progress.advance(stop - start)


def _detail_text(parsed: ParsedSpending, start: int, stop: int) -> dict[str, Iterable[str]]:
    """The detail columns of rows ``start:stop`` in COPY's text format (``\\N``: NULL)."""
    detail = parsed.detail
    if detail is None:
        return {name: itertools.repeat("\\N", stop - start) for name in _DETAIL_TABLE_COLUMNS}
    return {
        "segment": [v or "\\N" for v in detail.segment[start:stop]],
        "product_code": [v or "\\N" for v in detail.product_code[start:stop]],
        "quantity_hundredths": [
            "\\N" if q is None else str(q) for q in detail.quantity_hundredths[start:stop]
        ],
        "unit": [v or "\\N" for v in detail.unit[start:stop]],
        "stage": [v or "\\N" for v in detail.stage[start:stop]],
        "assignment_reference": [v or "\\N" for v in detail.assignment_reference[start:stop]],
    }


def _record_detail(
    conn: Connection,
    parsed: ParsedSpending,
    import_id: int,
    base: int,
    row_month: npt.NDArray[np.int64],
) -> None:
    """The rows with detail, grouped for the tariff checks (``spending_detail_month``), and the
    rows naming a stage with their assignment (``spending_stage``).

    On PostgreSQL, for a file that pyarrow read, both are copied from its columns
    (:func:`.arrow_copy.copy_detail`). Otherwise both are copied by the database from the rows
    just written (their ids are the block
    ``base`` to ``base + n - 1``), so no value passes through Python twice; only the grouping
    is found here, in numpy. When every group is a single row (amounts mostly differ) the
    copy needs nothing more; otherwise the first row and size of each group go to a temporary
    table the copy joins.
    """
    detail = parsed.detail
    assert detail is not None
    n = len(parsed)
    first, rows = _detail_groups(parsed, row_month)
    driver = conn.connection.driver_connection
    if parsed.arrow is not None and isinstance(driver, psycopg.Connection):
        copy_detail(driver, parsed, import_id, base, row_month, (first, rows))
        return
    last = base + n - 1
    columns = (
        "import_id, month_id, segment, product_code, stage, unit, quantity_hundredths, "
        "amount_cents, rows, first_spending_id"
    )
    values = (
        f"{int(import_id)}, s.month_id, coalesce(s.segment, ''), coalesce(s.product_code, ''), "
        "coalesce(s.stage, ''), coalesce(s.unit, ''), s.quantity_hundredths, s.amount_cents"
    )
    postgres = conn.dialect.name == "postgresql"
    if first.size == 0:
        pass
    elif bool((rows == 1).all()):
        conn.exec_driver_sql(
            f"INSERT INTO spending_detail_month ({columns}) SELECT {values}, 1, s.id "
            f"FROM spending s WHERE s.id BETWEEN {base} AND {last} AND "
            "(s.segment IS NOT NULL OR s.product_code IS NOT NULL OR s.stage IS NOT NULL) "
            "ORDER BY s.id"
        )
    else:
        ids = (first + base).tolist()
        sizes = rows.tolist()
        driver = conn.connection.driver_connection
        if postgres:
            assert isinstance(driver, psycopg.Connection)
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE detail_group (id bigint PRIMARY KEY, rows integer) "
                "ON COMMIT DROP"
            )
            with driver.cursor() as cursor, cursor.copy("COPY detail_group FROM STDIN") as copy:
                copy.write("".join(f"{i}\t{r}\n" for i, r in zip(ids, sizes, strict=True)))
        else:
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE detail_group (id INTEGER PRIMARY KEY, rows INTEGER)"
            )
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(
                    "INSERT INTO detail_group VALUES (?, ?)", zip(ids, sizes, strict=True)
                )
            finally:
                cursor.close()
        conn.exec_driver_sql(
            f"INSERT INTO spending_detail_month ({columns}) SELECT {values}, g.rows, s.id "
            "FROM detail_group g JOIN spending s ON s.id = g.id ORDER BY g.id"
        )
        conn.exec_driver_sql("DROP TABLE detail_group")
    if detail.present and any(detail.stage):
        conn.exec_driver_sql(
            "INSERT INTO spending_stage (spending_id, month_id, assignment_reference, stage, "
            "booked_on, product_code, quantity_hundredths, amount_cents) "
            "SELECT id, month_id, assignment_reference, stage, booked_on, product_code, "
            f"quantity_hundredths, amount_cents FROM spending WHERE id BETWEEN {base} AND "
            f"{last} AND stage IS NOT NULL ORDER BY id"
        )


def _detail_groups(
    parsed: ParsedSpending, row_month: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The first row of each group of rows alike in everything a tariff check reads (monthly
    total, segment, product, stage, unit, quantity, amount), in file order, and its size; only
    rows naming a segment, a product or a stage."""
    detail = parsed.detail
    assert detail is not None
    n = len(parsed)
    coded = [
        detail.coded.get(name) or Coded.of(getattr(detail, name))
        for name in ("segment", "product_code", "stage", "unit")
    ]
    keys = [c.codes for c in coded]
    with_detail = np.zeros(n, dtype=bool)
    for column in coded[:3]:  # a segment, a product or a stage
        named = [k for k, v in enumerate(column.values) if v]
        with_detail |= np.isin(column.codes, named)
    quantity = np.fromiter(
        (-1 if q is None else q for q in detail.quantity_hundredths), dtype=np.int64, count=n
    )
    index = np.flatnonzero(with_detail)
    if index.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    columns: list[npt.NDArray[np.int64]] = [
        parsed.amount_cents[index],
        quantity[index],
        *(k[index].astype(np.int64) for k in keys),
        row_month[index],
    ]
    order = np.lexsort(columns)  # stable: each run of alike rows in file order
    sorted_columns = [c[order] for c in columns]
    starts = np.ones(index.size, dtype=bool)
    for c in sorted_columns:
        starts[1:] &= c[1:] == c[:-1]
    starts[1:] = ~starts[1:]
    run = np.flatnonzero(starts)
    sizes = np.diff(np.append(run, index.size)).astype(np.int64)
    firsts = index[order[run]]
    in_file_order = np.argsort(firsts, kind="stable")
    return firsts[in_file_order].astype(np.int64), sizes[in_file_order]


def _duplicates_of_earlier(
    conn: Connection,
    parsed: ParsedSpending,
    groups: _Groups,
    base: int,
    month_ids: npt.NDArray[np.int64],
    existed: npt.NDArray[np.bool_],
) -> dict[int, int]:
    """New row → the row of an earlier file it repeats (same key, day and amount). Only keys
    that had a total before this file can hold such a row; their rows are found through the
    id ranges of their months."""
    if not existed.any():
        return {}
    candidates: dict[tuple[int, int], list[int]] = {}
    for g in np.flatnonzero(existed).tolist():
        i = int(groups.first[g])
        period = (int(parsed.year[i]), int(parsed.month[i]))
        candidates.setdefault(period, []).append(int(month_ids[g]))
    earlier: dict[tuple[int, int, int, str], int] = {}
    for (year, month), ids in sorted(candidates.items()):
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(
                    col(Spending.id),
                    col(Spending.month_id),
                    col(Spending.booked_on),
                    col(Spending.amount_cents),
                    col(Spending.assignment_reference),
                )
                .select_from(SpendingImportMonth)
                .join(
                    Spending,
                    and_(
                        col(Spending.id) >= col(SpendingImportMonth.first_id),
                        col(Spending.id) <= col(SpendingImportMonth.last_id),
                    ),
                )
                .where(
                    col(SpendingImportMonth.year) == year,
                    col(SpendingImportMonth.month) == month,
                    col(Spending.month_id).in_(ids[start : start + 500]),
                    col(Spending.id) < base,
                )
            )
            for row_id, month_id, booked_on, amount, assignment in rows:
                key = (int(month_id), booked_on.toordinal(), int(amount), assignment or "")
                earlier.setdefault(key, int(row_id))
    found = {}
    rows_to_check = np.flatnonzero(existed[groups.group])
    row_month = month_ids[groups.group]
    assignments = parsed.detail.assignment_reference if parsed.detail is not None else None
    for i in rows_to_check.tolist():
        key = (
            int(row_month[i]),
            int(parsed.day[i]),
            int(parsed.amount_cents[i]),
            assignments[i] if assignments is not None else "",
        )
        if key in earlier:
            found[base + i] = earlier[key]
    return found

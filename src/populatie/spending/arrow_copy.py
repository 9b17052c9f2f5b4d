"""Write the rows of a file that pyarrow read to PostgreSQL, and its two detail tables:
``COPY … (FORMAT csv)`` of text that pyarrow writes in C++ from the columns it read, so no
field becomes a Python string on the way (joining a million rows' text in Python took as long
as the database's COPY, and reading the detail back from the rows just written longer still).

In COPY's CSV format a quoted empty field is the empty string and an unquoted one is NULL;
pyarrow quotes every string and leaves a null unquoted, so the columns that are NULL where a
file has nothing (district, the detail) are turned into nulls first, as the rows' other writers
do, and the rest stay empty strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from populatie.spending.rules import ParsedSpending

__all__ = ["copy_detail", "copy_rows"]

#: The file's column of each text column of ``spending``, and whether "" is written as NULL.
_TEXT = {
    "booked_on": ("booking_date", False),
    "municipality_code": ("municipality", False),
    "district_code": ("district", True),
    "reference": ("reference", False),
    "domain": ("domain", False),
    "provider": ("provider", False),
    "invoice_reference": ("invoice_reference", False),
    "description": ("description", False),
    "segment": ("segment", True),
    "product_code": ("product_code", True),
    "unit": ("unit", True),
    "stage": ("stage", True),
    "assignment_reference": ("assignment_reference", True),
}


def _text(arrow: Mapping[str, Any], name: str, null_if_empty: bool, n: int) -> Any:
    column = arrow.get(name)
    if column is None:
        nulls = pa.nulls(n, pa.string())
        return nulls if null_if_empty else pc.fill_null(nulls, "")
    if null_if_empty:
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    return column


def copy_rows(
    driver: psycopg.Connection[Any],
    names: list[str],
    parsed: ParsedSpending,
    import_id: int,
    base: int,
    row_month: npt.NDArray[np.int64],
    chunk_rows: int,
    advance: Callable[[int], None],
) -> None:
    """COPY the rows (ids ``base`` on, in file order) into ``spending``'s columns ``names``."""
    arrow = parsed.arrow
    assert arrow is not None
    n = len(parsed)
    detail = parsed.detail
    columns: dict[str, Any] = {
        "id": pa.array(np.arange(base, base + n, dtype=np.int64)),
        "import_id": pa.array(np.full(n, import_id, dtype=np.int64)),
        "line": pa.array(parsed.lines.astype(np.int64)),
        "month_id": pa.array(row_month.astype(np.int64)),
        "amount_cents": pa.array(parsed.amount_cents.astype(np.int64)),
        "quantity_hundredths": (
            pa.nulls(n, pa.int64())
            if detail is None
            else pa.array(detail.quantity_hundredths, type=pa.int64())
        ),
        **{
            column: _text(arrow, name, null_if_empty, n)
            for column, (name, null_if_empty) in _TEXT.items()
        },
    }
    table = pa.table([columns[name] for name in names], names=names)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    statement = f"COPY spending ({', '.join(names)}) FROM STDIN (FORMAT csv)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, n, chunk_rows):
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(table.slice(start, chunk_rows), sink, write_options=options)
            copy.write(memoryview(sink.getvalue()))
            advance(min(chunk_rows, n - start))


def _copy(driver: psycopg.Connection[Any], table_name: str, table: Any) -> None:
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, write_options=options)
    statement = f"COPY {table_name} ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(memoryview(sink.getvalue()))


def copy_detail(
    driver: psycopg.Connection[Any],
    parsed: ParsedSpending,
    import_id: int,
    base: int,
    row_month: npt.NDArray[np.int64],
    groups: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> None:
    """``spending_detail_month`` (a row per group: its first row and size in ``groups``, in
    file order) and ``spending_stage`` (a row per row naming a stage), from the columns: the
    values the database would read back from the rows just written, "" where they hold NULL."""
    arrow, detail = parsed.arrow, parsed.detail
    assert arrow is not None
    assert detail is not None
    n = len(parsed)
    quantity = pa.array(detail.quantity_hundredths, type=pa.int64())
    empty = pc.fill_null(pa.nulls(n, pa.string()), "")
    text = {name: arrow.get(name, empty) for name in ("segment", "product_code", "stage", "unit")}
    first, size = groups
    if first.size:
        at = pa.array(first)
        _copy(
            driver,
            "spending_detail_month",
            pa.table(
                {
                    "import_id": pa.array(np.full(first.size, import_id, dtype=np.int64)),
                    "month_id": pa.array(row_month[first].astype(np.int64)),
                    **{name: pc.take(column, at) for name, column in text.items()},
                    "quantity_hundredths": pc.take(quantity, at),
                    "amount_cents": pa.array(parsed.amount_cents[first].astype(np.int64)),
                    "rows": pa.array(size.astype(np.int64)),
                    "first_spending_id": pa.array((first + base).astype(np.int64)),
                }
            ),
        )
    staged = pc.indices_nonzero(pc.not_equal(text["stage"], ""))
    if len(staged):
        rows = staged.to_numpy(zero_copy_only=False).astype(np.int64)
        _copy(
            driver,
            "spending_stage",
            pa.table(
                {
                    "spending_id": pa.array(rows + base),
                    "month_id": pa.array(row_month[rows].astype(np.int64)),
                    "assignment_reference": pc.take(arrow["assignment_reference"], staged),
                    "stage": pc.take(text["stage"], staged),
                    "booked_on": pc.take(arrow["booking_date"], staged),
                    "product_code": pc.take(text["product_code"], staged),
                    "quantity_hundredths": pc.take(quantity, staged),
                    "amount_cents": pa.array(parsed.amount_cents[rows].astype(np.int64)),
                }
            ),
        )

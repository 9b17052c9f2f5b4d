"""Write the rows of a file that pyarrow read to PostgreSQL: ``COPY … (FORMAT csv)`` of text
that pyarrow writes in C++ from the columns it read, so no field becomes a Python string on
the way (joining a million rows' text in Python took as long as the database's COPY).

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

__all__ = ["copy_rows"]

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

"""Imported spending: the files, their rows, the monthly totals kept beside them, duplicates.

``spending`` holds every row as the finance system sent it (amounts in cents). ``spending_month``
holds the same money summed per month and per everything reconciliation looks at (municipality,
district, reference, domain, provider); it is updated in the transaction that writes the rows, so
a reconciliation reads thousands of totals instead of millions of rows, and names the first row
of each total so an exception can show a row as evidence without a scan.

Rows get their ids from the import, in file order, in one block per file (imports are
serialised), so ``spending_import_month`` can record which id range holds each month of each
file. The rows behind a total are then a primary-key range scan filtered on ``month_id``, with
no secondary index on ``spending`` to maintain: an index there would halve the import speed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

#: A 64-bit key on PostgreSQL; on SQLite it must be INTEGER to be the rowid.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class SpendingImport(SQLModel, table=True):
    """One imported file; its content hash makes importing the same file twice a no-op."""

    __tablename__ = "spending_import"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    file_name: str
    decimal_comma: bool
    rows: int
    amount_cents: int = Field(sa_type=BigInteger)
    first_booked_on: date
    last_booked_on: date
    imported_at: datetime
    imported_by: str


class SpendingMonth(SQLModel, table=True):
    """The total of one month for one combination of what reconciliation groups by.

    ``district_code`` and ``reference`` are ``""`` where the rows had none, so the unique key
    holds on every database (a NULL would never collide).
    """

    __tablename__ = "spending_month"
    __table_args__ = (
        UniqueConstraint(
            "year",
            "month",
            "municipality_code",
            "district_code",
            "reference",
            "domain",
            "provider",
            name="uq_spending_month_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    month: int
    municipality_code: str = Field(max_length=6)
    district_code: str = Field(max_length=8)
    reference: str = Field(max_length=64)
    domain: str = Field(max_length=20)
    provider: str = Field(max_length=200)
    amount_cents: int = Field(sa_type=BigInteger)
    rows: int
    first_spending_id: int = Field(
        sa_type=RowId,
        description="The first row that made this total: evidence one primary-key lookup away",
    )


class SpendingImportMonth(SQLModel, table=True):
    """Where one month of one file lies: its rows have ids ``first_id`` to ``last_id``
    (rows of other months may lie between, when a file is not sorted by date)."""

    __tablename__ = "spending_import_month"

    import_id: int = Field(foreign_key="spending_import.id", primary_key=True)
    year: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    first_id: int = Field(sa_type=RowId)
    last_id: int = Field(sa_type=RowId)
    rows: int
    amount_cents: int = Field(sa_type=BigInteger)


class Spending(SQLModel, table=True):
    """One booking as imported. No personal data: the import refuses it before it gets here."""

    __tablename__ = "spending"

    id: int = Field(sa_type=RowId, primary_key=True, sa_column_kwargs={"autoincrement": False})
    # No foreign keys on the two columns below, on purpose: on PostgreSQL a key check is a
    # trigger per row and made COPY five times slower. The import is the only writer, and sets
    # both from rows it wrote in the same transaction; nothing deletes imports or totals.
    import_id: int
    line: int
    month_id: int
    booked_on: date
    municipality_code: str = Field(max_length=6)
    district_code: str | None = Field(default=None, max_length=8)
    reference: str = Field(max_length=64)
    domain: str = Field(max_length=20)
    provider: str = Field(max_length=200)
    amount_cents: int = Field(sa_type=BigInteger)
    invoice_reference: str = Field(max_length=64, unique=True)
    description: str = Field(max_length=500)
    # The optional detail of a regional contract's booking (None where the file had none).
    segment: str | None = Field(default=None, max_length=40)
    product_code: str | None = Field(default=None, max_length=5)
    quantity_hundredths: int | None = Field(default=None, sa_type=BigInteger)
    unit: str | None = Field(default=None, max_length=20)
    stage: str | None = Field(default=None, max_length=12)
    assignment_reference: str | None = Field(default=None, max_length=20)


class SpendingDetailMonth(SQLModel, table=True):
    """Rows of one file that carry contract detail, grouped by everything a tariff check looks
    at: the monthly total they belong to, segment, product, stage, unit, and the quantity and
    amount of each row. Rows alike in all of these get one verdict, so reconciliation checks
    tariffs on a few groups instead of every row; ``first_spending_id`` is the evidence.
    ``""`` stands for none given; the quantity is NULL where none was given."""

    __tablename__ = "spending_detail_month"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(index=True)
    month_id: int = Field(index=True)
    segment: str = Field(max_length=40)
    product_code: str = Field(max_length=5)
    stage: str = Field(max_length=12)
    unit: str = Field(max_length=20)
    quantity_hundredths: int | None = Field(default=None, sa_type=BigInteger)
    amount_cents: int = Field(sa_type=BigInteger, description="The amount of each row")
    rows: int
    first_spending_id: int = Field(sa_type=RowId)


class SpendingStage(SQLModel, table=True):
    """A row that names the stage of an assignment (start, completion, dropout): kept beside
    ``spending`` with its assignment reference indexed, so "was this assignment dropped out,
    and what was paid on it" is an index lookup, not a scan of every booking."""

    __tablename__ = "spending_stage"

    spending_id: int = Field(sa_type=RowId, primary_key=True)
    month_id: int
    assignment_reference: str = Field(max_length=20, index=True)
    stage: str = Field(max_length=12)
    booked_on: date
    product_code: str = Field(max_length=5)
    quantity_hundredths: int | None = Field(default=None, sa_type=BigInteger)
    amount_cents: int = Field(sa_type=BigInteger)


class SpendingDuplicate(SQLModel, table=True):
    """A row that repeats an earlier one (same provider, reference, domain, district, date and
    amount) under another invoice reference: a likely double invoice, found at import."""

    __tablename__ = "spending_duplicate"

    spending_id: int = Field(sa_type=RowId, foreign_key="spending.id", primary_key=True)
    original_id: int = Field(sa_type=RowId, foreign_key="spending.id", index=True)

"""Tables for the shipped CBS data: municipalities, districts, shapes, indicator figures and
the mapping of districts between boundary vintages.

Figures are stored long (one row per district, vintage and indicator) because which indicators
exist differs per municipality and year; an absent row is an absent figure, never a zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Municipality(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=6)
    name: str


class District(SQLModel, table=True):
    """A district of record (the newest figures' vintage)."""

    code: str = Field(primary_key=True, max_length=8)
    name: str
    municipality_code: str = Field(foreign_key="municipality.code", index=True)
    vintage: int
    shape_vintage: int | None = Field(
        default=None, description="Vintage of the newest boundary shipped; null = no shape"
    )


class DistrictShape(SQLModel, table=True):
    """A district boundary of one vintage, kept per vintage so boundary changes stay traceable."""

    __tablename__ = "district_shape"

    district_code: str = Field(primary_key=True, max_length=8)
    vintage: int = Field(primary_key=True)
    municipality_code: str = Field(index=True)
    area_m2: float
    geojson_wgs84: str = Field(sa_column=Column(Text, nullable=False))
    wkb_rd: bytes = Field(description="Geometry in EPSG:28992 (Amersfoort / RD New), WKB")


class IndicatorFigure(SQLModel, table=True):
    __tablename__ = "indicator_figure"

    district_code: str = Field(primary_key=True, max_length=8)
    vintage: int = Field(primary_key=True)
    indicator: str = Field(primary_key=True, max_length=40)
    municipality_code: str = Field(index=True)
    value: float
    source_table: str
    derived: bool = False
    derivation: str = ""


class DistrictMapping(SQLModel, table=True):
    """Which share of an old district lies in a new one: ``populatie.geo.harmonise``'s mapping.

    One row per old district and new district it touches, with ``new_code`` null for a part
    outside every new district; slivers and parts in water-only districts keep their row with
    ``share`` 0 and their ``status``, so the stored mapping shows what was dropped.
    """

    __tablename__ = "district_mapping"
    __table_args__ = (
        UniqueConstraint(
            "old_code", "old_vintage", "new_code", "new_vintage", name="uq_district_mapping_pair"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    old_code: str = Field(max_length=8, index=True)
    old_vintage: int
    new_code: str | None = Field(default=None, max_length=8, index=True)
    new_vintage: int
    share: float = Field(description="Share of the old district spread onto the new one")
    intersection_m2: float
    overlap_share: float = Field(description="intersection_m2 / area of the old district")
    status: str = Field(max_length=12, description="overlap, outside, sliver or uninhabited")
    method: str = Field(sa_column=Column(Text, nullable=False))


class Neighbourhood(SQLModel, table=True):
    """A neighbourhood of record, fetched from CBS: the allocation unit where config chooses it.

    Its district is read from its code (``BU`` + the district's six digits + two), so it lies in
    exactly one district and, through it, in exactly one area.
    """

    code: str = Field(primary_key=True, max_length=10)
    name: str
    district_code: str = Field(max_length=8)
    municipality_code: str = Field(max_length=6, index=True)
    vintage: int


class NeighbourhoodFigure(SQLModel, table=True):
    """A fetched neighbourhood figure; a figure CBS suppressed has no row (absent, not 0)."""

    __tablename__ = "neighbourhood_figure"

    code: str = Field(primary_key=True, max_length=10)
    vintage: int = Field(primary_key=True)
    indicator: str = Field(primary_key=True, max_length=40)
    value: float
    source_file: str
    derived: bool = False
    derivation: str = ""


class DataLoad(SQLModel, table=True):
    """One load of the geodata folder; its content hash makes re-loading a no-op."""

    __tablename__ = "data_load"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(index=True, unique=True, max_length=64)
    loaded_at: datetime
    loaded_by: str
    districts: int
    figures: int
    shapes: int
    report: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

"""Tables for the shipped CBS data: municipalities, districts, shapes and indicator figures.

Figures are stored long (one row per district, vintage and indicator) because which indicators
exist differs per municipality and year; an absent row is an absent figure, never a zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
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

"""Store the shipped geodata: districts, shapes and figures, all or nothing.

Loading is keyed by the data folder's content hash: the same data twice is a no-op that says
so; new data replaces the district tables inside the caller's transaction, so a failure half-way
leaves the previous data standing. Runs keep their own copy of what they used (per-district
need, config snapshot, data hash), so replacing the figures never changes an old run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from populatie.districts.models import (
    DataLoad,
    District,
    DistrictShape,
    IndicatorFigure,
    Municipality,
)
from populatie.geo import content_hash, load_geodata, newest_shapes, shapes_geojson
from populatie.geo.gaps import fill_gaps


@dataclass(frozen=True)
class LoadOutcome:
    loaded: bool
    content_hash: str
    districts: int
    figures: int
    derived: int
    shapes: int
    report: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.loaded:
            return (
                f"geodata unchanged (content hash {self.content_hash[:12]}): already loaded, "
                "nothing written"
            )
        return (
            f"loaded {self.districts} districts, {self.figures} figures "
            f"({self.derived} derived, labelled as such) and {self.shapes} shapes "
            f"(content hash {self.content_hash[:12]}; Bron: CBS)"
        )


def latest_load(session: Session) -> DataLoad | None:
    return (
        session.execute(select(DataLoad).order_by(col(DataLoad.loaded_at).desc())).scalars().first()
    )


def district_municipalities(session: Session) -> dict[str, str]:
    """District of record → its municipality code."""
    rows = session.execute(select(col(District.code), col(District.municipality_code))).all()
    return {str(code): str(municipality) for code, municipality in rows}


def load_districts(session: Session, folder: Path, user: str) -> LoadOutcome:
    """Load ``folder`` unless its exact content is what is stored already."""
    digest = content_hash(folder)
    current = latest_load(session)
    if current is not None and current.content_hash == digest:
        return LoadOutcome(
            loaded=False,
            content_hash=digest,
            districts=current.districts,
            figures=current.figures,
            derived=0,
            shapes=current.shapes,
        )
    dataset = load_geodata(folder)
    vintage = int(dataset.districts["vintage"].max())
    figures, gap_report = fill_gaps(dataset.figures, vintage)
    report = [*dataset.report, *gap_report]

    session.execute(delete(IndicatorFigure))
    session.execute(delete(DistrictShape))
    session.execute(delete(District))
    session.execute(delete(DataLoad).where(col(DataLoad.content_hash) == digest))

    for row in dataset.municipalities.itertuples(index=False):
        session.merge(Municipality(code=str(row.code), name=str(row.name)))
    session.flush()

    sources = {
        str(r["district_code"]): None if pd.isna(r["shape_vintage"]) else int(r["shape_vintage"])
        for r in dataset.shape_sources.to_dict("records")
    }
    district_rows = [
        {
            "code": str(r["code"]),
            "name": str(r["name"]),
            "municipality_code": str(r["municipality_code"]),
            "vintage": int(r["vintage"]),
            "shape_vintage": sources.get(str(r["code"])),
        }
        for r in dataset.districts.to_dict("records")
    ]
    session.execute(insert(District), district_rows)

    shape_rows = _shape_rows(dataset.shapes)
    session.execute(insert(DistrictShape), shape_rows)

    figure_rows = [
        {
            "district_code": str(r["district_code"]),
            "vintage": int(r["vintage"]),
            "indicator": str(r["indicator"]),
            "municipality_code": str(r["municipality_code"]),
            "value": float(r["value"]),
            "source_table": str(r["source_table"]),
            "derived": bool(r["derived"]),
            "derivation": str(r["derivation"]),
        }
        for r in figures.to_dict("records")
    ]
    session.execute(insert(IndicatorFigure), figure_rows)
    session.add(
        DataLoad(
            content_hash=digest,
            loaded_at=datetime.now(UTC),
            loaded_by=user,
            districts=len(district_rows),
            figures=len(figure_rows),
            shapes=len(shape_rows),
            report=report,
        )
    )
    session.flush()
    return LoadOutcome(
        loaded=True,
        content_hash=digest,
        districts=len(district_rows),
        figures=len(figure_rows),
        derived=int(figures["derived"].sum()),
        shapes=len(shape_rows),
        report=report,
    )


def _shape_rows(shapes: pd.DataFrame) -> list[dict[str, object]]:
    """Every vintage's shape, with a WGS84 GeoJSON copy for web maps."""
    rows: list[dict[str, object]] = []
    for vintage in sorted(shapes["vintage"].unique()):
        of_vintage = shapes[shapes["vintage"] == vintage]
        features = {
            f["id"]: f["geometry"] for f in shapes_geojson(newest_shapes(of_vintage))["features"]
        }
        for r in of_vintage.itertuples(index=False):
            rows.append(
                {
                    "district_code": str(r.district_code),
                    "vintage": int(r.vintage),
                    "municipality_code": str(r.municipality_code),
                    "area_m2": float(r.geometry.area),
                    "geojson_wgs84": json.dumps(features[r.district_code]),
                    "wkb_rd": shapely.to_wkb(r.geometry),
                }
            )
    return rows

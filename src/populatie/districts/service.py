"""Store the shipped geodata: districts, shapes and figures, all or nothing.

Loading is keyed by the data folder's content hash: the same data twice is a no-op that says
so; new data replaces the district tables inside the caller's transaction, so a failure half-way
leaves the previous data standing. Runs keep their own copy of what they used (per-district
counts and need, config snapshot, data hash), so replacing the figures never changes an old run
and the planner tools can still explain and compare it.

Where a municipality has shapes of more than one vintage, the load also stores how its old
districts map onto the new ones (``populatie.geo.harmonise``), so that what was computed on old
districts can be re-expressed on the new ones (:func:`remap_run_need`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from populatie.allocations.models import AllocationRun, RunDistrictNeed
from populatie.configuration import RegionConfig
from populatie.districts.models import (
    DataLoad,
    District,
    DistrictMapping,
    DistrictShape,
    IndicatorFigure,
    Municipality,
    Neighbourhood,
    NeighbourhoodFigure,
)
from populatie.errors import ConfigurationError, DataError, NotFoundError
from populatie.geo import content_hash, load_geodata, newest_shapes, shapes_geojson
from populatie.geo.gaps import fill_gaps
from populatie.geo.harmonise import MAPPING_COLUMNS, mapping_report, spread, vintage_mappings
from populatie.geo.neighbourhoods import Neighbourhoods, read_neighbourhoods
from populatie.geo.readers import DISTRICT_LIST_2023, fetched_water, read_table
from populatie.geo.validate import parse_text


@dataclass(frozen=True)
class LoadOutcome:
    loaded: bool
    content_hash: str
    districts: int
    figures: int
    derived: int
    shapes: int
    report: list[str] = field(default_factory=list)
    mapping_rows: int = 0
    neighbourhoods: int = 0

    def summary(self) -> str:
        if not self.loaded:
            return (
                f"geodata unchanged (content hash {self.content_hash[:12]}): already loaded, "
                "nothing written"
            )
        return (
            f"loaded {self.districts} districts, {self.figures} figures "
            f"({self.derived} derived, labelled as such), {self.shapes} shapes and "
            f"{self.mapping_rows} rows mapping districts between boundary vintages"
            + (f", {self.neighbourhoods} neighbourhoods" if self.neighbourhoods else "")
            + f" (content hash {self.content_hash[:12]}; Bron: CBS)"
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
    mapping = vintage_mappings(dataset.shapes, uninhabited=water_districts(folder))
    report = [*dataset.report, *gap_report, *mapping_report(mapping)]

    neighbourhoods = read_neighbourhoods(folder)
    session.execute(delete(NeighbourhoodFigure))
    session.execute(delete(Neighbourhood))
    session.execute(delete(DistrictMapping))
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
    mapping_rows = _mapping_rows(mapping)
    if mapping_rows:
        session.execute(insert(DistrictMapping), mapping_rows)

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
    unit_rows = _neighbourhood_rows(neighbourhoods)
    if unit_rows:
        session.execute(insert(Neighbourhood), unit_rows)
        session.execute(insert(NeighbourhoodFigure), _neighbourhood_figure_rows(neighbourhoods))
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
        mapping_rows=len(mapping_rows),
        neighbourhoods=len(unit_rows),
    )


def _neighbourhood_rows(data: Neighbourhoods) -> list[dict[str, object]]:
    return [
        {
            "code": str(r["code"]),
            "name": str(r["name"]),
            "district_code": str(r["district_code"]),
            "municipality_code": str(r["municipality_code"]),
            "vintage": int(r["vintage"]),
        }
        for r in data.units.to_dict("records")
    ]


def _neighbourhood_figure_rows(data: Neighbourhoods) -> list[dict[str, object]]:
    source = ", ".join(data.files)
    return [
        {
            "code": str(r["code"]),
            "vintage": int(r["vintage"]),
            "indicator": str(r["indicator"]),
            "value": float(r["value"]),
            "source_file": source,
            "derived": bool(r["derived"]),
            "derivation": str(r["derivation"]),
        }
        for r in data.figures.to_dict("records")
    ]


def stored_neighbourhoods(session: Session) -> dict[str, str]:
    """Neighbourhood of record → its district."""
    rows = session.execute(select(col(Neighbourhood.code), col(Neighbourhood.district_code))).all()
    return {str(code): str(district) for code, district in rows}


def check_neighbourhoods(session: Session, folder: Path, config: RegionConfig) -> list[str]:
    """With ``allocation_unit = "neighbourhood"``: the fetched neighbourhoods, checked against
    the districts of record and the areas; raises naming what does not fit (the caller's
    transaction then keeps the previous data)."""
    data = read_neighbourhoods(folder)
    if data.units.empty:
        raise ConfigurationError(
            'allocation_unit = "neighbourhood" in config/model.toml, but the data folder holds '
            "no neighbourhood figures: fetch them with `populatie fetch-cbs --year YEAR --level "
            'neighbourhood`, or set allocation_unit = "district"'
        )
    units = data.units
    areas = config.neighbourhood_areas(
        dict(zip(units["code"], units["district_code"], strict=True)),
        district_municipalities(session),
    )
    year = int(units["vintage"].max())
    return [
        f"{len(areas)} neighbourhoods of {year} ({', '.join(data.files)}): each lies in a "
        f"district of record and so in exactly one area; {len(data.figures)} figures read"
    ]


def water_districts(folder: Path) -> dict[int, list[str]]:
    """CBS's water-only districts per year of its district list (and of fetched maps): they
    hold no counts."""
    water: dict[int, list[str]] = fetched_water(folder)
    for row in read_table(folder / DISTRICT_LIST_2023).to_dict("records"):
        if parse_text(row["water"]) == "JA":
            water.setdefault(int(parse_text(row["year"])), []).append(parse_text(row["wijk_code"]))
    return {year: sorted(set(codes)) for year, codes in water.items()}


def _mapping_rows(mapping: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {
            "old_code": str(r["old_code"]),
            "old_vintage": int(r["old_vintage"]),
            "new_code": None if pd.isna(r["new_code"]) else str(r["new_code"]),
            "new_vintage": int(r["new_vintage"]),
            "share": float(r["share"]),
            "intersection_m2": float(r["area_m2"]),
            "overlap_share": float(r["overlap_share"]),
            "status": str(r["status"]),
            "method": str(r["method"]),
        }
        for r in mapping.to_dict("records")
    ]


def stored_mapping(
    session: Session,
    *,
    municipality: str | None = None,
    old_vintage: int | None = None,
    new_vintage: int | None = None,
) -> pd.DataFrame:
    """The stored district mapping as ``boundary_mapping`` returns it, plus municipality_code.

    ``municipality`` selects by the old district's code, which embeds its municipality.
    """
    query = select(DistrictMapping)
    if municipality is not None:
        query = query.where(col(DistrictMapping.old_code).startswith("WK" + municipality[2:]))
    if old_vintage is not None:
        query = query.where(col(DistrictMapping.old_vintage) == old_vintage)
    if new_vintage is not None:
        query = query.where(col(DistrictMapping.new_vintage) == new_vintage)
    query = query.order_by(
        col(DistrictMapping.old_vintage),
        col(DistrictMapping.old_code),
        col(DistrictMapping.new_code),
    )
    rows = session.execute(query).scalars().all()
    frame = pd.DataFrame(
        {
            "old_code": pd.array([r.old_code for r in rows], dtype="str"),
            "new_code": pd.array([r.new_code for r in rows], dtype="str"),
            "old_vintage": pd.array([r.old_vintage for r in rows], dtype="int64"),
            "new_vintage": pd.array([r.new_vintage for r in rows], dtype="int64"),
            "share": pd.array([r.share for r in rows], dtype="float64"),
            "area_m2": pd.array([r.intersection_m2 for r in rows], dtype="float64"),
            "overlap_share": pd.array([r.overlap_share for r in rows], dtype="float64"),
            "status": pd.array([r.status for r in rows], dtype="str"),
            "method": pd.array([r.method for r in rows], dtype="str"),
        },
        columns=list(MAPPING_COLUMNS),
    )
    frame["municipality_code"] = frame["old_code"].str.slice(2, 6).radd("GM")
    return frame


def remap_run_need(
    session: Session,
    run_id: str,
    *,
    old_vintage: int,
    new_vintage: int,
    municipalities: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A run's per-district need, computed on ``old_vintage`` districts, on the new ones.

    A run stores need per district code, and a code names a district only together with its
    boundary vintage, so the caller says which boundaries the run was computed on. Returns
    domain, district_code (new), need: ``Σ share × need`` over the stored mapping; a district's
    need is NaN where an old district feeding it has none. Per municipality and domain the
    total need is unchanged. Raises NotFoundError for a run without need rows or a pair of
    vintages without a stored mapping, DataError for district codes the mapping does not know.
    """
    run = session.get(AllocationRun, run_id)
    if run is not None and run.allocation_unit != "district":
        raise DataError(
            f"run {run_id} ran on {run.allocation_unit}s: its need is stored per "
            f"{run.allocation_unit}, and the district mapping re-expresses district need only"
        )
    rows = session.execute(
        select(RunDistrictNeed).where(col(RunDistrictNeed.run_id) == run_id)
    ).scalars()
    need = pd.DataFrame(
        [{"domain": r.domain, "district_code": r.district_code, "need": r.need} for r in rows],
        columns=["domain", "district_code", "need"],
    )
    if municipalities is not None:
        prefixes = tuple("WK" + m[2:] for m in municipalities)
        need = need[need["district_code"].str.startswith(prefixes)]
    if need.empty:
        raise NotFoundError(f"run {run_id}: no per-district need stored")
    mapping = stored_mapping(session, old_vintage=old_vintage, new_vintage=new_vintage)
    if mapping.empty:
        raise NotFoundError(
            f"no mapping of {old_vintage} districts onto {new_vintage} districts is stored"
        )
    return spread(need, mapping, value_column="need", by=["domain"])


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

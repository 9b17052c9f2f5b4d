"""The whole shipped geodata as one value: figures, districts, shapes and an account of gaps.

Loading is pure (a folder in, frames out) so the database loader, the tests and a notebook all
see the same data, and the content hash lets a loader skip data it has already stored.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from populatie.errors import DataError, MissingFigureError
from populatie.geo.derive import low_income_households, project_shares, young_population
from populatie.geo.fetched import FetchedTable, combine_fetched, read_fetched
from populatie.geo.indicators import (
    FIELDS_2019,
    FIELDS_2024,
    PERCENT_FIELDS_2019,
    figures_from_table,
    unpublished,
)
from populatie.geo.readers import (
    DISTRICT_LIST_2023,
    FIGURES_2019,
    FIGURES_2024,
    SHAPE_FILES,
    content_hash,
    fetched_shape_files,
    read_shapes,
    read_table,
)
from populatie.geo.region import MUNICIPALITIES, PROJECTED_CRS, WEB_CRS, municipalities_frame
from populatie.geo.validate import (
    parse_text,
    repair_geometries,
    validate_district_list,
    validate_figures,
    validate_shapes,
)

#: Below this intersection-over-union the same code in two maps names a different area.
REDRAWN_OVERLAP: Final = 0.8

#: Decimal places of longitude/latitude in web GeoJSON: 1e-6° is about 0.1 m, the 2023 source's
#: own resolution, and keeps the payload small.
WEB_DECIMALS: Final = 6

DISTRICT_COLUMNS: Final = ("code", "name", "municipality_code", "municipality_name", "vintage")
SHAPE_COLUMNS: Final = ("district_code", "municipality_code", "vintage", "geometry")


@dataclass(frozen=True)
class GeoDataset:
    """Everything ``load_geodata`` read, already validated; see that function for the columns."""

    figures: pd.DataFrame
    districts: pd.DataFrame
    municipalities: pd.DataFrame
    shapes: gpd.GeoDataFrame
    shape_sources: pd.DataFrame
    report: tuple[str, ...]
    content_hash: str

    def figure(self, district_code: str, indicator: str, vintage: int) -> float:
        """One figure, or MissingFigureError: the caller must not treat absence as zero."""
        table = require_figures(
            self.figures, vintage=vintage, indicators=[indicator], district_codes=[district_code]
        )
        return float(table.to_numpy()[0, 0])


def load_geodata(folder: Path) -> GeoDataset:
    """Read, validate and derive everything in a geodata folder.

    Frames returned:

    - ``figures``: district_code, municipality_code, vintage (int), indicator, value (float),
      source_table, derived (bool), derivation (str, "" when published). Unpublished CBS cells
      have no row.
    - ``districts``: code, name, municipality_code, municipality_name, vintage: the districts
      of the newest figures vintage, the list of record.
    - ``municipalities``: code, name of the ten H10 municipalities.
    - ``shapes``: district_code, municipality_code, vintage, geometry (MultiPolygon,
      EPSG:28992), every vintage shipped, including shapes of districts not of record.
    - ``shape_sources``: district_code, shape_vintage (nullable int: the newest shape, NA when
      none), available_vintages ("2016,2023"): one row per district of record.

    Raises DataError for invalid data, naming file, line or feature, field and value.
    """
    digest = content_hash(folder)
    report: list[str] = []

    table_2024 = read_table(folder / FIGURES_2024)
    validate_figures(table_2024, source=FIGURES_2024, counts=list(FIELDS_2024))
    table_2019 = read_table(folder / FIGURES_2019)
    validate_figures(
        table_2019,
        source=FIGURES_2019,
        counts=[*FIELDS_2019, "a_hh"],
        percentages=PERCENT_FIELDS_2019,
    )
    district_list = read_table(folder / DISTRICT_LIST_2023)
    validate_district_list(district_list, source=DISTRICT_LIST_2023)
    fetched = read_fetched(folder)

    figures, findings = _figures(table_2024, table_2019, fetched)
    districts = _districts([*(f.table for f in fetched), table_2024, table_2019])
    _require_whole_region(districts, fetched)
    report.append(
        f"{len(districts)} districts of record: the {int(districts['vintage'].iloc[0])} figures"
        f" (Bron: CBS)"
    )

    shape_frames: list[gpd.GeoDataFrame] = []
    for shape_file in [*SHAPE_FILES, *fetched_shape_files(folder)]:
        frame = read_shapes(
            folder / shape_file.name, vintage=shape_file.vintage, expected_crs=shape_file.crs
        )
        frame, repairs = repair_geometries(frame, source=shape_file.name)
        report += repairs
        validate_shapes(frame, source=shape_file.name)
        shape_frames.append(frame)
    shapes = _combine_shapes(shape_frames)

    shape_sources = _shape_sources(districts, shapes)
    report += _shape_findings(districts, shapes)
    report += _district_list_findings(districts, district_list)
    report += findings

    return GeoDataset(
        figures=figures,
        districts=districts,
        municipalities=municipalities_frame(),
        shapes=shapes,
        shape_sources=shape_sources,
        report=tuple(report),
        content_hash=digest,
    )


def _figures(
    table_2024: pd.DataFrame, table_2019: pd.DataFrame, fetched: Sequence[FetchedTable] = ()
) -> tuple[pd.DataFrame, list[str]]:
    findings = unpublished(table_2024, FIELDS_2024, FIGURES_2024)
    findings += unpublished(table_2019, FIELDS_2019, FIGURES_2019)
    published = pd.concat(
        [figures_from_table(table_2024, FIELDS_2024), figures_from_table(table_2019, FIELDS_2019)],
        ignore_index=True,
    )
    low_income, low_income_findings = low_income_households(table_2019, FIGURES_2019)
    shipped = pd.concat([published, low_income], ignore_index=True)
    figures, fetched_findings = combine_fetched(shipped, fetched)
    findings += fetched_findings
    projected, projected_findings = project_shares(figures, base_vintage=2019, target_vintage=2024)
    figures = pd.concat([figures, projected], ignore_index=True)
    young, young_findings = young_population(figures)
    figures = pd.concat([figures, young], ignore_index=True)
    figures = figures.sort_values(
        ["vintage", "municipality_code", "district_code", "derived", "indicator"],
        ignore_index=True,
    )
    return figures, findings + low_income_findings + projected_findings + young_findings


def _require_whole_region(districts: pd.DataFrame, fetched: Sequence[FetchedTable]) -> None:
    """A newer year fetched for part of the region would drop the others' districts."""
    covered = set(districts["municipality_code"])
    missing = sorted(set(MUNICIPALITIES) - covered)
    if missing:
        newest = int(districts["vintage"].iloc[0])
        files = ", ".join(f.name for f in fetched if f.year == newest) or "the shipped files"
        raise DataError(
            f"the newest figures ({newest}, {files}) cover no district of "
            f"{', '.join(missing)}; the districts of record must cover all ten "
            f"municipalities: fetch {newest} for all of them (`populatie fetch-cbs --year "
            f"{newest}` without --municipality)",
            details=[{"municipality": code, "vintage": newest} for code in missing],
        )


def _districts(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The districts of the newest figures vintage: the ones the allocation must cover now."""
    rows = [row for table in tables for row in table.to_dict("records")]
    if not rows:
        raise DataError("the figures files hold no districts", details=[])
    newest = max(int(parse_text(row["year"])) for row in rows)
    chosen: dict[str, dict[str, object]] = {}
    for row in rows:
        code = parse_text(row["wijk_code"])
        if int(parse_text(row["year"])) == newest and code not in chosen:
            chosen[code] = {
                "code": code,
                "name": parse_text(row["wijk_name"]),
                "municipality_code": parse_text(row["gm_code"]),
                "municipality_name": parse_text(row["gm_name"]),
                "vintage": newest,
            }
    frame = pd.DataFrame([chosen[code] for code in sorted(chosen)], columns=list(DISTRICT_COLUMNS))
    return frame.astype(dict.fromkeys(DISTRICT_COLUMNS[:4], "str") | {"vintage": "int64"})


def _combine_shapes(frames: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    combined = pd.concat([frame[list(SHAPE_COLUMNS)] for frame in frames], ignore_index=True)
    shapes = gpd.GeoDataFrame(combined, geometry="geometry", crs=PROJECTED_CRS)
    shapes["vintage"] = shapes["vintage"].astype("int64")
    return shapes.sort_values(["vintage", "district_code"], ignore_index=True)


def _available_vintages(shapes: gpd.GeoDataFrame) -> dict[str, list[int]]:
    available: dict[str, list[int]] = {}
    for code, vintage in zip(shapes["district_code"], shapes["vintage"], strict=True):
        available.setdefault(str(code), []).append(int(vintage))
    return {code: sorted(vintages) for code, vintages in available.items()}


def _shape_sources(districts: pd.DataFrame, shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    available = _available_vintages(shapes)
    per_district = [available.get(str(code), []) for code in districts["code"]]
    return pd.DataFrame(
        {
            "district_code": pd.array([str(c) for c in districts["code"]], dtype="str"),
            "shape_vintage": pd.array([v[-1] if v else None for v in per_district], dtype="Int64"),
            "available_vintages": pd.array(
                [",".join(map(str, v)) for v in per_district], dtype="str"
            ),
        }
    )


def _shape_findings(districts: pd.DataFrame, shapes: gpd.GeoDataFrame) -> list[str]:
    """Account for every district of record's shape: which map, or that there is none."""
    findings: list[str] = []
    available = _available_vintages(shapes)
    all_vintages = sorted({v for vintages in available.values() for v in vintages})
    per_municipality: dict[str, dict[str, int]] = {}
    for row in districts.to_dict("records"):
        code = str(row["code"])
        municipality = str(row["municipality_code"])
        label = f"{code} {row['name']} ({row['municipality_name']})"
        have = available.get(code, [])
        source = str(have[-1]) if have else "no map"
        tally = per_municipality.setdefault(municipality, {})
        tally[source] = tally.get(source, 0) + 1
        if not have:
            findings.append(
                f"{label}: no shape in any map ({', '.join(map(str, all_vintages))});"
                " kept as a district, without a shape"
            )
            continue
        lacking = [v for v in all_vintages if v not in have and v < have[-1]]
        if lacking:
            findings.append(
                f"{label}: shape only from {','.join(map(str, have))}; absent from the "
                f"{', '.join(map(str, lacking))} map"
            )
    for municipality, tally in sorted(per_municipality.items()):
        parts = ", ".join(f"{n} from {source}" for source, n in sorted(tally.items()))
        findings.append(
            f"{municipality} {MUNICIPALITIES[municipality]}: {sum(tally.values())} districts, "
            f"shapes {parts}"
        )
    findings += _redrawn(shapes)
    record = {str(code) for code in districts["code"]}
    for row in shapes[~shapes["district_code"].isin(record)].to_dict("records"):
        findings.append(
            f"{row['district_code']} ({row['municipality_code']}): shape in the {row['vintage']} "
            "map of a district not in the figures of record"
        )
    return findings


def _redrawn(shapes: gpd.GeoDataFrame) -> list[str]:
    """Same code, different area: a newer map must not be replaced by an older one's shape."""
    findings: list[str] = []
    vintages = sorted(int(v) for v in shapes["vintage"].unique())
    for older, newer in itertools.pairwise(vintages):
        old = shapes[shapes["vintage"] == older].set_index("district_code").geometry
        new = shapes[shapes["vintage"] == newer].set_index("district_code").geometry
        common = old.index.intersection(new.index).sort_values()
        a = np.asarray(old.loc[common])
        b = np.asarray(new.loc[common])
        overlap = shapely.area(shapely.intersection(a, b)) / shapely.area(shapely.union(a, b))
        for code, share in zip(common, overlap, strict=True):
            if share < REDRAWN_OVERLAP:
                findings.append(
                    f"{code}: its {older} and {newer} shapes overlap {share:.0%} (intersection "
                    f"over union): CBS redrew it, the {older} shape is not the same district"
                )
    return findings


def _district_list_findings(districts: pd.DataFrame, district_list: pd.DataFrame) -> list[str]:
    findings: list[str] = []
    record = set(districts["code"])
    listed = district_list.map(parse_text)
    for row in listed.to_dict("records"):
        if row["wijk_code"] in record:
            continue
        kind = "water-only district" if row["water"] == "JA" else "district"
        findings.append(
            f"{row['wijk_code']} {row['wijk_name']} ({row['gm_code']}): {kind} in the "
            f"{row['year']} list ({DISTRICT_LIST_2023}), not in the figures of record"
        )
    for code in sorted(record - set(listed["wijk_code"])):
        findings.append(f"{code}: in the figures of record, not in {DISTRICT_LIST_2023}")
    return findings


def require_figures(
    figures: pd.DataFrame,
    *,
    vintage: int,
    indicators: Sequence[str],
    district_codes: Sequence[str],
) -> pd.DataFrame:
    """A district × indicator table of ``vintage``, or MissingFigureError naming every gap.

    This is how a model should take its counts: an absent figure stops it instead of entering
    the formula as 0.
    """
    chosen = figures[
        (figures["vintage"] == vintage)
        & figures["indicator"].isin(list(indicators))
        & figures["district_code"].isin(list(district_codes))
    ]
    table = chosen.pivot_table(
        index="district_code", columns="indicator", values="value", aggfunc="first"
    ).reindex(index=list(district_codes), columns=list(indicators))
    absent = table.isna().to_numpy()
    gaps: list[dict[str, object]] = [
        {"district_code": code, "indicator": indicator, "vintage": vintage}
        for i, code in enumerate(district_codes)
        for j, indicator in enumerate(indicators)
        if absent[i, j]
    ]
    if gaps:
        shown = ", ".join(f"{g['district_code']} {g['indicator']}" for g in gaps[:5])
        more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
        raise MissingFigureError(
            f"{len(gaps)} figure(s) for {vintage} not shipped: {shown}{more}", details=gaps
        )
    table.columns.name = None
    return table


def newest_shapes(shapes: gpd.GeoDataFrame, vintage: int | None = None) -> gpd.GeoDataFrame:
    """Per district the newest shape, optionally as of ``vintage`` (no newer map considered).

    Maps of different vintages differ in detail (2016 is generalised), so neighbours taken from
    different maps may show slivers or overlaps along their shared border.
    """
    candidates = shapes if vintage is None else shapes[shapes["vintage"] <= vintage]
    newest = candidates.sort_values(["district_code", "vintage"]).drop_duplicates(
        "district_code", keep="last"
    )
    return newest.reset_index(drop=True)


def shapes_geojson(shapes: gpd.GeoDataFrame, vintage: int | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in EPSG:4326 for web maps, one feature per district.

    Features carry ``id`` = district code and properties district_code, municipality_code and
    vintage (which map the shape comes from); coordinates are rounded to ``WEB_DECIMALS``.
    """
    web = newest_shapes(shapes, vintage).to_crs(WEB_CRS)
    web["geometry"] = shapely.transform(
        np.asarray(web.geometry), lambda xy: np.round(xy, WEB_DECIMALS)
    )
    web = web.set_index("district_code", drop=False)
    collection: dict[str, Any] = json.loads(web.to_json(drop_id=False))
    return collection

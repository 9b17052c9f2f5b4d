"""Reading the shipped CBS files exactly as published, with locations kept for error messages.

Tables are read as text so that a blank cell stays blank (an unpublished figure) instead of
becoming NaN or 0 somewhere in a type conversion; numbers are parsed later, cell by cell.
Maps are checked against the CRS their file is known to use before anything is reprojected.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from populatie.errors import DataError
from populatie.geo.region import PROJECTED_CRS
from populatie.geo.validate import validate_crs, validate_extent

FIGURES_2024: Final = "kwb_2024_h10_wijken.csv"
FIGURES_2019: Final = "kwb_2019_denhaag_wijken.csv"
DISTRICT_LIST_2023: Final = "h10_wijken_2023.csv"
SHAPES_2016: Final = "h10_wijken_2016.geojson"
SHAPES_2023: Final = "hadoks_wijken_2023.geojson"


@dataclass(frozen=True)
class ShapeFile:
    """A boundary file and the facts about it that the file itself cannot be trusted to state."""

    name: str
    vintage: int
    crs: tuple[str, ...]


SHAPE_FILES: Final = (
    ShapeFile(SHAPES_2016, 2016, ("EPSG:28992",)),
    # GeoJSON that says CRS84 is read by GDAL as EPSG:4326 in lon/lat order; both mean the same.
    ShapeFile(SHAPES_2023, 2023, ("EPSG:4326", "OGC:CRS84")),
)

#: Every shipped file the loader reads; the content hash covers these and the fetched ones.
DATA_FILES: Final = (FIGURES_2024, FIGURES_2019, DISTRICT_LIST_2023, SHAPES_2016, SHAPES_2023)

#: Vintages written by ``populatie fetch-cbs`` / ``fetch-boundaries`` (district level), each
#: with a provenance file beside the figures.
FETCHED_FIGURES: Final = re.compile(r"^kwb_(\d{4})_[a-z0-9_]+_wijken_fetched\.csv$")
FETCHED_PROVENANCE: Final = re.compile(r"^kwb_\d{4}_[a-z0-9_]+_wijken_fetched\.provenance\.json$")
FETCHED_SHAPES: Final = re.compile(r"^wijken_(\d{4})_h10_pdok\.geojson$")
FETCHED_NEIGHBOURHOODS: Final = re.compile(r"^kwb_(\d{4})_[a-z0-9_]+_buurten_fetched\.csv$")
FETCHED_NEIGHBOURHOOD_PROVENANCE: Final = re.compile(
    r"^kwb_\d{4}_[a-z0-9_]+_buurten_fetched\.provenance\.json$"
)


def fetched_figure_files(folder: Path) -> list[tuple[Path, int]]:
    """Fetched key-figure files in name order, with the year their name gives."""
    found = [(path, FETCHED_FIGURES.match(path.name)) for path in sorted(folder.glob("kwb_*"))]
    return [(path, int(match.group(1))) for path, match in found if match]


def fetched_shape_files(folder: Path) -> list[ShapeFile]:
    """Fetched boundary files: written in EPSG:28992 by ``fetch-boundaries``."""
    found = [FETCHED_SHAPES.match(path.name) for path in sorted(folder.glob("wijken_*"))]
    return [ShapeFile(m.group(0), int(m.group(1)), ("EPSG:28992",)) for m in found if m]


def fetched_water(folder: Path) -> dict[int, list[str]]:
    """Water-only districts per year, as the fetched maps' ``water`` property says (``JA``)."""
    water: dict[int, list[str]] = {}
    for shape_file in fetched_shape_files(folder):
        collection = json.loads((folder / shape_file.name).read_text(encoding="utf-8"))
        for feature in collection.get("features", []):
            properties = feature.get("properties") or {}
            if str(properties.get("water", "")).strip().upper() == "JA":
                water.setdefault(shape_file.vintage, []).append(str(properties["wijk_code"]))
    return {year: sorted(codes) for year, codes in water.items()}


def _fetched_names(folder: Path) -> list[str]:
    patterns = (
        FETCHED_FIGURES,
        FETCHED_PROVENANCE,
        FETCHED_SHAPES,
        FETCHED_NEIGHBOURHOODS,
        FETCHED_NEIGHBOURHOOD_PROVENANCE,
    )
    return sorted(p.name for p in folder.iterdir() if any(r.match(p.name) for r in patterns))


def _require(path: Path) -> None:
    if not path.is_file():
        raise DataError(
            f"{path.name}: not found in the geodata folder",
            details=[{"file": path.name, "reason": "missing file"}],
        )


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV as text, one row per record, with a ``line`` column (the file's line number).

    The csv module is used rather than pandas so that the line number of every record is the
    real one, which is what a person fixing the file needs.
    """
    _require(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path.name}: empty file", details=[{"file": path.name}])
            header = [name.strip() for name in header]
            repeated = sorted({name for name in header if header.count(name) > 1})
            if repeated or "line" in header:
                raise DataError(
                    f"{path.name}: header repeats or reserves column(s) "
                    f"{', '.join(repeated or ['line'])}",
                    details=[{"file": path.name, "line": 1, "field": ",".join(header)}],
                )
            rows: list[list[str]] = []
            lines: list[int] = []
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    raise DataError(
                        f"{path.name} line {reader.line_num}: {len(record)} cells, "
                        f"the header has {len(header)}",
                        details=[{"file": path.name, "line": reader.line_num}],
                    )
                rows.append(record)
                lines.append(reader.line_num)
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path.name}: not a readable UTF-8 CSV file ({error})") from error
    table = pd.DataFrame(rows, columns=header, dtype="str")
    table["line"] = lines
    return table


def read_shapes(path: Path, *, vintage: int, expected_crs: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read a boundary file, check its CRS, and reproject it explicitly to EPSG:28992.

    Returns ``district_code``, ``municipality_code``, ``vintage``, ``feature`` (1-based number in
    the file) and geometry. Codes and geometries are not judged here but by ``validate_shapes``.
    """
    _require(path)
    try:
        frame = pyogrio.read_dataframe(path)
    except pyogrio.errors.DataSourceError as error:
        raise DataError(f"{path.name}: not a readable map file ({error})") from error
    for column in ("wijk_code", "gm_code"):
        if column not in frame.columns:
            raise DataError(
                f"{path.name}: features lack the property {column!r}",
                details=[{"file": path.name, "field": column, "reason": "missing property"}],
            )
    validate_crs(frame, expected=expected_crs, source=path.name)
    frame["feature"] = range(1, len(frame) + 1)
    frame = frame.rename(columns={"wijk_code": "district_code", "gm_code": "municipality_code"})
    validate_extent(frame, source=path.name)
    frame["vintage"] = vintage
    frame = frame.to_crs(PROJECTED_CRS)
    columns = ["district_code", "municipality_code", "vintage", "feature", "geometry"]
    return frame[columns]


def content_hash(folder: Path) -> str:
    """SHA-256 over the loader's input files, so that loading unchanged data can be a no-op.

    Files are taken in sorted name order; each contributes its name, a NUL, its length and its
    bytes, so that no two different folders can feed the digest the same stream. Other files
    (such as README.md) are left out because they change no loaded value. Fetched vintages
    and their provenance count (neighbourhood figures too), so fetching new figures makes the
    next load a real one.
    """
    digest = hashlib.sha256()
    for name in sorted([*DATA_FILES, *_fetched_names(folder)]):
        path = folder / name
        _require(path)
        data = path.read_bytes()
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()

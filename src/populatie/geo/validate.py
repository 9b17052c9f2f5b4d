"""Checks that make bad geodata fail loudly, with the file, row or feature, field and value.

Every check collects all problems of a file before raising, so whoever fixes a file sees every
offending cell at once instead of one per run. Problems are raised as one
:class:`~populatie.errors.DataError` whose ``details`` hold one entry per problem.

Containment of district shapes is tested in two legs, both per vintage and in metres:

1. a shape must lie within the union of its municipality's shapes (or the given municipality
   outlines) buffered by ``tolerance_m``; the buffer absorbs the floating-point noise that
   reprojection and unions leave on shared borders. With outlines derived from the districts
   themselves this leg cannot fail on its own: it guards outlines passed in by a caller;
2. a shape's representative point (a point guaranteed inside the shape) must not lie more than
   ``tolerance_m`` inside another municipality's union. This is the leg that catches a shape
   filed under the wrong municipality or moved into a neighbour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from populatie.errors import DataError
from populatie.geo.region import (
    DISTRICT_CODE,
    MUNICIPALITIES,
    PROJECTED_CRS,
    WEB_CRS,
    municipality_of,
)

#: Metres of slack in the containment tests (see the module docstring).
TOLERANCE_M: Final = 1.0

#: Where EPSG:28992 is defined (its area of use, lon/lat): H10 data outside it is in another CRS.
NETHERLANDS_LONLAT: Final = (3.2, 50.75, 7.22, 53.7)

#: Cells CBS leaves empty or marks with a dot are figures it did not publish.
_ABSENT: Final = frozenset({"", "."})

#: A plain decimal as CBS writes it (point as separator); no thousands separators or words.
_DECIMAL: Final = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

_MAX_IN_MESSAGE: Final = 5

Issue = dict[str, object]


def parse_cell(value: object) -> float | None:
    """Read one CBS cell; ``None`` for an unpublished figure so it can never become a 0.

    Raises ``ValueError`` for text that is no number; callers turn it into a located DataError.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        if text in _ABSENT:
            return None
        if not _DECIMAL.match(text):
            raise ValueError(f"{text!r} is not a decimal number")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def raise_issues(source: str, issues: Sequence[Issue]) -> None:
    """Raise one DataError for all problems found in ``source``; the message shows the first few."""
    if not issues:
        return
    shown = "; ".join(str(issue["message"]) for issue in issues[:_MAX_IN_MESSAGE])
    more = len(issues) - _MAX_IN_MESSAGE
    suffix = f"; and {more} more" if more > 0 else ""
    noun = "problem" if len(issues) == 1 else "problems"
    raise DataError(
        f"{source}: {len(issues)} {noun}: {shown}{suffix}",
        details=[{"file": source, **issue} for issue in issues],
    )


def _issue(
    where: str, location: dict[str, object], field: str, value: object, reason: str
) -> Issue:
    return {
        **location,
        "field": field,
        "value": value,
        "reason": reason,
        "message": f"{where}: field {field!r} = {value!r}: {reason}",
    }


def code_issues(
    district_code: object,
    municipality_code: object,
    *,
    where: str,
    location: dict[str, object],
    district_field: str,
    municipality_field: str,
) -> list[Issue]:
    """The code checks shared by tables and maps, so a code is judged the same everywhere."""
    issues: list[Issue] = []
    municipality_ok = isinstance(municipality_code, str) and municipality_code in MUNICIPALITIES
    if not municipality_ok:
        issues.append(
            _issue(
                where,
                location,
                municipality_field,
                municipality_code,
                "not one of the ten H10 municipality codes",
            )
        )
    if not (isinstance(district_code, str) and DISTRICT_CODE.match(district_code)):
        issues.append(
            _issue(where, location, district_field, district_code, "not a district code WKnnnnnn")
        )
    elif municipality_ok and municipality_of(district_code) != municipality_code:
        issues.append(
            _issue(
                where,
                location,
                district_field,
                district_code,
                f"its digits do not belong to municipality {municipality_code}",
            )
        )
    return issues


def _missing_columns(frame: pd.DataFrame, required: Sequence[str], source: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}",
            details=[{"file": source, "field": c, "reason": "missing column"} for c in missing],
        )


def _line_numbers(frame: pd.DataFrame) -> list[int]:
    """File line per row: the reader's own count when present, else header + 1-based row."""
    if "line" in frame.columns:
        return [int(line) for line in frame["line"]]
    return [position + 2 for position in range(len(frame))]


def validate_figures(
    table: pd.DataFrame,
    *,
    source: str,
    counts: Sequence[str],
    percentages: Sequence[str] = (),
) -> None:
    """Validate a CBS key-figures table in its own column names, before any figure is used.

    ``table`` has one row per district as in the CSV (``wijk_code``, ``gm_code``, ``year``,
    ``source_table``, optional ``gm_name`` and ``line``); cells may be text or numbers.
    ``counts`` must be non-negative numbers, ``percentages`` numbers in [0, 100]; blank cells are
    unpublished figures and pass.
    """
    _missing_columns(
        table, ["wijk_code", "gm_code", "year", "source_table", *counts, *percentages], source
    )
    issues: list[Issue] = []
    seen: dict[object, int] = {}
    rows = table.to_dict("records")
    for line, row in zip(_line_numbers(table), rows, strict=True):
        where = f"line {line}"
        location: dict[str, object] = {"line": line}
        code = row["wijk_code"]
        issues += code_issues(
            code,
            row["gm_code"],
            where=where,
            location=location,
            district_field="wijk_code",
            municipality_field="gm_code",
        )
        if code in seen:
            issues.append(
                _issue(where, location, "wijk_code", code, f"duplicate of line {seen[code]}")
            )
        else:
            seen[code] = line
        issues += _name_issues(row, where=where, location=location)
        issues += _year_issues(row.get("year"), where=where, location=location)
        if parse_text(row.get("source_table")) == "":
            issues.append(_issue(where, location, "source_table", row.get("source_table"), "empty"))
        for field in counts:
            issues += _number_issues(row[field], field, 0.0, math.inf, where, location)
        for field in percentages:
            issues += _number_issues(row[field], field, 0.0, 100.0, where, location)
    raise_issues(source, issues)


def parse_text(value: object) -> str:
    """Text of a cell with pandas' missing markers read as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _name_issues(
    row: dict[Hashable, Any], *, where: str, location: dict[str, object]
) -> list[Issue]:
    name = row.get("gm_name")
    code = row.get("gm_code")
    if name is None or not isinstance(code, str) or code not in MUNICIPALITIES:
        return []
    if parse_text(name) != MUNICIPALITIES[code]:
        expected = MUNICIPALITIES[code]
        return [_issue(where, location, "gm_name", name, f"{code} is {expected!r}")]
    return []


def _year_issues(value: object, *, where: str, location: dict[str, object]) -> list[Issue]:
    text = parse_text(value)
    if text.isdigit() and len(text) == 4:
        return []
    return [_issue(where, location, "year", value, "not a four-digit year")]


def _number_issues(
    value: object,
    field: str,
    low: float,
    high: float,
    where: str,
    location: dict[str, object],
) -> list[Issue]:
    try:
        number = parse_cell(value)
    except ValueError:
        return [_issue(where, location, field, value, "not a number")]
    if number is None or low <= number <= high:
        return []
    if number < 0:
        return [_issue(where, location, field, value, "negative; a count cannot be below 0")]
    return [_issue(where, location, field, value, f"outside [{low:g}, {high:g}]")]


def validate_crs(frame: gpd.GeoDataFrame, *, expected: Sequence[str], source: str) -> None:
    """Refuse a map whose coordinates we would otherwise have to guess the meaning of."""
    names = " or ".join(expected)
    if frame.crs is None:
        raise DataError(
            f"{source}: no CRS declared; expected {names}",
            details=[{"file": source, "field": "crs", "value": None, "reason": "missing"}],
        )
    crs = CRS.from_user_input(frame.crs)
    if not any(crs.equals(CRS.from_user_input(name)) for name in expected):
        found = crs.to_string()
        raise DataError(
            f"{source}: CRS is {found}; expected {names}",
            details=[
                {"file": source, "field": "crs", "value": found, "reason": f"expected {names}"}
            ],
        )


def validate_extent(frame: gpd.GeoDataFrame, *, source: str) -> None:
    """Catch coordinates that do not match their declared CRS (they fall outside the country).

    A GeoJSON file without a ``crs`` member is read as WGS 84, so a mislabelled file passes
    :func:`validate_crs`; its coordinates then land far from the Netherlands.
    """
    if frame.empty:
        return
    bounds = frame.geometry.bounds
    transformer = Transformer.from_crs(frame.crs, WEB_CRS, always_xy=True)
    west, south, east, north = NETHERLANDS_LONLAT
    crs_name = CRS.from_user_input(frame.crs).to_string()
    issues: list[Issue] = []
    for position, (minx, miny, maxx, maxy) in enumerate(bounds.itertuples(index=False)):
        location = _feature_location(frame, position)
        try:
            lons, lats = transformer.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
        except ProjError:
            lons, lats = [math.inf], [math.inf]
        inside = all(
            math.isfinite(lon)
            and math.isfinite(lat)
            and west <= lon <= east
            and south <= lat <= north
            for lon, lat in zip(lons, lats, strict=True)
        )
        if not inside:
            issues.append(
                _issue(
                    _feature_where(location),
                    location,
                    "geometry",
                    [round(minx, 6), round(miny, 6), round(maxx, 6), round(maxy, 6)],
                    f"bounds lie outside the Netherlands in {crs_name};"
                    " the file's CRS does not fit its coordinates",
                )
            )
    raise_issues(source, issues)


def _feature_location(frame: pd.DataFrame, position: int) -> dict[str, object]:
    row = frame.iloc[position]
    feature = int(row["feature"]) if "feature" in frame.columns else position + 1
    location: dict[str, object] = {"feature": feature}
    for column in ("district_code", "vintage"):
        if column in frame.columns:
            value = row[column]
            location[column] = int(value) if column == "vintage" else value
    return location


def _feature_where(location: dict[str, object]) -> str:
    where = f"feature {location['feature']}"
    if "district_code" in location:
        where += f" ({location['district_code']})"
    return where


def repair_geometries(
    shapes: gpd.GeoDataFrame, *, source: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Make invalid shapes valid and say so, because a silent repair hides a data problem.

    Returns a copy whose geometries are all MultiPolygons (one type, so a database column and
    a web map get one kind of shape) and the findings, one per repaired feature. A shape that is
    missing, empty, not polygonal, or that repair reduces to nothing raises.
    """
    result = shapes.copy()
    findings: list[str] = []
    issues: list[Issue] = []
    geometries = list(result.geometry)
    for position, geometry in enumerate(geometries):
        location = _feature_location(result, position)
        where = _feature_where(location)
        if geometry is None or geometry.is_empty:
            issues.append(_issue(where, location, "geometry", None, "missing or empty geometry"))
            continue
        if not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            geometry = shapely.make_valid(geometry)
            findings.append(
                f"{source} {where}: invalid geometry ({reason}) repaired with make_valid"
            )
        polygonal = _polygonal_part(geometry)
        if polygonal is None:
            issues.append(
                _issue(where, location, "geometry", geometry.geom_type, "no polygonal area")
            )
            continue
        geometries[position] = polygonal
    raise_issues(source, issues)
    result = result.set_geometry(gpd.GeoSeries(geometries, index=result.index, crs=result.crs))
    return result, findings


def _polygonal_part(geometry: Any) -> Any:
    """The area part of a geometry as a MultiPolygon, or None when it has no area."""
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if part.geom_type in {"Polygon", "MultiPolygon"} and not part.is_empty
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    if not polygons:
        return None
    return shapely.MultiPolygon(polygons)


def validate_shapes(
    shapes: gpd.GeoDataFrame,
    *,
    source: str,
    tolerance_m: float = TOLERANCE_M,
    outlines: gpd.GeoDataFrame | None = None,
) -> None:
    """Validate district shapes in EPSG:28992: codes, uniqueness, validity and containment.

    ``shapes`` has ``district_code``, ``municipality_code``, ``vintage`` and geometry (optional
    ``feature``, the 1-based feature number in the file, for messages). ``outlines``, when given,
    has ``municipality_code`` and geometry in EPSG:28992 and replaces the outlines derived from
    the districts in the first containment leg (see the module docstring).
    """
    _missing_columns(shapes, ["district_code", "municipality_code", "vintage"], source)
    validate_crs(shapes, expected=[PROJECTED_CRS], source=source)
    issues: list[Issue] = []
    seen: set[tuple[object, object]] = set()
    for position, row in enumerate(shapes.to_dict("records")):
        location = _feature_location(shapes, position)
        where = _feature_where(location)
        issues += code_issues(
            row["district_code"],
            row["municipality_code"],
            where=where,
            location=location,
            district_field="district_code",
            municipality_field="municipality_code",
        )
        key = (row["district_code"], row["vintage"])
        if key in seen:
            issues.append(
                _issue(where, location, "district_code", row["district_code"], "duplicate shape")
            )
        seen.add(key)
        geometry = row[shapes.geometry.name]
        if geometry is None or geometry.is_empty:
            issues.append(_issue(where, location, "geometry", None, "missing or empty geometry"))
        elif geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            issues.append(_issue(where, location, "geometry", geometry.geom_type, "not polygonal"))
        elif not geometry.is_valid:
            issues.append(
                _issue(
                    where,
                    location,
                    "geometry",
                    shapely.is_valid_reason(geometry),
                    "invalid geometry; repair it with repair_geometries first",
                )
            )
    raise_issues(source, issues)
    if outlines is not None:
        _missing_columns(outlines, ["municipality_code"], f"{source} (outlines)")
        validate_crs(outlines, expected=[PROJECTED_CRS], source=f"{source} (outlines)")
    for vintage in sorted(shapes["vintage"].unique()):
        issues += _containment_issues(shapes[shapes["vintage"] == vintage], tolerance_m, outlines)
    raise_issues(source, issues)


def _containment_issues(
    shapes: gpd.GeoDataFrame,
    tolerance_m: float,
    outlines: gpd.GeoDataFrame | None,
) -> list[Issue]:
    geometry = shapes.geometry.name
    unions = {
        str(code): shapely.union_all(np.asarray(group[geometry]))
        for code, group in shapes.groupby("municipality_code")
    }
    if outlines is None:
        own = unions
    else:
        own = {
            str(code): shapely.union_all(np.asarray(group[outlines.geometry.name]))
            for code, group in outlines.groupby("municipality_code")
        }
    grown = {code: union.buffer(tolerance_m) for code, union in own.items()}
    shrunk = {code: union.buffer(-tolerance_m) for code, union in unions.items()}
    for area in [*grown.values(), *shrunk.values()]:
        shapely.prepare(area)
    points = np.asarray(shapes.geometry.representative_point())
    inside_other = {code: shapely.contains(area, points) for code, area in shrunk.items()}
    issues: list[Issue] = []
    for position, row in enumerate(shapes.to_dict("records")):
        location = _feature_location(shapes, position)
        where = f"{_feature_where(location)}, vintage {row['vintage']}"
        municipality = str(row["municipality_code"])
        shape = row[geometry]
        outline = grown.get(municipality)
        if outline is None or not shapely.within(shape, outline):
            outside = shape.area if outline is None else shape.difference(own[municipality]).area
            issues.append(
                _issue(
                    where,
                    location,
                    "geometry",
                    f"{outside:.0f} m² outside",
                    f"not within municipality {municipality} (+{tolerance_m:g} m)",
                )
            )
        point = points[position]
        for other, inside in inside_other.items():
            if other != municipality and inside[position]:
                issues.append(
                    _issue(
                        where,
                        location,
                        "geometry",
                        f"representative point ({point.x:.0f}, {point.y:.0f})",
                        f"filed under {municipality} but lies in {other} "
                        f"({MUNICIPALITIES.get(other, 'unknown')})",
                    )
                )
    return issues


def validate_district_list(table: pd.DataFrame, *, source: str) -> None:
    """Validate the CBS district list (wijk- en buurtkaart attribute table) before it is used.

    It is only read to account for districts the figures leave out, but a wrong code in it
    would make that account wrong, so it meets the same code checks as the figures.
    """
    _missing_columns(table, ["wijk_code", "gm_code", "water", "area_m2"], source)
    issues: list[Issue] = []
    for line, row in zip(_line_numbers(table), table.to_dict("records"), strict=True):
        where = f"line {line}"
        location: dict[str, object] = {"line": line}
        issues += code_issues(
            row["wijk_code"],
            row["gm_code"],
            where=where,
            location=location,
            district_field="wijk_code",
            municipality_field="gm_code",
        )
        issues += _name_issues(row, where=where, location=location)
        if parse_text(row["water"]) not in {"JA", "NEE"}:
            issues.append(_issue(where, location, "water", row["water"], "not JA or NEE"))
        issues += _number_issues(row["area_m2"], "area_m2", 0.0, math.inf, where, location)
    raise_issues(source, issues)

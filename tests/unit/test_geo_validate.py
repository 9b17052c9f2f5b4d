"""Constructed bad data must fail loudly, naming where it is wrong."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.affinity import translate

from populatie.errors import DataError
from populatie.geo import (
    DATA_FILES,
    load_geodata,
    repair_geometries,
    validate_crs,
    validate_figures,
    validate_shapes,
)
from populatie.geo.readers import read_shapes

GEODATA = Path(__file__).resolve().parents[2] / "geodata"


@pytest.fixture(scope="module")
def shapes_2016() -> gpd.GeoDataFrame:
    return read_shapes(
        GEODATA / "h10_wijken_2016.geojson", vintage=2016, expected_crs=("EPSG:28992",)
    )


def _square(x: float, y: float, size: float = 100.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def _shapes(rows: list[tuple[str, str, shapely.Geometry]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "district_code": [code for code, _, _ in rows],
            "municipality_code": [municipality for _, municipality, _ in rows],
            "vintage": [2016] * len(rows),
        },
        geometry=[geometry for _, _, geometry in rows],
        crs="EPSG:28992",
    )


def _moved_into_den_haag(shapes: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """Move one district so that its representative point lands inside 's-Gravenhage."""
    moved = shapes.copy()
    target = moved.loc[moved["district_code"] == "WK051842", "geometry"].iloc[0]
    position = moved.index[moved["district_code"] == code][0]
    shape = moved.loc[position, "geometry"]
    start = shape.representative_point()
    goal = target.representative_point()
    moved.loc[position, "geometry"] = translate(shape, goal.x - start.x, goal.y - start.y)
    return moved


def test_the_shipped_2016_shapes_pass(shapes_2016: gpd.GeoDataFrame) -> None:
    validate_shapes(shapes_2016, source="h10_wijken_2016.geojson")


def test_a_shape_moved_into_another_municipality_raises(shapes_2016: gpd.GeoDataFrame) -> None:
    moved = _moved_into_den_haag(shapes_2016, "WK050311")
    with pytest.raises(DataError, match=r"WK050311.*filed under GM0503.*lies in GM0518") as caught:
        validate_shapes(moved, source="moved.geojson")
    # The district it landed on may be named too: its point now lies in the moved shape.
    offenders = {d["district_code"] for d in caught.value.details}
    assert "WK050311" in offenders
    assert caught.value.details[0]["feature"] == 1


def test_a_moved_shape_in_a_shipped_file_stops_the_load(
    tmp_path: Path, shapes_2016: gpd.GeoDataFrame
) -> None:
    folder = tmp_path / "geodata"
    folder.mkdir()
    for name in DATA_FILES:
        shutil.copyfile(GEODATA / name, folder / name)
    moved = _moved_into_den_haag(shapes_2016, "WK050311").rename(
        columns={"district_code": "wijk_code", "municipality_code": "gm_code"}
    )
    path = folder / "h10_wijken_2016.geojson"
    path.unlink()
    moved[["wijk_code", "gm_code", "geometry"]].to_file(path, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(DataError, match=r"h10_wijken_2016.geojson: .*feature 1 \(WK050311\)"):
        load_geodata(folder)


def test_a_shape_outside_given_outlines_raises() -> None:
    shapes = _shapes([("WK050311", "GM0503", _square(0, 0))])
    outlines = gpd.GeoDataFrame(
        {"municipality_code": ["GM0503"]}, geometry=[_square(0, 0, 50)], crs="EPSG:28992"
    )
    with pytest.raises(
        DataError, match=re.escape("'7500 m² outside': not within municipality GM0503 (+1 m)")
    ):
        validate_shapes(shapes, source="constructed", outlines=outlines)
    # Within the tolerance is inside: a 0.5 m overshoot passes.
    validate_shapes(
        _shapes([("WK050311", "GM0503", _square(0, 0, 50.5))]),
        source="constructed",
        outlines=outlines,
    )


def test_neighbours_touching_along_a_border_pass() -> None:
    shapes = _shapes(
        [
            ("WK050311", "GM0503", _square(0, 0)),
            ("WK050312", "GM0503", _square(0, 100)),
            ("WK051801", "GM0518", _square(100, 0)),
        ]
    )
    validate_shapes(shapes, source="constructed")


def test_a_shape_code_of_another_municipality_raises() -> None:
    shapes = _shapes([("WK051801", "GM0503", _square(0, 0))])
    with pytest.raises(DataError, match=r"feature 1 \(WK051801\).*do not belong to .*GM0503"):
        validate_shapes(shapes, source="constructed")


def test_a_duplicate_shape_raises() -> None:
    shapes = _shapes([("WK050311", "GM0503", _square(0, 0)), ("WK050311", "GM0503", _square(0, 0))])
    with pytest.raises(DataError, match=r"feature 2 \(WK050311\).*duplicate shape"):
        validate_shapes(shapes, source="constructed")


def test_shapes_not_in_rd_new_raise() -> None:
    shapes = _shapes([("WK050311", "GM0503", _square(0, 0))]).set_crs(
        "EPSG:4326", allow_override=True
    )
    with pytest.raises(DataError, match="constructed: CRS is EPSG:4326; expected EPSG:28992"):
        validate_shapes(shapes, source="constructed")


def test_a_map_without_crs_raises() -> None:
    frame = gpd.GeoDataFrame({"district_code": ["WK050311"]}, geometry=[_square(0, 0)])
    with pytest.raises(DataError, match="no CRS declared; expected EPSG:28992"):
        validate_crs(frame, expected=["EPSG:28992"], source="constructed")


def test_invalid_geometry_is_repaired_and_reported() -> None:
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    shapes = _shapes([("WK050311", "GM0503", bowtie)])
    with pytest.raises(DataError, match="invalid geometry; repair it"):
        validate_shapes(shapes, source="constructed")
    repaired, findings = repair_geometries(shapes, source="constructed")
    assert repaired.geometry.iloc[0].is_valid
    assert repaired.geometry.iloc[0].geom_type == "MultiPolygon"
    assert repaired.geometry.iloc[0].area == pytest.approx(50)
    assert findings == [
        "constructed feature 1 (WK050311): invalid geometry (Self-intersection[5 5]) "
        "repaired with make_valid"
    ]
    validate_shapes(repaired, source="constructed")
    assert shapes.geometry.iloc[0].equals(bowtie)  # the input is left as it was


def test_an_empty_geometry_raises() -> None:
    shapes = _shapes([("WK050311", "GM0503", shapely.Polygon())])
    with pytest.raises(DataError, match="missing or empty geometry"):
        repair_geometries(shapes, source="constructed")


def _table(**overrides: str) -> pd.DataFrame:
    row = {
        "wijk_code": "WK050311",
        "gm_code": "GM0503",
        "gm_name": "Delft",
        "year": "2024",
        "source_table": "85984NED",
        "a_inw": "10",
        "p_hh_lkk": "5.5",
    }
    return pd.DataFrame([row | overrides])


def test_a_constructed_table_passes() -> None:
    validate_figures(_table(), source="t.csv", counts=["a_inw"], percentages=["p_hh_lkk"])
    validate_figures(_table(a_inw="", p_hh_lkk="."), source="t.csv", counts=["a_inw"])


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"a_inw": "-1"}, "a_inw", "negative"),
        ({"a_inw": "nan"}, "a_inw", "not a number"),
        ({"a_inw": "1,5"}, "a_inw", "not a number"),
        ({"p_hh_lkk": "-0.1"}, "p_hh_lkk", "negative"),
        ({"wijk_code": "wk050311"}, "wijk_code", "not a district code"),
        ({"wijk_code": "WK0503110"}, "wijk_code", "not a district code"),
        ({"gm_code": "GM0599"}, "gm_code", "not one of the ten"),
        ({"gm_name": "Delf"}, "gm_name", "GM0503 is 'Delft'"),
        ({"year": "24"}, "year", "four-digit"),
        ({"source_table": " "}, "source_table", "empty"),
    ],
)
def test_a_bad_cell_raises_naming_line_field_and_value(
    overrides: dict[str, str], field: str, reason: str
) -> None:
    table = _table(**overrides)
    with pytest.raises(DataError, match=f"t.csv: 1 problem: line 2: field '{field}'") as caught:
        validate_figures(table, source="t.csv", counts=["a_inw"], percentages=["p_hh_lkk"])
    detail = caught.value.details[0]
    assert detail["field"] == field
    assert detail["value"] == overrides[field]
    assert reason in str(detail["reason"])


def test_a_duplicate_district_raises_naming_both_lines() -> None:
    table = pd.concat([_table(), _table()], ignore_index=True)
    with pytest.raises(
        DataError, match="line 3: field 'wijk_code' = 'WK050311': duplicate of line 2"
    ):
        validate_figures(table, source="t.csv", counts=["a_inw"])


def test_a_missing_column_raises() -> None:
    with pytest.raises(DataError, match=re.escape("t.csv: missing column(s) a_hh")):
        validate_figures(_table(), source="t.csv", counts=["a_inw", "a_hh"])

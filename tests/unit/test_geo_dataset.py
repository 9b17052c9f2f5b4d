"""The shipped CBS geodata, loaded whole: what the rest of the product may rely on."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from populatie.errors import MissingFigureError
from populatie.geo import (
    FIGURE_COLUMNS,
    MUNICIPALITIES,
    GeoDataset,
    load_geodata,
    newest_shapes,
    require_figures,
    shapes_geojson,
)

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
REDRAWN_AFTER_2016 = {"WK060310", "WK060311", "WK191613"}
WATER_ONLY = {"WK051899", "WK062999", "WK178399"}


@pytest.fixture(scope="module")
def dataset() -> GeoDataset:
    return load_geodata(GEODATA)


def _figure(data: GeoDataset, code: str, indicator: str, vintage: int) -> pd.DataFrame:
    figures = data.figures
    return figures[
        (figures["district_code"] == code)
        & (figures["indicator"] == indicator)
        & (figures["vintage"] == vintage)
    ]


def test_districts_of_record_are_the_123_of_2024(dataset: GeoDataset) -> None:
    districts = dataset.districts
    assert list(districts.columns) == [
        "code",
        "name",
        "municipality_code",
        "municipality_name",
        "vintage",
    ]
    assert len(districts) == 123
    assert districts["code"].is_unique
    assert set(districts["vintage"]) == {2024}
    assert set(districts["municipality_code"]) == set(MUNICIPALITIES)
    assert not WATER_ONLY & set(districts["code"])


def test_municipalities_are_the_ten_of_h10(dataset: GeoDataset) -> None:
    municipalities = dataset.municipalities
    assert list(municipalities.columns) == ["code", "name"]
    assert dict(zip(municipalities["code"], municipalities["name"], strict=True)) == dict(
        MUNICIPALITIES
    )


def test_den_haag_has_44_districts_in_2019(dataset: GeoDataset) -> None:
    figures = dataset.figures
    published_2019 = figures[(figures["vintage"] == 2019) & ~figures["derived"]]
    assert set(published_2019["municipality_code"]) == {"GM0518"}
    assert published_2019["district_code"].nunique() == 44


def test_figures_have_the_promised_columns_and_types(dataset: GeoDataset) -> None:
    figures = dataset.figures
    assert tuple(figures.columns) == FIGURE_COLUMNS
    assert figures["vintage"].dtype == "int64"
    assert figures["value"].dtype == "float64"
    assert figures["derived"].dtype == "bool"
    assert not figures.duplicated(["district_code", "vintage", "indicator"]).any()
    assert (figures.loc[~figures["derived"], "derivation"] == "").all()
    assert (figures.loc[figures["derived"], "derivation"] != "").all()


def test_derived_flags_are_set_exactly_where_promised(dataset: GeoDataset) -> None:
    figures = dataset.figures
    kinds = {
        (int(v), str(i), bool(d))
        for v, i, d in zip(
            figures["vintage"], figures["indicator"], figures["derived"], strict=True
        )
    }
    published_2024 = {"inhabitants", "men", "women", "dwellings", "land_area_ha"}
    published_2019 = {
        "inhabitants",
        "young_0_14",
        "young_15_24",
        "households",
        "households_with_children",
        "social_assistance",
        "youth_care_users",
    }
    projected = {
        "young_0_14",
        "young_15_24",
        "households_with_children",
        "social_assistance",
        "youth_care_users",
        "low_income_households",
    }
    expected = (
        {(2024, name, False) for name in published_2024}
        | {(2019, name, False) for name in published_2019}
        | {(2019, "low_income_households", True), (2019, "young_population", True)}
        | {(2024, name, True) for name in projected | {"young_population"}}
    )
    assert kinds == expected
    derived_2024 = figures[(figures["vintage"] == 2024) & figures["derived"]]
    assert set(derived_2024["municipality_code"]) == {"GM0518"}
    projected_rows = derived_2024[derived_2024["indicator"] != "young_population"]
    assert set(projected_rows["source_table"]) == {"84583NED × 85984NED"}


def test_low_income_households_is_the_share_times_households(dataset: GeoDataset) -> None:
    row = _figure(dataset, "WK051829", "low_income_households", 2019).iloc[0]
    assert row["value"] == pytest.approx(26.4 / 100 * 13360)
    assert bool(row["derived"])
    assert row["derivation"] == "p_hh_lkk (% of households with low income) × a_hh, CBS 2019"
    assert row["source_table"] == "84583NED"


def test_2024_figures_apply_the_2019_share(dataset: GeoDataset) -> None:
    row = _figure(dataset, "WK051829", "young_0_14", 2024).iloc[0]
    assert row["value"] == pytest.approx(6295 / 31385 * 30700)
    assert bool(row["derived"])
    assert "young_0_14 2019 / inhabitants 2019 × inhabitants 2024" in row["derivation"]
    chained = _figure(dataset, "WK051829", "low_income_households", 2024).iloc[0]
    assert chained["value"] == pytest.approx(26.4 / 100 * 13360 / 31385 * 30700)
    assert "itself derived" in chained["derivation"]


def test_young_population_sums_both_age_groups_in_both_vintages(dataset: GeoDataset) -> None:
    for vintage in (2019, 2024):
        parts = sum(
            float(_figure(dataset, "WK051802", name, vintage)["value"].iloc[0])
            for name in ("young_0_14", "young_15_24")
        )
        row = _figure(dataset, "WK051802", "young_population", vintage).iloc[0]
        assert row["value"] == pytest.approx(parts)
        assert bool(row["derived"])
    assert _figure(dataset, "WK051802", "young_population", 2019)["value"].iloc[0] == 2440


def test_a_blank_cbs_cell_yields_no_figure(dataset: GeoDataset) -> None:
    # kwb_2019 leaves a_jz_tn blank for WK051824 and p_hh_lkk blank for WK051843.
    assert _figure(dataset, "WK051824", "youth_care_users", 2019).empty
    assert _figure(dataset, "WK051824", "youth_care_users", 2024).empty
    assert _figure(dataset, "WK051843", "low_income_households", 2019).empty
    assert _figure(dataset, "WK051843", "low_income_households", 2024).empty
    assert not _figure(dataset, "WK051824", "young_0_14", 2024).empty
    assert any("WK051824" in line and "youth_care_users" in line for line in dataset.report)
    assert any("WK051843" in line and "low_income_households" in line for line in dataset.report)


def test_published_zeros_stay_zeros_and_yield_no_share(dataset: GeoDataset) -> None:
    for vintage in (2019, 2024):
        assert _figure(dataset, "WK051801", "inhabitants", vintage)["value"].tolist() == [0.0]
    assert _figure(dataset, "WK051801", "young_0_14", 2019)["value"].tolist() == [0.0]
    assert _figure(dataset, "WK051801", "social_assistance", 2019).empty  # blank, not 0
    derived_2024 = dataset.figures[
        (dataset.figures["district_code"] == "WK051801")
        & (dataset.figures["vintage"] == 2024)
        & dataset.figures["derived"]
    ]
    assert derived_2024.empty
    assert any("WK051801" in line and "inhabitants are 0" in line for line in dataset.report)


def test_every_district_of_record_has_a_shape(dataset: GeoDataset) -> None:
    sources = dataset.shape_sources
    assert list(sources.columns) == ["district_code", "shape_vintage", "available_vintages"]
    assert set(sources["district_code"]) == set(dataset.districts["code"])
    assert sources["shape_vintage"].notna().all()
    assert not any("no shape" in line for line in dataset.report)


def test_three_redrawn_districts_have_only_2023_shapes(dataset: GeoDataset) -> None:
    sources = dataset.shape_sources.set_index("district_code")
    for code in REDRAWN_AFTER_2016:
        assert sources.loc[code, "available_vintages"] == "2023"
        assert any(
            line.startswith(code) and "absent from the 2016" in line for line in dataset.report
        )
    only_2016 = dataset.shapes[dataset.shapes["vintage"] == 2016]
    assert not REDRAWN_AFTER_2016 & set(only_2016["district_code"])


def test_the_newest_shape_is_used_where_both_maps_have_one(dataset: GeoDataset) -> None:
    sources = dataset.shape_sources.set_index("district_code")
    # Rijswijk reused its codes for other areas after 2016: the 2023 shape must win.
    assert sources.loc["WK060303", "available_vintages"] == "2016,2023"
    assert sources.loc["WK060303", "shape_vintage"] == 2023
    assert sources.loc["WK050311", "shape_vintage"] == 2016
    assert any(line.startswith("WK060303") and "redrew" in line for line in dataset.report)


def test_shapes_keep_both_vintages_in_rd_new(dataset: GeoDataset) -> None:
    shapes = dataset.shapes
    assert list(shapes.columns) == ["district_code", "municipality_code", "vintage", "geometry"]
    assert shapes.crs.to_epsg() == 28992
    assert shapes.groupby("vintage").size().to_dict() == {2016: 120, 2023: 72}
    assert set(shapes.geom_type) == {"MultiPolygon"}
    assert shapes.is_valid.all()
    minx, miny, maxx, maxy = shapes[shapes["vintage"] == 2023].total_bounds
    # Metres in RD New around The Hague, not degrees: the 2023 map was reprojected.
    assert 60_000 < minx < maxx < 110_000
    assert 430_000 < miny < maxy < 480_000


def test_report_names_the_water_only_districts(dataset: GeoDataset) -> None:
    for code in WATER_ONLY:
        assert any(line.startswith(code) and "water-only" in line for line in dataset.report)


def test_report_says_which_map_each_municipality_uses(dataset: GeoDataset) -> None:
    assert "GM0603 Rijswijk: 11 districts, shapes 11 from 2023" in dataset.report
    assert "GM0503 Delft: 13 districts, shapes 13 from 2016" in dataset.report


def test_a_missing_figure_raises_instead_of_being_zero(dataset: GeoDataset) -> None:
    assert dataset.figure("WK051829", "inhabitants", 2024) == 30700
    with pytest.raises(MissingFigureError, match="WK051824 youth_care_users") as caught:
        dataset.figure("WK051824", "youth_care_users", 2019)
    assert caught.value.details == [
        {"district_code": "WK051824", "indicator": "youth_care_users", "vintage": 2019}
    ]
    with pytest.raises(MissingFigureError, match="WK050311 young_0_14"):
        require_figures(
            dataset.figures,
            vintage=2024,
            indicators=["inhabitants", "young_0_14"],
            district_codes=["WK051829", "WK050311"],
        )


def test_require_figures_gives_a_district_by_indicator_table(dataset: GeoDataset) -> None:
    table = require_figures(
        dataset.figures,
        vintage=2024,
        indicators=["inhabitants", "men"],
        district_codes=["WK051802", "WK050311"],
    )
    assert table.index.tolist() == ["WK051802", "WK050311"]
    assert table.columns.tolist() == ["inhabitants", "men"]
    assert table.loc["WK050311", "inhabitants"] == 13935


def test_newest_shapes_pick_per_district_the_newest_map(dataset: GeoDataset) -> None:
    newest = newest_shapes(dataset.shapes)
    assert newest["district_code"].is_unique
    assert len(newest) == 125  # 123 of record + two water-only districts of the 2023 map
    as_of_2016 = newest_shapes(dataset.shapes, vintage=2016)
    assert set(as_of_2016["vintage"]) == {2016}
    assert len(as_of_2016) == 120


def test_shapes_geojson_is_wgs84_with_one_feature_per_district(dataset: GeoDataset) -> None:
    collection = shapes_geojson(dataset.shapes)
    assert collection["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in collection["features"]}
    assert len(features) == 125
    assert features["WK060310"]["properties"] == {
        "district_code": "WK060310",
        "municipality_code": "GM0603",
        "vintage": 2023,
    }
    assert features["WK050311"]["properties"]["vintage"] == 2016
    lon, lat = features["WK050311"]["geometry"]["coordinates"][0][0][0]
    assert 4.2 < lon < 4.5
    assert 51.9 < lat < 52.2
    assert lon == round(lon, 6)
    as_of_2016 = shapes_geojson(dataset.shapes, vintage=2016)
    assert len(as_of_2016["features"]) == 120


def test_land_area_and_dwellings_are_read_for_all_districts(dataset: GeoDataset) -> None:
    figures = dataset.figures
    for indicator in ("inhabitants", "men", "women", "dwellings", "land_area_ha"):
        rows = figures[(figures["vintage"] == 2024) & (figures["indicator"] == indicator)]
        assert len(rows) == 123, indicator
        assert all(math.isfinite(v) and v >= 0 for v in rows["value"])

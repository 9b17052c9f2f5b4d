"""Boundary mapping on constructed geometries, where every share is known exactly."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.errors import DataError
from populatie.geo.harmonise import (
    ADDITIVE_INDICATORS,
    MAPPING_COLUMNS,
    boundary_mapping,
    convert_figures,
    map_codes,
    municipality_totals,
    spread,
)
from populatie.geo.indicators import FIGURE_COLUMNS, figures_frame

RD = "EPSG:28992"
# A corner in the Netherlands, so the coordinates are plausible RD metres.
X0, Y0 = 80_000.0, 450_000.0


def _box(x1: float, x2: float, y1: float = 0.0, y2: float = 100.0) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _map(
    shapes: dict[str, shapely.Geometry], vintage: int, crs: str | None = RD
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district_code": list(shapes), "vintage": [vintage] * len(shapes)},
        geometry=list(shapes.values()),
        crs=crs,
    )


def _shares(mapping: pd.DataFrame, column: str = "share") -> dict[tuple[str, str | None], float]:
    return {
        (str(old), None if pd.isna(new) else str(new)): float(share)
        for old, new, share in zip(
            mapping["old_code"], mapping["new_code"], mapping[column], strict=True
        )
        if share > 0
    }


def _figures(values: dict[str, float | None], indicator: str = "inhabitants") -> pd.DataFrame:
    return figures_frame(
        {
            "district_code": code,
            "municipality_code": "GM" + code[2:6],
            "vintage": 2016,
            "indicator": indicator,
            "value": value,
            "source_table": "70904ned",
            "derived": False,
            "derivation": "",
        }
        for code, value in values.items()
        if value is not None
    )


# --- shares on known geometries ------------------------------------------------------------


def test_split_in_two() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0, 25), "WK000102": _box(25, 100)}, 2023)
    mapping = boundary_mapping(old, new)
    assert list(mapping.columns) == list(MAPPING_COLUMNS)
    assert _shares(mapping) == pytest.approx(
        {("WK000101", "WK000101"): 0.25, ("WK000101", "WK000102"): 0.75}
    )
    assert sorted(mapping["area_m2"]) == pytest.approx([2_500.0, 7_500.0])
    assert set(mapping["status"]) == {"overlap"}
    assert set(mapping["old_vintage"]) == {2016}
    assert set(mapping["new_vintage"]) == {2023}


def test_merged() -> None:
    old = _map({"WK000101": _box(0, 40), "WK000102": _box(40, 100)}, 2016)
    new = _map({"WK000101": _box(0, 100)}, 2023)
    mapping = boundary_mapping(old, new)
    assert _shares(mapping) == pytest.approx(
        {("WK000101", "WK000101"): 1.0, ("WK000102", "WK000101"): 1.0}
    )


def test_shifted_border() -> None:
    old = _map({"WK000101": _box(0, 100), "WK000102": _box(100, 200)}, 2016)
    new = _map({"WK000101": _box(0, 130), "WK000102": _box(130, 200)}, 2023)
    mapping = boundary_mapping(old, new)
    assert _shares(mapping) == pytest.approx(
        {
            ("WK000101", "WK000101"): 1.0,
            ("WK000102", "WK000101"): 0.3,
            ("WK000102", "WK000102"): 0.7,
        }
    )


def test_matches_by_geometry_never_by_code() -> None:
    """A reused code names another area: the old district follows its ground, not its code."""
    old = _map({"WK000101": _box(0, 100), "WK000102": _box(100, 200)}, 2016)
    new = _map({"WK000102": _box(0, 100), "WK000101": _box(100, 200)}, 2023)
    assert _shares(boundary_mapping(old, new)) == pytest.approx(
        {("WK000101", "WK000102"): 1.0, ("WK000102", "WK000101"): 1.0}
    )


def test_sliver_dropped_openly_and_rest_renormalised() -> None:
    old = _map({"WK000101": _box(0, 100), "WK000102": _box(100, 200)}, 2016)
    # The new border lies 0.5 m off: 0.5 % of each old district falls in its neighbour.
    new = _map({"WK000101": _box(0, 100.5), "WK000102": _box(100.5, 200)}, 2023)
    mapping = boundary_mapping(old, new)
    sliver = mapping[mapping["status"] == "sliver"]
    assert len(sliver) == 1
    assert sliver["old_code"].iloc[0] == "WK000102"
    assert sliver["new_code"].iloc[0] == "WK000101"
    assert sliver["overlap_share"].iloc[0] == pytest.approx(0.005)
    assert sliver["share"].iloc[0] == 0.0
    assert _shares(mapping) == pytest.approx(
        {("WK000101", "WK000101"): 1.0, ("WK000102", "WK000102"): 1.0}
    )
    assert "slivers < 1 %" in mapping["method"].iloc[0]
    # With the rule switched off the exact overlap shares come through.
    exact = boundary_mapping(old, new, sliver_share=0.0)
    assert _shares(exact)[("WK000102", "WK000101")] == pytest.approx(0.005)
    assert _shares(exact)[("WK000102", "WK000102")] == pytest.approx(0.995)


def test_part_outside_every_new_district_is_reported() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0, 60)}, 2023)
    mapping = boundary_mapping(old, new)
    outside = mapping[mapping["status"] == "outside"]
    assert len(outside) == 1
    assert pd.isna(outside["new_code"].iloc[0])
    assert outside["share"].iloc[0] == pytest.approx(0.4)
    assert outside["area_m2"].iloc[0] == pytest.approx(4_000.0)
    assert mapping["share"].sum() == pytest.approx(1.0)
    with pytest.raises(DataError, match=r"WK000101 \(40\.0%\) lies outside every 2023 district"):
        map_codes(mapping, ["WK000101"])
    with pytest.raises(DataError, match="outside every 2023 district"):
        convert_figures(_figures({"WK000101": 100.0}), mapping, target_vintage=2023)


def test_small_part_outside_is_a_sliver() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0.4, 100)}, 2023)
    mapping = boundary_mapping(old, new)
    assert mapping.set_index("status")["overlap_share"].to_dict() == pytest.approx(
        {"overlap": 0.996, "sliver": 0.004}
    )
    assert _shares(mapping) == pytest.approx({("WK000101", "WK000101"): 1.0})


def test_uninhabited_new_district_excluded() -> None:
    """A coastal district's beach and sea must not take a share of its inhabitants."""
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0, 90), "WK000199": _box(90, 200)}, 2023)
    mapping = boundary_mapping(old, new, uninhabited=["WK000199"])
    assert _shares(mapping) == pytest.approx({("WK000101", "WK000101"): 1.0})
    water = mapping[mapping["new_code"] == "WK000199"]
    assert water["status"].iloc[0] == "uninhabited"
    assert water["overlap_share"].iloc[0] == pytest.approx(0.1)
    assert "uninhabited WK000199" in mapping["method"].iloc[0]
    # Without the flag it is plain area weighting.
    assert _shares(boundary_mapping(old, new))[("WK000101", "WK000199")] == pytest.approx(0.1)


def test_old_district_wholly_in_an_uninhabited_one_keeps_its_destination() -> None:
    old = _map({"WK000199": _box(0, 100)}, 2016)
    new = _map({"WK000199": _box(0, 100)}, 2023)
    mapping = boundary_mapping(old, new, uninhabited=["WK000199"])
    assert _shares(mapping) == {("WK000199", "WK000199"): 1.0}
    assert list(mapping["status"]) == ["overlap"]


def test_shares_sum_to_one_per_old_district() -> None:
    old = _map({f"WK0001{i:02d}": _box(i * 50, i * 50 + 50) for i in range(6)}, 2016)
    new = _map({f"WK0001{i:02d}": _box(i * 70 - 10, i * 70 + 60) for i in range(5)}, 2023)
    mapping = boundary_mapping(old, new)
    sums = mapping.groupby("old_code")["share"].sum()
    assert sums.to_numpy() == pytest.approx(np.ones(6))
    raw = mapping.groupby("old_code")["overlap_share"].sum()
    assert raw.to_numpy() == pytest.approx(np.ones(6))


# --- loud failures -------------------------------------------------------------------------


def test_crs_mismatch_names_both() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0, 100)}, 2023).to_crs("EPSG:3857")
    with pytest.raises(DataError, match=r"EPSG:28992.*EPSG:3857") as caught:
        boundary_mapping(old, new)
    assert caught.value.details == [{"old_crs": "EPSG:28992", "new_crs": "EPSG:3857"}]


def test_geographic_crs_refused() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016).to_crs("EPSG:4326")
    new = _map({"WK000101": _box(0, 100)}, 2023).to_crs("EPSG:4326")
    with pytest.raises(DataError, match=r"geographic CRS.*EPSG:4326.*EPSG:4326"):
        boundary_mapping(old, new)


def test_missing_crs_refused() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016, crs=None)
    new = _map({"WK000101": _box(0, 100)}, 2023)
    with pytest.raises(DataError, match="old districts in no CRS, new districts in EPSG:28992"):
        boundary_mapping(old, new)


def test_population_weights_need_a_layer_we_do_not_have() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    with pytest.raises(ValueError, match="only 'area' is possible"):
        boundary_mapping(old, old, weights="population")


def test_one_vintage_per_side() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    mixed = pd.concat([old, _map({"WK000102": _box(100, 200)}, 2017)], ignore_index=True)
    with pytest.raises(DataError, match=r"one boundary vintage expected, got \[2016, 2017\]"):
        boundary_mapping(mixed, old)


def test_duplicate_codes_refused() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    twice = pd.concat([old, old], ignore_index=True)
    with pytest.raises(DataError, match="codes not unique: WK000101"):
        boundary_mapping(twice, old)


def test_invalid_geometry_refused() -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    old = _map({"WK000101": bowtie}, 2016)
    with pytest.raises(DataError, match="invalid or empty geometry: WK000101"):
        boundary_mapping(old, _map({"WK000101": _box(0, 100)}, 2023))


def test_overlapping_new_districts_refused() -> None:
    old = _map({"WK000101": _box(0, 100)}, 2016)
    new = _map({"WK000101": _box(0, 60), "WK000102": _box(40, 100)}, 2023)
    with pytest.raises(DataError, match=r"overlap each other.*WK000101 \(120\.00%\)"):
        boundary_mapping(old, new)


# --- spreading counts ----------------------------------------------------------------------


@pytest.fixture
def two_municipalities() -> pd.DataFrame:
    """GM0001: two districts become three; GM0002: one district keeps its ground, new code."""
    old = _map(
        {
            "WK000101": _box(0, 100),
            "WK000102": _box(100, 200),
            "WK000201": _box(300, 400),
        },
        2016,
    )
    new = _map(
        {
            "WK000101": _box(0, 50),
            "WK000102": _box(50, 150),
            "WK000103": _box(150, 200),
            "WK000202": _box(300, 400),
        },
        2023,
    )
    return boundary_mapping(old, new)


def test_convert_figures_preserves_municipality_totals(two_municipalities: pd.DataFrame) -> None:
    figures = pd.concat(
        [
            _figures({"WK000101": 1_000.0, "WK000102": 600.0, "WK000201": 250.0}),
            _figures({"WK000101": 300.0, "WK000102": 100.0, "WK000201": 40.0}, "young_0_14"),
        ],
        ignore_index=True,
    )
    converted = convert_figures(figures, two_municipalities, target_vintage=2023)
    assert list(converted.columns) == list(FIGURE_COLUMNS)
    values = converted.set_index(["indicator", "district_code"])["value"].to_dict()
    assert values == pytest.approx(
        {
            ("inhabitants", "WK000101"): 500.0,
            ("inhabitants", "WK000102"): 500.0 + 300.0,
            ("inhabitants", "WK000103"): 300.0,
            ("inhabitants", "WK000202"): 250.0,
            ("young_0_14", "WK000101"): 150.0,
            ("young_0_14", "WK000102"): 150.0 + 50.0,
            ("young_0_14", "WK000103"): 50.0,
            ("young_0_14", "WK000202"): 40.0,
        }
    )
    before = municipality_totals(figures, by=["indicator"])
    after = municipality_totals(converted, by=["indicator"])
    pd.testing.assert_series_equal(before, after)
    assert converted["derived"].all()
    assert set(converted["vintage"]) == {2016}
    assert set(converted["source_table"]) == {"70904ned"}
    derivation = converted.set_index(["indicator", "district_code"])["derivation"]
    assert derivation[("inhabitants", "WK000102")].startswith(
        "area-weighted overlay of CBS 2016 boundaries onto 2023 boundaries"
    )
    assert derivation[("inhabitants", "WK000102")].endswith(
        "2016 districts: 0.5000 × WK000101 + 0.5000 × WK000102"
    )


def test_missing_old_figure_makes_new_figure_missing_not_zero(
    two_municipalities: pd.DataFrame,
) -> None:
    figures = _figures({"WK000101": 1_000.0, "WK000102": None, "WK000201": 250.0})
    converted = convert_figures(figures, two_municipalities, target_vintage=2023)
    # WK000102 (2023) takes from both old districts and WK000103 from the absent one only.
    assert set(converted["district_code"]) == {"WK000101", "WK000202"}
    assert (converted["value"] > 0).all()
    # NaN in the frame counts as absent too.
    with_nan = _figures({"WK000101": 1_000.0, "WK000102": 600.0, "WK000201": 250.0})
    with_nan.loc[with_nan["district_code"] == "WK000102", "value"] = math.nan
    again = convert_figures(with_nan, two_municipalities, target_vintage=2023)
    assert set(again["district_code"]) == {"WK000101", "WK000202"}


def test_derived_inputs_are_named(two_municipalities: pd.DataFrame) -> None:
    figures = _figures({"WK000201": 250.0})
    figures["derived"] = True
    figures["derivation"] = "municipality ratio × inhabitants"
    converted = convert_figures(figures, two_municipalities, target_vintage=2023)
    assert converted["derivation"].iloc[0].endswith("; input figures themselves derived: WK000201")


def test_percentages_are_not_spread(two_municipalities: pd.DataFrame) -> None:
    figures = _figures({"WK000101": 12.5}, "low_income_percentage")
    with pytest.raises(DataError, match="low_income_percentage: not a count"):
        convert_figures(figures, two_municipalities, target_vintage=2023)
    area = _figures({"WK000101": 12.5}, "land_area_ha")
    with pytest.raises(DataError, match="land_area_ha: an area"):
        convert_figures(area, two_municipalities, target_vintage=2023)
    assert "inhabitants" in ADDITIVE_INDICATORS
    assert "land_area_ha" not in ADDITIVE_INDICATORS


def test_unknown_district_and_wrong_target_refused(two_municipalities: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"no mapping of 2016 district\(s\) WK000301 onto 2023"):
        convert_figures(_figures({"WK000301": 5.0}), two_municipalities, target_vintage=2023)
    with pytest.raises(DataError, match="no boundaries of 2030"):
        convert_figures(_figures({"WK000101": 5.0}), two_municipalities, target_vintage=2030)


def test_spread_by_domain_keeps_nan(two_municipalities: pd.DataFrame) -> None:
    need = pd.DataFrame(
        {
            "domain": ["prevention"] * 3 + ["specialist"] * 2,
            "district_code": ["WK000101", "WK000102", "WK000201", "WK000101", "WK000102"],
            "need": [10.0, 20.0, 5.0, 100.0, math.nan],
        }
    )
    result = spread(need, two_municipalities, value_column="need", by=["domain"])
    table = result.set_index(["domain", "district_code"])["need"]
    assert table["prevention"].to_dict() == pytest.approx(
        {"WK000101": 5.0, "WK000102": 15.0, "WK000103": 10.0, "WK000202": 5.0}
    )
    assert table[("specialist", "WK000101")] == pytest.approx(50.0)
    assert math.isnan(table[("specialist", "WK000102")])
    assert math.isnan(table[("specialist", "WK000103")])
    assert ("specialist", "WK000202") not in table.index


def test_map_codes_needs_one_pair_of_vintages(two_municipalities: pd.DataFrame) -> None:
    later = two_municipalities.assign(old_vintage=2023, new_vintage=2025)
    both = pd.concat([two_municipalities, later], ignore_index=True)
    with pytest.raises(DataError, match=r"one pair of boundary vintages expected"):
        map_codes(both, ["WK000101"])
    crosswalk = map_codes(two_municipalities, ["WK000102"])
    assert crosswalk.to_dict("records") == [
        {"old_code": "WK000102", "new_code": "WK000102", "share": 0.5},
        {"old_code": "WK000102", "new_code": "WK000103", "share": 0.5},
    ]


# --- property: any two partitions of a strip ----------------------------------------------

# Cuts on a 0.25 m grid: distinct cuts leave districts at least that wide (a real district is).
_cuts = st.lists(st.integers(4, 3996).map(lambda q: q / 4), max_size=8, unique=True)


def _strip(cuts: list[float], vintage: int) -> gpd.GeoDataFrame:
    edges = [0.0, *sorted(cuts), 1000.0]
    return _map(
        {f"WK0001{i:02d}": _box(a, b) for i, (a, b) in enumerate(itertools.pairwise(edges))},
        vintage,
    )


@settings(max_examples=40, deadline=None)
@given(
    old_cuts=_cuts,
    new_cuts=_cuts,
    counts=st.lists(st.integers(0, 10_000), min_size=9, max_size=9),
)
def test_any_repartition_preserves_totals(
    old_cuts: list[float], new_cuts: list[float], counts: list[int]
) -> None:
    old, new = _strip(old_cuts, 2016), _strip(new_cuts, 2023)
    mapping = boundary_mapping(old, new, sliver_share=0.0)
    # Exact shares: the overlap of the intervals over the old interval's length.
    old_x = dict(zip(old["district_code"], old.bounds[["minx", "maxx"]].to_numpy(), strict=True))
    new_x = dict(zip(new["district_code"], new.bounds[["minx", "maxx"]].to_numpy(), strict=True))
    for old_code, new_code, share in zip(
        mapping["old_code"], mapping["new_code"], mapping["share"], strict=True
    ):
        (a0, a1), (b0, b1) = old_x[old_code], new_x[new_code]
        assert share == pytest.approx((min(a1, b1) - max(a0, b0)) / (a1 - a0), rel=1e-9)
    values = dict(zip(old["district_code"], map(float, counts), strict=False))
    converted = convert_figures(_figures(values), mapping, target_vintage=2023)
    assert converted["value"].sum() == pytest.approx(sum(values.values()), rel=1e-9, abs=1e-6)
    # And with the sliver rule on, totals hold all the same.
    ruled = convert_figures(_figures(values), boundary_mapping(old, new), target_vintage=2023)
    assert ruled["value"].sum() == pytest.approx(sum(values.values()), rel=1e-9, abs=1e-6)

"""Boundary mapping on the two real CBS vintages shipped in geodata/ (2016 and 2023)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from populatie.errors import DataError
from populatie.geo import GeoDataset, load_geodata
from populatie.geo.harmonise import (
    ADDITIVE_INDICATORS,
    SLIVER_SHARE,
    boundary_mapping,
    convert_figures,
    map_codes,
    municipality_totals,
    spread,
)

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
RIJSWIJK, LEIDSCHENDAM_VOORBURG, DEN_HAAG, WASSENAAR = "GM0603", "GM1916", "GM0518", "GM0629"
BOTH_VINTAGES = (DEN_HAAG, RIJSWIJK, WASSENAAR, LEIDSCHENDAM_VOORBURG)
WATER_ONLY = ("WK051899", "WK062999")


@pytest.fixture(scope="module")
def dataset() -> GeoDataset:
    return load_geodata(GEODATA)


def _shapes(dataset: GeoDataset, municipality: str, vintage: int) -> gpd.GeoDataFrame:
    shapes = dataset.shapes
    chosen = shapes[(shapes["municipality_code"] == municipality) & (shapes["vintage"] == vintage)]
    return chosen.reset_index(drop=True)


@pytest.fixture(scope="module")
def mappings(dataset: GeoDataset) -> dict[str, pd.DataFrame]:
    return {
        municipality: boundary_mapping(
            _shapes(dataset, municipality, 2016),
            _shapes(dataset, municipality, 2023),
            uninhabited=WATER_ONLY,
        )
        for municipality in BOTH_VINTAGES
    }


def _kept(mapping: pd.DataFrame) -> dict[tuple[str, str], float]:
    rows = mapping[mapping["share"] > 0]
    return {
        (str(o), str(n)): float(s)
        for o, n, s in zip(rows["old_code"], rows["new_code"], rows["share"], strict=True)
    }


def test_rijswijk_nine_districts_onto_eleven(
    dataset: GeoDataset, mappings: dict[str, pd.DataFrame]
) -> None:
    mapping = mappings[RIJSWIJK]
    assert mapping["old_code"].nunique() == 9
    kept = mapping[mapping["share"] > 0]
    assert sorted(kept["new_code"].unique()) == sorted(
        _shapes(dataset, RIJSWIJK, 2023)["district_code"]
    )
    assert len(sorted(kept["new_code"].unique())) == 11
    shares = _kept(mapping)
    # Reused codes: the 2016 WK060303 is now mostly WK060304, and the 2023 WK060303 comes
    # from the 2016 WK060309. A match by code would be wrong for all of these.
    assert shares[("WK060303", "WK060304")] == pytest.approx(0.893, abs=0.002)
    assert shares[("WK060303", "WK060306")] == pytest.approx(0.107, abs=0.002)
    assert ("WK060303", "WK060303") not in shares
    assert shares[("WK060309", "WK060303")] == pytest.approx(0.31, abs=0.005)
    assert shares[("WK060309", "WK060311")] == pytest.approx(0.69, abs=0.005)
    assert shares[("WK060306", "WK060309")] == pytest.approx(0.709, abs=0.005)
    assert shares[("WK060306", "WK060310")] == pytest.approx(0.291, abs=0.005)
    assert shares[("WK060308", "WK060305")] == pytest.approx(0.392, abs=0.005)
    assert shares[("WK060308", "WK060310")] == pytest.approx(0.608, abs=0.005)
    for unchanged in ("WK060301", "WK060302", "WK060307"):
        assert shares[(unchanged, unchanged)] == 1.0
    assert shares[("WK060304", "WK060306")] == 1.0
    assert shares[("WK060305", "WK060308")] == 1.0


def test_same_code_barely_overlaps_in_rijswijk(dataset: GeoDataset) -> None:
    old = _shapes(dataset, RIJSWIJK, 2016).set_index("district_code").geometry
    new = _shapes(dataset, RIJSWIJK, 2023).set_index("district_code").geometry
    a, b = old["WK060303"], new["WK060303"]
    assert shapely.area(shapely.intersection(a, b)) / a.area < 0.01


def test_leidschendam_voorburg_twelve_onto_thirteen(mappings: dict[str, pd.DataFrame]) -> None:
    mapping = mappings[LEIDSCHENDAM_VOORBURG]
    shares = _kept(mapping)
    assert mapping["old_code"].nunique() == 12
    assert len({new for _, new in shares}) == 13
    assert shares[("WK191609", "WK191609")] == pytest.approx(0.49, abs=0.005)
    assert shares[("WK191609", "WK191613")] == pytest.approx(0.51, abs=0.005)
    others = {k: v for k, v in shares.items() if k[0] != "WK191609"}
    assert others == {(f"WK1916{i:02d}",) * 2: 1.0 for i in range(1, 13) if i != 9}


def test_den_haag_and_wassenaar_keep_their_districts(mappings: dict[str, pd.DataFrame]) -> None:
    for municipality, count in ((DEN_HAAG, 44), (WASSENAAR, 2)):
        shares = _kept(mappings[municipality])
        assert len(shares) == count
        assert all(old == new and share == 1.0 for (old, new), share in shares.items())
    # The coast: without the water flag area weighting would move people into the sea.
    water = mappings[DEN_HAAG][mappings[DEN_HAAG]["status"] == "uninhabited"]
    assert set(water["new_code"]) == {"WK051899"}
    assert set(water["old_code"]) == {"WK051808", "WK051813", "WK051815"}
    assert water["overlap_share"].between(0.03, 0.04).all()


def test_slivers_are_small_and_accounted_for(mappings: dict[str, pd.DataFrame]) -> None:
    for mapping in mappings.values():
        slivers = mapping[mapping["status"] == "sliver"]
        assert (slivers["overlap_share"] < SLIVER_SHARE).all()
        assert (slivers["share"] == 0).all()
        # Generalised 2016 against full-resolution 2023: thin strips, none bigger than 4 ha.
        assert slivers["area_m2"].max() < 40_000
        dropped = mapping[mapping["share"] == 0].groupby("old_code")["overlap_share"].sum()
        assert dropped.max() < 0.05
        assert mapping.groupby("old_code")["share"].sum().to_numpy() == pytest.approx(1.0)
        assert mapping.groupby("old_code")["overlap_share"].sum().to_numpy() == pytest.approx(1.0)
        assert not (mapping["status"] == "outside").any()


def test_past_need_on_2016_rijswijk_districts_maps_onto_2023(
    mappings: dict[str, pd.DataFrame],
) -> None:
    """A run on the 2016 districts, re-expressed on the 2023 ones for a comparison."""
    mapping = mappings[RIJSWIJK]
    old_codes = sorted(mapping["old_code"].unique())
    rng = np.random.default_rng(7)
    need = pd.DataFrame(
        [
            {"domain": domain, "district_code": code, "need": float(rng.uniform(1e5, 1e6))}
            for domain in ("prevention", "access", "specialist")
            for code in old_codes
        ]
    )
    crosswalk = map_codes(mapping, old_codes)
    assert crosswalk.groupby("old_code")["share"].sum().to_numpy() == pytest.approx(1.0)
    on_2023 = spread(need, mapping, value_column="need", by=["domain"])
    assert on_2023["district_code"].nunique() == 11
    assert on_2023["need"].notna().all()
    pd.testing.assert_series_equal(
        municipality_totals(need, value_column="need", by=["domain"]),
        municipality_totals(on_2023, value_column="need", by=["domain"]),
    )


def test_counts_on_2016_districts_keep_every_municipality_total(
    dataset: GeoDataset, mappings: dict[str, pd.DataFrame]
) -> None:
    """Counts on all 2016 districts of the four municipalities, converted onto 2023's."""
    rng = np.random.default_rng(2016)
    rows = [
        {
            "district_code": code,
            "municipality_code": municipality,
            "vintage": 2016,
            "indicator": indicator,
            "value": float(rng.integers(0, 20_000)),
            "source_table": "83487NED",
            "derived": False,
            "derivation": "",
        }
        for municipality in BOTH_VINTAGES
        for code in _shapes(dataset, municipality, 2016)["district_code"]
        for indicator in ("inhabitants", "households_with_children")
    ]
    figures = pd.DataFrame(rows)
    mapping = pd.concat(mappings.values(), ignore_index=True)
    converted = convert_figures(figures, mapping, target_vintage=2023)
    pd.testing.assert_series_equal(
        municipality_totals(figures, by=["indicator"]),
        municipality_totals(converted, by=["indicator"]),
    )
    assert converted["derived"].all()
    assert (
        converted["derivation"]
        .str.startswith("area-weighted overlay of CBS 2016 boundaries onto 2023 boundaries")
        .all()
    )
    # 44 + 11 + 2 + 13 new districts; the water-only ones receive nothing.
    assert converted["district_code"].nunique() == 70
    assert not converted["district_code"].isin(WATER_ONLY).any()


def test_spreading_2024_counts_back_onto_2016_fails_loudly(dataset: GeoDataset) -> None:
    """The border moved: 1.7 ha of the 2023 WK060301 was 's-Gravenhage's WK051841 in 2016.

    Within Rijswijk's 2016 districts that part has no destination, and it is too big to be a
    sliver, so spreading its counts would lose them: the code refuses instead.
    """
    backwards = boundary_mapping(_shapes(dataset, RIJSWIJK, 2023), _shapes(dataset, RIJSWIJK, 2016))
    outside = backwards[backwards["status"] == "outside"]
    assert list(outside["old_code"]) == ["WK060301"]
    assert outside["area_m2"].iloc[0] == pytest.approx(17_300, abs=100)
    figures = dataset.figures
    counts = figures[
        (figures["municipality_code"] == RIJSWIJK)
        & (figures["vintage"] == 2024)
        & figures["indicator"].isin(ADDITIVE_INDICATORS)
    ]
    with pytest.raises(DataError, match=r"WK060301 \(3\.8%\) lies outside every 2016 district"):
        convert_figures(counts, backwards, target_vintage=2016)
    # The other ten districts spread fine and keep their totals.
    others = counts[counts["district_code"] != "WK060301"]
    converted = convert_figures(others, backwards, target_vintage=2016)
    assert converted["value"].sum() == pytest.approx(others["value"].sum())


def test_real_maps_in_two_crs_refused(dataset: GeoDataset) -> None:
    old = _shapes(dataset, RIJSWIJK, 2016)
    new = _shapes(dataset, RIJSWIJK, 2023).to_crs("EPSG:4326")
    with pytest.raises(DataError, match=r"EPSG:28992.*EPSG:4326"):
        boundary_mapping(old, new)

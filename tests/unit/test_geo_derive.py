"""Derived figures on constructed data: each formula, its label, and what it refuses to guess."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.geo.derive import low_income_households, project_shares, young_population
from populatie.geo.indicators import figures_frame, figures_from_table


def _figure(
    code: str, vintage: int, indicator: str, value: float, *, derived: bool = False
) -> dict[str, object]:
    return {
        "district_code": code,
        "municipality_code": "GM" + code[2:6],
        "vintage": vintage,
        "indicator": indicator,
        "value": value,
        "source_table": "84583NED" if vintage == 2019 else "85984NED",
        "derived": derived,
        "derivation": "given" if derived else "",
    }


def _table_2019(**cells: str) -> pd.DataFrame:
    row = {
        "wijk_code": "WK051802",
        "gm_code": "GM0518",
        "year": "2019",
        "source_table": "84583NED",
        "a_hh": "4190",
        "p_hh_lkk": "6.6",
        "a_inw": "8245",
    }
    return pd.DataFrame([row | cells])


def test_low_income_households_is_labelled_with_its_formula() -> None:
    frame, findings = low_income_households(_table_2019(), "kwb.csv")
    assert findings == []
    row = frame.iloc[0]
    assert row["value"] == pytest.approx(0.066 * 4190)
    assert bool(row["derived"])
    assert row["derivation"] == "p_hh_lkk (% of households with low income) × a_hh, CBS 2019"


def test_low_income_households_needs_both_inputs() -> None:
    frame, findings = low_income_households(_table_2019(p_hh_lkk=""), "kwb.csv")
    assert frame.empty
    assert findings == [
        "kwb.csv: WK051802 2019: low_income_households not derived because p_hh_lkk is blank"
    ]


def test_a_blank_cell_is_no_row_and_a_zero_is_a_row() -> None:
    frame = figures_from_table(
        _table_2019(a_inw="", a_hh="0"), {"a_inw": "inhabitants", "a_hh": "households"}
    )
    assert frame[["indicator", "value"]].values.tolist() == [["households", 0.0]]


def test_project_shares_applies_the_base_share_to_the_new_population() -> None:
    figures = figures_frame(
        [
            _figure("WK051802", 2019, "inhabitants", 1000),
            _figure("WK051802", 2019, "young_0_14", 150),
            _figure("WK051802", 2024, "inhabitants", 1200),
        ]
    )
    frame, findings = project_shares(
        figures, base_vintage=2019, target_vintage=2024, indicators=["young_0_14", "young_15_24"]
    )
    assert frame[["district_code", "vintage", "indicator", "value"]].values.tolist() == [
        ["WK051802", 2024, "young_0_14", 180.0]
    ]
    assert frame["source_table"].tolist() == ["84583NED × 85984NED"]
    assert findings == ["WK051802: young_15_24 2019 is absent, so no 2024 figure derived"]


def test_project_shares_refuses_a_zero_population_and_a_missing_target() -> None:
    figures = figures_frame(
        [
            _figure("WK051801", 2019, "inhabitants", 0),
            _figure("WK051801", 2019, "young_0_14", 0),
            _figure("WK051801", 2024, "inhabitants", 0),
            _figure("WK051803", 2019, "inhabitants", 10),
            _figure("WK051803", 2019, "young_0_14", 1),
        ]
    )
    frame, findings = project_shares(
        figures, base_vintage=2019, target_vintage=2024, indicators=["young_0_14"]
    )
    assert frame.empty
    assert findings == [
        "WK051801: 2019 inhabitants are 0 (no share to apply), so no 2024 figures derived for "
        "young_0_14",
        "WK051803: no 2024 inhabitants, so no 2019 figures carried to 2024",
    ]


def test_a_derived_figure_never_shadows_a_published_one() -> None:
    figures = figures_frame(
        [
            _figure("WK051802", 2019, "inhabitants", 1000),
            _figure("WK051802", 2019, "young_0_14", 150),
            _figure("WK051802", 2024, "inhabitants", 1200),
            _figure("WK051802", 2024, "young_0_14", 170),
        ]
    )
    frame, _ = project_shares(
        figures, base_vintage=2019, target_vintage=2024, indicators=["young_0_14"]
    )
    assert frame.empty


@given(
    base=st.integers(min_value=1, max_value=100_000),
    share=st.floats(min_value=0, max_value=1),
    target=st.integers(min_value=0, max_value=100_000),
)
def test_projection_keeps_the_base_share(base: int, share: float, target: int) -> None:
    count = round(share * base)
    figures = figures_frame(
        [
            _figure("WK051802", 2019, "inhabitants", base),
            _figure("WK051802", 2019, "social_assistance", count),
            _figure("WK051802", 2024, "inhabitants", target),
        ]
    )
    frame, _ = project_shares(
        figures, base_vintage=2019, target_vintage=2024, indicators=["social_assistance"]
    )
    value = float(frame["value"].iloc[0])
    assert 0 <= value <= target
    assert value == pytest.approx(count / base * target)


def test_young_population_needs_both_parts_and_says_when_they_are_derived() -> None:
    figures = figures_frame(
        [
            _figure("WK051802", 2019, "young_0_14", 10),
            _figure("WK051802", 2019, "young_15_24", 5),
            _figure("WK051802", 2024, "young_0_14", 12, derived=True),
            _figure("WK051802", 2024, "young_15_24", 6, derived=True),
            _figure("WK051803", 2019, "young_0_14", 3),
        ]
    )
    frame, findings = young_population(figures)
    assert frame[["district_code", "vintage", "value"]].values.tolist() == [
        ["WK051802", 2019, 15.0],
        ["WK051802", 2024, 18.0],
    ]
    assert frame["derived"].all()
    assert "derived figures themselves" not in frame["derivation"].iloc[0]
    assert "derived figures themselves" in frame["derivation"].iloc[1]
    assert findings == ["WK051803: young_population 2019 not derived because young_15_24 is absent"]


def test_figures_frame_has_fixed_columns_even_when_empty() -> None:
    frame = figures_frame([])
    assert frame.empty
    assert frame.dtypes.astype(str).to_dict() == {
        "district_code": "str",
        "municipality_code": "str",
        "vintage": "int64",
        "indicator": "str",
        "value": "float64",
        "source_table": "str",
        "derived": "bool",
        "derivation": "str",
    }

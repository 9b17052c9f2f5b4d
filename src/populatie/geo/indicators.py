"""The figures we take from each CBS table, under one English name per concept.

The long format (one row per district, year and indicator) lets a figure be absent without a
placeholder: an unpublished CBS cell simply has no row, so it can never be summed as a 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import pandas as pd

from populatie.geo.validate import parse_cell, parse_text

#: Kerncijfers wijken en buurten 2024 (85984NED), every H10 district.
FIELDS_2024: Final[Mapping[str, str]] = MappingProxyType(
    {
        "a_inw": "inhabitants",
        "a_man": "men",
        "a_vrouw": "women",
        "woningvoorraad": "dwellings",
        "opp_land_ha": "land_area_ha",
    }
)

#: Kerncijfers wijken en buurten 2019 (84583NED), 's-Gravenhage only.
FIELDS_2019: Final[Mapping[str, str]] = MappingProxyType(
    {
        "a_inw": "inhabitants",
        "a_00_14": "young_0_14",
        "a_15_24": "young_15_24",
        "a_hh": "households",
        "a_hh_m_k": "households_with_children",
        "a_soz_bb": "social_assistance",
        "a_jz_tn": "youth_care_users",
    }
)

#: Percentages read only to derive counts from them.
PERCENT_FIELDS_2019: Final = ("p_hh_lkk",)

#: A fetched vintage (``populatie fetch-cbs``) in the shipped files' column names: indicator →
#: CBS short name. ``low_income_share_pct`` is the percentage the load turns into a count.
FETCHED_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "inhabitants": "a_inw",
        "men": "a_man",
        "women": "a_vrouw",
        "young_0_14": "a_00_14",
        "young_15_24": "a_15_24",
        "households": "a_hh",
        "households_with_children": "a_hh_m_k",
        "low_income_share_pct": "p_hh_lkk",
        "social_assistance": "a_soz_bb",
        "youth_care_users": "a_jz_tn",
        "dwellings": "woningvoorraad",
        "land_area_ha": "opp_land_ha",
    }
)

#: The counts of a fetched vintage, CBS short name → indicator (the percentage left out).
FIELDS_FETCHED: Final[Mapping[str, str]] = MappingProxyType(
    {column: name for name, column in FETCHED_COLUMNS.items() if not name.endswith("_pct")}
)

FIGURE_COLUMNS: Final = (
    "district_code",
    "municipality_code",
    "vintage",
    "indicator",
    "value",
    "source_table",
    "derived",
    "derivation",
)

_DTYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "district_code": "str",
        "municipality_code": "str",
        "vintage": "int64",
        "indicator": "str",
        "value": "float64",
        "source_table": "str",
        "derived": "bool",
        "derivation": "str",
    }
)


def figures_frame(records: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build a figures frame with fixed columns and dtypes, also when there are no records."""
    frame = pd.DataFrame(list(records), columns=list(FIGURE_COLUMNS))
    return frame.astype(dict(_DTYPES))


def figures_from_table(table: pd.DataFrame, fields: Mapping[str, str]) -> pd.DataFrame:
    """Published figures of a validated CBS table, one row per published cell."""
    records: list[dict[str, object]] = []
    for row in table.to_dict("records"):
        for field, indicator in fields.items():
            value = parse_cell(row[field])
            if value is None:
                continue
            records.append(
                {
                    "district_code": parse_text(row["wijk_code"]),
                    "municipality_code": parse_text(row["gm_code"]),
                    "vintage": int(parse_text(row["year"])),
                    "indicator": indicator,
                    "value": value,
                    "source_table": parse_text(row["source_table"]),
                    "derived": False,
                    "derivation": "",
                }
            )
    return figures_frame(records)


def unpublished(table: pd.DataFrame, fields: Mapping[str, str], source: str) -> list[str]:
    """Findings for the blank cells we wanted, so that every absent figure is accounted for."""
    findings: list[str] = []
    for row in table.to_dict("records"):
        missing = [
            f"{indicator} ({field})"
            for field, indicator in fields.items()
            if parse_cell(row[field]) is None
        ]
        if missing:
            findings.append(
                f"{source}: {parse_text(row['wijk_code'])} {parse_text(row['year'])}: "
                f"not published by CBS (blank cell), so absent: {', '.join(missing)}"
            )
    return findings

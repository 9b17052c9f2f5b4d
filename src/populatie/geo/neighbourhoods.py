"""Neighbourhood (buurt) figures fetched from CBS, for the neighbourhood as allocation unit.

A neighbourhood code ``BU`` + 8 digits embeds its district (``WK`` + the first 6) and its
municipality (``GM`` + the first 4), so the file can be checked against the districts of
record without a map: every neighbourhood must lie in a district of record, and through it in
exactly one area (areas are sets of districts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from populatie.errors import DataError
from populatie.geo.derive import low_income_households, young_population
from populatie.geo.indicators import FIELDS_FETCHED, figures_frame
from populatie.geo.readers import FETCHED_NEIGHBOURHOODS, read_table
from populatie.geo.region import MUNICIPALITIES
from populatie.geo.validate import Issue, parse_cell, parse_text, raise_issues

NEIGHBOURHOOD_CODE: Final = re.compile(r"^BU\d{8}$")
PERCENT: Final = "p_hh_lkk"


@dataclass(frozen=True)
class Neighbourhoods:
    """``units``: code, name, district_code, municipality_code, vintage; ``figures``: code,
    vintage, indicator, value, derived, derivation (a blank cell has no row; derived rows are
    those the district figures derive too: young_population from the two age groups and
    low_income_households from ``p_hh_lkk`` × ``a_hh``, each labelled with its formula)."""

    units: pd.DataFrame
    figures: pd.DataFrame
    files: tuple[str, ...]


def _issue(line: int, field: str, value: object, reason: str) -> Issue:
    return {
        "line": line,
        "field": field,
        "value": value,
        "reason": reason,
        "message": f"line {line}: field {field!r} = {value!r}: {reason}",
    }


FIGURE_COLUMNS: Final = ("code", "vintage", "indicator", "value", "derived", "derivation")


def _derived(
    table: pd.DataFrame, source: str, published: list[dict[str, object]]
) -> list[dict[str, object]]:
    """The district figures' derivations, on neighbourhoods: the formulas key on the unit's
    code in ``wijk_code`` / ``district_code``, so the neighbourhood code is put there."""
    frames: list[pd.DataFrame] = []
    if PERCENT in table.columns and "a_hh" in table.columns:
        try:
            low, _ = low_income_households(table.assign(wijk_code=table["buurt_code"]), source)
        except ValueError as error:
            raise DataError(f"{source}: {PERCENT} or a_hh is not a number ({error})") from error
        frames.append(low)
    as_districts = figures_frame(
        {
            "district_code": f["code"],
            "municipality_code": "GM" + str(f["code"])[2:6],
            "vintage": f["vintage"],
            "indicator": f["indicator"],
            "value": f["value"],
            "source_table": source,
            "derived": False,
            "derivation": "",
        }
        for f in published
    )
    young, _ = young_population(as_districts)
    frames.append(young)
    return [
        {
            "code": str(r["district_code"]),
            "vintage": int(r["vintage"]),
            "indicator": str(r["indicator"]),
            "value": float(r["value"]),
            "derived": True,
            "derivation": str(r["derivation"]).replace("same district", "same neighbourhood"),
        }
        for frame in frames
        for r in frame.to_dict("records")
    ]


def district_of(code: str) -> str:
    return "WK" + code[2:8]


def read_neighbourhoods(folder: Path) -> Neighbourhoods:
    """Every fetched neighbourhood file of the newest year in ``folder``, validated."""
    found = [
        (path, int(m.group(1)))
        for path in sorted(folder.glob("kwb_*_buurten_fetched.csv"))
        if (m := FETCHED_NEIGHBOURHOODS.match(path.name))
    ]
    newest = max((year for _, year in found), default=None)
    units: list[dict[str, object]] = []
    figures: list[dict[str, object]] = []
    names: list[str] = []
    seen: dict[str, str] = {}
    for path, year in found:
        if year != newest:
            continue
        names.append(path.name)
        table = read_table(path)
        issues: list[Issue] = []
        for row in table.to_dict("records"):
            line = int(row["line"])
            code = parse_text(row.get("buurt_code"))
            municipality = parse_text(row.get("gm_code"))

            def issue(field: str, value: object, reason: str, line: int = line) -> Issue:
                return _issue(line, field, value, reason)

            if not NEIGHBOURHOOD_CODE.match(code):
                issues.append(issue("buurt_code", code, "not a neighbourhood code BUnnnnnnnn"))
                continue
            if municipality not in MUNICIPALITIES or "GM" + code[2:6] != municipality:
                issues.append(issue("gm_code", municipality, f"not the municipality of {code}"))
            if parse_text(row.get("wijk_code")) != district_of(code):
                issues.append(
                    issue("wijk_code", row.get("wijk_code"), f"{code} lies in {district_of(code)}")
                )
            if code in seen:
                issues.append(issue("buurt_code", code, f"also in {seen[code]}"))
            seen[code] = f"{path.name} line {line}"
            units.append(
                {
                    "code": code,
                    "name": parse_text(row.get("buurt_name")),
                    "district_code": district_of(code),
                    "municipality_code": municipality,
                    "vintage": year,
                }
            )
            for column, indicator in FIELDS_FETCHED.items():
                if column not in table.columns:
                    continue
                try:
                    value = parse_cell(row[column])
                except ValueError:
                    issues.append(issue(column, row[column], "not a number"))
                    continue
                if value is not None and value < 0:
                    issues.append(issue(column, row[column], "negative; a count cannot be below 0"))
                elif value is not None:
                    figures.append(
                        {
                            "code": code,
                            "vintage": year,
                            "indicator": indicator,
                            "value": value,
                            "derived": False,
                            "derivation": "",
                        }
                    )
        raise_issues(path.name, issues)
        figures.extend(_derived(table, path.name, [f for f in figures if f["vintage"] == year]))
    return Neighbourhoods(
        units=pd.DataFrame(
            units, columns=["code", "name", "district_code", "municipality_code", "vintage"]
        ),
        figures=pd.DataFrame(figures, columns=list(FIGURE_COLUMNS)),
        files=tuple(names),
    )

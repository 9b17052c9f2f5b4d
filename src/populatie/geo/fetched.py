"""Vintages fetched from CBS (``populatie fetch-cbs``), read next to the shipped files.

A fetched file has the shipped key-figure files' columns, so it is validated the same way. Where
it and a shipped file give the same figure (district, year, indicator), the fetched one is
used: it is the newer download of the same CBS table, and the load report says how many
figures it replaced and how many of those differ. A figure a fetched file leaves blank (CBS
suppressed it) is absent, and a shipped figure does not fill it in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from populatie.errors import DataError
from populatie.geo.derive import low_income_households
from populatie.geo.indicators import FIELDS_FETCHED, figures_from_table, unpublished
from populatie.geo.readers import fetched_figure_files, read_table
from populatie.geo.validate import parse_text, validate_figures

KEY = ["district_code", "vintage", "indicator"]
PERCENT = "p_hh_lkk"


@dataclass(frozen=True)
class FetchedTable:
    name: str
    year: int
    table: pd.DataFrame
    fields: dict[str, str]
    provenance: dict[str, Any]


def _provenance(path: Path) -> dict[str, Any]:
    """The provenance beside a fetched file: without it the figures' source is unknown."""
    beside = path.with_name(path.name.removesuffix(".csv") + ".provenance.json")
    try:
        record = json.loads(beside.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"{path.name}: its provenance {beside.name} is missing; fetch the year again",
            details=[{"file": beside.name, "reason": "missing file"}],
        ) from None
    except ValueError as error:
        raise DataError(f"{beside.name}: not readable JSON ({error})") from error
    if not isinstance(record, dict) or not record.get("table") or not record.get("fetched_at"):
        raise DataError(f"{beside.name}: names no table and time fetched")
    return record


def read_fetched(folder: Path) -> list[FetchedTable]:
    """Every fetched key-figure file of ``folder``, validated; a district in two is an error."""
    tables: list[FetchedTable] = []
    owner: dict[tuple[str, int], str] = {}
    for path, year in fetched_figure_files(folder):
        table = read_table(path)
        fields = {c: name for c, name in FIELDS_FETCHED.items() if c in table.columns}
        percentages = [PERCENT] if PERCENT in table.columns else []
        validate_figures(table, source=path.name, counts=list(fields), percentages=percentages)
        years = {parse_text(y) for y in table["year"]}
        if years != {str(year)}:
            raise DataError(
                f"{path.name}: its name says {year}, its rows say {', '.join(sorted(years))}",
                details=[{"file": path.name, "field": "year"}],
            )
        for code in table["wijk_code"]:
            key = (parse_text(code), year)
            if key in owner:
                raise DataError(
                    f"{key[0]} {year} is in both {owner[key]} and {path.name}; keep one",
                    details=[{"file": path.name, "district_code": key[0]}],
                )
            owner[key] = path.name
        tables.append(FetchedTable(path.name, year, table, fields, _provenance(path)))
    return tables


def combine_fetched(
    shipped: pd.DataFrame, fetched: Sequence[FetchedTable]
) -> tuple[pd.DataFrame, list[str]]:
    """Shipped figures with the fetched ones laid over them, and what that changed."""
    if not fetched:
        return shipped, []
    findings: list[str] = []
    frames: list[pd.DataFrame] = []
    for item in fetched:
        findings += unpublished(item.table, item.fields, item.name)
        frames.append(figures_from_table(item.table, item.fields))
        if PERCENT in item.table.columns and "a_hh" in item.table.columns:
            low_income, notes = low_income_households(item.table, item.name)
            frames.append(low_income)
            findings += notes
    new = pd.concat(frames, ignore_index=True)
    covered = set(zip(new["district_code"], new["vintage"], strict=True))
    rows = set(zip(shipped["district_code"], shipped["vintage"], strict=True))
    # A fetched district-year replaces the shipped figures of that district-year as a whole:
    # a figure CBS now suppresses must not survive from the older download.
    replaced = shipped[
        [key in covered for key in zip(shipped["district_code"], shipped["vintage"], strict=True)]
    ]
    kept = shipped.drop(replaced.index)
    compared = replaced.merge(new, on=KEY, suffixes=("_shipped", "_fetched"))
    differ = int((compared["value_shipped"] - compared["value_fetched"]).abs().gt(1e-9).sum())
    for item in fetched:
        findings.append(
            f"{item.name}: {len(item.table)} districts of {item.year}, CBS table "
            f"{item.provenance['table']} fetched {item.provenance['fetched_at']} (Bron: CBS, "
            f"{item.provenance.get('licence', 'CC BY 4.0')}), read next to the shipped files"
        )
    if len(replaced):
        findings.append(
            f"fetched figures replace {len(replaced)} shipped figure(s) of "
            f"{len(covered & rows)} district-year(s); {differ} of them differ from the shipped "
            "value"
        )
    combined = pd.concat([new, kept], ignore_index=True)
    return combined, findings

"""Figures computed from published ones, each labelled ``derived`` with its formula.

The allocation needs counts that CBS publishes only as percentages, or only for 2019. Deriving
them is allowed, silently inventing them is not: every derived row names its formula in
``derivation`` and its inputs' tables in ``source_table``, a derived figure never replaces a
published one, and an input that is missing yields no row and a finding instead of a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from populatie.geo.indicators import figures_frame
from populatie.geo.validate import parse_cell, parse_text

LOW_INCOME: Final = "low_income_households"
YOUNG_PARTS: Final = ("young_0_14", "young_15_24")
YOUNG_POPULATION: Final = "young_population"

#: 2019 counts carried to 2024 as a share of the inhabitants.
PROJECTED_INDICATORS: Final = (
    "young_0_14",
    "young_15_24",
    "households_with_children",
    "social_assistance",
    "youth_care_users",
    LOW_INCOME,
)


@dataclass(frozen=True)
class _Figure:
    """One row of a figures frame, typed, so the formulas below read as formulas."""

    district_code: str
    municipality_code: str
    vintage: int
    indicator: str
    value: float
    source_table: str
    derived: bool
    derivation: str


def _rows(figures: pd.DataFrame) -> list[_Figure]:
    return [
        _Figure(
            district_code=str(row["district_code"]),
            municipality_code=str(row["municipality_code"]),
            vintage=int(row["vintage"]),
            indicator=str(row["indicator"]),
            value=float(row["value"]),
            source_table=str(row["source_table"]),
            derived=bool(row["derived"]),
            derivation=str(row["derivation"]),
        )
        for row in figures.to_dict("records")
    ]


def low_income_households(table: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Low-income households as a count: CBS publishes only the percentage ``p_hh_lkk``.

    CBS relates ``p_hh_lkk`` to households with a known income, a slightly smaller base than
    ``a_hh``; the product is therefore an estimate and labelled so.
    """
    records: list[dict[str, object]] = []
    findings: list[str] = []
    for row in table.to_dict("records"):
        code = parse_text(row["wijk_code"])
        year = int(parse_text(row["year"]))
        share = parse_cell(row["p_hh_lkk"])
        households = parse_cell(row["a_hh"])
        if share is None or households is None:
            blank = " and ".join(
                field
                for field, value in (("p_hh_lkk", share), ("a_hh", households))
                if value is None
            )
            findings.append(
                f"{source}: {code} {year}: {LOW_INCOME} not derived because {blank} is blank"
            )
            continue
        records.append(
            {
                "district_code": code,
                "municipality_code": parse_text(row["gm_code"]),
                "vintage": year,
                "indicator": LOW_INCOME,
                "value": share / 100.0 * households,
                "source_table": parse_text(row["source_table"]),
                "derived": True,
                "derivation": f"p_hh_lkk (% of households with low income) × a_hh, CBS {year}",
            }
        )
    return figures_frame(records), findings


def project_shares(
    figures: pd.DataFrame,
    *,
    base_vintage: int,
    target_vintage: int,
    indicators: Sequence[str] = PROJECTED_INDICATORS,
) -> tuple[pd.DataFrame, list[str]]:
    """Carry counts from ``base_vintage`` to ``target_vintage`` as a share of the inhabitants.

    ``value(target) = k(base) / inhabitants(base) × inhabitants(target)`` per district: the
    district's base-year mix applied to its current population, the best the shipped data allow
    where the target year has no figure of its own. Districts are matched on code, so this assumes
    the district kept its boundaries (true for 's-Gravenhage 2019 → 2024).
    """
    base = figures[figures["vintage"] == base_vintage]
    target = figures[figures["vintage"] == target_vintage]
    base_inhabitants = _published(base, "inhabitants")
    target_inhabitants = _published(target, "inhabitants")
    # A figure of the target year's own, published or derived from that year's percentage
    # (a fetched vintage's low-income share), beats one carried from the base year.
    published_target = {(row.district_code, row.indicator) for row in _rows(target)}
    base_by_key = {
        (row.district_code, row.indicator): row
        for row in _rows(base[base["indicator"].isin(list(indicators))])
    }
    records: list[dict[str, object]] = []
    findings: list[str] = []
    for code, inhabitants in sorted(base_inhabitants.items()):
        if code not in target_inhabitants:
            findings.append(
                f"{code}: no {target_vintage} inhabitants, so no {base_vintage} figures carried "
                f"to {target_vintage}"
            )
            continue
        if inhabitants.value == 0:
            findings.append(
                f"{code}: {base_vintage} inhabitants are 0 (no share to apply), so no "
                f"{target_vintage} figures derived for {', '.join(indicators)}"
            )
            continue
        now = target_inhabitants[code]
        for indicator in indicators:
            if (code, indicator) in published_target:
                continue
            figure = base_by_key.get((code, indicator))
            if figure is None:
                findings.append(
                    f"{code}: {indicator} {base_vintage} is absent, so no {target_vintage} "
                    "figure derived"
                )
                continue
            records.append(
                {
                    "district_code": code,
                    "municipality_code": now.municipality_code,
                    "vintage": target_vintage,
                    "indicator": indicator,
                    "value": figure.value / inhabitants.value * now.value,
                    "source_table": f"{figure.source_table} × {now.source_table}",
                    "derived": True,
                    "derivation": _share_derivation(figure, base_vintage, target_vintage),
                }
            )
    return figures_frame(records), findings


def _share_derivation(figure: _Figure, base_vintage: int, target_vintage: int) -> str:
    text = (
        f"{figure.indicator} {base_vintage} / inhabitants {base_vintage} × inhabitants "
        f"{target_vintage}: the {base_vintage} share applied to the {target_vintage} population"
    )
    if figure.derived:
        text += f"; {figure.indicator} {base_vintage} is itself derived: {figure.derivation}"
    return text


def _published(figures: pd.DataFrame, indicator: str) -> dict[str, _Figure]:
    return {
        row.district_code: row
        for row in _rows(figures)
        if row.indicator == indicator and not row.derived
    }


def young_population(figures: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Young people aged 0–24 where both age groups exist; CBS publishes only the parts."""
    rows_by_key: dict[tuple[str, int], dict[str, _Figure]] = {}
    existing: set[tuple[str, int]] = set()
    for row in _rows(figures):
        key = (row.district_code, row.vintage)
        if row.indicator in YOUNG_PARTS:
            rows_by_key.setdefault(key, {})[row.indicator] = row
        elif row.indicator == YOUNG_POPULATION:
            existing.add(key)
    records: list[dict[str, object]] = []
    findings: list[str] = []
    for (code, vintage), by_indicator in sorted(rows_by_key.items()):
        if (code, vintage) in existing:
            continue
        missing = [name for name in YOUNG_PARTS if name not in by_indicator]
        if missing:
            findings.append(
                f"{code}: {YOUNG_POPULATION} {vintage} not derived because "
                f"{' and '.join(missing)} is absent"
            )
            continue
        rows = [by_indicator[name] for name in YOUNG_PARTS]
        tables = list(dict.fromkeys(row.source_table for row in rows))
        derivation = " + ".join(YOUNG_PARTS) + f", same district, {vintage}"
        if any(row.derived for row in rows):
            derivation += " (the parts are derived figures themselves)"
        records.append(
            {
                "district_code": code,
                "municipality_code": rows[0].municipality_code,
                "vintage": vintage,
                "indicator": YOUNG_POPULATION,
                "value": sum(row.value for row in rows),
                "source_table": " + ".join(tables),
                "derived": True,
                "derivation": derivation,
            }
        )
    return figures_frame(records), findings

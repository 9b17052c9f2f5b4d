"""Openly derived figures for districts where CBS suppressed or did not publish a count.

CBS leaves small districts blank (privacy, or too few inhabitants). A need model cannot skip a
district, and a blank is not a zero, so a gap is filled the one documented way: the
municipality-wide ratio of that count to inhabitants (over the districts that have both),
times the district's inhabitants. Every filled figure is marked ``derived`` with that formula,
and is listed in the load report, so nobody takes it for a CBS figure.
"""

from __future__ import annotations

import pandas as pd

from populatie.geo.derive import young_population

POPULATION = "inhabitants"
# Indicators that are counts of people or households, and so scale with inhabitants.
COUNT_INDICATORS = (
    "young_0_14",
    "young_15_24",
    "households",
    "households_with_children",
    "low_income_households",
    "social_assistance",
    "youth_care_users",
)


def fill_gaps(figures: pd.DataFrame, vintage: int) -> tuple[pd.DataFrame, list[str]]:
    """Return ``figures`` with the gaps of ``vintage`` filled and a line per fill.

    A gap is a count indicator that a municipality has for some of its districts in a vintage
    but not for others. Only the vintage the model reads is filled: older vintages stay as CBS
    published them. ``young_population`` is then re-summed from its (possibly filled) parts, so
    it stays the sum of the two age groups. Columns are those of ``load_geodata``'s figures.
    """
    report: list[str] = []
    added: list[dict[str, object]] = []
    current = figures[figures["vintage"] == vintage]
    for municipality, group in current.groupby("municipality_code", sort=True):
        wide = group.pivot_table(
            index="district_code", columns="indicator", values="value", aggfunc="first"
        )
        if POPULATION not in wide.columns:
            continue
        tables = group.drop_duplicates("indicator").set_index("indicator")["source_table"]
        for indicator in COUNT_INDICATORS:
            if indicator not in wide.columns:
                continue
            have = wide[indicator].notna() & wide[POPULATION].notna()
            missing = wide.index[wide[indicator].isna() & wide[POPULATION].notna()]
            if len(missing) == 0:
                continue
            denominator = float(wide.loc[have, POPULATION].sum())
            if denominator <= 0:
                report.append(
                    f"{municipality} {vintage}: {indicator} missing for {', '.join(missing)} "
                    "and no district to derive a ratio from; left absent"
                )
                continue
            ratio = float(wide.loc[have, indicator].sum()) / denominator
            population = wide[POPULATION].astype(float)
            for district in missing:
                inhabitants = float(population[district])
                added.append(
                    {
                        "district_code": district,
                        "municipality_code": municipality,
                        "vintage": vintage,
                        "indicator": indicator,
                        "value": ratio * inhabitants,
                        "source_table": str(tables.get(indicator, "")),
                        "derived": True,
                        "derivation": (
                            f"not published for this district; {municipality} ratio "
                            f"{indicator}/inhabitants = {ratio:.5f} (over its other districts) "
                            f"× {inhabitants:.0f} inhabitants"
                        ),
                    }
                )
            report.append(
                f"{municipality} {vintage}: {indicator} not published for "
                f"{', '.join(missing)}; derived as municipality ratio × inhabitants"
            )
    if not added:
        return figures, report
    filled = pd.concat([figures, pd.DataFrame(added)], ignore_index=True)
    young, findings = young_population(filled)
    report += [f for f in findings if f" {vintage} " in f]
    return pd.concat([filled, young], ignore_index=True), report

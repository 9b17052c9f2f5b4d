"""Illustrative KPI figures to try the views on: synthetic, seeded, and labelled as such.

Nothing here is a real figure. For each partnership that serves areas, each of its areas,
segments B and C and each month of a year, one figure per KPI of the register; for each member
of those partnerships, monthly shares, cost per client and product mix in segment B. Two series
are made to drift outside their (illustrative) norm, so the signals have something to show, and
the last member of each partnership has small numbers, so the suppression has too.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.kpis.parsing import COLUMNS
from populatie.kpis.register import Kpi, Register
from populatie.registry.models import Area, Partnership

__all__ = ["DEMO_LABEL", "DemoOutcome", "demo_rows", "write_demo_figures"]

DEMO_LABEL = "ILLUSTRATIEF: synthetische cijfers, geen echte gegevens"
SEGMENTS = ("B", "C")
PROVIDER_KPIS = ("dropout", "goals_met", "waiting_within_norm", "cost_per_client")
CATEGORIES = ("41", "43", "45")
# (partnership index, segment, KPI, from month): where a series drifts outside its norm
DRIFTS = ((1, "C", "waiting_within_norm", 10), (0, "B", "dropout", 5))


@dataclass(frozen=True)
class DemoOutcome:
    path: Path
    rows: int

    def summary(self) -> str:
        return f"{self.rows} illustrative figures written to {self.path} ({DEMO_LABEL})"


def _figure(
    kpi: Kpi, rng: random.Random, norm: float, size: int, drift: bool
) -> tuple[int | None, int | None, str]:
    """numerator, denominator and value of one synthetic figure near ``norm``."""
    if kpi.measure == "count":
        return rng.randint(size * 3, size * 6), None, ""
    if kpi.measure == "median":
        n = rng.randint(max(size // 4, 3), max(size // 2, 5))
        return None, n, str(round(norm * rng.uniform(0.75, 1.02)))
    if kpi.code == "cost_per_client":
        n = rng.randint(size, size * 3)
        return n * rng.randint(120_000, 220_000), n, ""
    if kpi.measure == "mean":
        n = rng.randint(max(size // 3, 2), size)
        return round(n * rng.uniform(max(norm - 0.3, 1), min(norm + 0.7, 10))), n, ""
    if int(kpi.scale) == 1000:
        population = size * 400
        better = 0.85 if kpi.direction == "lower" else 1.1
        return round(population * norm / 1000 * better * rng.uniform(0.9, 1.1)), population, ""
    n = rng.randint(max(size // 2, 3), size * 2)
    # mostly on the good side of the norm, so that a drift stands out
    share = norm / 100 + (0.06 if kpi.direction == "higher" else -0.04)
    share = share * 0.8 if drift and kpi.direction == "higher" else share
    share = min(share * 1.6, 0.95) if drift and kpi.direction == "lower" else share
    share = min(max(share + rng.uniform(-0.06, 0.06), 0.0), 1.0)
    return round(n * share), n, ""


def _norm(kpi: Kpi, segment: str, year: int) -> float:
    norm = kpi.norm(segment, year) or kpi.norm("B", year) or kpi.norm("C", year)
    return float(norm.value) if norm is not None else 50.0


def demo_rows(session: Session, register: Register, year: int, seed: int) -> list[list[str]]:
    """The rows of a demo file (without its header), in a stable order for a seed."""
    rng = random.Random(seed)
    partnerships = list(
        session.execute(select(Partnership).order_by(col(Partnership.name))).scalars()
    )
    areas = list(session.execute(select(Area).order_by(col(Area.code))).scalars())
    rows: list[list[str]] = []
    for index, partnership in enumerate(partnerships):
        own = [a for a in areas if a.partnership_name == partnership.name]
        for area in own:
            for segment in SEGMENTS:
                for kpi in register:
                    if segment not in kpi.segments or kpi.by_category:
                        continue
                    # a median does not add up over areas: given for the whole partnership
                    whole = kpi.measure == "median"
                    if whole and area is not own[0]:
                        continue
                    for month in range(1, 13):
                        drift = any(
                            (p, s, c) == (index, segment, kpi.code) and month >= m
                            for p, s, c, m in DRIFTS
                        )
                        num, den, value = _figure(
                            kpi, rng, _norm(kpi, segment, year), 60 if segment == "B" else 25, drift
                        )
                        rows.append(
                            _row(f"{year}-{month:02d}", partnership.name, "", segment,
                                 "" if whole else area.municipality_code,
                                 "" if whole else area.code, kpi.code, "", num, den, value)
                        )  # fmt: skip
        providers = list(dict.fromkeys([partnership.lead_member, *partnership.members]))
        for position, provider in enumerate(providers):
            size = 4 if position == len(providers) - 1 and len(providers) > 1 else 40
            for month in range(1, 13):
                period = f"{year}-{month:02d}"
                for code in PROVIDER_KPIS:
                    kpi = register.kpis[code]
                    num, den, value = _figure(kpi, rng, _norm(kpi, "B", year), size, False)
                    unit = (period, partnership.name, provider, "B", "", "")
                    rows.append(_row(*unit, code, "", num, den, value))
                clients = rng.randint(size * 2, size * 4)
                weights = [rng.uniform(0.5, 1.5) for _ in CATEGORIES]
                left = clients
                for i, category in enumerate(CATEGORIES):
                    part = (
                        left
                        if i == len(CATEGORIES) - 1
                        else round(clients * weights[i] / sum(weights))
                    )
                    left -= part
                    rows.append(
                        _row(period, partnership.name, provider, "B", "", "", "product_mix",
                             category, part, clients, "")
                    )  # fmt: skip
    return rows


def _row(*cells: object) -> list[str]:
    return ["" if c is None else str(c) for c in cells]


def write_demo_figures(
    session: Session, register: Register, year: int, seed: int, out: Path
) -> DemoOutcome:
    """Write the demo file as CSV, or as XLSX when ``out`` ends in ``.xlsx``."""
    rows = demo_rows(session, register, year, seed)
    if out.suffix.lower() == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "illustratief"
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([int(c) if c.isdigit() and not c.startswith("0") else c for c in row])
        book.save(out)
    else:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        out.write_text(text.getvalue(), encoding="utf-8")
    return DemoOutcome(out, len(rows))

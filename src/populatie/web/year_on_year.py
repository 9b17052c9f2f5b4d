"""For the consortium page: this year against last year per area and domain, with the parts
of the change, and the partnership's own spending per provider.

Both years are the adopted allocations, per municipality. The parts (budget, bevolking,
behoeftemix, demping) are the explanation :func:`populatie.core.four_parts` makes of the
waterfall between the two adopted runs: the parts stored with this year's run when it was
computed from last year's adopted run, else the waterfall walked again between the two (as
``populatie explain`` does), so they add up to the change to the cent either way.

Everything is read for the caller's own areas and own spending rows only (a row is the
partnership's that held its contract or lot on the booking date, as the API rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, RunArea
from populatie.api.spending import own_spending
from populatie.configuration import DOMAINS
from populatie.core.waterfall import FOUR_PARTS, four_parts, waterfall
from populatie.districts.models import Municipality
from populatie.errors import PopulatieError
from populatie.registry.models import Area
from populatie.spending.models import Spending
from populatie.web.formatting import DOMAIN_LABELS, count, euro, percent
from populatie.web.waterfall_chart import Step, waterfall_chart

__all__ = [
    "PART_LABELS",
    "AreaChange",
    "ChangeRow",
    "ProviderRow",
    "ProviderSpending",
    "YearOnYear",
    "provider_spending",
    "year_on_year",
]

PART_LABELS = {
    "budget": "Budget",
    "population": "Bevolking",
    "need_mix": "Behoeftemix",
    "damping": "Demping",
}
Parts = dict[str, int]


@dataclass(frozen=True)
class ChangeRow:
    label: str
    last: str
    this: str
    change: str
    change_pct: str
    parts: list[str]
    adds_up: bool | None


@dataclass(frozen=True)
class AreaChange:
    code: str
    name: str
    rows: list[ChangeRow]
    chart: Markup | None


@dataclass(frozen=True)
class YearOnYear:
    year: int
    previous: int
    areas: list[AreaChange]
    missing: str = ""
    notes: list[str] = field(default_factory=list)
    part_labels: list[str] = field(default_factory=lambda: list(PART_LABELS.values()))


def _adoptions(
    session: Session, municipalities: Sequence[str], years: Sequence[int]
) -> dict[tuple[str, int], str]:
    return {
        (str(m), int(y)): str(run)
        for m, y, run in session.execute(
            select(col(Adoption.municipality_code), col(Adoption.year), col(Adoption.run_id)).where(
                col(Adoption.municipality_code).in_(list(municipalities)),
                col(Adoption.year).in_(list(years)),
            )
        )
    }


def _amounts(session: Session, run_id: str, codes: Sequence[str]) -> dict[tuple[str, str], RunArea]:
    rows = session.execute(
        select(RunArea).where(col(RunArea.run_id) == run_id, col(RunArea.area_code).in_(codes))
    ).scalars()
    return {(r.area_code, r.domain): r for r in rows}


def _stored_parts(
    this: dict[tuple[str, str], RunArea], last: dict[tuple[str, str], RunArea]
) -> dict[tuple[str, str], Parts] | None:
    """The parts this year's run keeps, when it started from last year's adopted amounts."""
    out = {}
    for key, row in this.items():
        before = last.get(key)
        effects = (
            row.budget_effect_cents,
            row.population_effect_cents,
            row.need_mix_effect_cents,
            row.damping_effect_cents,
        )
        if before is None or row.previous_cents != before.amount_cents or None in effects:
            return None
        out[key] = {name: int(v or 0) for name, v in zip(FOUR_PARTS, effects, strict=True)}
    return out


def _walked_parts(
    session: Session, last_run: str, this_run: str, municipality: str, codes: set[str]
) -> dict[tuple[str, str], Parts]:
    """The waterfall between the two adopted runs, walked again, for the own areas only."""
    from populatie.planning.inputs import run_inputs  # planning reads runs: import it late

    side_a = run_inputs(session, last_run).municipalities[municipality]
    side_b = run_inputs(session, this_run).municipalities[municipality]
    per_domain = waterfall(
        side_a.inputs, side_b.inputs, amount_a=side_a.amount_cents, amount_b=side_b.amount_cents
    )
    out = {}
    for domain, w in per_domain.items():
        parts = four_parts(w)
        for i, code in enumerate(w.area_keys):
            if code in codes:
                out[(code, domain)] = {name: int(parts[name][i]) for name in FOUR_PARTS}
    return out


def _row(label: str, last: int | None, this: int | None, parts: Parts | None) -> ChangeRow:
    change = None if last is None or this is None else this - last
    pct = 100 * change / last if change is not None and last else None
    return ChangeRow(
        label=label,
        last=euro(last),
        this=euro(this),
        change=euro(change),
        change_pct=percent(pct, 1, signed=True),
        parts=[euro(parts[n]) if parts else "—" for n in FOUR_PARTS],
        adds_up=None if parts is None or change is None else sum(parts.values()) == change,
    )


def year_on_year(session: Session, partnership: str, year: int | None) -> YearOnYear | None:
    """The own areas' adopted amounts of ``year`` against ``year - 1``, per domain, with parts."""
    if year is None:
        return None
    areas = list(
        session.execute(
            select(Area).where(col(Area.partnership_name) == partnership).order_by(col(Area.code))
        ).scalars()
    )
    previous = year - 1
    municipalities = sorted({a.municipality_code for a in areas})
    names = {
        str(c): str(n)
        for c, n in session.execute(select(col(Municipality.code), col(Municipality.name)))
    }
    adopted = _adoptions(session, municipalities, [year, previous])
    if not any((m, previous) in adopted for m in municipalities):
        return YearOnYear(
            year=year,
            previous=previous,
            areas=[],
            missing=f"Voor {previous} is geen verdeling vastgesteld voor uw gebieden. Een "
            "vergelijking met vorig jaar is er daarom niet.",
        )
    notes: list[str] = []
    last: dict[tuple[str, str], int] = {}
    this: dict[tuple[str, str], int] = {}
    parts: dict[tuple[str, str], Parts] = {}
    for m in municipalities:
        codes = [a.code for a in areas if a.municipality_code == m]
        this_run, last_run = adopted.get((m, year)), adopted.get((m, previous))
        this_rows = _amounts(session, this_run, codes) if this_run else {}
        last_rows = _amounts(session, last_run, codes) if last_run else {}
        this.update({k: int(r.amount_cents) for k, r in this_rows.items()})
        last.update({k: int(r.amount_cents) for k, r in last_rows.items()})
        if this_run is None or last_run is None:
            missing = previous if last_run is None else year
            notes.append(f"Voor {names.get(m, m)} is voor {missing} geen verdeling vastgesteld.")
            continue
        stored = _stored_parts(this_rows, last_rows)
        if stored is None:
            try:
                stored = _walked_parts(session, last_run, this_run, m, set(codes))
            except PopulatieError:
                notes.append(
                    f"Voor {names.get(m, m)} is het verschil niet in delen te splitsen: de "
                    "gebiedsindeling of de gegevens van de twee jaren passen niet op elkaar."
                )
                continue
        parts.update(stored)
    changes = []
    for area in areas:
        rows = []
        sums: dict[str, list[int]] = defaultdict(list)
        for d in DOMAINS:
            key = (area.code, d)
            rows.append(_row(DOMAIN_LABELS[d], last.get(key), this.get(key), parts.get(key)))
            for name, value in (parts.get(key) or {}).items():
                sums[name].append(value)
        known = [(area.code, d) for d in DOMAINS]
        total_last = sum(last[k] for k in known) if all(k in last for k in known) else None
        total_this = sum(this[k] for k in known) if all(k in this for k in known) else None
        total_parts = (
            {n: sum(sums[n]) for n in FOUR_PARTS} if all(k in parts for k in known) else None
        )
        rows.append(_row(DOMAIN_LABELS["total"], total_last, total_this, total_parts))
        chart = None
        if total_last is not None and total_this is not None and total_parts is not None:
            chart = waterfall_chart(
                [Step(PART_LABELS[n], total_parts[n]) for n in FOUR_PARTS],
                prefix=f"waterfall-{area.code}",
                title=f"{area.name}: van {previous} naar {year} in vier delen",
                description="Budget, bevolking, behoeftemix en demping als zwevende balken "
                "(een stijging vol, een daling gearceerd), daaronder het hele verschil vanaf "
                f"€ 0. De tabel eronder geeft de bedragen van {previous} en {year}.",
            )
        changes.append(AreaChange(code=area.code, name=area.name, rows=rows, chart=chart))
    return YearOnYear(year=year, previous=previous, areas=changes, notes=notes)


# ---------------------------------------------------------------------------------------------
# Spending per provider
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRow:
    provider: str
    domains: list[str]
    total: str
    rows: str


@dataclass(frozen=True)
class ProviderSpending:
    year: int
    domain_labels: list[str]
    providers: list[ProviderRow]
    total: str
    domain_totals: list[str] = field(default_factory=list)


def provider_spending(session: Session, partnership: str, year: int | None) -> ProviderSpending:
    """The partnership's own booked spending of ``year`` per provider and domain."""
    labels = [DOMAIN_LABELS[d] for d in DOMAINS]
    if year is None:
        return ProviderSpending(year=0, domain_labels=labels, providers=[], total=euro(0))
    rows = session.execute(
        select(
            col(Spending.provider),
            col(Spending.domain),
            func.sum(Spending.amount_cents),
            func.count(),
        )
        .where(
            own_spending(session, partnership),
            col(Spending.booked_on) >= date(year, 1, 1),
            col(Spending.booked_on) <= date(year, 12, 31),
        )
        .group_by(col(Spending.provider), col(Spending.domain))
    ).all()
    amounts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DOMAINS, 0))
    bookings: dict[str, int] = defaultdict(int)
    for provider, domain, cents, n in rows:
        amounts[str(provider)][str(domain)] = amounts[str(provider)].get(str(domain), 0) + int(
            cents
        )
        bookings[str(provider)] += int(n)
    order = sorted(amounts, key=lambda p: (-sum(amounts[p].values()), p))
    return ProviderSpending(
        year=year,
        domain_labels=labels,
        providers=[
            ProviderRow(
                provider=p,
                domains=[euro(amounts[p].get(d, 0)) for d in DOMAINS],
                total=euro(sum(amounts[p].values())),
                rows=count(bookings[p]),
            )
            for p in order
        ],
        total=euro(sum(sum(a.values()) for a in amounts.values())),
        domain_totals=[euro(sum(a.get(d, 0) for a in amounts.values())) for d in DOMAINS],
    )

"""A synthetic spending file, so a new user can watch reconciliation work.

Clearly synthetic: every invoice reference starts with ``DEMO-`` (then the year and the seed,
so a file of another seed imports after this one), every description says "synthetic", and the
amounts are drawn, not observed. It is realistic in shape: bookings on the lots that have a
contract in force, over the districts of each lot's area, by the partnership's own providers,
per domain roughly in proportion to the adopted allocation (one lot running over its ceiling),
with seasonality (a summer dip, a December peak) and a few credit notes. It also
holds a few deliberate exceptions of each kind the rows can show:

- rows with no reference, and with a reference no contract or lot has (``no-contract``);
- rows on a lot's contract for a district of another lot (``district-outside-lot``);
- rows on an expired contract, when one is registered (``outside-contract-period``);
- rows by a provider outside the partnership (``provider-not-member``);
- rows in a domain the lot does not cover, when a lot covers fewer than three;
- rows repeating other rows under new invoice references (``duplicate-invoice``);
- rows for a district that is in no area (``district-not-in-one-area``);
- on the regional contracts (:mod:`populatie.spending.demo_regional`), rows priced otherwise
  than quantity × tariff (``tariff-mismatch``), of a product the contract does not buy
  (``product-not-contracted``) or of another segment (``segment-not-contracted``), a
  correction against an instalment (``instalment-off-schedule``), and an assignment paid its
  completion share after its dropout (``paid-after-dropout``).

:func:`register_demo_contracts` registers the contracts the file refers to, for lots that have
none: on Den Haag's lots, ceilings equal to the adopted allocation of the lot's area, except
one set 2 % above it (``allocation-differs``), and an expired predecessor of the first
(2020–2023); on the regional lots, the illustrative regional contracts. The regular rows on a
regional contract carry its segment, products, quantities and stages, priced as its funding
form says, so they are no findings: only the planted rows are.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, RunArea
from populatie.configuration import DOMAINS
from populatie.contracts.service import (
    ContractInput,
    ContractView,
    create_contract,
    list_contracts,
    lot_reference,
)
from populatie.core.funding import expected_cents
from populatie.core.money import split_cents
from populatie.errors import DataError
from populatie.registry.models import AreaDistrict, Lot, Partnership
from populatie.spending.demo_regional import (
    REGIONAL,
    is_regional,
    regional_rows,
    register_regional_contract,
)
from populatie.spending.detail import DETAIL_COLUMNS
from populatie.spending.parsing import ALL_COLUMNS, COLUMNS

__all__ = ["DemoOutcome", "register_demo_contracts", "write_demo_spending"]

# Relative weight of each month: fewer bookings in the summer, a peak before the year closes.
SEASON = (1.04, 0.98, 1.06, 1.0, 1.0, 0.95, 0.72, 0.68, 1.02, 1.08, 1.1, 1.37)
OUTSIDER = "Jeugdhulp Buiten Verband B.V. (synthetic)"
NOT_A_DISTRICT = "99"  # WKmmmm99: well formed, in no area (H10 municipalities have fewer)
KINDS = {
    "prevention": ("group programme", "school-based prevention", "parenting course"),
    "access": ("local team support", "assessment and referral", "basic help"),
    "specialist": ("trajectory fee", "monthly fee", "residential care, per day"),
}


@dataclass(frozen=True)
class DemoOutcome:
    path: Path
    rows: int
    amount_cents: int
    exceptions: dict[str, int]
    contracts: list[str]

    def summary(self) -> str:
        planted = ", ".join(f"{k} {n}" for k, n in self.exceptions.items() if n)
        return (
            f"wrote {self.rows} synthetic spending rows to {self.path} on "
            f"{len(self.contracts)} contracts ({', '.join(self.contracts)}); deliberate "
            f"exceptions: {planted}"
        )


def _adopted(session: Session, year: int) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(col(RunArea.area_code), col(RunArea.domain), col(RunArea.amount_cents))
        .join(Adoption, col(Adoption.run_id) == col(RunArea.run_id))
        .where(
            col(Adoption.year) == year,
            col(Adoption.municipality_code) == col(RunArea.municipality_code),
        )
    )
    return {(str(a), str(d)): int(c) for a, d, c in rows}


def register_demo_contracts(session: Session, year: int, user: str) -> list[str]:
    """Register demo contracts for the lots with no contract in force in ``year``; return
    their references (none when every lot has one already). The caller commits."""
    adopted = _adopted(session, year)
    if not adopted:
        raise DataError(
            f"no adopted allocation for {year}: run `populatie allocate --year {year} --adopt`"
        )
    in_force = {c.lot for c in list_contracts(session, year)}
    lots = sorted(
        session.execute(select(Lot)).scalars(), key=lambda lot: (lot.municipality_code, lot.number)
    )
    made = []
    awarded = [lot for lot in lots if lot.municipality_code not in REGIONAL]
    for lot in lots:
        ref = lot_reference(lot)
        if ref in in_force:
            continue
        allocated = sum(adopted.get((lot.area_code, d), 0) for d in lot.domains)
        if is_regional(lot.municipality_code, lot.number):
            made.append(register_regional_contract(session, lot, ref, year, allocated, user))
            continue
        # Den Haag's lots, and the nine municipalities' own prevention and access; only Den
        # Haag's carry the deliberate differences
        i = awarded.index(lot) if lot in awarded else -1
        ceiling = allocated * 102 // 100 if i == 2 else allocated  # one deliberately off
        reference = f"DEMO-H10-{lot.municipality_code}-P{lot.number}"
        create_contract(
            session,
            ContractInput(
                reference=reference,
                lot=ref,
                starts_on=date(2024, 1, 1),
                ends_on=date(max(2026, year), 12, 31),
                extendable_to=date(max(2028, year + 2), 12, 31),
                funding_form="population-based",
                ceilings_cents={year: ceiling},
                indexation_basis_points=250,
            ),
            user,
            reason="demo contract (synthetic): ceiling = adopted allocation"
            + (", deliberately 2 % above" if i == 2 else ""),
        )
        made.append(reference)
        if i == 0 and year >= 2024:
            expired = f"DEMO-H10-{lot.municipality_code}-P{lot.number}-2020"
            create_contract(
                session,
                ContractInput(
                    reference=expired,
                    lot=ref,
                    starts_on=date(2020, 1, 1),
                    ends_on=date(2023, 12, 31),
                    funding_form="effort-based",
                    ceilings_cents={2023: ceiling},
                ),
                user,
                reason="demo contract (synthetic): the expired predecessor",
            )
            made.append(expired)
    return made


def _euros(cents: Sequence[int], decimal_comma: bool) -> list[str]:
    if decimal_comma:
        return [
            f"{'-' if c < 0 else ''}{abs(c) // 100:,}".replace(",", ".") + f",{abs(c) % 100:02d}"
            for c in cents
        ]
    return [f"{'-' if c < 0 else ''}{abs(c) // 100}.{abs(c) % 100:02d}" for c in cents]


@dataclass
class _Columns:
    """The file being built, column by column (numpy arrays until it is written)."""

    day: list[npt.NDArray[np.datetime64]]
    municipality: list[npt.NDArray[np.str_]]
    district: list[npt.NDArray[np.str_]]
    reference: list[npt.NDArray[np.str_]]
    domain: list[npt.NDArray[np.str_]]
    provider: list[npt.NDArray[np.str_]]
    amount: list[npt.NDArray[np.int64]]
    what: list[npt.NDArray[np.str_]]
    detail: dict[str, list[npt.NDArray[np.str_]]] = field(
        default_factory=lambda: {name: [] for name in DETAIL_COLUMNS}
    )

    def add(
        self,
        day: npt.NDArray[np.datetime64],
        municipality: str,
        district: npt.NDArray[np.str_] | str,
        reference: npt.NDArray[np.str_] | str,
        domain: str,
        provider: npt.NDArray[np.str_] | str,
        amount: npt.NDArray[np.int64],
        what: npt.NDArray[np.str_] | str,
        detail: Mapping[str, npt.NDArray[np.str_] | str] | None = None,
    ) -> None:
        n = day.size
        for name in DETAIL_COLUMNS:
            value = (detail or {}).get(name, "")
            self.detail[name].append(np.broadcast_to(np.asarray(value, dtype=np.str_), (n,)))
        self.day.append(day)
        self.municipality.append(np.full(n, municipality))
        self.district.append(np.broadcast_to(np.asarray(district), (n,)))
        self.reference.append(np.broadcast_to(np.asarray(reference), (n,)))
        self.domain.append(np.full(n, domain))
        self.provider.append(np.broadcast_to(np.asarray(provider), (n,)))
        self.amount.append(amount.astype(np.int64))
        self.what.append(np.broadcast_to(np.asarray(what), (n,)))


def write_demo_spending(
    session: Session,
    year: int,
    rows: int,
    seed: int,
    out: Path,
    *,
    decimal_comma: bool = False,
) -> DemoOutcome:
    """Write ``rows`` synthetic rows for ``year`` to ``out`` (see the module docstring)."""
    if rows < 100:
        raise DataError("a demo file needs at least 100 rows to show anything")
    rng = np.random.default_rng(seed)
    adopted = _adopted(session, year)
    contracts = list_contracts(session, year)
    if not contracts or not adopted:
        raise DataError(
            f"no contract in force or no adopted allocation in {year}: run `populatie allocate "
            f"--year {year} --adopt` and register contracts (or demo-spending --with-contracts)"
        )
    expired = [c for c in list_contracts(session) if c.ends_on < date(year, 1, 1)]
    lots = {lot_reference(lot): lot for lot in session.execute(select(Lot)).scalars()}
    districts: dict[str, list[str]] = {}
    for area, district in session.execute(
        select(col(AreaDistrict.area_code), col(AreaDistrict.district_code)).order_by(
            col(AreaDistrict.district_code)
        )
    ):
        districts.setdefault(str(area), []).append(str(district))
    providers: dict[str, list[str]] = {
        p.name: sorted({p.lead_member, *p.members, *p.subcontractors})
        for p in session.execute(select(Partnership)).scalars()
    }

    def provider_of(c: ContractView) -> str:
        return providers.get(c.partnership, [c.partnership])[0]

    def district_of(c: ContractView) -> str:
        return districts.get(c.area, [""])[0]

    month_start = np.array([f"{year}-{m:02d}-01" for m in range(1, 13)], dtype="datetime64[D]")
    month_days = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)])
    season = np.array(SEASON) / sum(SEASON)

    def days(n: int) -> npt.NDArray[np.datetime64]:
        month = rng.choice(12, size=n, p=season)
        offset = (rng.random(n) * month_days[month]).astype(np.int64)
        result: npt.NDArray[np.datetime64] = month_start[month] + offset.astype("timedelta64[D]")
        return result

    cols = _Columns([], [], [], [], [], [], [], [])
    # The regular rows: per (contract, domain) a spend target and rows in proportion to it; a
    # regional contract's all in the specialist domain, priced as its funding form says.
    regional = [c for c in contracts if is_regional(c.municipality, lots[c.lot].number)]
    population = [c for c in contracts if c not in regional]
    groups = []
    # Den Haag's (a municipality of four areas) carry the planted rows of the core kinds
    awarded = [c for c in population if c.municipality not in REGIONAL] or contracts
    for c in population:
        over = len(awarded) > 1 and c is awarded[1]
        factor = 1.12 if over else float(rng.uniform(0.9, 0.99))  # the second runs over
        for domain in DOMAINS:
            target = int(adopted.get((c.area, domain), 0) * factor)
            if domain in lots[c.lot].domains and target > 0:
                groups.append((c, domain, target))
    for c in regional:
        target = int(adopted.get((c.area, "specialist"), 0) * rng.uniform(0.9, 0.99))
        if target > 0:
            groups.append((c, "specialist", target))
    planted_rows = 40
    regular = rows - planted_rows
    counts = split_cents(
        regular, [g[2] for g in groups], [f"{g[0].reference}/{g[1]}" for g in groups]
    )
    regional_groups = []
    for (c, domain, target), count in zip(groups, counts.tolist(), strict=True):
        if c in regional:
            regional_groups.append((c, target, count))
            continue
        if count == 0:
            continue
        # The amounts split the target in proportion to a lognormal draw: they add up to it
        # exactly; a few are credit notes.
        amounts = split_cents(target, rng.lognormal(mean=0.0, sigma=0.9, size=count))
        amounts[amounts == 0] = 1
        credit = rng.random(count) < 0.004
        amounts[credit] = -np.maximum(amounts[credit] // 10, 1)
        area_districts = np.array(districts.get(c.area) or [""])
        who = np.array(providers.get(c.partnership) or [c.partnership])
        cols.add(
            days(count),
            c.municipality,
            area_districts[rng.integers(area_districts.size, size=count)],
            np.where(rng.random(count) < 0.1, c.lot, c.reference),
            domain,
            who[rng.integers(who.size, size=count)],
            amounts,
            np.array(KINDS[domain])[rng.integers(3, size=count)],
        )
    # Only these rows are repeated below: a copy of a priced row would be a tariff finding.
    population_rows = sum(a.size for a in cols.amount)
    for c, target, count in regional_groups:
        plan = REGIONAL[c.municipality]
        batch = regional_rows(
            plan,
            year,
            c.ceiling_for(year) or 0,
            target,
            max(count, 1),
            rng,
            days,
            f"T{seed % 1000:03d}{c.municipality[2:]}",
        )
        area_districts = np.array(districts.get(c.area) or [""])
        who = np.array(providers.get(c.partnership) or [c.partnership])
        n = batch.day.size
        cols.add(
            batch.day,
            c.municipality,
            area_districts[rng.integers(area_districts.size, size=n)],
            c.reference,
            "specialist",
            who[rng.integers(who.size, size=n)],
            batch.amount,
            f"{c.funding_form}, segment {c.segment}",
            batch.detail,
        )

    planted = dict.fromkeys(
        (
            "no-contract",
            "district-outside-lot",
            "outside-contract-period",
            "provider-not-member",
            "domain-not-covered",
            "duplicate-invoice",
            "district-not-in-one-area",
            "tariff-mismatch",
            "product-not-contracted",
            "segment-not-contracted",
            "instalment-off-schedule",
            "paid-after-dropout",
        ),
        0,
    )

    def plant(
        kind: str,
        n: int,
        c: ContractView,
        amounts: npt.NDArray[np.int64] | None = None,
        detail: Mapping[str, str] | None = None,
        on: npt.NDArray[np.datetime64] | None = None,
        **fields: str,
    ) -> None:
        cols.add(
            days(n) if on is None else on,
            fields.get("municipality", c.municipality),
            fields.get("district", district_of(c)),
            fields.get("reference", c.reference),
            fields.get("domain", "specialist"),
            fields.get("provider", provider_of(c)),
            rng.integers(25_000, 900_000, size=n) if amounts is None else amounts,
            fields.get("what", kind.replace("-", " ")),
            detail,
        )
        planted[kind] += n

    first, second, last = awarded[0], awarded[min(1, len(awarded) - 1)], awarded[-1]
    plant("no-contract", 3, first, reference="", district="", domain="access")
    plant("no-contract", 2, first, reference="H10-UNKNOWN-7")
    others = [a for a in sorted(districts) if a != first.area and a.startswith(first.municipality)]
    if others:
        plant("district-outside-lot", 3, first, district=districts[others[0]][0])
    if expired:
        plant("outside-contract-period", 3, expired[0])
    plant("provider-not-member", 3, last, provider=OUTSIDER)
    narrow = [c for c in contracts if set(lots[c.lot].domains) != set(DOMAINS)]
    if narrow:
        uncovered = sorted(set(DOMAINS) - set(lots[narrow[0].lot].domains))[0]
        plant("domain-not-covered", 3, narrow[0], domain=uncovered)
    plant(
        "district-not-in-one-area",
        2,
        second,
        district=f"WK{second.municipality[2:]}{NOT_A_DISTRICT}",
        domain="access",
    )

    # The findings of the funding forms, on the regional contracts.
    by_form = {c.funding_form: c for c in reversed(regional)}
    effort, month = by_form.get("effort-based"), by_form.get("output-based-month")
    trajectory, task = by_form.get("output-based-trajectory"), by_form.get("task-based")
    if effort is not None:
        product, (unit, cents) = sorted(REGIONAL[effort.municipality].tariffs.items())[0]
        plant(
            "tariff-mismatch",
            2,
            effort,
            amounts=np.full(2, 3 * cents + 1_250, dtype=np.int64),
            detail={
                "segment": effort.segment or "",
                "product_code": product,
                "unit": unit,
                "quantity": "3",
            },
        )
    if month is not None:
        plant(
            "product-not-contracted",
            2,
            month,
            amounts=np.full(2, 99_500, dtype=np.int64),
            detail={
                "segment": month.segment or "",
                "product_code": "45Z99",
                "unit": "month",
                "quantity": "1",
            },
        )
    if trajectory is not None:
        plan = REGIONAL[trajectory.municipality]
        product, (unit, cents) = sorted(plan.tariffs.items())[0]
        start = plan.start_percent or 0
        plant(
            "segment-not-contracted",
            2,
            trajectory,
            amounts=np.full(2, cents, dtype=np.int64),
            detail={
                "segment": "C" if trajectory.segment != "C" else "B",
                "product_code": product,
                "unit": unit,
                "quantity": "1",
            },
        )
        # one assignment: started, dropped out, then paid its completion share all the same
        assignment = f"UITVAL{year}{seed % 100_000}"
        for stage, booked, percent in (
            ("start", f"{year}-02-10", start),
            ("dropout", f"{year}-05-12", 0),
            ("completion", f"{year}-09-22", 100 - start),
        ):
            plant(
                "paid-after-dropout",
                1,
                trajectory,
                amounts=np.array([expected_cents(100, cents, percent)], dtype=np.int64),
                detail={
                    "segment": trajectory.segment or "",
                    "product_code": product,
                    "unit": unit,
                    "quantity": "1",
                    "stage": stage,
                    "assignment_reference": assignment,
                },
                on=np.array([booked], dtype="datetime64[D]"),
            )
    if task is not None:
        # a correction booked against an instalment: the month is paid short
        plant(
            "instalment-off-schedule",
            1,
            task,
            amounts=np.array([-150_000], dtype=np.int64),
            detail={"segment": task.segment or ""},
            on=np.array([f"{year}-11-20"], dtype="datetime64[D]"),
        )

    day = np.concatenate(cols.day)
    columns: list[npt.NDArray[Any]] = [
        day,
        np.concatenate(cols.municipality),
        np.concatenate(cols.district),
        np.concatenate(cols.reference),
        np.concatenate(cols.domain),
        np.concatenate(cols.provider),
        np.concatenate(cols.amount),
        np.concatenate(cols.what),
        *(np.concatenate(cols.detail[name]) for name in DETAIL_COLUMNS),
    ]
    # Repeat a few regular rows under new invoice references, and top up to ``rows`` with
    # copies that differ in amount (a kind that could not be planted leaves room).
    repeat = rng.choice(population_rows, size=min(3, population_rows), replace=False)
    planted["duplicate-invoice"] = repeat.size
    top_up = rng.integers(population_rows, size=max(rows - day.size - repeat.size, 0))
    extra = np.concatenate([repeat, top_up]).astype(np.int64)
    columns = [np.concatenate([c, c[extra]]) for c in columns]
    if top_up.size:
        columns[6][-top_up.size :] = rng.integers(25_000, 900_000, size=top_up.size)
    order = np.argsort(columns[0], kind="stable")
    columns = [c[order] for c in columns]
    n = columns[0].size
    if decimal_comma:
        q = len(COLUMNS) - 1 + DETAIL_COLUMNS.index("quantity")
        columns[q] = np.array([v.replace(".", ",") for v in columns[q].tolist()], dtype=np.str_)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";" if decimal_comma else ",", lineterminator="\n")
        writer.writerow(ALL_COLUMNS)
        writer.writerows(
            zip(
                columns[0].astype("datetime64[D]").astype(str).tolist(),
                columns[1].tolist(),
                columns[2].tolist(),
                columns[3].tolist(),
                columns[4].tolist(),
                columns[5].tolist(),
                _euros(columns[6].tolist(), decimal_comma),
                [f"DEMO-{year}-{seed}-{i:07d}" for i in range(1, n + 1)],
                [f"synthetic demo row: {w}" for w in columns[7].tolist()],
                *(c.tolist() for c in columns[8:]),
                strict=True,
            )
        )
    return DemoOutcome(
        path=out,
        rows=n,
        amount_cents=int(columns[6].sum()),
        exceptions=planted,
        contracts=[c.reference for c in contracts],
    )

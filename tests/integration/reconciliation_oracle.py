"""The exception counts of a reconciliation worked out a second way, for the tests to hold the
real one to: row by row from the spending file and the registry tables (plain SQL), by the
rules as the README states them, with none of the service's monthly totals or code.

Made for what the demo holds: whole-year contracts and at most one contract per lot in force
in any month (the split of an allocation over successive contracts is not modelled).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

KINDS = (
    "no-contract",
    "district-outside-lot",
    "outside-contract-period",
    "provider-not-member",
    "domain-not-covered",
    "duplicate-invoice",
    "over-ceiling",
    "allocation-differs",
    "district-not-in-one-area",
)
#: The kinds of the funding forms: only rows with detail columns (product, quantity, stage…)
#: can give them, and this oracle reads files without (it refuses one with them).
FUNDING_KINDS = (
    "tariff-mismatch",
    "product-not-contracted",
    "segment-not-contracted",
    "instalment-off-schedule",
    "paid-after-dropout",
)


@dataclass(frozen=True)
class _Lot:
    municipality: str
    area: str
    partnership: str
    domains: frozenset[str]


@dataclass(frozen=True)
class _Contract:
    reference: str
    lot: str
    partnership: str
    starts_on: date
    ends_on: date
    ceiling_cents: int | None


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return first, date.fromordinal(last)


def exception_counts(
    database: Path, spending_file: Path, year: int, *, core_only: bool = False
) -> dict[str, int]:
    """Per exception kind, how many exceptions (distinct subjects) the spending of ``year``
    in ``spending_file`` gives against the registry in the SQLite file ``database``.

    With ``core_only``, only the kinds that do not follow a funding form are counted (so a
    file with detail columns and contracts with schedules can be checked on those)."""
    db = sqlite3.connect(database)
    try:
        tasks = "SELECT count(*) FROM contract WHERE funding_form = 'task-based'"
        if not core_only and db.execute(tasks).fetchone()[0]:
            raise NotImplementedError("the oracle does not model instalment schedules")
        members: dict[str, set[str]] = {}
        for name, lead, listed, subs in db.execute(
            "SELECT name, lead_member, members, subcontractors FROM partnership"
        ):
            members[name] = {lead, *_json_list(listed), *_json_list(subs)}
        # The membership register: the last version of each (partnership, provider, from);
        # a partnership with memberships of record counts a member on the booking date only.
        latest: dict[tuple[str, str, str], tuple[int, str | None]] = {}
        for name, provider, start, end, version in db.execute(
            "SELECT partnership_name, provider_name, valid_from, valid_to, version "
            "FROM membership ORDER BY version"
        ):
            latest[(name, provider, start)] = (version, end)
        dated: dict[str, list[tuple[str, date, date]]] = defaultdict(list)
        for (name, provider, start), (_, end) in latest.items():
            dated[name].append(
                (provider, date.fromisoformat(start), date.fromisoformat(end) if end else date.max)
            )
        lots = {
            f"{m}/{n}": _Lot(m, area, partnership, frozenset(_json_list(domains)))
            for m, n, area, partnership, domains in db.execute(
                "SELECT municipality_code, number, area_code, partnership_name, domains FROM lot"
            )
        }
        contracts = {
            ref: _Contract(
                ref, f"{m}/{n}", partnership, date.fromisoformat(s), date.fromisoformat(e), cents
            )
            for ref, m, n, partnership, s, e, cents in db.execute(
                "SELECT c.reference, l.municipality_code, l.number, c.partnership_name, "
                "c.starts_on, c.ends_on, cc.ceiling_cents FROM contract c "
                "JOIN lot l ON l.id = c.lot_id "
                "LEFT JOIN contract_ceiling cc ON cc.contract_id = c.id AND cc.year = ?",
                (year,),
            )
        }
        area_of = dict(db.execute("SELECT district_code, area_code FROM area_district"))
        of_record = {code for (code,) in db.execute("SELECT code FROM district")}
        adopted: dict[tuple[str, str], int] = {}
        for area, domain, cents in db.execute(
            "SELECT ra.area_code, ra.domain, ra.amount_cents FROM run_area ra "
            "JOIN adoption a ON a.run_id = ra.run_id "
            "AND a.municipality_code = ra.municipality_code WHERE a.year = ?",
            (year,),
        ):
            adopted[(area, domain)] = cents
    finally:
        db.close()

    subjects: dict[str, set[object]] = defaultdict(set)
    spent: dict[str, int] = defaultdict(int)
    seen: set[tuple[object, ...]] = set()
    with spending_file.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            booked = date.fromisoformat(r["booking_date"])
            if booked.year != year:
                continue
            cents = int(Decimal(r["amount"]) * 100)
            district, reference, domain = r["district"], r["reference"], r["domain"]
            municipality, provider = r["municipality"], r["provider"]
            # rows of two different assignments are no double invoice
            assignment = r.get("assignment_reference") or ""
            key = (booked, municipality, district, reference, domain, provider, cents, assignment)
            if key in seen:
                subjects["duplicate-invoice"].add(r["invoice_reference"])
            seen.add(key)
            if district and district not in area_of:
                subjects["district-not-in-one-area"].add(district)
            contract = contracts.get(reference)
            lot_ref = contract.lot if contract else reference if reference in lots else None
            if contract is None and lot_ref is not None:
                first, last = _month_bounds(year, booked.month)
                current = sorted(
                    (c.starts_on, c.reference)
                    for c in contracts.values()
                    if c.lot == lot_ref and c.starts_on <= last and c.ends_on >= first
                )
                contract = contracts[current[0][1]] if current else None
            if lot_ref is not None:
                lot = lots[lot_ref]
                if (district in area_of and area_of[district] != lot.area) or (
                    municipality != lot.municipality
                ):
                    subjects["district-outside-lot"].add((lot_ref, district or municipality))
                if domain not in lot.domains:
                    subjects["domain-not-covered"].add((lot_ref, domain))
            if contract is None:
                subjects["no-contract"].add(lot_ref or reference or municipality)
                continue
            if contract.partnership in dated:
                member = any(
                    who == provider and start <= booked <= end
                    for who, start, end in dated[contract.partnership]
                )
            else:
                member = provider in members[contract.partnership]
            if not member:
                subjects["provider-not-member"].add((contract.reference, provider))
            if not contract.starts_on <= booked <= contract.ends_on:
                subjects["outside-contract-period"].add(contract.reference)
            spent[contract.reference] += cents

    in_force = [
        c
        for c in contracts.values()
        if c.starts_on <= date(year, 12, 31) and c.ends_on >= date(year, 1, 1)
    ]
    for c in in_force:
        if c.ceiling_cents is None:
            continue
        if spent[c.reference] > c.ceiling_cents:
            subjects["over-ceiling"].add(c.reference)
        lot = lots[c.lot]
        allocated = [adopted[(lot.area, d)] for d in lot.domains if (lot.area, d) in adopted]
        if allocated and sum(allocated) != c.ceiling_cents:
            subjects["allocation-differs"].add(c.reference)
    subjects["district-not-in-one-area"] |= of_record - set(area_of)
    with spending_file.open(encoding="utf-8") as fh:
        header = fh.readline()
    if core_only:
        return {kind: len(subjects[kind]) for kind in KINDS}
    if any(name in header for name in ("product_code", "stage", "segment")):
        raise NotImplementedError("the oracle does not model the detail columns")
    return {kind: len(subjects[kind]) for kind in KINDS} | dict.fromkeys(FUNDING_KINDS, 0)


def _json_list(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list)
    return [str(v) for v in value]

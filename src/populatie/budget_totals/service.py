"""Budget totals use cases over a session: set, index, seed, read, and the totals a run uses.

Totals are data with history: every write is a new version (who, when, why, on what basis) and
an audit event, added to the caller's unit of work so that both are committed together or not
at all. ``config/budgets.toml`` only seeds a municipality-year that has no totals yet; once
finance has set or indexed one, the file never overwrites it.

A run reads its totals from here, unless its scenario carries a ``[budgets]`` section for that
municipality-year (a what-if over other totals, for that run only); either way the run keeps
the totals it used in ``budget_cents``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.audit import record_event
from populatie.budget_totals.models import BudgetTotal, BudgetTotalVersion
from populatie.configuration import DOMAINS, RegionConfig
from populatie.core.indexation import RULE, index_cents
from populatie.districts.models import Municipality
from populatie.errors import ConfigurationError, ConflictError, DataError, NotFoundError

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "TotalsView",
    "check_year",
    "index_totals",
    "list_totals",
    "seed_totals",
    "set_totals",
    "totals_for_run",
    "totals_history",
]

FIRST_YEAR, LAST_YEAR = 2000, 2099
SEED_REASON = "seeded from config/budgets.toml"


@dataclass(frozen=True)
class TotalsView:
    """The totals of one municipality-year as the CLI and the API show them."""

    year: int
    municipality: str
    cents: dict[str, int]
    version: int
    source: str
    changed_at: datetime
    changed_by: str
    reason: str = ""
    basis: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "municipality": self.municipality,
            "cents": dict(self.cents),
            "total_cents": sum(self.cents.values()),
            "version": self.version,
            "source": self.source,
            "changed_at": self.changed_at.isoformat(),
            "changed_by": self.changed_by,
            "reason": self.reason,
            "basis": self.basis,
        }


def _cents_of(row: BudgetTotal | BudgetTotalVersion) -> dict[str, int]:
    return {
        "prevention": row.prevention_cents,
        "access": row.access_cents,
        "specialist": row.specialist_cents,
    }


def _view(row: BudgetTotalVersion) -> TotalsView:
    return TotalsView(
        year=row.year,
        municipality=row.municipality_code,
        cents=_cents_of(row),
        version=row.version,
        source=row.source,
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        reason=row.reason,
        basis=row.basis,
    )


def check_year(year: int, field: str = "year") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DataError(
            f"{field}: {year} is not a budget year ({FIRST_YEAR}–{LAST_YEAR})",
            details=[{"field": field, "value": year, "reason": "not a budget year"}],
        )
    return year


def _check_cents(cents: Mapping[str, object]) -> dict[str, int]:
    problems: list[dict[str, object]] = []
    for domain in sorted(set(cents) - set(DOMAINS)):
        problems.append({"field": domain, "reason": f"unknown domain; domains are {list(DOMAINS)}"})
    checked: dict[str, int] = {}
    for domain in DOMAINS:
        value = cents.get(domain)
        if value is None:
            problems.append({"field": domain, "reason": "missing: give all three domain totals"})
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append({"field": domain, "value": value, "reason": "not whole cents"})
        elif value < 0:
            problems.append({"field": domain, "value": value, "reason": "must be >= 0"})
        else:
            checked[domain] = value
    if problems:
        raise DataError(
            "invalid budget totals: " + "; ".join(f"{p['field']}: {p['reason']}" for p in problems),
            details=problems,
        )
    return checked


def _municipality(session: Session, code: str) -> str:
    if session.get(Municipality, code) is None:
        raise NotFoundError(f"municipality {code} is not in the region")
    return code


def _current(session: Session, year: int, municipality: str) -> BudgetTotal | None:
    return session.get(BudgetTotal, (year, municipality))


def _write(
    session: Session,
    year: int,
    municipality: str,
    cents: Mapping[str, int],
    *,
    actor: str,
    source: str,
    reason: str,
    basis: str = "",
) -> BudgetTotalVersion:
    """The next version of one municipality-year, and the current row updated to it."""
    now = datetime.now(UTC)
    current = _current(session, year, municipality)
    version = 1 if current is None else current.version + 1
    row = BudgetTotalVersion(
        year=year,
        municipality_code=municipality,
        version=version,
        prevention_cents=cents["prevention"],
        access_cents=cents["access"],
        specialist_cents=cents["specialist"],
        source=source,
        reason=reason,
        basis=basis,
        changed_at=now,
        changed_by=actor,
    )
    session.add(row)
    if current is None:
        current = BudgetTotal(
            year=year,
            municipality_code=municipality,
            prevention_cents=0,
            access_cents=0,
            specialist_cents=0,
            source=source,
            changed_at=now,
            changed_by=actor,
        )
    current.prevention_cents = cents["prevention"]
    current.access_cents = cents["access"]
    current.specialist_cents = cents["specialist"]
    current.version = version
    current.source = source
    current.changed_at = now
    current.changed_by = actor
    session.add(current)
    session.flush()
    return row


def list_totals(session: Session, year: int) -> list[TotalsView]:
    """The current totals of every municipality that has them in ``year``, by code."""
    rows = session.execute(
        select(BudgetTotalVersion)
        .join(
            BudgetTotal,
            (col(BudgetTotal.year) == col(BudgetTotalVersion.year))
            & (col(BudgetTotal.municipality_code) == col(BudgetTotalVersion.municipality_code))
            & (col(BudgetTotal.version) == col(BudgetTotalVersion.version)),
        )
        .where(col(BudgetTotalVersion.year) == year)
        .order_by(col(BudgetTotalVersion.municipality_code))
    ).scalars()
    return [_view(r) for r in rows]


def totals_history(session: Session, year: int, municipality: str) -> list[TotalsView]:
    """Every version of one municipality-year, oldest first."""
    _municipality(session, municipality)
    rows = session.execute(
        select(BudgetTotalVersion)
        .where(
            col(BudgetTotalVersion.year) == year,
            col(BudgetTotalVersion.municipality_code) == municipality,
        )
        .order_by(col(BudgetTotalVersion.version))
    ).scalars()
    versions = [_view(r) for r in rows]
    if not versions:
        raise NotFoundError(
            f"no budget totals for {municipality} in {year}: {_how_to_set(year, municipality)}"
        )
    return versions


def set_totals(
    session: Session,
    year: int,
    municipality: str,
    cents: Mapping[str, object],
    *,
    actor: str,
    role: str,
    reason: str,
    basis: str = "",
) -> TotalsView:
    """Set the three domain totals of a municipality-year (the next version); audited."""
    check_year(year)
    checked = _check_cents(cents)
    if not reason.strip():
        raise DataError(
            "reason: say why the totals change (kept in the history)",
            details=[{"field": "reason", "reason": "empty"}],
        )
    _municipality(session, municipality)
    current = _current(session, year, municipality)
    if current is not None and _cents_of(current) == checked:
        raise ConflictError(
            f"the totals of {municipality} in {year} are these already (version "
            f"{current.version}); nothing changed"
        )
    before = None if current is None else _cents_of(current)
    row = _write(
        session,
        year,
        municipality,
        checked,
        actor=actor,
        source="set",
        reason=reason.strip(),
        basis=basis.strip(),
    )
    record_event(
        session,
        actor=actor,
        role=role,
        partnership=None,
        action="budget_totals.set",
        target=f"budget_totals/{year}/{municipality}",
        detail={
            "version": row.version,
            "before_cents": before,
            "cents": checked,
            "reason": row.reason,
            "basis": row.basis,
        },
    )
    return _view(row)


def index_totals(
    session: Session,
    from_year: int,
    to_year: int,
    pct: Decimal,
    basis: str,
    *,
    actor: str,
    role: str,
    municipalities: Sequence[str] | None = None,
) -> list[TotalsView]:
    """Make ``to_year``'s totals from ``from_year``'s by ``pct`` (see
    :mod:`populatie.core.indexation` for the rounding), for every municipality with totals in
    ``from_year`` (or those named). Refused, writing nothing, when ``to_year`` already has
    totals for any of them: those are changed with ``budgets set``."""
    check_year(from_year, "from")
    check_year(to_year, "to")
    if to_year <= from_year:
        raise DataError(f"to: {to_year} must come after from ({from_year})")
    if not basis.strip():
        raise DataError(
            "basis: name the indexation (e.g. 'OVA 2026, CEP 2025'); it is kept in the history",
            details=[{"field": "basis", "reason": "empty"}],
        )
    sources = {v.municipality: v for v in list_totals(session, from_year)}
    wanted = list(municipalities) if municipalities else sorted(sources)
    for code in wanted:
        _municipality(session, code)
    missing = [code for code in wanted if code not in sources]
    if not wanted or missing:
        raise ConfigurationError(
            f"no budget totals in {from_year} for "
            f"{', '.join(missing) if missing else 'any municipality'} to index from: "
            f"{_how_to_set(from_year, missing[0] if missing else 'GMnnnn')}"
        )
    present = [code for code in wanted if _current(session, to_year, code) is not None]
    if present:
        raise ConflictError(
            f"{to_year} has budget totals already for {', '.join(present)}; change them with "
            f"`populatie budgets set {to_year} GMnnnn …`, or index only the others "
            "(--municipality)"
        )
    reason = f"indexed from {from_year} by {pct} %"
    made: list[TotalsView] = []
    for code in wanted:
        cents = {d: index_cents(c, pct) for d, c in sources[code].cents.items()}
        row = _write(
            session,
            to_year,
            code,
            cents,
            actor=actor,
            source="index",
            reason=reason,
            basis=basis.strip(),
        )
        made.append(_view(row))
    record_event(
        session,
        actor=actor,
        role=role,
        partnership=None,
        action="budget_totals.index",
        target=f"budget_totals/{to_year}",
        detail={
            "from": from_year,
            "to": to_year,
            "pct": str(pct),
            "basis": basis.strip(),
            "rounding": RULE,
            "cents": {v.municipality: v.cents for v in made},
        },
    )
    return made


def seed_totals(session: Session, config: RegionConfig, actor: str) -> list[tuple[int, str]]:
    """Write the totals of ``config/budgets.toml`` for every municipality-year that has none
    yet (never overwriting one finance set); returns what it wrote, for the caller's audit."""
    seeded: list[tuple[int, str]] = []
    region = set(config.municipality_codes())
    for year in sorted(config.budgets_euro):
        for municipality in sorted(config.budgets_euro[year]):
            if municipality not in region:
                raise ConfigurationError(
                    f"budgets.toml [{year}.{municipality}]: {municipality} is not a municipality "
                    "of config/region.toml"
                )
            if _current(session, year, municipality) is not None:
                continue
            cents = config.budget_cents(year, municipality)
            _write(
                session, year, municipality, cents, actor=actor, source="seed", reason=SEED_REASON
            )
            seeded.append((year, municipality))
    return seeded


def _how_to_set(year: int, municipality: str) -> str:
    return (
        f"set them with `populatie budgets set {year} {municipality} --prevention EURO "
        f"--access EURO --specialist EURO --reason …`, or make them from the year before with "
        f"`populatie budgets index --from {year - 1} --to {year} --pct PERCENT --basis …`"
    )


def totals_for_run(
    session: Session, config: RegionConfig, year: int, municipalities: Sequence[str]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, object]]]:
    """The totals a run of ``year`` divides, per municipality, and where each came from
    (a scenario's ``[budgets]``, or the table's version). Raises naming every municipality
    without totals and the commands that set them."""
    totals: dict[str, dict[str, int]] = {}
    provenance: dict[str, dict[str, object]] = {}
    missing: list[str] = []
    for code in municipalities:
        scenario = config.scenario_budget_cents(year, code)
        if scenario is not None:
            totals[code] = scenario
            provenance[code] = {"source": "scenario", "scenario": config.scenario}
            continue
        current = _current(session, year, code)
        if current is None:
            missing.append(code)
            continue
        totals[code] = _cents_of(current)
        provenance[code] = {"source": current.source, "version": current.version}
    if missing:
        raise ConfigurationError(
            f"no budget totals for {year} for {', '.join(missing)}: "
            + _how_to_set(year, missing[0] if len(missing) == 1 else "GMnnnn"),
            details=[{"field": "year", "value": year, "municipality": m} for m in missing],
        )
    return totals, provenance

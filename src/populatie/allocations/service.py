"""Allocation use cases over a session: compute and store a run, adopt it, read it back.

The arithmetic lives in :mod:`populatie.core`; this module only gathers its inputs from the
database and configuration (figures of the data vintage of record, the adopted allocation of the
previous year) and stores what it returns. A run is written once, in one transaction, and never
changed; adoption is a separate pointer (see :mod:`populatie.allocations.models`).

A run also stores the counts it read (``run_district_count``). The figures belong to the data
load of record and a newer load replaces them; with its own counts a run computed before that
load can still be rebuilt, explained and compared (:mod:`populatie.planning.inputs`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from populatie.allocations.models import (
    Adoption,
    AllocationRun,
    RunArea,
    RunDistrictCount,
    RunDistrictNeed,
)
from populatie.allocations.units import allocation_units, unit_figures
from populatie.budget_totals.service import totals_for_run
from populatie.configuration import DOMAINS, RegionConfig
from populatie.core import (
    allocate_domain,
    area_need,
    four_parts,
    need,
    split_cents,
    waterfall,
)
from populatie.districts.models import DataLoad
from populatie.districts.service import latest_load
from populatie.errors import (
    AllocationError,
    ConfigurationError,
    DataError,
    NotFoundError,
    PopulatieError,
)
from populatie.registry.models import Area

if TYPE_CHECKING:
    from populatie.planning.inputs import RunInputs


@dataclass(frozen=True)
class AreaResult:
    """One area of a run, as the CLI, the API and the pages show it."""

    code: str
    name: str
    municipality: str
    partnership: str | None
    domains: dict[str, int]
    total_cents: int
    population: float | None
    young_population: float | None
    damped: bool
    bounds: dict[str, str]
    previous_cents: dict[str, int] | None
    explanation: dict[str, dict[str, int]] | None
    assumption: str = ""
    young_population_derived: bool = False

    @property
    def young_population_whole(self) -> int | None:
        """Young inhabitants as a whole number, for the JSON and CSV forms.

        CBS counts are whole; a derived figure (2019 age shares applied to 2024 inhabitants) is
        not, and is rounded half to even (Python's ``round``) so that rounding cannot drift up.
        """
        return None if self.young_population is None else round(self.young_population)

    @property
    def change_cents(self) -> int | None:
        if self.previous_cents is None:
            return None
        return self.total_cents - sum(self.previous_cents.values())

    @property
    def per_young_cents(self) -> tuple[float | None, str]:
        """Euro-cents per young inhabitant, or per inhabitant (labelled) where ages are absent."""
        if self.young_population:
            return self.total_cents / self.young_population, "young inhabitant"
        if self.population:
            return self.total_cents / self.population, "inhabitant"
        return None, ""


@dataclass(frozen=True)
class RunReport:
    run_id: str
    year: int
    status: str
    scenario: str
    created_at: datetime
    created_by: str
    data_vintage: int
    content_hash: str
    municipalities: list[str]
    budget_cents: dict[str, dict[str, int]]
    areas: list[AreaResult]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The stable JSON form documented in the README; other tools read it."""
        return {
            "run_id": self.run_id,
            "year": self.year,
            "status": self.status,
            "areas": [
                {
                    "code": a.code,
                    "area": a.name,
                    "municipality": a.municipality,
                    "partnership": a.partnership,
                    "domains": {d: a.domains[d] for d in DOMAINS},
                    "total_cents": a.total_cents,
                    "young_population": a.young_population_whole,
                    "young_population_derived": a.young_population_derived,
                    "damped": a.damped,
                }
                for a in self.areas
            ],
            "budget_cents": self.budget_cents,
        }


def data_of_record(session: Session) -> DataLoad:
    load = latest_load(session)
    if load is None:
        raise DataError("no district data loaded yet: run `populatie load` first")
    return load


def _previous(session: Session, year: int, municipality: str) -> dict[str, RunArea] | None:
    """The adopted allocation of ``year - 1`` per area and domain, or None where none exists."""
    adoption = session.get(Adoption, (year - 1, municipality))
    if adoption is None:
        return None
    rows = session.execute(
        select(RunArea)
        .where(col(RunArea.run_id) == adoption.run_id)
        .where(col(RunArea.municipality_code) == municipality)
    ).scalars()
    return {f"{r.area_code}/{r.domain}": r for r in rows}


def _hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def repeated(codes: Sequence[str]) -> list[str]:
    """The codes named more than once, each once, in the order they repeat: a run stores one
    row per area, so a municipality named twice could only end in a database error."""
    seen: set[str] = set()
    twice: list[str] = []
    for code in codes:
        if code in seen and code not in twice:
            twice.append(code)
        seen.add(code)
    return twice


def create_run(
    session: Session,
    config: RegionConfig,
    year: int,
    municipalities: Sequence[str] | None,
    user: str,
) -> AllocationRun:
    """Compute the allocation for ``year`` and store it as a draft run (caller commits)."""
    if municipalities is not None and not municipalities:
        raise ConfigurationError("municipalities: name at least one, or leave it out for all")
    if twice := repeated(municipalities or []):
        raise ConfigurationError(
            f"municipalities: {', '.join(twice)} named more than once; name each once",
            details=[{"field": "municipalities", "value": code} for code in twice],
        )
    load = data_of_record(session)
    codes = list(municipalities or config.municipality_codes())
    for code in codes:
        config.municipality_name(code)  # raises on an unknown municipality
    units = allocation_units(session, config)
    vintage = units.vintage
    base = config.base_cents()
    bounds = config.damping.rules()
    bounds_without_young = config.damping.rules(young_population=False)
    run_id = str(uuid.uuid4())
    budgets, _ = totals_for_run(session, config, year, codes)
    snapshot = config.snapshot()
    run = AllocationRun(
        id=run_id,
        year=year,
        municipalities=codes,
        scenario=config.scenario,
        created_at=datetime.now(UTC),
        created_by=user,
        data_vintage=int(vintage),
        allocation_unit=units.kind,
        data_hash=load.content_hash,
        content_hash=_hash(
            {"config": snapshot, "budgets": budgets, "data": load.content_hash}
            | {"year": year, "m": codes}
        ),
        config_snapshot=snapshot,
        budget_cents=budgets,
        notes=[],
    )
    without_young: list[str] = []
    previous_runs: dict[str, str] = {}
    models_used: dict[str, list[str]] = {}
    fallbacks: list[str] = []
    area_rows: list[RunArea] = []
    need_rows: list[RunDistrictNeed] = []
    count_rows: list[dict[str, object]] = []
    for municipality in codes:
        areas = config.areas_of(municipality)
        area_codes = [a.code for a in areas]
        index = {code: i for i, code in enumerate(area_codes)}
        districts = units.of(municipality)
        wanted = sorted(
            {
                *config.model_chain(municipality),
                config.population_indicator,
                config.young_population_indicator,
            }
        )
        figures, derived = unit_figures(session, units.kind, districts, int(vintage), wanted)
        available = [k for k in wanted if all((d, k) in figures for d in districts)]
        named, _ = config.named_model(municipality)
        model_name, model = config.model_for(municipality, available)
        if model_name != named:
            fallbacks.append(f"{municipality} '{named}' → '{model_name}'")
        indicators, rate_rows = model.rate_matrix()
        counts = np.array(
            [[figures.get((d, k), np.nan) for k in indicators] for d in districts], dtype=float
        )
        unit_need = need(
            counts, np.array(rate_rows, dtype=float), unit_keys=districts, indicator_keys=indicators
        )
        unit_area = np.array([index[units.area_of[d]] for d in districts], dtype=np.int64)
        per_area = area_need(unit_need, unit_area, len(areas))
        population = _per_area(
            figures, districts, unit_area, len(areas), config.population_indicator
        )
        young = _per_area(
            figures, districts, unit_area, len(areas), config.young_population_indicator
        )
        # The counts the run read: its need model's, and the (young) population where summed.
        used = list(indicators)
        if population is not None:
            used.append(config.population_indicator)
        if young is not None:
            used.append(config.young_population_indicator)
        count_rows.extend(
            {
                "run_id": run_id,
                "district_code": d,
                "indicator": k,
                "value": figures[(d, k)],
                "derived": (d, k) in derived,
            }
            for k in dict.fromkeys(used)
            for d in districts
        )
        previous = _previous(session, year, municipality)
        adoption = session.get(Adoption, (year - 1, municipality))
        if previous is not None and adoption is not None:
            previous_runs[municipality] = adoption.run_id
        if young is None:
            without_young.append(municipality)
        models_used.setdefault(f"'{model_name}' ({', '.join(indicators)})", []).append(municipality)
        for j, domain in enumerate(DOMAINS):
            rest = budgets[municipality][domain] - base[domain] * len(areas)
            if rest > 0 and not any(row[j] for row in rate_rows):
                raise AllocationError(
                    f"{municipality} {year} {domain}: every rate of domain {domain!r} in model "
                    f"'{model_name}' is 0, so the formula cannot share its budget (it is not "
                    "split equally); give the domain at least one rate",
                    details=[{"municipality": municipality, "model": model_name, "domain": domain}],
                )
            prev = (
                np.array(
                    [
                        previous[f"{a}/{domain}"].amount_cents if f"{a}/{domain}" in previous else 0
                        for a in area_codes
                    ],
                    dtype=np.int64,
                )
                if previous is not None
                else None
            )
            try:
                result = allocate_domain(
                    per_area[:, j],
                    np.full(len(areas), base[domain], dtype=np.int64),
                    budgets[municipality][domain],
                    area_keys=area_codes,
                    previous_cents=prev,
                    bounds=bounds if young is not None else bounds_without_young,
                    young_population=young,
                )
            except AllocationError as exc:
                raise type(exc)(
                    f"{municipality} {year} {domain}: {exc.message}", details=exc.details
                ) from exc
            for i, code in enumerate(area_codes):
                area_rows.append(
                    RunArea(
                        run_id=run_id,
                        area_code=code,
                        domain=domain,
                        municipality_code=municipality,
                        need=float(per_area[i, j]),
                        target_cents=float(result.target_cents[i]),
                        amount_cents=int(result.amount_cents[i]),
                        bound=str(result.bound[i]),
                        population=None if population is None else float(population[i]),
                        young_population=None if young is None else float(young[i]),
                        previous_cents=None if prev is None else int(prev[i]),
                    )
                )
            for k, district in enumerate(districts):
                need_rows.append(
                    RunDistrictNeed(
                        run_id=run_id,
                        district_code=district,
                        domain=domain,
                        area_code=area_codes[unit_area[k]],
                        need=float(unit_need[k, j]),
                    )
                )
    notes = [f"need model {model} for {', '.join(ms)}" for model, ms in models_used.items()]
    if units.kind == "neighbourhood":
        counted = sum(len(units.of(m)) for m in codes)
        notes.append(
            f"allocation unit: neighbourhood ({counted} neighbourhoods of {vintage}, fetched from "
            "CBS), each in the area of its district; the need per neighbourhood is stored"
        )
    if fallbacks:
        notes.append(
            "the data of record lacks figures of the configured need model for some district, "
            f"so its fallback model was used: {'; '.join(fallbacks)} (fresh CBS figures: "
            "`populatie fetch-cbs`, then `populatie load`)"
        )
    if without_young:
        notes.append(
            f"no {config.young_population_indicator} figures shipped for "
            f"{', '.join(without_young)}: amounts shown per inhabitant, and the damping bound "
            "per young inhabitant is skipped there"
        )
    run.notes = notes
    session.add(run)
    session.flush()
    session.add_all(area_rows)
    session.add_all(need_rows)
    session.flush()
    if count_rows:
        session.execute(insert(RunDistrictCount), count_rows)
    _store_explanations(session, run, area_rows, previous_runs)
    return run


def _store_explanations(
    session: Session, run: AllocationRun, rows: Sequence[RunArea], previous_runs: dict[str, str]
) -> None:
    """The four parts of each area's change against the adopted run it follows, per domain.

    They are the waterfall of ``populatie explain PREVIOUS_RUN THIS_RUN`` summed into four
    (:func:`populatie.core.four_parts`): one computation, so the page and the command agree to
    the cent. Both runs are rebuilt from what they stored, as the command rebuilds them.
    Where the previous run divides other areas there is no chain to walk: the run says so
    in its notes and stores no parts.
    """
    if not previous_runs:
        return
    from populatie.planning.inputs import run_inputs  # planning reads runs: import it late

    by_key = {(r.area_code, r.domain): r for r in rows}
    rebuilt: dict[str, RunInputs] = {}
    notes = list(run.notes)
    for municipality, previous_id in previous_runs.items():
        try:
            if run.id not in rebuilt:
                rebuilt[run.id] = run_inputs(session, run.id)
            current = rebuilt[run.id]
            if previous_id not in rebuilt:
                rebuilt[previous_id] = run_inputs(session, previous_id)
            side_a = rebuilt[previous_id].municipalities[municipality]
            side_b = current.municipalities[municipality]
            per_domain = waterfall(
                side_a.inputs,
                side_b.inputs,
                amount_a=side_a.amount_cents,
                amount_b=side_b.amount_cents,
            )
        except PopulatieError as exc:
            notes.append(
                f"{municipality}: the change against adopted run {previous_id} is not split "
                f"into parts: {exc.message}"
            )
            continue
        for domain, w in per_domain.items():
            parts = four_parts(w)
            for i, code in enumerate(w.area_keys):
                row = by_key[(code, domain)]
                row.budget_effect_cents = int(parts["budget"][i])
                row.population_effect_cents = int(parts["population"][i])
                row.need_mix_effect_cents = int(parts["need_mix"][i])
                row.damping_effect_cents = int(parts["damping"][i])
                session.add(row)
    run.notes = notes
    session.add(run)
    session.flush()


def _per_area(
    figures: dict[tuple[str, str], float],
    districts: Sequence[str],
    unit_area: np.ndarray,
    n_areas: int,
    indicator: str,
) -> np.ndarray | None:
    """Sum of one figure per area, or None when any district lacks it (never a partial sum)."""
    values = [figures.get((d, indicator)) for d in districts]
    if any(v is None for v in values):
        return None
    return np.bincount(unit_area, weights=np.array(values, dtype=float), minlength=n_areas)


def adopt(session: Session, run_id: str, user: str) -> AllocationRun:
    """Make ``run_id`` the adopted run of its year for each of its municipalities.

    An upsert on the ``adoption`` primary key: two concurrent adoptions for the same
    municipality-year both succeed and the later one wins, so exactly one run is adopted.
    """
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    now = datetime.now(UTC)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # A fixed lock order (sorted codes) so concurrent adoptions queue instead of deadlocking.
    for municipality in sorted(run.municipalities):
        statement = insert(Adoption).values(
            year=run.year,
            municipality_code=municipality,
            run_id=run.id,
            adopted_at=now,
            adopted_by=user,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["year", "municipality_code"],
            set_={"run_id": run.id, "adopted_at": now, "adopted_by": user},
        )
        session.execute(statement)
    if run.adopted_at is None:
        run.adopted_at = now
        run.adopted_by = user
        session.add(run)
    session.flush()
    return run


@dataclass(frozen=True)
class RunStanding:
    """Where a run is in force. Adoption is per municipality-year, so a run adopted for ten
    municipalities stays adopted for nine of them when another run is adopted for the tenth:
    it is ``superseded`` only where another run took over, and only wholly once it is in force
    nowhere."""

    status: str  # draft | adopted | superseded
    adopted_for: tuple[str, ...]
    superseded_for: tuple[str, ...]

    @property
    def label(self) -> str:
        """``adopted (9 of 10; GM0518 superseded)`` where a run is in force for only part."""
        if self.status == "adopted" and self.superseded_for:
            total = len(self.adopted_for) + len(self.superseded_for)
            return (
                f"adopted ({len(self.adopted_for)} of {total}; "
                f"{', '.join(self.superseded_for)} superseded)"
            )
        return self.status


def run_standing(session: Session, run: AllocationRun) -> RunStanding:
    """The municipalities a run is adopted for now, and those where another run replaced it.

    A run is adopted for all its municipalities at once, so each of them that no longer
    points at it was taken over by a later adoption."""
    current = set(
        session.execute(
            select(col(Adoption.municipality_code))
            .where(col(Adoption.run_id) == run.id)
            .where(col(Adoption.year) == run.year)
        ).scalars()
    )
    adopted_for = tuple(m for m in run.municipalities if m in current)
    if run.adopted_at is None and not adopted_for:
        return RunStanding("draft", (), ())
    superseded_for = tuple(m for m in run.municipalities if m not in current)
    return RunStanding("adopted" if adopted_for else "superseded", adopted_for, superseded_for)


def run_status(session: Session, run: AllocationRun) -> str:
    """``adopted`` while the run is in force for any of its municipalities, ``superseded`` once
    other runs took over all of them, ``draft`` if it was never adopted (see
    :class:`RunStanding` for which municipalities)."""
    return run_standing(session, run).status


def run_report(session: Session, run_id: str) -> RunReport:
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    rows = session.execute(
        select(RunArea).where(col(RunArea.run_id) == run_id).order_by(RunArea.area_code)
    ).scalars()
    areas = {a.code: a for a in session.execute(select(Area)).scalars()}
    by_area: dict[str, list[RunArea]] = {}
    by_domain: dict[tuple[str, str], list[RunArea]] = {}
    for row in rows:
        by_area.setdefault(row.area_code, []).append(row)
        by_domain.setdefault((row.municipality_code, row.domain), []).append(row)
    damped = {(r.area_code, r.domain) for group in by_domain.values() for r in _damped_rows(group)}
    young_derived = _young_derived_areas(session, run)
    results: list[AreaResult] = []
    for code, parts in by_area.items():
        domains = {r.domain: r.amount_cents for r in parts}
        first = parts[0]
        has_previous = all(r.previous_cents is not None for r in parts)
        area = areas.get(code)
        results.append(
            AreaResult(
                code=code,
                name=area.name if area else code,
                municipality=first.municipality_code,
                partnership=area.partnership_name if area else None,
                domains={d: domains.get(d, 0) for d in DOMAINS},
                total_cents=sum(domains.values()),
                population=first.population,
                young_population=first.young_population,
                damped=any((r.area_code, r.domain) in damped for r in parts),
                bounds={r.domain: r.bound for r in parts if r.bound},
                previous_cents=(
                    {r.domain: int(r.previous_cents or 0) for r in parts} if has_previous else None
                ),
                explanation=(
                    {
                        r.domain: {
                            "budget": int(r.budget_effect_cents or 0),
                            "population": int(r.population_effect_cents or 0),
                            "need_mix": int(r.need_mix_effect_cents or 0),
                            "damping": int(r.damping_effect_cents or 0),
                        }
                        for r in parts
                    }
                    if has_previous
                    else None
                ),
                assumption=area.assumption if area else "",
                young_population_derived=code in young_derived,
            )
        )
    results.sort(key=lambda a: (run.municipalities.index(a.municipality), a.code))
    return RunReport(
        run_id=run.id,
        year=run.year,
        status=run_status(session, run),
        scenario=run.scenario,
        created_at=run.created_at,
        created_by=run.created_by,
        data_vintage=run.data_vintage,
        content_hash=run.content_hash,
        municipalities=list(run.municipalities),
        budget_cents=run.budget_cents,
        areas=results,
        notes=list(run.notes),
    )


def _young_derived_areas(session: Session, run: AllocationRun) -> set[str]:
    """Areas whose young population sums at least one derived district figure."""
    indicator = str(run.config_snapshot.get("young_population_indicator", "young_population"))
    rows = session.execute(
        select(col(RunDistrictNeed.area_code))
        .join(
            RunDistrictCount,
            (col(RunDistrictCount.run_id) == col(RunDistrictNeed.run_id))
            & (col(RunDistrictCount.district_code) == col(RunDistrictNeed.district_code)),
        )
        .where(col(RunDistrictNeed.run_id) == run.id)
        .where(col(RunDistrictCount.indicator) == indicator)
        .where(col(RunDistrictCount.derived))
        .distinct()
    )
    return {str(code) for (code,) in rows}


def _damped_rows(rows: Sequence[RunArea]) -> list[RunArea]:
    """The rows of one municipality and domain whose damping part is not 0: the amount minus
    the plain split of the targets.

    The same difference as :attr:`populatie.core.DomainAllocation.damping_cents`, from what the
    run stored (its amounts add up to the budget exactly), so ``damped`` says exactly whether
    damping moved the area's amount.
    """
    keys = [r.area_code for r in rows]
    budget_cents = sum(r.amount_cents for r in rows)
    plain = split_cents(budget_cents, np.array([r.target_cents for r in rows]), keys)
    return [r for r, p in zip(rows, plain.tolist(), strict=True) if r.amount_cents != p]


def list_runs(session: Session, year: int | None = None) -> list[AllocationRun]:
    query = select(AllocationRun).order_by(col(AllocationRun.created_at).desc())
    if year is not None:
        query = query.where(col(AllocationRun.year) == year)
    return list(session.execute(query).scalars())

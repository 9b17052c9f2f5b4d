"""A stored run's inputs, rebuilt so the allocation can be recomputed with one thing changed.

A run stores its configuration snapshot, its budgets, per area the previous amounts and the
(young) population, per district its need, and per district and indicator the counts it was
computed from (``run_district_count``). The counts are read from the run itself, not from the
figures: a newer data load replaces the figures, and a planner must still be able to explain a
run from before it and compare it with one computed after.

Two things still need the figures, and the figures are only the run's while the data load of
record is the one the run was computed on (``data_hash``):

- indicators the run did not use (``extra_indicators``, which sensitivity tries for an
  estimate): read from the figures of the run's vintage on the run's own load, otherwise a
  :class:`~populatie.errors.DataError` that names the indicator;
- runs stored before runs kept their counts: rebuilt from the figures on the run's own load,
  otherwise refused with a :class:`~populatie.errors.DataError` rather than explained with
  figures the run never saw.

Before anything is built on them, the rebuilt inputs must give back the run: the need of every
district and the amount of every area and domain are recomputed and compared with what the run
stored, and any difference is an error that names the area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import (
    AllocationRun,
    RunArea,
    RunDistrictCount,
    RunDistrictNeed,
)
from populatie.allocations.service import data_of_record
from populatie.allocations.units import unit_figures
from populatie.configuration import DOMAINS, RegionConfig
from populatie.core import AllocationInputs, need
from populatie.districts.models import IndicatorFigure
from populatie.errors import AllocationError, ConfigurationError, DataError, NotFoundError

__all__ = ["MunicipalityRun", "RunInputs", "figures", "run_inputs"]

#: Recomputed district need may differ from the stored need by float noise only.
_NEED_RTOL = 1e-9


@dataclass(frozen=True)
class MunicipalityRun:
    """One municipality of a run: its inputs and what the run stored for it.

    ``inputs`` are exactly the run's (verified to give back its amounts); ``extended_inputs``
    add the requested extra indicators at rate 0 (the same inputs when there are none).
    """

    municipality: str
    model: str
    inputs: AllocationInputs
    extended_inputs: AllocationInputs
    amount_cents: dict[str, np.ndarray]
    bound: dict[str, list[str]]


@dataclass(frozen=True)
class RunInputs:
    run_id: str
    year: int
    scenario: str
    config: RegionConfig
    municipalities: dict[str, MunicipalityRun] = field(default_factory=dict)


def figures(
    session: Session, districts: Sequence[str], vintage: int, indicators: Sequence[str]
) -> dict[tuple[str, str], float]:
    """``(district, indicator) → value`` for the figures of one vintage that exist."""
    rows = session.execute(
        select(
            col(IndicatorFigure.district_code),
            col(IndicatorFigure.indicator),
            col(IndicatorFigure.value),
        )
        .where(col(IndicatorFigure.vintage) == vintage)
        .where(col(IndicatorFigure.district_code).in_(list(districts)))
        .where(col(IndicatorFigure.indicator).in_(list(indicators)))
    )
    return {(str(d), str(k)): float(v) for d, k, v in rows}


def run_inputs(
    session: Session,
    run_id: str,
    *,
    extra_indicators: Sequence[str] = (),
    extra_for: Sequence[str] | None = None,
) -> RunInputs:
    """Rebuild and verify the inputs of every municipality of a stored run, from its own counts.

    ``extra_indicators`` adds indicators the run's model does not use, with rate 0 (so the
    allocation is unchanged), where every district of a municipality has the figure: sensitivity
    needs them to try an estimate that uses other indicators. ``extra_for`` limits them to
    those municipalities (all of the run's when None).
    """
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    counts = _stored_counts(session, run_id)
    source = _Figures(session, run)
    if not counts:  # stored before runs kept their counts: the figures must still be its own
        source.require_own_load()
    try:
        config = RegionConfig.model_validate(run.config_snapshot)
    except ValidationError as exc:
        raise ConfigurationError(
            f"the configuration snapshot of run {run_id} cannot be read: {exc.errors()[0]['msg']}"
        ) from None
    areas = list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars())
    needs = list(
        session.execute(
            select(RunDistrictNeed).where(col(RunDistrictNeed.run_id) == run_id)
        ).scalars()
    )
    result = RunInputs(
        run_id=run.id,
        year=run.year,
        scenario=run.scenario,
        config=config,
    )
    for municipality in run.municipalities:
        extra = extra_indicators if extra_for is None or municipality in extra_for else ()
        result.municipalities[municipality] = _municipality(
            run, config, municipality, areas, needs, counts, source, extra
        )
    return result


def _stored_counts(session: Session, run_id: str) -> dict[tuple[str, str], float]:
    """The run's own counts, ``(district, indicator) → value``; empty for a run stored before
    runs kept their counts."""
    rows = session.execute(
        select(
            col(RunDistrictCount.district_code),
            col(RunDistrictCount.indicator),
            col(RunDistrictCount.value),
        ).where(col(RunDistrictCount.run_id) == run_id)
    )
    return {(str(d), str(k)): float(v) for d, k, v in rows}


class _Figures:
    """The figures of a run's data vintage, which are the run's only while its data load is
    still the load of record (checked once, on first use)."""

    def __init__(self, session: Session, run: AllocationRun) -> None:
        self._session = session
        self._run = run
        self._replaced_by: str | None = None
        self._checked = False

    def _replacement(self) -> str | None:
        """The hash of the load of record when it is not the run's, None when it is."""
        if not self._checked:
            load = data_of_record(self._session)
            if load.content_hash != self._run.data_hash:
                self._replaced_by = load.content_hash
            self._checked = True
        return self._replaced_by

    def require_own_load(self) -> None:
        """For a run stored before runs kept their counts: the figures must still be its own."""
        run, current = self._run, self._replacement()
        if current is not None:
            raise DataError(
                f"run {run.id} was computed on data load {run.data_hash[:12]}, but the data of "
                f"record is now load {current[:12]}: the run was stored before runs kept their "
                "own counts and the figures it used are no longer stored, so its counts cannot "
                "be recovered (compare runs on the current data)",
                details=[{"run_id": run.id, "data_hash": run.data_hash}],
            )

    def read(
        self, districts: Sequence[str], indicators: Sequence[str]
    ) -> dict[tuple[str, str], float]:
        """The figures of the run's vintage for ``indicators`` that exist; a DataError naming
        the indicators when the data load of record is no longer the run's."""
        if not indicators:
            return {}
        run, current = self._run, self._replacement()
        if current is not None:
            raise DataError(
                f"run {run.id} did not use {', '.join(indicators)}, and it was computed on data "
                f"load {run.data_hash[:12]} while the data of record is now load "
                f"{current[:12]}: the figures of its load are no longer stored, so only the "
                "indicators the run used can be tried on it",
                details=[
                    {"run_id": run.id, "data_hash": run.data_hash, "indicator": k}
                    for k in indicators
                ],
            )
        return unit_figures(
            self._session, run.allocation_unit, districts, run.data_vintage, indicators
        )[0]


def _municipality(
    run: AllocationRun,
    config: RegionConfig,
    municipality: str,
    areas: list[RunArea],
    needs: list[RunDistrictNeed],
    counts: dict[tuple[str, str], float],
    source: _Figures,
    extra_indicators: Sequence[str],
) -> MunicipalityRun:
    rows = {(r.area_code, r.domain): r for r in areas if r.municipality_code == municipality}
    area_codes = sorted({code for code, _ in rows})
    if not area_codes:
        raise AllocationError(f"run {run.id} stored no areas for {municipality}")
    index = {code: i for i, code in enumerate(area_codes)}
    first_domain = DOMAINS[0]
    district_area = {
        n.district_code: n.area_code
        for n in needs
        if n.domain == first_domain and n.area_code in index
    }
    districts = sorted(district_area)
    stored_need = {(n.district_code, n.domain): n.need for n in needs if n.area_code in index}
    # The run chose its model by the figures it had: its stored counts say which, or for a run
    # stored without counts, the figures of its own data load.
    chain = config.model_chain(municipality)
    have = counts if counts else source.read(districts, chain)
    available = [k for k in chain if all((d, k) in have for d in districts)]
    model_name, model = config.model_for(municipality, available)
    indicators, rate_rows = model.rate_matrix()
    extra = [k for k in dict.fromkeys(extra_indicators) if k not in indicators]
    if counts:
        # The run's own counts; an extra indicator it happens to hold (say, its population
        # figure) comes from there too, any other from the figures of its load.
        found = {(d, k): counts[(d, k)] for d in districts for k in indicators if (d, k) in counts}
        stored_extra = [k for k in extra if all((d, k) in counts for d in districts)]
        found.update({(d, k): counts[(d, k)] for d in districts for k in stored_extra})
        found.update(source.read(districts, [k for k in extra if k not in stored_extra]))
    else:
        found = source.read(districts, [*indicators, *extra])

    def count_matrix(keys: Sequence[str]) -> np.ndarray:
        return np.array(
            [[found.get((d, k), np.nan) for k in keys] for d in districts], dtype=float
        ).reshape(len(districts), len(keys))

    def per_area(attribute: str) -> list[float] | None:
        values = [getattr(rows[(code, first_domain)], attribute) for code in area_codes]
        return None if any(v is None for v in values) else [float(v) for v in values]

    young = per_area("young_population")
    previous_known = all(r.previous_cents is not None for r in rows.values())
    base = config.base_cents()
    inputs = AllocationInputs.build(
        area_keys=area_codes,
        indicator_keys=indicators,
        domains=DOMAINS,
        counts=count_matrix(indicators),
        unit_area=[index[district_area[d]] for d in districts],
        rates=np.array(rate_rows, dtype=float).reshape(len(indicators), len(DOMAINS)),
        base_cents=[[base[d]] * len(area_codes) for d in DOMAINS],
        budget_cents=[run.budget_cents[municipality][d] for d in DOMAINS],
        previous_cents=(
            [[int(rows[(a, d)].previous_cents or 0) for a in area_codes] for d in DOMAINS]
            if previous_known
            else None
        ),
        young_population=young,
        population=per_area("population"),
        rules=config.damping.rules(young_population=young is not None),
        unit_keys=districts,
    )
    amounts = {
        d: np.array([rows[(a, d)].amount_cents for a in area_codes], dtype=np.int64)
        for d in DOMAINS
    }
    _verify(run.id, municipality, inputs, stored_need, amounts)
    # Verified on the model's own indicators (as the run computed them); the extra ones, with
    # rate 0, are added after, and only where every district has the figure.
    extra = [k for k in extra if all((d, k) in found for d in districts)]
    extended = inputs
    if extra:
        keys = [*indicators, *extra]
        extended = inputs.with_(
            indicator_keys=tuple(keys),
            counts=count_matrix(keys),
            rates=np.vstack([inputs.rates, np.zeros((len(extra), len(DOMAINS)))]),
        )
    return MunicipalityRun(
        municipality=municipality,
        model=model_name,
        inputs=inputs,
        extended_inputs=extended,
        amount_cents=amounts,
        bound={d: [rows[(a, d)].bound for a in area_codes] for d in DOMAINS},
    )


def _verify(
    run_id: str,
    municipality: str,
    inputs: AllocationInputs,
    stored_need: dict[tuple[str, str], float],
    amounts: dict[str, np.ndarray],
) -> None:
    """The rebuilt inputs must give back the run's district need and area amounts."""
    assert inputs.unit_keys is not None
    unit_need = need(inputs.counts, inputs.rates, unit_keys=inputs.unit_keys)
    for j, domain in enumerate(inputs.domains):
        stored = np.array([stored_need.get((d, domain), np.nan) for d in inputs.unit_keys])
        if not np.allclose(unit_need[:, j], stored, rtol=_NEED_RTOL, atol=1e-9):
            bad = int(np.flatnonzero(~np.isclose(unit_need[:, j], stored, rtol=_NEED_RTOL))[0])
            raise AllocationError(
                f"run {run_id} cannot be rebuilt: district {inputs.unit_keys[bad]} had "
                f"{domain} need {stored[bad]}, its counts give {unit_need[bad, j]}"
            )
    recomputed = inputs.allocate()
    for domain, allocation in recomputed.items():
        differs = np.flatnonzero(allocation.amount_cents != amounts[domain])
        if differs.size:
            i = int(differs[0])
            raise AllocationError(
                f"run {run_id} cannot be reproduced: {municipality} area {inputs.area_keys[i]} "
                f"{domain} was stored as {int(amounts[domain][i])} cents, its inputs now give "
                f"{int(allocation.amount_cents[i])} cents"
            )

"""Allocation runs on the real shipped data, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import Adoption, RunArea, RunDistrictCount, RunDistrictNeed
from populatie.configuration import DOMAINS, RegionConfig, load_config
from populatie.db import session_scope
from populatie.districts.models import IndicatorFigure
from populatie.districts.service import district_municipalities
from populatie.errors import DampingInfeasibleError, NotFoundError
from tests.integration.conftest import CONFIG


def _run(engine: Engine, config: RegionConfig, year: int, adopt: bool = False) -> str:
    with session_scope(engine) as session:
        run = service.create_run(session, config, year, None, "test")
        if adopt:
            service.adopt(session, run.id, "test")
        return run.id


def test_every_domain_sums_to_the_budget_to_the_cent(loaded: Engine, config: RegionConfig) -> None:
    run_id = _run(loaded, config, 2025)
    with Session(loaded) as session:
        report = service.run_report(session, run_id)
    assert report.status == "draft"
    assert len(report.areas) == 13
    for municipality in config.municipality_codes():
        budget = config.budget_cents(2025, municipality)
        areas = [a for a in report.areas if a.municipality == municipality]
        for domain in DOMAINS:
            assert sum(a.domains[domain] for a in areas) == budget[domain]
        assert all(a.domains[d] > 0 for a in areas for d in DOMAINS)


def test_den_haag_is_divided_by_need_and_single_areas_get_the_whole_budget(
    loaded: Engine, config: RegionConfig
) -> None:
    run_id = _run(loaded, config, 2025)
    with Session(loaded) as session:
        report = service.run_report(session, run_id)
        needs = session.execute(
            select(RunDistrictNeed).where(col(RunDistrictNeed.run_id) == run_id)
        ).scalars()
        need_by_area: dict[str, float] = {}
        for row in needs:
            if row.domain == "specialist":
                need_by_area[row.area_code] = need_by_area.get(row.area_code, 0.0) + row.need
    delft = next(a for a in report.areas if a.code == "GM0503-A")
    assert delft.domains == config.budget_cents(2025, "GM0503")
    assert delft.young_population is None
    den_haag = [a for a in report.areas if a.municipality == "GM0518"]
    assert [a.partnership for a in den_haag] == [
        "Kracht voor Jeugd en Gezin",
        "RondomJou",
        "Kracht voor Jeugd en Gezin",
        "RondomJou",
    ]
    # Specialist care has no base amount: the amounts follow the summed district need.
    budget = config.budget_cents(2025, "GM0518")["specialist"]
    total_need = sum(need_by_area[a.code] for a in den_haag)
    for area in den_haag:
        expected = budget * need_by_area[area.code] / total_need
        assert abs(area.domains["specialist"] - expected) <= 1
        assert area.young_population is not None
        assert area.young_population > 0


def test_adoption_then_next_year_is_damped_and_explained(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    _run(loaded, config, 2025, adopt=True)
    # A scenario that moves money sharply between areas: only youth-care users count.
    scenario = tmp_path / "shift.toml"
    scenario.write_text(
        'name = "shift"\n'
        "[models.default.rates.prevention]\ninhabitants = 1.0\n"
        "[models.default.rates.access]\ninhabitants = 1.0\n"
        "[models.default.rates.specialist]\ninhabitants = 1.0\n"
        '[models.gm0518]\nmunicipalities = ["GM0518"]\n'
        "[models.gm0518.rates.prevention]\nyouth_care_users = 1.0\n"
        "[models.gm0518.rates.access]\nyouth_care_users = 1.0\n"
        "[models.gm0518.rates.specialist]\nyouth_care_users = 1.0\n"
        "[damping]\nmax_change_pct = 4.0\n",
        encoding="utf-8",
    )
    run_id = _run(loaded, load_config(CONFIG, scenario), 2026)
    with Session(loaded) as session:
        report = service.run_report(session, run_id)
        rows = list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars())
    assert report.scenario == "shift"
    assert any(a.damped for a in report.areas if a.municipality == "GM0518")
    for row in rows:
        assert row.previous_cents is not None
        # The bound holds (4 % of the previous amount, in whole cents).
        assert abs(row.amount_cents - row.previous_cents) <= row.previous_cents * 0.04 + 1
        parts = (
            row.budget_effect_cents,
            row.population_effect_cents,
            row.need_mix_effect_cents,
            row.damping_effect_cents,
        )
        assert all(p is not None for p in parts)
        assert row.previous_cents + sum(p or 0 for p in parts) == row.amount_cents
        if row.bound:
            assert row.damping_effect_cents != 0
    for municipality in config.municipality_codes():
        for domain in DOMAINS:
            total = sum(
                r.amount_cents
                for r in rows
                if r.municipality_code == municipality and r.domain == domain
            )
            assert total == config.budget_cents(2026, municipality)[domain]


def test_a_run_keeps_the_counts_its_need_was_computed_from(
    loaded: Engine, config: RegionConfig
) -> None:
    run_id = _run(loaded, config, 2025)
    with Session(loaded) as session:
        stored = {
            (c.district_code, c.indicator): c
            for c in session.execute(
                select(RunDistrictCount).where(col(RunDistrictCount.run_id) == run_id)
            ).scalars()
        }
        figures = {
            (f.district_code, f.indicator): f
            for f in session.execute(select(IndicatorFigure)).scalars()
        }
        needs = list(
            session.execute(
                select(RunDistrictNeed).where(col(RunDistrictNeed.run_id) == run_id)
            ).scalars()
        )
        municipality_of = district_municipalities(session)
    # Each count is the figure as loaded, labelled derived where the figure is.
    for key, count in stored.items():
        assert (count.value, count.derived) == (figures[key].value, figures[key].derived)
    assert any(c.derived for c in stored.values())  # 's-Gravenhage's, carried from 2019
    assert not all(c.derived for c in stored.values())
    # Exactly the model's indicators, and the (young) population where every district has it.
    # The model is the configured one, or its fallback where the data lacks one of its figures.
    models = {}
    for municipality in config.municipality_codes():
        districts = [d for d, m in municipality_of.items() if m == municipality]
        chain = config.model_chain(municipality)
        available = [k for k in chain if all((d, k) in figures for d in districts)]
        models[municipality] = config.model_for(municipality, available)[1]
        expected = set(models[municipality].indicators())
        for indicator in (config.population_indicator, config.young_population_indicator):
            if all((d, indicator) in figures for d in districts):
                expected.add(indicator)
        held = {(d, k) for d, k in stored if municipality_of[d] == municipality}
        assert held == {(d, k) for d in districts for k in expected}
    assert {k for _, k in stored} >= {"young_population", "youth_care_users", "inhabitants"}
    # ... and they give back every district's stored need: the sum of rate × count.
    assert len(needs) == len(municipality_of) * len(DOMAINS)
    for row in needs:
        rates = models[municipality_of[row.district_code]].rates.get(row.domain, {})
        recomputed = sum(rate * stored[(row.district_code, k)].value for k, rate in rates.items())
        assert recomputed == pytest.approx(row.need, rel=1e-12, abs=1e-9)


def test_infeasible_damping_is_a_clear_error(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    _run(loaded, config, 2025, adopt=True)
    scenario = tmp_path / "frozen.toml"
    scenario.write_text("[damping]\nmax_change_pct = 0.5\n", encoding="utf-8")
    with pytest.raises(DampingInfeasibleError, match=r"GM\d{4} 2026 \w+: .*lower bounds"):
        _run(loaded, load_config(CONFIG, scenario), 2026)
    with Session(loaded) as session:
        assert [r.year for r in service.list_runs(session)] == [2025]


def test_adopting_a_new_run_supersedes_the_old(loaded: Engine, config: RegionConfig) -> None:
    first = _run(loaded, config, 2025, adopt=True)
    second = _run(loaded, config, 2025)
    with session_scope(loaded) as session:
        assert service.run_report(session, second).status == "draft"
        service.adopt(session, second, "test")
    with Session(loaded) as session:
        assert service.run_report(session, first).status == "superseded"
        assert service.run_report(session, second).status == "adopted"
        adoptions = session.execute(select(Adoption).where(col(Adoption.year) == 2025)).all()
        assert len(adoptions) == 10


def test_concurrent_adoptions_leave_exactly_one_adopted_run(
    loaded: Engine, config: RegionConfig
) -> None:
    runs = [_run(loaded, config, 2025) for _ in range(4)]
    barrier = threading.Barrier(len(runs))
    errors: list[BaseException] = []

    def adopt(run_id: str) -> None:
        try:
            barrier.wait()
            with session_scope(loaded) as session:
                service.adopt(session, run_id, "test")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=adopt, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(loaded) as session:
        statuses = [service.run_report(session, r).status for r in runs]
        winners = {a.run_id for a in session.execute(select(Adoption)).scalars()}
    assert statuses.count("adopted") == 1
    assert len(winners) == 1


def test_unknown_run_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        service.run_report(session, "no-such-run")

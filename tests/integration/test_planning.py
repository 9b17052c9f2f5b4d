"""Planner tools on the shipped data, on SQLite and PostgreSQL: damping rules in stored runs,
waterfalls between runs, sensitivity against recalculated runs, estimates from spending."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import AllocationRun, RunArea, RunDistrictCount
from populatie.configuration import DOMAINS, RegionConfig, load_config
from populatie.db import session_scope
from populatie.districts.models import IndicatorFigure
from populatie.districts.service import load_districts
from populatie.errors import DataError
from populatie.planning import service as planning
from populatie.spending.models import SpendingMonth
from tests.integration.conftest import CONFIG, GEODATA

GM0518_MODEL = (
    "[models.default.rates.prevention]\ninhabitants = 30.0\n"
    "[models.default.rates.access]\ninhabitants = 75.0\n"
    "[models.default.rates.specialist]\ninhabitants = 195.0\n"
    '[models.gm0518]\nmunicipalities = ["GM0518"]\n'
    "[models.gm0518.rates.prevention]\nyoung_0_14 = 150.0\nyoung_15_24 = 40.0\n"
    "[models.gm0518.rates.access]\nyoung_0_14 = 200.0\nlow_income_households = 150.0\n"
    "[models.gm0518.rates.specialist]\nyouth_care_users = 9000.0\nlow_income_households = 300.0\n"
)
RULES = (
    "[damping]\nmax_change_pct = 6.0\nmax_change_per_young_eur = 50.0\n"
    "min_growth_pct = -3.0\nconvergence_share = 0.5\n"
)
LABELS = {
    "convergence",
    "pct_band:lower",
    "pct_band:upper",
    "per_young_cap:lower",
    "per_young_cap:upper",
    "min_growth",
}


def _scenario(tmp_path: Path, name: str, body: str) -> RegionConfig:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return load_config(CONFIG, path)


def _run(engine: Engine, config: RegionConfig, year: int, adopt: bool = False) -> str:
    with session_scope(engine) as session:
        run = service.create_run(session, config, year, None, "test")
        if adopt:
            service.adopt(session, run.id, "test")
        return run.id


def _rows(engine: Engine, run_id: str) -> list[RunArea]:
    with Session(engine) as session:
        return list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars())


def _explained_exactly(
    engine: Engine, config: RegionConfig, run_a: str, run_b: str
) -> planning.ExplainReport:
    """The waterfall between two runs, checked: parts that add up to every area's change,
    from and to the amounts the runs stored."""
    stored = {
        r: {(x.area_code, x.domain): x.amount_cents for x in _rows(engine, r)}
        for r in (run_a, run_b)
    }
    with Session(engine) as session:
        report = planning.explain(session, run_a, run_b)
    assert set(report.waterfalls) == set(config.municipality_codes())
    for per_domain in report.waterfalls.values():
        for domain, w in per_domain.items():
            assert (w.start_cents + w.parts.sum(axis=0) == w.end_cents).all()
            if domain == "total":
                continue
            for i, area in enumerate(w.area_keys):
                assert w.start_cents[i] == stored[run_a][(area, domain)]
                assert w.end_cents[i] == stored[run_b][(area, domain)]
    for area in report.as_json()["areas"]:
        assert area["from_cents"] + sum(area["parts"].values()) == area["to_cents"]
        for part in area["domains"].values():
            assert part["from_cents"] + sum(part["parts"].values()) == part["to_cents"]
    return report


def test_combined_damping_rules_hold_in_a_stored_run(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    _run(loaded, config, 2025, adopt=True)
    run_id = _run(loaded, _scenario(tmp_path, "rules", GM0518_MODEL + RULES), 2026)
    rows = _rows(loaded, run_id)
    for row in rows:
        assert row.previous_cents is not None
        prev, amount = Fraction(row.previous_cents), Fraction(row.amount_cents)
        assert abs(amount - prev) <= prev * Fraction(6, 100)
        assert amount >= prev * Fraction(97, 100)
        if row.young_population is not None:
            assert abs(amount - prev) <= Fraction(row.young_population) * 50 * 100
        names = set(row.bound.split("+")) if row.bound else set()
        assert names <= LABELS
        parts = (
            row.budget_effect_cents,
            row.population_effect_cents,
            row.need_mix_effect_cents,
            row.damping_effect_cents,
        )
        assert row.previous_cents + sum(p or 0 for p in parts) == row.amount_cents
    den_haag = [r for r in rows if r.municipality_code == "GM0518"]
    assert any("convergence" in r.bound for r in den_haag)
    for municipality in config.municipality_codes():
        for domain in DOMAINS:
            total = sum(
                r.amount_cents
                for r in rows
                if r.municipality_code == municipality and r.domain == domain
            )
            assert total == config.budget_cents(2026, municipality)[domain]


def test_waterfall_parts_add_up_to_every_change_between_real_runs(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    adopted = _run(loaded, config, 2025, adopt=True)
    plain = _run(loaded, config, 2026)
    scenario = _run(loaded, _scenario(tmp_path, "rules", GM0518_MODEL + RULES), 2026)
    undamped = _run(loaded, _scenario(tmp_path, "rates", GM0518_MODEL), 2025)
    pairs = [(adopted, plain), (adopted, scenario), (plain, scenario), (scenario, undamped)]
    for run_a, run_b in pairs:
        _explained_exactly(loaded, config, run_a, run_b)
    # The scenario's rate changes show as rate parts in Den Haag, not as counts (same data).
    with Session(loaded) as session:
        report = planning.explain(session, plain, scenario)
    specialist = report.waterfalls["GM0518"]["specialist"]
    assert specialist.part("rate:youth_care_users").any()
    assert not specialist.part("count:youth_care_users").any()
    assert not specialist.part("population").any()


def test_sensitivity_equals_a_recalculated_run(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    _run(loaded, config, 2025, adopt=True)
    run_id = _run(loaded, config, 2026)
    with Session(loaded) as session:
        report = planning.sensitivity(session, run_id)
    den_haag = next(m for m in report.municipalities if m.municipality == "GM0518")
    k = den_haag.indicator_keys.index("youth_care_users")
    j = DOMAINS.index("specialist")
    # The same run with that rate 10 % higher, computed and stored like any other run.
    body = ""
    for name, model in config.models.items():
        if model.municipalities:
            body += f"[models.{name}]\nmunicipalities = {model.municipalities!r}\n".replace(
                "'", '"'
            )
        if model.fallback is not None:
            body += f'fallback = "{model.fallback}"\n'
        for domain in DOMAINS:
            body += f"[models.{name}.rates.{domain}]\n"
            for indicator, rate in model.rates[domain].items():
                moved_rate = (name, domain, indicator) == (
                    "gm0518",
                    "specialist",
                    "youth_care_users",
                )
                body += f"{indicator} = {rate * (1.1 if moved_rate else 1.0)!r}\n"
    moved = _run(loaded, _scenario(tmp_path, "ten-percent", body), 2026)
    before = {(r.area_code, r.domain): r.amount_cents for r in _rows(loaded, run_id)}
    after = {(r.area_code, r.domain): r.amount_cents for r in _rows(loaded, moved)}
    for i, area in enumerate(den_haag.area_keys):
        for jj, domain in enumerate(DOMAINS):
            expected = after[(area, domain)] - before[(area, domain)]
            got = int(den_haag.rate_effect[k, jj, i]) if jj == j else 0
            assert got == expected
    assert den_haag.rate_effect[k, j].any()
    assert int(den_haag.rate_effect[k, j].sum()) == 0
    payload = report.as_json()
    assert payload["municipalities"][0]["municipality"] == "GM0518"


def _counts(engine: Engine, run_id: str) -> dict[tuple[str, str], tuple[float, bool]]:
    with Session(engine) as session:
        rows = session.execute(
            select(RunDistrictCount).where(col(RunDistrictCount.run_id) == run_id)
        ).scalars()
        return {(c.district_code, c.indicator): (c.value, c.derived) for c in rows}


def _figures(engine: Engine) -> dict[tuple[str, str], float]:
    with Session(engine) as session:
        rows = session.execute(select(IndicatorFigure)).scalars()
        return {(f.district_code, f.indicator): f.value for f in rows}


#: Inhabitants (and men, so men + women stay the total) of a Delft and an 's-Gravenhage
#: district in the 2024 key figures, as shipped and as in the newer load of the tests.
NEWER_COUNTS = {
    "WK050311,Wijk 11 Binnenstad": (",13935,7720,", ",15935,9720,"),
    "WK051802,Wijk 02 Belgisch Park": (",8385,4105,", ",9385,5105,"),
}


def _load_newer_data(engine: Engine, tmp_path: Path) -> str:
    """Load a copy of geodata/ with other counts for two districts; return its content hash."""
    folder = tmp_path / "geodata-newer"
    folder.mkdir()
    for source in GEODATA.iterdir():
        if source.is_file():
            (folder / source.name).write_bytes(source.read_bytes())
    table = folder / "kwb_2024_h10_wijken.csv"
    lines = table.read_bytes().decode("utf-8").split("\n")
    for i, line in enumerate(lines):
        for district, (old, new) in NEWER_COUNTS.items():
            if line.startswith(district + ","):
                assert line.count(old) == 1
                lines[i] = line.replace(old, new)
    table.write_bytes("\n".join(lines).encode("utf-8"))
    with session_scope(engine) as session:
        outcome = load_districts(session, folder, "test")
    assert outcome.loaded
    return outcome.content_hash


def test_a_run_from_before_a_newer_data_load_is_still_explained(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    _run(loaded, config, 2025, adopt=True)
    old = _run(loaded, config, 2026)
    used = _counts(loaded, old)
    shipped = _figures(loaded)
    assert {key: value for key, (value, _) in used.items()} == {key: shipped[key] for key in used}
    newer_hash = _load_newer_data(loaded, tmp_path)
    new = _run(loaded, config, 2026)
    with Session(loaded) as session:
        old_run, new_run = session.get(AllocationRun, old), session.get(AllocationRun, new)
        assert old_run is not None
        assert new_run is not None
        assert old_run.data_hash != new_run.data_hash == newer_hash
        assert service.data_of_record(session).content_hash == newer_hash
    # The old run kept what it used; the figures of record moved on.
    assert _counts(loaded, old) == used
    newer = _figures(loaded)
    assert used[("WK050311", "inhabitants")][0] == 13935
    assert newer[("WK050311", "inhabitants")] == 15935
    assert used[("WK051802", "young_0_14")][0] != newer[("WK051802", "young_0_14")]
    assert _counts(loaded, new)[("WK050311", "inhabitants")] == (15935, False)

    report = _explained_exactly(loaded, config, old, new)
    payload = report.as_json()
    # Same configuration and year: every change comes from the newer counts (Delft is one area,
    # its whole budget stays with it).
    changed = {a["municipality"] for a in payload["areas"] if a["change_cents"]}
    assert changed == {"GM0518"}
    den_haag = report.waterfalls["GM0518"]["specialist"]
    assert den_haag.part("count:youth_care_users").any() or den_haag.part("population").any()
    assert not any(den_haag.part(step).any() for step in den_haag.steps if step.startswith("rate:"))
    assert not den_haag.part("budget").any()

    # Sensitivity of the old run works on its own counts, also with an indicator it stored
    # (young_population, summed per area); one it never read is a clear error.
    with Session(loaded) as session:
        assert planning.sensitivity(session, old).municipalities
        estimate = planning.RateInterval(
            domain="specialist", municipality="GM0518",
            indicators=["youth_care_users", "young_population"], rates=[6000.0, 10.0],
            low=[5000.0, 0.0], high=[7000.0, 30.0], source="test",
        )  # fmt: skip
        tried = planning.sensitivity(session, old, estimate=estimate)
        den_haag_s = next(m for m in tried.municipalities if m.municipality == "GM0518")
        (found,) = den_haag_s.ranges  # a range needs young_population in every district
        assert not den_haag_s.notes
        assert (found.min_cents <= found.amount_cents).all()
        assert (found.amount_cents <= found.max_cents).all()
        unused = planning.RateInterval(
            domain="specialist", municipality="GM0518",
            indicators=["youth_care_users", "households"], rates=[6000.0, 10.0],
            low=[5000.0, 0.0], high=[7000.0, 30.0], source="test",
        )  # fmt: skip
        with pytest.raises(DataError, match=r"did not use households.*no longer stored"):
            planning.sensitivity(session, old, estimate=unused)
        assert planning.sensitivity(session, new, estimate=unused).municipalities


def test_runs_stored_without_their_counts_need_their_own_data_load(
    loaded: Engine, config: RegionConfig
) -> None:
    run_a = _run(loaded, config, 2025)
    run_b = _run(loaded, config, 2026)
    with session_scope(loaded) as session:
        session.execute(delete(RunDistrictCount).where(col(RunDistrictCount.run_id) == run_a))
    # As runs were stored before they kept their counts: rebuilt from the figures of its load.
    with Session(loaded) as session:
        report = planning.explain(session, run_a, run_b)
    for per_domain in report.waterfalls.values():
        for w in per_domain.values():
            assert (w.start_cents + w.parts.sum(axis=0) == w.end_cents).all()
    with session_scope(loaded) as session:
        session.execute(
            update(AllocationRun).where(col(AllocationRun.id) == run_a).values(data_hash="0" * 64)
        )
    with Session(loaded) as session, pytest.raises(DataError, match="no longer stored"):
        planning.explain(session, run_a, run_b)


def _spending_rows(session: Session, rates: dict[str, float]) -> dict[str, int]:
    """Monthly totals for 2024 made with ``rates`` from the stored figures, in whole cents."""
    figures: dict[str, dict[str, float]] = {}
    rows = session.execute(
        select(IndicatorFigure).where(col(IndicatorFigure.municipality_code) == "GM0518")
    ).scalars()
    for figure in rows:
        figures.setdefault(figure.district_code, {})[figure.indicator] = figure.value
    spend: dict[str, int] = {}
    next_id = 1
    for district, values in sorted(figures.items()):
        cents = round(sum(rate * values[k] for k, rate in rates.items()) * 100)
        spend[district] = cents
        first = cents // 3
        for month, amount in ((3, first), (9, cents - first)):
            session.add(
                SpendingMonth(
                    year=2024, month=month, municipality_code="GM0518",
                    district_code=district, reference="GM0518-P1", domain="specialist",
                    provider="Provider B.V.", amount_cents=amount, rows=1,
                    first_spending_id=next_id,
                )
            )  # fmt: skip
            next_id += 1
    session.add(
        SpendingMonth(
            year=2024, month=5, municipality_code="GM0518", district_code="",
            reference="GM0518-P1", domain="specialist", provider="Provider B.V.",
            amount_cents=123_456, rows=1, first_spending_id=next_id,
        )
    )  # fmt: skip
    return spend


def test_estimate_from_spending_recovers_the_rates_and_writes_a_runnable_scenario(
    loaded: Engine, config: RegionConfig, tmp_path: Path
) -> None:
    rates = {"youth_care_users": 6000.0, "low_income_households": 400.0, "social_assistance": 250.0}
    with session_scope(loaded) as session:
        made = _spending_rows(session, rates)
    with Session(loaded) as session:
        spend = planning.spend_per_district(session, 2024, "specialist", "GM0518")
        assert spend.cents == made
        assert spend.without_district_cents == 123_456
        report = planning.estimate(
            session, config, spend.cents, domain="specialist", municipality="GM0518",
            draws=200, seed=3, source="spending 2024",
        )  # fmt: skip
        again = planning.estimate(
            session, config, spend.cents, domain="specialist", municipality="GM0518",
            draws=200, seed=3, source="spending 2024",
        )  # fmt: skip
    fit = report.estimate
    # Spend made exactly with the rates (to the cent): recovered to 1e-6.
    for k, key in enumerate(fit.indicator_keys):
        assert fit.rates[k] == pytest.approx(rates[key], rel=1e-6)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-9)
    assert again.estimate.bootstrap is not None
    assert fit.bootstrap is not None
    assert np.array_equal(fit.bootstrap, again.estimate.bootstrap)
    assert report.area_keys == [a.code for a in config.areas_of("GM0518")]

    path = planning.write_scenario(
        report, config, tmp_path / "scenarios" / "estimated.toml", CONFIG
    )
    text = path.read_text(encoding="utf-8")
    assert "ESTIMATED rates for specialist" in text
    assert "R² = 1.000" in text
    assert "spending 2024" in text
    estimated = load_config(CONFIG, path)
    assert estimated.scenario == "estimated"
    assert estimated.models["gm0518"].rates["specialist"] == pytest.approx(rates, rel=1e-5)
    assert estimated.models["gm0518"].rates["access"] == config.models["gm0518"].rates["access"]
    assert estimated.models["default"] == config.models["default"]
    run_id = _run(loaded, estimated, 2026)
    with Session(loaded) as session:
        run = session.get(AllocationRun, run_id)
        assert run is not None
        assert run.scenario == "estimated"


def test_estimate_without_spending_is_a_clear_error(loaded: Engine) -> None:
    with Session(loaded) as session, pytest.raises(DataError, match="import spending first"):
        planning.spend_per_district(session, 2024, "specialist", "GM0518")


def test_sensitivity_ranges_over_an_estimates_intervals(
    loaded: Engine, config: RegionConfig
) -> None:
    run_id = _run(loaded, config, 2026)
    estimate = planning.RateInterval(
        domain="specialist",
        municipality="GM0518",
        indicators=["youth_care_users", "young_0_14"],
        rates=[6000.0, 100.0],
        low=[5000.0, 0.0],
        high=[7000.0, 300.0],
        source="test",
    )
    with Session(loaded) as session:
        report = planning.sensitivity(session, run_id, estimate=estimate)
    den_haag = next(m for m in report.municipalities if m.municipality == "GM0518")
    (found,) = den_haag.ranges
    assert (found.min_cents <= found.amount_cents).all()
    assert (found.amount_cents <= found.max_cents).all()
    assert (found.min_cents < found.max_cents).all()
    assert int(found.amount_cents.sum()) == config.budget_cents(2026, "GM0518")["specialist"]
    # young_0_14 is only tried for the range; the run's own indicators are what is reported
    assert den_haag.indicator_keys == config.models["gm0518"].indicators()
    others = [m for m in report.municipalities if m.municipality != "GM0518"]
    assert all(not m.ranges for m in others)

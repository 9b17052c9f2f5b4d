"""Budget totals are data with history: seeded from config once, set and indexed by finance,
every change a version and an audit event, and the allocation divides what the table says."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.auth.models import AuditEvent
from populatie.budget_totals.models import BudgetTotal, BudgetTotalVersion
from populatie.budget_totals.service import (
    index_totals,
    list_totals,
    seed_totals,
    set_totals,
    totals_history,
)
from populatie.configuration import DOMAINS, RegionConfig, load_config
from populatie.db import session_scope
from populatie.errors import ConfigurationError, ConflictError, DataError, NotFoundError
from tests.integration.conftest import CONFIG

DELFT = "GM0503"
NEW = {"prevention": 3_000_000_00, "access": 9_000_000_00, "specialist": 21_000_000_00}


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.execute(select(func.count()).select_from(BudgetTotal)).scalar_one(),
            session.execute(select(func.count()).select_from(BudgetTotalVersion)).scalar_one(),
            session.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
        )


def _set(engine: Engine, year: int, code: str, cents: dict[str, int], reason: str = "x") -> None:
    with session_scope(engine) as session:
        set_totals(session, year, code, cents, actor="fin", role="finance", reason=reason)


def test_load_seeds_config_once_and_never_overwrites_what_finance_set(
    loaded: Engine, config: RegionConfig
) -> None:
    with Session(loaded) as session:
        seeded = list_totals(session, 2025)
    assert len(seeded) == 10
    assert {v.source for v in seeded} == {"seed"}
    assert {v.municipality: v.cents for v in seeded}[DELFT] == config.budget_cents(2025, DELFT)

    _set(loaded, 2025, DELFT, NEW, "council amendment")
    before = _counts(loaded)
    with session_scope(loaded) as session:
        assert seed_totals(session, config, "test") == []
    assert _counts(loaded) == before
    with Session(loaded) as session:
        history = totals_history(session, 2025, DELFT)
    assert [(v.version, v.source) for v in history] == [(1, "seed"), (2, "set")]
    assert history[-1].cents == NEW
    assert (history[-1].changed_by, history[-1].reason) == ("fin", "council amendment")


def test_every_set_is_audited_in_its_transaction_and_a_refused_one_writes_nothing(
    loaded: Engine,
) -> None:
    before = _counts(loaded)
    _set(loaded, 2025, DELFT, NEW, "amendment")
    assert _counts(loaded) == (before[0], before[1] + 1, before[2] + 1)
    with Session(loaded) as session:
        event = session.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "budget_totals.set")
        ).scalar_one()
    assert event.target == f"budget_totals/2025/{DELFT}"
    assert event.detail["cents"] == NEW
    assert event.detail["version"] == 2

    after = _counts(loaded)
    bad: list[tuple[int, str, dict[str, object], type[Exception]]] = [
        (2025, "GM9999", dict(NEW), NotFoundError),
        (2025, DELFT, {**NEW, "prevention": -1}, DataError),
        (2025, DELFT, {"prevention": 1, "access": 2}, DataError),
        (2025, DELFT, {**NEW, "youth": 5}, DataError),
        (1999, DELFT, dict(NEW), DataError),
        (2025, DELFT, dict(NEW), ConflictError),  # changes nothing
    ]
    for year, code, cents, error in bad:
        with pytest.raises(error), session_scope(loaded) as session:
            set_totals(session, year, code, cents, actor="fin", role="finance", reason="x")
    with pytest.raises(DataError, match="reason"), session_scope(loaded) as session:
        set_totals(
            session, 2025, DELFT, {**NEW, "access": 1}, actor="f", role="finance", reason=" "
        )
    assert _counts(loaded) == after


def test_the_allocation_divides_the_totals_of_the_table(loaded: Engine) -> None:
    _set(loaded, 2026, DELFT, NEW)
    config = load_config(CONFIG)
    with session_scope(loaded) as session:
        run = service.create_run(session, config, 2026, [DELFT], "test")
        assert run.budget_cents == {DELFT: NEW}
        report = service.run_report(session, run.id)
    for domain in DOMAINS:
        assert sum(a.domains[domain] for a in report.areas) == NEW[domain]


def test_a_year_without_totals_fails_naming_the_commands_to_set_them(loaded: Engine) -> None:
    config = load_config(CONFIG)
    with pytest.raises(ConfigurationError) as raised, session_scope(loaded) as session:
        service.create_run(session, config, 2027, [DELFT], "test")
    message = raised.value.message
    assert "no budget totals for 2027 for GM0503" in message
    assert "populatie budgets set 2027 GM0503" in message
    assert "populatie budgets index --from 2026 --to 2027" in message


def test_indexation_makes_next_year_with_its_basis_and_is_not_repeated(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        made = index_totals(
            session, 2026, 2027, Decimal("3.2"), "OVA 2026", actor="fin", role="finance"
        )
        source = {v.municipality: v.cents for v in list_totals(session, 2026)}
    assert len(made) == 10
    for view in made:
        assert (view.source, view.basis, view.reason) == (
            "index",
            "OVA 2026",
            "indexed from 2026 by 3.2 %",
        )
        for domain, cents in source[view.municipality].items():
            exact = Decimal(cents) * Decimal("1.032")
            assert abs(view.cents[domain] - exact) <= Decimal("0.5")
    # 's-Gravenhage specialist 2026: 113 723 330.00 euro × 1.032, exactly 117 362 476.56 euro
    assert {v.municipality: v.cents for v in made}["GM0518"]["specialist"] == 11_736_247_656

    before = _counts(loaded)
    with pytest.raises(ConflictError, match="budgets set"), session_scope(loaded) as session:
        index_totals(session, 2026, 2027, Decimal("1"), "again", actor="f", role="finance")
    for args in [(2027, 2028, ""), (2027, 2027, "x"), (2030, 2031, "x")]:
        with pytest.raises((DataError, ConfigurationError)), session_scope(loaded) as session:
            index_totals(session, args[0], args[1], Decimal("1"), args[2], actor="f", role="f")
    assert _counts(loaded) == before
    with Session(loaded) as session:
        events = session.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "budget_totals.index")
        ).scalars()
        (event,) = list(events)
    assert (event.detail["pct"], event.detail["basis"]) == ("3.2", "OVA 2026")

    with session_scope(loaded) as session:
        run = service.create_run(session, load_config(CONFIG), 2027, [DELFT], "test")
        assert run.budget_cents[DELFT] == {v.municipality: v.cents for v in made}[DELFT]


def test_a_scenario_budgets_section_replaces_the_totals_for_its_run_only(
    loaded: Engine, tmp_path: Path
) -> None:
    scenario = tmp_path / "more.toml"
    scenario.write_text(
        'name = "more"\n[budgets.2027.GM0503]\nprevention = "3000000.00"\n'
        'access = "9000000.00"\nspecialist = "21000000.00"\n',
        encoding="utf-8",
    )
    before = _counts(loaded)
    with session_scope(loaded) as session:
        run = service.create_run(session, load_config(CONFIG, scenario), 2027, [DELFT], "t")
        assert run.budget_cents == {DELFT: NEW}
        assert run.scenario == "more"
    assert _counts(loaded)[:2] == before[:2]
    with Session(loaded) as session:
        assert list_totals(session, 2027) == []

    half = tmp_path / "half.toml"
    half.write_text('[budgets.2027.GM0503]\nprevention = "1.00"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="lacks domain"), session_scope(loaded) as s:
        service.create_run(s, load_config(CONFIG, half), 2027, [DELFT], "t")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[budgets.2027.GM0503]\nyouth = "1.00"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"wrong\.toml"):
        load_config(CONFIG, wrong)


def test_a_seed_for_a_municipality_outside_the_region_is_refused_whole(
    loaded: Engine, config: RegionConfig
) -> None:
    amounts = {d: Decimal("1.00") for d in DOMAINS}
    stray = config.model_copy(
        update={"budgets_euro": {2030: {"GM0503": amounts, "GM9999": amounts}}}
    )
    before = _counts(loaded)
    with pytest.raises(ConfigurationError, match="GM9999"), session_scope(loaded) as session:
        seed_totals(session, stray, "test")
    assert _counts(loaded) == before

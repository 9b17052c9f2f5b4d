"""Contracts: registered and changed by finance, with their history, refused when wrong."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from populatie.contracts.service import (
    ContractChange,
    ContractInput,
    change_contract,
    contract_history,
    create_contract,
    list_contracts,
    parse_indexation,
)
from populatie.db import session_scope
from populatie.errors import ConflictError, DataError, NotFoundError
from tests.integration.spending_support import KRACHT, RONDOMJOU, seed_registry


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_registry(engine)
    return engine


def _input(**terms: object) -> ContractInput:
    data: dict[str, object] = {
        "reference": "H10-2024-DH-P1",
        "lot": "GM0518/1",
        "starts_on": date(2024, 1, 1),
        "ends_on": date(2026, 12, 31),
        "extendable_to": date(2028, 12, 31),
        "funding_form": "population-based",
        "ceilings_cents": {2024: 10_000_000_00},
        "indexation_basis_points": 250,
        **terms,
    }
    return ContractInput(**data)  # type: ignore[arg-type]


def test_a_contract_is_registered_changed_and_keeps_its_history(db: Engine) -> None:
    with session_scope(db) as s:
        view = create_contract(s, _input(), "finance-1")
    assert (view.lot, view.area, view.partnership, view.version) == (
        "GM0518/1",
        "GM0518-L1",
        KRACHT,
        1,
    )
    # Ceiling 2024 as agreed; 2025 and 2026 indexed by 2.5 % a year, rounded to the cent.
    assert view.ceiling_for(2024) == 10_000_000_00
    assert view.ceiling_for(2025) == 10_250_000_00
    assert view.ceiling_for(2026) == 10_506_250_00
    assert view.ceiling_for(2023) is None

    with session_scope(db) as s:
        changed = change_contract(
            s,
            "H10-2024-DH-P1",
            ContractChange(ends_on=date(2027, 12, 31), ceilings_cents={2025: 11_000_000_00}),
            "finance-2",
            "first option to extend exercised; ceiling 2025 amended",
        )
    assert changed.version == 2
    assert changed.ends_on == date(2027, 12, 31)
    assert changed.ceiling_for(2025) == 11_000_000_00
    assert changed.ceiling_for(2026) == 11_275_000_00  # now indexed from 2025
    assert changed.ceilings_cents == {2024: 10_000_000_00, 2025: 11_000_000_00}

    with session_scope(db) as s:
        history = contract_history(s, "H10-2024-DH-P1")
        (current,) = list_contracts(s, 2027)
    assert [(v.version, v.changed_by) for v in history] == [(1, "finance-1"), (2, "finance-2")]
    assert history[0].state["ends_on"] == "2026-12-31"
    assert history[1].changes == {
        "ends_on": ["2026-12-31", "2027-12-31"],
        "ceilings_cents": [
            {"2024": 10_000_000_00},
            {"2024": 10_000_000_00, "2025": 11_000_000_00},
        ],
    }
    assert history[1].reason.startswith("first option")
    assert current.version == 2
    with db.connect() as conn:
        actions = conn.execute(text("SELECT action, actor FROM audit_event ORDER BY id")).all()
    assert [tuple(a) for a in actions] == [
        ("contract.create", "finance-1"),
        ("contract.change", "finance-2"),
    ]


def test_list_filters_on_the_year_in_force(db: Engine) -> None:
    with session_scope(db) as s:
        create_contract(s, _input(), "f")
        create_contract(
            s,
            _input(
                reference="OLD-1",
                starts_on=date(2020, 1, 1),
                ends_on=date(2023, 12, 31),
                extendable_to=None,
            ),
            "f",
        )
        create_contract(s, _input(reference="L2", lot="GM0518/2"), "f")
        assert [c.reference for c in list_contracts(s)] == ["OLD-1", "H10-2024-DH-P1", "L2"]
        assert [c.reference for c in list_contracts(s, 2023)] == ["OLD-1"]
        assert [c.reference for c in list_contracts(s, 2025)] == ["H10-2024-DH-P1", "L2"]
        assert list_contracts(s, 2025)[1].partnership == RONDOMJOU


@pytest.mark.parametrize(
    ("terms", "error", "message"),
    [
        ({"lot": "GM0518/9"}, NotFoundError, "lot GM0518/9"),
        ({"lot": "lot 1"}, DataError, "municipality/number"),
        ({"partnership": "Nobody"}, NotFoundError, "partnership 'Nobody'"),
        ({"funding_form": "lump sum"}, DataError, "funding form"),
        ({"ends_on": date(2023, 1, 1)}, DataError, "before it starts"),
        ({"extendable_to": date(2025, 1, 1)}, DataError, "options to extend allow"),
        ({"ceilings_cents": {2025: -1}}, DataError, "negative"),
        ({"reference": "has space"}, DataError, "letters, digits"),
        ({"indexation_basis_points": -10_000}, DataError, "indexation"),
    ],
)
def test_a_wrong_contract_is_refused(
    db: Engine, terms: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message), session_scope(db) as s:
        create_contract(s, _input(**terms), "f")
    with session_scope(db) as s:
        assert list_contracts(s) == []


def test_conflicts_and_empty_changes_are_refused(db: Engine) -> None:
    with session_scope(db) as s:
        create_contract(s, _input(), "f")
    with pytest.raises(ConflictError, match="exists already"), session_scope(db) as s:
        create_contract(s, _input(), "f")
    with pytest.raises(ConflictError, match="already has contract"), session_scope(db) as s:
        create_contract(s, _input(reference="OVERLAP", starts_on=date(2026, 6, 1)), "f")
    with pytest.raises(DataError, match="changes nothing"), session_scope(db) as s:
        change_contract(s, "H10-2024-DH-P1", ContractChange(ends_on=date(2026, 12, 31)), "f", "x")
    with pytest.raises(DataError, match="say why"), session_scope(db) as s:
        change_contract(s, "H10-2024-DH-P1", ContractChange(ends_on=date(2027, 1, 1)), "f", " ")
    with pytest.raises(DataError, match="options to extend"), session_scope(db) as s:
        change_contract(
            s, "H10-2024-DH-P1", ContractChange(ends_on=date(2029, 12, 31)), "f", "too far"
        )
    with pytest.raises(NotFoundError), session_scope(db) as s:
        change_contract(s, "NOPE", ContractChange(ends_on=date(2027, 1, 1)), "f", "x")
    with session_scope(db) as s:
        assert [v.version for v in contract_history(s, "H10-2024-DH-P1")] == [1]


def test_indexation_is_read_as_whole_basis_points() -> None:
    assert parse_indexation("2.5") == 250
    assert parse_indexation("3.25%") == 325
    assert parse_indexation("-1") == -100
    for bad in ("2.555", "abc", "-100", "101"):
        with pytest.raises(DataError):
            parse_indexation(bad)

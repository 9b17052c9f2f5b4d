"""Each municipality's share of a contract over HTTP: finance sets the key (versioned, audited,
refused when wrong with nothing written), every reader sees shares that add up to the
contract's own ceiling, spent and forecast, and a consortium only those of its own contracts."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from fractions import Fraction
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.configuration import load_config
from populatie.contracts.models import Contract
from populatie.cost_sharing.models import ContractCostShareKey
from populatie.cost_sharing.service import set_cost_sharing
from populatie.cost_sharing.shares import contract_shares
from populatie.districts.models import District, IndicatorFigure
from populatie.errors import DataError
from populatie.spending.models import Spending
from tests.integration.api_support import (
    CONFIG,
    CONTRACT_OF,
    KRACHT,
    RONDOMJOU,
    World,
    build_world,
)

P1, P2 = CONTRACT_OF[KRACHT], CONTRACT_OF[RONDOMJOU]
FIXED = {"GM0518": 6000, "GM0503": 2550, "GM0637": 1450}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def _put(
    client: TestClient[Any], world: World, caller: str, reference: str, body: dict[str, Any]
) -> httpx.Response:
    return client.put(
        f"/api/contract-cost-sharing/{reference}", json=body, headers=world.headers(caller)
    )


def _total_line(client: TestClient[Any], world: World, reference: str) -> dict[str, Any]:
    report = client.get("/api/reconciliation?year=2025", headers=world.headers("finance")).json()
    (line,) = [x for x in report["lines"] if x["contract"] == reference and x["domain"] == "total"]
    return dict(line)


def _assert_shares_of(amount: int | None, parts: list[int | None], weights: list[int]) -> None:
    """Each part is its exact quota rounded down or up, and the parts add up to the amount."""
    if amount is None:
        assert parts == [None] * len(weights)
        return
    assert sum(p or 0 for p in parts) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        quota = Fraction(amount * weight, total)
        assert math.floor(quota) <= (part or 0) <= math.ceil(quota)


def test_finance_sets_a_fixed_key_and_the_shares_add_up_to_the_contract(world: World) -> None:
    body = {"kind": "fixed", "basis_points": FIXED, "reason": "regional agreement 2025"}
    with TestClient(app=create_app(world.engine)) as client:
        made = _put(client, world, "finance", P1, body)
        assert made.status_code == 200, made.text
        assert (made.json()["version"], made.json()["kind"]) == (1, "fixed")
        assert made.json()["basis_points"] == dict(sorted(FIXED.items()))

        shares = client.get(
            f"/api/contract-shares/{P1}?year=2025", headers=world.headers("auditor")
        )
        assert shares.status_code == 200, shares.text
        report = shares.json()
        contract = client.get(f"/api/contracts/{P1}", headers=world.headers("finance")).json()
        line = _total_line(client, world, P1)
        assert report["ceiling_cents"] == contract["ceilings_cents"]["2025"]
        assert (report["spent_cents"], report["forecast_cents"]) == (
            line["spent_cents"],
            line["forecast_cents"],
        )
        assert report["spent_cents"] > 0
        rows = report["municipalities"]
        assert [r["municipality"] for r in rows] == sorted(FIXED)
        weights = [FIXED[r["municipality"]] for r in rows]
        assert [r["weight"] for r in rows] == weights
        for amount in ("ceiling_cents", "spent_cents", "forecast_cents"):
            _assert_shares_of(report[amount], [r[amount] for r in rows], weights)

        # the same key again changes nothing and is refused; a key that is not 100 % too
        assert _put(client, world, "finance", P1, body).status_code == 422
        wrong = {**body, "basis_points": {"GM0518": 6000, "GM0503": 3999}}
        refused = _put(client, world, "finance", P1, wrong)
        assert refused.status_code == 422
        assert "99.99 %, not 100 %" in refused.json()["detail"]
        # only finance sets a key; a consortium does not learn the route exists
        assert _put(client, world, "planner", P1, {**body, "reason": "x"}).status_code == 403
        assert _put(client, world, "kracht", P1, {**body, "reason": "x"}).status_code == 404
        assert _put(client, world, "finance", P1, {"kind": "use"}).status_code == 400

        changed = _put(
            client,
            world,
            "finance",
            P1,
            {"kind": "inhabitants", "municipalities": ["GM0518", "GM0503"], "reason": "by heads"},
        )
        assert changed.status_code == 200, changed.text
        history = client.get(
            f"/api/contract-cost-sharing/{P1}", headers=world.headers("planner")
        ).json()
        assert [(k["version"], k["kind"], k["reason"]) for k in history["items"]] == [
            (1, "fixed", "regional agreement 2025"),
            (2, "inhabitants", "by heads"),
        ]
        assert history["items"][1]["basis_points"] is None
    with Session(world.engine) as session:
        events = session.execute(
            select(AuditEvent)
            .where(
                col(AuditEvent.action) == "contract.cost-sharing",
                col(AuditEvent.target) == f"contract/{P1}",  # the demo keys its regional ones
            )
            .order_by(col(AuditEvent.id))
        ).scalars()
        assert [(e.role, e.target, e.detail["version"]) for e in events] == [
            ("finance", f"contract/{P1}", 1),
            ("finance", f"contract/{P1}", 2),
        ]
        keys = session.execute(
            select(func.count())
            .select_from(ContractCostShareKey)
            .join(Contract, col(Contract.id) == col(ContractCostShareKey.contract_id))
            .where(col(Contract.reference) == P1)
        )
        assert keys.scalar_one() == 2


def test_a_consortium_reads_the_shares_of_its_own_contracts_only(world: World) -> None:
    body = {"kind": "fixed", "basis_points": FIXED, "reason": "agreed"}
    with TestClient(app=create_app(world.engine)) as client:
        # without a key, the municipality of the contract's lot carries all of it
        unset = client.get(f"/api/contract-shares/{P1}?year=2025", headers=world.headers("kracht"))
        assert unset.status_code == 200, unset.text
        assert (unset.json()["key"]["version"], unset.json()["key"]["kind"]) == (0, "fixed")
        (only,) = unset.json()["municipalities"]
        assert only["municipality"] == "GM0518"
        assert (only["spent_cents"], only["ceiling_cents"]) == (
            unset.json()["spent_cents"],
            unset.json()["ceiling_cents"],
        )
        assert "no cost-sharing key set" in unset.json()["notes"][0]
        empty = client.get(f"/api/contract-cost-sharing/{P1}", headers=world.headers("kracht"))
        assert empty.json() == {"reference": P1, "items": [], "total": 0}
        for reference in (P1, P2):
            assert _put(client, world, "finance", reference, body).status_code == 200
        for caller, own, other in (("kracht", P1, P2), ("rondomjou", P2, P1)):
            mine = client.get(
                f"/api/contract-shares/{own}?year=2025", headers=world.headers(caller)
            )
            assert mine.status_code == 200, mine.text
            assert mine.json()["contract"] == own
            for path in (
                f"/api/contract-shares/{other}?year=2025",
                f"/api/contract-cost-sharing/{other}",
            ):
                theirs = client.get(path, headers=world.headers(caller))
                nothing = client.get(
                    path.replace(other, "NO-SUCH-CONTRACT"), headers=world.headers(caller)
                )
                assert theirs.status_code == nothing.status_code == 404
                assert theirs.json()["title"] == nothing.json()["title"]
            assert (
                client.get(f"/api/contract-cost-sharing/{own}", headers=world.headers(caller))
            ).status_code == 200
        for caller in ("finance", "planner", "auditor"):
            for reference in (P1, P2):
                answer = client.get(
                    f"/api/contract-shares/{reference}?year=2025", headers=world.headers(caller)
                )
                assert answer.status_code == 200
        assert client.get(f"/api/contract-shares/{P1}?year=2025").status_code == 401


def _figures(session: Session, municipality: str, indicators: set[str]) -> dict[str, float]:
    """Each indicator summed over the municipality's districts, read straight from the
    tables (the newest vintage)."""
    vintage = session.execute(select(func.max(District.vintage))).scalar_one()
    sums: dict[str, float] = defaultdict(float)
    for indicator, value in session.execute(
        select(col(IndicatorFigure.indicator), col(IndicatorFigure.value))
        .join(District, col(District.code) == col(IndicatorFigure.district_code))
        .where(
            col(District.municipality_code) == municipality,
            col(IndicatorFigure.vintage) == vintage,
            col(IndicatorFigure.indicator).in_(sorted(indicators)),
        )
    ):
        sums[str(indicator)] += float(value)
    return dict(sums)


def _no_audit(action: str, target: str, detail: dict[str, Any]) -> None:
    return None


def test_the_weights_are_inhabitants_need_and_use_as_the_data_says(world: World) -> None:
    config = load_config(CONFIG)
    codes = ["GM0503", "GM0518", "GM0637"]

    def shares(kind: str, municipalities: list[str]) -> dict[str, float]:
        with Session(world.engine) as session:
            set_cost_sharing(
                session,
                P1,
                kind,
                municipalities=municipalities,
                actor="test",
                audit=_no_audit,
                reason=f"by {kind}",
            )
            session.commit()
            report = contract_shares(session, P1, 2025, config)
            assert sum(line.spent_cents for line in report.lines) == report.spent_cents
            assert sum(line.ceiling_cents or 0 for line in report.lines) == report.ceiling_cents
            return {line.municipality: float(line.weight) for line in report.lines}

    with Session(world.engine) as session:
        inhabitants = {c: _figures(session, c, {"inhabitants"})["inhabitants"] for c in codes}
        need = {}
        for code in codes:
            chain = set(config.model_chain(code))
            present = _figures(session, code, chain)
            _, model = config.model_for(code, present)
            indicators = {k for rates in model.rates.values() for k in rates}
            counts = _figures(session, code, indicators)
            # the lot of P1 covers every domain: need is every rate times its count
            need[code] = sum(
                rate * counts[k] for rates in model.rates.values() for k, rate in rates.items()
            )
        spent: dict[str, int] = defaultdict(int)
        for municipality, cents in session.execute(
            select(col(Spending.municipality_code), col(Spending.amount_cents)).where(
                col(Spending.reference).in_([P1, "GM0518/1"]),
                col(Spending.booked_on) >= date(2025, 1, 1),
                col(Spending.booked_on) <= date(2025, 12, 31),
            )
        ):
            spent[str(municipality)] += int(cents)
    assert all(v > 0 for v in inhabitants.values())
    assert shares("inhabitants", codes) == inhabitants
    got = shares("need", codes)
    assert got == pytest.approx(need, rel=1e-9)
    assert sorted(spent) == ["GM0518"]  # the demo spends in 's-Gravenhage only
    assert shares("use", ["GM0518", "GM0503"]) == {"GM0518": spent["GM0518"], "GM0503": 0}

    # use by municipalities that spent nothing on the contract says nothing: refused by name
    with TestClient(app=create_app(world.engine)) as client:
        body = {"kind": "use", "municipalities": ["GM0503", "GM0637"], "reason": "by use"}
        assert _put(client, world, "finance", P1, body).status_code == 200
        refused = client.get(
            f"/api/contract-shares/{P1}?year=2025", headers=world.headers("finance")
        )
        assert refused.status_code == 422
        assert refused.json()["type"].endswith("cost-sharing")
        assert (
            "key use: the spending on the contract of every municipality"
            in (refused.json()["detail"])
        )


def test_a_key_names_municipalities_of_record_once(world: World) -> None:
    with Session(world.engine) as session:
        for municipalities, message in (
            (["GM0518", "GM9999"], "not of record: GM9999"),
            (["GM0518", "GM0518"], "more than once: GM0518"),
            ([], "name the municipalities"),
        ):
            with pytest.raises(DataError, match=message):
                set_cost_sharing(
                    session,
                    P1,
                    "inhabitants",
                    municipalities=municipalities,
                    actor="test",
                    audit=_no_audit,
                    reason="x",
                )
        with pytest.raises(DataError, match="say why"):
            set_cost_sharing(
                session,
                P1,
                "need",
                municipalities=["GM0518"],
                actor="t",
                audit=_no_audit,
                reason=" ",
            )
        assert (
            session.execute(
                select(func.count())
                .select_from(ContractCostShareKey)
                .join(Contract, col(Contract.id) == col(ContractCostShareKey.contract_id))
                .where(col(Contract.reference) == P1)
            ).scalar_one()
            == 0
        )

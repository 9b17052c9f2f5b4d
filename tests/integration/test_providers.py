"""The provider and membership register: loaded from the configuration (seed 002), written by
finance over HTTP with history and audit, read per role, and read by reconciliation on the
booking date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.app import create_app
from populatie.auth.models import AuditEvent
from populatie.auth.tokens import issue_token
from populatie.configuration import RegionConfig
from populatie.contracts.service import ContractInput, create_contract
from populatie.db import session_scope
from populatie.errors import ConflictError, DataError, NotFoundError
from populatie.providers.models import Membership, Provider
from populatie.providers.service import add_member, add_provider, end_member, list_members
from populatie.reconciliation.service import reconcile_year
from populatie.registry.service import sync_registry
from populatie.spending.service import import_spending
from tests.integration.api_support import REGIONAL
from tests.integration.spending_support import (
    INCLUZIO,
    KRACHT,
    RONDOMJOU,
    add_contract,
    row,
    seed_registry,
    write_csv,
)

SEED = "002_776f77fdf9e83c48"
AWARD = {
    KRACHT: {
        "Incluzio Randstad B.V.": "lead",
        "Mentaal Cure B.V.": "member",
        "Impegno jeugd en gezin B.V.": "member",
        "Familly supporters Haaglanden B.V.": "member",
        "Yoep onderwijs en zorg B.V.": "member",
    },
    RONDOMJOU: {
        "Stichting Jeugdformaat": "lead",
        "Parnassia Groep": "member",
        "Stichting JESS": "member",
        "Stichting Middin": "member",
    },
}


def _nothing(action: str, target: str, detail: dict[str, object]) -> None:
    """No audit: the service tests look at the register, the API tests at the log."""


def _not_member(session: Session, year: int = 2025) -> dict[str, tuple[int, int]]:
    result = reconcile_year(session, year)
    return {
        e.subject: (e.amount_cents, e.rows)
        for e in result.exceptions
        if e.kind == "provider-not-member"
    }


# ---------------------------------------------------------------------------------------------
# Loaded from the configuration
# ---------------------------------------------------------------------------------------------


def test_load_registers_every_member_of_the_award(loaded: Engine) -> None:
    with Session(loaded) as session:
        for partnership, members in AWARD.items():
            views = list_members(session, partnership)
            assert {v.provider: v.role for v in views} == members
            assert {(v.valid_from, v.valid_to, v.source) for v in views} == {
                (date(2024, 1, 1), None, SEED)
            }
            assert views[0].role == "lead"
            assert list_members(session, partnership, date(2023, 12, 31)) == []
        providers = session.execute(select(Provider.name)).scalars().all()
        # the award's members, and the demo's regional partnership, labelled illustrative
        award = sorted(n for m in AWARD.values() for n in m)
        others = sorted(set(providers) - set(award))
        assert sorted(set(providers) & set(award)) == award
        assert others == sorted(v.provider for v in list_members(session, REGIONAL))
        assert others
        assert all(name.endswith("(illustratief)") for name in others)


def test_reloading_the_configuration_keeps_what_finance_changed(
    loaded: Engine, config: RegionConfig
) -> None:
    with session_scope(loaded) as session:
        end_member(session, KRACHT, "Mentaal Cure B.V.", date(2025, 6, 30), "fin", _nothing)
    with session_scope(loaded) as session:
        sync_registry(session, config)
    with Session(loaded) as session:
        rows = session.execute(
            select(Membership).where(col(Membership.provider_name) == "Mentaal Cure B.V.")
        ).scalars()
        assert sorted((r.version, r.valid_to) for r in rows) == [
            (1, None),
            (2, date(2025, 6, 30)),
        ]
        # the award's nine members and the illustrative regional partnership's two, once each
        memberships = session.execute(select(Membership)).scalars().all()
        assert len(memberships) == 9 + len(list_members(session, REGIONAL)) + 1


# ---------------------------------------------------------------------------------------------
# Reconciliation reads the register on the booking date
# ---------------------------------------------------------------------------------------------


def test_a_member_of_the_award_invoicing_is_no_exception(loaded: Engine, tmp_path: Path) -> None:
    """Before the register, only the lead member counted: Parnassia's invoice was flagged."""
    with session_scope(loaded) as session:
        create_contract(
            session,
            ContractInput(
                reference="RJ-2",
                lot="GM0518/2",
                partnership=None,
                starts_on=date(2024, 1, 1),
                ends_on=date(2026, 12, 31),
                funding_form="population-based",
            ),
            "test",
        )
    base = {"reference": "RJ-2", "district": "WK051811", "domain": "access"}
    rows = [
        row(invoice_reference="P-1", provider="Parnassia Groep", **base),
        row(invoice_reference="P-2", provider="Stichting Middin", **base),
        row(invoice_reference="P-3", provider="Stichting Jeugdformaat", **base),
        row(invoice_reference="P-4", provider="Elders Zorg B.V.", amount="10.00", **base),
    ]
    import_spending(loaded, write_csv(tmp_path / "s.csv", rows), user="test")
    with Session(loaded) as session:
        assert _not_member(session) == {"contract RJ-2 · Elders Zorg B.V.": (10_00, 1)}


@pytest.fixture
def dated(engine: Engine) -> Engine:
    """Kracht with dated memberships: Incluzio lead from 2024; Mentaal Cure a member from
    2024 to 15 March 2025; Zorg Onder B.V. a subcontractor from 1 February 2025."""
    seed_registry(engine)
    add_contract(engine, "C-1")
    with session_scope(engine) as s:
        for name in (INCLUZIO, "Mentaal Cure B.V.", "Zorg Onder B.V."):
            add_provider(s, name, None, None, "fin", _nothing)
        add_member(s, KRACHT, INCLUZIO, "lead", date(2024, 1, 1), None, "fin", _nothing)
        add_member(
            s, KRACHT, "Mentaal Cure B.V.", "member", date(2024, 1, 1), None, "fin", _nothing
        )
        end_member(s, KRACHT, "Mentaal Cure B.V.", date(2025, 3, 15), "fin", _nothing)
        add_member(
            s, KRACHT, "Zorg Onder B.V.", "subcontractor", date(2025, 2, 1), None, "fin", _nothing
        )
    return engine


def test_membership_is_checked_on_the_booking_date(dated: Engine, tmp_path: Path) -> None:
    mentaal = {"provider": "Mentaal Cure B.V."}
    onder = {"provider": "Zorg Onder B.V."}
    rows = [
        row(invoice_reference="I-1", booking_date="2025-03-20", amount="999.00"),  # the lead
        row(invoice_reference="M-1", booking_date="2025-03-10", amount="100.00", **mentaal),
        row(invoice_reference="M-2", booking_date="2025-03-15", amount="200.00", **mentaal),
        row(invoice_reference="M-3", booking_date="2025-03-16", amount="400.00", **mentaal),
        row(invoice_reference="M-4", booking_date="2025-04-02", amount="800.00", **mentaal),
        row(invoice_reference="S-1", booking_date="2025-01-31", amount="10.00", **onder),
        row(invoice_reference="S-2", booking_date="2025-02-01", amount="20.00", **onder),
    ]
    import_spending(dated, write_csv(tmp_path / "s.csv", rows), user="test")
    with Session(dated) as session:
        assert _not_member(session) == {
            # 16 March and 2 April only: the member's days up to 15 March count as a member's
            "contract C-1 · Mentaal Cure B.V.": (1_200_00, 2),
            # before the subcontract started
            "contract C-1 · Zorg Onder B.V.": (10_00, 1),
        }
        found = next(
            e
            for e in reconcile_year(session, 2025).exceptions
            if e.subject == "contract C-1 · Mentaal Cure B.V."
        )
        invoices = {str(e["invoice_reference"]) for e in found.evidence}
        assert {"M-3", "M-4"} <= invoices
        assert not invoices & {"M-1", "M-2"}
        assert "on the booking date" in found.detail


# ---------------------------------------------------------------------------------------------
# The service refuses what would make the register wrong
# ---------------------------------------------------------------------------------------------


def test_the_register_refuses_bad_codes_overlaps_and_unknowns(dated: Engine) -> None:
    with session_scope(dated) as s:
        with pytest.raises(DataError, match="kvk_number '1234567' is not valid"):
            add_provider(s, "Nieuw B.V.", "1234567", None, "fin", _nothing)
        with pytest.raises(DataError, match="agb_code '1234567A' is not valid"):
            add_provider(s, "Nieuw B.V.", None, "1234567A", "fin", _nothing)
        with pytest.raises(ConflictError, match="registered already"):
            add_provider(s, INCLUZIO, None, None, "fin", _nothing)
        with pytest.raises(DataError, match="not registered"):
            add_member(s, KRACHT, "Nieuw B.V.", "member", date(2025, 1, 1), None, "f", _nothing)
        with pytest.raises(ConflictError, match="already lead"):
            add_member(s, KRACHT, INCLUZIO, "member", date(2025, 1, 1), None, "f", _nothing)
        with pytest.raises(ConflictError, match="already has lead"):
            add_member(s, KRACHT, "Zorg Onder B.V.", "lead", date(2024, 6, 1), None, "f", _nothing)
        with pytest.raises(NotFoundError, match="no member of"):
            end_member(s, KRACHT, "Mentaal Cure B.V.", date(2025, 5, 1), "f", _nothing)
        with pytest.raises(ConflictError, match="ends on 2025-03-15"):
            end_member(s, KRACHT, "Mentaal Cure B.V.", date(2025, 3, 15), "f", _nothing)
        with pytest.raises(NotFoundError, match="not of record"):
            list_members(s, "Geen Verband")
        with pytest.raises(DataError, match="before valid_from"):
            add_member(
                s, KRACHT, "Mentaal Cure B.V.", "member", date(2025, 5, 1), date(2025, 4, 1),
                "f", _nothing,
            )  # fmt: skip
    # Back after a gap: a new membership of its own, the ended one kept.
    with session_scope(dated) as s:
        add_member(s, KRACHT, "Mentaal Cure B.V.", "member", date(2025, 6, 1), None, "f", _nothing)
        views = [v for v in list_members(s, KRACHT) if v.provider == "Mentaal Cure B.V."]
        assert [(v.valid_from, v.valid_to) for v in views] == [
            (date(2024, 1, 1), date(2025, 3, 15)),
            (date(2025, 6, 1), None),
        ]
        # A new KvK number is the next version; the first stays.
        view = add_provider(s, INCLUZIO, "12345678", "87654321", "fin", _nothing)
        assert view.version == 2
        versions = s.execute(
            select(Provider.version, Provider.kvk_number).where(col(Provider.name) == INCLUZIO)
        ).all()
        assert sorted(tuple(v) for v in versions) == [(1, None), (2, "12345678")]


# ---------------------------------------------------------------------------------------------
# Over HTTP: finance writes, every write audited; reads per role
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def api(loaded: Engine) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with session_scope(loaded) as session:
        tokens = {
            "finance": issue_token(session, "finance", None, "f", "test").token,
            "planner": issue_token(session, "planner", None, "p", "test").token,
            "auditor": issue_token(session, "auditor", None, "a", "test").token,
            "kracht": issue_token(session, "consortium", KRACHT, "k", "test").token,
        }
    headers = {k: {"Authorization": f"Bearer {t}"} for k, t in tokens.items()}
    with TestClient(app=create_app(loaded)) as client:
        yield client, headers


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.execute(select(AuditEvent).where(col(AuditEvent.action) == action)).scalars()
        )


def test_finance_registers_providers_and_memberships_with_history_and_audit(
    loaded: Engine, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, headers = api
    fin = headers["finance"]
    bad = client.post("/api/providers", json={"name": "X B.V.", "kvk_number": "123"}, headers=fin)
    assert bad.status_code == 400
    assert "kvk_number" in bad.text
    made = client.post(
        "/api/providers",
        json={"name": "Onderaannemer Jeugd B.V.", "kvk_number": "12345678", "agb_code": "98765432"},
        headers=fin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    again = client.post(
        "/api/providers",
        json={"name": "Onderaannemer Jeugd B.V.", "kvk_number": "12345678", "agb_code": "98765432"},
        headers=fin,
    )
    assert again.status_code == 409
    added = client.post(
        f"/api/partnerships/{KRACHT}/members",
        json={
            "provider": "Onderaannemer Jeugd B.V.",
            "role": "subcontractor",
            "valid_from": "2025-02-01",
        },
        headers=fin,
    )
    assert added.status_code == 201, added.text
    ended = client.post(
        f"/api/partnerships/{KRACHT}/members/end",
        json={"provider": "Onderaannemer Jeugd B.V.", "ends_on": "2025-08-31", "reason": "stop"},
        headers=fin,
    )
    assert ended.status_code == 201, ended.text
    assert ended.json()["valid_to"] == "2025-08-31"
    assert ended.json()["version"] == 2
    history = client.get(
        f"/api/partnerships/{KRACHT}/members", params={"history": "true"}, headers=fin
    ).json()["items"]
    mine = [m for m in history if m["provider"] == "Onderaannemer Jeugd B.V."]
    assert [(m["version"], m["valid_to"]) for m in mine] == [(1, None), (2, "2025-08-31")]
    on = client.get(
        f"/api/partnerships/{KRACHT}/members", params={"on": "2025-09-01"}, headers=fin
    ).json()
    assert "Onderaannemer Jeugd B.V." not in {m["provider"] for m in on["items"]}
    assert on["total"] == 5
    assert [e.target for e in _events(loaded, "provider.add")] == [
        "provider/Onderaannemer Jeugd B.V."
    ]
    assert len(_events(loaded, "membership.add")) == 1
    (end_event,) = _events(loaded, "membership.end")
    assert end_event.role == "finance"
    assert end_event.detail["valid_to"] == "2025-08-31"


def test_reads_per_role_and_a_consortium_sees_only_its_own(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    for caller in ("finance", "planner", "auditor"):
        listed = client.get(f"/api/partnerships/{RONDOMJOU}/members", headers=headers[caller])
        assert listed.status_code == 200
        assert listed.json()["total"] == 4
        # the nine of the two awards, and the two of the illustrative regional partnership
        assert client.get("/api/providers", headers=headers[caller]).json()["total"] == 11
    own = client.get(f"/api/partnerships/{KRACHT}/members", headers=headers["kracht"])
    assert own.status_code == 200
    assert own.json()["total"] == 5
    other = client.get(f"/api/partnerships/{RONDOMJOU}/members", headers=headers["kracht"])
    assert other.status_code == 404
    assert client.get("/api/providers", headers=headers["kracht"]).status_code == 404
    write = client.post(
        f"/api/partnerships/{KRACHT}/members",
        json={"provider": "Parnassia Groep", "role": "member", "valid_from": "2025-01-01"},
        headers=headers["kracht"],
    )
    assert write.status_code == 404
    assert (
        client.post(
            "/api/providers", json={"name": "Z B.V."}, headers=headers["planner"]
        ).status_code
        == 403
    )


def test_segments_are_read_per_year(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    now = client.get("/api/segments", params={"year": 2025}, headers=headers["auditor"]).json()
    assert [s["code"] for s in now["items"]] == ["A", "B", "C"]
    later = client.get("/api/segments", params={"year": 2027}, headers=headers["planner"])
    assert {s["name_nl"] for s in later.json()["items"]} == {
        "Specialistisch veelvoorkomend",
        "Specialistisch hoogcomplex",
        "Dagbehandeling en dagbesteding",
        "Onderwijs-jeugdhulp",
    }
    assert all("not public" in s["note"] for s in later.json()["items"])

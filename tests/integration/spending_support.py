"""A small registry written straight into the tables, and CSV helpers, for the spending,
contracts and reconciliation tests (fast: no geodata load).

Two municipalities: 's-Gravenhage with two lots (lot 2 covers only access and specialist) and
Delft with one area and no lot; an adopted allocation for 2025.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, select, text
from sqlmodel import Session

from populatie.allocations.models import Adoption, AllocationRun, RunArea
from populatie.contracts.service import ContractInput, create_contract
from populatie.db import session_scope
from populatie.districts.models import District, Municipality
from populatie.registry.models import Area, AreaDistrict, Lot, Partnership

HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description"
)
KRACHT = "Kracht voor Jeugd en Gezin"
RONDOMJOU = "RondomJou"
INCLUZIO = "Incluzio Randstad B.V."
JEUGDFORMAAT = "Stichting Jeugdformaat"
SUBCONTRACTOR = "Onderaannemer Test B.V."

# (area, domain) → adopted cents for 2025
ALLOCATED = {
    ("GM0518-L1", "prevention"): 1_000_000_00,
    ("GM0518-L1", "access"): 2_000_000_00,
    ("GM0518-L1", "specialist"): 7_000_000_00,
    ("GM0518-L2", "prevention"): 500_000_00,
    ("GM0518-L2", "access"): 1_500_000_00,
    ("GM0518-L2", "specialist"): 4_000_000_00,
    ("GM0503-A", "prevention"): 300_000_00,
    ("GM0503-A", "access"): 700_000_00,
    ("GM0503-A", "specialist"): 2_000_000_00,
}
SPENDING_TABLES = (
    "spending_duplicate",
    "spending",
    "spending_import_month",
    "spending_month",
    "spending_import",
    "audit_event",
)


def seed_registry(engine: Engine, *, adopted: bool = True) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        s.add_all(
            [
                Municipality(code="GM0518", name="'s-Gravenhage"),
                Municipality(code="GM0503", name="Delft"),
                Partnership(
                    name=KRACHT,
                    lead_member=INCLUZIO,
                    members=[INCLUZIO],
                    subcontractors=[SUBCONTRACTOR],
                ),
                Partnership(name=RONDOMJOU, lead_member=JEUGDFORMAAT, members=[JEUGDFORMAAT]),
            ]
        )
        s.flush()
        for code, municipality in (
            ("WK051801", "GM0518"),
            ("WK051802", "GM0518"),
            ("WK051811", "GM0518"),
            ("WK050301", "GM0503"),
        ):
            s.add(District(code=code, name=code, municipality_code=municipality, vintage=2024))
        s.add_all(
            [
                Area(
                    code="GM0518-L1",
                    name="lot 1",
                    municipality_code="GM0518",
                    partnership_name=KRACHT,
                ),
                Area(
                    code="GM0518-L2",
                    name="lot 2",
                    municipality_code="GM0518",
                    partnership_name=RONDOMJOU,
                ),
                Area(code="GM0503-A", name="Delft", municipality_code="GM0503"),
            ]
        )
        s.flush()
        s.add_all(
            [
                AreaDistrict(area_code="GM0518-L1", district_code="WK051801"),
                AreaDistrict(area_code="GM0518-L1", district_code="WK051802"),
                AreaDistrict(area_code="GM0518-L2", district_code="WK051811"),
                AreaDistrict(area_code="GM0503-A", district_code="WK050301"),
                Lot(
                    municipality_code="GM0518",
                    number=1,
                    area_code="GM0518-L1",
                    partnership_name=KRACHT,
                    domains=["prevention", "access", "specialist"],
                ),
                Lot(
                    municipality_code="GM0518",
                    number=2,
                    area_code="GM0518-L2",
                    partnership_name=RONDOMJOU,
                    domains=["access", "specialist"],
                ),
            ]
        )
        if adopted:
            s.add(
                AllocationRun(
                    id="run-2025",
                    year=2025,
                    municipalities=["GM0518", "GM0503"],
                    created_at=now,
                    created_by="test",
                    data_vintage=2024,
                    data_hash="0" * 64,
                    content_hash="0" * 64,
                    config_snapshot={},
                    budget_cents={},
                )
            )
            s.flush()
            for (area, domain), cents in ALLOCATED.items():
                s.add(
                    RunArea(
                        run_id="run-2025",
                        area_code=area,
                        domain=domain,
                        municipality_code="GM0503" if area.startswith("GM0503") else "GM0518",
                        need=1.0,
                        target_cents=float(cents),
                        amount_cents=cents,
                    )
                )
            for municipality in ("GM0518", "GM0503"):
                s.add(
                    Adoption(
                        year=2025,
                        municipality_code=municipality,
                        run_id="run-2025",
                        adopted_at=now,
                        adopted_by="test",
                    )
                )


def add_contract(engine: Engine, reference: str, lot: str = "GM0518/1", **terms: Any) -> None:
    data = {
        "reference": reference,
        "lot": lot,
        "starts_on": date(2024, 1, 1),
        "ends_on": date(2026, 12, 31),
        "funding_form": "population-based",
        **terms,
    }
    with session_scope(engine) as s:
        create_contract(s, ContractInput(**data), "test")


def row(**values: str) -> str:
    """One CSV line, valid unless ``values`` spoil it."""
    fields = {
        "booking_date": "2025-03-14",
        "municipality": "GM0518",
        "district": "WK051801",
        "reference": "C-1",
        "domain": "specialist",
        "provider": INCLUZIO,
        "amount": "1234.56",
        "invoice_reference": "INV-1",
        "description": "trajectory fee",
        **values,
    }
    return ",".join(fields[name] for name in HEADER.split(","))


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes to, in a stable order."""
    meta = MetaData()
    meta.reflect(engine, only=list(SPENDING_TABLES))
    with engine.connect() as conn:
        return {
            name: sorted(
                (tuple(map(str, r)) for r in conn.execute(select(meta.tables[name]))),
            )
            for name in SPENDING_TABLES
        }


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def session_of(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)

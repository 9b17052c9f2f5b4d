"""The provider cells: the migration that made them fills them from the figures stored before,
as the import would have, and the import recomputes them when a year before arrives later."""

from __future__ import annotations

import random
from typing import Any

from alembic import command
from sqlalchemy import Engine, select
from sqlmodel import Session

from populatie.configuration import load_config
from populatie.db import alembic_config, migrate, session_scope
from populatie.districts.service import load_districts
from populatie.kpis import views
from populatie.kpis.models import KpiProviderCell
from populatie.kpis.provider_cells import refresh_provider_cells, slices_of
from populatie.kpis.service import import_figures
from populatie.registry.service import sync_registry
from tests.conftest import ROOT
from tests.integration.test_kpi_views_oracle import draws, insert_figures
from tests.integration.test_kpis import COST, KRACHT, REGISTER, csv_bytes, load_all

TABLE = KpiProviderCell.__table__  # type: ignore[attr-defined]
KEY = len(TABLE.primary_key.columns)


def _cells(engine: Engine) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every cell by its key, its numbers as Python integers on either database."""
    with Session(engine) as session:
        return {
            tuple(row[:KEY]): tuple(int(v) if isinstance(v, int) else v for v in row[KEY:])
            for row in session.execute(select(*TABLE.columns))
        }


def test_the_migration_fills_the_cells_as_the_import_would(engine: Engine) -> None:
    # Figures stored before the cells existed: the schema one revision back.
    command.downgrade(alembic_config(engine), "0017")
    rows = draws(random.Random(11))
    with session_scope(engine) as session:
        load_districts(session, ROOT / "geodata", "test")
        sync_registry(session, load_config(ROOT / "config"))
        insert_figures(session, rows, "before-0018")
    migrate(engine)
    filled = _cells(engine)
    # Both scopes: every viewer's, and each partnership's own; and some with a year before.
    assert {key[2] for key in filled} == {"", KRACHT, "RondomJou"}
    assert any(cell[-1] is not None for cell in filled.values())
    assert any(cell[-1] is None for cell in filled.values())
    with session_scope(engine) as session:
        refresh_provider_cells(session)
    assert _cells(engine) == filled
    with session_scope(engine) as session:
        written = ((r["kpi_code"], r["segment_code"], r["provider"], r["period"]) for r in rows)
        refresh_provider_cells(session, slices_of(written))
    assert _cells(engine) == filled


def test_a_year_before_imported_later_stands_beside_the_year_after(loaded: Engine) -> None:
    load_all(loaded)
    provider = "Incluzio Randstad B.V."
    earlier = ("2024-06", KRACHT, provider, "B", "", "", COST, "", "2500000", "20", "")
    import_figures(loaded, csv_bytes([earlier]), "2024.csv", REGISTER, actor="t", role="cli")
    for viewer in (None, KRACHT):
        with Session(loaded) as session:
            view = views.provider_comparison(session, REGISTER, viewer, kpi=COST, segment="B")
        point = {s.provider: s.points for s in view.providers}[provider]
        assert [(p.period, p.value, p.previous_year) for p in point] == [
            ("2025-06", 1500.0, 1250.0)
        ]

"""The district mapping as the load stores it, re-expressing a past run, and its CLI command."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from populatie.allocations.models import AllocationRun, RunDistrictNeed
from populatie.db import session_scope
from populatie.districts.models import DataLoad, DistrictMapping, DistrictShape
from populatie.districts.service import load_districts, remap_run_need, stored_mapping
from populatie.errors import DataError, NotFoundError
from populatie.geo import load_geodata
from populatie.geo.harmonise import municipality_totals, vintage_mappings
from tests.integration.conftest import GEODATA, run_cli

FOUR = ["GM0518", "GM0603", "GM0629", "GM1916"]


def _rows(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(DistrictMapping)).scalar_one())


def test_load_maps_2016_onto_2023_for_the_four_municipalities(session: Session) -> None:
    mapping = stored_mapping(session)
    assert sorted(mapping["municipality_code"].unique()) == FOUR
    assert set(zip(mapping["old_vintage"], mapping["new_vintage"], strict=True)) == {(2016, 2023)}
    kept = mapping[mapping["share"] > 0]
    per_municipality = kept.groupby("municipality_code").agg(
        old=("old_code", "nunique"), new=("new_code", "nunique")
    )
    assert per_municipality.to_dict("index") == {
        "GM0518": {"old": 44, "new": 44},
        "GM0603": {"old": 9, "new": 11},
        "GM0629": {"old": 2, "new": 2},
        "GM1916": {"old": 12, "new": 13},
    }
    sums = mapping.groupby("old_code")["share"].sum()
    assert sums.to_numpy() == pytest.approx(np.ones(len(sums)))
    assert (
        mapping["method"]
        .str.startswith("area-weighted overlay of CBS 2016 boundaries onto 2023 boundaries")
        .all()
    )
    # Water-only districts take nobody: their parts are stored, with share 0.
    water = mapping[mapping["new_code"].isin(["WK051899", "WK062999"])]
    assert (water["share"] == 0).all()
    assert set(water["status"]) <= {"sliver", "uninhabited"}


def test_stored_mapping_is_the_computed_one(session: Session) -> None:
    dataset = load_geodata(GEODATA)
    computed = vintage_mappings(dataset.shapes, uninhabited={2023: ["WK051899", "WK062999"]})
    stored = stored_mapping(session)
    key = ["old_code", "new_code"]
    left = computed.sort_values(key, ignore_index=True)
    right = stored.sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(left[list(right.columns)], right, check_exact=False, rtol=1e-9)


def test_rijswijk_matched_by_ground_not_by_code(session: Session) -> None:
    rijswijk = stored_mapping(session, municipality="GM0603")
    old = rijswijk[(rijswijk["old_code"] == "WK060303") & (rijswijk["share"] > 0)]
    assert dict(zip(old["new_code"], old["share"].round(3), strict=True)) == {
        "WK060304": 0.893,
        "WK060306": 0.107,
    }
    # The 2023 WK060303 is mostly what was WK060309's ground in 2016.
    new = rijswijk[(rijswijk["new_code"] == "WK060303") & (rijswijk["share"] > 0)]
    assert list(new["old_code"]) == ["WK060309"]
    assert stored_mapping(session, municipality="GM0503").empty


def test_reload_replaces_the_mapping(loaded: Engine, tmp_path: Path) -> None:
    with Session(loaded) as session:
        before = _rows(session)
    assert before > 0
    with session_scope(loaded) as session:
        session.execute(delete(DataLoad))
        outcome = load_districts(session, GEODATA, "test")
    assert outcome.loaded
    assert outcome.mapping_rows == before
    assert f"{before} rows mapping districts" in outcome.summary()
    assert any(line.startswith("GM0603 Rijswijk: 9 districts of 2016") for line in outcome.report)
    with Session(loaded) as session:
        assert _rows(session) == before


def test_a_failed_load_keeps_the_mapping(loaded: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "geodata"
    broken.mkdir()
    for source in GEODATA.iterdir():
        if source.is_file():
            (broken / source.name).write_bytes(source.read_bytes())
    table = broken / "kwb_2024_h10_wijken.csv"
    text = table.read_text(encoding="utf-8").replace(",13935,", ",-13935,", 1)
    table.write_text(text, encoding="utf-8")
    with Session(loaded) as session:
        before = _rows(session)
    with pytest.raises(DataError, match="13935"), session_scope(loaded) as session:
        load_districts(session, broken, "test")
    with Session(loaded) as session:
        assert _rows(session) == before


def _past_run(session: Session, need: pd.DataFrame) -> str:
    """A run computed when Rijswijk still had its nine 2016 districts."""
    run_id = "past-run-on-2016-districts"
    session.add(
        AllocationRun(
            id=run_id,
            year=2017,
            municipalities=["GM0603"],
            created_at=datetime(2016, 11, 1, tzinfo=UTC),
            created_by="test",
            data_vintage=2016,
            data_hash="0" * 64,
            content_hash="0" * 64,
            config_snapshot={},
            budget_cents={},
        )
    )
    session.flush()
    for row in need.to_dict("records"):
        session.add(
            RunDistrictNeed(
                run_id=run_id,
                district_code=str(row["district_code"]),
                domain=str(row["domain"]),
                area_code="GM0603",
                need=float(row["need"]),
            )
        )
    session.flush()
    return run_id


def test_a_past_run_is_re_expressed_on_the_new_districts(session: Session) -> None:
    codes = sorted(
        session.execute(
            select(DistrictShape.district_code).where(
                col(DistrictShape.municipality_code) == "GM0603", col(DistrictShape.vintage) == 2016
            )
        ).scalars()
    )
    assert len(codes) == 9
    rng = np.random.default_rng(2017)
    need = pd.DataFrame(
        [
            {"domain": domain, "district_code": code, "need": float(rng.uniform(1e5, 1e6))}
            for domain in ("prevention", "access", "specialist")
            for code in codes
        ]
    )
    run_id = _past_run(session, need)
    on_2023 = remap_run_need(session, run_id, old_vintage=2016, new_vintage=2023)
    assert on_2023["district_code"].nunique() == 11
    assert on_2023["need"].notna().all()
    pd.testing.assert_series_equal(
        municipality_totals(need, value_column="need", by=["domain"]),
        municipality_totals(on_2023, value_column="need", by=["domain"]),
    )
    # The 2023 WK060303 gets 31 % of the 2016 WK060309's need and nothing of the old WK060303.
    old = need.set_index(["domain", "district_code"])["need"]
    new = on_2023.set_index(["domain", "district_code"])["need"]
    assert new[("access", "WK060303")] == pytest.approx(0.31 * old[("access", "WK060309")], 0.01)
    with pytest.raises(NotFoundError, match="no per-district need"):
        remap_run_need(session, "no-such-run", old_vintage=2016, new_vintage=2023)
    with pytest.raises(NotFoundError, match="no mapping of 2016 districts onto 2025"):
        remap_run_need(session, run_id, old_vintage=2016, new_vintage=2025)
    # Codes of a municipality the mapping does not cover are named, not passed through.
    session.add(
        RunDistrictNeed(
            run_id=run_id, district_code="WK050311", domain="access", area_code="x", need=1.0
        )
    )
    session.flush()
    with pytest.raises(DataError, match=r"no mapping of 2016 district\(s\) WK050311"):
        remap_run_need(session, run_id, old_vintage=2016, new_vintage=2023)
    only = remap_run_need(
        session, run_id, old_vintage=2016, new_vintage=2023, municipalities=["GM0603"]
    )
    assert len(only) == len(on_2023)


# --- the command ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mapping-cli")
    loaded = run_cli(folder, "load")
    assert loaded.returncode == 0, loaded.stderr
    assert "WK060303 (2016) onto WK060304 89.3%, WK060306 10.7% (2023)" in loaded.stdout
    return folder


def test_cli_mapping_csv(cli_db: Path) -> None:
    done = run_cli(cli_db, "districts", "mapping", "--municipality", "GM0603", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 13
    assert {r["municipality_code"] for r in rows} == {"GM0603"}
    assert {r["status"] for r in rows} == {"overlap"}
    assert len({r["new_code"] for r in rows}) == 11
    everything = run_cli(
        cli_db, "districts", "mapping", "--municipality", "GM0603", "--format", "csv", "--all"
    )
    all_rows = list(csv.DictReader(io.StringIO(everything.stdout)))
    assert {r["status"] for r in all_rows} == {"overlap", "sliver"}
    assert sum(float(r["share"]) for r in all_rows) == pytest.approx(9.0)


def test_cli_mapping_table_and_errors(cli_db: Path) -> None:
    done = run_cli(cli_db, "districts", "mapping", "--municipality", "GM1916")
    assert done.returncode == 0, done.stderr
    assert "WK191609 (2016)" in done.stdout
    assert "WK191613 (2023)" in done.stdout
    assert "area-weighted overlay of CBS 2016 boundaries onto 2023 boundaries" in done.stdout
    none = run_cli(cli_db, "districts", "mapping", "--municipality", "GM0503")
    assert none.returncode == 0
    assert "no district mapping stored for GM0503" in none.stdout
    wrong = run_cli(cli_db, "districts", "mapping", "--municipality", "GM9999")
    assert wrong.returncode == 2
    assert "GM9999: not one of the H10 municipalities" in wrong.stderr

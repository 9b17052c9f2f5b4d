"""Allocation runs on neighbourhoods (``allocation_unit = "neighbourhood"``), on SQLite and
PostgreSQL.

The neighbourhood file is constructed, not CBS figures: every district of the shipped 2024
file is split into two made-up neighbourhoods (``…01`` with 40 % of its inhabitants, ``…02``
with the rest), and the other counts are fixed, made-up shares of the inhabitants. Only the
district codes and inhabitants come from the shipped file.
"""

from __future__ import annotations

import csv
import math
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import AllocationRun, RunArea, RunDistrictCount, RunDistrictNeed
from populatie.budget_totals.service import seed_totals
from populatie.configuration import DOMAINS, RegionConfig, load_config
from populatie.db import session_scope
from populatie.districts.models import Neighbourhood
from populatie.districts.service import load_districts, stored_neighbourhoods
from populatie.errors import ConfigurationError
from populatie.geo import DATA_FILES
from populatie.planning.inputs import run_inputs
from populatie.registry.service import sync_registry
from tests.integration.conftest import CONFIG, GEODATA

YEAR = 2025
FILE = "kwb_2024_h10_buurten_fetched.csv"
#: Made-up shares of the inhabitants (constructed, not CBS's).
SHARES = {
    "a_00_14": 0.16,
    "a_15_24": 0.12,
    "a_hh": 0.45,
    "a_hh_m_k": 0.12,
    "a_soz_bb": 0.03,
    "a_jz_tn": 0.02,
}
LOW_INCOME_PCT = 6.0
INDICATOR = {
    "a_inw": "inhabitants",
    "a_00_14": "young_0_14",
    "a_15_24": "young_15_24",
    "a_hh_m_k": "households_with_children",
    "a_soz_bb": "social_assistance",
    "a_jz_tn": "youth_care_users",
}
HEADER = ["buurt_code", "buurt_name", "wijk_code", "gm_code", "gm_name", "year", "source_table"]


def _districts() -> list[dict[str, str]]:
    with (GEODATA / "kwb_2024_h10_wijken.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def constructed() -> dict[str, dict[str, object]]:
    """Neighbourhood code → its row of the constructed file."""
    rows: dict[str, dict[str, object]] = {}
    for district in _districts():
        inhabitants = int(district["a_inw"])
        first = round(inhabitants * 0.4)
        for suffix, people in (("01", first), ("02", inhabitants - first)):
            code = "BU" + district["wijk_code"][2:] + suffix
            row: dict[str, object] = {
                "buurt_code": code,
                "buurt_name": f"Buurt {suffix}",
                "wijk_code": district["wijk_code"],
                "gm_code": district["gm_code"],
                "gm_name": district["gm_name"],
                "year": 2024,
                "source_table": "85984NED",
                "a_inw": people,
                "p_hh_lkk": LOW_INCOME_PCT,
            }
            row |= {column: round(people * share) for column, share in SHARES.items()}
            rows[code] = row
    return rows


def write_neighbourhoods(folder: Path, rows: dict[str, dict[str, object]]) -> None:
    columns = [*HEADER, "a_inw", *SHARES, "p_hh_lkk"]
    with (folder / FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows.values())


def counts(row: dict[str, object]) -> dict[str, float]:
    """The row's counts by indicator, with the two figures the load derives, derived here."""
    values = {name: float(str(row[column])) for column, name in INDICATOR.items()}
    values["young_population"] = values["young_0_14"] + values["young_15_24"]
    values["low_income_households"] = LOW_INCOME_PCT / 100.0 * float(str(row["a_hh"]))
    return values


def neighbourhood_config() -> RegionConfig:
    return load_config(CONFIG).model_copy(update={"allocation_unit": "neighbourhood"})


def _load(engine: Engine, folder: Path) -> None:
    config = load_config(CONFIG)
    with session_scope(engine) as session:
        load_districts(session, folder, "test")
        sync_registry(session, config)
        seed_totals(session, config, "test")


def _folder(tmp_path: Path, rows: dict[str, dict[str, object]] | None) -> Path:
    folder = tmp_path / "geodata"
    folder.mkdir()
    for name in DATA_FILES:
        shutil.copyfile(GEODATA / name, folder / name)
    if rows is not None:
        write_neighbourhoods(folder, rows)
    return folder


@pytest.fixture
def rows() -> dict[str, dict[str, object]]:
    return constructed()


@pytest.fixture
def with_neighbourhoods(
    engine: Engine, tmp_path: Path, rows: dict[str, dict[str, object]]
) -> Engine:
    _load(engine, _folder(tmp_path, rows))
    return engine


def test_a_neighbourhood_run_divides_each_budget_to_the_cent_over_its_neighbourhoods(
    with_neighbourhoods: Engine, rows: dict[str, dict[str, object]]
) -> None:
    config = neighbourhood_config()
    district_of_record = {d["wijk_code"]: d["gm_code"] for d in _districts()}
    area_of_district = config.district_areas(district_of_record)
    with session_scope(with_neighbourhoods) as session:
        assert stored_neighbourhoods(session) == {c: str(r["wijk_code"]) for c, r in rows.items()}
        run = service.create_run(session, config, YEAR, None, "test")
        run_id = run.id
    with Session(with_neighbourhoods) as session:
        stored = session.get(AllocationRun, run_id)
        assert stored is not None
        assert stored.allocation_unit == "neighbourhood"
        assert any("allocation unit: neighbourhood" in note for note in stored.notes)
        areas = list(
            session.execute(select(RunArea).where(col(RunArea.run_id) == run_id)).scalars()
        )
        needs = list(
            session.execute(
                select(RunDistrictNeed).where(col(RunDistrictNeed.run_id) == run_id)
            ).scalars()
        )
        # Every municipality's budget per domain, to the cent.
        for municipality in config.municipality_codes():
            expected = config.budget_cents(YEAR, municipality)
            for domain in DOMAINS:
                total = sum(
                    a.amount_cents
                    for a in areas
                    if a.municipality_code == municipality and a.domain == domain
                )
                assert total == expected[domain], (municipality, domain)
        # Every neighbourhood exactly once per domain, in the area of its district.
        for domain in DOMAINS:
            of_domain = [n for n in needs if n.domain == domain]
            assert sorted(n.district_code for n in of_domain) == sorted(rows)
            for n in of_domain:
                assert n.area_code == area_of_district[str(rows[n.district_code]["wijk_code"])]
        # The need per neighbourhood is count × rate of the municipality's model, and an
        # area's need is the sum over its neighbourhoods.
        area_need: dict[tuple[str, str], float] = defaultdict(float)
        for n in needs:
            row = rows[n.district_code]
            model = "gm0518" if row["gm_code"] == "GM0518" else "region"
            rates = config.models[model].rates[n.domain]
            figures = counts(row)
            expected_need = sum(rate * figures[k] for k, rate in rates.items())
            assert math.isclose(n.need, expected_need, rel_tol=1e-9, abs_tol=1e-6), n
            area_need[(n.area_code, n.domain)] += expected_need
        for a in areas:
            assert math.isclose(a.need, area_need[(a.area_code, a.domain)], rel_tol=1e-9)
        # The run kept its neighbourhood counts, derived ones labelled.
        derived = session.execute(
            select(func.count())
            .select_from(RunDistrictCount)
            .where(col(RunDistrictCount.run_id) == run_id)
            .where(col(RunDistrictCount.indicator) == "low_income_households")
            .where(col(RunDistrictCount.derived))
        ).scalar_one()
        assert derived == len(rows)
        # The planner tools rebuild it from what it stored, to the cent.
        rebuilt = run_inputs(session, run_id)
        gm0629 = rebuilt.municipalities["GM0629"].inputs
        assert gm0629.unit_keys is not None
        assert set(gm0629.unit_keys) == {c for c in rows if c.startswith("BU0629")}


def test_the_district_stays_the_default_with_neighbourhoods_loaded(
    with_neighbourhoods: Engine,
) -> None:
    config = load_config(CONFIG)
    with session_scope(with_neighbourhoods) as session:
        run = service.create_run(session, config, YEAR, ["GM0629"], "test")
        assert run.allocation_unit == "district"
        codes = set(
            session.execute(
                select(col(RunDistrictNeed.district_code)).where(
                    col(RunDistrictNeed.run_id) == run.id
                )
            ).scalars()
        )
    assert codes == {d["wijk_code"] for d in _districts() if d["gm_code"] == "GM0629"}


def test_a_neighbourhood_outside_every_district_is_refused_and_nothing_is_written(
    engine: Engine, tmp_path: Path, rows: dict[str, dict[str, object]]
) -> None:
    stray = dict(rows["BU06290101"]) | {"buurt_code": "BU06299901", "wijk_code": "WK062999"}
    _load(engine, _folder(tmp_path, rows | {"BU06299901": stray}))
    with session_scope(engine) as session:
        assert session.get(Neighbourhood, "BU06299901") is not None
    with pytest.raises(ConfigurationError) as raised, session_scope(engine) as session:
        service.create_run(session, neighbourhood_config(), YEAR, None, "test")
    assert (
        "neighbourhood BU06299901 lies in district WK062999, which is not a district of record"
        in raised.value.message
    )
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(AllocationRun)).scalar_one() == 0


def test_neighbourhoods_chosen_but_none_loaded_is_a_clear_error(
    engine: Engine, tmp_path: Path
) -> None:
    _load(engine, _folder(tmp_path, None))
    with (
        pytest.raises(ConfigurationError, match="holds no neighbourhoods"),
        session_scope(engine) as session,
    ):
        service.create_run(session, neighbourhood_config(), YEAR, None, "test")

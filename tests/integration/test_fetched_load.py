"""A fetched vintage loaded next to the shipped files, on SQLite and PostgreSQL.

The CBS answers are constructed (see ``tests/data/cbs/README.md``): the district codes, names
and inhabitants are the shipped 2024 file's, the other counts are made up as fixed shares of
the inhabitants, and one figure is suppressed. Nothing here is a CBS figure beyond what the
shipped file already holds.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.budget_totals.service import seed_totals
from populatie.cbs.figures import fetch_figures
from populatie.configuration import load_config
from populatie.db import session_scope
from populatie.districts.models import District, DistrictMapping, IndicatorFigure
from populatie.districts.service import load_districts
from populatie.geo import DATA_FILES
from populatie.geo.region import MUNICIPALITIES
from tests.cbs_recorded import quick_sources, recorded
from tests.integration.conftest import CONFIG, GEODATA

BASE = "https://opendata.cbs.nl/ODataFeed/odata/85984NED"
SUPPRESSED = ("WK050311", "JongerenMetJeugdzorgInNatura_91")
#: Made-up shares of the inhabitants for the constructed answers (illustrative, not CBS's).
SHARES = {
    "k_0Tot15Jaar_8": 0.16,
    "k_15Tot25Jaar_9": 0.12,
    "HuishoudensTotaal_29": 0.45,
    "HuishoudensMetKinderen_32": 0.12,
    "PersonenPerSoortUitkeringBijstand_87": 0.03,
    "JongerenMetJeugdzorgInNatura_91": 0.02,
}


def _shipped_2024() -> list[dict[str, str]]:
    with (GEODATA / "kwb_2024_h10_wijken.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rows() -> list[dict[str, Any]]:
    rows = []
    for number, shipped in enumerate(_shipped_2024(), 1):
        code = shipped["wijk_code"]
        inhabitants = int(shipped["a_inw"])
        row: dict[str, Any] = {
            "ID": number,
            "WijkenEnBuurten": code.ljust(10),
            "Gemeentenaam_1": shipped["gm_name"].ljust(40),
            "SoortRegio_2": "Wijk".ljust(10),
            "AantalInwoners_5": inhabitants,
            "Mannen_6": int(shipped["a_man"]),
            "Vrouwen_7": int(shipped["a_vrouw"]),
            "Woningvoorraad_35": int(shipped["woningvoorraad"]),
            "HuishoudensMetEenLaagInkomen_84": 6.0,
            "OppervlakteLand_113": int(shipped["opp_land_ha"]),
        }
        row |= {key: round(inhabitants * share) for key, share in SHARES.items()}
        if code == SUPPRESSED[0]:
            row[SUPPRESSED[1]] = None
        rows.append(row)
    return rows


class Constructed:
    def __init__(self) -> None:
        self.rows = _rows()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        resource = request.url.path.rsplit("/", 1)[1]
        if resource == "DataProperties":
            return httpx.Response(200, json=recorded("85984NED_DataProperties.json"))
        if resource == "WijkenEnBuurten":
            names = [
                {"Key": r["wijk_code"].ljust(10), "Title": r["wijk_name"]} for r in _shipped_2024()
            ]
            return httpx.Response(200, json={"value": names})
        if request.url.params.get("$skip") == "100":
            return httpx.Response(200, json={"value": self.rows[100:]})
        link = f"{BASE}/TypedDataSet?$format=json&$skip=100"
        return httpx.Response(200, json={"value": self.rows[:100], "odata.nextLink": link})


@pytest.fixture
def fetched_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "geodata"
    folder.mkdir()
    for name in DATA_FILES:
        shutil.copyfile(GEODATA / name, folder / name)
    with httpx.Client(transport=httpx.MockTransport(Constructed())) as client:
        fetch_figures(
            client,
            quick_sources(),
            year=2024,
            level="district",
            municipalities=sorted(MUNICIPALITIES),
            folder=folder,
            now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
            progress=lambda line: None,
        )
    return folder


def _figures(session: Session, indicator: str) -> dict[str, IndicatorFigure]:
    rows = session.execute(
        select(IndicatorFigure)
        .where(col(IndicatorFigure.vintage) == 2024)
        .where(col(IndicatorFigure.indicator) == indicator)
    ).scalars()
    return {r.district_code: r for r in rows}


def test_a_fetched_vintage_loads_next_to_the_shipped_one(
    engine: Engine, fetched_folder: Path
) -> None:
    with session_scope(engine) as session:
        outcome = load_districts(session, fetched_folder, "test")
    assert outcome.loaded
    assert any("kwb_2024_h10_wijken_fetched.csv" in line for line in outcome.report)
    rows = Constructed().rows
    with Session(engine) as session:
        assert len(session.execute(select(District.code)).all()) == len(rows)
        inhabitants = _figures(session, "inhabitants")
        young = _figures(session, "young_0_14")
        low_income = _figures(session, "low_income_households")
        youth_care = _figures(session, "youth_care_users")
        mapping = session.execute(select(DistrictMapping)).scalars().all()

    # Every municipality keeps its total: one inhabitants figure per district, none doubled.
    expected: dict[str, float] = defaultdict(float)
    for row in rows:
        expected["GM" + row["WijkenEnBuurten"][2:6]] += row["AantalInwoners_5"]
    loaded: dict[str, float] = defaultdict(float)
    for figure in inhabitants.values():
        loaded[figure.municipality_code] += figure.value
        assert not figure.derived
    assert loaded == expected

    # The nine other municipalities now have the age groups, published, not derived.
    by_code = {str(r["WijkenEnBuurten"]).strip(): r for r in rows}
    for code, figure in young.items():
        assert figure.value == by_code[code]["k_0Tot15Jaar_8"]
        assert not figure.derived, code
    assert {f.municipality_code for f in young.values()} == set(MUNICIPALITIES)

    # Low income comes as a percentage: its count is derived, and says so.
    for code, figure in low_income.items():
        assert figure.derived
        assert figure.derivation.startswith("p_hh_lkk")
        assert figure.value == pytest.approx(6.0 / 100 * by_code[code]["HuishoudensTotaal_29"])

    # The suppressed figure is not 0: the load fills it openly from the municipal ratio.
    code = SUPPRESSED[0]
    filled = youth_care[code]
    assert filled.derived
    assert "not published" in filled.derivation
    delft = [
        r for r in rows if r["WijkenEnBuurten"].startswith("WK0503") and r is not by_code[code]
    ]
    ratio = sum(r[SUPPRESSED[1]] for r in delft) / sum(r["AantalInwoners_5"] for r in delft)
    assert filled.value == pytest.approx(ratio * by_code[code]["AantalInwoners_5"])

    # Redrawn districts are mapped as with the shipped data alone (2016 → 2023 by geometry).
    rijswijk = [m for m in mapping if m.old_code == "WK060309" and m.old_vintage == 2016]
    assert sum(m.share for m in rijswijk) == pytest.approx(1.0)
    assert {m.new_code for m in rijswijk if m.share > 0} == {"WK060303", "WK060311"}


def test_with_fetched_figures_the_nine_use_the_indicators_of_s_gravenhage(
    engine: Engine, fetched_folder: Path
) -> None:
    config = load_config(CONFIG)
    with session_scope(engine) as session:
        load_districts(session, fetched_folder, "test")
        seed_totals(session, config, "test")
        run = service.create_run(session, config, 2025, None, "test")
        notes = list(run.notes)
    region = config.models["region"]
    assert set(region.municipalities) == set(MUNICIPALITIES) - {"GM0518"}
    assert set(region.indicators()) == set(config.models["gm0518"].indicators())
    assert any(n.startswith("need model 'region'") for n in notes), notes
    assert not any("fallback" in n for n in notes), notes


def test_with_the_shipped_figures_alone_the_nine_fall_back_per_inhabitant(
    loaded: Engine,
) -> None:
    config = load_config(CONFIG)
    with session_scope(loaded) as session:
        run = service.create_run(session, config, 2025, ["GM0503", "GM0518"], "test")
        notes = list(run.notes)
    assert any(n.startswith("need model 'default' (inhabitants) for GM0503") for n in notes)
    assert any("GM0503 'region' → 'default'" in n for n in notes), notes
    assert not any("GM0518 'gm0518'" in n for n in notes)

"""Loading the shipped CBS data into SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.configuration import load_config
from populatie.db import session_scope
from populatie.districts.models import DataLoad, District, DistrictShape, IndicatorFigure
from populatie.districts.service import load_districts
from populatie.errors import ConfigurationError, DataError
from populatie.registry.models import Area, AreaDistrict
from populatie.registry.service import sync_registry
from tests.integration.conftest import CONFIG, GEODATA, write_config


def _count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_load_stores_every_district_of_record_with_its_figures(session: Session) -> None:
    assert _count(session, District) == 123
    per_municipality = dict(
        session.execute(
            select(District.municipality_code, func.count()).group_by(
                col(District.municipality_code)
            )
        ).all()
    )
    assert per_municipality["GM0518"] == 44
    assert per_municipality["GM0603"] == 11
    assert per_municipality["GM1916"] == 13
    # Every district of record has a shape from some vintage; the three redrawn ones from 2023.
    no_shape = session.execute(
        select(District.code).where(col(District.shape_vintage).is_(None))
    ).all()
    assert no_shape == []
    redrawn = session.execute(
        select(District.code, District.shape_vintage).where(
            col(District.code).in_(["WK060310", "WK060311", "WK191613"])
        )
    ).all()
    assert {vintage for _, vintage in redrawn} == {2023}
    assert _count(session, DistrictShape) == 192


def test_published_figures_are_not_derived_and_derived_ones_say_how(session: Session) -> None:
    inhabitants = session.get(IndicatorFigure, ("WK051802", 2024, "inhabitants"))
    assert inhabitants is not None
    assert inhabitants.value == 8385
    assert not inhabitants.derived
    assert inhabitants.source_table == "85984NED"
    young = session.get(IndicatorFigure, ("WK051802", 2024, "young_0_14"))
    assert young is not None
    assert young.derived
    assert "2019" in young.derivation
    # 2019 share applied to the 2024 count: 1230 / 8245 × 8385.
    assert young.value == pytest.approx(1230 / 8245 * 8385)
    # Delft has no age figures shipped: absent, not zero.
    assert session.get(IndicatorFigure, ("WK050311", 2024, "young_0_14")) is None


def test_a_suppressed_cbs_figure_is_filled_openly_as_derived(session: Session) -> None:
    filled = session.get(IndicatorFigure, ("WK051824", 2024, "youth_care_users"))
    assert filled is not None
    assert filled.derived
    assert "not published" in filled.derivation
    # The published 2019 figure stays absent: only the model's vintage is filled.
    assert session.get(IndicatorFigure, ("WK051824", 2019, "youth_care_users")) is None


def test_reloading_the_same_data_is_a_no_op(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        outcome = load_districts(session, GEODATA, "test")
    assert not outcome.loaded
    assert "already loaded" in outcome.summary()
    with Session(loaded) as session:
        assert _count(session, DataLoad) == 1
        assert _count(session, District) == 123


def test_a_failed_load_leaves_the_previous_data_standing(loaded: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "geodata"
    broken.mkdir()
    for source in GEODATA.iterdir():
        if source.is_file():
            (broken / source.name).write_bytes(source.read_bytes())
    table = broken / "kwb_2024_h10_wijken.csv"
    text = table.read_text(encoding="utf-8").replace(",13935,", ",-13935,", 1)
    table.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="13935"), session_scope(loaded) as session:
        load_districts(session, broken, "test")
    with Session(loaded) as session:
        assert _count(session, District) == 123
        assert _count(session, DataLoad) == 1


def test_registry_puts_every_district_in_exactly_one_area(session: Session) -> None:
    assert _count(session, Area) == 13
    assert _count(session, AreaDistrict) == 123
    lot1 = session.execute(
        select(AreaDistrict.district_code).where(col(AreaDistrict.area_code) == "GM0518-L1")
    ).all()
    assert len(lot1) == 14


def test_a_district_in_no_area_is_named(loaded: Engine, tmp_path: Path) -> None:
    areas = (CONFIG / "areas.toml").read_text(encoding="utf-8")
    areas = areas.replace('"WK051801", ', "", 1)
    config = load_config(write_config(tmp_path, areas))
    with pytest.raises(ConfigurationError, match=r"WK051801.*in no area"), Session(loaded) as s:
        sync_registry(s, config)


def test_a_district_in_two_areas_is_named(loaded: Engine, tmp_path: Path) -> None:
    areas = (CONFIG / "areas.toml").read_text(encoding="utf-8")
    areas = areas.replace('districts = ["WK051811", ', 'districts = ["WK051801", "WK051811", ')
    config = load_config(write_config(tmp_path, areas))
    with pytest.raises(ConfigurationError, match="WK051801 is in two areas"), Session(loaded) as s:
        sync_registry(s, config)

"""The neighbourhood (buurt) as allocation unit: the config choice, the fetched file and the
check that every neighbourhood lies in exactly one area. The answers and figures here are
constructed (see ``tests/data/cbs/README.md``), not CBS figures."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from populatie.cbs.figures import fetch_figures
from populatie.configuration import load_config
from populatie.errors import ConfigurationError, DataError
from populatie.geo.neighbourhoods import read_neighbourhoods
from tests.cbs_recorded import CONFIG, quick_sources, recorded
from tests.conftest import ROOT

#: Constructed neighbourhoods of Wassenaar's two districts.
NEIGHBOURHOODS = {
    "BU06290001": ("Buurt 01", 400, None),
    "BU06290002": ("Buurt 02", 600, 12),
    "BU06290100": ("Buurt 00", 2000, 60),
}


def _districts_of_record() -> dict[str, str]:
    with (ROOT / "geodata" / "kwb_2024_h10_wijken.csv").open(encoding="utf-8") as handle:
        return {row["wijk_code"]: row["gm_code"] for row in csv.DictReader(handle)}


def _one_each(districts: dict[str, str]) -> dict[str, str]:
    """One constructed neighbourhood per district (its code + "00")."""
    return {"BU" + code[2:] + "00": code for code in districts}


def _answer(request: httpx.Request) -> httpx.Response:
    resource = request.url.path.rsplit("/", 1)[1]
    if resource == "DataProperties":
        return httpx.Response(200, json=recorded("85984NED_DataProperties.json"))
    if resource == "WijkenEnBuurten":
        names = [{"Key": k.ljust(10), "Title": v[0]} for k, v in NEIGHBOURHOODS.items()]
        return httpx.Response(200, json={"value": names})
    rows: list[dict[str, Any]] = [
        {
            "WijkenEnBuurten": code.ljust(10),
            "Gemeentenaam_1": "Wassenaar",
            "SoortRegio_2": "Buurt     ",
            "AantalInwoners_5": inhabitants,
            "JongerenMetJeugdzorgInNatura_91": care,
        }
        for code, (_, inhabitants, care) in NEIGHBOURHOODS.items()
    ]
    return httpx.Response(200, json={"value": rows})


def _fetch(folder: Path) -> list[httpx.Request]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return _answer(request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetch_figures(
            client,
            quick_sources(),
            year=2024,
            level="neighbourhood",
            municipalities=["GM0629"],
            folder=folder,
            now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
            progress=lambda line: None,
        )
    return requests


def test_a_neighbourhood_fetch_asks_for_bu_codes_and_the_load_reads_it(tmp_path: Path) -> None:
    requests = _fetch(tmp_path)
    data = next(r for r in requests if r.url.path.endswith("/TypedDataSet"))
    assert data.url.params["$filter"] == "substringof('BU0629',WijkenEnBuurten)"
    assert (tmp_path / "kwb_2024_gm0629_buurten_fetched.csv").is_file()
    read = read_neighbourhoods(tmp_path)
    assert read.files == ("kwb_2024_gm0629_buurten_fetched.csv",)
    units = dict(zip(read.units["code"], read.units["district_code"], strict=True))
    assert units == {code: "WK" + code[2:8] for code in NEIGHBOURHOODS}
    care = read.figures[read.figures["indicator"] == "youth_care_users"]
    # The suppressed figure has no row: absent, not 0.
    assert set(care["code"]) == {c for c, (_, _, v) in NEIGHBOURHOODS.items() if v is not None}


def test_every_neighbourhood_lies_in_the_one_area_of_its_district() -> None:
    config = load_config(CONFIG)
    assert config.allocation_unit == "district"
    districts = _districts_of_record()
    neighbourhoods = _one_each(districts) | {code: "WK" + code[2:8] for code in NEIGHBOURHOODS}
    areas = config.neighbourhood_areas(neighbourhoods, districts)
    area_of = config.district_areas(districts)
    assert areas == {code: area_of[district] for code, district in neighbourhoods.items()}
    assert areas["BU06290002"] == "GM0629-A"
    assert areas["BU05180100"] == area_of["WK051801"] == "GM0518-L1"


def test_a_neighbourhood_outside_the_districts_or_a_district_without_one_is_an_error() -> None:
    config = load_config(CONFIG)
    districts = _districts_of_record()
    stray = _one_each(districts)
    del stray["BU06290100"]
    stray["BU06299900"] = "WK062999"
    with pytest.raises(ConfigurationError) as raised:
        config.neighbourhood_areas(stray, districts)
    message = raised.value.message
    assert "neighbourhood BU06299900 lies in district WK062999" in message
    assert "district WK062901 (GM0629) has no neighbourhood" in message


def test_a_neighbourhood_file_with_a_wrong_district_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kwb_2024_h10_buurten_fetched.csv").write_text(
        "buurt_code,buurt_name,wijk_code,gm_code,gm_name,year,source_table,a_inw\n"
        "BU06290001,Buurt 01,WK062901,GM0629,Wassenaar,2024,85984NED,400\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="BU06290001 lies in WK062900"):
        read_neighbourhoods(tmp_path)

"""``fetch-cbs`` on recorded OData answers (constructed fixtures): paging, suppressed figures,
columns renamed between years, retries, a 500, and the URLs and filters CBS documents."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from populatie.cbs.figures import fetch_figures
from populatie.cbs.http import SourceFailedError, SourceUnreachableError
from populatie.cbs.odata import cell, geo_filter, resolve_columns
from populatie.configuration import load_config
from populatie.errors import ConfigurationError, DataError
from populatie.geo.indicators import FETCHED_COLUMNS
from tests.cbs_recorded import CONFIG, Recorded, folder_names, quick_sources, recorded

TWO = ["GM0629", "GM1842"]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BASE = "https://opendata.cbs.nl/ODataFeed/odata"


def _fetch(recorder: Recorded, folder: Path, year: int = 2024, retries: int = 2) -> Path:
    lines: list[str] = []
    with recorder.client() as client:
        outcome = fetch_figures(
            client,
            quick_sources(retries),
            year=year,
            level="district",
            municipalities=TWO,
            folder=folder,
            now=NOW,
            progress=lines.append,
        )
    assert any("page" in line for line in lines)
    return outcome.path


def _table(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["wijk_code"]: row for row in csv.DictReader(handle)}


def _recorded_rows(*names: str) -> dict[str, dict[str, object]]:
    return {
        str(row["WijkenEnBuurten"]).strip(): row
        for name in names
        for row in recorded(name)["value"]
    }


def test_pages_are_followed_by_odata_next_link_and_every_row_is_written(tmp_path: Path) -> None:
    recorder = Recorded()
    path = _fetch(recorder, tmp_path)
    data = [r for r in recorder.requests if r.url.path.endswith("/TypedDataSet")]
    assert len(data) == 2
    page1 = recorded("85984NED_TypedDataSet_page1.json")
    assert str(data[1].url) == page1["odata.nextLink"]
    expected = _recorded_rows(
        "85984NED_TypedDataSet_page1.json", "85984NED_TypedDataSet_page2.json"
    )
    table = _table(path)
    assert sorted(table) == sorted(expected)
    for code, row in table.items():
        assert float(row["a_inw"]) == expected[code]["AantalInwoners_5"]
        assert row["gm_code"] == "GM" + code[2:6]
        assert row["year"] == "2024"
        assert row["source_table"] == "85984NED"
    dimension = recorded("85984NED_WijkenEnBuurten.json")["value"]
    names = {r["Key"].strip(): r["Title"] for r in dimension}
    assert {c: r["wijk_name"] for c, r in table.items()} == names


def test_request_urls_and_filters_are_those_cbs_documents(tmp_path: Path) -> None:
    recorder = Recorded()
    _fetch(recorder, tmp_path)
    first = recorder.requests[0]
    assert str(first.url) == f"{BASE}/85984NED/DataProperties?%24format=json"
    data = next(r for r in recorder.requests if r.url.path.endswith("/TypedDataSet"))
    assert data.url.path == "/ODataFeed/odata/85984NED/TypedDataSet"
    params = data.url.params
    assert params["$filter"] == (
        "substringof('WK0629',WijkenEnBuurten) or substringof('WK1842',WijkenEnBuurten)"
    )
    assert params["$format"] == "json"
    selected = params["$select"].split(",")
    assert selected[:3] == ["WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2"]
    assert "AantalInwoners_5" in selected
    assert "HuishoudensTotaal_29" in selected
    names = next(r for r in recorder.requests if r.url.path.endswith("/WijkenEnBuurten"))
    assert names.url.params["$filter"] == "substringof('WK0629',Key) or substringof('WK1842',Key)"


def test_a_suppressed_figure_stays_blank_never_zero(tmp_path: Path) -> None:
    table = _table(_fetch(Recorded(), tmp_path))
    rows = _recorded_rows("85984NED_TypedDataSet_page1.json", "85984NED_TypedDataSet_page2.json")
    suppressed = [
        (code, key) for code, row in rows.items() for key, value in row.items() if value is None
    ]
    assert suppressed  # the fixture has some
    columns = {"PersonenPerSoortUitkeringBijstand_87": "a_soz_bb"}
    columns |= {"JongerenMetJeugdzorgInNatura_91": "a_jz_tn"}
    columns |= {"HuishoudensMetEenLaagInkomen_84": "p_hh_lkk"}
    for code, key in suppressed:
        assert table[code][columns[key]] == ""
    provenance = json.loads(
        (tmp_path / "kwb_2024_gm0629_gm1842_wijken_fetched.provenance.json").read_text()
    )
    assert provenance["suppressed_figures"] == len(suppressed)


def test_2019_text_cells_dot_and_x_are_suppressed_figures(tmp_path: Path) -> None:
    table = _table(_fetch(Recorded(), tmp_path, year=2019))
    rows = _recorded_rows("84583NED_TypedDataSet.json")
    assert str(rows["WK062900"]["JongerenMetJeugdzorgInNatura_84"]).strip() == "."
    assert table["WK062900"]["a_jz_tn"] == ""
    assert rows["WK062901"]["PersonenPerSoortUitkeringBijstand_80"] == "x"
    assert table["WK062901"]["a_soz_bb"] == ""


def test_a_column_renamed_between_years_lands_in_the_same_column(tmp_path: Path) -> None:
    """2019 has households at ``HuishoudensTotaal_28``, 2024 at ``_29``: both become a_hh."""
    old = tmp_path / "2019"
    new = tmp_path / "2024"
    old.mkdir()
    new.mkdir()
    table_2019 = _table(_fetch(Recorded(), old, year=2019))
    table_2024 = _table(_fetch(Recorded(), new, year=2024))
    rows_2019 = _recorded_rows("84583NED_TypedDataSet.json")
    rows_2024 = _recorded_rows(
        "85984NED_TypedDataSet_page1.json", "85984NED_TypedDataSet_page2.json"
    )
    for code in rows_2019:
        assert float(table_2019[code]["a_hh"]) == rows_2019[code]["HuishoudensTotaal_28"]
        assert float(table_2024[code]["a_hh"]) == rows_2024[code]["HuishoudensTotaal_29"]
        assert float(table_2024[code]["a_hh_m_k"]) == rows_2024[code]["HuishoudensMetKinderen_32"]
    assert table_2019["WK062900"]["a_hh"] != table_2024["WK062900"]["a_hh"]


def test_a_key_at_another_position_is_taken_by_its_name_and_reported(tmp_path: Path) -> None:
    table = _table(_fetch(Recorded(), tmp_path))
    rows = _recorded_rows("85984NED_TypedDataSet_page1.json", "85984NED_TypedDataSet_page2.json")
    for code, row in rows.items():
        assert float(table[code]["opp_land_ha"]) == row["OppervlakteLand_113"]
    provenance = json.loads(next(tmp_path.glob("*.provenance.json")).read_text())
    assert provenance["columns"]["opp_land_ha"] == "OppervlakteLand_113"
    assert any("OppervlakteLand_113" in note for note in provenance["notes"])
    assert provenance["licence"] == "CC BY 4.0"
    assert provenance["table"] == "85984NED"
    assert provenance["fetched_at"] == "2026-12-02T09:00:00+00:00"
    assert provenance["url"].startswith(f"{BASE}/85984NED/TypedDataSet?")


def test_a_timeout_then_success_retries_and_writes(tmp_path: Path) -> None:
    timeout = httpx.ReadTimeout("recorded timeout")
    recorder = Recorded({"/TypedDataSet": [timeout, 503]})
    path = _fetch(recorder, tmp_path)
    assert len(_table(path)) == 4
    assert len(recorder.paths(lambda r: r.url.path.endswith("/TypedDataSet"))) == 4


def test_a_500_after_every_retry_writes_nothing(tmp_path: Path) -> None:
    recorder = Recorded({"/TypedDataSet": [500] * 3})
    with pytest.raises(SourceFailedError, match=r"HTTP 500 .* after 3 tries"):
        _fetch(recorder, tmp_path, retries=2)
    assert folder_names(tmp_path) == []


def test_a_500_on_the_second_page_writes_nothing_either(tmp_path: Path) -> None:
    class SecondPageFails(Recorded):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.params.get("$skip") == "2":
                self.requests.append(request)
                return httpx.Response(500)
            return super().__call__(request)

    with pytest.raises(SourceFailedError):
        _fetch(SecondPageFails(), tmp_path, retries=1)
    assert folder_names(tmp_path) == []


def test_no_network_is_unreachable_after_the_retries(tmp_path: Path) -> None:
    refused = [httpx.ConnectError("recorded: connection refused") for _ in range(3)]
    recorder = Recorded({"/DataProperties": refused})
    with pytest.raises(SourceUnreachableError, match="no answer after 3 tries"):
        _fetch(recorder, tmp_path, retries=2)
    assert len(recorder.requests) == 3
    assert folder_names(tmp_path) == []


def test_a_column_the_table_lacks_stops_naming_key_and_table() -> None:
    properties = recorded("85984NED_DataProperties.json")["value"]
    without = [p for p in properties if not p["Key"].startswith("JongerenMetJeugdzorg")]
    wanted = {"inhabitants": "AantalInwoners_5"}
    wanted |= {"youth_care_users": "JongerenMetJeugdzorgInNatura_91"}
    with pytest.raises(ConfigurationError, match=r"85984NED.*youth_care_users = Jongeren"):
        resolve_columns(wanted, without, "85984NED")
    resolved = resolve_columns(wanted, properties, "85984NED")
    assert resolved.keys == wanted
    assert resolved.notes == []


def test_cells() -> None:
    assert cell(None, key="k", code="c") is None
    for text in (".", "       .", "x", ""):
        assert cell(text, key="k", code="c") is None
    assert cell(0, key="k", code="c") == 0.0
    assert cell(" 12.5 ", key="k", code="c") == 12.5
    for bad in ("-", "abc", -1, True):
        with pytest.raises(DataError):
            cell(bad, key="k", code="c")


def test_geo_filter_names_every_municipality_once() -> None:
    text = geo_filter("BU", ["GM1842", "GM0518"])
    assert text == "substringof('BU0518',WijkenEnBuurten) or substringof('BU1842',WijkenEnBuurten)"


def test_every_configured_indicator_has_a_file_column() -> None:
    sources = quick_sources()
    for year in sources.years.values():
        assert set(year.indicators) <= set(FETCHED_COLUMNS)


def test_a_fallback_must_name_a_model_and_not_go_round() -> None:
    config = load_config(CONFIG)
    named, _ = config.named_model("GM0503")
    assert named == "region"
    assert config.model_for("GM0503", ["inhabitants"])[0] == "default"
    assert config.model_for("GM0503", config.model_chain("GM0503"))[0] == "region"
    assert config.model_for("GM0503")[0] == "region"  # no data said: the configured model
    data = config.model_dump()
    data["models"]["default"]["fallback"] = "region"
    with pytest.raises(ValueError, match="circle"):
        type(config).model_validate(data)
    data["models"]["default"]["fallback"] = "nothing"
    with pytest.raises(ValueError, match="'nothing' is not a model"):
        type(config).model_validate(data)

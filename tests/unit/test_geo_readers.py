"""Files in, frames out: CRS checks, located errors in files, and the content hash."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from populatie.errors import DataError
from populatie.geo import DATA_FILES, content_hash, load_geodata
from populatie.geo.readers import read_shapes, read_table

GEODATA = Path(__file__).resolve().parents[2] / "geodata"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the shipped data that a test may spoil."""
    target = tmp_path / "geodata"
    target.mkdir()
    for name in DATA_FILES:
        shutil.copyfile(GEODATA / name, target / name)
    return target


def _set_crs(path: Path, name: str | None) -> None:
    collection = json.loads(path.read_text(encoding="utf-8"))
    if name is None:
        collection.pop("crs", None)
    else:
        collection["crs"] = {"type": "name", "properties": {"name": name}}
    path.write_text(json.dumps(collection), encoding="utf-8")


def _replace_cell(path: Path, code: str, field: str, value: str) -> int:
    """Set one cell of a CSV in place; return the line it is on."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith(code + ","):
            ending = line[len(line.rstrip("\r\n")) :]
            cells = line.rstrip("\r\n").split(",")
            cells[header.index(field)] = value
            lines[number - 1] = ",".join(cells) + ending
            path.write_text("".join(lines), encoding="utf-8")
            return number
    raise AssertionError(f"{code} not in {path.name}")


def test_shipped_files_are_read_with_their_declared_crs() -> None:
    rd = read_shapes(
        GEODATA / "h10_wijken_2016.geojson", vintage=2016, expected_crs=("EPSG:28992",)
    )
    wgs = read_shapes(
        GEODATA / "hadoks_wijken_2023.geojson",
        vintage=2023,
        expected_crs=("EPSG:4326", "OGC:CRS84"),
    )
    assert rd.crs.to_epsg() == 28992
    assert wgs.crs.to_epsg() == 28992
    assert wgs["feature"].tolist()[:3] == [1, 2, 3]


@pytest.mark.parametrize(
    ("file", "crs", "expected"),
    [
        ("h10_wijken_2016.geojson", "urn:ogc:def:crs:EPSG::4326", "EPSG:28992"),
        ("h10_wijken_2016.geojson", None, "EPSG:28992"),
        ("hadoks_wijken_2023.geojson", "urn:ogc:def:crs:EPSG::3035", "EPSG:4326"),
        ("hadoks_wijken_2023.geojson", "urn:ogc:def:crs:EPSG::28992", "EPSG:4326"),
    ],
)
def test_a_map_in_another_crs_raises(
    folder: Path, file: str, crs: str | None, expected: str
) -> None:
    _set_crs(folder / file, crs)
    with pytest.raises(DataError, match=rf"{file}: CRS is .*expected {expected}") as caught:
        load_geodata(folder)
    assert caught.value.details[0]["field"] == "crs"


def test_coordinates_that_do_not_fit_the_crs_raise(folder: Path) -> None:
    # RD coordinates without a crs member: GeoJSON then means WGS 84, which cannot be right.
    shutil.copyfile(folder / "h10_wijken_2016.geojson", folder / "hadoks_wijken_2023.geojson")
    _set_crs(folder / "hadoks_wijken_2023.geojson", None)
    with pytest.raises(DataError, match=r"feature 1 \(WK050311\).*outside the Netherlands"):
        load_geodata(folder)


def test_a_bad_district_code_raises_naming_it(folder: Path) -> None:
    line = _replace_cell(folder / "kwb_2024_h10_wijken.csv", "WK050312", "wijk_code", "WK05312")
    with pytest.raises(DataError, match=f"line {line}: field 'wijk_code' = 'WK05312'") as caught:
        load_geodata(folder)
    assert caught.value.details[0]["file"] == "kwb_2024_h10_wijken.csv"
    assert caught.value.details[0]["line"] == line


def test_a_code_of_another_municipality_raises(folder: Path) -> None:
    _replace_cell(folder / "kwb_2024_h10_wijken.csv", "WK050312", "wijk_code", "WK051899")
    with pytest.raises(DataError, match=r"'WK051899': its digits do not belong to .*GM0503"):
        load_geodata(folder)


def test_a_municipality_outside_h10_raises(folder: Path) -> None:
    _replace_cell(folder / "h10_wijken_2023.csv", "WK050312", "gm_code", "GM0599")
    with pytest.raises(DataError, match=r"h10_wijken_2023\.csv.*'GM0599': not one of the ten"):
        load_geodata(folder)


def test_a_negative_count_raises_naming_line_and_field(folder: Path) -> None:
    line = _replace_cell(folder / "kwb_2019_denhaag_wijken.csv", "WK051829", "a_jz_tn", "-5")
    message = f"kwb_2019_denhaag_wijken.csv: 1 problem: line {line}: field 'a_jz_tn' = '-5'"
    with pytest.raises(DataError, match=message) as caught:
        load_geodata(folder)
    detail = caught.value.details[0]
    assert (detail["line"], detail["field"], detail["value"]) == (line, "a_jz_tn", "-5")


def test_every_bad_cell_of_a_file_is_listed(folder: Path) -> None:
    path = folder / "kwb_2024_h10_wijken.csv"
    _replace_cell(path, "WK050311", "a_man", "-1")
    _replace_cell(path, "WK050312", "woningvoorraad", "veel")
    with pytest.raises(DataError, match="2 problems") as caught:
        load_geodata(folder)
    assert [d["field"] for d in caught.value.details] == ["a_man", "woningvoorraad"]
    assert caught.value.details[1]["reason"] == "not a number"


def test_a_percentage_over_100_raises(folder: Path) -> None:
    _replace_cell(folder / "kwb_2019_denhaag_wijken.csv", "WK051829", "p_hh_lkk", "126.4")
    with pytest.raises(DataError, match=re.escape("'p_hh_lkk' = '126.4': outside [0, 100]")):
        load_geodata(folder)


def test_a_blank_cell_in_the_file_is_absent_not_zero(folder: Path) -> None:
    _replace_cell(folder / "kwb_2024_h10_wijken.csv", "WK050311", "woningvoorraad", "")
    figures = load_geodata(folder).figures
    row = figures[(figures["district_code"] == "WK050311") & (figures["vintage"] == 2024)]
    assert "dwellings" not in set(row["indicator"])
    assert "inhabitants" in set(row["indicator"])


def test_a_missing_file_raises(folder: Path) -> None:
    (folder / "h10_wijken_2023.csv").unlink()
    with pytest.raises(DataError, match=re.escape("h10_wijken_2023.csv: not found")):
        load_geodata(folder)


def test_a_ragged_csv_line_raises_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("wijk_code,a_inw\nWK050311,10\nWK050312,10,11\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("table.csv line 3: 3 cells")):
        read_table(path)


def test_tables_keep_their_line_numbers_and_text(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("wijk_code,a_inw\r\nWK050311,\r\n\r\nWK050312,0010\r\n", encoding="utf-8")
    table = read_table(path)
    assert table["line"].tolist() == [2, 4]
    assert table["a_inw"].tolist() == ["", "0010"]


def test_content_hash_follows_the_bytes_of_the_data_files(folder: Path) -> None:
    before = content_hash(folder)
    assert before == content_hash(GEODATA)
    assert len(before) == 64
    (folder / "README.md").write_text("notes change no figure", encoding="utf-8")
    assert content_hash(folder) == before
    path = folder / "h10_wijken_2023.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    assert content_hash(folder) != before


def test_the_dataset_carries_the_content_hash() -> None:
    assert load_geodata(GEODATA).content_hash == content_hash(GEODATA)

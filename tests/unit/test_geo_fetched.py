"""The loader and fetched vintages: provenance required, a partial newer year refused.
The fetched rows here are constructed, not CBS figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from populatie.errors import DataError
from populatie.geo import DATA_FILES, content_hash, load_geodata
from tests.conftest import ROOT

HEADER = "wijk_code,wijk_name,gm_code,gm_name,year,source_table,a_inw,a_00_14\n"
ROWS = (
    "WK062900,Wijk 00,GM0629,Wassenaar,{year},86165NED,1000,150\n"
    "WK062901,Wijk 01,GM0629,Wassenaar,{year},86165NED,2000,\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in DATA_FILES:
        shutil.copyfile(ROOT / "geodata" / name, tmp_path / name)
    return tmp_path


def _write(folder: Path, year: int, provenance: bool = True) -> None:
    name = f"kwb_{year}_gm0629_wijken_fetched"
    (folder / f"{name}.csv").write_text(HEADER + ROWS.format(year=year), encoding="utf-8")
    if provenance:
        record = {"table": "86165NED", "year": year, "fetched_at": "2026-12-02T09:00:00+00:00"}
        (folder / f"{name}.provenance.json").write_text(json.dumps(record), encoding="utf-8")


def test_a_fetched_file_without_its_provenance_is_refused(folder: Path) -> None:
    _write(folder, 2024, provenance=False)
    with pytest.raises(DataError, match=r"provenance .* is missing"):
        load_geodata(folder)


def test_a_newer_year_for_part_of_the_region_is_refused_naming_the_rest(folder: Path) -> None:
    _write(folder, 2025)
    with pytest.raises(DataError) as raised:
        load_geodata(folder)
    assert "cover no district of GM0503" in raised.value.message
    assert "GM0629" not in raised.value.message.split("cover no district of")[1].split(";")[0]


def test_fetched_files_are_part_of_the_content_hash(folder: Path) -> None:
    before = content_hash(folder)
    _write(folder, 2024)
    assert content_hash(folder) != before

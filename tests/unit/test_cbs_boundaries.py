"""``fetch-boundaries`` on recorded PDOK answers (constructed fixtures): paging by ``next``
links, the query PDOK documents, EPSG:28992 in and out, and a file the loader reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from populatie.cbs.boundaries import boundaries_name, fetch_boundaries
from populatie.cbs.http import SourceFailedError
from populatie.errors import DataError
from populatie.geo.readers import fetched_shape_files, fetched_water, read_shapes
from tests.cbs_recorded import Recorded, folder_names, quick_sources, recorded

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RD_NEW = "http://www.opengis.net/def/crs/EPSG/0/28992"


def _fetch(recorder: Recorded, folder: Path) -> Path:
    with recorder.client() as client:
        outcome = fetch_boundaries(
            client,
            quick_sources(),
            year=2024,
            level="district",
            municipalities=["GM1842", "GM0629"],
            folder=folder,
            now=NOW,
            progress=lambda line: None,
        )
    return outcome.path


def test_pages_follow_next_links_and_the_query_is_pdoks(tmp_path: Path) -> None:
    recorder = Recorded()
    path = _fetch(recorder, tmp_path)
    assert path.name == boundaries_name(2024, "district") == "wijken_2024_h10_pdok.geojson"
    first = recorder.requests[0]
    assert first.url.host == "api.pdok.nl"
    assert first.url.path == "/cbs/wijken-en-buurten-2024/ogc/v1/collections/wijken/items"
    assert first.url.params["gemeentecode"] == "GM0629"
    assert first.url.params["crs"] == RD_NEW
    assert first.url.params["f"] == "json"
    page1 = recorded("pdok_wijken_GM0629_page1.json")
    next_link = next(link["href"] for link in page1["links"] if link["rel"] == "next")
    assert str(recorder.requests[1].url) == next_link
    assert [r.url.params["gemeentecode"] for r in recorder.requests] == [
        "GM0629",
        "GM0629",
        "GM1842",
    ]
    written = json.loads(path.read_text(encoding="utf-8"))
    expected = [
        f["properties"]["wijkcode"]
        for name in (
            "pdok_wijken_GM0629_page1.json",
            "pdok_wijken_GM0629_page2.json",
            "pdok_wijken_GM1842.json",
        )
        for f in recorded(name)["features"]
    ]
    assert [f["properties"]["wijk_code"] for f in written["features"]] == sorted(expected)
    assert written["source"]["licence"] == "CC BY 4.0"


def test_the_loader_reads_the_file_in_epsg_28992(tmp_path: Path) -> None:
    path = _fetch(Recorded(), tmp_path)
    [shape_file] = fetched_shape_files(tmp_path)
    assert shape_file.vintage == 2024
    shapes = read_shapes(path, vintage=2024, expected_crs=shape_file.crs)
    assert shapes.crs.to_epsg() == 28992
    assert len(shapes) == 4
    # The recorded shapes are 1 km squares: the area survives unchanged, so nothing was
    # reprojected on the way.
    assert shapes.geometry.area.tolist() == pytest.approx([1_000_000.0] * 4)
    assert fetched_water(tmp_path) == {}


def test_lon_lat_coordinates_are_refused_and_nothing_written(tmp_path: Path) -> None:
    class LonLat(Recorded):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            answer = self._answer(request)
            for feature in answer["features"]:
                feature["geometry"]["coordinates"] = [[[[4.3, 52.0], [4.31, 52.0], [4.3, 52.01]]]]
            return httpx.Response(200, json=answer)

    with pytest.raises(DataError, match="outside EPSG:28992"):
        _fetch(LonLat(), tmp_path)
    assert folder_names(tmp_path) == []


def test_a_500_writes_nothing(tmp_path: Path) -> None:
    recorder = Recorded({"/items": [500, 500, 500]})
    with pytest.raises(SourceFailedError):
        _fetch(recorder, tmp_path)
    assert folder_names(tmp_path) == []

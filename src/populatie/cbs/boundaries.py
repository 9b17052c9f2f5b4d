"""``populatie fetch-boundaries``: district or neighbourhood shapes from PDOK, in EPSG:28992.

PDOK serves the CBS wijk- en buurtkaart as OGC API Features: ``…/collections/wijken/items``
with ``crs`` asking for RD New and ``gemeentecode`` selecting a municipality; an answer is a
GeoJSON FeatureCollection whose ``links`` hold a ``next`` link while features remain, and whose
``Content-Crs`` header names the CRS of the coordinates. The file written carries the shipped
maps' property names (``wijk_code``, ``gm_code``) so ``populatie load`` reads it like them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import httpx

from populatie.cbs.files import ATTRIBUTION, LICENCE, write_json
from populatie.cbs.http import Progress, get_json
from populatie.cbs.odata import LEVELS, Level
from populatie.cbs.sources import CbsSources
from populatie.errors import DataError
from populatie.geo.region import MUNICIPALITIES

#: How GDAL names EPSG:28992 in a GeoJSON ``crs`` member, as the shipped 2016 map does.
RD_NEW_URN: Final = "urn:ogc:def:crs:EPSG::28992"
#: RD New's own extent (metres), for a first check that coordinates are not lon/lat.
RD_BOUNDS: Final = (-7000.0, 289000.0, 300000.0, 629000.0)

_COLLECTIONS: Final = {"district": "wijken", "neighbourhood": "buurten"}


@dataclass(frozen=True)
class BoundaryOutcome:
    path: Path
    features: int
    pages: int

    def summary(self) -> str:
        return (
            f"wrote {self.path.name}: {self.features} shapes in EPSG:28992 from {self.pages} "
            f"page(s) (Bron: CBS, via PDOK, {LICENCE}); `populatie load` reads it"
        )


def boundaries_name(year: int, level: str) -> str:
    return f"{_COLLECTIONS[level]}_{year}_h10_pdok.geojson"


def fetch_boundaries(
    client: httpx.Client,
    sources: CbsSources,
    *,
    year: int,
    level: Level,
    municipalities: Sequence[str],
    folder: Path,
    now: datetime,
    progress: Progress,
) -> BoundaryOutcome:
    """Every shape of the municipalities, checked, in one file; nothing written on failure."""
    base = sources.boundaries.base_url.format(year=year).rstrip("/")
    url = f"{base}/collections/{_COLLECTIONS[level]}/items"
    features: list[dict[str, Any]] = []
    page_count = 0
    first_url = ""
    for municipality in sorted(municipalities):
        params: dict[str, str] | None = {
            "gemeentecode": municipality,
            "crs": sources.boundaries.crs,
            "limit": str(sources.boundaries.page_size),
            "f": "json",
        }
        next_url: str | None = url
        seen: set[str] = set()
        while next_url is not None:
            payload, requested = get_json(
                client,
                next_url,
                params=params,
                retries=sources.odata.retries,
                backoff_seconds=sources.odata.backoff_seconds,
                progress=progress,
            )
            first_url = first_url or requested
            page_count += 1
            rows = payload.get("features")
            if payload.get("type") != "FeatureCollection" or not isinstance(rows, list):
                raise DataError(f"{requested}: not a GeoJSON FeatureCollection")
            features += [_feature(f, level, municipality, requested) for f in rows]
            progress(f"{municipality}: page {page_count}, {len(rows)} shapes")
            next_url = _next_link(payload)
            if next_url is not None:
                if next_url in seen:
                    raise DataError(f"{requested}: the next link repeats ({next_url})")
                seen.add(next_url)
            params = None  # a next link carries the whole query
    codes = [str(f["properties"]["code"]) for f in features]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise DataError(f"PDOK {year}: shape(s) {', '.join(twice)} come twice")
    for feature in features:
        properties = feature["properties"]
        code = properties.pop("code")
        properties[("wijk_code" if level == "district" else "buurt_code")] = code
    collection: dict[str, object] = {
        "type": "FeatureCollection",
        "name": boundaries_name(year, level).removesuffix(".geojson"),
        "crs": {"type": "name", "properties": {"name": RD_NEW_URN}},
        "source": {
            "source": "CBS wijk- en buurtkaart, via PDOK OGC API Features",
            "year": year,
            "url": first_url,
            "fetched_at": now.isoformat(timespec="seconds"),
            "licence": LICENCE,
            "attribution": ATTRIBUTION,
        },
        "features": sorted(features, key=_code_of),
    }
    path = write_json(folder, boundaries_name(year, level), collection)
    return BoundaryOutcome(path, len(features), page_count)


def _code_of(feature: Mapping[str, Any]) -> str:
    properties = feature["properties"]
    return str(properties.get("wijk_code") or properties.get("buurt_code"))


def _next_link(payload: Mapping[str, Any]) -> str | None:
    for link in payload.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


def _feature(feature: object, level: Level, municipality: str, requested: str) -> dict[str, Any]:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise DataError(f"{requested}: a feature without properties")
    properties: dict[str, Any] = feature["properties"]
    prefix, _ = LEVELS[level]
    key = "wijkcode" if level == "district" else "buurtcode"
    code = str(properties.get(key, "")).strip()
    if not code.startswith(prefix) or "GM" + code[2:6] != municipality:
        raise DataError(
            f"{requested}: feature {key} = {code!r} is not a {prefix} code of {municipality}",
            details=[{"field": key, "value": code, "municipality": municipality}],
        )
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        raise DataError(f"{requested}: {code} has no polygon geometry")
    x, y = _first_point(geometry["coordinates"])
    west, south, east, north = RD_BOUNDS
    if not (west <= x <= east and south <= y <= north):
        raise DataError(
            f"{requested}: {code} has coordinates ({x}, {y}) outside EPSG:28992's extent; "
            "the answer is not in the CRS asked for",
            details=[{"code": code, "field": "geometry", "value": [x, y]}],
        )
    out: dict[str, Any] = {
        "code": code,
        "gm_code": municipality,
        "gm_name": MUNICIPALITIES[municipality],
        "water": str(properties.get("water", "")).strip() or None,
    }
    if level == "district":
        out["wijk_name"] = str(properties.get("wijknaam", "")).strip()
    else:
        out["buurt_name"] = str(properties.get("buurtnaam", "")).strip()
        out["wijk_code"] = "WK" + code[2:8]
    return {"type": "Feature", "properties": out, "geometry": geometry}


def _first_point(coordinates: Any) -> tuple[float, float]:
    while isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    try:
        return float(coordinates[0]), float(coordinates[1])
    except (TypeError, ValueError, IndexError):
        raise DataError("a geometry without coordinates") from None

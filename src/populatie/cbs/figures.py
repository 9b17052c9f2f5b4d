"""``populatie fetch-cbs``: one year's key figures for the H10 districts, as a new vintage file.

The file has the columns of the shipped key-figure files (CBS short names, see
``populatie.geo.indicators.FETCHED_COLUMNS``), so ``populatie load`` reads it like them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from populatie.cbs.files import ATTRIBUTION, LICENCE, figures_name, number_text, write_table
from populatie.cbs.http import Progress
from populatie.cbs.odata import (
    GEO_KEY,
    LEVELS,
    MUNICIPALITY_NAME_KEY,
    REGION_KIND_KEY,
    Level,
    cell,
    geo_filter,
    pages,
    resolve_columns,
)
from populatie.cbs.sources import CbsSources
from populatie.errors import DataError
from populatie.geo.indicators import FETCHED_COLUMNS
from populatie.geo.region import MUNICIPALITIES


@dataclass(frozen=True)
class FetchOutcome:
    path: Path
    provenance: Path
    rows: int
    suppressed: int
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"wrote {self.path.name}: {self.rows} rows, {self.suppressed} figure(s) suppressed "
            f"by CBS left blank (Bron: CBS, {LICENCE}); `populatie load` reads it"
        )


def fetch_figures(
    client: httpx.Client,
    sources: CbsSources,
    *,
    year: int,
    level: Level,
    municipalities: Sequence[str],
    folder: Path,
    now: datetime,
    progress: Progress,
) -> FetchOutcome:
    """Fetch, check and write one year's figures; nothing is written unless all of it came."""
    table = sources.year(year)
    base = f"{sources.odata.base_url.rstrip('/')}/{table.table}"
    json_format = {"$format": "json"}

    properties = [
        row
        for page, _ in pages(
            client, f"{base}/DataProperties", json_format, sources, progress, "DataProperties"
        )
        for row in page
    ]
    columns = resolve_columns(table.indicators, properties, table.table)
    for note in columns.notes:
        progress(note)

    prefix, kind = LEVELS[level]
    names: dict[str, str] = {}
    name_filter = geo_filter(prefix, municipalities).replace(GEO_KEY, "Key")
    for page, _ in pages(
        client,
        f"{base}/{GEO_KEY}",
        {"$filter": name_filter, **json_format},
        sources,
        progress,
        "names",
    ):
        for row in page:
            names[str(row.get("Key", "")).strip()] = str(row.get("Title", "")).strip()

    keys = list(columns.keys.values())
    query = {
        "$filter": geo_filter(prefix, municipalities),
        "$select": ",".join([GEO_KEY, MUNICIPALITY_NAME_KEY, REGION_KIND_KEY, *keys]),
        **json_format,
    }
    records: dict[str, dict[str, object]] = {}
    suppressed = 0
    first_url = ""
    for page, requested in pages(
        client, f"{base}/TypedDataSet", query, sources, progress, table.table
    ):
        first_url = first_url or requested
        for row in page:
            record, blanks = _record(row, columns.keys, prefix, kind, municipalities, year)
            code = str(record["code"])
            if code in records:
                raise DataError(f"{table.table}: {code} comes twice", details=[{"code": code}])
            record["name"] = names.get(code, "")
            records[code] = record
            suppressed += blanks
    found = {str(r["gm_code"]) for r in records.values()}
    absent = sorted(set(municipalities) - found)
    if absent:
        raise DataError(
            f"{table.table}: no {level} of {', '.join(absent)} in the answer; nothing written",
            details=[{"municipality": code} for code in absent],
        )
    header, rows = _rows(records, level, table.table, year)
    name = figures_name(year, level, municipalities, list(MUNICIPALITIES))
    provenance: dict[str, object] = {
        "source": "CBS, Kerncijfers wijken en buurten",
        "table": table.table,
        "year": year,
        "level": level,
        "url": first_url,
        "fetched_at": now.isoformat(timespec="seconds"),
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "municipalities": sorted(municipalities),
        "columns": {
            FETCHED_COLUMNS[indicator]: key for indicator, key in sorted(columns.keys.items())
        },
        "rows": len(rows),
        "suppressed_figures": suppressed,
        "notes": columns.notes,
    }
    data_path, meta_path = write_table(folder, name, header, rows, provenance)
    return FetchOutcome(data_path, meta_path, len(rows), suppressed, columns.notes)


def _record(
    row: Mapping[str, object],
    keys: Mapping[str, str],
    prefix: str,
    kind: str,
    municipalities: Sequence[str],
    year: int,
) -> tuple[dict[str, object], int]:
    code = str(row.get(GEO_KEY, "")).strip()
    municipality = "GM" + code[2:6]
    if not code.startswith(prefix) or municipality not in municipalities:
        raise DataError(
            f"{code!r}: not a {prefix} code of the municipalities asked for",
            details=[{"field": GEO_KEY, "value": code}],
        )
    region_kind = str(row.get(REGION_KIND_KEY, "")).strip()
    if region_kind != kind:
        raise DataError(
            f"{code}: {REGION_KIND_KEY} is {region_kind!r}, expected {kind!r}",
            details=[{"code": code, "field": REGION_KIND_KEY, "value": region_kind}],
        )
    record: dict[str, object] = {"code": code, "gm_code": municipality}
    blanks = 0
    for indicator, key in keys.items():
        value = cell(row.get(key), key=key, code=code)
        if value is None:
            blanks += 1
        record[FETCHED_COLUMNS[indicator]] = number_text(value)
    return record, blanks


def _rows(
    records: Mapping[str, Mapping[str, object]], level: str, table: str, year: int
) -> tuple[list[str], list[dict[str, object]]]:
    figures = [c for c in FETCHED_COLUMNS.values() if any(c in r for r in records.values())]
    if level == "district":
        ids = ["wijk_code", "wijk_name"]
    else:
        ids = ["buurt_code", "buurt_name", "wijk_code"]
    header = [*ids, "gm_code", "gm_name", "year", "source_table", *figures]
    rows: list[dict[str, object]] = []
    for code in sorted(records):
        record = records[code]
        municipality = str(record["gm_code"])
        row: dict[str, object] = {
            "gm_code": municipality,
            "gm_name": MUNICIPALITIES[municipality],
            "year": year,
            "source_table": table,
        }
        if level == "district":
            row |= {"wijk_code": code, "wijk_name": record["name"]}
        else:
            row |= {"buurt_code": code, "buurt_name": record["name"], "wijk_code": "WK" + code[2:8]}
        row |= {c: record.get(c) for c in figures}
        rows.append(row)
    return header, rows

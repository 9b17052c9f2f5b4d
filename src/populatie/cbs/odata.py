"""CBS open data (OData v3): request URLs, paging, column keys and cells, as CBS documents them.

A table answers ``{"odata.metadata": …, "value": [rows], "odata.nextLink": …}``; the feed
service sends ``odata.nextLink`` while rows remain. Codes in the geo dimension are padded with
spaces to ten characters (``"WK051801  "``). A suppressed or secret figure is ``null`` in the
typed data set and ``"."`` (or ``"x"`` in some years) where a cell comes as text: it stays
absent, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import httpx

from populatie.cbs.http import Progress, get_json
from populatie.cbs.sources import CbsSources
from populatie.errors import ConfigurationError, DataError

Level = Literal["district", "neighbourhood"]

#: Code prefix and ``SoortRegio_2`` value per level.
LEVELS: Final[Mapping[str, tuple[str, str]]] = {
    "district": ("WK", "Wijk"),
    "neighbourhood": ("BU", "Buurt"),
}
GEO_KEY: Final = "WijkenEnBuurten"
MUNICIPALITY_NAME_KEY: Final = "Gemeentenaam_1"
REGION_KIND_KEY: Final = "SoortRegio_2"

_SUPPRESSED: Final = frozenset({"", ".", "x"})


@dataclass(frozen=True)
class ResolvedColumns:
    """Indicator → the key the table really has, and a line per key found at another place."""

    keys: dict[str, str]
    notes: list[str]


def geo_filter(prefix: str, municipalities: Sequence[str]) -> str:
    """``$filter`` on the geo dimension: codes of this level inside these municipalities.

    ``substringof`` as CBS's own clients write it (cbsodataR's ``has_substring``); the code
    digits of a district or neighbourhood start with its municipality's four.
    """
    return " or ".join(
        f"substringof('{prefix}{code[2:]}',{GEO_KEY})" for code in sorted(municipalities)
    )


def pages(
    client: httpx.Client,
    url: str,
    params: Mapping[str, str] | None,
    sources: CbsSources,
    progress: Progress,
    label: str,
) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """Every page's rows and its request URL, following ``odata.nextLink`` to the end."""
    number = 0
    next_url: str | None = url
    next_params = params
    seen: set[str] = set()
    while next_url is not None:
        payload, requested = get_json(
            client,
            next_url,
            params=next_params,
            retries=sources.odata.retries,
            backoff_seconds=sources.odata.backoff_seconds,
            progress=progress,
        )
        rows = payload.get("value")
        if not isinstance(rows, list):
            raise DataError(f"{requested}: the answer has no 'value' list of rows")
        number += 1
        progress(f"{label}: page {number}, {len(rows)} rows")
        yield [row for row in rows if isinstance(row, dict)], requested
        link = payload.get("odata.nextLink")
        if link is not None and (not isinstance(link, str) or link in seen):
            raise DataError(f"{requested}: odata.nextLink {link!r} repeats or is no URL")
        if isinstance(link, str):
            seen.add(link)
        next_url, next_params = link, None  # the link carries the whole query


def resolve_columns(
    wanted: Mapping[str, str], properties: Sequence[Mapping[str, Any]], table: str
) -> ResolvedColumns:
    """Check each configured key against the table's ``DataProperties``.

    A key's name is stable across years; its position suffix is not. A key that is missing but
    whose name appears once at another position is taken there (and said so); a name that is
    not in the table stops, naming the key and the table.
    """
    present = {str(p.get("Key")) for p in properties if p.get("Key")}
    by_name: dict[str, list[str]] = {}
    for key in present:
        by_name.setdefault(key.rsplit("_", 1)[0], []).append(key)
    keys: dict[str, str] = {}
    notes: list[str] = []
    missing: list[str] = []
    for indicator, key in wanted.items():
        if key in present:
            keys[indicator] = key
            continue
        candidates = sorted(by_name.get(key.rsplit("_", 1)[0], []))
        if len(candidates) == 1:
            keys[indicator] = candidates[0]
            notes.append(
                f"{table}: {indicator} is {candidates[0]}, not {key} as config/cbs.toml says "
                "(same column, another position); update the config"
            )
        else:
            missing.append(f"{indicator} = {key}")
    if missing:
        raise ConfigurationError(
            f"{table}: column(s) not in the table's DataProperties: {', '.join(missing)}; "
            "CBS renamed or dropped them this year: correct config/cbs.toml",
            details=[{"table": table, "field": item} for item in missing],
        )
    return ResolvedColumns(keys=keys, notes=notes)


def cell(value: object, *, key: str, code: str) -> float | None:
    """One figure: a number, or None for a suppressed/secret one; anything else is an error."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataError(f"{code} {key}: {value!r} is not a figure")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if text in _SUPPRESSED:
            return None
        try:
            number = float(text)
        except ValueError:
            raise DataError(
                f"{code} {key}: {value!r} is not a figure",
                details=[{"code": code, "field": key, "value": str(value)}],
            ) from None
    if not math.isfinite(number) or number < 0:
        raise DataError(
            f"{code} {key}: {value!r} is not a count or share (negative or not finite)",
            details=[{"code": code, "field": key, "value": str(value)}],
        )
    return number

"""The KPI register (``config/kpis.toml``): loaded once, validated whole, with clear errors.

A KPI names how its figure is measured, so that the import knows which columns a row needs and
the views know how to compute the value from counts and sums (never from a child)::

    rate    numerator / denominator × scale   both counts
    count   numerator                          a count
    mean    numerator / denominator × scale    a sum over a count
    median  value, over denominator            the median of ``denominator`` trajectories

A norm holds for a segment and a year; a norm that no document publishes is marked
``illustrative`` and carries a note, so a page can say so beside it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from populatie.errors import ConfigurationError

__all__ = ["DIRECTIONS", "MEASURES", "Kpi", "Norm", "Register", "load_register", "parse_register"]

MEASURES = ("rate", "count", "mean", "median")
DIRECTIONS = ("higher", "lower", "none")
FILE_NAME = "kpis.toml"
_REQUIRED = (
    "code",
    "name_nl",
    "name_en",
    "definition_nl",
    "definition_en",
    "measure",
    "unit",
    "direction",
    "segments",
    "source",
)
_KNOWN = {*_REQUIRED, "scale", "by_category", "goal", "norms"}
_NORM_KNOWN = {"segments", "years", "value", "illustrative", "note"}


@dataclass(frozen=True)
class Norm:
    value: Decimal
    illustrative: bool
    note: str


@dataclass(frozen=True)
class Kpi:
    code: str
    name_nl: str
    name_en: str
    definition_nl: str
    definition_en: str
    measure: str
    scale: Decimal
    unit: str
    direction: str
    segments: tuple[str, ...]
    source: str
    goal: int = 0
    by_category: bool = False
    norms: dict[tuple[str, int], Norm] = field(default_factory=dict)

    def norm(self, segment: str, year: int) -> Norm | None:
        return self.norms.get((segment, year))

    @property
    def needs_denominator(self) -> bool:
        return self.measure in ("rate", "mean", "median")

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_nl": self.name_nl,
            "name_en": self.name_en,
            "definition_nl": self.definition_nl,
            "definition_en": self.definition_en,
            "measure": self.measure,
            "scale": str(self.scale),
            "unit": self.unit,
            "direction": self.direction,
            "segments": list(self.segments),
            "by_category": self.by_category,
            "goal": self.goal,
            "source": self.source,
            "norms": [
                {
                    "segment": segment,
                    "year": year,
                    "value": str(norm.value),
                    "illustrative": norm.illustrative,
                    "note": norm.note,
                }
                for (segment, year), norm in sorted(self.norms.items())
            ],
        }


@dataclass(frozen=True)
class Register:
    kpis: dict[str, Kpi]

    def get(self, code: str) -> Kpi | None:
        return self.kpis.get(code)

    def __iter__(self) -> Any:
        return iter(self.kpis.values())


def load_register(folder: Path, segments: set[str] | None = None) -> Register:
    """The register in ``folder/kpis.toml``; with ``segments``, every segment named must be one."""
    path = folder / FILE_NAME
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigurationError(f"{path.name}: the KPI register is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_register(raw, segments, where=path.name)


def parse_register(
    raw: dict[str, Any], segments: set[str] | None = None, where: str = FILE_NAME
) -> Register:
    """Every problem of the register at once, each naming the KPI and the field."""
    fail = _Problems()
    entries = raw.get("kpis")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{where}: no [[kpis]] entries")
    kpis: dict[str, Kpi] = {}
    for index, entry in enumerate(entries, start=1):
        at = str(entry.get("code") or f"#{index}") if isinstance(entry, dict) else f"#{index}"
        if not isinstance(entry, dict):
            fail(at, "kpis", "an entry must be a table")
            continue
        kpi = _parse_kpi(entry, at, segments, fail)
        if kpi is None:
            continue
        if kpi.code in kpis:
            fail(at, "code", "the code is used twice")
            continue
        kpis[kpi.code] = kpi
    if fail.items:
        text = "; ".join(f"{p['kpi']}.{p['field']}: {p['reason']}" for p in fail.items)
        raise ConfigurationError(f"{where}: {text}", details=fail.items)
    return Register(kpis)


def _parse_kpi(
    entry: dict[str, Any], at: str, segments: set[str] | None, fail: _Problems
) -> Kpi | None:
    before = len(fail.items)
    for name in sorted(set(entry) - _KNOWN):
        fail(at, name, "unknown field")
    for name in _REQUIRED:
        if name not in entry:
            fail(at, name, "missing")
    texts = {n: entry.get(n) for n in _REQUIRED if n not in ("segments",)}
    for name, value in texts.items():
        if name in entry and (not isinstance(value, str) or not value.strip()):
            fail(at, name, "must be a non-empty text")
    measure = entry.get("measure")
    if "measure" in entry and measure not in MEASURES:
        fail(at, "measure", f"{measure!r} is not one of {', '.join(MEASURES)}")
    direction = entry.get("direction")
    if "direction" in entry and direction not in DIRECTIONS:
        fail(at, "direction", f"{direction!r} is not one of {', '.join(DIRECTIONS)}")
    scale = _decimal(entry.get("scale", 1))
    if scale is None or scale <= 0:
        fail(at, "scale", "must be a positive number")
    if measure in ("count", "median") and "scale" in entry:
        fail(at, "scale", f"a {measure} has no scale")
    kpi_segments = entry.get("segments", [])
    if not isinstance(kpi_segments, list) or not kpi_segments:
        fail(at, "segments", "must be a non-empty list of segment codes")
        kpi_segments = []
    for code in kpi_segments:
        if segments is not None and code not in segments:
            fail(at, "segments", f"{code!r} is no configured segment")
    goal = entry.get("goal", 0)
    if not isinstance(goal, int) or not 0 <= goal <= 8:
        fail(at, "goal", "must be 0 (a result measure) or one of the eight goals 1–8")
    by_category = entry.get("by_category", False)
    if not isinstance(by_category, bool):
        fail(at, "by_category", "must be true or false")
    norms = _parse_norms(entry.get("norms", []), at, set(kpi_segments), direction, fail)
    if len(fail.items) > before:
        return None
    assert scale is not None
    return Kpi(
        code=entry["code"],
        name_nl=entry["name_nl"],
        name_en=entry["name_en"],
        definition_nl=entry["definition_nl"],
        definition_en=entry["definition_en"],
        measure=entry["measure"],
        scale=scale,
        unit=entry["unit"],
        direction=entry["direction"],
        segments=tuple(kpi_segments),
        source=entry["source"],
        goal=goal,
        by_category=by_category,
        norms=norms,
    )


class _Problems:
    """Every problem found, as ``{kpi, field, reason}``."""

    def __init__(self) -> None:
        self.items: list[dict[str, object]] = []

    def __call__(self, at: str, field_name: str, reason: str) -> None:
        self.items.append({"kpi": at, "field": field_name, "reason": reason})


def _parse_norms(
    raw: Any, at: str, kpi_segments: set[str], direction: Any, fail: _Problems
) -> dict[tuple[str, int], Norm]:
    norms: dict[tuple[str, int], Norm] = {}
    if not isinstance(raw, list):
        fail(at, "norms", "must be a list of [[kpis.norms]] tables")
        return norms
    if raw and direction == "none":
        fail(at, "norms", "a KPI without a direction can have no norm")
    for entry in raw:
        if not isinstance(entry, dict):
            fail(at, "norms", "a norm must be a table")
            continue
        for name in sorted(set(entry) - _NORM_KNOWN):
            fail(at, f"norms.{name}", "unknown field")
        value = _decimal(entry.get("value"))
        if value is None:
            fail(at, "norms.value", f"{entry.get('value')!r} is not a number")
            continue
        illustrative = entry.get("illustrative", False)
        note = entry.get("note", "")
        if not isinstance(illustrative, bool):
            fail(at, "norms.illustrative", "must be true or false")
            continue
        if illustrative and not (isinstance(note, str) and note.strip()):
            fail(at, "norms.note", "an illustrative norm needs a note saying so")
            continue
        years = entry.get("years", [])
        norm_segments = entry.get("segments", [])
        if (
            not isinstance(years, list)
            or not years
            or not all(isinstance(y, int) and 2000 <= y <= 2099 for y in years)
        ):
            fail(at, "norms.years", f"{years!r} is not a non-empty list of years")
            continue
        if not isinstance(norm_segments, list) or not norm_segments:
            fail(at, "norms.segments", "must be a non-empty list of segment codes")
            continue
        for segment in norm_segments:
            if segment not in kpi_segments:
                fail(at, "norms.segments", f"{segment!r} is not among the KPI's segments")
                continue
            for year in years:
                if (segment, year) in norms:
                    fail(at, "norms", f"two norms for segment {segment} in {year}")
                norms[(segment, year)] = Norm(value, illustrative, str(note))
    return norms


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None

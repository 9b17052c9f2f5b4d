"""Where fresh CBS figures and boundaries come from, as ``config/cbs.toml`` says.

Each year's table has its own id and its own column keys, so the mapping from the project's
indicator names to CBS keys is configuration per year, never code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from populatie.errors import ConfigurationError

FILE_NAME: Final = "cbs.toml"

#: The indicators a fetch can map, and the one percentage the load turns into a count.
INDICATORS: Final = (
    "inhabitants",
    "men",
    "women",
    "young_0_14",
    "young_15_24",
    "households",
    "households_with_children",
    "low_income_share_pct",
    "social_assistance",
    "youth_care_users",
    "dwellings",
    "land_area_ha",
)

_KEY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*_\d+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ODataSource(_Strict):
    base_url: str
    timeout_seconds: float = Field(gt=0)
    retries: int = Field(ge=0, le=10)
    backoff_seconds: float = Field(ge=0)


class BoundarySource(_Strict):
    base_url: str
    crs: str
    page_size: int = Field(ge=1, le=10000)


class TableYear(_Strict):
    table: str = Field(pattern=r"^\d{5}[A-Z]{3}$")
    indicators: dict[str, str]

    @field_validator("indicators")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicator(s) {unknown}; known are {list(INDICATORS)}")
        bad = sorted(key for key in value.values() if not _KEY.match(key))
        if bad:
            raise ValueError(f"not a CBS column key (Name_position): {bad}")
        if "inhabitants" not in value:
            raise ValueError("every year must map inhabitants")
        return value


class CbsSources(_Strict):
    odata: ODataSource
    boundaries: BoundarySource
    years: dict[int, TableYear]

    def year(self, year: int) -> TableYear:
        try:
            return self.years[year]
        except KeyError:
            raise ConfigurationError(
                f"config/{FILE_NAME} has no table for {year} (years configured: "
                f"{', '.join(map(str, sorted(self.years)))}); add a [years.{year}] section with "
                "the table id and its column keys",
                details=[{"field": "year", "value": year}],
            ) from None


def load_sources(folder: Path) -> CbsSources:
    """Read and check ``config/cbs.toml``; a wrong file stops before any request is made."""
    path = folder / FILE_NAME
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"configuration file {FILE_NAME} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{FILE_NAME}: {exc}") from None
    try:
        return CbsSources.model_validate(raw)
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        raise ConfigurationError(
            f"invalid {FILE_NAME}: " + "; ".join(f"{f}: {r}" for f, r in problems),
            details=[{"field": f, "reason": r} for f, r in problems],
        ) from None

"""Contract milestones: the go/no-go moments and options to extend, from ``config/``.

Milestones are agreements about a whole procurement, not facts of one contract, so they are
configuration (``config/milestones.toml``, with its source) rather than columns: a contract
shows the milestones whose year falls in its period (up to the end its options allow). The
file is optional; without it contracts show none. A file that is there but wrong is an error.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from populatie.errors import ConfigurationError
from populatie.settings import get_settings

__all__ = ["Milestone", "load_milestones", "milestones_for", "milestones_of_record"]

FILE_NAME = "milestones.toml"


class _MilestoneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["go-no-go", "extension-option"]
    year: int
    extends_to: int | None = None
    contracts_from: date | None = None
    contracts_to: date | None = None
    name_nl: str
    description_en: str
    description_nl: str
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> _MilestoneConfig:
        if not 2000 <= self.year <= 2099:
            raise ValueError(f"year {self.year} is not a year of a contract")
        if (self.kind == "extension-option") != (self.extends_to is not None):
            raise ValueError("extends_to belongs to an extension option, and it needs one")
        if self.extends_to is not None and self.extends_to < self.year:
            raise ValueError(f"extends_to {self.extends_to} lies before the year {self.year}")
        if self.contracts_from and self.contracts_to and self.contracts_from > self.contracts_to:
            raise ValueError("contracts_from lies after contracts_to")
        return self


@dataclass(frozen=True)
class Milestone:
    kind: str
    year: int
    extends_to: int | None
    name_nl: str
    description_en: str
    description_nl: str
    source: str
    contracts_from: date | None = None
    contracts_to: date | None = None

    def applies_to(self, starts_on: date, ends_on: date, extendable_to: date | None) -> bool:
        """In force on some day of the milestone's year (options to extend included), and
        started inside the window of contracts the milestone is about."""
        if self.contracts_from is not None and starts_on < self.contracts_from:
            return False
        if self.contracts_to is not None and starts_on > self.contracts_to:
            return False
        last = max(ends_on, extendable_to or ends_on)
        return starts_on.year <= self.year <= last.year

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "year": self.year,
            "extends_to": self.extends_to,
            "name_nl": self.name_nl,
            "description": self.description_en,
            "description_nl": self.description_nl,
            "source": self.source,
        }


def load_milestones(folder: Path) -> tuple[Milestone, ...]:
    """The milestones of ``folder/milestones.toml`` by year; none when there is no such file."""
    path = folder / FILE_NAME
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return ()
    return _load(path, stamp)


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: int) -> tuple[Milestone, ...]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path.name}: {exc}") from None
    unknown = set(raw) - {"milestones"}
    if unknown:
        raise ConfigurationError(f"{path.name}: unknown section(s) {sorted(unknown)}")
    items = []
    for i, entry in enumerate(raw.get("milestones", [])):
        try:
            m = _MilestoneConfig.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigurationError(
                f"{path.name}: milestone {i + 1}{f' {where}' if where else ''}: {err['msg']}"
            ) from None
        items.append(Milestone(**m.model_dump()))
    return tuple(sorted(items, key=lambda m: (m.year, m.kind)))


def milestones_of_record() -> tuple[Milestone, ...]:
    """The milestones of the configured ``config/`` folder."""
    return load_milestones(get_settings().config_dir)


def milestones_for(
    milestones: tuple[Milestone, ...], starts_on: date, ends_on: date, extendable_to: date | None
) -> list[Milestone]:
    return [m for m in milestones if m.applies_to(starts_on, ends_on, extendable_to)]

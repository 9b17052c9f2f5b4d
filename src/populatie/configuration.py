"""The region, areas, lots, model and budgets as read from ``config/*.toml``.

Configuration is validated twice: its own shape when read (pydantic), and against the districts
of record when an allocation needs it (:meth:`RegionConfig.district_areas`), because only then
do we know whether every district is in exactly one area. A scenario is the same model section in
another file, laid over the base configuration, so planners never edit the adopted one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from populatie.errors import ConfigurationError

if TYPE_CHECKING:
    from populatie.core.damping import DampingRules

DOMAINS: tuple[str, ...] = ("prevention", "access", "specialist")
MUNICIPALITY_PATTERN = r"^GM\d{4}$"
DISTRICT_PATTERN = r"^WK\d{6}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MunicipalityConfig(_Strict):
    code: str = Field(pattern=MUNICIPALITY_PATTERN)
    name: str


MEMBER_ROLES: tuple[str, ...] = ("lead", "member", "subcontractor")


class MembershipConfig(_Strict):
    """One member of a partnership as the award names it: version 1 of the register."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    provider: str = Field(min_length=1)
    role: Literal["lead", "member", "subcontractor"]
    valid_from: date = Field(alias="from")
    source: str = ""


class PartnershipConfig(_Strict):
    """A partnership. With ``membership`` (dated, with roles) the undated ``lead_member``,
    ``members`` and ``subcontractors`` are derived from it; they may not be given as well,
    so the two can never disagree."""

    name: str
    lead_member: str
    members: list[str]
    subcontractors: list[str] = []
    membership: list[MembershipConfig] = []
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _derive_members(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("membership"):
            return data
        rows = [m for m in data["membership"] if isinstance(m, dict)]
        leads = [str(m.get("provider")) for m in rows if m.get("role") == "lead"]
        if len(leads) != 1:
            raise ValueError(f"membership needs exactly one lead, found {len(leads)}")
        names = [str(m.get("provider")) for m in rows]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"provider listed twice in membership: {', '.join(twice)}")
        derived = {
            "lead_member": leads[0],
            "members": [
                str(m.get("provider")) for m in rows if m.get("role") in {"lead", "member"}
            ],
            "subcontractors": [
                str(m.get("provider")) for m in rows if m.get("role") == "subcontractor"
            ],
        }
        # A stored snapshot carries both; given by hand, the undated lists could disagree.
        given = [k for k in derived if k in data and data[k] != derived[k]]
        if given:
            raise ValueError(
                f"give either membership or {', '.join(given)}, not both (membership says it all)"
            )
        return {**data, **derived}


class SegmentConfig(_Strict):
    """A segment of specialist youth care and the budget years it applies to
    (``config/segments.toml``); ``to_year`` None: open-ended."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{0,39}$")
    name_nl: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    from_year: int = Field(ge=2000, le=2099)
    to_year: int | None = Field(default=None, ge=2000, le=2099)
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _years(self) -> SegmentConfig:
        if self.to_year is not None and self.to_year < self.from_year:
            raise ValueError(
                f"segment {self.code}: to_year {self.to_year} is before from_year {self.from_year}"
            )
        return self

    def applies_in(self, year: int) -> bool:
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)


class AreaConfig(_Strict):
    code: str
    name: str
    municipality: str = Field(pattern=MUNICIPALITY_PATTERN)
    partnership: str | None = None
    assumption: str = ""
    districts: list[str] | Literal["all"]

    @field_validator("districts")
    @classmethod
    def _codes(cls, value: list[str] | Literal["all"]) -> list[str] | Literal["all"]:
        if value != "all":
            bad = [code for code in value if not re.match(DISTRICT_PATTERN, code)]
            if bad:
                raise ValueError(f"not a CBS district code: {', '.join(bad)}")
        return value


class LotConfig(_Strict):
    municipality: str = Field(pattern=MUNICIPALITY_PATTERN)
    number: int = Field(ge=1)
    area: str
    partnership: str
    domains: list[Literal["prevention", "access", "specialist"]]
    awarded_on: str | None = None


class ModelConfig(_Strict):
    """A need model. ``fallback`` names the model to use instead where the data of record
    lacks one of this model's indicators for some district of a municipality (for the nine
    municipalities before CBS figures are fetched, see ``populatie fetch-cbs``)."""

    description: str = ""
    municipalities: list[str] = []
    rates: dict[str, dict[str, float]]
    fallback: str | None = None

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        unknown = set(value) - set(DOMAINS)
        if unknown:
            raise ValueError(f"unknown domain(s) {sorted(unknown)}; domains are {list(DOMAINS)}")
        for domain, rates in value.items():
            for indicator, rate in rates.items():
                if not rate >= 0:
                    raise ValueError(f"rate {domain}.{indicator} = {rate} must be >= 0")
        return value

    def indicators(self) -> list[str]:
        return sorted({k for rates in self.rates.values() for k in rates})

    def rate_matrix(self) -> tuple[list[str], list[list[float]]]:
        """Indicators and their rates as rows × domains, the shape the core expects."""
        names = self.indicators()
        return names, [[self.rates.get(d, {}).get(k, 0.0) for d in DOMAINS] for k in names]


class DampingConfig(_Strict):
    """The pace-of-change rules of ``[damping]`` (see :class:`populatie.core.DampingRules`)."""

    max_change_pct: float | None = Field(default=None, ge=0)
    max_change_per_young_eur: float | None = Field(default=None, ge=0)
    min_growth_pct: float | None = Field(default=None, ge=-100)
    convergence_share: float | None = Field(default=None, ge=0, le=1)

    def rules(self, *, young_population: bool = True) -> DampingRules:
        """The rules as the core applies them; without a young population the cap per young
        inhabitant cannot be computed and is left out (the run's notes say so)."""
        from populatie.core.damping import DampingRules

        return DampingRules(
            max_change_pct=self.max_change_pct,
            max_change_per_young_eur=self.max_change_per_young_eur if young_population else None,
            min_growth_pct=self.min_growth_pct,
            convergence_share=self.convergence_share,
        )


class RegionConfig(_Strict):
    """Everything in ``config/`` that an allocation depends on."""

    region_code: str
    region_name: str
    municipalities: list[MunicipalityConfig]
    partnerships: list[PartnershipConfig]
    areas: list[AreaConfig]
    segments: list[SegmentConfig] = []
    lots: list[LotConfig]
    models: dict[str, ModelConfig]
    base_euro: dict[str, Decimal]
    damping: DampingConfig
    population_indicator: str = "inhabitants"
    young_population_indicator: str = "young_population"
    # The unit whose counts make the need: CBS districts (wijken) by default; neighbourhoods
    # (buurten) are read and checked by the load, and each lies in the area of its district.
    allocation_unit: Literal["district", "neighbourhood"] = "district"
    budgets_euro: dict[int, dict[str, dict[str, Decimal]]]
    budgets_illustrative: bool = True
    # A scenario's ``[budgets]``: totals that replace the stored ones for its runs only.
    scenario_budgets_euro: dict[int, dict[str, dict[str, Decimal]]] = {}
    scenario: str = "config"

    @model_validator(mode="after")
    def _references(self) -> RegionConfig:
        municipalities = set(self.municipality_codes())
        partnerships = {p.name for p in self.partnerships}
        area_codes = [a.code for a in self.areas]
        problems = [
            f"area code {c} appears twice" for c in set(area_codes) if area_codes.count(c) > 1
        ]
        for area in self.areas:
            if area.municipality not in municipalities:
                problems.append(f"area {area.code}: municipality {area.municipality} not in region")
            if area.partnership is not None and area.partnership not in partnerships:
                problems.append(f"area {area.code}: unknown partnership {area.partnership!r}")
        for lot in self.lots:
            if lot.area not in area_codes:
                problems.append(f"lot {lot.municipality}/{lot.number}: unknown area {lot.area}")
            if lot.partnership not in partnerships:
                problems.append(f"lot {lot.municipality}/{lot.number}: unknown partnership")
        segment_codes = [seg.code for seg in self.segments]
        problems += sorted(
            f"segment code {c} appears twice"
            for c in set(segment_codes)
            if segment_codes.count(c) > 1
        )
        for name, model in self.models.items():
            for code in model.municipalities:
                if code not in municipalities:
                    problems.append(f"model {name}: municipality {code} not in region")
            if model.fallback is not None:
                problems += self._fallback_problems(name)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def municipality_codes(self) -> list[str]:
        return [m.code for m in self.municipalities]

    def municipality_name(self, code: str) -> str:
        for m in self.municipalities:
            if m.code == code:
                return m.name
        raise ConfigurationError(f"municipality {code} is not in config/region.toml")

    def _fallback_problems(self, name: str) -> list[str]:
        chain = [name]
        current = self.models[name].fallback
        while current is not None:
            if current not in self.models:
                return [f"model {chain[-1]}: fallback {current!r} is not a model"]
            if current in chain:
                return [f"model {name}: fallbacks go round in a circle ({' → '.join(chain)})"]
            chain.append(current)
            current = self.models[current].fallback
        return []

    def named_model(self, municipality: str) -> tuple[str, ModelConfig]:
        """The model that names the municipality, else the default one."""
        for name, model in self.models.items():
            if municipality in model.municipalities:
                return name, model
        if "default" not in self.models:
            raise ConfigurationError(
                f"no model names {municipality} and there is no [models.default] in config"
            )
        return "default", self.models["default"]

    def model_for(
        self, municipality: str, available: Collection[str] | None = None
    ) -> tuple[str, ModelConfig]:
        """The municipality's need model. With ``available`` (the indicators the data has for
        every district of the municipality), a model whose indicators are not all available
        gives way to its ``fallback``, and that one to its own."""
        name, model = self.named_model(municipality)
        while (
            available is not None
            and model.fallback is not None
            and not set(model.indicators()) <= set(available)
        ):
            name, model = model.fallback, self.models[model.fallback]
        return name, model

    def model_chain(self, municipality: str) -> list[str]:
        """The indicators of the municipality's model and of every fallback after it."""
        _, model = self.named_model(municipality)
        indicators = set(model.indicators())
        while model.fallback is not None:
            model = self.models[model.fallback]
            indicators |= set(model.indicators())
        return sorted(indicators)

    def budget_cents(self, year: int, municipality: str) -> dict[str, int]:
        from populatie.core.money import to_cents

        try:
            per_domain = self.budgets_euro[year][municipality]
        except KeyError:
            raise ConfigurationError(
                f"no budget for {municipality} in {year} in config/budgets.toml "
                f"(years configured: {sorted(self.budgets_euro)})"
            ) from None
        missing = [d for d in DOMAINS if d not in per_domain]
        if missing:
            raise ConfigurationError(
                f"budget {year}.{municipality} lacks domain(s) {', '.join(missing)}"
            )
        return {d: to_cents(per_domain[d]) for d in DOMAINS}

    def scenario_budget_cents(self, year: int, municipality: str) -> dict[str, int] | None:
        """The scenario's totals for this municipality-year, or None where it sets none."""
        from populatie.core.money import to_cents

        per_domain = self.scenario_budgets_euro.get(year, {}).get(municipality)
        if per_domain is None:
            return None
        missing = [d for d in DOMAINS if d not in per_domain]
        if missing:
            raise ConfigurationError(
                f"scenario {self.scenario}: [budgets.{year}.{municipality}] lacks domain(s) "
                f"{', '.join(missing)}; a scenario's totals name all three"
            )
        return {d: to_cents(per_domain[d]) for d in DOMAINS}

    def base_cents(self) -> dict[str, int]:
        from populatie.core.money import to_cents

        return {d: to_cents(self.base_euro.get(d, Decimal(0))) for d in DOMAINS}

    def areas_of(self, municipality: str) -> list[AreaConfig]:
        return sorted((a for a in self.areas if a.municipality == municipality), key=_code)

    def district_areas(self, districts: Mapping[str, str]) -> dict[str, str]:
        """Map every district of record (code → municipality) to its one area.

        Raises naming the district when one is in no area, in two, or in an area of another
        municipality, and naming the area when it lists a district that is not of record.
        """
        assigned: dict[str, str] = {}
        problems: list[str] = []
        for area in self.areas:
            if area.districts == "all":
                codes: Iterable[str] = [d for d, m in districts.items() if m == area.municipality]
            else:
                codes = area.districts
            for code in codes:
                if code not in districts:
                    problems.append(
                        f"area {area.code} lists district {code}, which is not a district of "
                        "record (newest CBS vintage)"
                    )
                    continue
                if districts[code] != area.municipality:
                    problems.append(
                        f"area {area.code} ({area.municipality}) lists district {code} of "
                        f"{districts[code]}"
                    )
                if code in assigned:
                    problems.append(
                        f"district {code} is in two areas: {assigned[code]} and {area.code}"
                    )
                assigned.setdefault(code, area.code)
        configured = set(self.municipality_codes())
        for code, municipality in sorted(districts.items()):
            if municipality in configured and code not in assigned:
                problems.append(f"district {code} ({municipality}) is in no area")
        if problems:
            raise ConfigurationError(
                "areas in config/areas.toml do not cover the districts exactly once: "
                + "; ".join(problems),
                details=[{"reason": p} for p in problems],
            )
        return assigned

    def neighbourhood_areas(
        self, neighbourhoods: Mapping[str, str], districts: Mapping[str, str]
    ) -> dict[str, str]:
        """Map every neighbourhood (code → its district) to the one area of its district.

        The areas are checked as by :meth:`district_areas`; then each neighbourhood must lie in
        a district of record, and each district of record of the region's municipalities must
        have a neighbourhood (else its people would drop out of the need). Raises naming the
        neighbourhood or district.
        """
        area_of = self.district_areas(districts)
        assigned: dict[str, str] = {}
        problems: list[str] = []
        for code, district in sorted(neighbourhoods.items()):
            if district not in area_of:
                problems.append(
                    f"neighbourhood {code} lies in district {district}, which is not a district "
                    "of record in an area"
                )
                continue
            assigned[code] = area_of[district]
        covered = set(neighbourhoods.values())
        configured = set(self.municipality_codes())
        for district, municipality in sorted(districts.items()):
            if municipality in configured and district not in covered:
                problems.append(f"district {district} ({municipality}) has no neighbourhood")
        if problems:
            raise ConfigurationError(
                "neighbourhoods do not lie in the areas exactly once: " + "; ".join(problems),
                details=[{"reason": p} for p in problems],
            )
        return assigned

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe copy stored with every run, so a run explains itself years later."""
        return self.model_dump(mode="json")


def _code(area: AreaConfig) -> str:
    return area.code


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigurationError(f"configuration file {path.name} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path.name}: {exc}") from None


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, float):
        raise ConfigurationError(f'{where}: write money as a string ("1234.56"), not a float')
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"{where}: {value!r} is not an amount in euro") from None


def _budgets(
    raw: dict[str, Any], source: str = "budgets.toml"
) -> tuple[dict[int, dict[str, dict[str, Decimal]]], bool]:
    illustrative = bool(raw.pop("illustrative", False))
    budgets: dict[int, dict[str, dict[str, Decimal]]] = {}
    for year, per_municipality in raw.items():
        if not year.isdigit() or not isinstance(per_municipality, dict):
            raise ConfigurationError(f"{source}: section {year!r} is not a year")
        for municipality, per_domain in per_municipality.items():
            unknown = set(per_domain) - set(DOMAINS) if isinstance(per_domain, dict) else {"?"}
            if not re.match(MUNICIPALITY_PATTERN, municipality) or unknown:
                raise ConfigurationError(
                    f"{source}: [{year}.{municipality}] must be a CBS municipality code with "
                    f"the domains {', '.join(DOMAINS)}"
                )
        budgets[int(year)] = {
            municipality: {
                domain: _decimal(amount, f"{source} [{year}.{municipality}] {domain}")
                for domain, amount in per_domain.items()
            }
            for municipality, per_domain in per_municipality.items()
        }
    return budgets, illustrative


def load_config(folder: Path, scenario: Path | None = None) -> RegionConfig:
    """Read and validate ``config/``; with ``scenario``, its sections replace the model's (and
    its ``[budgets]`` replace the stored totals for its runs)."""
    region = _read(folder / "region.toml")
    areas = _read(folder / "areas.toml")
    model = _read(folder / "model.toml")
    budgets, illustrative = _budgets(_read(folder / "budgets.toml"))
    scenario_name = "config"
    scenario_budgets: dict[int, dict[str, dict[str, Decimal]]] = {}
    if scenario is not None:
        override = _read(scenario)
        unknown = set(override) - {"models", "base", "damping", "budgets", "name", "description"}
        if unknown:
            raise ConfigurationError(
                f"scenario {scenario.name}: unknown section(s) {sorted(unknown)}; a scenario "
                "may set models, base, damping and budgets"
            )
        if "budgets" in override:
            scenario_budgets, _ = _budgets(dict(override["budgets"]), f"{scenario.name} [budgets]")
        scenario_name = str(override.get("name", scenario.stem))
        for key in ("models", "base", "damping"):
            if key in override:
                model[key] = override[key]
    try:
        return RegionConfig(
            region_code=region["region"]["code"],
            region_name=region["region"]["name"],
            municipalities=region["municipalities"],
            partnerships=areas.get("partnerships", []),
            areas=areas["areas"],
            segments=_read(folder / "segments.toml").get("segments", []),
            lots=areas.get("lots", []),
            models=model["models"],
            base_euro={
                d: _decimal(v, f"model.toml [base] {d}") for d, v in model.get("base", {}).items()
            },
            damping=model.get("damping", {}),
            population_indicator=model.get("population_indicator", "inhabitants"),
            young_population_indicator=model.get("young_population_indicator", "young_population"),
            allocation_unit=model.get("allocation_unit", "district"),
            budgets_euro=budgets,
            budgets_illustrative=illustrative,
            scenario_budgets_euro=scenario_budgets,
            scenario=scenario_name,
        )
    except KeyError as exc:
        raise ConfigurationError(f"configuration lacks the required key {exc}") from None
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        raise ConfigurationError(
            "invalid configuration: " + "; ".join(f"{f}: {r}" for f, r in problems),
            details=[{"field": f, "reason": r} for f, r in problems],
        ) from None

"""The public shapes of cost-sharing keys and municipalities' shares over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

KeyKind = Literal["fixed", "inhabitants", "need", "use"]
MunicipalityCode = Annotated[str, Meta(pattern=r"^GM\d{4}$", examples=["GM0518"])]
BasisPoints = Annotated[int, Meta(ge=0, le=10_000, description="1/100 %: 2550 = 25.5 %")]
FixedKey = Annotated[dict[MunicipalityCode, BasisPoints], Meta(min_length=1, max_length=100)]
Municipalities = Annotated[list[MunicipalityCode], Meta(min_length=1, max_length=100)]


class CostSharingKey(Struct, kw_only=True):
    contract: str
    version: int
    kind: KeyKind
    municipalities: list[str]
    basis_points: dict[str, int] | None
    recorded_at: datetime
    recorded_by: str
    reason: str


class CostSharingHistory(Struct, kw_only=True):
    reference: str
    items: list[CostSharingKey]
    total: int


class CostSharingSet(Struct, kw_only=True, forbid_unknown_fields=True):
    """A new key for the contract: ``fixed`` with ``basis_points`` per municipality (adding up
    to 10000), any other kind with the ``municipalities`` that share."""

    kind: KeyKind
    reason: Annotated[
        str, Meta(min_length=1, max_length=500, description="Why (kept in the history)")
    ]
    basis_points: FixedKey | None = None
    municipalities: Municipalities | None = None


class MunicipalityShare(Struct, kw_only=True):
    municipality: str
    weight: Annotated[float, Meta(description="In the report's weight_unit")]
    share: Annotated[float, Meta(description="Fraction of the key, 0 to 1 (for display)")]
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int


class ContractShares(Struct, kw_only=True):
    """Each municipality's share of the contract's ceiling, spent and forecast in a year; the
    shares of each amount add up to it to the cent."""

    contract: str
    year: int
    to: str
    key: CostSharingKey
    weight_unit: str
    forecast_method: str
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int
    municipalities: list[MunicipalityShare]
    notes: list[str]

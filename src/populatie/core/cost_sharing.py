"""Each municipality's share of a regional contract, by the cost-sharing key (verdeelsleutel).

The municipalities of a region buy care together and share what it costs by a key agreed per
contract: fixed percentages, their inhabitants, their need (the allocation model's rates applied
at municipality level) or their actual use (their own spending on the contract). Whatever the
key, the shares of an amount must add up to that amount to the cent, or the municipalities'
budgets no longer add up to the contract.

The rounding is largest remainder, as in :func:`populatie.core.money.split_cents`, with the same
deterministic tie-break (the smaller municipality code first). It is computed here in exact
rational arithmetic rather than through that function's floats, because the weights of a key
are exact quantities (basis points, head counts, cents) and a key is an agreement between
councils: a third of the basis points must give the same cent to the same municipality on every
machine, and two remainders that are equal must be seen as equal. Float weights (need in euro)
are taken at their exact binary value, so they are exact here too.

A key whose weights are all zero (no inhabitants, no need, no spending at all) says nothing
about how to share, and is refused with :class:`CostSharingError` naming the key, rather than
shared equally: an equal split is a key of its own that nobody agreed to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from populatie.core.money import MAX_CENTS
from populatie.errors import CostSharingError

__all__ = [
    "BASIS_POINTS_WHOLE",
    "KINDS",
    "CostSharingError",
    "MunicipalityShare",
    "check_fixed_key",
    "share_amounts",
    "split_by_key",
]

#: The kinds of key, as the API and the CLI name them.
KINDS: tuple[str, ...] = ("fixed", "inhabitants", "need", "use")

#: 100 % in basis points: the sum every fixed key must have.
BASIS_POINTS_WHOLE = 10_000

Weight = int | Fraction | float

_WHAT = {
    "fixed": "percentage",
    "inhabitants": "number of inhabitants",
    "need": "need",
    "use": "spending on the contract",
}


@dataclass(frozen=True)
class MunicipalityShare:
    """One municipality's part of each amount shared (``None`` where the amount is unknown,
    e.g. a contract without a ceiling for the year)."""

    municipality: str
    fraction: Fraction
    amounts_cents: dict[str, int | None]


def _exact(kind: str, code: str, value: Weight) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float):
        raise CostSharingError(f"key {kind}: the {_WHAT[kind]} of {code} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CostSharingError(f"key {kind}: the {_WHAT[kind]} of {code} is {value}")
    exact = Fraction(value)
    if exact < 0:
        raise CostSharingError(
            f"key {kind}: the {_WHAT[kind]} of {code} is {value}, below zero; a municipality "
            "cannot pay a negative part"
        )
    return exact


def _fractions(kind: str, weights: Mapping[str, Weight]) -> dict[str, Fraction]:
    """Each municipality's exact fraction of the whole; raises on a key that shares nothing."""
    if kind not in KINDS:
        raise CostSharingError(f"key {kind!r}: one of {', '.join(KINDS)}")
    if not weights:
        raise CostSharingError(f"key {kind}: it names no municipality")
    exact = {code: _exact(kind, code, value) for code, value in weights.items()}
    total = sum(exact.values(), Fraction(0))
    if total == 0:
        raise CostSharingError(
            f"key {kind}: the {_WHAT[kind]} of every municipality it names "
            f"({', '.join(sorted(exact))}) is zero, so it says nothing about how to share",
            details=[{"key": kind, "municipality": code} for code in sorted(exact)],
        )
    return {code: value / total for code, value in exact.items()}


def _split(amount_cents: int, fractions: Mapping[str, Fraction]) -> dict[str, int]:
    """Largest remainder in exact arithmetic; ties to the smaller code. A negative amount (net
    credits) is split as its opposite, so its shares are the opposite shares."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise CostSharingError(f"an amount must be whole cents, got {amount_cents!r}")
    if abs(amount_cents) > MAX_CENTS:
        raise CostSharingError(f"an amount of {amount_cents} cents is above {MAX_CENTS}")
    sign = -1 if amount_cents < 0 else 1
    total = abs(amount_cents)
    floors: dict[str, int] = {}
    remainders: dict[str, Fraction] = {}
    for code, fraction in fractions.items():
        exact = total * fraction
        floors[code] = math.floor(exact)
        remainders[code] = exact - floors[code]
    left = total - sum(floors.values())
    # 0 <= left < number of municipalities, since the fractions add up to exactly 1.
    for code in sorted(remainders, key=lambda c: (-remainders[c], c))[:left]:
        floors[code] += 1
    return {code: sign * cents for code, cents in sorted(floors.items())}


def split_by_key(kind: str, weights: Mapping[str, Weight], amount_cents: int) -> dict[str, int]:
    """``amount_cents`` split over the municipalities of ``weights``, to the cent exactly."""
    return _split(amount_cents, _fractions(kind, weights))


def share_amounts(
    kind: str, weights: Mapping[str, Weight], amounts_cents: Mapping[str, int | None]
) -> list[MunicipalityShare]:
    """Every named amount (ceiling, spent, forecast, …) split by one key, per municipality in
    code order. Each amount's shares add up to it exactly; an unknown amount stays unknown."""
    fractions = _fractions(kind, weights)
    split = {
        name: None if amount is None else _split(amount, fractions)
        for name, amount in amounts_cents.items()
    }
    return [
        MunicipalityShare(
            municipality=code,
            fraction=fractions[code],
            amounts_cents={
                name: None if parts is None else parts[code] for name, parts in split.items()
            },
        )
        for code in sorted(fractions)
    ]


def check_fixed_key(basis_points: Mapping[str, int]) -> None:
    """A fixed key: whole basis points, none negative, adding up to exactly 100 %."""
    if not basis_points:
        raise CostSharingError("key fixed: give a percentage for at least one municipality")
    problems = []
    for code, value in sorted(basis_points.items()):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{code}: {value!r} is not whole basis points")
        elif value < 0:
            problems.append(f"{code}: {value / 100:.2f} % is below zero")
    if problems:
        raise CostSharingError("key fixed: " + "; ".join(problems))
    total = sum(basis_points.values())
    if total != BASIS_POINTS_WHOLE:
        raise CostSharingError(
            f"key fixed: the percentages add up to {total / 100:.2f} %, not 100 %",
            details=[
                {"municipality": code, "basis_points": value}
                for code, value in sorted(basis_points.items())
            ],
        )

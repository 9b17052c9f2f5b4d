"""Money as integer cents, and the one rounding rule that turns euro shares into cents.

Every amount the product stores or shows is a whole number of cents. Shares of a budget are
computed as floats (a target is "B · need / Σ need"), so exactly one function, :func:`split_cents`,
turns them into cents, by largest remainder with a deterministic tie-break. Doing it in one place
is what makes "the amounts add up to the budget, to the cent" a property of the product rather than
of each caller's care.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from populatie.errors import AllocationError, DataError

__all__ = [
    "MAX_CENTS",
    "InvalidAmountError",
    "format_euro",
    "parse_cents",
    "parse_euro",
    "split_cents",
    "to_cents",
]

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: The largest total the rounding accepts: 2**53 cents (about 90 trillion euro). Beyond it a
#: float64 share can no longer name a whole cent, so "exact to the cent" would be a promise the
#: arithmetic cannot keep.
MAX_CENTS = 2**53


class InvalidAmountError(DataError, ValueError):
    """A text or number is not a valid euro amount.

    Also a :class:`ValueError`, so code that parses many kinds of values (CSV readers, pydantic
    validators) can treat a bad amount like any other bad value.
    """


# ---------------------------------------------------------------------------------------------
# Largest remainder
# ---------------------------------------------------------------------------------------------


def split_cents(
    total_cents: int,
    weights: npt.ArrayLike,
    tie_keys: Sequence[str] | None = None,
    *,
    lower_cents: npt.ArrayLike | None = None,
    upper_cents: npt.ArrayLike | None = None,
) -> Cents:
    """Split ``total_cents`` over the weights so the parts add up to it exactly.

    Largest remainder: every part gets the floor of its exact share, and the cents still left go
    one each to the largest fractional parts. Equal fractional parts go to the smaller
    ``tie_keys`` first (Python string order; index order without keys, or for equal keys), so
    the same weights give the same cents in whatever order the areas arrive.

    Float error can make the floors add up to slightly more than the total, or leave more cents
    than there are parts; both are corrected by the same priority (a cent is taken back from the
    part with the smallest remainder first), so the sum is exact in every case.

    All-zero weights split the total equally. ``lower_cents``/``upper_cents`` keep every part in
    its bounds (damping computes shares that lie inside them; rounding must not push one out).
    """
    total = _as_total(total_cents)
    w = _validated_weights(weights, tie_keys)
    n = w.size
    lower = _bounds_array(lower_cents, n, "lower_cents")
    upper = _bounds_array(upper_cents, n, "upper_cents")
    _check_bounds_hold(total, lower, upper)
    if n == 0:
        if total != 0:
            raise AllocationError(f"cannot split {total} cents over no parts")
        return np.zeros(0, dtype=np.int64)

    w_max = float(w.max())
    # Scaling by the largest weight keeps the sum finite for any finite weights.
    w = np.ones(n) if w_max == 0.0 else w / w_max
    exact = w * (total / order_free_sum(w))
    floored = np.floor(exact)
    floors = floored.astype(np.int64)
    if lower is None and upper is None:
        remainders = exact - floored
    else:
        floors = np.clip(floors, lower, upper)
        # Measured from the clipped floor, so a part lifted to its lower bound by float error
        # ranks last for one more cent, and a part cut to its upper bound cannot receive one.
        remainders = exact - floors
    _hand_out(floors, remainders, total - int(floors.sum()), tie_keys, lower, upper)
    return floors


def _hand_out(
    floors: Cents,
    remainders: Floats,
    left: int,
    tie_keys: Sequence[str] | None,
    lower: Cents | None,
    upper: Cents | None,
) -> None:
    """Give (or, if ``left`` < 0, take back) ``left`` cents in remainder order, in place.

    The common case is one pass: 0 <= left < n, one cent to each of the ``left`` largest
    remainders. The loop only turns more than once when float error or tight bounds leave more
    cents than there are parts that can take one.
    """
    n = floors.size
    while left > 0:
        room = None if upper is None else np.flatnonzero(floors < upper)
        size = n if room is None else room.size
        if size == 0:
            raise AllocationError(
                f"{left} cents are left over and every part is at its upper bound"
            )
        if left < size:
            floors[_ranked(remainders, left, tie_keys, room, largest=True)] += 1
            return
        idx = np.arange(n) if room is None else room
        step = np.full(idx.size, left // size, dtype=np.int64)
        if upper is not None:
            step = np.minimum(step, upper[idx] - floors[idx])
        floors[idx] += step
        left -= int(step.sum())
    while left < 0:
        floor_of = np.zeros(n, dtype=np.int64) if lower is None else lower
        room = np.flatnonzero(floors > floor_of)
        if room.size == 0:
            raise AllocationError(f"{-left} cents too many and every part is at its lower bound")
        if -left < room.size:
            floors[_ranked(remainders, -left, tie_keys, room, largest=False)] -= 1
            return
        step = np.minimum(np.full(room.size, -left // room.size), floors[room] - floor_of[room])
        floors[room] -= step
        left += int(step.sum())


def _ranked(
    remainders: Floats,
    k: int,
    tie_keys: Sequence[str] | None,
    among: npt.NDArray[np.intp] | None,
    *,
    largest: bool,
) -> npt.NDArray[np.intp]:
    """The ``k`` parts first in line: largest remainder, then smallest key (or the reverse).

    A partition finds the cut-off remainder in linear time; only the parts sitting exactly on it
    are ordered by key. A full sort of every remainder and key would cost more than the rest of
    the allocation together.
    """
    values = remainders if among is None else remainders[among]
    m = values.size
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    kth = m - k if largest else k - 1
    cut = np.partition(values, kth)[kth]
    sure = np.flatnonzero(values > cut) if largest else np.flatnonzero(values < cut)
    ties = np.flatnonzero(values == cut)
    need = k - sure.size
    if need < ties.size:
        original = ties if among is None else among[ties]
        if tie_keys is None:
            order = np.arange(ties.size)
        else:
            keys = [tie_keys[i] for i in original.tolist()]
            order = np.array(sorted(range(ties.size), key=keys.__getitem__), dtype=np.intp)
        # Giving: smallest key first. Taking back: the part that would have been served last.
        ties = ties[order[:need]] if largest else ties[order[::-1][:need]]
    chosen = np.concatenate((sure, ties))
    return chosen if among is None else among[chosen]


def _as_total(total_cents: int) -> int:
    try:
        total = operator.index(total_cents)
    except TypeError:
        raise AllocationError(
            f"a total must be a whole number of cents, got {total_cents!r}"
        ) from None
    if total < 0:
        raise AllocationError(f"a total cannot be negative, got {total} cents")
    if total > MAX_CENTS:
        raise AllocationError(f"a total of {total} cents is above the supported {MAX_CENTS}")
    return total


def _validated_weights(weights: npt.ArrayLike, tie_keys: Sequence[str] | None) -> Floats:
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AllocationError(f"weights are not numbers: {exc}") from None
    if w.ndim != 1:
        raise AllocationError(f"weights must be one-dimensional, got shape {w.shape}")
    if tie_keys is not None and len(tie_keys) != w.size:
        raise AllocationError(f"{len(tie_keys)} tie keys for {w.size} weights")
    # One min and one max catch NaN, infinities and negatives; the slow search only runs to
    # name the offender.
    if w.size and not (w.min() >= 0.0 and w.max() < np.inf):
        bad = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0.0)))[0])
        name = f"{tie_keys[bad]!r} (index {bad})" if tie_keys is not None else f"index {bad}"
        raise AllocationError(
            f"weight of {name} is {float(w[bad])}; weights must be finite and >= 0"
        )
    return w


def _bounds_array(values: npt.ArrayLike | None, n: int, name: str) -> Cents | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise AllocationError(f"{name} has shape {arr.shape}, expected ({n},)")
    if arr.dtype.kind not in "iu":
        raise AllocationError(f"{name} must be whole cents, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_bounds_hold(total: int, lower: Cents | None, upper: Cents | None) -> None:
    if lower is not None and lower.size and lower.min() < 0:
        raise AllocationError(f"lower bound {int(lower.min())} is negative")
    if lower is not None and upper is not None and np.any(lower > upper):
        i = int(np.flatnonzero(lower > upper)[0])
        raise AllocationError(f"lower bound {lower[i]} above upper bound {upper[i]} at index {i}")
    low = exact_sum(lower) if lower is not None else 0
    if low > total:
        raise AllocationError(f"the lower bounds add up to {low} cents, above the total {total}")
    if upper is not None:
        high = exact_sum(upper)
        if high < total:
            raise AllocationError(
                f"the upper bounds add up to {high} cents, below the total {total}"
            )


def order_free_sum(values: Floats) -> float:
    """A float sum that does not depend on the order of the values: the exact sum, rounded once.

    Float addition is not associative, so a plain sum can differ in the last bit when the same
    areas arrive in another order, and that bit can decide which of two equal remainders gets a
    cent. The exactly rounded sum is a function of the values alone, so the cents follow the
    keys, never the row order.

    It is computed without sorting (a sort of every area's value cost more than the rest of a
    national recalculation): each value is ``q · 2**(e-53)`` with ``q`` a 53-bit integer;
    ``q`` is cut into two halves of at most 27 bits, and the halves are summed per exponent.
    Those sums are integers below 2**53 (fewer than 2**26 values of below 2**27 each), so float
    addition makes them exactly, in any order; the few per-exponent sums are then added as
    Python integers and rounded once.
    """
    flat = np.ravel(values)
    if flat.size == 0:
        return 0.0
    if flat.size >= 2**26 or not np.isfinite(flat).all():
        return float(np.sort(flat).sum())
    mantissa, exponent = np.frexp(flat)
    q = np.ldexp(mantissa, 53).astype(np.int64)  # exact: |mantissa| < 1 has 53 bits
    low_exp = int(exponent.min())
    bins = exponent - low_exp
    high = np.bincount(bins, weights=(q >> 27).astype(np.float64))
    low = np.bincount(bins, weights=(q & (2**27 - 1)).astype(np.float64))
    total = 0
    for shift in np.flatnonzero(high.astype(bool) | low.astype(bool)):
        total += ((int(high[shift]) << 27) + int(low[shift])) << int(shift)
    return _ldexp_exact(total, low_exp - 53)


def _ldexp_exact(numerator: int, exponent: int) -> float:
    """``numerator · 2**exponent`` rounded once to the nearest float (ties to even).

    ``float(numerator)`` is the one rounding, and scaling it by a power of two is exact, unless
    the integer is too long for a float or the result is subnormal: then the exact quotient is
    rounded instead. A sum beyond the float range is infinite, as a float sum would be."""
    try:
        if numerator.bit_length() <= 1000:
            result = math.ldexp(float(numerator), exponent)
            if numerator == 0 or abs(result) >= sys.float_info.min:
                return result
        if exponent >= 0:
            return float(numerator << exponent)
        return float(Fraction(numerator, 1 << -exponent))
    except OverflowError:
        return math.copysign(math.inf, numerator)


def exact_sum(values: Cents) -> int:
    """Sum integer cents without int64 overflow (as a Python int when it could overflow)."""
    if values.size == 0:
        return 0
    biggest = max(abs(int(values.max())), abs(int(values.min())))
    if biggest * values.size < 2**62:
        return int(values.sum())
    return int(sum(values.tolist()))


# ---------------------------------------------------------------------------------------------
# Parsing and formatting
# ---------------------------------------------------------------------------------------------

_DOT_DECIMAL = re.compile(r"([+-]?)(\d+)(?:\.(\d+))?")
# With a decimal comma, dots may group thousands, but only in groups of three ("1.234.567,89"),
# so a stray "1.5" (a dot-decimal value in a comma file) is rejected instead of read as 15.
_COMMA_DECIMAL = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?")


def parse_euro(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Read a euro amount written as text, refusing anything that is not exactly cents.

    ``"1234.56"`` and ``"-12.5"`` by default; with ``decimal_comma`` the Dutch ``"1.234,56"``
    (thousands dots optional, in groups of three). More than two decimals are accepted only when
    the extra ones are zeros (``"12.500"``): anything else would be a fraction of a cent that
    some step would have to round silently. The result always has two decimals.
    """
    if not isinstance(text, str):
        raise InvalidAmountError(f"an amount must be text, got {text!r}")
    pattern = _COMMA_DECIMAL if decimal_comma else _DOT_DECIMAL
    match = pattern.fullmatch(text.strip())
    if match is None:
        style = "1.234,56" if decimal_comma else "1234.56"
        raise InvalidAmountError(f"{text!r} is not a euro amount (expected e.g. {style!r})")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > 2 and fraction[2:].strip("0"):
        raise InvalidAmountError(f"{text!r} has a fraction of a cent")
    euros = int(whole.replace(".", ""))
    cents = int(fraction[:2].ljust(2, "0"))
    negative = sign == "-" and (euros or cents)
    # Built from text, not by arithmetic, so no decimal context can round a long amount.
    return Decimal(f"{'-' if negative else ''}{euros}.{cents:02d}")


def to_cents(amount: Decimal) -> int:
    """The exact number of cents in ``amount``; an amount with a fraction of a cent is an error.

    Works on the decimal digits rather than ``amount * 100`` so no decimal context can round a
    large amount on the way.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmountError(f"{amount!r} is not a finite decimal amount")
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    magnitude = int("".join(map(str, digits)) or "0")
    shift = exponent + 2
    cents: int
    if shift >= 0:
        cents = magnitude * 10**shift
    else:
        cents, rest = divmod(magnitude, 10**-shift)
        if rest:
            raise InvalidAmountError(f"{amount} euro is not a whole number of cents")
    return -cents if sign else cents


def parse_cents(text: str, *, decimal_comma: bool = False) -> int:
    """``to_cents(parse_euro(text))``: the usual path from a file cell to stored cents."""
    return to_cents(parse_euro(text, decimal_comma=decimal_comma))


def format_euro(cents: int) -> str:
    """Dutch notation: ``"€ 1.234.567,89"``, negative ``"€ -1.234,00"``.

    The minus goes after the euro sign, as in the Dutch Excel currency format, so columns of
    amounts keep their euro signs aligned. The space is a plain space, for CSV and terminals.
    """
    value = operator.index(cents)
    euros, rest = divmod(abs(value), 100)
    grouped = f"{euros:,}".replace(",", ".")
    return f"€ {'-' if value < 0 else ''}{grouped},{rest:02d}"

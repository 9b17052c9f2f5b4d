"""The cost-sharing key: shares add up to the amount exactly, follow the weights, ignore order."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.cost_sharing import (
    BASIS_POINTS_WHOLE,
    KINDS,
    CostSharingError,
    check_fixed_key,
    share_amounts,
    split_by_key,
)
from populatie.core.money import MAX_CENTS

CODES = ["GM0518", "GM0503", "GM0637", "GM1783", "GM0603", "GM1916", "GM1926", "GM1842"]

amounts = st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS)
int_weights = st.dictionaries(
    st.sampled_from(CODES), st.integers(min_value=0, max_value=10**9), min_size=1
).filter(lambda w: sum(w.values()) > 0)
float_weights = st.dictionaries(
    st.sampled_from(CODES),
    st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    min_size=1,
).filter(lambda w: sum(w.values()) > 0)
any_weights = int_weights | float_weights


# --- worked examples -------------------------------------------------------------------------


def test_thirds_give_the_extra_cent_to_the_smallest_code() -> None:
    weights = {"GM0637": 1, "GM0503": 1, "GM0518": 1}
    assert split_by_key("inhabitants", weights, 100) == {"GM0503": 34, "GM0518": 33, "GM0637": 33}


def test_a_fixed_key_in_basis_points() -> None:
    # 60 %, 25.5 %, 14.5 % of € 1.000,01: 60000.6, 25500.255, 14500.145 cents; the one cent
    # left goes to the largest remainder (.6).
    key = {"GM0518": 6000, "GM0503": 2550, "GM0637": 1450}
    expected = {"GM0503": 25500, "GM0518": 60001, "GM0637": 14500}
    assert split_by_key("fixed", key, 100_001) == expected


def test_equal_remainders_in_exact_arithmetic_are_ties() -> None:
    # 1 : 3 of 2 cents is 0.5 and 1.5: an exact tie, so the smaller code takes the cent,
    # whatever float rounding would have made of the two halves.
    assert split_by_key("need", {"GM0637": 3, "GM0503": 1}, 2) == {"GM0503": 1, "GM0637": 1}
    # 3 : 1 is 1.5 and 0.5: the tie again goes to GM0503, now on top of its whole cent.
    assert split_by_key("need", {"GM0637": 1, "GM0503": 3}, 2) == {"GM0503": 2, "GM0637": 0}


def test_a_negative_amount_is_split_as_its_opposite() -> None:
    weights = {"GM0503": 1, "GM0518": 1, "GM0637": 1}
    assert split_by_key("use", weights, -100) == {"GM0503": -34, "GM0518": -33, "GM0637": -33}


def test_an_unknown_amount_stays_unknown() -> None:
    shares = share_amounts("fixed", {"GM0518": 5000, "GM0503": 5000}, {"ceiling": None, "spent": 3})
    assert [s.amounts_cents for s in shares] == [
        {"ceiling": None, "spent": 2},
        {"ceiling": None, "spent": 1},
    ]
    assert [s.fraction for s in shares] == [Fraction(1, 2), Fraction(1, 2)]


# --- refusals --------------------------------------------------------------------------------


def test_use_without_any_spending_is_refused_naming_the_key() -> None:
    with pytest.raises(CostSharingError, match=r"key use: the spending on the contract of every"):
        split_by_key("use", {"GM0518": 0, "GM0503": 0}, 1000)


@pytest.mark.parametrize(
    ("kind", "weights", "message"),
    [
        ("inhabitants", {}, "names no municipality"),
        ("inhabitants", {"GM0518": -1}, "GM0518 is -1, below zero"),
        ("need", {"GM0518": math.nan}, "need of GM0518 is nan"),
        ("need", {"GM0518": math.inf}, "need of GM0518 is inf"),
        ("share", {"GM0518": 1}, "one of fixed, inhabitants, need, use"),
    ],
)
def test_bad_keys_are_refused(kind: str, weights: dict[str, float], message: str) -> None:
    with pytest.raises(CostSharingError, match=message):
        split_by_key(kind, weights, 100)


def test_a_fractional_amount_is_refused() -> None:
    with pytest.raises(CostSharingError, match="whole cents"):
        split_by_key("fixed", {"GM0518": 10_000}, 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"GM0518": 6000, "GM0503": 3999}, "add up to 99.99 %, not 100 %"),
        ({"GM0518": 10_001, "GM0503": -1}, "GM0503: -0.01 % is below zero"),
        ({}, "at least one municipality"),
    ],
)
def test_a_fixed_key_must_add_up_to_100_percent(key: dict[str, int], message: str) -> None:
    with pytest.raises(CostSharingError, match=message):
        check_fixed_key(key)


def test_a_fixed_key_of_100_percent_passes() -> None:
    check_fixed_key({"GM0518": 3334, "GM0503": 3333, "GM0637": 3333})


# --- properties ------------------------------------------------------------------------------


@given(weights=any_weights, amount=amounts, kind=st.sampled_from(KINDS))
def test_shares_add_up_to_the_amount_exactly(
    weights: dict[str, float], amount: int, kind: str
) -> None:
    shares = split_by_key(kind, weights, amount)
    assert sum(shares.values()) == amount
    assert set(shares) == set(weights)


@given(weights=any_weights, amount=amounts)
def test_each_share_is_its_exact_quota_rounded_down_or_up(
    weights: dict[str, float], amount: int
) -> None:
    total = sum(Fraction(w) for w in weights.values())
    for code, cents in split_by_key("need", weights, amount).items():
        quota = amount * Fraction(weights[code]) / total
        assert math.floor(quota) <= cents <= math.ceil(quota)


@given(weights=any_weights, amount=amounts, data=st.data())
def test_the_order_of_the_municipalities_does_not_matter(
    weights: dict[str, float], amount: int, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(list(weights)))
    shuffled = {code: weights[code] for code in order}
    assert split_by_key("inhabitants", shuffled, amount) == split_by_key(
        "inhabitants", weights, amount
    )


@given(
    weights=int_weights,
    amount=st.integers(min_value=0, max_value=10**12),
    extra=st.integers(min_value=1, max_value=10**9),
    data=st.data(),
)
def test_more_weight_never_means_a_smaller_share(
    weights: dict[str, int], amount: int, extra: int, data: st.DataObject
) -> None:
    code = data.draw(st.sampled_from(sorted(weights)))
    before = split_by_key("inhabitants", weights, amount)
    after = split_by_key("inhabitants", {**weights, code: weights[code] + extra}, amount)
    assert after[code] >= before[code]


@given(
    basis_points=st.lists(
        st.integers(min_value=0, max_value=BASIS_POINTS_WHOLE), min_size=1, max_size=7
    ),
    amount=amounts,
)
def test_a_fixed_key_of_100_percent_shares_every_amount(
    basis_points: list[int], amount: int
) -> None:
    # the last municipality takes what the others leave, so the key adds up to 100 %
    parts = [min(p, BASIS_POINTS_WHOLE - sum(basis_points[:i])) for i, p in enumerate(basis_points)]
    parts = [max(p, 0) for p in parts]
    parts[-1] += BASIS_POINTS_WHOLE - sum(parts)
    key = dict(zip(CODES, parts, strict=False))
    check_fixed_key(key)
    shares = share_amounts("fixed", key, {"ceiling": amount, "spent": amount // 3})
    assert sum(s.amounts_cents["ceiling"] or 0 for s in shares) == amount
    assert sum(s.amounts_cents["spent"] or 0 for s in shares) == amount // 3
    assert sum(s.fraction for s in shares) == 1

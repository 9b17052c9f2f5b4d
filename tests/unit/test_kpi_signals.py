"""Signals on constructed series: two consecutive periods outside the norm, and no fewer."""

from __future__ import annotations

from populatie.kpis.signals import Observation, find_signals, outside


def month(year: int, m: int, value: float | None, norm: float | None = 10.0) -> Observation:
    return Observation(f"{year}-{m:02d}", year * 12 + m - 1, 1, value, norm)


def quarter(year: int, q: int, value: float | None, norm: float | None = 10.0) -> Observation:
    return Observation(f"{year}-Q{q}", year * 12 + 3 * q - 3, 3, value, norm)


def test_two_consecutive_months_above_a_lower_is_better_norm_are_a_signal() -> None:
    series = [month(2025, 1, 9), month(2025, 2, 11), month(2025, 3, 12), month(2025, 4, 8)]
    [signal] = find_signals(series, "lower")
    assert signal.periods == ["2025-02", "2025-03"]
    assert signal.values == [11, 12]
    assert signal.norms == [10.0, 10.0]


def test_one_period_outside_is_no_signal() -> None:
    series = [month(2025, 1, 11), month(2025, 2, 9), month(2025, 3, 11), month(2025, 4, 10)]
    assert find_signals(series, "lower") == []  # 10 equals the norm: inside


def test_the_direction_decides_which_side_is_outside() -> None:
    series = [month(2025, 1, 8), month(2025, 2, 7)]
    assert find_signals(series, "lower") == []
    assert [s.periods for s in find_signals(series, "higher")] == [["2025-01", "2025-02"]]
    assert find_signals(series, "none") == []


def test_a_gap_breaks_a_run() -> None:
    # March is missing: January–February is a run, April–May another
    series = [month(2025, 1, 11), month(2025, 2, 11), month(2025, 4, 11), month(2025, 5, 11)]
    assert [s.periods for s in find_signals(series, "lower")] == [
        ["2025-01", "2025-02"],
        ["2025-04", "2025-05"],
    ]
    # a withheld figure breaks it too
    withheld = [month(2025, 1, 11), month(2025, 2, None), month(2025, 3, 11)]
    assert find_signals(withheld, "lower") == []


def test_a_run_crosses_the_year_and_works_for_quarters() -> None:
    series = [quarter(2025, 3, 9), quarter(2025, 4, 12), quarter(2026, 1, 13)]
    [signal] = find_signals(list(reversed(series)), "lower")  # order of input does not matter
    assert signal.periods == ["2025-Q4", "2026-Q1"]


def test_the_norm_of_each_year_is_used() -> None:
    # 2025 norm 10, 2026 norm 15: 12 in December is outside, 12 in January is inside
    series = [month(2025, 11, 12), month(2025, 12, 12), month(2026, 1, 12, 15.0)]
    [signal] = find_signals(series, "lower")
    assert signal.periods == ["2025-11", "2025-12"]


def test_no_norm_means_no_judgement() -> None:
    assert outside(12, None, "lower") is None
    assert find_signals([month(2025, 1, 99, None), month(2025, 2, 99, None)], "lower") == []

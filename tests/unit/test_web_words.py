"""The Dutch words the pages put on amounts, statuses, damping labels and scenarios."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from populatie.core.money import format_euro
from populatie.web.formatting import (
    STATUS_LABELS,
    STATUS_TONES,
    assumption_words,
    damping_words,
    remaining,
    scenario_name,
)
from populatie.web.service import _status

NBSP = "\u00a0"
RULES = {
    "max_change_pct": 5.0,
    "max_change_per_young_eur": 50,
    "min_growth_pct": -2.5,
    "convergence_share": 0.25,
}


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_what_is_left_is_an_amount_or_an_overrun_in_words(cents: int) -> None:
    said = remaining(cents)
    if cents < 0:
        assert said == "overschreden met " + format_euro(-cents).replace(" ", NBSP)
        assert "-" not in said
    else:
        assert said == format_euro(cents).replace(" ", NBSP)
    assert remaining(None) == "—"


@given(st.integers(min_value=0, max_value=10**12))
def test_on_course_only_once_something_was_spent(spent: int) -> None:
    status = _status("on track", spent)
    expected = "op koers" if spent else "geen uitgaven ontvangen"
    assert status.label == expected
    assert _status("over allocation", spent).label == "boven budget"


def test_every_status_has_words_and_a_badge() -> None:
    assert set(STATUS_LABELS) == set(STATUS_TONES)
    assert STATUS_TONES["no spending"] == "neutral"


def test_damping_labels_become_words_with_the_runs_own_limits() -> None:
    cases = {
        "pct_band:upper": f"begrensd: max. +5{NBSP}%",
        "pct_band:lower": f"begrensd: max. −5{NBSP}%",
        "per_young_cap:upper": f"begrensd: max. +€{NBSP}50 per jeugdige",
        "per_young_cap:lower": f"begrensd: max. −€{NBSP}50 per jeugdige",
        "min_growth": f"ondergrens: min. −2,5{NBSP}% groei",
        "convergence": f"geleidelijk: 25{NBSP}% van de weg naar het doelbedrag per jaar",
        "upper": "begrensd: max. stijging",
    }
    for label, words in cases.items():
        assert damping_words(label, RULES) == words
    both = damping_words("convergence+pct_band:upper", RULES)
    assert both == cases["convergence"] + "; " + cases["pct_band:upper"]
    # Without the run's settings the words stay Dutch, only without the figure.
    assert damping_words("pct_band:upper") == "begrensd: max. stijging"
    assert damping_words("min_growth", {"min_growth_pct": 0}) == f"ondergrens: min. +0{NBSP}% groei"


def test_a_runs_scenario_and_an_areas_assumption_in_dutch() -> None:
    assert scenario_name("config") == "standaardinstellingen"
    assert scenario_name("krimp") == "scenario krimp"
    assert assumption_words("") == ""
    assert assumption_words("district grouping per lot assumed (not public)") == (
        "de indeling van de wijken over de percelen is een aanname (niet openbaar)"
    )
    assert assumption_words("something new, in English") == (
        "de indeling van dit gebied is een aanname"
    )

"""Reading the planner's scenario form, and the estimate page's charts, without a database.

An amount the form shows is read back to the same cents (a property over any amount); Dutch
numbers are read as a Dutch reader writes them and anything else is named per field.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.planning.scenario_form import (
    DAMPING_RULES,
    ScenarioForm,
    ScenarioFormError,
    _cents,
    _euro_text,
    _number,
    _number_text,
    read_form,
)
from populatie.web.planner_charts import Interval, RangeBar, interval_chart, range_chart


@given(st.integers(min_value=0, max_value=10**15))
def test_an_amount_the_form_shows_reads_back_to_its_cents(cents: int) -> None:
    assert _cents(_euro_text(cents)) == cents


@given(st.integers(min_value=0, max_value=10**12))
def test_an_amount_with_thousands_dots_reads_the_same(cents: int) -> None:
    euros, rest = divmod(cents, 100)
    assert _cents(f"{euros:,}".replace(",", ".") + f",{rest:02d}") == cents


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False))
def test_a_rate_the_form_shows_reads_back(value: object) -> None:
    number = float(str(value))
    assert _number(_number_text(number)) == pytest.approx(number, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "value"),
    [("120", 120.0), ("0,25", 0.25), ("1.234,5", 1234.5), ("6.000", 6000.0), ("-2", -2.0)],
)
def test_dutch_numbers(text: str, value: float) -> None:
    assert _number(text) == value


@pytest.mark.parametrize("text", ["1.5", "12,5,0", "€ 12", "", "1e3", "twaalf", "1 000"])
def test_what_is_no_dutch_number(text: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(text.strip()) + "$"):
        _number(text)


def _form() -> ScenarioForm:
    return ScenarioForm(
        year=2026,
        source="",
        models={"default": "default"},
        rates={"default": {"access": {"inhabitants": "rate:default:access:inhabitants"}}},
        base={"access": "base:access"},
        damping={key: f"damping:{key}" for key, *_ in DAMPING_RULES},
        budgets={"GM0503": {"access": "budget:GM0503:access"}},
        municipality_names={"GM0503": "Delft"},
    )


def _posted(**changes: str) -> dict[str, str]:
    posted = {
        "name": "hoog",
        "rate:default:access:inhabitants": "75,5",
        "base:access": "100.000,00",
        "damping:max_change_pct": "5",
        "damping:max_change_per_young_eur": "",
        "damping:min_growth_pct": "-2",
        "damping:convergence_share": "33,3",
        "budget:GM0503:access": "12345678,90",
    }
    return {**posted, **changes}


def test_a_good_form_becomes_cents_and_rules() -> None:
    scenario = read_form(_form(), _posted())
    assert scenario.name == "hoog"
    assert scenario.rates == {"default": {"access": {"inhabitants": 75.5}}}
    assert scenario.base_cents == {"access": 10_000_000}
    assert scenario.budgets_cents == {"GM0503": {"access": 1_234_567_890}}
    assert scenario.damping == {
        "max_change_pct": 5.0,
        "max_change_per_young_eur": None,
        "min_growth_pct": -2.0,
        "convergence_share": pytest.approx(0.333),
    }


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("name", " ", "Geef een naam"),
        ("name", "x" * 41, "Geef een naam"),
        ("rate:default:access:inhabitants", "-1", "tussen 0 en"),
        ("rate:default:access:inhabitants", "", "Vul een tarief in"),
        ("base:access", "100.00", "met een komma voor de centen"),
        ("base:access", "-5,00", "niet negatief"),
        ("base:access", "1,001", "met een komma voor de centen"),
        ("budget:GM0503:access", "", "Vul een bedrag in euro in (0 mag)."),
        ("budget:GM0503:access", "1" + "0" * 16 + ",00", "tienduizend miljard"),
        ("damping:max_change_pct", "-1", "tussen 0 en 1000 %"),
        ("damping:min_growth_pct", "-101", "tussen -100 en 1000 %"),
        ("damping:convergence_share", "vijf", "vul een getal in"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(field: str, text: str, reason: str) -> None:
    form = _form()
    with pytest.raises(ScenarioFormError) as caught:
        read_form(form, _posted(**{field: text}))
    assert list(caught.value.errors) == [field]
    assert reason in caught.value.errors[field]
    assert form.values[field] == text, "the planner's own text is shown again"


def test_every_bad_field_is_named_at_once() -> None:
    posted = _posted(name="", **{"base:access": "x", "budget:GM0503:access": "y"})
    with pytest.raises(ScenarioFormError) as caught:
        read_form(_form(), posted)
    assert set(caught.value.errors) == {"name", "base:access", "budget:GM0503:access"}


def test_a_field_left_out_of_the_post_is_an_error_not_a_zero() -> None:
    posted = _posted()
    del posted["budget:GM0503:access"]
    with pytest.raises(ScenarioFormError) as caught:
        read_form(_form(), posted)
    assert "budget:GM0503:access" in caught.value.errors


def test_intervals_and_ranges_are_titled_images_with_every_item() -> None:
    intervals = str(
        interval_chart(
            [Interval("Inwoners", 30.0, 20.0, 45.0), Interval("Jeugd", 6000.0, None, None)],
            prefix="iv",
            title="Tarieven",
            description="uitleg",
        )
    )
    assert 'role="img" aria-labelledby="iv-title iv-desc"' in intervals
    assert intervals.count("<circle") == 2
    assert intervals.count("<path") == 1, "an interval only where there is one"
    ranges = str(
        range_chart(
            [RangeBar("L1", 90, 120, 100, 110), RangeBar("L2", 190, 230, 200, 215)],
            prefix="rg",
            title="Bandbreedte",
            description="uitleg",
        )
    )
    assert ranges.count("<circle") == 2
    assert ranges.count('Z" fill=') == 2, "a diamond per area"

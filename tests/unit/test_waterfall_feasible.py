"""The waterfall's exactness on pairs of allocations that are feasible by construction.

``test_waterfall.pairs`` draws B's budget near A's total and returns early when B's damping
rules cannot hold it (about one example in six). Here B's budget per domain is drawn between
the sums of the bounds its rules give (:func:`tests.unit.feasible.feasible_total`), so B always
exists and every example is checked; each records whether B's damping held an area.
"""

from __future__ import annotations

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from populatie.core.damping import DampingBounds, DampingRules
from populatie.core.inputs import AllocationInputs
from populatie.core.waterfall import combine, waterfall
from tests.unit.feasible import feasible_total
from tests.unit.test_waterfall import DOMAINS, amounts, assert_exact, inputs_from

RULES: list[DampingRules | DampingBounds] = [
    DampingBounds(max_change_pct=5.0),
    DampingRules(max_change_pct=25.0, convergence_share=0.5),
    DampingRules(max_change_per_young_eur=15.0, min_growth_pct=-50.0),
    DampingRules(convergence_share=0.25),
]
NAMES = ["inhabitants", "young", "low_income", "youth_care"]


@st.composite
def feasible_pairs(draw: st.DrawFn) -> tuple[AllocationInputs, AllocationInputs]:
    areas = draw(st.integers(1, 6))

    def side(previous: np.ndarray | None) -> AllocationInputs:
        units = draw(st.integers(areas, areas + 8))
        indicators = sorted(draw(st.sets(st.sampled_from(NAMES), min_size=1, max_size=4)))
        k = len(indicators)
        counts = draw(
            st.lists(
                st.lists(st.floats(0, 5000), min_size=k, max_size=k),
                min_size=units,
                max_size=units,
            )
        )
        rates = draw(
            st.lists(st.lists(st.floats(0, 1e4), min_size=3, max_size=3), min_size=k, max_size=k)
        )
        # every domain has a need to share (a domain without one is refused): unit 0 counts at
        # least one of the first indicator, which every domain rates
        counts[0][0] = max(counts[0][0], 1.0)
        for domain in range(3):
            rates[0][domain] = max(rates[0][domain], 1.0)
        unit_area = list(range(areas)) + draw(
            st.lists(st.integers(0, areas - 1), min_size=units - areas, max_size=units - areas)
        )
        young = np.array(draw(st.lists(st.integers(0, 10**5), min_size=areas, max_size=areas)))
        rules = None if previous is None else draw(st.sampled_from(RULES))
        if previous is None or rules is None:
            budget = draw(st.lists(st.integers(0, 10**12), min_size=3, max_size=3))
        else:
            budget = [feasible_total(draw, p, rules, young) for p in previous]
        base = min(draw(st.integers(0, 10**6)), min(budget) // areas)
        population = draw(
            st.none()
            | st.lists(st.just(0.0) | st.floats(1, 1e5), min_size=areas, max_size=areas).map(
                np.array
            )
        )
        return inputs_from(
            counts=np.array(counts),
            unit_area=np.array(unit_area),
            indicators=indicators,
            rates=np.array(rates),
            budget=budget,
            base=base,
            areas=areas,
            previous=previous,
            rules=rules,
            population=population,
            young=young,
        )

    a = side(None)
    b = side(amounts(a) if draw(st.sampled_from([True, True, True, False])) else None)
    if b.previous_cents is not None and draw(st.booleans()):
        # One more year, damped against B, so that both ends of the chain are damped.
        a, b = b, side(amounts(b))
    return a, b


@settings(max_examples=300, deadline=None)
@given(feasible_pairs())
def test_the_parts_add_up_to_every_areas_change_exactly(
    pair: tuple[AllocationInputs, AllocationInputs],
) -> None:
    a, b = pair
    result = waterfall(a, b)
    if b.previous_cents is None:
        event("B is not damped")
    else:
        held = any(b.allocate()[d].bound.any() for d in DOMAINS)
        event("B is damped, an area held" if held else "B is damped, no area held")
    assert_exact(result, a, b)
    total = combine(result)
    assert (total.start_cents + total.parts.sum(axis=0) == total.end_cents).all()
    assert total.part("budget").sum() == int(b.budget_cents.sum() - a.budget_cents.sum())

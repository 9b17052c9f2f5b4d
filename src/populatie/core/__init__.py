"""The pure computation core: arrays in, values out; no files, database or requests.

Everything the allocation method needs lives here so it can be tested on its own, benchmarked,
and run off the event loop without dragging a session along.
"""

from populatie.core.allocation import (
    DomainAllocation,
    allocate_domain,
    area_need,
    need,
    targets,
)
from populatie.core.damping import (
    DampedAmounts,
    DampingBounds,
    DampingRules,
    bound_limits,
    damp,
    damp_rules,
    rule_limits,
)
from populatie.core.estimation import Estimate, estimate_rates, variance_inflation
from populatie.core.explanation import ChangeExplanation, explain_change
from populatie.core.inputs import AllocationInputs
from populatie.core.money import (
    MAX_CENTS,
    InvalidAmountError,
    format_euro,
    parse_cents,
    parse_euro,
    split_cents,
    to_cents,
)
from populatie.core.sensitivity import (
    RateRange,
    count_effects,
    elasticity,
    rate_effects,
    rate_range,
)
from populatie.core.waterfall import FOUR_PARTS, Waterfall, combine, four_parts, waterfall

__all__ = [
    "FOUR_PARTS",
    "MAX_CENTS",
    "AllocationInputs",
    "ChangeExplanation",
    "DampedAmounts",
    "DampingBounds",
    "DampingRules",
    "DomainAllocation",
    "Estimate",
    "InvalidAmountError",
    "RateRange",
    "Waterfall",
    "allocate_domain",
    "area_need",
    "bound_limits",
    "combine",
    "count_effects",
    "damp",
    "damp_rules",
    "elasticity",
    "estimate_rates",
    "explain_change",
    "format_euro",
    "four_parts",
    "need",
    "parse_cents",
    "parse_euro",
    "rate_effects",
    "rate_range",
    "rule_limits",
    "split_cents",
    "targets",
    "to_cents",
    "variance_inflation",
    "waterfall",
]

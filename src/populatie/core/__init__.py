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
from populatie.core.explanation import ChangeExplanation, explain_change
from populatie.core.money import (
    MAX_CENTS,
    InvalidAmountError,
    format_euro,
    parse_cents,
    parse_euro,
    split_cents,
    to_cents,
)

__all__ = [
    "MAX_CENTS",
    "ChangeExplanation",
    "DampedAmounts",
    "DampingBounds",
    "DampingRules",
    "DomainAllocation",
    "InvalidAmountError",
    "allocate_domain",
    "area_need",
    "bound_limits",
    "damp",
    "damp_rules",
    "explain_change",
    "format_euro",
    "need",
    "parse_cents",
    "parse_euro",
    "rule_limits",
    "split_cents",
    "targets",
    "to_cents",
]

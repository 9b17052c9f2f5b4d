"""The ``mutation`` hypothesis profile, which ``make mutation`` selects.

A mutation run executes the tests once per mutant (thousands of times), so under this profile:
no timing deadline (mutmut's dispatch makes every call slower; a mutant must be killed for being
wrong, not slow), derandomised examples (the score is the same on every run), and each property
capped at :data:`MUTATION_MAX_EXAMPLES` examples, so a run takes minutes rather than hours on a
small machine. A mutant that only a rare example exposes can survive the cap; docs/mutation.md
lists the survivors.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

MUTATION_MAX_EXAMPLES = 15

settings.register_profile("mutation", deadline=None, derandomize=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("hypothesis_profile", None) != "mutation":
        return
    for item in items:
        test = getattr(item, "obj", None)
        given = getattr(test, "_hypothesis_internal_use_settings", None)
        if given is not None and given.max_examples > MUTATION_MAX_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                given, max_examples=MUTATION_MAX_EXAMPLES
            )

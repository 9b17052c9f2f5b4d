"""The ``mutation`` hypothesis profile, which ``make mutation`` selects.

A mutation run executes each test hundreds of times through mutmut's dispatch, so the timing
deadline would kill mutants for being slow rather than wrong; and derandomised examples make the
score the same on every run.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("mutation", deadline=None, derandomize=True)

"""The terms a funding form asks of a contract, checked before anything is written.

A regional contract buys one segment (which must apply in the years of the contract), a set
of iJw products (empty: every product of the segment), for a set of municipalities of record.
Only a trajectory contract has a start share (0–100 %; the rest is paid at completion), and
only a task-based contract is paid in instalments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from populatie.contracts.models import INSTALMENT_FREQUENCIES

__all__ = ["PRODUCT_CODE", "check_terms"]

#: An iJw product code as a file writes it (see :mod:`populatie.spending.detail`).
PRODUCT_CODE = re.compile(r"\d{2}[0-9A-Z]{3}")


def check_terms(
    funding_form: str,
    segment: str | None,
    product_codes: Iterable[str],
    start_percent: int | None,
    instalments: str | None,
    *,
    segments: Mapping[str, tuple[int, int | None]],
    municipalities: set[str],
    contract_municipalities: Iterable[str],
    years: Iterable[int],
) -> list[str]:
    """Every problem with the terms, as sentences (empty: the terms hold)."""
    problems = []
    if segment is not None:
        if segment not in segments:
            problems.append(
                f"segment {segment!r} is not of record ({', '.join(sorted(segments)) or 'none'})"
            )
        else:
            first, last = segments[segment]
            outside = [y for y in years if y < first or (last is not None and y > last)]
            if outside:
                problems.append(
                    f"segment {segment} does not apply in {', '.join(map(str, outside))}"
                )
    bad = sorted(p for p in product_codes if not PRODUCT_CODE.fullmatch(p))
    if bad:
        problems.append(
            f"product codes {', '.join(bad)}: an iJw product code is 2 digits and 3 letters or "
            "digits, e.g. 45A12"
        )
    unknown = sorted(set(contract_municipalities) - municipalities)
    if unknown:
        problems.append(f"municipalities {', '.join(unknown)} are not of record")
    if funding_form == "output-based-trajectory":
        if start_percent is None:
            problems.append(
                "a trajectory contract needs its start share (the percentage paid at the start)"
            )
        elif not 0 <= start_percent <= 100:
            problems.append(f"start share {start_percent} % must lie in 0–100 %")
    elif start_percent is not None:
        problems.append("only a trajectory contract has a start share")
    if funding_form == "task-based":
        if instalments is not None and instalments not in INSTALMENT_FREQUENCIES:
            problems.append(f"instalments {instalments!r}: {' or '.join(INSTALMENT_FREQUENCIES)}")
    elif instalments is not None:
        problems.append("only a task-based contract is paid in instalments")
    return problems

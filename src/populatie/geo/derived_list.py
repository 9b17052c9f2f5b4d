"""The list of derived figures in ``geodata/README.md``, written from what the load derives.

The README promises that the code derives the figures it lists and nothing else. Writing that
list by hand drifted (the gap fills from municipal ratios were missing), so the list is the
output of :func:`derived_figure_lines` over the loaded figures, and a test holds the README to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["DerivedFigure", "derived_figure_lines", "rule_of"]

#: How a derivation text names its rule, and the rule's name in the README (numbered there).
_RULES = (
    ("p_hh_lkk", "p_hh_lkk × a_hh (1)"),
    ("share applied", "2019 share × 2024 inhabitants (2)"),
    ("young_0_14 + young_15_24", "young_0_14 + young_15_24 (3)"),
    ("not published for this district", "municipal ratio × inhabitants (4)"),
)


class DerivedFigure(NamedTuple):
    district_code: str
    municipality_code: str
    vintage: int
    indicator: str
    derivation: str


def rule_of(derivation: str) -> str:
    """The README's name for the rule a derivation text describes; unknown text is an error."""
    for marker, name in _RULES:
        if derivation.startswith(marker) or (marker == "share applied" and marker in derivation):
            return name
    raise ValueError(f"a derivation no rule in geodata/README.md describes: {derivation!r}")


def derived_figure_lines(
    derived: Iterable[DerivedFigure], districts: dict[tuple[str, int], set[str]]
) -> list[str]:
    """One Markdown line per indicator, vintage, municipality and rule, naming its districts.

    ``districts`` holds every district with figures per (municipality, vintage); a group that
    covers most of them is written as "all N districts of GMnnnn except …".
    """
    groups: dict[tuple[str, int, str, str], set[str]] = {}
    for figure in derived:
        key = (
            figure.indicator,
            figure.vintage,
            figure.municipality_code,
            rule_of(figure.derivation),
        )
        groups.setdefault(key, set()).add(figure.district_code)
    lines = []
    for (indicator, vintage, municipality, rule), codes in sorted(groups.items()):
        every = districts.get((municipality, vintage), set())
        if len(codes) * 2 > len(every) and codes <= every:
            left = sorted(every - codes)
            where = f"all {len(every)} districts of {municipality}"
            if left:
                where += f" except {', '.join(left)}"
        else:
            where = ", ".join(sorted(codes))
        lines.append(f"- `{indicator}` {vintage}, {rule}: {len(codes)} — {where}")
    return lines

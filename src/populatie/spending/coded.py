"""A column of a spending file as codes into its distinct values.

Most columns of a spending file repeat a few values (dates, codes, domains, providers,
products, units), so each check runs once per distinct value and the rows that fail are found
by their codes, in numpy, instead of a Python call per row.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Coded"]


@dataclass(frozen=True)
class Coded:
    """A column as codes into its distinct values: ``values[codes[i]]`` is row i's value."""

    codes: npt.NDArray[np.int32]
    values: list[str]

    @classmethod
    def of(cls, column: Sequence[str]) -> Coded:
        # One pass over the rows: each row gets the row number of its value's first occurrence;
        # the first occurrences, in order, number the distinct values.
        index: dict[str, int] = {}
        first = np.fromiter(
            map(index.setdefault, column, itertools.count()), dtype=np.int64, count=len(column)
        )
        firsts = np.fromiter(index.values(), dtype=np.int64, count=len(index))
        return cls(np.searchsorted(firsts, first).astype(np.int32), list(index))

    def rows_where(self, failing: Sequence[int]) -> list[int]:
        """The rows, in order, whose value is one of the distinct values ``failing``."""
        if not failing:
            return []
        rows: list[int] = np.flatnonzero(np.isin(self.codes, list(failing))).tolist()
        return rows

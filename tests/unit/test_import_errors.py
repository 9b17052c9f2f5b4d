"""The command line's report of a rejected import, shared by the spending and KPI imports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console

from populatie.errors import SpendingImportError
from populatie.import_errors import SHOWN_ERRORS, show_import_errors
from populatie.kpis.service import FigureImportError


def _errors(n: int) -> list[dict[str, object]]:
    return [{"line": i + 2, "column": "amount", "value": "x", "reason": "bad"} for i in range(n)]


def _shown(exc: SpendingImportError | FigureImportError, errors_file: Path | None) -> str:
    out = io.StringIO()
    show_import_errors(exc, errors_file, Console(file=out, width=200))
    return out.getvalue()


def test_the_first_errors_are_shown_and_the_rest_counted() -> None:
    text = _shown(FigureImportError("rejected", details=_errors(SHOWN_ERRORS + 5)), None)
    assert "Errors (nothing was imported)" in text
    assert f"│ {SHOWN_ERRORS + 1} " in text  # the last line shown
    assert f"│ {SHOWN_ERRORS + 2} " not in text
    assert f"… and 5 more: add --errors FILE to get all {SHOWN_ERRORS + 5}" in text


def test_every_error_goes_to_the_errors_file(tmp_path: Path) -> None:
    path = tmp_path / "fouten.csv"
    text = _shown(SpendingImportError("rejected", details=_errors(SHOWN_ERRORS + 5)), path)
    assert f"all {SHOWN_ERRORS + 5} errors written to" in text
    assert "more: add --errors" not in text
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == SHOWN_ERRORS + 5
    assert rows[-1] == {
        "line": str(SHOWN_ERRORS + 6),
        "column": "amount",
        "value": "x",
        "reason": "bad",
    }

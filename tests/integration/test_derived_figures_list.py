"""``geodata/README.md`` lists exactly the figures the load derives (on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.districts.models import IndicatorFigure
from populatie.geo.derived_list import DerivedFigure, derived_figure_lines
from tests.integration.conftest import GEODATA

START, END = "<!-- derived-figures:start -->", "<!-- derived-figures:end -->"


def test_the_readme_lists_every_figure_the_load_derives(session: Session) -> None:
    text = (GEODATA / "README.md").read_text(encoding="utf-8")
    listed = text.split(START, 1)[1].split(END, 1)[0].strip().splitlines()
    rows = session.execute(
        select(
            col(IndicatorFigure.district_code),
            col(IndicatorFigure.municipality_code),
            col(IndicatorFigure.vintage),
            col(IndicatorFigure.indicator),
            col(IndicatorFigure.derivation),
            col(IndicatorFigure.derived),
        )
    ).all()
    districts: dict[tuple[str, int], set[str]] = {}
    for code, municipality, vintage, *_ in rows:
        districts.setdefault((str(municipality), int(vintage)), set()).add(str(code))
    derived = [
        DerivedFigure(str(d), str(m), int(v), str(k), str(text))
        for d, m, v, k, text, is_derived in rows
        if is_derived
    ]
    assert derived
    assert listed == derived_figure_lines(derived, districts)

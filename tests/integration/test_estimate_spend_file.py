"""Estimating rates from a spend file: a district the file does not list is an error naming it
(unless spend 0 is asked for), and districts without inhabitants are left out and listed
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.configuration import RegionConfig
from populatie.districts.models import District, IndicatorFigure
from populatie.errors import DataError
from populatie.planning import service


def _spend(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(col(IndicatorFigure.district_code), col(IndicatorFigure.value))
        .join(District, col(District.code) == col(IndicatorFigure.district_code))
        .where(col(District.municipality_code) == "GM0518")
        .where(col(IndicatorFigure.indicator) == "youth_care_users")
    )
    return {str(d): round(float(v) * 700_000) for d, v in rows}


def test_a_district_missing_from_the_file_is_an_error_naming_it(
    session: Session, config: RegionConfig
) -> None:
    spend = _spend(session)
    dropped = sorted(spend)[3]
    del spend[dropped]
    common = {"domain": "specialist", "municipality": "GM0518", "indicators": ["youth_care_users"]}
    with pytest.raises(DataError, match=f"no spend in the file: {dropped}") as info:
        service.estimate(session, config, spend, draws=0, missing="error", **common)
    assert {"district": dropped, "reason": "no spend given"} in info.value.details
    as_zero = service.estimate(session, config, spend, draws=0, missing="zero", **common)
    assert as_zero.spend_cents[as_zero.districts.index(dropped)] == 0


def test_districts_without_inhabitants_are_left_out_and_named(
    session: Session, config: RegionConfig
) -> None:
    spend = _spend(session)
    report = service.estimate(
        session,
        config,
        spend,
        domain="specialist",
        municipality="GM0518",
        indicators=["youth_care_users"],
        draws=0,
        missing="error",
    )
    # Oostduinen (dunes and beach) has no inhabitants in the CBS figures of 2024.
    assert "WK051801" not in report.districts
    assert report.as_json()["excluded_districts"] == [
        {"code": "WK051801", "reason": "no inhabitants", "spend_cents": spend.get("WK051801", 0)}
    ]
    assert report.estimate.rates[0] == pytest.approx(7000.0)

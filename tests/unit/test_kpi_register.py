"""The KPI register: the shipped one loads and covers the issue's list; a bad one is refused
with every problem named."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from populatie.configuration import load_config
from populatie.errors import ConfigurationError
from populatie.kpis.register import load_register, parse_register
from tests.conftest import ROOT

SEGMENTS = {s.code for s in load_config(ROOT / "config").segments}


def test_the_shipped_register_holds_every_kpi_asked_for() -> None:
    register = load_register(ROOT / "config", SEGMENTS)
    assert {
        "inflow",
        "outflow",
        "active_clients",
        "throughput_median",
        "ended_within_plan",
        "waiting_within_norm",
        "residential_share",
        "family_setting_share",
        "goals_met",
        "dropout",
        "satisfaction",
        "recurrence_12m",
        "cost_per_client",
        "product_mix",
    } <= set(register.kpis)
    for kpi in register:
        assert kpi.source.startswith("00"), kpi.code  # a seed file
        assert kpi.definition_nl
        assert kpi.definition_en
        # no norm is published in the documents: every one must say it is illustrative
        assert all(n.illustrative and n.note for n in kpi.norms.values()), kpi.code
    dropout = register.kpis["dropout"]
    assert dropout.direction == "lower"
    assert dropout.norm("B", 2025) is not None
    assert dropout.norm("B", 2019) is None
    assert register.kpis["cost_per_client"].scale == Decimal("0.01")
    assert register.kpis["product_mix"].by_category


def _kpi(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": "dropout",
        "name_nl": "Uitval",
        "name_en": "dropout",
        "definition_nl": "d",
        "definition_en": "d",
        "measure": "rate",
        "scale": 100,
        "unit": "%",
        "direction": "lower",
        "segments": ["B"],
        "source": "001",
    }
    return {**base, **changes}


NORM = {"segments": ["B"], "years": [2025], "value": 3}


def test_every_problem_is_named_with_its_kpi_and_field() -> None:
    raw = {
        "kpis": [
            _kpi(code="a", measure="ratio"),
            _kpi(code="dropout"),
            _kpi(code="x", direction="up", segments=["Q"]),
            _kpi(code="y", norms=[{**NORM, "illustrative": True}]),
            _kpi(code="z", norms=[{"segments": ["C"], "years": [2025], "value": 3}]),
            _kpi(code="dropout"),
            _kpi(code="w", colour="blue"),
        ]
    }  # fmt: skip
    with pytest.raises(ConfigurationError) as caught:
        parse_register(raw, SEGMENTS)
    found = {(d["kpi"], d["field"]) for d in caught.value.details}
    assert found == {
        ("a", "measure"),
        ("x", "direction"),
        ("x", "segments"),
        ("y", "norms.note"),
        ("z", "norms.segments"),
        ("dropout", "code"),
        ("w", "colour"),
    }


def test_two_norms_for_one_segment_and_year_are_refused() -> None:
    norm = {"segments": ["B"], "years": [2025, 2026], "value": 3}
    with pytest.raises(ConfigurationError, match="two norms for segment B in 2025"):
        parse_register({"kpis": [_kpi(norms=[norm, {**norm, "years": [2025]}])]}, SEGMENTS)


def test_a_kpi_without_direction_has_no_norm() -> None:
    norm = {"segments": ["B"], "years": [2025], "value": 3}
    with pytest.raises(ConfigurationError, match="without a direction"):
        parse_register({"kpis": [_kpi(direction="none", norms=[norm])]}, SEGMENTS)


def test_an_empty_or_missing_register_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="no \\[\\[kpis\\]\\]"):
        parse_register({}, SEGMENTS)
    with pytest.raises(ConfigurationError, match="missing"):
        load_register(tmp_path, SEGMENTS)

"""Contract milestones: the shipped file says what seed 004 says, and applies by period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from populatie.contracts.milestones import load_milestones, milestones_for
from populatie.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
SEED = "004_7218586dde59d853"
TEXTS = "name_nl = 'x'\ndescription_en = 'x'\ndescription_nl = 'x'\nsource = 'x'\n"


def test_the_shipped_milestones_are_those_of_seed_004() -> None:
    milestones = load_milestones(ROOT / "config")
    assert [(m.kind, m.year, m.extends_to) for m in milestones] == [
        ("go-no-go", 2025, None),
        ("go-no-go", 2027, None),
        ("extension-option", 2030, 2034),
    ]
    assert {m.source for m in milestones} == {SEED}
    text = (ROOT / "config" / "milestones.toml").read_text(encoding="utf-8")
    assert "in 2025 en 2027 go-or-no-go momenten" in text
    assert "In 2030 is er de mogelijkheid om te verlengen tot 2034." in text


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "extendable_to", "years"),
    [
        (date(2024, 1, 1), date(2026, 12, 31), date(2028, 12, 31), [2025, 2027]),
        (date(2023, 1, 1), date(2030, 12, 31), date(2034, 12, 31), [2025, 2027, 2030]),
        (date(2026, 1, 1), date(2026, 12, 31), None, []),
        (date(2020, 1, 1), date(2026, 12, 31), None, []),  # started before the contracts of 2023
        (date(2031, 1, 1), date(2034, 12, 31), None, []),
    ],
)
def test_a_milestone_applies_to_a_contract_in_force_in_its_year(
    starts_on: date, ends_on: date, extendable_to: date | None, years: list[int]
) -> None:
    known = load_milestones(ROOT / "config")
    applies = milestones_for(known, starts_on, ends_on, extendable_to)
    assert [m.year for m in applies] == years


def test_no_file_means_no_milestones(tmp_path: Path) -> None:
    assert load_milestones(tmp_path) == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[milestones]]\nkind = 'go-no-go'\n", "milestone 1 year: Field required"),
        ("[[milestones]]\nkind = 'maybe'\nyear = 2025\n" + TEXTS, "milestone 1 kind"),
        ("[[milestones]]\nkind = 'extension-option'\nyear = 2030\n" + TEXTS, "needs one"),
        ("[other]\n", "unknown section"),
        ("[[milestones]\n", "milestones.toml"),
    ],
)
def test_a_wrong_file_is_an_error(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "milestones.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_milestones(tmp_path)

"""``populatie providers …``, ``populatie members …`` and ``populatie segments list`` as a user
runs them: every write audited as a CLI event, bad input refused with the field named and
nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from populatie.configuration import load_config
from populatie.errors import ConfigurationError
from tests.integration.conftest import CONFIG, run_cli, write_config

KRACHT = "Kracht voor Jeugd en Gezin"


def _ok(folder: Path, *args: str) -> str:
    done = run_cli(folder, *args, user="finance-desk")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_finance_edits_the_register_on_the_command_line(tmp_path: Path) -> None:
    _ok(tmp_path, "load")
    bad = run_cli(tmp_path, "providers", "add", "Nieuw B.V.", "--kvk", "1234")
    assert bad.returncode == 2
    assert "kvk_number '1234' is not valid" in bad.stderr
    assert "Traceback" not in bad.stderr
    _ok(tmp_path, "providers", "add", "Nieuw B.V.", "--kvk", "12345678", "--agb", "01234567")
    listed = json.loads(_ok(tmp_path, "providers", "list", "--format", "json"))
    assert {"name": "Nieuw B.V.", "kvk_number": "12345678", "agb_code": "01234567"}.items() <= (
        next(p for p in listed if p["name"] == "Nieuw B.V.").items()
    )
    # the award's nine, the illustrative regional partnership's two, and the one just added
    assert len(listed) == 9 + 2 + 1
    assert sum(p["name"].endswith("(illustratief)") for p in listed) == 2
    _ok(tmp_path, "members", "add", KRACHT, "Nieuw B.V.", "--role", "subcontractor",
        "--from", "2025-03-01")  # fmt: skip
    _ok(tmp_path, "members", "end", KRACHT, "Nieuw B.V.", "--on", "2025-10-31", "--reason", "ok")
    twice = run_cli(tmp_path, "members", "end", KRACHT, "Nieuw B.V.", "--on", "2025-11-30")
    assert twice.returncode == 2
    assert "no member of" in twice.stderr
    members = json.loads(_ok(tmp_path, "members", "list", KRACHT, "--format", "json"))
    assert [(m["provider"], m["role"]) for m in members][:1] == [("Incluzio Randstad B.V.", "lead")]
    mine = [m for m in members if m["provider"] == "Nieuw B.V."]
    assert [(m["valid_from"], m["valid_to"], m["version"]) for m in mine] == [
        ("2025-03-01", "2025-10-31", 2)
    ]
    history = json.loads(_ok(tmp_path, "members", "list", KRACHT, "--history", "--format", "json"))
    assert [m["version"] for m in history if m["provider"] == "Nieuw B.V."] == [1, 2]
    assert "Nieuw B.V." in _ok(tmp_path, "members", "list", KRACHT)
    db = sqlite3.connect(tmp_path / "cli.db")
    try:
        events = db.execute(
            "SELECT action, actor, role, target FROM audit_event "
            "WHERE action LIKE 'provider.%' OR action LIKE 'membership.%' ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    assert events == [
        ("provider.add", "finance-desk", "cli", "provider/Nieuw B.V."),
        ("membership.add", "finance-desk", "cli", f"partnership/{KRACHT}/members/Nieuw B.V."),
        ("membership.end", "finance-desk", "cli", f"partnership/{KRACHT}/members/Nieuw B.V."),
    ]
    segments = json.loads(_ok(tmp_path, "segments", "list", "--year", "2026", "--format", "json"))
    assert [(s["code"], s["from_year"], s["to_year"]) for s in segments] == [
        ("A", 2020, 2026),
        ("B", 2020, 2026),
        ("C", 2020, 2026),
    ]
    assert "Onderwijs-jeugdhulp" in _ok(tmp_path, "segments", "list")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("to_year = 2026", "to_year = 2019", 1), "to_year 2019 is before from_year 2020"),
        (('code = "B"', 'code = "A"', 1), "segment code A appears twice"),
        (('code = "C"', 'code = "c 1"', 1), "segments.2.code"),
        (("from_year = 2027", "from_year = 1999", 1), "segments.3.from_year"),
    ],
)
def test_a_bad_segment_is_refused_naming_it(
    tmp_path: Path, change: tuple[str, str, int], reason: str
) -> None:
    folder = write_config(tmp_path, (CONFIG / "areas.toml").read_text(encoding="utf-8"))
    text = (CONFIG / "segments.toml").read_text(encoding="utf-8")
    (folder / "segments.toml").write_text(text.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=reason):
        load_config(folder)


def test_membership_and_undated_members_together_are_refused(tmp_path: Path) -> None:
    areas = (CONFIG / "areas.toml").read_text(encoding="utf-8")
    areas = areas.replace(
        'name = "RondomJou"\n', 'name = "RondomJou"\nlead_member = "Parnassia Groep"\n', 1
    )
    with pytest.raises(ConfigurationError, match="give either membership or lead_member"):
        load_config(write_config(tmp_path, areas))
    areas = (
        (CONFIG / "areas.toml")
        .read_text(encoding="utf-8")
        .replace(
            'provider = "Parnassia Groep", role = "member"',
            'provider = "Parnassia Groep", role = "lead"',
        )
    )
    (tmp_path / "two").mkdir()
    folder = write_config(tmp_path / "two", areas)
    with pytest.raises(ConfigurationError, match="exactly one lead, found 2"):
        load_config(folder)

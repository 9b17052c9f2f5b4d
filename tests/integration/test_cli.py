"""The ``populatie`` command as a user runs it: a fresh SQLite file, the shipped data."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    loaded = run_cli(folder, "load")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 123 districts" in loaded.stdout
    return folder


def test_allocate_json_is_the_documented_stable_shape(cli_db: Path) -> None:
    done = run_cli(cli_db, "allocate", "--year", "2025", "--adopt", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"run_id", "year", "status", "areas", "budget_cents"}
    assert result["year"] == 2025
    assert result["status"] == "adopted"
    assert len(result["areas"]) == 13
    first = result["areas"][0]
    assert set(first) == {
        "code", "area", "municipality", "partnership", "domains", "total_cents",
        "young_population", "young_population_derived", "damped",
    }  # fmt: skip
    for area in result["areas"]:
        assert set(area["domains"]) == {"prevention", "access", "specialist"}
        assert all(isinstance(v, int) for v in area["domains"].values())
        assert area["total_cents"] == sum(area["domains"].values())
    for municipality, budget in result["budget_cents"].items():
        for domain, cents in budget.items():
            assert cents == sum(
                a["domains"][domain] for a in result["areas"] if a["municipality"] == municipality
            )
    delft = next(a for a in result["areas"] if a["code"] == "GM0503-A")
    assert delft["young_population"] is None
    assert delft["partnership"] is None


def test_allocate_table_names_units_and_changes(cli_db: Path) -> None:
    done = run_cli(cli_db, "allocate", "--year", "2026", "--municipality", "GM0518")
    assert done.returncode == 0, done.stderr
    assert "Kracht voor Jeugd en Gezin" in done.stdout
    assert "per inhabitant" not in done.stdout  # Den Haag has age figures
    assert "€ per young" in done.stdout
    assert "no adopted run" not in done.stdout  # 2025 was adopted above


def test_allocate_csv_has_one_row_per_area(cli_db: Path) -> None:
    done = run_cli(cli_db, "allocate", "--year", "2025", "--format", "csv", "--lang", "en")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("run_id,year,status,code,area")
    assert len(lines) == 1 + 13
    english = list(csv.DictReader(io.StringIO(done.stdout)))
    run_id = english[0]["run_id"]
    dutch = run_cli(cli_db, "show", run_id, "--format", "csv")  # the default: Dutch
    assert dutch.returncode == 0, dutch.stderr
    assert dutch.stdout.startswith("\ufeffRun;Jaar;Status;Gebiedscode;Naam;")
    rows = list(csv.DictReader(io.StringIO(dutch.stdout.removeprefix("\ufeff")), delimiter=";"))
    assert [r["Gebiedscode"] for r in rows] == [r["code"] for r in english]
    for nl, en in zip(rows, english, strict=True):
        assert nl["Status"] == "concept"
        euros = nl["Totaal"].replace(",", ".")
        assert "." in euros
        assert int(Decimal(euros) * 100) == int(en["total_cents"])
        assert nl["Gedempt"] in ("ja", "nee")


def test_errors_are_messages_not_tracebacks(cli_db: Path) -> None:
    done = run_cli(cli_db, "allocate", "--year", "1999")
    assert done.returncode == 2
    assert "no budget" in done.stderr
    assert "1999" in done.stderr
    assert "Traceback" not in done.stderr
    unknown = run_cli(cli_db, "allocate", "--year", "2025", "--municipality", "GM9999")
    assert unknown.returncode == 2
    assert "GM9999" in unknown.stderr

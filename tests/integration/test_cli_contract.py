"""The command line's contract: repeated options refused by name, defaults shown in --help."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import run_cli


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-contract")
    loaded = run_cli(folder, "load")
    assert loaded.returncode == 0, loaded.stderr
    return folder


def test_allocate_refuses_a_municipality_given_twice(cli_db: Path) -> None:
    done = run_cli(
        cli_db, "allocate", "--year", "2026", "--municipality", "GM0518",
        "--municipality", "GM0503", "--municipality", "GM0518",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--municipality" in done.stderr
    assert "GM0518 given more than once" in done.stderr
    assert "Traceback" not in done.stderr
    runs = run_cli(cli_db, "runs")
    assert runs.returncode == 0, runs.stderr
    assert runs.stdout.strip() == ""  # nothing was stored

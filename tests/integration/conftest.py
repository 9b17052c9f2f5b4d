"""Fixtures over the real shipped data: loaded once per database kind per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.budget_totals.service import seed_totals
from populatie.configuration import RegionConfig, load_config
from populatie.db import session_scope
from populatie.districts.service import load_districts
from populatie.registry.service import sync_registry
from tests.conftest import ROOT

GEODATA = ROOT / "geodata"
CONFIG = ROOT / "config"


@pytest.fixture
def config() -> RegionConfig:
    return load_config(CONFIG)


@pytest.fixture
def loaded(engine: Engine, config: RegionConfig) -> Engine:
    """A database with the shipped geodata and the configured registry."""
    with session_scope(engine) as session:
        load_districts(session, GEODATA, "test")
        sync_registry(session, config)
        seed_totals(session, config, "test")
    return engine


@pytest.fixture
def session(loaded: Engine) -> Iterator[Session]:
    with Session(loaded, expire_on_commit=False) as s:
        yield s


def write_config(tmp_path: Path, areas_toml: str) -> Path:
    """A copy of config/ with another areas.toml, for configuration-error tests."""
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("region.toml", "model.toml", "budgets.toml", "segments.toml"):
        (folder / name).write_bytes((CONFIG / name).read_bytes())
    (folder / "areas.toml").write_text(areas_toml, encoding="utf-8")
    return folder


def run_cli(
    folder: Path,
    *args: str,
    user: str = "tester",
    timeout: float = 300,
    database_url: str | None = "",
) -> subprocess.CompletedProcess[str]:
    """Run ``populatie`` as a user would, on a SQLite file in ``folder`` and the shipped data.

    ``database_url=None`` leaves the URL unset, as on a fresh clone: the embedded default, with
    its ``var/`` folder moved under ``folder``."""
    env = {k: v for k, v in os.environ.items() if k != "POPULATIE_DATABASE_URL"}
    env |= {
        "POPULATIE_VAR_DIR": str(folder / "var"),
        "POPULATIE_DATA_DIR": str(GEODATA),
        "POPULATIE_CONFIG_DIR": str(CONFIG),
        "POPULATIE_USER": user,
        "COLUMNS": "200",
    }
    if database_url is not None:
        env["POPULATIE_DATABASE_URL"] = (
            database_url or f"sqlite:///{(folder / 'cli.db').as_posix()}"
        )
    return subprocess.run(
        [sys.executable, "-m", "populatie.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=timeout,
        check=False,
    )

"""`populatie tokens demo`, as `make run` calls it: one working token per role and partnership on
the embedded database, the earlier ones revoked, never on a configured database."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from litestar.testing import TestClient

from populatie.app import create_app
from populatie.db import make_engine
from tests.integration.conftest import run_cli

TOKEN_LINE = re.compile(r"^  (\w+)\s+(.*?)\s+(pop_\S+)$", re.M)


def _embedded(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with no database configured, as on a fresh clone."""
    return run_cli(folder, *args, database_url=None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    for args in (("load",), ("allocate", "--year", "2025", "--adopt")):
        done = _embedded(folder, *args)
        assert done.returncode == 0, done.stderr
    return folder


def _tokens(output: str) -> dict[tuple[str, str], str]:
    return {(role, bound): token for role, bound, token in TOKEN_LINE.findall(output)}


def test_demo_tokens_work_one_per_role_and_partnership_and_replace_the_last(demo: Path) -> None:
    first = _embedded(demo, "tokens", "demo", "--url", "http://127.0.0.1:8765/")
    assert first.returncode == 0, first.stderr
    tokens = _tokens(first.stdout)
    assert set(tokens) == {
        ("finance", ""),
        ("planner", ""),
        ("auditor", ""),
        ("consortium", "Kracht voor Jeugd en Gezin"),
        ("consortium", "RondomJou"),
        ("consortium", "H10 Regionale Jeugdhulp (illustratief)"),
    }
    assert "http://127.0.0.1:8765/sign-in" in first.stdout
    assert "http://127.0.0.1:8765/api/areas" in first.stdout

    again = _embedded(demo, "tokens", "demo")
    assert again.returncode == 0, again.stderr
    assert "http://127.0.0.1:8000/sign-in" in again.stdout
    renewed = _tokens(again.stdout)
    assert set(renewed) == set(tokens)
    assert not set(renewed.values()) & set(tokens.values())

    engine = make_engine(f"sqlite:///{(demo / 'var' / 'populatie.db').as_posix()}")
    try:
        with TestClient(app=create_app(engine)) as client:

            def areas(token: str) -> tuple[int, list[str]]:
                response = client.get("/api/areas", headers={"Authorization": f"Bearer {token}"})
                items = response.json().get("items", []) if response.is_success else []
                return response.status_code, sorted(a["partnership"] or "" for a in items)

            assert all(areas(t)[0] == 401 for t in tokens.values()), "earlier tokens revoked"
            status, seen = areas(renewed[("consortium", "RondomJou")])
            assert (status, set(seen)) == (200, {"RondomJou"})
            status, seen = areas(renewed[("finance", "")])
            assert status == 200
            assert {"RondomJou", "Kracht voor Jeugd en Gezin"} <= set(seen)
    finally:
        engine.dispose()


def test_demo_tokens_are_refused_on_a_configured_database(demo: Path) -> None:
    url = f"sqlite:///{(demo / 'var' / 'populatie.db').as_posix()}"
    refused = run_cli(demo, "tokens", "demo", database_url=url)
    assert refused.returncode != 0
    assert "embedded demo database only" in refused.stderr + refused.stdout
    assert "pop_" not in refused.stdout

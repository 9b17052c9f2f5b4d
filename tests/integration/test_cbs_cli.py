"""``populatie fetch-cbs`` / ``fetch-boundaries`` as a user runs them, in this process, on
recorded answers (constructed fixtures) or on no network at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from populatie import cli
from populatie.auth.models import AuditEvent
from populatie.cbs import cli as cbs_cli
from populatie.db import get_engine
from populatie.settings import get_settings
from tests.cbs_recorded import Recorded, folder_names


@pytest.fixture
def user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("POPULATIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("POPULATIE_USER", "tester")
    get_settings.cache_clear()
    get_engine.cache_clear()
    data = tmp_path / "data"
    data.mkdir()
    yield data
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def _main(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        cli.main(list(args))
    return int(done.value.code or 0)


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("recorded: network is unreachable", request=request)

    def client(timeout_seconds: float) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(refuse))

    monkeypatch.setattr(cbs_cli, "make_client", client)
    monkeypatch.setattr("populatie.cbs.http.time.sleep", lambda seconds: None)


@pytest.mark.parametrize("command", ["fetch-cbs", "fetch-boundaries"])
def test_offline_one_line_says_the_shipped_data_stays_and_exit_3(
    user_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    _offline(monkeypatch)
    code = _main(command, "--year", "2024", "--data", str(user_env))
    err = capsys.readouterr().err
    assert code == 3
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("error: ")
    assert "no answer after" in last
    assert "nothing written, the data in data/ stays in use" in last
    assert "Traceback" not in err
    assert folder_names(user_env) == []


def test_a_fetch_writes_the_file_and_is_audited(
    user_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorded()
    monkeypatch.setattr(cbs_cli, "make_client", lambda timeout_seconds: recorder.client())
    code = _main(
        "fetch-cbs", "--year", "2024", "--municipality", "GM1842", "--municipality", "GM0629",
        "--data", str(user_env),
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "wrote kwb_2024_gm0629_gm1842_wijken_fetched.csv: 4 rows" in out.out
    assert "85984NED: page 2" in out.err  # progress on stderr
    assert folder_names(user_env) == [
        "kwb_2024_gm0629_gm1842_wijken_fetched.csv",
        "kwb_2024_gm0629_gm1842_wijken_fetched.provenance.json",
    ]
    with Session(get_engine()) as session:
        events = session.execute(select(AuditEvent)).scalars().all()
    assert [(e.action, e.actor) for e in events] == [("data.fetch_cbs", "tester")]


def test_an_unknown_year_or_municipality_is_a_domain_error(
    user_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("fetch-cbs", "--year", "2031", "--data", str(user_env)) == 2
    assert "no table for 2031" in capsys.readouterr().err
    assert _main("fetch-cbs", "--year", "2024", "--municipality", "GM0363") == 2
    assert "GM0363: not one of the H10 municipalities" in capsys.readouterr().err

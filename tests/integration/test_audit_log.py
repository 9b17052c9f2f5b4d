"""The audit log holds every write, from the command line as from the API, and nothing can
rewrite it: the database itself refuses UPDATE and DELETE on ``audit_event``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from populatie.auth.audit import record_event
from populatie.db import session_scope
from tests.integration.conftest import run_cli

USER = "j.de.vries (finance)"


def _actions(engine: Engine, after: int) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, actor, role FROM audit_event WHERE id > :after ORDER BY id"),
            {"after": after},
        ).all()
    return [(r.action, r.actor, r.role) for r in rows]


def _last_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_event")).scalar_one())


def test_every_write_from_the_command_line_is_audited(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def cli(*args: str) -> tuple[str, list[str]]:
        before = _last_id(engine)
        done = run_cli(tmp_path, *args, user=USER, database_url=url)
        assert done.returncode == 0, done.stderr
        events = _actions(engine, before)
        assert {(actor, role) for _, actor, role in events} <= {(USER, "cli"), (USER, "finance")}
        return done.stdout, [action for action, _, _ in events]

    assert cli("load")[1] == ["data.load"]
    out, actions = cli("allocate", "--year", "2025", "--municipality", "GM0629", "--format", "json")
    assert actions == ["run.create"]
    draft = json.loads(out)["run_id"]
    assert cli("allocate", "--year", "2025", "--municipality", "GM0629", "--adopt")[1] == [
        "run.create",
        "run.adopt",
    ]
    assert cli("adopt", draft)[1] == ["run.adopt"]
    out, actions = cli("tokens", "create", "--role", "auditor", "--label", "audit test")
    assert actions == ["token.create"]
    with engine.connect() as conn:
        token_id = conn.execute(text("SELECT max(id) FROM api_token")).scalar_one()
    assert cli("tokens", "revoke", str(token_id))[1] == ["token.revoke"]
    contract = ("--reference", "H10-TEST-1", "--lot", "GM0518/1", "--start", "2025-01-01")
    assert cli(
        "contracts", "add", *contract, "--end", "2025-12-31", "--funding-form",
        "population-based", "--ceiling", "2025=1000000",
    )[1] == ["contract.create"]  # fmt: skip
    assert cli("contracts", "change", "H10-TEST-1", "--end", "2026-06-30", "--reason", "test")[
        1
    ] == ["contract.change"]
    spending = tmp_path / "spending.csv"
    spending.write_text(
        "booking_date,municipality,domain,provider,amount,invoice_reference\n"
        "2025-03-14,GM0629,prevention,Stichting Voorbeeld,800.00,SV-2025-001\n",
        encoding="utf-8",
    )
    assert cli("import-spending", str(spending))[1] == ["spending.import"]
    # reads write nothing, so they leave no event
    assert cli("show", draft)[1] == []
    assert cli("reconcile", "--year", "2025", "--format", "json")[1] == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE action = 'test.event'",
    ],
)
def test_the_database_refuses_to_rewrite_the_audit_log(engine: Engine, statement: str) -> None:
    with session_scope(engine) as session:
        record_event(
            session, actor="a", role="finance", partnership=None, action="test.event", target="t"
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action FROM audit_event")).all()
    assert [tuple(r) for r in rows] == [("a", "test.event")]


def test_truncate_is_refused_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with session_scope(engine) as session:
        record_event(session, actor="a", role="finance", partnership=None, action="test.event")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))


def test_inserting_still_works_and_dropping_the_table_is_not_blocked(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (at, actor, role, action, target, detail) "
                "VALUES (:at, 'a', 'cli', 'test.event', '', '{}')"
            ),
            {"at": datetime.now(UTC)},
        )
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_event"))
    assert "audit_event" not in inspect(engine).get_table_names()

"""Authors on the pages: a token's role in Dutch and its key, with a label that says more than
the role, never the raw ``token:N`` the audit log keeps; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from populatie.auth.authors import author_name
from populatie.auth.tokens import Principal, find_principal, issue_token
from populatie.db import session_scope
from tests.integration.api_support import KRACHT, World, build_world


def _actor(engine: Engine, role: str, partnership: str | None, label: str) -> str:
    with session_scope(engine) as session:
        token = issue_token(session, role, partnership, label, "test").token
    with Session(engine) as session:
        principal = find_principal(session, token)
    assert isinstance(principal, Principal)
    return principal.actor


def test_an_author_is_named_in_words(engine: Engine) -> None:
    world: World = build_world(engine)
    assert world.tokens  # the partnerships a consortium token is bound to
    finance = _actor(engine, "finance", None, "")
    labelled = _actor(engine, "finance", None, "Team Den Haag")
    demo = _actor(engine, "planner", None, "demo")
    consortium = _actor(engine, "consortium", KRACHT, "penvoerder")
    number = {a: a.split(":")[1].split(" ")[0] for a in (finance, labelled, demo, consortium)}
    with Session(engine) as session:
        assert author_name(session, finance) == f"financiën (sleutel {number[finance]})"
        assert author_name(session, labelled) == (
            f"Team Den Haag (financiën, sleutel {number[labelled]})"
        )
        assert author_name(session, demo) == f"planner (sleutel {number[demo]})"
        assert author_name(session, consortium) == (
            f"penvoerder (samenwerkingsverband {KRACHT}, sleutel {number[consortium]})"
        )
        # A label that repeats the role says nothing more.
        assert author_name(session, f"token:{number[finance]} (finance)") == (
            f"financiën (sleutel {number[finance]})"
        )
        # The command line's default user, a named user, a token this database never issued.
        assert author_name(session, "cli") == "beheerder (opdrachtregel)"
        assert author_name(session, "j.jansen") == "j.jansen"
        assert author_name(session, "token:99999 (oud)") == "oud (sleutel 99999)"
        assert author_name(session, "token:99999") == "sleutel 99999"

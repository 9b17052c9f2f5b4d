"""Page sessions and the CSRF secret outlive the process and are shared by every worker: a
restart signs nobody out, two app instances on one database (or one Redis) honour each other's
sessions and form tokens, and a session still ends on expiry, sign-out and token revocation."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from populatie.app import create_app
from populatie.auth.models import ServerSecret, WebSession
from populatie.auth.tokens import issue_token, revoke_token
from populatie.db import session_scope
from populatie.errors import ConfigurationError
from populatie.settings import Settings
from populatie.web import sessions
from populatie.web.server_secrets import server_secret
from populatie.web.session_stores import DatabaseSessionStore, open_session_store
from tests.integration.web_support import form_token, page_client, sign_in

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reason() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (the `redis` extra)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {REDIS_URL}: {exc}"
    return None


_REDIS_SKIP = _redis_reason()
AppFactory = Callable[[], Litestar]


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def make_app(request: pytest.FixtureRequest, engine: Engine) -> AppFactory:
    """New app instances on one database, as after a restart or in another worker; with the
    sessions in the database or, for ``redis``, in Redis (under a key prefix of this test's
    own, so runs never see each other's token ids)."""
    settings = Settings(secret_key="", session_url="")
    if request.param == "database":
        return lambda: create_app(engine, settings)
    if _REDIS_SKIP:
        pytest.skip(_REDIS_SKIP)
    from populatie.web.redis_sessions import RedisSessionStore

    prefix = f"populatie-test-{uuid.uuid4().hex[:10]}:"

    def factory() -> Litestar:
        app = create_app(engine, settings.model_copy(update={"session_url": REDIS_URL}))
        app.state.web_sessions = RedisSessionStore(REDIS_URL, prefix=prefix)
        return app

    return factory


@pytest.fixture
def token(engine: Engine) -> tuple[str, int]:
    with session_scope(engine) as session:
        issued = issue_token(session, "planner", None, "planner", "test")
        return issued.token, int(issued.record.id or 0)


def _signed_in(client: TestClient[Litestar]) -> bool:
    """Whether ``/`` sends the client to its role's page (signed in) or to sign in."""
    location = client.get("/", follow_redirects=False).headers["location"]
    assert location in {"/planner", "/sign-in"}
    return location == "/planner"


def _session_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(WebSession)).scalar_one())


def test_a_restart_signs_nobody_out(make_app: AppFactory, token: tuple[str, int]) -> None:
    with page_client(make_app()) as before:
        sign_in(before, token[0])
        assert _signed_in(before)
        cookies = dict(before.cookies)
    with page_client(make_app()) as after:  # the same browser, a new process
        after.cookies.update(cookies)
        assert _signed_in(after)
        signed_in_page = form_token(after)  # the CSRF cookie of before still signs forms
        out = after.post("/sign-out", data={"_csrf_token": signed_in_page}, follow_redirects=False)
        assert out.status_code == 303
        assert not _signed_in(after)


def test_two_workers_share_sessions_and_form_tokens(
    make_app: AppFactory, token: tuple[str, int]
) -> None:
    first, second = make_app(), make_app()
    with page_client(first) as one, page_client(second) as other:
        csrf = form_token(one)  # the sign-in form from one worker …
        other.cookies.update(dict(one.cookies))
        signed = other.post(  # … posted to the other
            "/sign-in", data={"token": token[0], "_csrf_token": csrf}, follow_redirects=False
        )
        assert signed.status_code == 303, signed.text
        one.cookies.update(dict(other.cookies))
        assert _signed_in(one)
        assert _signed_in(other)
        out = one.post("/sign-out", data={"_csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert not _signed_in(other), "signed out on one worker is signed out on all"


def test_a_session_expires(
    make_app: AppFactory, token: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "SESSION_SECONDS", 1)
    with page_client(make_app()) as client:
        sign_in(client, token[0])
        assert _signed_in(client)
        time.sleep(1.2)
        assert not _signed_in(client)


def test_a_revoked_token_ends_its_sessions_at_once(
    make_app: AppFactory, token: tuple[str, int], engine: Engine
) -> None:
    app = make_app()
    with page_client(app) as one, page_client(make_app()) as other:
        sign_in(one, token[0])
        sign_in(other, token[0])
        assert _signed_in(one)
        with session_scope(engine) as session:
            revoke_token(session, token[1], "test")
        assert not _signed_in(one)
        assert not _signed_in(other)
        refused = other.post("/sign-in", data={"token": token[0], "_csrf_token": form_token(other)})
        assert refused.status_code == 400
    if isinstance(sessions.session_store(app), DatabaseSessionStore):
        assert _session_rows(engine) == 0, "the revoked token's sessions are deleted"


def test_the_database_keeps_only_hashes_and_clears_what_ended(
    engine: Engine, token: tuple[str, int]
) -> None:
    settings = Settings(secret_key="", session_url="")
    with (
        page_client(create_app(engine, settings)) as first,
        page_client(create_app(engine, settings)) as second,
    ):
        sign_in(first, token[0])
        sign_in(second, token[0])
        ids = [first.cookies[sessions.COOKIE], second.cookies[sessions.COOKIE]]
        with Session(engine) as session:
            rows = session.execute(select(WebSession)).scalars().all()
        assert {r.id_hash for r in rows} == {sessions.hash_session_id(i) for i in ids}
        assert all(r.token_id == token[1] and r.role == "planner" for r in rows)
        assert all(r.partnership_name is None for r in rows)
        assert all(r.expires_at - r.created_at == timedelta(hours=8) for r in rows)

        # last seen moves on (at most once a minute), expiry does not
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        with session_scope(engine) as session:
            session.execute(update(WebSession).values(last_seen_at=long_ago))
        assert _signed_in(first)
        with Session(engine) as session:
            seen = session.get(WebSession, sessions.hash_session_id(ids[0]))
            assert seen is not None
            assert seen.last_seen_at > long_ago + timedelta(minutes=4)

        # signing out deletes the row; the second session expires and the next sign-in clears it
        first.post("/sign-out", data={"_csrf_token": form_token(first)})
        assert _session_rows(engine) == 1
        with session_scope(engine) as session:
            session.execute(
                update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        sign_in(first, token[0])
        assert _session_rows(engine) == 1
        assert not _signed_in(second)


def test_the_csrf_secret_is_kept_once_or_taken_from_the_setting(
    engine: Engine, token: tuple[str, int]
) -> None:
    unset = Settings(secret_key="", session_url="")
    cookie_names = set()
    for _ in range(2):
        with page_client(create_app(engine, unset)) as client:
            form_token(client)
            cookie_names |= {n for n in client.cookies if n.startswith("populatie_csrf")}
    assert len(cookie_names) == 1, "one cookie name over restarts"
    with Session(engine) as session:
        kept = session.execute(select(ServerSecret)).scalars().all()
    assert [k.name for k in kept] == ["csrf"]
    assert kept[0].value not in str(cookie_names)

    configured = Settings(secret_key="a key set by the operator", session_url="")
    with page_client(create_app(engine, configured)) as one:
        csrf = form_token(one)
        configured_names = {n for n in one.cookies if n.startswith("populatie_csrf")}
        cookies = dict(one.cookies)
    assert configured_names.isdisjoint(cookie_names), "another secret, another cookie"
    with page_client(create_app(engine, configured)) as other:
        other.cookies.update(cookies)
        signed = other.post(
            "/sign-in", data={"token": token[0], "_csrf_token": csrf}, follow_redirects=False
        )
        assert signed.status_code == 303, signed.text


def test_an_unknown_session_store_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(ConfigurationError, match="POPULATIE_SESSION_URL 'memcached'"):
        open_session_store("memcached://127.0.0.1:11211", engine)
    assert isinstance(open_session_store("", engine), DatabaseSessionStore)
    if _REDIS_SKIP is None:
        from populatie.web.redis_sessions import RedisSessionStore

        assert isinstance(open_session_store(REDIS_URL, engine), RedisSessionStore)


def test_workers_starting_together_agree_on_one_secret(engine: Engine) -> None:
    settings = Settings(secret_key="", session_url="")
    with ThreadPoolExecutor(max_workers=4) as pool:
        kept = set(pool.map(lambda _: server_secret(engine, settings), range(8)))
    assert len(kept) == 1
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(ServerSecret)).scalar_one() == 1

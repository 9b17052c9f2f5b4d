"""Every page form carries a CSRF token: a post without it (or with another's) is refused with
403, whatever Origin the browser sends or leaves out; the API, which takes bearer tokens and
no cookies, needs none."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.db import session_scope
from populatie.web.sessions import COOKIE
from tests.integration.spending_support import seed_registry
from tests.integration.web_support import page_client

FORM_TOKEN = re.compile(r'<input type="hidden" name="_csrf_token" value="([^"]+)" />')


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    seed_registry(engine, adopted=False)
    with session_scope(engine) as session:
        return {role: issue_token(session, role, None, role, "test").token for role in ("finance",)}


def _form_token(client: TestClient[Litestar], path: str = "/sign-in") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = FORM_TOKEN.findall(page.text)
    assert found, "the page's form carries no CSRF token"
    return found[0]


def test_sign_in_needs_the_form_token(engine: Engine, tokens: dict[str, str]) -> None:
    with page_client(create_app(engine)) as client:
        form = {"token": tokens["finance"]}
        for headers in ({}, {"Origin": "http://populatie.test"}):
            refused = client.post("/sign-in", data=form, headers=headers, follow_redirects=False)
            assert refused.status_code == 403, refused.text
            assert "text/html" in refused.headers["content-type"]
            assert COOKIE not in client.cookies
        csrf = _form_token(client)
        assert client.post(
            "/sign-in", data={**form, "_csrf_token": "x" + csrf[1:]}, follow_redirects=False
        ).status_code == 403  # fmt: skip
        signed_in = client.post(
            "/sign-in", data={**form, "_csrf_token": csrf}, follow_redirects=False
        )
        assert signed_in.status_code == 303, signed_in.text
        assert COOKIE in client.cookies


def test_a_token_without_its_cookie_or_from_another_server_is_refused(
    engine: Engine, tokens: dict[str, str]
) -> None:
    with page_client(create_app(engine)) as first:
        csrf = _form_token(first)
    form = {"token": tokens["finance"], "_csrf_token": csrf}
    with page_client(create_app(engine)) as other:
        # no cookie at all: a forged form on another site has only the token it saw
        assert other.post("/sign-in", data=form, follow_redirects=False).status_code == 403
        # its own cookie, the token of another browser's cookie
        _form_token(other)
        assert other.post("/sign-in", data=form, follow_redirects=False).status_code == 403


def test_sign_out_needs_the_form_token(engine: Engine, tokens: dict[str, str]) -> None:
    with page_client(create_app(engine)) as client:
        csrf = _form_token(client)
        client.post("/sign-in", data={"token": tokens["finance"], "_csrf_token": csrf})
        session_id = client.cookies[COOKIE]
        refused = client.post("/sign-out", follow_redirects=False)
        assert refused.status_code == 403
        assert client.cookies[COOKIE] == session_id
        signed_in_page = _form_token(client, "/sign-in")  # the menu's sign-out form
        out = client.post("/sign-out", data={"_csrf_token": signed_in_page}, follow_redirects=False)
        assert out.status_code == 303
        assert out.headers["location"] == "/sign-in?signed_out=true"


def test_the_api_needs_no_csrf_token(engine: Engine, tokens: dict[str, str]) -> None:
    with page_client(create_app(engine)) as client:
        _form_token(client)  # even with the page's cookie in the jar
        created = client.post(
            "/api/contracts",
            json={
                "reference": "CSRF-FREE-1",
                "lot": "GM0518/1",
                "starts_on": "2027-01-01",
                "ends_on": "2027-12-31",
                "funding_form": "population-based",
            },
            headers={"Authorization": f"Bearer {tokens['finance']}"},
        )
        assert created.status_code == 201, created.text
        health = client.get("/api/health")
        assert health.status_code == 200
        assert "set-cookie" not in health.headers

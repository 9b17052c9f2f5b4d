"""The pages as a browser uses them: a client on the pages' host, the sign-in form's CSRF
token, then the post."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

FORM_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
#: The host the test browser is on: the pages' same-origin check compares a post's Origin
#: with the Host it was sent to.
BASE_URL = "http://populatie.test"


def page_client(app: Litestar, **options: Any) -> TestClient[Litestar]:
    """A client that keeps its session cookie, as a browser on the pages' host does."""
    return TestClient(app, base_url=BASE_URL, **options)


def form_token(client: TestClient[Litestar], path: str = "/sign-in") -> str:
    """The CSRF token of the page's forms, as a browser would post it."""
    found = FORM_TOKEN.search(client.get(path).text)
    assert found is not None
    return found[1]


def sign_in(client: TestClient[Litestar], token: str) -> None:
    form = {"token": token, "_csrf_token": form_token(client)}
    response = client.post("/sign-in", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text

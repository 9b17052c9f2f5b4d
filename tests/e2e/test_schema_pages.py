"""The OpenAPI pages render in a browser that can reach nothing but the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser

# per page, a selector that shows only once its script has drawn the document
PAGES = {
    "/schema": "h1:has-text('populatie')",
    "/schema/swagger": ".swagger-ui .info .title:has-text('populatie')",
    "/schema/redoc": "h1:has-text('populatie')",
    "/schema/rapidoc": "text=Population-based youth-care budgets",
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_schema_page_renders_offline(
    context: Any, server: Server, artifacts: Path, path: str
) -> None:
    elsewhere: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith(server.base_url):
            route.continue_()
        else:  # as on a machine without internet access
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    page.goto(server.base_url + path)
    page.wait_for_selector(PAGES[path], timeout=20_000)
    name = path.strip("/").replace("/", "-")
    page.screenshot(path=str(artifacts / f"{name}.png"))
    assert elsewhere == []

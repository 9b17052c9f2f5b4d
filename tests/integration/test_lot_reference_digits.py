"""A lot path that Python calls digits but ``int`` cannot read (``³``, found by schemathesis)
is a lot that does not exist, not a server error."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import build_world


@pytest.mark.parametrize("lot", ["³", "²5", "١٢", "GM0518/١", "GM0518%2F١"])
def test_a_non_ascii_digit_lot_is_404(engine: Engine, lot: str) -> None:
    world = build_world(engine)
    with TestClient(app=create_app(engine)) as client:
        response = client.get(f"/api/lots/{lot}", headers=world.headers("finance"))
    assert response.status_code == 404, response.text

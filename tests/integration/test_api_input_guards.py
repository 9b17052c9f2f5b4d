"""What the API takes in: a NUL in a path or query is a bad request (PostgreSQL cannot bind
one), an upload's file name must be a usable name, and an import error speaks of the upload's
own field for Dutch amounts. Through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import World, build_world, concrete, endpoints, examples

PROBLEMS = "https://populatie.example/problems/"
HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


NUL_REQUESTS = [
    ("/api/areas/GM0518%00", "path"),
    ("/api/areas/GM0518%00/budget", "path"),
    ("/api/contracts/X%00", "path"),
    ("/api/spending?provider=a%00b", "provider"),
    ("/api/spending?reference=%00", "reference"),
    ("/api/audit?actor=%00", "actor"),
    ("/api/audit?action=spending.import%00", "action"),
    ("/api/districts?municipality=GM0518%00", "municipality"),
]


def test_a_nul_in_the_path_or_query_is_a_bad_request(world: World) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        for url, field in NUL_REQUESTS:
            response = client.get(url, headers=world.headers("finance"))
            assert response.status_code == 400, (url, response.text)
            problem = response.json()
            assert problem["type"] == PROBLEMS + "validation-error"
            assert field in {e["field"] for e in problem["errors"]}, url
        contract = {
            "reference": "H10-2027-NUL", "lot": "GM0518/1", "starts_on": "2027-01-01",
            "ends_on": "2028-12-31", "funding_form": "population-based",
            "ceilings_cents": {"2027": 100}, "reason": "a\u0000b",
        }  # fmt: skip
        response = client.post("/api/contracts", json=contract, headers=world.headers("finance"))
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["data"]
        contract["reason"] = "registered"
        response = client.post("/api/contracts", json=contract, headers=world.headers("finance"))
        assert response.status_code == 201, response.text


def test_no_route_answers_a_nul_with_a_server_error(world: World) -> None:
    app = create_app(world.engine)
    values = examples(world, "finance")
    with TestClient(app=app) as client:
        for endpoint in endpoints(app):
            if endpoint.method != "GET" or not endpoint.params:
                continue
            path, _ = concrete(endpoint, values)
            for name, (kind, _) in endpoint.params.items():
                value = values.get(endpoint.path, {}).get(name) or values["*"].get(name)
                value = value or ("0" if kind is int else "unknown")
                # a path holds the value quoted, or as is where the route takes a path (GM0518/1)
                written = quote(value, safe="") if quote(value, safe="") in path else value
                spoiled = path.replace(written, written + "%00", 1)
                assert spoiled != path
                response = client.get(spoiled, headers=world.headers("finance"))
                assert response.status_code in (400, 404), (spoiled, response.text)


def _upload(client: TestClient, world: World, name: str, content: bytes, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/spending",
        files={"file": (name, content, "text/csv")},
        data=form,
        headers=world.headers("finance"),
    )


ROW = "2025-03-14,GM0518,,GM0518/1,access,Incluzio Randstad B.V.,{amount},I-1,fee\n"


def test_an_unusable_file_name_is_a_bad_request_naming_the_field(world: World) -> None:
    content = (HEADER + ROW.format(amount="12.50")).encode()
    with TestClient(app=create_app(world.engine)) as client:
        for name in (".", "..", "a/..", "x" * 252 + ".csv", "é" * 130 + ".csv"):
            response = _upload(client, world, name, content)
            assert response.status_code == 400, (name, response.text)
            problem = response.json()
            assert problem["type"] == PROBLEMS + "validation-error"
            assert [e["field"] for e in problem["errors"]] == ["file"]
        assert _upload(client, world, "x" * 251 + ".csv", content).status_code == 200


def test_an_amount_past_any_booking_is_a_line_error_and_dutch_amounts_name_the_field(
    world: World,
) -> None:
    with TestClient(app=create_app(world.engine)) as client:
        content = (HEADER + ROW.format(amount="99999999999999999999.99")).encode()
        response = _upload(client, world, "big.csv", content)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == PROBLEMS + "spending-import"
        (error,) = problem["errors"]
        assert (error["line"], error["column"]) == (2, "amount")
        assert "1.000.000.000" in error["reason"]

        content = (HEADER + ROW.format(amount='"12,50"')).encode()
        response = _upload(client, world, "dutch.csv", content)
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert "decimal_comma=true" in error["reason"]
        assert "--decimal-comma" not in error["reason"]
        assert _upload(client, world, "dutch.csv", content, decimal_comma="true").status_code == 200

"""The API's contract with its callers: what it refuses, how it names things, what it says it
allows and what its OpenAPI document promises."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

import populatie
from populatie.allocations import service
from populatie.allocations.models import AllocationRun
from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.configuration import RegionConfig
from populatie.db import make_engine, migrate, session_scope
from populatie.errors import ConfigurationError

PROBLEMS = "https://populatie.example/problems/"


@pytest.fixture
def client(loaded: Engine) -> Iterator[TestClient]:
    with session_scope(loaded) as session:
        token = issue_token(session, "finance", None, "contract", "test").token
    with TestClient(app=create_app(loaded)) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _runs(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(AllocationRun)).scalar_one())


@pytest.mark.parametrize(
    ("municipalities", "reason"),
    [
        (["GM0518", "GM0503", "GM0518"], "GM0518 named more than once"),
        ([], "length >= 1"),
    ],
)
def test_a_run_refuses_a_municipality_twice_or_none(
    loaded: Engine, client: TestClient, municipalities: list[str], reason: str
) -> None:
    response = client.post("/api/runs", json={"year": 2026, "municipalities": municipalities})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == PROBLEMS + "validation-error"
    assert [e["field"] for e in problem["errors"]] == ["municipalities"]
    assert reason in problem["errors"][0]["message"]
    assert _runs(loaded) == 0  # nothing written


def test_a_run_over_named_municipalities_each_once_is_made(client: TestClient) -> None:
    response = client.post("/api/runs", json={"year": 2026, "municipalities": ["GM0503"]})
    assert response.status_code == 201, response.text
    assert {a["municipality"] for a in response.json()["areas"]} == {"GM0503"}


def test_a_lot_is_named_as_everywhere_else(loaded: Engine, client: TestClient) -> None:
    listed = client.get("/api/lots", params={"municipality": "GM0518"}).json()["items"]
    first = next(lot for lot in listed if lot["number"] == 1)
    assert first["reference"] == "GM0518/1"
    by_reference = client.get("/api/lots/GM0518%2F1")  # as a client encodes a path segment
    assert by_reference.status_code == 200, by_reference.text
    assert by_reference.json() == first
    assert client.get("/api/lots/GM0518/1").json() == first
    assert client.get(f"/api/lots/{first['id']}").json() == first  # the older form still works
    for unknown in ("GM0518%2F9", "GM9999%2F1", "lot-1", "0", str(2**40)):
        response = client.get(f"/api/lots/{unknown}")
        assert response.status_code == 404, (unknown, response.text)
        assert response.json()["type"] == PROBLEMS + "not-found"


def test_a_consortium_gets_404_for_another_partnerships_lot_by_reference(
    loaded: Engine, client: TestClient
) -> None:
    with session_scope(loaded) as session:
        token = issue_token(session, "consortium", "RondomJou", "rj", "test").token
    headers = {"Authorization": f"Bearer {token}"}
    own = client.get("/api/lots/GM0518%2F2", headers=headers)
    assert own.status_code == 200, own.text
    assert own.json()["partnership"] == "RondomJou"
    other = client.get("/api/lots/GM0518%2F1", headers=headers)
    assert other.status_code == 404


def test_the_service_refuses_a_municipality_twice_for_any_caller(
    session: Session, config: RegionConfig
) -> None:
    with pytest.raises(ConfigurationError, match="GM0518 named more than once") as raised:
        service.create_run(session, config, 2026, ["GM0518", "GM0518"], "test")
    assert raised.value.details == [{"field": "municipalities", "value": "GM0518"}]
    with pytest.raises(ConfigurationError, match="name at least one"):
        service.create_run(session, config, 2026, [], "test")


def _fill(path: str) -> str:
    """A concrete path for a route template: any value answers OPTIONS."""
    values = {"int": "1", "path": "GM0518/1"}
    return re.sub(r"{(\w+):(\w+)}", lambda m: values.get(m[2], "GM0518"), path)


def test_options_names_every_method_of_every_path(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'bare.db').as_posix()}")
    migrate(engine)
    app = create_app(engine)
    routes = [r for r in app.routes if isinstance(r, HTTPRoute)]
    assert len(routes) > 30
    with TestClient(app=app) as client:  # no token: the methods of a path are no secret
        for route in routes:
            response = client.options(_fill(route.path))
            assert response.status_code == 204, (route.path, response.text)
            allowed = set(response.headers["allow"].split(", "))
            assert allowed == set(route.methods), route.path
        assert client.options("/api/runs").headers["allow"] == "GET, OPTIONS, POST"
        assert client.options("/api/contracts/X-1").headers["allow"] == "GET, OPTIONS, PATCH"
        refused = client.delete("/api/runs")
        assert refused.status_code == 405
        assert set(refused.headers["allow"].split(", ")) == {"GET", "OPTIONS", "POST"}
    engine.dispose()


def _document(tmp_path: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'doc.db').as_posix()}")
    migrate(engine)
    with TestClient(app=create_app(engine)) as client:
        document: dict[str, Any] = client.get("/schema/openapi.json").json()
    engine.dispose()
    return document


def _schema_modules() -> list[ModuleType]:
    """Every feature's ``schemas`` module: each feature folder keeps its bodies there."""
    return [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(populatie.__path__, "populatie.")
        if found.name.endswith(".schemas")
    ]


def test_the_document_closes_every_body_that_refuses_unknown_fields(tmp_path: Path) -> None:
    components = _document(tmp_path)["components"]["schemas"]
    strict = {
        name
        for module in _schema_modules()
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and value.__struct_config__.forbid_unknown_fields
    }
    assert {"RunCreate", "Scenario", "DampingOverride", "ContractCreate"} <= strict
    closed = {name for name, c in components.items() if c.get("additionalProperties") is False}
    assert closed == strict


def test_the_document_gives_key_patterns_and_bounds(tmp_path: Path) -> None:
    components = _document(tmp_path)["components"]["schemas"]
    ceilings = components["ContractCreate"]["properties"]["ceilings_cents"]
    assert ceilings["propertyNames"]["pattern"] == r"^20\d\d$"
    assert ceilings["additionalProperties"] == {
        "type": "integer", "minimum": 0, "maximum": 10**14,
    }  # fmt: skip
    changed = components["ContractUpdate"]["properties"]["ceilings_cents"]["anyOf"][0]
    assert changed["propertyNames"]["pattern"] == r"^20\d\d$"
    scenario = components["Scenario"]["properties"]
    domains = {"enum": ["access", "prevention", "specialist"]}
    assert scenario["base_cents"]["propertyNames"] == domains
    indicator = scenario["rates"]["additionalProperties"]["additionalProperties"]
    assert indicator["propertyNames"]["pattern"] == r"^[a-z][a-z0-9_]{0,39}$"
    municipalities = components["RunCreate"]["properties"]["municipalities"]["anyOf"][0]
    assert municipalities["uniqueItems"] is True
    assert municipalities["minItems"] == 1
    assert municipalities["items"]["pattern"] == r"^GM\d{4}$"
    damping = components["DampingOverride"]["properties"]["max_change_pct"]["anyOf"][0]
    assert damping["minimum"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2026, "unknown": 1},
        {"year": 2026, "scenario": {"name": "x", "unknown": 1}},
        {"year": 2026, "scenario": {"damping": {"unknown": 1}}},
    ],
)
def test_an_unknown_field_is_refused_as_the_document_says(
    loaded: Engine, client: TestClient, body: dict[str, Any]
) -> None:
    response = client.post("/api/runs", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"].endswith("unknown")


_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_URL = re.compile(r"""\b(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)


def test_the_schema_pages_load_everything_from_the_app(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'pages.db').as_posix()}")
    migrate(engine)
    app = create_app(engine)
    pages = sorted(
        path
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/schema")
        for path in [route.path]
        if "{" not in path
    )
    assert {"/schema", "/schema/swagger", "/schema/redoc", "/schema/rapidoc"} <= set(pages)
    loaded: set[str] = set()
    with TestClient(app=app) as client:  # no token: the document is public
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            if not response.headers["content-type"].startswith("text/html"):
                continue
            head = response.text.split("<body", 1)[0]  # the document itself may name URLs
            assert not _URL.findall(head), (path, _URL.findall(head))
            for link in _LINK.findall(response.text):
                assert re.match(r"/[^/]", link), (path, link)  # same origin
                loaded.add(link)
        assert {
            "/schema/assets/redoc.standalone.js",
            "/schema/assets/swagger-ui-bundle.js",
            "/schema/assets/swagger-ui-standalone-preset.js",
            "/schema/assets/swagger-ui.css",
            "/schema/assets/rapidoc-min.js",
            "/static/favicon.svg",
        } <= loaded
        for link in sorted(loaded):
            response = client.get(link)
            assert response.status_code == 200, link
            kind = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
            assert response.headers["content-type"].startswith(kind[Path(link).suffix]), link
            assert len(response.content) > 100, link
        assert client.get("/schema/assets/index.html").status_code == 404  # only what pages load
        assert client.get("/schema/elements").status_code == 404  # no bundle to serve it from
    engine.dispose()

"""Consortium isolation with the demo's regional contracts: the partnership that holds the
regional lots sees its own contracts, tariffs, rows and lines, and none of Den Haag's; a Den
Haag partnership sees nothing of the regional ones."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.db import session_scope
from tests.integration.api_support import CONTRACT_OF, KRACHT, REGIONAL, RONDOMJOU, build_world
from tests.integration.web_support import sign_in

#: a regional contract of the demo (Delft's lot 1: output-based per trajectory, with tariffs)
REGIONAL_CONTRACT = "DEMO-H10-GM0503-B"


@pytest.fixture
def client_and_headers(engine: Engine) -> tuple[TestClient, dict[str, dict[str, str]]]:
    world = build_world(engine, spending=True)
    with session_scope(engine) as session:
        token = issue_token(session, "consortium", REGIONAL, "regional", "test").token
    headers = {
        "regional": {"Authorization": f"Bearer {token}"},
        "kracht": world.headers("kracht"),
        "finance": world.headers("finance"),
    }
    return TestClient(app=create_app(engine)), headers


def test_the_regional_partnership_sees_only_its_own(
    client_and_headers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = client_and_headers
    h = headers["regional"]
    with client:
        contracts = client.get("/api/contracts", headers=h).json()["items"]
        assert REGIONAL_CONTRACT in {c["reference"] for c in contracts}
        assert {c["partnership"] for c in contracts} == {REGIONAL}
        forms = {c["funding_form"] for c in contracts}
        assert {"task-based", "output-based-trajectory", "effort-based"} <= forms
        tariffs = client.get(f"/api/contract-tariffs/{REGIONAL_CONTRACT}", headers=h)
        assert tariffs.status_code == 200
        assert tariffs.json()["items"]
        for theirs in (CONTRACT_OF[KRACHT], CONTRACT_OF[RONDOMJOU]):
            assert client.get(f"/api/contracts/{theirs}", headers=h).status_code == 404
            assert client.get(f"/api/contract-tariffs/{theirs}", headers=h).status_code == 404
        own = {c["reference"] for c in contracts} | {
            f"{lot['municipality']}/{lot['number']}"
            for lot in client.get("/api/lots", headers=h).json()["items"]
        }
        rows = client.get("/api/spending", params={"limit": 1000}, headers=h).json()
        assert rows["total"] > 0
        assert {r["reference"] for r in rows["items"]} <= own
        report = client.get("/api/reconciliation", params={"year": 2025}, headers=h)
        assert {line["partnership"] for line in report.json()["lines"]} == {REGIONAL}
        for response in (report, tariffs, client.get("/api/contracts", headers=h)):
            assert KRACHT not in response.text
            assert RONDOMJOU not in response.text
            assert CONTRACT_OF[KRACHT] not in response.text


def test_a_den_haag_partnership_sees_nothing_of_the_regional_contracts(
    client_and_headers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = client_and_headers
    h = headers["kracht"]
    with client:
        # finance sees the regional contract and its tariffs: they exist
        finance = headers["finance"]
        assert client.get(f"/api/contracts/{REGIONAL_CONTRACT}", headers=finance).is_success
        tariffs = client.get(f"/api/contract-tariffs/{REGIONAL_CONTRACT}", headers=finance)
        assert tariffs.json()["items"]
        assert client.get(f"/api/contracts/{REGIONAL_CONTRACT}", headers=h).status_code == 404
        hidden = client.get(f"/api/contract-tariffs/{REGIONAL_CONTRACT}", headers=h)
        assert hidden.status_code == 404
        for path, params in (
            ("/api/contracts", {}),
            ("/api/spending", {"limit": 1000}),
            ("/api/reconciliation", {"year": 2025}),
        ):
            text = client.get(path, params=params, headers=h).text
            assert REGIONAL not in text, path
            assert REGIONAL_CONTRACT not in text, path


def test_pages_show_segment_and_funding_form_each_consortium_only_its_own(
    client_and_headers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = client_and_headers
    token = {name: h["Authorization"].removeprefix("Bearer ") for name, h in headers.items()}
    with client:
        sign_in(client, token["finance"])
        finance = client.get("/finance").text
        assert "segment B · output per traject (60 % bij start, 40 % bij afronding)" in finance
        assert "taakgericht, per kwartaal" in finance
        assert "producten 45C10, 45C11" in finance
        assert "Betaald na uitval" in finance
        assert "Termijnbetaling wijkt af van het schema" in finance
    for caller, mine, not_mine in (
        ("regional", REGIONAL_CONTRACT, CONTRACT_OF[KRACHT]),
        ("kracht", CONTRACT_OF[KRACHT], REGIONAL_CONTRACT),
    ):
        with TestClient(app=client.app) as own:
            sign_in(own, token[caller])
            page = own.get("/consortium").text
            assert "Uw contracten" in page
            assert mine in page
            assert not_mine not in page
            assert CONTRACT_OF[RONDOMJOU] not in page
            expected = "output per traject" if caller == "regional" else "populatiegebonden"
            assert expected in page

"""Serving the recorded CBS and PDOK answers of ``tests/data/cbs`` (constructed fixtures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from populatie.cbs.sources import CbsSources, load_sources
from tests.conftest import ROOT

RECORDED = ROOT / "tests" / "data" / "cbs"
CONFIG = ROOT / "config"


def recorded(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return payload


def quick_sources(retries: int = 2) -> CbsSources:
    """The configured sources, without waiting between retries."""
    sources = load_sources(CONFIG)
    odata = sources.odata.model_copy(update={"backoff_seconds": 0.0, "retries": retries})
    return sources.model_copy(update={"odata": odata})


class Recorded:
    """A MockTransport handler answering from the recorded files; it keeps every request.

    ``faults`` maps a path ending to answers given before the recorded one: an exception to
    raise or a status code to answer with.
    """

    def __init__(self, faults: dict[str, list[Exception | int]] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.faults = faults or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for ending, queue in self.faults.items():
            if path.endswith(ending) and queue:
                fault = queue.pop(0)
                if isinstance(fault, Exception):
                    raise fault
                return httpx.Response(fault, json={"error": "recorded fault"})
        return httpx.Response(200, json=self._answer(request))

    def _answer(self, request: httpx.Request) -> dict[str, Any]:
        path = request.url.path
        params = request.url.params
        if "/ODataFeed/odata/" in path:
            table, resource = path.split("/")[-2:]
            if resource == "TypedDataSet" and table == "85984NED":
                page = "2" if params.get("$skip") == "2" else "1"
                return recorded(f"85984NED_TypedDataSet_page{page}.json")
            return recorded(f"{table}_{resource}.json")
        if "/collections/wijken/items" in path:
            municipality = params.get("gemeentecode", "GM0629")
            if municipality == "GM0629":
                page = "2" if params.get("cursor") else "1"
                return recorded(f"pdok_wijken_GM0629_page{page}.json")
            return recorded(f"pdok_wijken_{municipality}.json")
        raise AssertionError(f"no recorded answer for {request.url}")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def paths(self, predicate: Callable[[httpx.Request], bool] = lambda r: True) -> list[str]:
        return [r.url.path for r in self.requests if predicate(r)]


def folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())

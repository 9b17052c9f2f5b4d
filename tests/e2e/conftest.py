"""A real server and a real browser for the page tests.

The server is ``uvicorn`` running ``create_app`` in a process of its own, on 127.0.0.1 at a free
port (the listening socket is made here and handed over, so no other process can take the port
in between), against a temporary SQLite database holding the shipped data, runs, demo contracts,
demo spending and tokens (:func:`tests.e2e.world.build_web_world`).

The browser is Debian's ``chromium`` at :data:`CHROMIUM`, driven by Playwright for Python
through ``executable_path``: Playwright's own browser downloads are never used. ``make test``
installs the package when it is missing and the user is root; otherwise these tests skip and
say why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from populatie.db import make_engine, migrate
from tests.conftest import ROOT
from tests.e2e.world import build_web_world
from tests.integration.api_support import World

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"Debian's chromium is not installed at {CHROMIUM}: `make test` installs it when run "
            "as root (apt-get install chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    return None


@dataclass(frozen=True)
class Server:
    base_url: str
    world: World


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "pages.db"
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    migrate(engine)
    world = build_web_world(engine, folder)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "POPULATIE_DATABASE_URL": f"sqlite:///{database.as_posix()}",
        "POPULATIE_VAR_DIR": str(folder),
    }
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "populatie.app:create_app",
            "--fd",
            str(listener.fileno()),
            "--log-level",
            "warning",
        ],
        pass_fds=[listener.fileno()],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the server did not start: " + (folder / "server.log").read_text()
                )
            time.sleep(0.2)
        yield Server(base_url=base_url, world=world)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        listener.close()
        log.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    """Playwright's sync API runs an event loop of its own while it is open, so it stays open
    for one module only: the tests after it may run asyncio themselves."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) per test, in a viewport a desk screen shows."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True
    )
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

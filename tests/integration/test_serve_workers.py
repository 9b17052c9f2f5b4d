"""``populatie serve --workers 2`` for real: a browser signs in once and stays signed in on
whichever worker answers, with the sign-in form fetched from one worker and posted to another."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from populatie.auth.tokens import issue_token
from populatie.db import make_engine, migrate, session_scope
from tests.integration.conftest import CONFIG, GEODATA

FORM_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PROC = Path("/proc")
CLIENTS = 12

pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="counts each worker's sockets in /proc")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _sockets(pid: int) -> set[str]:
    held = set()
    try:
        fds = list((PROC / str(pid) / "fd").iterdir())
    except OSError:  # the process is gone
        return held
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:"):
            held.add(target)
    return held


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    url = f"sqlite:///{(tmp_path / 'served.db').as_posix()}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        token = issue_token(session, "planner", None, "planner", "test").token
    engine.dispose()
    port = _free_port()
    env = os.environ | {
        "POPULATIE_DATABASE_URL": url,
        "POPULATIE_VAR_DIR": str(tmp_path / "var"),
        "POPULATIE_DATA_DIR": str(GEODATA),
        "POPULATIE_CONFIG_DIR": str(CONFIG),
        "POPULATIE_SECRET_KEY": "",
        "POPULATIE_SESSION_URL": "",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "populatie.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while len(_children_serving(process.pid)) < 2 or not _answers(base):
            if process.poll() is not None or time.monotonic() > deadline:
                output = (tmp_path / "serve.log").read_text()[-2000:]
                pytest.fail(f"the server did not start: {output}")
            time.sleep(0.5)
        yield base, token, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _children_serving(pid: int) -> list[int]:
    """The worker processes (multiprocessing's resource tracker, if any, holds no socket)."""
    return [child for child in _children(pid) if _sockets(child)]


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_every_worker_knows_the_session(server: tuple[str, str, subprocess.Popen[str]]) -> None:
    base, token, process = server
    workers = _children_serving(process.pid)
    before = {w: _sockets(w) for w in workers}
    # One browser, many connections kept open: each lands on one worker or the other.
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(CLIENTS)]
    try:
        form = clients[0].get("/sign-in")
        csrf = FORM_TOKEN.search(form.text)
        assert csrf is not None
        for client in clients[1:]:
            client.cookies.update(clients[0].cookies)
        signed = clients[-1].post(
            "/sign-in", data={"token": token, "_csrf_token": csrf[1]}, follow_redirects=False
        )
        assert signed.status_code == 303, signed.text
        for client in clients[:-1]:
            client.cookies.update(clients[-1].cookies)
        answers = [client.get("/", follow_redirects=False) for client in clients]
        assert [a.headers["location"] for a in answers] == ["/planner"] * CLIENTS
        assert all(c.get("/planner").status_code == 200 for c in clients)
        opened = {w: len(_sockets(w) - before[w]) for w in workers}
        assert all(opened.values()), f"connections per worker {opened}: not all workers served"
    finally:
        for client in clients:
            client.close()

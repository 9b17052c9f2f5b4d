"""The budget of one area as a consortium reads it, against a bare route of the same app.

Run from the repository root::

    python -m bench.bench_api [--connections 64] [--requests 6000] [--seconds 20]

A throw-away SQLite database gets the shipped data, an adopted 2025 run and a consortium token;
uvicorn serves ``create_app()`` on 127.0.0.1 in a subprocess. Both routes are loaded with the
same number of concurrent connections, in the same run:

- ``GET /api/areas/GM0518-L2/budget`` with the RondomJou token: authentication, the access
  guard, the partnership scope and three queries;
- ``GET /api/health``: the same app, middleware and configuration, no token and no database —
  the least any route of this app costs, so the ratio says what auth and data cost on top.

The load comes from ``wrk`` where it is installed (``apt-get install wrk``), otherwise from a
minimal keep-alive HTTP/1.1 client on asyncio streams in this process (lighter than wrk it is
not: the absolute figures are lower, the ratio is still like for like). Loopback only, bounded
in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
AREA = "GM0518-L2"
PARTNERSHIP = "RondomJou"
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


@dataclass(frozen=True)
class Load:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def prepare(folder: Path) -> tuple[str, str]:
    """A database with the shipped data, an adopted run and a consortium token."""
    from populatie.allocations import service
    from populatie.auth.tokens import issue_token
    from populatie.budget_totals.service import seed_totals
    from populatie.configuration import load_config
    from populatie.db import make_engine, migrate, session_scope
    from populatie.districts.service import load_districts
    from populatie.registry.service import sync_registry

    url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
    engine = make_engine(url)
    migrate(engine)
    config = load_config(ROOT / "config")
    with session_scope(engine) as session:
        load_districts(session, ROOT / "geodata", "bench")
        sync_registry(session, config)
        seed_totals(session, config, "bench")
    with session_scope(engine) as session:
        run = service.create_run(session, config, 2025, None, "bench")
        service.adopt(session, run.id, "bench")
        token = issue_token(session, "consortium", PARTNERSHIP, "bench", "bench").token
    engine.dispose()
    return url, token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(url: str, folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "POPULATIE_DATABASE_URL": url,
        "POPULATIE_VAR_DIR": str(folder),
        "PYTHONPATH": str(ROOT / "src"),
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "populatie.app:create_app", "--factory",
            "--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log",
            "--workers", str(workers),
        ],
        env=env,
        cwd=folder,
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not come up within 30 s")


async def _stream_load(
    url: str, headers: dict[str, str], connections: int, requests: int, seconds: float
) -> Load:
    """Keep-alive HTTP/1.1 over asyncio streams: far lighter than a general client, so the
    figures are the server's rather than the load generator's."""
    parsed = httpx.URL(url)
    head = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (head + "\r\n").encode()
    latencies: list[float] = []
    errors = 0
    remaining = requests
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        try:
            while remaining > 0 and time.perf_counter() < stop_at:
                remaining -= 1
                sent = time.perf_counter()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - sent)
                if not status_line.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Load(
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    )


def _wrk_load(
    wrk: str, url: str, headers: dict[str, str], connections: int, seconds: float
) -> Load:
    # one thread: on a small machine a second one takes the core the server needs
    args = [wrk, "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    args += ["--latency", "--timeout", "10s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if done is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    elapsed = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Load(
        requests=int(done.group(1)),
        errors=errors,
        seconds=elapsed,
        p50_ms=_wrk_ms(out, "50%"),
        p99_ms=_wrk_ms(out, "99%"),
    )


def _wrk_ms(out: str, percentile: str) -> float:
    found = re.search(rf"^\s*{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if found is None:
        raise RuntimeError(f"no {percentile} latency in wrk's output:\n{out}")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def measure(
    url: str,
    headers: dict[str, str],
    connections: int,
    requests: int,
    seconds: float,
    wrk: str | None,
) -> Load:
    if wrk is not None:
        return _wrk_load(wrk, url, headers, connections, seconds)
    return asyncio.run(_stream_load(url, headers, connections, requests, seconds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--requests", type=int, default=20000, help="per route (python client)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per route, at most")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)
    wrk = None if args.client == "python" else shutil.which("wrk")
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not installed (apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="populatie-bench-") as tmp:
        folder = Path(tmp)
        url, token = prepare(folder)
        server, base = serve(url, folder, args.workers)
        try:
            consortium = {"Authorization": f"Bearer {token}"}
            budget_url = f"{base}/api/areas/{AREA}/budget"
            check = httpx.get(budget_url, headers=consortium, timeout=10)
            if check.status_code != 200:
                raise RuntimeError(f"budget route answered {check.status_code}: {check.text}")
            warm = max(200, args.requests // 10)
            health_url = f"{base}/api/health"
            n, s = args.connections, args.seconds
            measure(budget_url, consortium, n, warm, 1.0, wrk)  # warm both up
            measure(health_url, {}, n, warm, 1.0, wrk)
            budget = measure(budget_url, consortium, n, args.requests, s, wrk)
            bare = measure(health_url, {}, n, args.requests, s, wrk)
        finally:
            server.terminate()
            server.wait(timeout=30)

    tool = "wrk" if wrk else "asyncio keep-alive client in this process (no wrk)"
    load1, load5, _ = os.getloadavg()
    print(
        f"load: {tool}, {args.connections} connections, 127.0.0.1, uvicorn {args.workers} "
        f"worker{'s' if args.workers > 1 else ''}; "
        f"{os.cpu_count()} cores, load average {load1:.1f} / {load5:.1f} (1 / 5 min)"
    )
    for name, load in (
        (f"GET /api/areas/{AREA}/budget (consortium)", budget),
        ("GET /api/health (bare route, same app)", bare),
    ):
        print(
            f"{name:<46} {load.rate:8.0f} req/s  p50 {load.p50_ms:6.2f} ms  "
            f"p99 {load.p99_ms:6.2f} ms  ({load.requests} requests, {load.errors} errors)"
        )
    ratio = budget.rate / bare.rate if bare.rate else 0.0
    print(f"ratio budget/bare req/s: {ratio:5.2f} (target >= {TARGET_RATIO})")
    print(f"budget p99: {budget.p99_ms:.2f} ms (target < {TARGET_P99_MS} ms)")
    ok = ratio >= TARGET_RATIO and budget.p99_ms < TARGET_P99_MS and budget.errors == 0
    print("within target" if ok else "OUTSIDE TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

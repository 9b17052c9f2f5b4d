"""From the planner's "Herbereken" to the page showing the new run, for all of H10.

Run from the repository root::

    python -m bench.bench_planner [--submits 30]

A throw-away SQLite database gets the shipped data, an adopted 2025 run and a planner token;
uvicorn serves ``create_app()`` on 127.0.0.1 in a subprocess. A browser's part is played by
httpx with cookies: sign in, then, each time, read the scenario form (its fields and CSRF
token, not timed), change one rate, and time the post with the redirect it answers and the
page it leads to (the runs side by side, with a waterfall per area): what the planner waits
for. Beside it, in the same run:

- the recalculation alone, in this process on the same database (``create_run`` for the ten
  municipalities, rolled back): the least a submit can cost;
- ``GET /api/health`` over the same connection: the least any request to this app costs.

Each submit stores a run, as a planner's does, so the run lists grow during the benchmark.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_api import ROOT, serve

TARGET_P95_MS = 1000.0
INPUT = re.compile(r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"')
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
RATE = "rate:gm0518:specialist:youth_care_users"


def prepare(folder: Path) -> tuple[str, str]:
    """A database with the shipped data, an adopted 2025 run and a planner token."""
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
        token = issue_token(session, "planner", None, "bench", "bench").token
    engine.dispose()
    return url, token


def recalculation_alone(url: str, repeats: int) -> list[float]:
    """``create_run`` for 2026 on the same database, in this process, never committed."""
    from sqlmodel import Session

    from populatie.allocations import service
    from populatie.configuration import load_config
    from populatie.db import make_engine

    engine = make_engine(url)
    config = load_config(ROOT / "config")
    times = []
    for _ in range(repeats):
        with Session(engine) as session:
            started = time.perf_counter()
            service.create_run(session, config, 2026, None, "bench")
            session.flush()
            times.append(time.perf_counter() - started)
            session.rollback()
    engine.dispose()
    return times


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--submits", type=int, default=30)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="populatie-bench-") as tmp:
        folder = Path(tmp)
        url, token = prepare(folder)
        alone = recalculation_alone(url, args.submits)
        server, base = serve(url, folder, 1)
        submits: list[float] = []
        bare: list[float] = []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                form = client.get("/sign-in").text
                found = CSRF.search(form)
                assert found is not None
                signed = client.post("/sign-in", data={"token": token, "_csrf_token": found[1]})
                if signed.status_code != 303:
                    raise RuntimeError(f"sign-in answered {signed.status_code}")
                for i in range(args.submits + 2):  # the first two warm up
                    html = client.get("/planner/scenario?year=2026").text
                    fields = dict(INPUT.findall(html))
                    fields["_csrf_token"] = CSRF.findall(html)[-1]
                    fields["name"] = f"bench {i}"
                    fields[RATE] = str(6000 + i)
                    started = time.perf_counter()
                    page = client.post("/planner/scenario", data=fields, follow_redirects=True)
                    elapsed = time.perf_counter() - started
                    if page.status_code != 200 or "opgeslagen als concept" not in page.text:
                        raise RuntimeError(f"the submit answered {page.status_code}")
                    started = time.perf_counter()
                    client.get("/api/health")
                    if i >= 2:
                        bare.append(time.perf_counter() - started)
                        submits.append(elapsed)
        finally:
            server.terminate()
            server.wait(timeout=30)

    load1, load5, _ = os.getloadavg()
    print(
        f"{args.submits} submits, H10 (10 municipalities, 13 areas), SQLite, uvicorn 1 worker; "
        f"{os.cpu_count()} cores, load average {load1:.1f} / {load5:.1f} (1 / 5 min)"
    )
    for name, values in (
        ("submit to the page with the new run", submits),
        ("recalculation alone (create_run, in process)", alone),
        ("GET /api/health (bare route, same app)", bare),
    ):
        print(
            f"{name:<46} p50 {_percentile(values, 0.5):7.1f} ms  "
            f"p95 {_percentile(values, 0.95):7.1f} ms"
        )
    p95 = _percentile(submits, 0.95)
    ratio = _percentile(submits, 0.5) / _percentile(alone, 0.5)
    print(f"submit / recalculation alone (p50): {ratio:.2f}")
    print(f"submit p95: {p95:.0f} ms (target < {TARGET_P95_MS:.0f} ms)")
    ok = p95 < TARGET_P95_MS
    print("within target" if ok else "OUTSIDE TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

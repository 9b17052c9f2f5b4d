"""What the API tests share: the shipped data loaded, runs stored, one token per caller.

The world every API test starts from, on each database kind: the real geodata and registry,
an adopted 2025 run and a draft 2026 run over all ten municipalities, and a token for each
role and for each of the two Den Haag partnerships.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.auth.tokens import find_principal, issue_token
from populatie.budget_totals.service import seed_totals
from populatie.configuration import load_config
from populatie.core.exception_identity import exception_key
from populatie.council_reports.service import create_report
from populatie.db import session_scope
from populatie.districts.service import load_districts
from populatie.kpis.demo import write_demo_figures
from populatie.kpis.service import import_figures, register_of
from populatie.proposals import service as proposals
from populatie.reconciliation.service import reconcile_year
from populatie.registry.models import Lot
from populatie.registry.service import sync_registry
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.service import import_spending

ROOT = Path(__file__).resolve().parents[2]
GEODATA = ROOT / "geodata"
CONFIG = ROOT / "config"

KRACHT = "Kracht voor Jeugd en Gezin"
RONDOMJOU = "RondomJou"
#: the illustrative partnership of the regional lots of the nine other municipalities
REGIONAL = "H10 Regionale Jeugdhulp (illustratief)"
AREAS_OF = {KRACHT: ["GM0518-L1", "GM0518-L3"], RONDOMJOU: ["GM0518-L2", "GM0518-L4"]}
# the demo contracts of spending.demo (registered with ``build_world(spending=True)``)
CONTRACT_OF = {KRACHT: "DEMO-H10-GM0518-P1", RONDOMJOU: "DEMO-H10-GM0518-P2"}
# query parameters an operation needs, by operation id
QUERIES: dict[str, dict[str, str]] = {
    "GetReconciliation": {"year": "2025"},
    "GetContractShares": {"year": "2025"},
    "ExportReconciliationCsv": {"year": "2025"},
    "ExportReconciliationXlsx": {"year": "2025"},
}

# caller name → (role, partnership)
CALLERS: dict[str, tuple[str, str | None]] = {
    "finance": ("finance", None),
    "planner": ("planner", None),
    "auditor": ("auditor", None),
    "kracht": ("consortium", KRACHT),
    "rondomjou": ("consortium", RONDOMJOU),
}


@dataclass(frozen=True)
class World:
    engine: Engine
    tokens: dict[str, str]
    adopted_2025: str
    draft_2026: str

    def headers(self, caller: str | None) -> dict[str, str]:
        if caller is None:
            return {}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}


def issue_tokens(session: Session) -> dict[str, str]:
    """A token for each of :data:`CALLERS`, labelled with its name."""
    return {
        name: issue_token(session, role, partnership, name, "test").token
        for name, (role, partnership) in CALLERS.items()
    }


def build_world(engine: Engine, *, spending: bool = False) -> World:
    config = load_config(CONFIG)
    with session_scope(engine) as session:
        load_districts(session, GEODATA, "test")
        sync_registry(session, config)
        seed_totals(session, config, "test")
    with session_scope(engine) as session:
        adopted = service.create_run(session, config, 2025, None, "test")
        service.adopt(session, adopted.id, "test")
        draft = service.create_run(session, config, 2026, None, "test")
        tokens = issue_tokens(session)
    if spending:
        with session_scope(engine) as session:
            register_demo_contracts(session, 2025, "test")
            out = Path(tempfile.mkdtemp(prefix="populatie-test-")) / "spending-2025.csv"
            write_demo_spending(session, 2025, 1500, 7, out)
        import_spending(engine, out, user="test")
        with session_scope(engine) as session:
            kpis = write_demo_figures(
                session, register_of(CONFIG), 2025, 7, out.with_suffix(".kpis.csv")
            )
        import_figures(
            engine,
            kpis.path.read_bytes(),
            kpis.path.name,
            register_of(CONFIG),
            actor="test",
            role="cli",
        )
        # council report 1, of Delft (the council report tests make Den Haag's themselves)
        create_report(
            engine, "GM0503", 2025, 12, register_of(CONFIG), config, actor="test", role="cli"
        )
    return World(engine=engine, tokens=tokens, adopted_2025=adopted.id, draft_2026=draft.id)


def propose(engine: Engine, *run_ids: str, who: str = "test planner") -> None:
    """Propose runs for adoption as someone no test token is, so any finance token may
    approve them (``POST /api/runs/{id}/approval`` or ``/adopt``)."""
    with session_scope(engine) as session:
        for run_id in run_ids:
            proposals.propose(
                session, run_id, proposals.Actor.on_command_line(who), "proposed in a test"
            )


def adopt_as(world: World, label: str) -> tuple[str, str]:
    """Adopt the 2025 run again, by a new finance token labelled ``label``: its actor as the
    audit log keeps it (``token:N (label)``), and the words a person should read instead."""
    with session_scope(world.engine) as session:
        token = issue_token(session, "finance", None, label, "test").token
    with session_scope(world.engine) as session:
        principal = find_principal(session, token)
        assert principal is not None
        service.adopt(session, world.adopted_2025, principal.actor)
    return principal.actor, f"{label} (financiën, sleutel {principal.token_id})"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: HTTPRouteHandler
    params: dict[str, tuple[type, str]]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


# The pages (populatie.web) answer a browser, not an API client: without a session they send it
# to the sign-in page. tests/integration/test_web_pages.py checks their access per role.
API_PREFIXES = ("/api", "/schema")


def endpoints(app: Litestar) -> Iterator[Endpoint]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIXES):
            continue
        for method, (handler, _) in sorted(route.route_handler_map.items()):
            if method in {"OPTIONS", "HEAD"}:
                continue
            params = {p.name: (p.type, p.full) for p in route.path_parameters.values()}
            yield Endpoint(method, route.path, handler, params)


def _own_lot(engine: Engine, partnership: str | None) -> str:
    """The reference (``GM0518/1``) of the first lot the partnership holds."""
    with Session(engine) as session:
        query = select(Lot).order_by(col(Lot.id))
        if partnership is not None:
            query = query.where(col(Lot.partnership_name) == partnership)
        lot = session.execute(query).scalars().first()
        return f"{lot.municipality_code}/{lot.number}" if lot else "GM0000/0"


def _an_exception_key(engine: Engine) -> str:
    """The key of the first exception of 2025's reconciliation (made up when there is none)."""
    with Session(engine) as session:
        found = reconcile_year(session, 2025, None).exceptions
    return exception_key(found[0].kind, found[0].subject, 2025) if found else "0" * 20


def examples(world: World, caller: str | None) -> dict[str, dict[str, str]]:
    """Path parameter values a caller may see: per route path, then per parameter name."""
    partnership = CALLERS[caller][1] if caller else None
    area = AREAS_OF[partnership][0] if partnership else "GM0518-L1"
    by_name = {
        "code": area,
        "run_id": world.adopted_2025,
        "other_id": world.draft_2026,
        "lot": _own_lot(world.engine, partnership),
        "name": partnership or KRACHT,
        "reference": CONTRACT_OF.get(partnership or KRACHT, "DEMO-H10-GM0518-P1"),
        "year": "2025",
        "municipality": "GM0518",
        "key": _an_exception_key(world.engine),
        "report_id": "1",
    }
    return {
        "/api/municipalities/{code:str}": {"code": "GM0518"},
        "/api/districts/{code:str}": {"code": "WK051801"},
        "/schema/assets/{asset:str}": {"asset": "swagger-ui.css"},
        "*": by_name,
    }


def concrete(endpoint: Endpoint, values: dict[str, dict[str, str]]) -> tuple[str, bool]:
    """The path with every parameter filled; False when some value had to be made up."""
    path = endpoint.path
    known = True
    for name, (kind, full) in endpoint.params.items():
        value = values.get(endpoint.path, {}).get(name) or values["*"].get(name)
        if value is None:
            known = False
            value = "0" if kind is int else "unknown"
        path = path.replace(f"{{{full}}}", quote(value, safe="/" if full.endswith(":path") else ""))
    query = QUERIES.get(endpoint.handler.operation_id or "")
    if query:
        path += "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return path, known

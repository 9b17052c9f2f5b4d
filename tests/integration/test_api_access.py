"""Authorization, generated from the app's own route table: every route × every caller.

Nothing here lists the routes: they are read from ``app.routes``, and what each caller should
get is derived from the policy the route declares (:func:`populatie.auth.access.access`). A
route added later is checked without anyone remembering to; one without a policy stops the app.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.testing import TestClient
from sqlalchemy import Engine

from populatie.app import create_app
from populatie.auth.access import FINANCE, Access, access, policy_of
from populatie.auth.tokens import Role
from tests.integration.api_support import (
    CALLERS,
    Endpoint,
    World,
    build_world,
    concrete,
    endpoints,
    examples,
)

OPENAPI_PREFIX = "/schema"
PROBLEMS = "https://populatie.example/problems/"

# What a consortium may read at all (SPEC "Access": its own areas, lots, contracts, budgets,
# spending and reconciliation). A route granting it anything else fails here.
CONSORTIUM_OPERATIONS = {
    "ListAreas",
    "GetArea",
    "GetAreaBudget",
    "ListLots",
    "GetLot",
    "ListBudgets",
    "ListContracts",
    "GetContract",
    "ListContractTariffs",
    "ListSpending",
    "GetReconciliation",
    "ExportBudgetsCsv",
    "ExportBudgetsXlsx",
    "ExportBudgetsGeojson",
    "ExportReconciliationCsv",
    "ExportReconciliationXlsx",
    "ListPartnershipMembers",
    "GetContractShares",
    "GetContractCostSharing",
    "GetKpiOverview",
    "ListKpiSignals",
    "GetKpiFunnel",
    "CompareKpiProviders",
    "ExportKpisCsv",
    "GetContractDossier",
    "ExportContractDossier",
}
# The writes and who may make them.
WRITE_POLICIES = {
    "CreateRun": {Role.FINANCE, Role.PLANNER},
    "AdoptRun": {Role.FINANCE},
    "ProposeRun": {Role.FINANCE, Role.PLANNER},
    "ApproveRun": {Role.FINANCE},
    "RejectRun": {Role.FINANCE},
    "UploadSpending": {Role.FINANCE},
    "CreateContract": {Role.FINANCE},
    "ChangeContract": {Role.FINANCE},
    "SetContractCostSharing": {Role.FINANCE},
    "SetContractTariff": {Role.FINANCE},
    "CreateProvider": {Role.FINANCE},
    "AddPartnershipMember": {Role.FINANCE},
    "EndPartnershipMember": {Role.FINANCE},
    "SetBudgetTotals": {Role.FINANCE},
    "ImportKpiFigures": {Role.FINANCE},
    # planners' computations: POSTs that store nothing
    "CreateEstimate": {Role.FINANCE, Role.PLANNER},
    "CreateSensitivity": {Role.FINANCE, Role.PLANNER},
    "MarkExceptionHandled": {Role.FINANCE},
    "CreateCouncilReport": {Role.FINANCE},
}
BODIES: dict[str, Any] = {
    "CreateRun": {"year": 2026, "municipalities": ["GM0629"]},
    "CreateContract": {
        "reference": "PROBE-2090",
        "lot": "GM0518/1",
        "starts_on": "2090-01-01",
        "ends_on": "2090-12-31",
        "funding_form": "population-based",
    },
    "ChangeContract": {"reason": "probe", "indexation_basis_points": 77},
    "SetContractTariff": {
        "product_code": "45A12",
        "year": 2025,
        "unit": "hour",
        "tariff_cents": 8533,
        "reason": "probe",
    },
    "MarkExceptionHandled": {"note": "probe"},
    "CreateProvider": {"name": "Probe Zorg B.V.", "kvk_number": "12345678"},
    # a provider registered by the configuration (RondomJou's lead), never in Kracht
    "AddPartnershipMember": {
        "provider": "Stichting Jeugdformaat",
        "role": "subcontractor",
        "valid_from": "2090-01-01",
        "valid_to": "2090-12-31",
    },
    "EndPartnershipMember": {"provider": "Yoep onderwijs en zorg B.V.", "ends_on": "2091-12-31"},
    "CreateCouncilReport": {"municipality": "GM0629", "year": 2025, "to_month": 3},
    "SetBudgetTotals": {
        "prevention_cents": 1,
        "access_cents": 2,
        "specialist_cents": 3,
        "reason": "probe",
    },
    "CreateEstimate": {"domain": "specialist", "year": 2025, "municipality": "GM0518", "draws": 0},
}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def check_all(app: Litestar, world: World) -> tuple[list[str], list[str]]:
    """Call every endpoint as every caller; return what was checked and what went wrong."""
    checked: list[str] = []
    failures: list[str] = []
    with TestClient(app=app) as client:
        for caller in [None, *CALLERS]:
            values = examples(world, caller)
            role = Role(CALLERS[caller][0]) if caller else None
            # reads first, so the writes (a new run, an adoption) change nothing they look at
            for endpoint in sorted(endpoints(app), key=lambda e: (e.method != "GET", e.path)):
                path, known = concrete(endpoint, values)
                policy = policy_of(endpoint.handler)
                body = BODIES.get(endpoint.handler.operation_id or "", {})
                response = client.request(
                    endpoint.method,
                    path,
                    headers=world.headers(caller),
                    json=body if endpoint.method != "GET" else None,
                )
                checked.append(f"{endpoint.name} as {caller}")
                # a write without an example body here is only checked to get past the guard
                known = known and (endpoint.method == "GET" or bool(body))
                problem = _expectation(endpoint, policy, role, known, response.status_code)
                if problem is None and response.status_code >= 400 and path.startswith("/api"):
                    problem = _problem_shape(response)
                if problem:
                    failures.append(
                        f"{endpoint.method} {path} as {caller or 'no token'}: {problem} "
                        f"(got {response.status_code}: {response.text[:160]})"
                    )
    return checked, failures


def _expectation(
    endpoint: Endpoint, policy: Access | None, role: Role | None, known: bool, status: int
) -> str | None:
    if policy is None:
        if endpoint.path.startswith(OPENAPI_PREFIX):  # the OpenAPI document: open to all
            return None if status < 300 or (status == 404 and not known) else "not served"
        return "route declares no access policy"
    if status >= 500:
        return "server error"
    if policy.public:
        return None if status < 400 else "public route refused"
    if role is None:
        return None if status == 401 else "expected 401 without a token"
    if not policy.allows(role):
        wanted = 404 if role is Role.CONSORTIUM else 403
        return None if status == wanted else f"expected {wanted} for role {role.value}"
    if status in {401, 403}:
        return f"role {role.value} is in the policy but was refused"
    if known and status >= 300:
        return f"expected success for role {role.value} with valid parameters"
    return None


def _problem_shape(response: Any) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return "error is not application/problem+json"
    body = response.json()
    if not str(body.get("type", "")).startswith(PROBLEMS) or body.get("status") != (
        response.status_code
    ):
        return "problem lacks a stable type or the status"
    if response.status_code == 401 and response.headers.get("www-authenticate") != "Bearer":
        return "401 without WWW-Authenticate: Bearer"
    return None


def test_every_route_answers_every_caller_as_its_policy_says(world: World) -> None:
    app = create_app(world.engine)
    checked, failures = check_all(app, world)
    routes = {line.split(" as ")[0] for line in checked}
    assert len(routes) >= 17, sorted(routes)  # the table really was read
    assert len(checked) == len(routes) * (len(CALLERS) + 1)
    assert not failures, "\n".join(failures)


def test_a_route_added_later_is_covered_without_being_listed(world: World) -> None:
    @get("/api/probe", operation_id="Probe", sync_to_thread=False, **access(FINANCE))
    def probe() -> dict[str, str]:
        return {"ok": "yes"}

    app = create_app(world.engine, extra_handlers=[probe])
    checked, failures = check_all(app, world)
    assert not failures, "\n".join(failures)
    probed = sorted(line for line in checked if line.startswith("GET /api/probe "))
    assert probed == sorted(f"GET /api/probe as {c}" for c in [None, *CALLERS])


def test_an_api_route_without_a_policy_stops_the_app(engine: Engine) -> None:
    @get("/api/unguarded", sync_to_thread=False)
    def unguarded() -> dict[str, str]:
        return {}

    with pytest.raises(ImproperlyConfiguredException, match="GET /api/unguarded"):
        create_app(engine, extra_handlers=[unguarded])


def test_declared_policies_keep_to_the_spec(engine: Engine) -> None:
    app = create_app(engine)
    for endpoint in endpoints(app):
        policy = policy_of(endpoint.handler)
        if policy is None or policy.public:
            continue
        operation = endpoint.handler.operation_id or endpoint.name
        if Role.CONSORTIUM in policy.roles:
            assert operation in CONSORTIUM_OPERATIONS, f"{operation} is open to a consortium"
        if endpoint.method != "GET":
            assert operation in WRITE_POLICIES, f"write {operation} has no expected policy here"
            assert set(policy.roles) == WRITE_POLICIES[operation], operation
        else:
            assert Role.AUDITOR in policy.roles, f"the auditor reads all, also {operation}"
            assert Role.FINANCE in policy.roles, f"finance does everything, also {operation}"

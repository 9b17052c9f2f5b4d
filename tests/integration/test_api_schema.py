"""schemathesis against the app's own OpenAPI document, with every check (``--checks all``).

The world is made hostile first: spending imported over the API with formula-like text
(``=HYPERLINK(…)``, ``+1``, ``-2``, ``@SUM(1)``, a tab), a file with a control character
refused whole, and a contract novated to the other partnership. Then every operation in
``/schema/openapi.json`` gets the coverage phase's fixed cases and a few generated valid and
invalid requests, as finance and once as a consortium: no answer may be a server error, and
each must keep to what the document declares (status, media type, headers, body, Allow,
auth enforced, invalid input refused, valid input taken). Bounded (``MAX_EXAMPLES`` per
operation, the same ones every run) so the run stays within about a minute per database.
``make fuzz`` sets ``POPULATIE_FUZZ_EXAMPLES`` to run many more, drawn afresh each time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.app import create_app
from populatie.configuration import load_config
from populatie.db import session_scope
from populatie.spending.models import Spending
from tests.integration.api_support import (
    AREAS_OF,
    CONFIG,
    CONTRACT_OF,
    KRACHT,
    QUERIES,
    RONDOMJOU,
    World,
    build_world,
    examples,
    propose,
)

FUZZ_EXAMPLES = os.environ.get("POPULATIE_FUZZ_EXAMPLES", "")
MAX_EXAMPLES = int(FUZZ_EXAMPLES) if FUZZ_EXAMPLES else 6
BODIES: dict[str, Any] = {
    "CreateRun": {
        "year": 2026,
        "municipalities": ["GM0518"],
        "scenario": {"name": "schema", "rates": {"gm0518": {"access": {"young_0_14": 200.0}}}},
    },
    "UploadSpending": {
        "file": (
            b"booking_date,municipality,district,reference,domain,provider,amount,"
            b"invoice_reference,description\n"
            b"2025-05-02,GM0518,WK051801,GM0518/1,access,Incluzio Randstad B.V.,100.00,S-1,\n"
        ),
        "decimal_comma": False,
    },
    "CreateCouncilReport": {"municipality": "GM0629", "year": 2025, "to_month": 3},
    "ImportKpiFigures": {
        "file": (
            b"period,partnership,segment,kpi,numerator,denominator\n"
            b"2025-05,RondomJou,B,dropout,12,140\n"
        ),
    },
    "CreateContract": {
        "reference": "SCHEMA-2098",
        "lot": "GM0518/3",
        "starts_on": "2098-01-01",
        "ends_on": "2098-12-31",
        "funding_form": "task-based",
        "ceilings_cents": {"2098": 100_000},
    },
    "ChangeContract": {"reason": "schema check", "indexation_basis_points": 99},
    "SetContractCostSharing": {
        "kind": "fixed",
        "basis_points": {"GM0518": 7000, "GM0503": 3000},
        "reason": "schema check",
    },
    "SetContractTariff": {
        "product_code": "45A12",
        "year": 2025,
        "unit": "hour",
        "tariff_cents": 8533,
        "reason": "schema check",
    },
    "MarkExceptionHandled": {"note": "schema check"},
    "CreateProvider": {"name": "Schema Zorg B.V.", "kvk_number": "87654321", "agb_code": None},
    "AddPartnershipMember": {
        "provider": "Stichting Jeugdformaat",
        "role": "subcontractor",
        "valid_from": "2098-01-01",
        "valid_to": "2098-12-31",
    },
    "EndPartnershipMember": {"provider": "Yoep onderwijs en zorg B.V.", "ends_on": "2099-06-30"},
    "SetBudgetTotals": {
        "prevention_cents": 100,
        "access_cents": 200,
        "specialist_cents": 300,
        "reason": "schema check",
    },
    "CreateEstimate": {"domain": "specialist", "year": 2025, "municipality": "GM0518", "draws": 20},
    "ProposeRun": {"note": "schema check"},
    "ApproveRun": {"note": "schema check"},
    "RejectRun": {"reason": "schema check"},
}
load_all_checks()
# Every check schemathesis has (``--checks all``), less those that cannot apply here:
NOT_APPLICABLE = {
    # stateful only: they follow OpenAPI links between calls, and the API declares none
    "use_after_free",
    "ensure_resource_availability",
    # needs a second identity's objects from a stateful run; the consortium test below and the
    # access tests check who sees what
    "object_level_authorization",
}
CHECKS = [check for check in REGISTRY.get_all() if check.__name__ not in NOT_APPLICABLE]
HEADER = (
    b"booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    b"description\n"
)
# cells a spreadsheet would take for a formula; a tab (which the import takes only in a
# description) leads the last description
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)", "\tTab"]


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _checker(operation: Any, seen: dict[str, set[int]], mode: GenerationMode) -> Callable[[], None]:
    """A bounded property test of one operation, recording the status codes it saw."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not FUZZ_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        response = case.call()
        seen.setdefault(_label(operation), set()).add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return check  # type: ignore[no-any-return]


def _has_input(operation: Any) -> bool:
    """Whether there is anything to make invalid: an operation with neither parameters nor
    a body (``GET /api/health``) has no negative case; Hypothesis calls it unsatisfiable."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or "{" in operation.path)


def run_all_checks(app: Any, token: str) -> tuple[list[Any], dict[str, set[int]], list[str]]:
    """Every check on every operation, as the token's caller: the coverage phase's fixed cases
    (which drive missing_required_header, unsupported_method, allow_header_conformance and
    the other coverage-only checks), then generated valid and invalid requests. Returns the
    operations, the status codes seen per operation and the failures, each with its curl."""
    schema = schemathesis.openapi.from_asgi(
        "/schema/openapi.json", app, config=schemathesis_config(token)
    )
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: dict[str, set[int]] = {}
    failures: list[str] = []
    for operation in operations:
        coverage = CoverageGenerator(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=Override(),
            feedback=FeedbackSources(),
        )
        for case in coverage:
            response = case.call()
            seen.setdefault(_label(operation), set()).add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, FailureGroup) as failure:
                failures.append(f"coverage {_label(operation)}: {failure}")
        modes = [GenerationMode.POSITIVE]
        if _has_input(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _checker(operation, seen, mode)()
            except (AssertionError, FailureGroup) as failure:
                failures.append(f"{mode} {_label(operation)}: {failure}")
    return operations, seen, failures


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _spending_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Spending)).scalar_one())


def make_hostile(world: World) -> None:
    """Formula-like and tab-led text imported through the API, a file with a control
    character refused whole, and a demo contract novated to the other partnership."""
    finance = world.headers("finance")
    lines = [
        f"2025-0{i + 1}-03,GM0518,,GM0518/1,access,{_csv_cell(cell.strip())},12.34,"
        f"{_csv_cell(cell.strip() + str(i))},{_csv_cell(cell)}"
        for i, cell in enumerate(HOSTILE)
    ]
    hostile = HEADER + "\n".join(lines).encode() + b"\n"
    with TestClient(app=create_app(world.engine)) as client:
        upload = client.post(
            "/api/spending", files={"file": ("hostile.csv", hostile, "text/csv")}, headers=finance
        )
        assert upload.status_code == 200, upload.text
        with Session(world.engine) as session:
            stored = {
                (row.provider, row.description)
                for row in session.execute(
                    select(Spending).where(col(Spending.description).in_(HOSTILE))
                ).scalars()
            }
        # kept as written: making a cell safe for a spreadsheet is the exports' work
        assert stored == {(cell.strip(), cell) for cell in HOSTILE}
        before = _spending_rows(world.engine)
        control = HEADER + b"2025-07-03,GM0518,,GM0518/1,access,Bad\x01Zorg,1.00,CTL-1,x\n"
        refused = client.post(
            "/api/spending", files={"file": ("control.csv", control, "text/csv")}, headers=finance
        )
        assert refused.status_code == 422, refused.text
        assert _spending_rows(world.engine) == before
        novated = client.patch(
            f"/api/contracts/{CONTRACT_OF[KRACHT]}",
            json={
                "partnership": RONDOMJOU,
                "partnership_from": "2025-07-01",
                "reason": "novation before the fuzz",
            },
            headers=finance,
        )
        assert novated.status_code == 200, novated.text


# Operations whose well-formed requests can still break a rule of the domain that JSON Schema
# cannot say, refused with 422 and a problem naming the rule: positive_data_acceptance takes
# that 422 as an answer there (and nowhere else).
DOMAIN_RULES = {
    "CreateRun": "a run needs budget totals for its year",
    "CreateContract": "the lot must exist, the period must end after it starts",
    "ChangeContract": "a change of partnership needs partnership_from, the first of a month",
    "SetContractTariff": "the year must lie in the contract's period",
    "UploadSpending": "the file must be UTF-8 text in the spending layout",
    "CreateProvider": "a name must hold printable text, not only control characters",
    "SetBudgetTotals": "the municipality must be one of the ten",
    "AddPartnershipMember": "the provider must be registered",
    "EndPartnershipMember": "the member must be in the partnership",
    "ImportKpiFigures": "the file must be a CSV or workbook of figures in the KPI layout",
    "CreateEstimate": "the year must have spending with districts, each indicator a figure in each",
    "CreateSensitivity": "the run must exist",
    "CreateCouncilReport": "the municipality must be one of the ten",
}


def schemathesis_config(token: str) -> SchemathesisConfig:
    """Every check, with the token as the API's bearer auth (so negative cases that drop or
    spoil the Authorization header keep it dropped or spoilt)."""
    accepted = ["2xx", "401", "403", "404", "409", "422"]
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"BearerToken": {"bearer": token}}},
            # the API refuses NUL in any text with 400 (a rule JSON Schema cannot state)
            "generation": {"allow-x00": False},
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "checks": {"positive_data_acceptance": {"expected-statuses": accepted}},
                }
                for operation_id in DOMAIN_RULES
            ],
        }
    )


def proposal_examples(world: World) -> dict[str, dict[str, str]]:
    """A run of its own for each decision (each is made once), proposed by someone the finance
    token is not, and a draft never proposed for the proposal."""
    config = load_config(CONFIG)
    with session_scope(world.engine) as session:
        fresh = [service.create_run(session, config, 2026, ["GM0629"], "test").id for _ in "abcd"]
    propose(world.engine, *fresh[1:])
    return {
        "/api/runs/{run_id:str}/proposal": {"run_id": fresh[0]},
        "/api/runs/{run_id:str}/approval": {"run_id": fresh[1]},
        "/api/runs/{run_id:str}/rejection": {"run_id": fresh[2]},
        "/api/runs/{run_id:str}/adopt": {"run_id": fresh[3]},
    }


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine, spending=True)
    make_hostile(world)
    return world


def test_every_operation_keeps_to_the_schema(world: World) -> None:
    app = create_app(world.engine)
    operations, seen, failures = run_all_checks(app, world.tokens["finance"])
    assert len(operations) >= 18
    assert not failures, "\n\n".join(failures)
    headers = world.headers("finance")

    # and once with values that exist, so every success body is checked against the schema
    values = examples(world, "finance")
    values.update(proposal_examples(world))
    plain = {re.sub(r":\w+}", "}", path): v for path, v in values.items()}
    for operation in operations:
        params = {
            name: plain.get(operation.path, {}).get(name) or values["*"][name]
            for name in re.findall(r"{(\w+)}", operation.path)
        }
        operation_id = operation.definition.raw.get("operationId", "")
        body = BODIES.get(operation_id, NOT_SET)
        if operation_id == "CreateSensitivity":  # of a run that exists
            body = {"run_id": world.adopted_2025, "step": 0.05}
        query = QUERIES.get(operation_id) or None
        case = operation.Case(path_parameters=params, body=body, query=query)
        response = case.call(headers=headers)
        assert response.status_code < 300, (operation.path, response.text[:300])
        case.validate_response(response, checks=CHECKS, headers=headers)
        seen[f"{operation.method.upper()} {operation.path}"].add(response.status_code)

    assert set(seen) == {f"{o.method.upper()} {o.path}" for o in operations}
    assert all(codes & {200, 201} for codes in seen.values()), seen


def test_a_consortium_gets_no_server_error_and_404_for_others(world: World) -> None:
    """The same checks with a consortium's token over its own view (after the novation), and
    what another partnership holds is 404 to it, exactly as what does not exist."""
    _, seen, failures = run_all_checks(create_app(world.engine), world.tokens["kracht"])
    assert not failures, "\n\n".join(failures)
    assert not any(code >= 500 for codes in seen.values() for code in codes), seen
    headers = world.headers("kracht")
    others = [
        f"/api/partnerships/{RONDOMJOU}",
        f"/api/areas/{AREAS_OF[RONDOMJOU][0]}",
        f"/api/contracts/{CONTRACT_OF[RONDOMJOU]}",
    ]
    with TestClient(app=create_app(world.engine)) as client:
        for path in others:
            assert client.get(path, headers=headers).status_code == 404, path

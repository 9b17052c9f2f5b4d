"""schemathesis against the app's own OpenAPI document, with a valid finance token.

Every operation in ``/schema/openapi.json`` gets a few generated requests; every answer must be
no server error, carry a status code, media type and body the document declares. Bounded
(``MAX_EXAMPLES`` per operation, the same ones every run) so the whole run stays well under a
minute per database. ``make fuzz`` sets ``POPULATIE_FUZZ_EXAMPLES`` to run many more, drawn
afresh each time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from populatie.app import create_app
from tests.integration.api_support import QUERIES, World, build_world, examples

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
    "CreateContract": {
        "reference": "SCHEMA-2098",
        "lot": "GM0518/3",
        "starts_on": "2098-01-01",
        "ends_on": "2098-12-31",
        "funding_form": "task-based",
        "ceilings_cents": {"2098": 100_000},
    },
    "ChangeContract": {"reason": "schema check", "indexation_basis_points": 99},
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
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _checker(
    operation: Any, headers: dict[str, str], seen: dict[str, set[int]]
) -> Callable[[], None]:
    """A bounded property test of one operation, recording the status codes it saw."""
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not FUZZ_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        seen.setdefault(label, set()).add(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return check  # type: ignore[no-any-return]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, spending=True)


def test_every_operation_keeps_to_the_schema(world: World) -> None:
    app = create_app(world.engine)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    schema.validate()
    headers = world.headers("finance")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    seen: dict[str, set[int]] = {}

    for operation in operations:
        _checker(operation, headers, seen)()

    # and once with values that exist, so every success body is checked against the schema
    values = examples(world, "finance")
    plain = {re.sub(r":\w+}", "}", path): v for path, v in values.items()}
    for operation in operations:
        params = {
            name: plain.get(operation.path, {}).get(name) or values["*"][name]
            for name in re.findall(r"{(\w+)}", operation.path)
        }
        operation_id = operation.definition.raw.get("operationId", "")
        body = BODIES.get(operation_id, NOT_SET)
        query = QUERIES.get(operation_id) or None
        case = operation.Case(path_parameters=params, body=body, query=query)
        response = case.call(headers=headers)
        assert response.status_code < 300, (operation.path, response.text[:300])
        case.validate_response(response, checks=CHECKS, headers=headers)
        seen[f"{operation.method.upper()} {operation.path}"].add(response.status_code)

    assert set(seen) == {f"{o.method.upper()} {o.path}" for o in operations}
    assert all(codes & {200, 201} for codes in seen.values()), seen

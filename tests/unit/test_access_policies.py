"""The access policy, its guard and the token resolver, on a small app of their own.

The authorization test in tests/integration drives every route of the real app against both
databases; this one checks the pieces of :mod:`populatie.auth.access` directly (which statuses a
policy declares, what the guard answers each caller, how the resolver keeps and renews a
principal), on one embedded database, so that a mutation run can afford it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.api.deps import Caller
from populatie.auth.access import (
    AUDIT,
    FINANCE,
    PLAN,
    PUBLIC,
    READ,
    READ_SCOPED,
    Access,
    BearerAuthMiddleware,
    PrincipalResolver,
    access,
    authorize,
    check_policies,
    policy_of,
    provide_principal,
    roles,
)
from populatie.auth.tokens import CACHE_SECONDS, Principal, Role, issue_token, revoke_token
from populatie.db import make_engine, migrate
from populatie.registry.models import Partnership

# --- the policy as declared ------------------------------------------------------------------


def test_a_policy_allows_exactly_its_roles() -> None:
    assert FINANCE.allows(Role.FINANCE)
    assert not FINANCE.allows(Role.PLANNER)
    assert not FINANCE.allows(None)
    assert PUBLIC.allows(None)
    assert PUBLIC.allows(Role.CONSORTIUM)
    assert not Access().allows(Role.FINANCE)
    assert roles(Role.AUDITOR, Role.PLANNER) == Access(frozenset({Role.AUDITOR, Role.PLANNER}))


def test_the_named_policies() -> None:
    assert READ.roles == {Role.FINANCE, Role.PLANNER, Role.AUDITOR}
    assert READ_SCOPED.roles == set(Role)
    assert PLAN.roles == {Role.FINANCE, Role.PLANNER}
    assert FINANCE.roles == {Role.FINANCE}
    assert AUDIT.roles == {Role.FINANCE, Role.AUDITOR}
    assert PUBLIC.public
    assert not any(p.public for p in (READ, READ_SCOPED, PLAN, FINANCE, AUDIT))


@pytest.mark.parametrize(
    ("policy", "errors", "statuses"),
    [
        (PUBLIC, (), [400, 404]),
        (READ_SCOPED, (), [400, 401, 404]),  # every role may call it: no 403
        # only a consortium is left out: it gets 404, so nobody gets 403
        (READ, (), [400, 401, 404]),
        (FINANCE, (409, 422), [400, 401, 403, 404, 409, 422]),
        (roles(Role.FINANCE, Role.CONSORTIUM), (), [400, 401, 403, 404]),
    ],
)
def test_a_policy_declares_the_problems_it_can_answer(
    policy: Access, errors: tuple[int, ...], statuses: list[int]
) -> None:
    kwargs = access(policy, errors=errors)
    assert list(kwargs["responses"]) == statuses
    assert kwargs["opt"] == {"access": policy, "exclude_from_auth": policy.public}
    assert ("security" in kwargs) is policy.public
    if policy.public:
        assert kwargs["security"] == [{}]


def test_a_403_is_declared_when_a_role_other_than_consortium_is_left_out() -> None:
    assert 403 in access(roles(Role.FINANCE, Role.AUDITOR, Role.CONSORTIUM))["responses"]
    assert 403 not in access(READ)["responses"]
    assert 403 not in access(READ_SCOPED)["responses"]


# --- the guard and the middleware, on a small app --------------------------------------------


@get("/api/public", **access(PUBLIC), sync_to_thread=False)
def public_route() -> str:
    return "public"


@get("/api/finance", **access(FINANCE), sync_to_thread=False)
def finance_route() -> str:
    return "finance"


@get("/api/scoped", **access(READ_SCOPED), sync_to_thread=False)
def scoped_route(principal: Caller) -> dict[str, Any]:
    return {"role": principal.role.value, "scope": principal.scope}


@get("/api/unguarded", sync_to_thread=False)
def unguarded_route() -> str:
    return "nobody should see this"


def outside() -> str:
    return "outside"


@get("/outside/finance", **access(FINANCE), sync_to_thread=False)
def outside_finance_route() -> str:
    return "a policy, but no user: the middleware skips this path"


@get("/api/token-id", **access(READ_SCOPED), sync_to_thread=False)
def token_id_route(request: Request[Any, Any, Any]) -> Any:
    return request.auth


@get("/api/whoami", **access(PUBLIC), sync_to_thread=False)
def whoami_route(principal: Caller) -> str:
    return principal.role.value


outside_route = get("/outside", sync_to_thread=False)(outside)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("access") / "access.db"
    eng = make_engine(f"sqlite:///{path.as_posix()}")
    migrate(eng)
    with Session(eng) as session:
        session.add(Partnership(name="RondomJou", lead_member="Stichting Jeugdformaat"))
        session.commit()
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def tokens(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        issued = {
            role: issue_token(
                session, role, "RondomJou" if role == "consortium" else None, role, "test"
            ).token
            for role in ("finance", "planner", "auditor", "consortium")
        }
        session.commit()
    return issued


def small_app(engine: Engine) -> Litestar:
    from litestar.di import Provide

    app = Litestar(
        route_handlers=[
            public_route,
            finance_route,
            scoped_route,
            unguarded_route,
            outside_route,
            outside_finance_route,
            whoami_route,
            token_id_route,
        ],
        dependencies={"principal": Provide(provide_principal, sync_to_thread=False)},
        middleware=[DefineMiddleware(BearerAuthMiddleware, exclude=["^/outside"])],
        guards=[authorize],
    )
    app.state.principals = PrincipalResolver(engine)
    return app


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient[Litestar]]:
    with TestClient(small_app(engine)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/api/finance", "finance", 200),
        ("/api/finance", "planner", 403),
        ("/api/finance", "auditor", 403),
        ("/api/finance", "consortium", 404),  # it must not learn that the route exists
        ("/api/scoped", "consortium", 200),
        ("/api/scoped", "auditor", 200),
        ("/api/public", "planner", 200),
        ("/api/unguarded", "finance", 403),
    ],
)
def test_the_guard_answers_each_caller(
    client: TestClient[Litestar], tokens: dict[str, str], path: str, role: str, status: int
) -> None:
    response = client.get(path, headers=bearer(tokens[role]))
    assert response.status_code == status, response.text
    if status == 403 and path == "/api/finance":
        assert response.json()["detail"] == f"the {role} role may not do this"
    if path == "/api/unguarded":
        assert response.json()["detail"] == "this route declares no access policy"


def test_a_scoped_caller_reaches_the_handler_with_its_partnership(
    client: TestClient[Litestar], tokens: dict[str, str]
) -> None:
    assert client.get("/api/scoped", headers=bearer(tokens["consortium"])).json() == {
        "role": "consortium",
        "scope": "RondomJou",
    }
    assert client.get("/api/scoped", headers=bearer(tokens["finance"])).json() == {
        "role": "finance",
        "scope": None,
    }


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "a bearer token is required (Authorization: Bearer …)"),
        ("Bearer", "a bearer token is required (Authorization: Bearer …)"),
        ("Bearer    ", "a bearer token is required (Authorization: Bearer …)"),
        ("Basic abc", "a bearer token is required (Authorization: Bearer …)"),
        ("Bearer pop_not-a-token", "unknown or revoked token"),
    ],
)
def test_no_valid_token_is_401(
    client: TestClient[Litestar], header: str | None, detail: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/finance", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == detail


def test_the_scheme_is_case_insensitive_and_the_token_trimmed(
    client: TestClient[Litestar], tokens: dict[str, str]
) -> None:
    headers = {"Authorization": f"bEaReR   {tokens['finance']}  "}
    assert client.get("/api/finance", headers=headers).status_code == 200


def test_the_public_route_needs_no_token(client: TestClient[Litestar]) -> None:
    assert client.get("/api/public").status_code == 200


def test_a_path_the_middleware_skips_has_no_user_and_passes(client: TestClient[Litestar]) -> None:
    assert client.get("/outside").text == "outside"


BEARER_REQUIRED = "a bearer token is required (Authorization: Bearer …)"


def test_a_guarded_route_the_middleware_skips_still_needs_a_caller(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/outside/finance")
    assert response.status_code == 401
    assert response.json()["detail"] == BEARER_REQUIRED


def test_a_handler_that_needs_the_caller_refuses_an_anonymous_one(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/api/whoami")
    assert response.status_code == 401
    assert response.json()["detail"] == BEARER_REQUIRED


def test_every_missing_policy_is_listed() -> None:
    @get("/api/a", sync_to_thread=False)
    def route_a() -> str:
        return "a"

    @get("/api/b", sync_to_thread=False)
    def route_b() -> str:
        return "b"

    app = Litestar(route_handlers=[route_a, route_b])
    with pytest.raises(ImproperlyConfiguredException) as raised:
        check_policies(app.routes)
    assert raised.value.detail == "routes without an access policy: GET /api/a, GET /api/b"


def test_every_api_route_must_declare_a_policy(engine: Engine) -> None:
    app = small_app(engine)
    with pytest.raises(ImproperlyConfiguredException) as raised:
        check_policies(app.routes)
    # OPTIONS (answered by the framework) and routes outside /api are not asked for one
    assert raised.value.detail == "routes without an access policy: GET /api/unguarded"
    check_policies(app.routes, prefix="/elsewhere")  # nothing under it: fine
    guarded = [r for r in app.routes if getattr(r, "path", "") != "/api/unguarded"]
    check_policies(guarded)


def test_policy_of_reads_only_an_access_declaration() -> None:
    assert policy_of(finance_route) is FINANCE
    assert policy_of(unguarded_route) is None
    assert policy_of(get("/x", opt={"access": "finance"}, sync_to_thread=False)(outside)) is None


# --- the resolver ----------------------------------------------------------------------------


def test_the_resolver_keeps_a_principal_and_drops_a_revoked_one(engine: Engine) -> None:
    with Session(engine) as session:
        issued = issue_token(session, "auditor", None, "kept", "test")
        session.commit()
        token_id = issued.record.id
    assert token_id is not None

    async def scenario() -> list[Principal | None]:
        resolver = PrincipalResolver(engine, ttl=0.0)
        seen = [await resolver.resolve(issued.token)]
        with Session(engine) as session:
            revoke_token(session, token_id, "test")
            session.commit()
        # Kept past its ttl: answered from memory while it is looked up again in the background.
        seen.append(await resolver.resolve(issued.token))
        while resolver._pending:
            await asyncio.sleep(0.01)
        seen.append(await resolver.resolve(issued.token))
        seen.append(await resolver.resolve("pop_unknown"))
        return seen

    first, stale, after, unknown = asyncio.run(scenario())
    assert first is not None
    assert first.role is Role.AUDITOR
    assert first.label == "kept"
    assert stale == first
    assert after is None
    assert unknown is None


def test_the_resolver_does_not_renew_a_fresh_principal(engine: Engine) -> None:
    with Session(engine) as session:
        issued = issue_token(session, "planner", None, "fresh", "test")
        session.commit()

    async def scenario() -> tuple[Principal | None, bool, Principal | None]:
        resolver = PrincipalResolver(engine, ttl=3600.0)
        first = await resolver.resolve(issued.token)
        second = await resolver.resolve(issued.token)
        return first, bool(resolver._pending), second

    first, renewing, second = asyncio.run(scenario())
    assert first is not None
    assert first == second
    assert not renewing


def test_the_resolver_forgets_everything_when_full(engine: Engine) -> None:
    with Session(engine) as session:
        issued = [issue_token(session, "auditor", None, f"t{i}", "test").token for i in range(3)]
        session.commit()

    async def scenario() -> list[int]:
        resolver = PrincipalResolver(engine, max_entries=2)
        sizes = []
        for token in issued:
            await resolver.resolve(token)
            sizes.append(len(resolver._entries))
        return sizes

    assert asyncio.run(scenario()) == [1, 2, 1]


def test_the_request_carries_the_token_id(
    client: TestClient[Litestar], tokens: dict[str, str], engine: Engine
) -> None:
    principal = asyncio.run(PrincipalResolver(engine).resolve(tokens["auditor"]))
    assert principal is not None
    response = client.get("/api/token-id", headers=bearer(tokens["auditor"]))
    assert response.json() == principal.token_id


def test_a_token_asked_for_twice_at_once_is_looked_up_once(
    engine: Engine, tokens: dict[str, str]
) -> None:
    async def scenario() -> tuple[list[Principal | None], list[object], int, list[object]]:
        problems: list[object] = []
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: problems.append(ctx))
        resolver = PrincipalResolver(engine)
        first = asyncio.ensure_future(resolver.resolve(tokens["planner"]))
        await asyncio.sleep(0)
        pending = list(resolver._pending.values())
        both = await asyncio.gather(first, resolver.resolve(tokens["planner"]))
        await asyncio.sleep(0)
        return both, pending, len(resolver._pending), problems

    both, pending, left, problems = asyncio.run(scenario())
    assert both[0] is not None
    assert both[0] == both[1]
    assert len(pending) == 1
    assert isinstance(pending[0], asyncio.Task)
    assert left == 0
    assert problems == []  # the done callback ran without complaint


def test_the_resolver_keeps_up_to_ten_thousand_principals(engine: Engine) -> None:
    resolver = PrincipalResolver(engine)
    assert resolver.max_entries == 10_000
    assert resolver.ttl == CACHE_SECONDS

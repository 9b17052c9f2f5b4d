"""Thin HTTP layer over the provider and membership register.

Finance registers providers and adds or ends memberships; each write is a new version and an
audit event in the request's transaction. Finance, planners and auditors read every
partnership's members; a consortium reads only its own partnership's (another's: 404).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter, RequestBody

from populatie.api.deps import Caller, DbSession, Paging
from populatie.auth.access import FINANCE, READ, READ_SCOPED, access
from populatie.auth.audit import caller_audit
from populatie.errors import NotFoundError
from populatie.providers import schemas, service
from populatie.providers.service import MembershipView, ProviderView


def _provider(v: ProviderView) -> schemas.Provider:
    return schemas.Provider(
        name=v.name,
        kvk_number=v.kvk_number,
        agb_code=v.agb_code,
        version=v.version,
        recorded_at=v.recorded_at,
        recorded_by=v.recorded_by,
        reason=v.reason,
    )


def _membership(v: MembershipView) -> schemas.Membership:
    return schemas.Membership(
        partnership=v.partnership,
        provider=v.provider,
        role=v.role,  # type: ignore[arg-type]  # one of ROLES, checked on every write
        valid_from=v.valid_from,
        valid_to=v.valid_to,
        version=v.version,
        recorded_at=v.recorded_at,
        recorded_by=v.recorded_by,
        reason=v.reason,
        source=v.source,
    )


class ProviderController(Controller):
    path = "/api/providers"
    tags = ["providers"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListProviders", sync_to_thread=True, **access(READ))
    def list_providers(self, session: DbSession, window: Paging) -> schemas.ProviderPage:
        views = service.list_providers(session)
        page = views[window.offset : window.offset + window.limit]
        return schemas.ProviderPage(items=[_provider(v) for v in page], total=len(views))

    @post(
        "/",
        operation_id="CreateProvider",
        sync_to_thread=True,
        description="Register a provider (version 1), or record its new KvK number or AGB code "
        "as the next version; the same facts again are refused (409).",
        **access(FINANCE, errors=[409, 422]),
    )
    def create_provider(
        self, session: DbSession, principal: Caller, data: RequestBody[schemas.ProviderCreate]
    ) -> schemas.Provider:
        view = service.add_provider(
            session,
            data.name,
            data.kvk_number,
            data.agb_code,
            principal.actor,
            caller_audit(session, principal),
            data.reason,
        )
        return _provider(view)


OnDate = Annotated[
    date | None, QueryParameter(description="Only the memberships that hold on this day")
]
History = Annotated[
    bool, QueryParameter(description="Every version of every membership, oldest first")
]


class MembershipController(Controller):
    path = "/api/partnerships/{name:str}/members"
    tags = ["providers"]  # noqa: RUF012

    @get(
        "/",
        operation_id="ListPartnershipMembers",
        sync_to_thread=True,
        description="The lead, members and subcontractors of a partnership with the dates "
        "they hold; a consortium reads its own partnership's only.",
        **access(READ_SCOPED),
    )
    def list_members(
        self,
        session: DbSession,
        principal: Caller,
        window: Paging,
        name: FromPath[str],
        on: OnDate = None,
        history: History = False,
    ) -> schemas.MembershipPage:
        if principal.scope is not None and principal.scope != name:
            raise NotFoundError(f"partnership {name!r} is not of record")
        views = service.list_members(session, name, on, history=history)
        page = views[window.offset : window.offset + window.limit]
        return schemas.MembershipPage(items=[_membership(v) for v in page], total=len(views))

    @post(
        "/",
        operation_id="AddPartnershipMember",
        sync_to_thread=True,
        description="Record a registered provider as lead, member or subcontractor of the "
        "partnership from a date (to a date, when known). A provider holds one role in a "
        "partnership at a time; a partnership has one lead at a time (409 otherwise).",
        **access(FINANCE, errors=[409, 422]),
    )
    def add_member(
        self,
        session: DbSession,
        principal: Caller,
        name: FromPath[str],
        data: RequestBody[schemas.MembershipCreate],
    ) -> schemas.Membership:
        view = service.add_member(
            session,
            name,
            data.provider,
            data.role,
            data.valid_from,
            data.valid_to,
            principal.actor,
            caller_audit(session, principal),
            data.reason,
        )
        return _membership(view)

    @post(
        "/end",
        operation_id="EndPartnershipMember",
        sync_to_thread=True,
        description="End the provider's membership that holds on ``ends_on`` (its last day), "
        "as the next version of that membership; its earlier days stay as they were.",
        **access(FINANCE, errors=[409, 422]),
    )
    def end_member(
        self,
        session: DbSession,
        principal: Caller,
        name: FromPath[str],
        data: RequestBody[schemas.MembershipEnd],
    ) -> schemas.Membership:
        view = service.end_member(
            session,
            name,
            data.provider,
            data.ends_on,
            principal.actor,
            caller_audit(session, principal),
            data.reason,
        )
        return _membership(view)

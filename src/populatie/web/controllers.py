"""The pages: thin handlers over :mod:`populatie.web.service`, rendered by Jinja templates.

Every page declares its :class:`~populatie.auth.access.Access` like an API route and is
authorized by the same guard, with the signed-in session (:mod:`populatie.web.sessions`) in
place of a bearer token. What the guard raises becomes a page here, not a problem document::

    not signed in                    → 303 to /sign-in?next=…
    consortium on another role's page → 404 (it must not learn what exists)
    other role on a page not its own  → 403
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import ResponseHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import Body, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from populatie.api import exports
from populatie.api.deps import Caller, DbSession
from populatie.auth.access import ACCESS_KEY, AUDIT, PLAN, PUBLIC, Access, roles
from populatie.auth.tokens import Principal, Role
from populatie.dutch_sheets import Lang
from populatie.errors import NotFoundError, PopulatieError
from populatie.faults import RETRY_AFTER_SECONDS, environment_fault
from populatie.web import proposals as proposal_views
from populatie.web import service, year_on_year
from populatie.web.contract_form import ContractForm
from populatie.web.finance_desk import finance_desk
from populatie.web.finance_exceptions import ExceptionFilter
from populatie.web.formatting import ROLE_LABELS
from populatie.web.sessions import (
    SessionAuthMiddleware,
    end_session,
    session_cookie,
    start_session,
)

__all__ = ["PAGE_HEADERS", "PageController", "error_page", "page_router", "unexpected_page"]

log = logging.getLogger("populatie.web")

CONSORTIUM = roles(Role.CONSORTIUM)
HOME = {
    Role.CONSORTIUM: "/consortium",
    Role.PLANNER: "/planner",
    Role.FINANCE: "/finance",
    Role.AUDITOR: "/finance",
}
# (path, label, roles): the pages a role sees in the menu.
NAV = (
    ("/consortium", "Mijn gebieden", {Role.CONSORTIUM}),
    ("/finance", "Financiën", {Role.FINANCE, Role.AUDITOR}),
    ("/planner", "Planning", {Role.FINANCE, Role.PLANNER}),
    # Every role reads the KPIs (READ_SCOPED); a consortium its own partnership's only.
    ("/kpis", "Sturen op resultaat", {Role.CONSORTIUM, Role.FINANCE, Role.PLANNER, Role.AUDITOR}),
)
# Nothing but this server: scripts, styles and images from here only (the one script marks a
# long form post as busy; every page works without it).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]

Year = Annotated[int | None, QueryParameter(ge=2000, le=2099, description="Budget year")]
TotalsYear = Annotated[
    int | None, QueryParameter(ge=2000, le=2099, description="Year of the budget totals shown")
]
Month = Annotated[int | None, QueryParameter(ge=1, le=12, name="to", description="To month")]
Language = Annotated[Lang, QueryParameter(description="nl (default) or en (machine format)")]


def page(policy: Access) -> dict[str, Any]:
    """Keyword arguments for a page handler: its policy for the one guard, no bearer token
    (the session middleware signs the caller in), and no place in the OpenAPI document."""
    return {"opt": {ACCESS_KEY: policy, "exclude_from_auth": True}, "include_in_schema": False}


def _viewer(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def page_context(request: Request[Any, Any, Any], **values: Any) -> dict[str, Any]:
    """What base.html needs (the viewer, who they are, the menu), also for a page a feature
    renders itself, such as ``/kpis``."""
    return _context(request, **values)


def _context(request: Request[Any, Any, Any], **values: Any) -> dict[str, Any]:
    viewer = _viewer(request)
    nav = []
    who = ""
    if viewer is not None:
        nav = [
            {"href": href, "label": label, "current": _within(request.url.path, href)}
            for href, label, allowed in NAV
            if viewer.role in allowed
        ]
        who = (
            f"samenwerkingsverband {viewer.partnership}"
            if viewer.role is Role.CONSORTIUM
            else ROLE_LABELS[viewer.role.value] + (f" ({viewer.label})" if viewer.label else "")
        )
    return {"viewer": viewer, "who": who, "nav": nav, **values}


def _within(path: str, href: str) -> bool:
    """The menu item of ``href`` is current on its page and on the pages under it."""
    return path == href or path.startswith(href + "/")


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after signing in; anything else is ignored."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _same_origin(request: Request[Any, Any, Any]) -> bool:
    """A form post from this site (browsers send Origin on every POST)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


class PageController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", **page(PUBLIC))
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        viewer = _viewer(request)
        target = HOME[viewer.role] if viewer else "/sign-in"
        return Redirect(path=target, status_code=HTTP_303_SEE_OTHER)

    @get("/sign-in", **page(PUBLIC))
    async def sign_in_form(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,
        signed_out: FromQuery[bool] = False,
    ) -> Template:
        return Template(
            template_name="sign_in.html",
            context=_context(request, next=_safe_next(next) or "", error="", signed_out=signed_out),
        )

    @post("/sign-in", **page(PUBLIC))
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        if not _same_origin(request):
            raise PermissionDeniedException("a sign-in from another site")
        target = _safe_next(data.get("next"))
        started = await start_session(request, data.get("token", ""))
        if started is None:
            return Template(
                template_name="sign_in.html",
                context=_context(
                    request,
                    next=target or "",
                    error="Deze toegangssleutel is onbekend of ingetrokken. Controleer of u de "
                    "hele sleutel hebt geplakt.",
                    signed_out=False,
                ),
                status_code=400,
            )
        session_id, principal = started
        return Redirect(
            path=target or HOME[principal.role],
            status_code=HTTP_303_SEE_OTHER,
            cookies=[session_cookie(request, session_id)],
        )

    @post("/sign-out", **page(PUBLIC))
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        if not _same_origin(request):
            raise PermissionDeniedException("a sign-out from another site")
        await end_session(request)
        return Redirect(
            path="/sign-in?signed_out=true",
            status_code=HTTP_303_SEE_OTHER,
            cookies=[session_cookie(request, None)],
        )

    @get("/consortium", sync_to_thread=True, **page(CONSORTIUM))
    def consortium(
        self, request: Request[Any, Any, Any], session: DbSession, principal: Caller, year: Year
    ) -> Template:
        assert principal.partnership is not None
        view = service.consortium_page(session, principal.partnership, year)
        compare = year_on_year.year_on_year(session, principal.partnership, view.year)
        providers = year_on_year.provider_spending(session, principal.partnership, view.year)
        return Template(
            template_name="consortium.html",
            context=_context(request, page=view, compare=compare, providers=providers),
        )

    @get("/consortium/budgets.xlsx", sync_to_thread=True, **page(CONSORTIUM))
    def consortium_budgets(
        self, session: DbSession, principal: Caller, year: Year, lang: Language = "nl"
    ) -> Response[bytes]:
        """The partnership's own adopted budgets (every year, or ``year``), as the API's
        budget export scopes them."""
        content = exports.budgets_xlsx(session, principal.scope, year, lang)
        suffix = f"-{year}" if year else ""
        return Response(
            content=content,
            media_type=exports.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="budgetten{suffix}.xlsx"'},
        )

    @get("/planner", sync_to_thread=True, **page(PLAN))
    def planner(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        base: FromQuery[str | None] = None,
        other: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        domain: FromQuery[str | None] = None,
    ) -> Template:
        view = service.planner_page(
            session, base or None, other or None, municipality or None, domain or None
        )
        proposal = proposal_views.planner_panel(session, view.other.value) if view.other else None
        return Template(
            template_name="planner.html",
            context=_context(request, page=view, proposal=proposal),
        )

    @get("/finance", sync_to_thread=True, **page(AUDIT))
    def finance(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        year: Year,
        to_month: Month,
        soort: FromQuery[str] = "",
        gemeente: FromQuery[str] = "",
        perceel: FromQuery[str] = "",
        afgehandeld: FromQuery[str] = "",
        totaaljaar: TotalsYear = None,
    ) -> Template:
        """The page; the exceptions filtered by kind, municipality, lot and handled (a GET
        query, so a filtered list is a link to share). ``totaaljaar`` shows the budget totals
        of another year than the reconciliation's: the year finance just set them for."""
        chosen = ExceptionFilter(
            kind=soort, municipality=gemeente, lot=perceel, handled=afgehandeld
        )
        context = finance_context(
            request, session, principal, year, to_month, chosen, totals_year=totaaljaar
        )
        return Template(template_name="finance.html", context=context)

    @get("/finance/reconciliation.xlsx", sync_to_thread=True, **page(AUDIT))
    def reconciliation_xlsx(
        self, session: DbSession, year: Year, to_month: Month, lang: Language = "nl"
    ) -> Response[bytes]:
        return _download(session, "xlsx", year, to_month, lang)

    @get("/finance/reconciliation.csv", sync_to_thread=True, **page(AUDIT))
    def reconciliation_csv(
        self, session: DbSession, year: Year, to_month: Month, lang: Language = "nl"
    ) -> Response[bytes]:
        return _download(session, "csv", year, to_month, lang)


def finance_context(
    request: Request[Any, Any, Any],
    session: Session,
    principal: Principal,
    year: int | None,
    to_month: int | None,
    chosen: ExceptionFilter,
    totals_year: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the finance page shows: the reconciliation (computed once), the charts, the
    exceptions with their marks, and finance's forms (``extra`` may bring one back filled in,
    with its errors)."""
    result = service.finance_reconciliation(session, year, to_month)
    view = service.finance_page(session, year, to_month, result)
    forms = {mode: ContractForm(mode, {}) for mode in ("register", "change")}
    forms.update(extra.pop("forms", {}))
    waiting, decided = proposal_views.finance_proposals(session)
    extra.setdefault("proposals", waiting)
    extra.setdefault("decided", decided)
    extra.setdefault(
        "totals",
        proposal_views.totals_form(
            session, totals_year or view.year, [(m.code, m.name) for m in view.municipalities]
        ),
    )
    return _context(
        request,
        page=view,
        desk=finance_desk(session, result, chosen),
        forms=forms,
        read_only=principal.role is Role.AUDITOR,
        handling_error=extra.pop("handling_error", None),
        **extra,
    )


def _download(
    session: Session, fmt: str, year: int | None, to_month: int | None, lang: Lang
) -> Response[bytes]:
    """The reconciliation export of ``year`` (default: the finance page's year) as a file."""
    chosen = year or service.default_finance_year(session)
    if chosen is None:
        raise NotFoundError("nothing to reconcile yet")
    content, name = service.reconciliation_export(session, chosen, to_month, fmt, lang)
    return Response(
        content=content,
        media_type=service.EXPORT_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------------------------
# Errors as pages
# ---------------------------------------------------------------------------------------------

_TITLES = {
    400: "Ongeldige aanvraag",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Niet toegestaan",
    500: "Er ging iets mis",
    503: "Tijdelijk niet beschikbaar",
}
_MESSAGES = {
    400: "De pagina kon met deze keuzes niet worden getoond. Kies opnieuw.",
    403: "Uw rol geeft geen toegang tot deze pagina.",
    404: "Deze pagina of deze gegevens bestaan niet, of zijn niet voor u zichtbaar.",
    405: "Deze handeling kan hier niet.",
    500: "Er ging iets mis bij het maken van deze pagina. Probeer het later opnieuw.",
    503: "De database is tijdelijk niet beschikbaar; er is niets gewijzigd. Probeer het over "
    "een halve minuut opnieuw.",
}


def error_page(request: Request[Any, Any, Any], status: int) -> Template:
    """The Dutch page for ``status``, with the pages' security headers (also when the
    application's handlers answer, outside the pages' router)."""
    kind = status if status in _TITLES else (500 if status >= 500 else 400)
    return Template(
        template_name="error.html",
        context=_context(request, status=status, title=_TITLES[kind], message=_MESSAGES[kind]),
        status_code=status,
        headers={h.name: h.value for h in PAGE_HEADERS if h.value is not None},
    )


def _to_sign_in(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=f"/sign-in?next={quote(target, safe='')}", status_code=HTTP_303_SEE_OTHER)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return error_page(request, exc.status_code)


def _domain_error(request: Request[Any, Any, Any], exc: PopulatieError) -> Response[Any]:
    return error_page(request, 404 if isinstance(exc, NotFoundError) else exc.status)


def unexpected_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    fault = environment_fault(exc)
    if fault is not None:
        log.warning("page unavailable: %s", fault.detail)
        page = error_page(request, 503)
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page
    log.error("unexpected error on a page", exc_info=exc)
    return error_page(request, 500)


def page_router() -> Router:
    """The pages with their session middleware, security headers and error pages."""
    from populatie.planning.page_controller import PlannerPages  # it builds on this module
    from populatie.web.finance_controllers import FinanceDeskController  # so do these forms
    from populatie.web.forms import FormController  # and these

    return Router(
        path="/",
        route_handlers=[PageController, PlannerPages, FormController, FinanceDeskController],
        middleware=[SessionAuthMiddleware()],
        response_headers=PAGE_HEADERS,
        exception_handlers={
            NotAuthorizedException: _to_sign_in,
            PermissionDeniedException: _http_error,
            NotFoundException: _http_error,
            HTTPException: _http_error,
            PopulatieError: _domain_error,
            Exception: unexpected_page,
        },
        include_in_schema=False,
    )

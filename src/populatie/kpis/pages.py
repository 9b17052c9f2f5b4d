"""The page ``/kpis``: steering on results, in Dutch, for every role (a consortium: its own).

Rendered from its own template (``kpis/templates/kpis.html``) over the same views as the API,
so what a consortium reads here is suppressed exactly as there. It sits behind the pages'
session middleware, headers and error pages (:func:`populatie.web.controllers.page_router`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, Request, Response, Router, get
from litestar.params import QueryParameter
from litestar.utils.scope.state import ScopeState

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import ACCESS_KEY, READ_SCOPED
from populatie.kpis import views
from populatie.kpis.chart import funnel_chart
from populatie.kpis.service import register_of
from populatie.web import TEMPLATE_DIR as WEB_TEMPLATES
from populatie.web.controllers import page_context, page_router

__all__ = ["kpi_page_router"]

TEMPLATES = Path(__file__).parent / "templates"
# The page extends the site's base.html (header, menu, footer), so it sits beside the others.
_ENV = Environment(
    loader=FileSystemLoader([TEMPLATES, WEB_TEMPLATES]),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
Segment = Annotated[str, QueryParameter(pattern=r"^[A-Za-z0-9_\-]{1,40}$")]
Share = Annotated[str, QueryParameter(pattern=r"^[a-z0-9_]{1,40}$")]
POSITIONS = {
    "inside": "binnen de grenzen",
    "above_95": "boven de 95 %-grens",
    "below_95": "onder de 95 %-grens",
    "above_998": "boven de 99,8 %-grens",
    "below_998": "onder de 99,8 %-grens",
}


def _csrf_input(request: Request[Any, Any, Any]) -> str:
    """The sign-out form's hidden token, as Litestar gives it to the pages it renders itself."""
    token = ScopeState.from_scope(request.scope).csrf_token
    value = token if isinstance(token, str) else ""
    return f'<input type="hidden" name="_csrf_token" value="{html.escape(value)}" />'


def number(value: float | int | None, decimals: int = 1) -> str:
    """A figure the Dutch way (1.234,5); ``x`` where it is withheld."""
    if value is None:
        return "x"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


_ENV.filters["nl"] = number


class KpiPage(Controller):
    path = "/"
    include_in_schema = False

    @get(
        "/kpis",
        sync_to_thread=True,
        opt={ACCESS_KEY: READ_SCOPED, "exclude_from_auth": True},
        include_in_schema=False,
    )
    def kpis(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        segment: Segment = "B",
        kpi: Share = "dropout",
    ) -> Response[str]:
        register = register_of(request.app.state.settings.config_dir)
        scope = principal.scope
        overview = views.overview(session, register, scope)
        signals = views.signal_list(session, register, scope)
        funnel = views.funnel_view(session, register, scope, kpi=kpi, segment=segment)
        definition = register.kpis[kpi]
        chart = funnel_chart(
            funnel,
            prefix="funnel",
            title=f"Trechterdiagram {definition.name_nl}, segment {segment}",
            description="Aandeel per aanbieder tegen het aantal trajecten, met de 95 %- en "
            "99,8 %-grenzen rond het gemiddelde; de tabel eronder geeft dezelfde cijfers.",
        )
        html = _ENV.get_template("kpis.html").render(
            **page_context(request),
            overview=overview,
            signals=signals,
            funnel=funnel,
            chart=chart,
            kpi=definition,
            register=register,
            positions=POSITIONS,
            csrf_input=_csrf_input(request),
        )
        return Response(html, media_type="text/html")


def kpi_page_router() -> Router:
    """``/kpis`` with the pages' session middleware, security headers and error pages."""
    pages = page_router()
    return Router(
        path="/",
        route_handlers=[KpiPage],
        middleware=list(pages.middleware),
        response_headers=list(pages.response_headers or []),
        exception_handlers=dict(pages.exception_handlers),
        include_in_schema=False,
    )

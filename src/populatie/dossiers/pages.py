"""The page ``/dossier?contract=…&milestone=…``: the go/no-go dossier in Dutch, with the same
document to download (``/dossier.xlsx``) and to print (``/dossier.html``, self-contained).

Every role reads it; a consortium only for its own contracts. Behind the pages' session
middleware, headers and error pages (:func:`populatie.web.controllers.page_router`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get
from litestar.params import QueryParameter

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import READ_SCOPED
from populatie.dossiers.controllers import XLSX, MilestoneYear, build, file_name, who_of
from populatie.dossiers.render import dossier_html, dossier_xlsx
from populatie.web.controllers import page, page_router

__all__ = ["dossier_page_router"]

Reference = Annotated[str, QueryParameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
_PAGE = page(READ_SCOPED)


class DossierPage(Controller):
    path = "/"
    include_in_schema = False

    @get("/dossier", sync_to_thread=True, **_PAGE)
    def dossier(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        contract: Reference,
        milestone: MilestoneYear = None,
    ) -> Response[str]:
        dossier = build(request, session, principal, contract, milestone)
        html = dossier_html(dossier, who=who_of(principal), standalone=False)
        return Response(html, media_type="text/html")

    @get("/dossier.html", sync_to_thread=True, **_PAGE)
    def printable(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        contract: Reference,
        milestone: MilestoneYear = None,
    ) -> Response[str]:
        dossier = build(request, session, principal, contract, milestone)
        html = dossier_html(dossier, who=who_of(principal), standalone=True)
        return Response(
            html,
            media_type="text/html",
            headers={"Content-Disposition": f'attachment; filename="{file_name(dossier, "html")}"'},
        )

    @get("/dossier.xlsx", sync_to_thread=True, **_PAGE)
    def workbook(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        contract: Reference,
        milestone: MilestoneYear = None,
    ) -> Response[bytes]:
        dossier = build(request, session, principal, contract, milestone)
        return Response(
            dossier_xlsx(dossier, datetime.now(UTC)),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{file_name(dossier, "xlsx")}"'},
        )


def dossier_page_router() -> Router:
    """The dossier pages with the pages' session middleware, security headers and error pages."""
    pages = page_router()
    return Router(
        path="/",
        route_handlers=[DossierPage],
        middleware=list(pages.middleware),
        response_headers=list(pages.response_headers or []),
        exception_handlers=dict(pages.exception_handlers),
        include_in_schema=False,
    )

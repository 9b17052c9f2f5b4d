"""The page ``/dossier?contract=…&milestone=…``: the go/no-go dossier in Dutch, with the same
document to download (``/dossier.xlsx``) and to print (``/dossier.html``, self-contained).

Every role reads it; a consortium only for its own contracts. Behind the pages' session
middleware, headers and error pages (:func:`populatie.web.controllers.page_router`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get
from litestar.params import QueryParameter
from sqlmodel import Session

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import READ_SCOPED
from populatie.dossiers.controllers import XLSX, MilestoneYear, build, file_name, who_of
from populatie.dossiers.render import dossier_html, dossier_xlsx
from populatie.dossiers.schemas import Dossier
from populatie.web.controllers import page, page_router

__all__ = ["dossier_page_router"]

Reference = Annotated[str, QueryParameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
_PAGE = page(READ_SCOPED)


@dataclass(frozen=True)
class _Form:
    """One form of the dossier: how it is written, its media type, and whether it comes as a
    file to download (under the dossier's file name with the path's suffix)."""

    write: Callable[[Dossier, Caller], str | bytes]
    media_type: str
    download: bool = True


#: The forms by the suffix of the path asked for: the page, the page to print, the workbook.
_FORMS = {
    "": _Form(lambda d, p: dossier_html(d, who=who_of(p), standalone=False), "text/html", False),
    ".html": _Form(lambda d, p: dossier_html(d, who=who_of(p), standalone=True), "text/html"),
    ".xlsx": _Form(lambda d, _: dossier_xlsx(d, datetime.now(UTC)), XLSX),
}


def _answer(
    suffix: str,
    request: Request[Any, Any, Any],
    session: Session,
    principal: Caller,
    contract: str,
    milestone: int | None,
) -> Response[Any]:
    """The dossier of ``contract`` at ``milestone``, read in the caller's scope, in the form of
    the path's ``suffix``."""
    form = _FORMS[suffix]
    dossier = build(request, session, principal, contract, milestone)
    headers = {}
    if form.download:
        name = file_name(dossier, suffix.removeprefix("."))
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(form.write(dossier, principal), media_type=form.media_type, headers=headers)


# One handler per path: given several paths, Litestar 2.25 hands the coroutine of a
# ``sync_to_thread`` handler on unawaited.
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
        return _answer("", request, session, principal, contract, milestone)

    @get("/dossier.html", sync_to_thread=True, **_PAGE)
    def printable(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        contract: Reference,
        milestone: MilestoneYear = None,
    ) -> Response[str]:
        return _answer(".html", request, session, principal, contract, milestone)

    @get("/dossier.xlsx", sync_to_thread=True, **_PAGE)
    def workbook(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        contract: Reference,
        milestone: MilestoneYear = None,
    ) -> Response[bytes]:
        return _answer(".xlsx", request, session, principal, contract, milestone)


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

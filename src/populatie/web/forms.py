"""The pages' write forms: propose a run (planner), approve or reject a proposal and set budget
totals (finance).

Each form carries the CSRF token of the page it is on (the app's CSRF check refuses a post
without it) and is posted from this site only; a handler writes through the same services as
the API, in the request's one unit of work, audited the same way. What a service refuses
becomes a Dutch page with the status the API would give (403 for deciding one's own proposal,
409 for a proposal that is not open, 400 for a missing reason), and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from populatie.api.deps import Caller, DbSession, after_commit
from populatie.auth.access import FINANCE, PLAN
from populatie.budget_totals.service import FIRST_YEAR, LAST_YEAR, set_totals
from populatie.configuration import DOMAINS
from populatie.core.money import parse_cents
from populatie.errors import (
    ConflictError,
    DataError,
    FourEyesError,
    NotFoundError,
    PopulatieError,
)
from populatie.proposals import service as proposals
from populatie.web.controllers import _context, _same_origin, page
from populatie.web.formatting import DOMAIN_LABELS

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

FOUR_EYES_NL = (
    "U hebt deze run zelf voorgesteld. Een ander moet het voorstel goedkeuren of afwijzen "
    "(vier ogen); er is niets gewijzigd."
)


def _refused(
    request: Request[Any, Any, Any], session: Session, status: int, message: str
) -> Template:
    """A page that says why the form did nothing; the unit of work is rolled back first."""
    session.rollback()
    return Template(
        template_name="error.html",
        context=_context(request, status=status, title="Niet uitgevoerd", message=message),
        status_code=status,
    )


def _check_origin(request: Request[Any, Any, Any]) -> None:
    if not _same_origin(request):
        raise PermissionDeniedException("a form posted from another site")


def _decision_refused(
    request: Request[Any, Any, Any], session: Session, exc: PopulatieError
) -> Template:
    if isinstance(exc, FourEyesError):
        return _refused(request, session, 403, FOUR_EYES_NL)
    if isinstance(exc, ConflictError):
        return _refused(
            request,
            session,
            409,
            "Over dit voorstel is al beslist, of de run is niet voorgesteld ter vaststelling. "
            "Er is niets gewijzigd; vernieuw de pagina.",
        )
    if isinstance(exc, NotFoundError):
        return _refused(request, session, 404, "Deze run bestaat niet.")
    raise exc


def _to(path: str, section: str, **query: str) -> Redirect:
    """Back to the page, scrolled to the ``section`` that shows what the form did: otherwise the
    outcome of a decision lies out of sight, far below the top of a long page."""
    present = {k: v for k, v in query.items() if v}
    target = path + ("?" + urlencode(present) if present else "") + "#" + section
    return Redirect(path=target, status_code=HTTP_303_SEE_OTHER)


class FormController(Controller):
    path = "/"
    include_in_schema = False

    @post("/planner/proposal", sync_to_thread=True, **page(PLAN))
    def propose(
        self, request: Request[Any, Any, Any], session: DbSession, principal: Caller, data: Form
    ) -> Response[Any]:
        _check_origin(request)
        run_id = data.get("run_id", "")
        if not data.get("note", "").strip():
            return _refused(
                request,
                session,
                400,
                "Geef een toelichting: waarom moet deze run worden vastgesteld? Er is niets "
                "gewijzigd.",
            )
        try:
            proposals.propose(session, run_id, proposals.Actor.of(principal), data["note"])
        except ConflictError:
            return _refused(
                request,
                session,
                409,
                "Deze run is al voorgesteld of al vastgesteld; er is niets gewijzigd.",
            )
        except NotFoundError:
            return _refused(request, session, 404, "Deze run bestaat niet.")
        return _to("/planner", "voorstel", base=data.get("base", ""), other=run_id)

    @post("/finance/proposals/{run_id:str}/approval", sync_to_thread=True, **page(FINANCE))
    def approve(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        _check_origin(request)
        try:
            proposals.approve(session, run_id, proposals.Actor.of(principal), data.get("note", ""))
        except PopulatieError as exc:
            return _decision_refused(request, session, exc)
        after_commit(session, request.app.state.budget_reader.clear)
        return _to("/finance", "voorstellen", year=data.get("year", ""))

    @post("/finance/proposals/{run_id:str}/rejection", sync_to_thread=True, **page(FINANCE))
    def reject(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        _check_origin(request)
        if not data.get("reason", "").strip():
            return _refused(
                request,
                session,
                400,
                "Geef een reden op voor het afwijzen; er is niets gewijzigd.",
            )
        try:
            proposals.reject(session, run_id, proposals.Actor.of(principal), data["reason"])
        except PopulatieError as exc:
            return _decision_refused(request, session, exc)
        return _to("/finance", "voorstellen", year=data.get("year", ""))

    @post("/finance/budget-totals", sync_to_thread=True, **page(FINANCE))
    def set_budget_totals(
        self, request: Request[Any, Any, Any], session: DbSession, principal: Caller, data: Form
    ) -> Response[Any]:
        _check_origin(request)
        problems: list[str] = []
        year_text = data.get("year", "").strip()
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(f"Jaar: '{year_text}' is geen jaartal ({FIRST_YEAR}–{LAST_YEAR}).")
        cents: dict[str, int] = {}
        for domain in DOMAINS:
            text = data.get(domain, "").replace("€", "").strip()
            try:
                cents[domain] = parse_cents(text, decimal_comma=True)
            except DataError:
                problems.append(
                    f"{DOMAIN_LABELS[domain]}: '{text}' is geen bedrag in euro (bijvoorbeeld "
                    "1.234.567,89)."
                )
            else:
                if cents[domain] < 0:
                    problems.append(f"{DOMAIN_LABELS[domain]}: een bedrag kan niet negatief zijn.")
        if not data.get("reason", "").strip():
            problems.append("Reden: zeg waarom de totalen wijzigen (dit blijft in de historie).")
        if problems or year is None:
            return _refused(request, session, 400, " ".join(problems) + " Er is niets gewijzigd.")
        municipality = data.get("municipality", "")
        try:
            set_totals(
                session,
                year,
                municipality,
                cents,
                actor=principal.actor,
                role=principal.role.value,
                reason=data["reason"],
                basis=data.get("basis", ""),
            )
        except ConflictError:
            return _refused(
                request,
                session,
                409,
                f"De totalen van {municipality} voor {year} zijn dit al; er is niets gewijzigd.",
            )
        except NotFoundError:
            return _refused(request, session, 404, f"Onbekende gemeente '{municipality}'.")
        except DataError:
            return _refused(request, session, 400, "Een bedrag is te groot; er is niets gewijzigd.")
        return _to(
            "/finance", "budgettotalen", year=data.get("page_year", ""), totaaljaar=str(year)
        )

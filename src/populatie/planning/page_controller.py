"""The planner's pages: the scenario form with "Herbereken", runs side by side, estimation.

Thin handlers over :mod:`populatie.planning.pages` and :mod:`populatie.planning.scenario_form`,
under the same guard and session sign-in as the other pages (planners and finance; an auditor
is refused, a consortium sees nothing). "Herbereken" posts the form (with its CSRF token like
every page form), stores the run and sends the browser on to the runs side by side
(post/redirect/get), so a reload never stores a second run. A form with problems comes back
with every problem named at its field, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import PLAN
from populatie.budget_totals.service import check_year
from populatie.configuration import RegionConfig, load_config
from populatie.errors import DataError, PopulatieError
from populatie.planning import pages
from populatie.planning.scenario_form import (
    ScenarioForm,
    ScenarioFormError,
    adopted_run,
    prefill,
    read_form,
    recalculate,
)
from populatie.web.controllers import _context, page

__all__ = ["PlannerPages"]

PlanYear = Annotated[int | None, QueryParameter(ge=2000, le=2099, description="Budget year")]
Draws = Annotated[int, QueryParameter(ge=0, le=2000, description="Bootstrap draws")]


def _config(request: Request[Any, Any, Any]) -> RegionConfig:
    return load_config(request.app.state.settings.config_dir)


class PlannerPages(Controller):
    path = "/planner"
    include_in_schema = False

    @get("/scenario", sync_to_thread=True, **page(PLAN))
    def scenario_form(
        self, request: Request[Any, Any, Any], session: DbSession, year: PlanYear = None
    ) -> Template:
        form = prefill(session, _config(request), year or pages.default_year(session))
        view = pages.scenario_page(session, form)
        return Template("planner_scenario.html", context=_context(request, page=view))

    @post("/scenario", sync_to_thread=True, **page(PLAN))
    def recalculate(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        try:
            year = check_year(int(str(data.get("year", "")).strip()))
        except (ValueError, PopulatieError):
            raise DataError("the scenario form names no budget year") from None
        config = _config(request)
        form = prefill(session, config, year)
        try:
            run = recalculate(session, config, read_form(form, data), principal)
        except ScenarioFormError as exc:
            session.rollback()
            general = [pages.Message(text) for text in exc.general]
            return self._again(request, session, form, exc.errors, general)
        except PopulatieError as exc:
            session.rollback()
            lead = "De herberekening is niet gelukt; er is niets opgeslagen."
            return self._again(request, session, form, {}, [pages.explained(lead, exc)])
        # From the allocation the new run moves away from, beside the one adopted this year.
        previous, current = _adopted(session, year - 1), _adopted(session, year)
        runs = list(dict.fromkeys(r for r in (previous or current, run.id, current) if r))
        query = urlencode([*(("run", r) for r in runs), ("explain", run.id), ("new", run.id)])
        return Redirect(path=f"/planner/runs?{query}", status_code=HTTP_303_SEE_OTHER)

    @staticmethod
    def _again(
        request: Request[Any, Any, Any],
        session: Session,
        form: ScenarioForm,
        errors: dict[str, str],
        general: list[pages.Message],
    ) -> Template:
        view = pages.scenario_page(session, form, errors, general)
        return Template(
            "planner_scenario.html", context=_context(request, page=view), status_code=422
        )

    @get("/runs", sync_to_thread=True, **page(PLAN))
    def runs(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        run: FromQuery[list[str] | None] = None,
        explain: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        domain: FromQuery[str | None] = None,
        new: FromQuery[str | None] = None,
    ) -> Template:
        view = pages.runs_page(
            session, run or [], explain or None, municipality or None, domain or None, new or None
        )
        return Template("planner_runs.html", context=_context(request, page=view))

    @get("/estimate", sync_to_thread=True, **page(PLAN))
    def estimate(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        year: PlanYear = None,
        domain: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        run: FromQuery[str | None] = None,
        draws: Draws = 200,
    ) -> Template:
        view = pages.estimate_page(
            session,
            _config(request),
            year=year,
            domain=domain or None,
            municipality=municipality or None,
            run_id=run or None,
            draws=draws,
        )
        return Template("planner_estimate.html", context=_context(request, page=view))


def _adopted(session: Session, year: int) -> str | None:
    run = adopted_run(session, year)
    return None if run is None else run.id

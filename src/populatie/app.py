"""The HTTP application: plugins, controllers and the one place domain errors become problems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar, Request, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from sqlalchemy import Engine
from sqlmodel import Session

from populatie import __version__
from populatie.allocations.controllers import RunController
from populatie.db import get_engine
from populatie.errors import PopulatieError

PROBLEM_BASE = "https://populatie.example/problems/"


def problem_from_error(exc: PopulatieError) -> ProblemDetailsException:
    """Render any domain error as RFC 9457 problem details with a stable ``type``."""
    extra: dict[str, Any] = {"errors": exc.details} if exc.details else {}
    return ProblemDetailsException(
        detail=exc.message,
        status_code=exc.status,
        type_=PROBLEM_BASE + exc.problem_type,
        title=exc.problem_type.replace("-", " "),
        extra=extra or None,
    )


def _provide_session(request: Request[Any, Any, Any]) -> Iterator[Session]:
    """One session per request; commit when the handler succeeded, roll back otherwise."""
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@get("/api/health", operation_id="Health", tags=["meta"])
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def create_app(engine: Engine | None = None) -> Litestar:
    app = Litestar(
        route_handlers=[health, RunController],
        dependencies={"session": Provide(_provide_session, sync_to_thread=False)},
        plugins=[
            ProblemDetailsPlugin(
                ProblemDetailsConfig(
                    enable_for_all_http_exceptions=True,
                    exception_to_problem_detail_map={PopulatieError: problem_from_error},
                )
            )
        ],
        openapi_config=OpenAPIConfig(title="populatie", version=__version__, path="/schema"),
    )
    app.state.engine = engine or get_engine()
    return app

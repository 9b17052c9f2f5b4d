"""The pages: what a consortium, a planner and finance see in a browser.

Server-rendered (Jinja templates), served by the same application as the API, with everything
they need served from here (:data:`STATIC_DIR`): no script, style, font or map tile comes from
anywhere else, and the Content-Security-Policy of every page says so to the browser.

===================  =======================  ============================================
page                 who                      what
===================  =======================  ============================================
``/sign-in``         anyone                   paste an API token; a session starts
``/consortium``      consortium               its own areas: map, budgets, this year against
                                              last (:mod:`~populatie.web.year_on_year`),
                                              spending per provider, exceptions, and its
                                              budgets as XLSX
``/planner``         planner, finance         two runs compared per area, with a map
``/planner/…``       planner, finance         the scenario form and Herbereken, up to four runs
                                              side by side with waterfalls, estimation
                                              (:mod:`populatie.planning.page_controller`)
``/finance``         finance, auditor         every municipality and lot, reconciliation,
                                              charts, exceptions (filtered, marked handled),
                                              downloads (XLSX, CSV); finance's forms
                                              (:mod:`~populatie.web.finance_controllers`):
                                              spending upload, contracts, handling marks
===================  =======================  ============================================

The consortium's year against last year and the planner's runs side by side draw one waterfall
chart (:mod:`~populatie.web.waterfall_chart`), with one legend beside it.

:class:`WebPlugin` adds the pages, the static files and the template engine to an app;
``create_app`` installs it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import SQLAlchemyError

from populatie.web.controllers import page_router
from populatie.web.error_pages import html_error_pages
from populatie.web.server_secrets import server_secret
from populatie.web.sessions import close_session_store, session_store

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "WebPlugin", "csrf_config", "template_config"]

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def csrf_config(secret: str) -> CSRFConfig:
    """Every page form carries a token (``csrf_input``) that must match a cookie signed with
    ``secret``, so no other site can post a form here, whatever its browser sends as Origin. The
    API is left out: it takes no cookies, only bearer tokens a browser never sends by itself."""
    return CSRFConfig(
        secret=secret,
        cookie_name=csrf_cookie_name(secret),
        cookie_httponly=True,
        cookie_samesite="strict",
        exclude=["^/api/", "^/schema", "^/static/"],
    )


def csrf_cookie_name(secret: str) -> str:
    """Derived from the secret: the same as long as the secret is, and another once it
    changes, so a browser's cookie signed with an earlier secret is not offered again (and
    refused)."""
    fingerprint = hmac.new(secret.encode(), b"csrf cookie name", hashlib.sha256).hexdigest()
    return f"populatie_csrf_{fingerprint[:8]}"


async def keep_csrf_secret(app: Litestar) -> None:
    """At start-up, sign the CSRF cookies with the secret every worker and every restart share
    (:func:`populatie.web.server_secrets.server_secret`), instead of the process's own.

    On a database that cannot be read now, the process keeps its own secret and says so: the
    pages answer 503 then anyway, as sessions cannot be read either."""
    config = app.csrf_config
    assert config is not None
    try:
        secret = await anyio.to_thread.run_sync(server_secret, app.state.engine, app.state.settings)
    except SQLAlchemyError as exc:
        log.warning("the kept CSRF secret cannot be read, using this process's own: %s", exc)
        return
    config.secret = secret
    config.cookie_name = csrf_cookie_name(secret)


class WebPlugin(InitPluginProtocol):
    """Adds the pages, ``/static``, the Jinja engine and the pages' CSRF check to the
    application, and the start-up and shut-down of what the sessions and forms keep.

    Installed after the problem-details plugin, it wraps the application's error handlers so
    that a browser gets a Dutch page where a tool gets a problem document
    (:mod:`populatie.web.error_pages`)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(
            [
                page_router(),
                create_static_files_router(
                    path="/static",
                    directories=[STATIC_DIR],
                    opt={"exclude_from_auth": True},
                    cache_control=CacheControlHeader(max_age=3600),
                    include_in_schema=False,
                ),
            ]
        )
        app_config.exception_handlers = html_error_pages(app_config.exception_handlers)
        app_config.template_config = template_config()
        app_config.csrf_config = csrf_config(secrets.token_urlsafe(32))
        app_config.on_startup.extend([keep_csrf_secret, session_store])  # a wrong URL fails here
        app_config.on_shutdown.append(close_session_store)
        return app_config

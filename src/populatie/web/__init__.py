"""The pages: what a consortium, a planner and finance see in a browser.

Server-rendered (Jinja templates), served by the same application as the API, with everything
they need served from here (:data:`STATIC_DIR`): no script, style, font or map tile comes from
anywhere else, and the Content-Security-Policy of every page says so to the browser.

===================  =======================  ============================================
page                 who                      what
===================  =======================  ============================================
``/sign-in``         anyone                   paste an API token; a session starts
``/consortium``      consortium               its own areas: map, budgets, spending, exceptions
``/planner``         planner, finance         two runs compared per area, with a map
``/finance``         finance, auditor         every municipality and lot, reconciliation,
                                              downloads (XLSX, CSV)
===================  =======================  ============================================

:class:`WebPlugin` adds the pages, the static files and the template engine to an app;
``create_app`` installs it.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from populatie.web.controllers import page_router
from populatie.web.sessions import close_session_store

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "WebPlugin", "csrf_config", "template_config"]

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
    API is left out: it takes no cookies, only bearer tokens a browser never sends by itself.

    The secret is the same for every worker and every restart
    (:func:`populatie.web.server_secrets.server_secret`). The cookie's name is derived from it:
    the same as long as the secret is, and another once the secret changes, so a browser's
    cookie signed with an earlier secret is not offered again and refused."""
    fingerprint = hmac.new(secret.encode(), b"csrf cookie name", hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=secret,
        cookie_name=f"populatie_csrf_{fingerprint[:8]}",
        cookie_httponly=True,
        cookie_samesite="strict",
        exclude=["^/api/", "^/schema", "^/static/"],
    )


class WebPlugin(InitPluginProtocol):
    """Adds the pages, ``/static``, the Jinja engine and the pages' CSRF check to the
    application. ``csrf_secret`` signs the CSRF cookies (see :func:`csrf_config`)."""

    def __init__(self, csrf_secret: str) -> None:
        self.csrf_secret = csrf_secret

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
        app_config.template_config = template_config()
        app_config.csrf_config = csrf_config(self.csrf_secret)
        app_config.on_shutdown.append(close_session_store)
        return app_config

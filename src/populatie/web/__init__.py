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

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from populatie.web.controllers import page_router

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "WebPlugin", "template_config"]

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


class WebPlugin(InitPluginProtocol):
    """Adds the pages, ``/static`` and the Jinja engine to the application."""

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
        return app_config

"""The OpenAPI pages (``/schema``, ``/schema/swagger``, ``/schema/redoc``, ``/schema/rapidoc``)
with every script, style and icon served by the app itself.

Litestar's render plugins load Swagger UI, ReDoc and RapiDoc from public CDNs, with Google fonts
and a favicon from GitHub, so on a machine without internet access (a municipality's network, a
train) the pages stayed blank. The bundles come from the ``openapi-ui-bundles`` package
(Swagger UI, ReDoc and RapiDoc, each under its own licence, shipped inside it) and are served from
:data:`ASSETS_PATH`, under the schema's path, which needs no token like the document itself;
the favicon is the pages' own. Stoplight Elements ships in no such package, so it is not
offered.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import openapi_ui_bundles
from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.params import FromPath
from litestar.response import Response

__all__ = ["ASSETS_PATH", "OfflineRapidocRenderPlugin", "openapi_asset", "render_plugins"]

ASSETS_PATH = "/schema/assets"
FAVICON = "<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>"

_SWAGGER = Path(openapi_ui_bundles.swagger_ui.static_path)
_REDOC = Path(openapi_ui_bundles.redoc.static_path)
_RAPIDOC = Path(openapi_ui_bundles.rapidoc.static_path)
# only the files the pages load: the bundles' own demo pages point at public example APIs
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": _SWAGGER / "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js": _SWAGGER / "swagger-ui-standalone-preset.js",
    "swagger-ui.css": _SWAGGER / "swagger-ui.css",
    "redoc.standalone.js": _REDOC / "redoc.standalone.js",
    "redoc-logo.svg": _REDOC / "logo-mini.svg",
    "rapidoc-min.js": _RAPIDOC / "rapidoc-min.js",
}
# ReDoc draws its own logo from its CDN in every page's menu; the bundle ships the same file
_REWRITES: dict[str, tuple[bytes, bytes]] = {
    "redoc.standalone.js": (
        b"https://cdn.redoc.ly/redoc/logo-mini.svg",
        f"{ASSETS_PATH}/redoc-logo.svg".encode(),
    ),
}
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@cache
def _content(name: str) -> bytes:
    content = ASSETS[name].read_bytes()
    if name in _REWRITES:
        old, new = _REWRITES[name]
        content = content.replace(old, new)
    return content


class OfflineRapidocRenderPlugin(RapidocRenderPlugin):
    """RapiDoc without the web fonts it would fetch from Google (``load-fonts="false"``)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        return page.replace(b"<rapi-doc ", b'<rapi-doc load-fonts="false" ', 1)


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """ReDoc at ``/schema`` and ``/schema/redoc``, Swagger UI, RapiDoc, JSON and YAML."""
    return [
        RedocRenderPlugin(
            js_url=f"{ASSETS_PATH}/redoc.standalone.js", google_fonts=False, favicon=FAVICON
        ),
        SwaggerRenderPlugin(
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
        ),
        OfflineRapidocRenderPlugin(js_url=f"{ASSETS_PATH}/rapidoc-min.js", favicon=FAVICON),
        JsonRenderPlugin(),
        YamlRenderPlugin(),
    ]


@get(
    f"{ASSETS_PATH}/{{asset:str}}",
    include_in_schema=False,
    sync_to_thread=False,
    cache_control=CacheControlHeader(max_age=86400),
)
def openapi_asset(asset: FromPath[str]) -> Response[bytes]:
    """One file of a bundle the OpenAPI pages load."""
    if asset not in ASSETS:
        raise NotFoundException()
    return Response(_content(asset), media_type=_MEDIA_TYPES[ASSETS[asset].suffix])

"""The dependencies every handler may ask for by name, provided once in ``create_app``.

``session: DbSession`` (one per request, committed by the framework), ``principal: Caller``
(who holds the bearer token) and ``window: Paging`` (``limit``/``offset``).
"""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlmodel import Session

from populatie.api.pagination import Window
from populatie.auth.tokens import Principal

DbSession = NamedDependency[Session]
Caller = NamedDependency[Principal]
Paging = NamedDependency[Window]

"""Thin HTTP layer over municipalities and districts (JSON, and GeoJSON in WGS84)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from populatie.api import registry, schemas
from populatie.api.deps import DbSession, Paging
from populatie.auth.access import READ, access

MunicipalityFilter = Annotated[
    str | None, QueryParameter(pattern=r"^GM\d{4}$", description="Only this municipality (GMnnnn)")
]


class MunicipalityController(Controller):
    path = "/api/municipalities"
    tags = ["registry"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListMunicipalities", sync_to_thread=True, **access(READ))
    def list_municipalities(self, session: DbSession, window: Paging) -> schemas.MunicipalityPage:
        return registry.list_municipalities(session, window)

    @get("/{code:str}", operation_id="GetMunicipality", sync_to_thread=True, **access(READ))
    def get_municipality(self, session: DbSession, code: FromPath[str]) -> schemas.Municipality:
        return registry.get_municipality(session, code)


class DistrictController(Controller):
    path = "/api/districts"
    tags = ["registry"]  # noqa: RUF012

    @get("/", operation_id="ListDistricts", sync_to_thread=True, **access(READ))
    def list_districts(
        self, session: DbSession, window: Paging, municipality: MunicipalityFilter = None
    ) -> schemas.DistrictPage:
        return registry.list_districts(session, window, municipality)

    @get(
        "/geojson",
        operation_id="DistrictBoundaries",
        media_type="application/geo+json",
        sync_to_thread=True,
        description="Districts of record with their newest shipped boundary, WGS84 (EPSG:4326).",
        **access(READ),
    )
    def boundaries(
        self, session: DbSession, municipality: MunicipalityFilter = None
    ) -> schemas.DistrictFeatureCollection:
        return registry.district_features(session, municipality)

    @get("/{code:str}", operation_id="GetDistrict", sync_to_thread=True, **access(READ))
    def get_district(self, session: DbSession, code: FromPath[str]) -> schemas.District:
        return registry.get_district(session, code)

"""Read services for the registry: municipalities, districts, areas, partnerships and lots.

``scope`` is the partnership a consortium caller is confined to (None for the other roles).
A record outside the scope is reported exactly as one that does not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.api import schemas
from populatie.api.pagination import Window
from populatie.contracts.service import lot_reference
from populatie.districts.models import District, DistrictShape, Municipality
from populatie.errors import NotFoundError
from populatie.registry.models import Area, AreaDistrict, Lot, Partnership


def _areas_by_municipality(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(col(Area.municipality_code), col(Area.code)).order_by(col(Area.code))
    )
    for municipality, code in rows:
        out.setdefault(str(municipality), []).append(str(code))
    return out


def list_municipalities(session: Session, window: Window) -> schemas.MunicipalityPage:
    total = session.execute(select(func.count()).select_from(Municipality)).scalar_one()
    rows = session.execute(
        select(Municipality)
        .order_by(col(Municipality.code))
        .limit(window.limit)
        .offset(window.offset)
    ).scalars()
    areas = _areas_by_municipality(session)
    return schemas.MunicipalityPage(
        items=[
            schemas.Municipality(code=m.code, name=m.name, areas=areas.get(m.code, []))
            for m in rows
        ],
        total=int(total),
    )


def get_municipality(session: Session, code: str) -> schemas.Municipality:
    row = session.get(Municipality, code)
    if row is None:
        raise NotFoundError(f"municipality {code} not found")
    return schemas.Municipality(
        code=row.code, name=row.name, areas=_areas_by_municipality(session).get(row.code, [])
    )


def _area_of_districts(session: Session) -> dict[str, str]:
    rows = session.execute(select(col(AreaDistrict.district_code), col(AreaDistrict.area_code)))
    return {str(d): str(a) for d, a in rows}


def list_districts(
    session: Session, window: Window, municipality: str | None = None
) -> schemas.DistrictPage:
    query = select(District)
    count = select(func.count()).select_from(District)
    if municipality is not None:
        query = query.where(col(District.municipality_code) == municipality)
        count = count.where(col(District.municipality_code) == municipality)
    rows = session.execute(
        query.order_by(col(District.code)).limit(window.limit).offset(window.offset)
    ).scalars()
    area_of = _area_of_districts(session)
    return schemas.DistrictPage(
        items=[_district(d, area_of.get(d.code)) for d in rows],
        total=int(session.execute(count).scalar_one()),
    )


def _district(d: District, area: str | None) -> schemas.District:
    return schemas.District(
        code=d.code,
        name=d.name,
        municipality=d.municipality_code,
        area=area,
        vintage=d.vintage,
        shape_vintage=d.shape_vintage,
    )


def get_district(session: Session, code: str) -> schemas.District:
    row = session.get(District, code)
    if row is None:
        raise NotFoundError(f"district {code} not found")
    link = session.execute(
        select(col(AreaDistrict.area_code)).where(col(AreaDistrict.district_code) == code)
    ).scalar_one_or_none()
    return _district(row, link)


def district_features(
    session: Session, municipality: str | None = None
) -> schemas.DistrictFeatureCollection:
    """Each district of record with its newest shipped boundary, in WGS84."""
    query = (
        select(District, col(DistrictShape.geojson_wgs84))
        .join(
            DistrictShape,
            (col(DistrictShape.district_code) == col(District.code))
            & (col(DistrictShape.vintage) == col(District.shape_vintage)),
        )
        .order_by(col(District.code))
    )
    if municipality is not None:
        query = query.where(col(District.municipality_code) == municipality)
    area_of = _area_of_districts(session)
    features = [
        schemas.DistrictFeature(
            id=d.code,
            geometry=json.loads(geometry),
            properties=schemas.DistrictProperties(
                code=d.code,
                name=d.name,
                municipality=d.municipality_code,
                area=area_of.get(d.code),
                shape_vintage=int(d.shape_vintage or 0),
            ),
        )
        for d, geometry in session.execute(query).all()
    ]
    return schemas.DistrictFeatureCollection(features=features)


def _districts_of(session: Session, codes: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {code: [] for code in codes}
    if not codes:
        return out
    rows = session.execute(
        select(col(AreaDistrict.area_code), col(AreaDistrict.district_code))
        .where(col(AreaDistrict.area_code).in_(list(codes)))
        .order_by(col(AreaDistrict.district_code))
    )
    for area, district in rows:
        out[str(area)].append(str(district))
    return out


def _area(row: Area, districts: list[str]) -> schemas.Area:
    return schemas.Area(
        code=row.code,
        name=row.name,
        municipality=row.municipality_code,
        partnership=row.partnership_name,
        districts=districts,
        assumption=row.assumption,
    )


def list_areas(
    session: Session,
    window: Window,
    scope: str | None,
    municipality: str | None = None,
    partnership: str | None = None,
) -> schemas.AreaPage:
    query = select(Area)
    count = select(func.count()).select_from(Area)
    conditions = []
    if scope is not None:
        conditions.append(col(Area.partnership_name) == scope)
    if municipality is not None:
        conditions.append(col(Area.municipality_code) == municipality)
    if partnership is not None:
        conditions.append(col(Area.partnership_name) == partnership)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = list(
        session.execute(
            query.order_by(col(Area.code)).limit(window.limit).offset(window.offset)
        ).scalars()
    )
    districts = _districts_of(session, [a.code for a in rows])
    return schemas.AreaPage(
        items=[_area(a, districts[a.code]) for a in rows],
        total=int(session.execute(count).scalar_one()),
    )


def area_in_scope(session: Session, code: str, scope: str | None) -> Area:
    """The area ``code``, or NotFoundError when it does not exist or is not the caller's."""
    row = session.get(Area, code)
    if row is None or (scope is not None and row.partnership_name != scope):
        raise NotFoundError(f"area {code} not found")
    return row


def get_area(session: Session, code: str, scope: str | None) -> schemas.Area:
    row = area_in_scope(session, code, scope)
    return _area(row, _districts_of(session, [row.code])[row.code])


def _partnership(row: Partnership, areas: list[str]) -> schemas.Partnership:
    return schemas.Partnership(
        name=row.name,
        lead_member=row.lead_member,
        members=list(row.members),
        subcontractors=list(row.subcontractors),
        areas=areas,
    )


def _areas_by_partnership(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(col(Area.partnership_name), col(Area.code))
        .where(col(Area.partnership_name).is_not(None))
        .order_by(col(Area.code))
    )
    for name, code in rows:
        out.setdefault(str(name), []).append(str(code))
    return out


def list_partnerships(session: Session, window: Window) -> schemas.PartnershipPage:
    rows = session.execute(
        select(Partnership)
        .order_by(col(Partnership.name))
        .limit(window.limit)
        .offset(window.offset)
    ).scalars()
    areas = _areas_by_partnership(session)
    total = session.execute(select(func.count()).select_from(Partnership)).scalar_one()
    return schemas.PartnershipPage(
        items=[_partnership(p, areas.get(p.name, [])) for p in rows], total=int(total)
    )


def get_partnership(session: Session, name: str) -> schemas.Partnership:
    row = session.get(Partnership, name)
    if row is None:
        raise NotFoundError(f"partnership {name!r} not found")
    return _partnership(row, _areas_by_partnership(session).get(row.name, []))


def _lot(row: Lot) -> schemas.Lot:
    return schemas.Lot(
        id=int(row.id or 0),
        reference=lot_reference(row),
        municipality=row.municipality_code,
        number=row.number,
        area=row.area_code,
        partnership=row.partnership_name,
        domains=list(row.domains),
        awarded_on=row.awarded_on,
    )


def list_lots(
    session: Session, window: Window, scope: str | None, municipality: str | None = None
) -> schemas.LotPage:
    query = select(Lot)
    count = select(func.count()).select_from(Lot)
    conditions = []
    if scope is not None:
        conditions.append(col(Lot.partnership_name) == scope)
    if municipality is not None:
        conditions.append(col(Lot.municipality_code) == municipality)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = session.execute(
        query.order_by(col(Lot.municipality_code), col(Lot.number))
        .limit(window.limit)
        .offset(window.offset)
    ).scalars()
    return schemas.LotPage(
        items=[_lot(lot) for lot in rows], total=int(session.execute(count).scalar_one())
    )


_LOT_REFERENCE = re.compile(r"(GM\d{4})/(\d{1,3})", re.ASCII)
_MAX_ID = 2**31 - 1


def get_lot(session: Session, reference: str, scope: str | None) -> schemas.Lot:
    """A lot by the reference contracts and spending files use (``GM0518/1``), or by the
    numeric id this route took first; anything else is a lot that does not exist."""
    row: Lot | None = None
    if reference.isascii() and reference.isdigit() and 0 < int(reference) <= _MAX_ID:
        row = session.get(Lot, int(reference))
    elif match := _LOT_REFERENCE.fullmatch(reference):
        row = session.execute(
            select(Lot).where(
                col(Lot.municipality_code) == match[1], col(Lot.number) == int(match[2])
            )
        ).scalar_one_or_none()
    if row is None or (scope is not None and row.partnership_name != scope):
        raise NotFoundError(f"lot {reference} not found")
    return _lot(row)

"""Keep the registry tables (municipalities, partnerships, areas, lots, segments) equal to
``config/``, and seed the membership register with what the configuration names.

The configuration is the source of truth for who holds which area; the tables exist so that
queries (spending per area, a consortium's own areas) can join on them. Syncing is idempotent
and runs inside the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from populatie.configuration import RegionConfig
from populatie.districts.models import Municipality
from populatie.districts.service import district_municipalities
from populatie.providers.service import seed_memberships
from populatie.registry.models import Area, AreaDistrict, Lot, Partnership
from populatie.segments.service import sync_segments


def sync_registry(session: Session, config: RegionConfig) -> dict[str, str]:
    """Write the configured registry and return the district → area mapping it checked."""
    for m in config.municipalities:
        session.merge(Municipality(code=m.code, name=m.name))
    for p in config.partnerships:
        session.merge(
            Partnership(
                name=p.name,
                lead_member=p.lead_member,
                members=list(p.members),
                subcontractors=list(p.subcontractors),
            )
        )
    session.flush()
    seed_memberships(session, config.partnerships)
    sync_segments(session, config.segments)
    area_of = config.district_areas(district_municipalities(session))
    for a in config.areas:
        session.merge(
            Area(
                code=a.code,
                name=a.name,
                municipality_code=a.municipality,
                partnership_name=a.partnership,
                assumption=a.assumption,
            )
        )
    session.flush()
    session.execute(delete(AreaDistrict))
    session.add_all(
        AreaDistrict(area_code=area, district_code=district)
        for district, area in sorted(area_of.items())
    )
    existing = {
        (lot.municipality_code, lot.number): lot for lot in session.execute(select(Lot)).scalars()
    }
    for cfg in config.lots:
        lot = existing.get((cfg.municipality, cfg.number)) or Lot(
            municipality_code=cfg.municipality,
            number=cfg.number,
            area_code=cfg.area,
            partnership_name=cfg.partnership,
        )
        lot.area_code = cfg.area
        lot.partnership_name = cfg.partnership
        lot.domains = list(cfg.domains)
        lot.awarded_on = cfg.awarded_on
        session.add(lot)
    session.flush()
    return area_of

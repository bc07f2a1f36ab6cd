"""Land figures: the register and the net-land reserve against its target."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from geo_service.parcels.models import Parcel, Zone
from geo_service.parcels.repository import NET_LAND
from geo_service.spatial import m2_to_mu


def land_stats(session: Session, *, reserve_target_mu: float) -> dict[str, Any]:
    """Parcels, area, and the net-land reserve (net land not yet transferred) by zone."""
    in_reserve = case(
        (
            (NET_LAND.expression == True)  # type: ignore[attr-defined]  # noqa: E712
            & Parcel.supply_stage.in_(("plan", "notice", "sale")),
            Parcel.area_m2,
        ),
        else_=0,
    )
    rows = session.execute(
        select(
            Zone.code,
            Zone.name,
            func.count(Parcel.id),
            func.coalesce(func.sum(Parcel.area_m2), 0),
            func.coalesce(func.sum(in_reserve), 0),
        )
        .select_from(Parcel)
        .outerjoin(Zone, Zone.id == Parcel.zone_id)
        .group_by(Zone.code, Zone.name)
        .order_by(Zone.code)
    ).all()
    total_reserve = sum(float(r[4]) for r in rows)
    reserve_mu = m2_to_mu(total_reserve) or 0.0
    return {
        "parcels": sum(r[2] for r in rows),
        "area_mu": m2_to_mu(sum(float(r[3]) for r in rows)),
        "net_land_reserve_mu": reserve_mu,
        "net_land_reserve_target_mu": reserve_target_mu,
        "net_land_reserve_met": reserve_mu >= reserve_target_mu,
        "by_zone": [
            {
                "zone": code,
                "name": name,
                "parcels": n,
                "area_mu": m2_to_mu(float(area)),
                "net_land_reserve_mu": m2_to_mu(float(res)),
            }
            for code, name, n, area, res in rows
        ],
    }

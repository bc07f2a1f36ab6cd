"""The generator's self-check of the designed readiness, with the rules' thresholds taken from
the service's settings (``ReadinessRules``), never retyped."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo_service.settings import ReadinessRules
from tools.demo.common import LOCAL_CRS, MU_M2


@dataclass
class Readiness:
    """Planned readiness of one parcel, from the written (rounded) data."""

    code: str
    area_mu: float
    water_m: float
    power_m: float
    road_m: float
    leveling: str
    title: str
    overlap_m2: float
    status: dict[str, str]


def check_readiness(
    parcels_ll: gpd.GeoDataFrame,
    infra_ll: gpd.GeoDataFrame,
    protected_ll: gpd.GeoDataFrame,
    leveling: list[dict[str, str]],
    titles: list[dict[str, str]],
    rules: ReadinessRules | None = None,
) -> list[Readiness]:
    """Apply the service's rules (default settings unless given) with shapely in EPSG:4547, with
    margins around the distance thresholds so rounding never decides a designed outcome."""
    rules = rules or ReadinessRules()
    infra = infra_ll.to_crs(LOCAL_CRS)
    existing = infra.status == "existing"
    water = infra[(infra.kind == "water") & existing]
    if rules.water.min_diameter_mm is not None:
        water = water[water.diameter_mm >= rules.water.min_diameter_mm]
    power = infra[(infra.kind == "power") & existing]
    if rules.power.min_voltage_kv is not None:
        power = power[power.voltage_kv >= rules.power.min_voltage_kv]
    road = infra[(infra.kind == "road") & existing]
    if rules.road.road_classes:
        road = road[road.road_class.isin(rules.road.road_classes)]
    prot = protected_ll.to_crs(LOCAL_CRS)
    parcels = parcels_ll.to_crs(LOCAL_CRS)
    latest_lev: dict[str, dict[str, str]] = {}
    for row in sorted(leveling, key=lambda r: r["surveyed_on"]):
        latest_lev[row["parcel_code"]] = row
    latest_title: dict[str, dict[str, str]] = {}
    for row in sorted(titles, key=lambda r: r["recorded_on"]):
        latest_title[row["parcel_code"]] = row
    out = []

    def spatial(dist: float, limit: float) -> str:
        if dist <= limit - 10:
            return "met"
        if dist >= limit + 20:
            return "unmet"
        raise AssertionError(f"distance {dist:.1f} m too close to the {limit} m threshold")

    for code, geom in zip(parcels.code, parcels.geometry, strict=True):
        wd = float(water.distance(geom).min())
        pd_ = float(power.distance(geom).min())
        rd = float(road.distance(geom).min())
        overlap = float(prot.intersection(geom).area.sum())
        others = parcels[parcels.code != code]
        parcel_overlap = float(others.intersection(geom).area.sum())
        lev = latest_lev.get(code)
        if lev is None:
            lev_s = "unknown"
        else:
            ok = lev["leveled"] == "true" and int(lev["earthwork_outstanding_m3"]) == 0
            lev_s = "met" if ok else "unmet"
        tit = latest_title.get(code)
        if (
            overlap > rules.protected_overlap_tolerance_m2
            or parcel_overlap > rules.parcel_overlap_tolerance_m2
        ):
            tit_s = "unmet"
        elif tit is None:
            tit_s = "unknown"
        else:
            ok = (
                tit["ownership"] == "state"
                and tit["requisition_done"] == "true"
                and tit["compensation_settled"] == "true"
                and int(tit["open_disputes"]) == 0
            )
            tit_s = "met" if ok else "unmet"
        status = {
            "water": spatial(wd, rules.water.max_distance_m),
            "power": spatial(pd_, rules.power.max_distance_m),
            "road": spatial(rd, rules.road.max_distance_m),
            "leveling": lev_s,
            "title": tit_s,
        }
        out.append(Readiness(code, geom.area / MU_M2, wd, pd_, rd, lev_s, tit_s, overlap, status))
    return out

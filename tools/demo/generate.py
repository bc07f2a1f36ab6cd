"""Generate the demo district (data/demo/): fully deterministic, no clock, no network.

Run ``python -m tools.demo.generate --out data/demo`` (``make demo-data``) from the repository's
root; two runs give byte-identical files, equal to the committed ones
(``tests/test_demo_generator.py``).
``geo-service demo load`` reads only the files; this generator is a developer's tool beside the
service, never imported by it. The readiness self-check takes the rules' thresholds from the
service's settings, and the register stage of parcels with a supply history from
``supply_events.csv`` through the service's stage functions (``tools/demo/supply.py``).
Everything is invented around a development zone near 114.90°E, 33.72°N in Huaiyang District;
nothing has to match the real place. Geometry is laid out in EPSG:4547 (CGCS2000 3-degree
Gauss-Krüger, CM 114°E) and written as lon/lat EPSG:4490 rounded to 7 decimals.

Layout: a street grid of 8 x 6 blocks (经一路…经九路 west to east, 纬一路…纬七路 south to north,
streets 30 m wide), three zones (HY-Z01 先进制造 west, HY-Z02 塑料产业园 south-east, HY-Z03
食品与新材料 north-east) and 60 parcels HY-2026-001…060, numbered block by block from the
south-west corner (south row first, west to east). Water mains run 6 m, power lines 9 m off the
street centrelines.

Designed readiness with the default rules (water: existing main >= 100 mm within 200 m; power:
existing line/substation >= 10 kV within 500 m; road: existing road within 50 m; leveling: the
latest survey says leveled with 0 m³ outstanding; title: state, requisition done, compensation
settled, no open dispute, no overlap with protected land or another parcel). Every parcel not
listed meets all five conditions; each listed parcel fails (or lacks evidence for) only the one
condition named:

- water unmet: HY-2026-018, HY-2026-050 (east part of the easternmost blocks: only DN80 mains
  and a planned DN300 main on 经九路; the nearest qualifying main, on 经八路, is ~234 m away);
- power unmet: HY-2026-040, HY-2026-051 (north-west corner: only 0.4 kV lines, a planned
  10 kV line and a planned 110 kV substation; nearest existing >= 10 kV line 650-710 m away);
- road unmet: HY-2026-055, HY-2026-056 (set back 85 m from 经四路/经五路/经六路; only the
  planned section of 纬七路 runs along their north side);
- leveling unmet: HY-2026-022 (not leveled, 18500 m³ outstanding), HY-2026-039 (an older survey
  said leveled, the latest says not: 3200 m³), HY-2026-042 (leveled but 650 m³ outstanding);
- title unmet: HY-2026-001 (overlaps basic farmland BF-001 by ~375 m²), HY-2026-021 (one open
  dispute), HY-2026-058 (compensation not settled), HY-2026-012 (collective land, requisition
  not done);
- leveling unknown (no survey): HY-2026-030, HY-2026-053;
- title unknown (no title record): HY-2026-026, HY-2026-048.

The other 43 parcels are net land: 1447.88 亩 (measured in EPSG:4547), of which 995.53 亩 are
not yet contracted (register stage plan/notice/sale). Every parcel is 20-300 亩; HY-2026-033 is a
MultiPolygon; the water/power/road distances of the net-land parcels are at most ~35 m, and
HY-2026-030 (leveling unknown) is ~350 m from power.

Parcels with two leveling surveys (older unleveled, latest leveled, so met): HY-2026-004,
HY-2026-005, HY-2026-009, HY-2026-014, HY-2026-019, HY-2026-027, HY-2026-032, HY-2026-036; two
title records (older unsettled, latest settled): HY-2026-013, HY-2026-046. Supply stages:
handed_over HY-2026-007, HY-2026-024, HY-2026-059; contract HY-2026-016, HY-2026-034 (these five
are linked to projects); sale HY-2026-045; notice HY-2026-006, HY-2026-028, HY-2026-031; all
others plan. That is the design the projects are built on; the written register stage follows
``supply_events.csv`` where a parcel has events (HY-2026-003, -026, -051, -060 handed_over;
HY-2026-028, -031 contract: their sales have closed). Unpublished: HY-2026-003, HY-2026-022,
HY-2026-026, HY-2026-030, HY-2026-043, HY-2026-051, HY-2026-060. No indicators: HY-2026-003,
HY-2026-030, HY-2026-043.

Assessments: all ten kinds cover the zones, except that flood_impact over HY-Z02/HY-Z03 expired
on 2026-05-31 (QY-008) and one of the two climate areas expired on 2025-02-28 (QY-010, renewed by
QY-011).

Projects ("today" is 2026-11-27): 247 for 2026 summing to exactly 933.8 亿元 total and 430.5 亿元
planned this year; 136 (55.1 %) started or later; 14 are late (planned_start before 2026-10-01
and not started: XM2026-002, -019, -032, -037, -038, -042, -044, -129, -137, -169, -213, -221,
-230, -236), the other unstarted ones plan to start 2026-11-30…12-20; all planned dates fall in
2026. 26 attracted this year (19 >= 1 亿元, 3 >= 10 亿元). 45 projects have weekly visits
(Sep-Nov); 12 of them none since 2026-11-19 (XM2026-004, -018, -023, -025, -044, -051, -073,
-085, -113, -119, -144, -191). 36 problems: 33 resolved, 3 in progress (WT-027 past its
deadline 2026-11-12; WT-030 and WT-036 due in December). Baseline 2025 gives +51.5 %, +86.0 %,
+74.0 %. The generator prints a summary and asserts the hard constraints and the parcel design.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import geopandas as gpd

from geo_service.maps.data.investors import AVAILABLE_STAGES
from tools.demo.common import (
    BASELINE,
    CONTACTS,
    EXPECTED,
    LOCAL_CRS,
    MU_M2,
    PLANNED_INVESTMENT,
    TODAY,
    TOTAL_INVESTMENT,
    fmt_money,
)
from tools.demo.ledger import (
    build_funding,
    build_investment_reports,
    build_milestones,
    build_problems,
    build_rounds,
    build_visits,
)
from tools.demo.networks import (
    build_assessments,
    build_infrastructure,
    build_protected,
    build_zones,
)
from tools.demo.output import (
    PROJECT_HEADER,
    check_projects,
    growth,
    project_row,
    write_csv,
    write_geojson,
)
from tools.demo.parcels import build_grid, build_parcels
from tools.demo.project_design import STARTED
from tools.demo.projects import build_projects
from tools.demo.readiness_check import check_readiness
from tools.demo.records import build_leveling, build_titles
from tools.demo.supply import register_stages


def main(argv: Sequence[str] | None = None) -> None:
    """Write the demo district to --out and print a summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder")
    ap.add_argument(
        "--events",
        type=Path,
        default=Path("data/demo/supply_events.csv"),
        help="the supply histories (kept by hand) that set the register stage of their parcels",
    )
    ap.add_argument(
        "--boundary",
        type=Path,
        default=Path("data/huaiyang-boundary.geojson"),
        help="district outline to check against (skipped if the file is missing)",
    )
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    grid = build_grid()
    parcels = build_parcels(grid)
    for p in parcels:
        assert p.geom.is_valid and 20 <= p.geom.area / MU_M2 <= 300, (p.code, p.geom.area / MU_M2)
    zones = build_zones(grid)
    infra, _subs = build_infrastructure(grid)
    farmland = next(p for p in parcels if p.tag == "T_farmland")
    protected = build_protected(grid, farmland)
    assessments = build_assessments(grid)
    leveling = build_leveling(parcels)
    titles = build_titles(parcels)

    stages = register_stages(args.events)  # what the loader syncs from the events
    zones_ll = write_geojson(out / "zones.geojson", zones, ("code", "name"))
    parcel_rows = [
        {
            "code": p.code,
            "name": p.name,
            "zone_code": p.zone,
            "land_use": p.land_use,
            "industry": p.industry,
            "published": p.published,
            "supply_stage": stages.get(p.code, p.stage),
            "indicators": p.indicators,
            "contact": CONTACTS[p.zone],
            "notes": p.notes,
            "geometry": p.geom,
        }
        for p in parcels
    ]
    parcels_ll = write_geojson(
        out / "parcels.geojson",
        parcel_rows,
        ("code", "name", "zone_code", "land_use", "industry", "published", "supply_stage",
         "indicators", "contact", "notes"),
        published="bool",
    )  # fmt: skip
    infra_ll = write_geojson(
        out / "infrastructure.geojson",
        infra,
        ("code", "kind", "name", "status", "diameter_mm", "voltage_kv", "road_class"),
        diameter_mm="Int64",
        voltage_kv="Float64",
    )
    assess_ll = write_geojson(
        out / "assessments.geojson",
        assessments,
        ("code", "kind", "name", "valid_from", "valid_until", "document_ref"),
    )
    protected_ll = write_geojson(out / "protected.geojson", protected, ("code", "kind", "name"))
    write_csv(
        out / "leveling.csv",
        ("parcel_code", "surveyed_on", "leveled", "earthwork_outstanding_m3", "surveyor",
         "document_ref"),
        leveling,
    )  # fmt: skip
    write_csv(
        out / "titles.csv",
        ("parcel_code", "recorded_on", "ownership", "requisition_done", "compensation_settled",
         "open_disputes", "document_ref"),
        titles,
    )  # fmt: skip

    projects = build_projects(grid, parcels)
    check_projects(projects, parcels)
    visits = build_visits(projects)
    problems = build_problems(projects, visits)
    milestones = build_milestones(projects)
    reports = build_investment_reports(projects)
    rounds = build_rounds(projects)
    funding = build_funding(projects)
    write_csv(out / "projects.csv", PROJECT_HEADER, (project_row(p) for p in projects))
    write_csv(
        out / "problems.csv",
        ("code", "project_code", "description", "found_on", "assignee_unit", "assignee_leader",
         "deadline", "status", "resolved_on", "resolution", "visit_code"),
        problems,
    )  # fmt: skip
    write_csv(
        out / "visits.csv",
        ("code", "project_code", "leader", "visited_on", "notes"),
        ({**v, "visited_on": v["visited_on"].isoformat()} for v in visits),
    )
    write_csv(
        out / "milestones.csv", ("project_code", "seq", "name", "due_on", "done_on"), milestones
    )
    write_csv(out / "investment_reports.csv", ("project_code", "month", "completed_wan"), reports)
    write_csv(out / "rounds.csv", ("project_code", "round_no", "round_date", "list"), rounds)
    write_csv(out / "funding.csv", ("project_code", "source", "amount_wan"), funding)
    year, count, total, planned = BASELINE
    write_csv(
        out / "baseline.csv",
        ("year", "project_count", "total_investment_wan", "planned_investment_wan"),
        [{"year": str(year), "project_count": str(count), "total_investment_wan": fmt_money(total),
          "planned_investment_wan": fmt_money(planned)}],
    )  # fmt: skip

    # ------------------------------------------------------------ self-checks
    by_code = {p.code: p for p in projects}
    g = (growth(247, count), growth(TOTAL_INVESTMENT, total), growth(PLANNED_INVESTMENT, planned))
    assert g == (Decimal("51.5"), Decimal("86.0"), Decimal("74.0")), g
    assert sum(r["status"] == "resolved" for r in problems) == 33 and len(problems) == 36
    visit_by_code = {v["code"]: v for v in visits}
    for r in problems:
        if r["visit_code"]:
            v = visit_by_code[r["visit_code"]]
            assert v["project_code"] == r["project_code"]
            assert v["visited_on"].isoformat() == r["found_on"]
        if r["resolved_on"]:
            assert r["resolved_on"] >= r["found_on"]
    for v in visits:
        assert v["leader"] == by_code[v["project_code"]].leader
    recent = {v["project_code"] for v in visits if v["visited_on"] >= TODAY - dt.timedelta(days=7)}
    visited = {v["project_code"] for v in visits}
    assert visited - recent, "some visited projects must lack a visit in the last 7 days"
    sums: dict[str, Decimal] = {}
    for r in reports:
        sums[r["project_code"]] = sums.get(r["project_code"], Decimal(0)) + Decimal(
            r["completed_wan"]
        )
    for pj in projects:
        assert sums.get(pj.code, Decimal(0)) == pj.completed, pj.code
    fsums: dict[str, Decimal] = {}
    for r in funding:
        fsums[r["project_code"]] = fsums.get(r["project_code"], Decimal(0)) + Decimal(
            r["amount_wan"]
        )
    assert all(fsums[pj.code] == pj.total for pj in projects)
    started_rounds = {
        (r["project_code"], int(r["round_no"])) for r in rounds if r["list"] == "started"
    }
    prod_rounds = {
        (r["project_code"], int(r["round_no"])) for r in rounds if r["list"] == "in_production"
    }
    assert any((c, n) in prod_rounds for c, n0 in started_rounds for n in range(n0 + 1, 5)), (
        "a started round must feed a later in-production round"
    )
    assert {r["list"] for r in rounds} == {"signed", "started", "in_production"}
    if args.boundary.exists():
        outline = gpd.read_file(args.boundary, engine="pyogrio").geometry.union_all()
        for layer in (zones_ll, parcels_ll, infra_ll, assess_ll, protected_ll):
            assert layer.geometry.within(outline).all()
        pts = gpd.GeoSeries(
            gpd.points_from_xy([p.lon for p in projects], [p.lat for p in projects])
        )
        assert pts.within(outline).all()
    else:
        print(f"note: {args.boundary} not found; district containment not checked")
    zone_union = zones_ll.to_crs(LOCAL_CRS).geometry.union_all()
    prot_local = protected_ll.to_crs(LOCAL_CRS)
    overlaps = [
        (c, a)
        for c, a in zip(prot_local.code, prot_local.intersection(zone_union).area, strict=True)
        if a > 0
    ]
    assert [c for c, _ in overlaps] == ["BF-001"] and overlaps[0][1] < 2000, overlaps

    ready = check_readiness(parcels_ll, infra_ll, protected_ll, leveling, titles)
    print("planned readiness (EPSG:4547 distances to qualifying features):")
    print(f"{'parcel':12} {'亩':>7} {'water':>7} {'power':>7} {'road':>6} leveling title   overlap")
    computed: dict[str, dict[str, str]] = {}
    net_mu = reserve_mu = 0.0
    for rd in ready:
        bad = {k: v for k, v in rd.status.items() if v != "met"}
        computed[rd.code] = bad if bad else {}
        flag = ", ".join(f"{k}:{v}" for k, v in bad.items()) or "net land"
        print(
            f"{rd.code:12} {rd.area_mu:7.2f} {rd.water_m:7.1f} {rd.power_m:7.1f} {rd.road_m:6.1f} "
            f"{rd.leveling:8} {rd.title:7} {rd.overlap_m2:7.1f}  {flag}"
        )
        if not bad:
            net_mu += rd.area_mu
            written = parcels[int(rd.code[-3:]) - 1]
            if stages.get(written.code, written.stage) in AVAILABLE_STAGES:
                reserve_mu += rd.area_mu
    expected = {p.code: EXPECTED.get(p.code, {}) for p in parcels}
    assert computed == expected, {
        c: (computed[c], expected[c]) for c in computed if computed[c] != expected[c]
    }
    for p in parcels:
        if p.stage != "plan":
            assert not computed[p.code], f"{p.code} is {p.stage} but not net land"

    counts = {
        "zones": len(zones),
        "parcels": len(parcels),
        "infrastructure": len(infra),
        "assessments": len(assessments),
        "protected": len(protected),
        "leveling surveys": len(leveling),
        "title records": len(titles),
        "projects": len(projects),
        "problems": len(problems),
        "visits": len(visits),
        "milestones": len(milestones),
        "investment reports": len(reports),
        "round entries": len(rounds),
        "funding rows": len(funding),
    }
    print("written to", out)
    for label, n in counts.items():
        print(f"  {label:20} {n}")
    started_share = sum(p.status in STARTED for p in projects) / len(projects)
    print(f"  total investment     {fmt_money(TOTAL_INVESTMENT)} 万元 (+{g[1]} %)")
    print(f"  planned this year    {fmt_money(PLANNED_INVESTMENT)} 万元 (+{g[2]} %)")
    print(f"  projects             247 (+{g[0]} %), started or later {started_share:.1%}")
    print(f"  parcels total        {sum(rd.area_mu for rd in ready):.2f} 亩")
    print(
        f"  net land by design   {net_mu:.2f} 亩 ({sum(not b for b in computed.values())} parcels)"
    )
    print(f"  net-land reserve     {reserve_mu:.2f} 亩 (not yet contracted)")


if __name__ == "__main__":
    main()

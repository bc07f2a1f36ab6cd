"""The 247 key projects: money scaled to the source's totals, dates, statuses, locations."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

import shapely
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from tools.demo.common import (
    CENT,
    INDICATOR_TABLE,
    INNER_DISTRICT,
    MU_M2,
    PLANNED_INVESTMENT,
    SEED,
    TO_GEO,
    TO_LOCAL,
    TODAY,
    TOTAL_INVESTMENT,
    YEAR,
    Grid,
    Parcel,
    clamp_date,
    money,
    rand_date,
    to_local,
)
from tools.demo.project_design import (
    DOMAIN_COUNTS,
    LEADERS,
    PRODUCTS,
    REGIONS,
    ROUND_DATES,
    STARTED,
    STATUS_COUNTS,
    UNITS,
    Project,
    project_name,
)


def sample_point(
    rng: random.Random,
    region: Polygon,
    avoid: BaseGeometry,
    centre: tuple[float, float] | None = None,
    sd_m: float = 0.0,
) -> Point:
    """A random point inside region (local metres), not inside avoid."""
    minx, miny, maxx, maxy = region.bounds
    for _ in range(10_000):
        if centre is None:
            pt = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        else:
            pt = Point(rng.gauss(centre[0], sd_m), rng.gauss(centre[1], sd_m))
        if region.contains(pt) and not avoid.contains(pt):
            return pt
    raise AssertionError("no point found")


def scale_to(
    values: list[Decimal],
    fixed: list[bool],
    target: Decimal,
    lo: list[Decimal],
    hi: list[Decimal],
    step: Decimal,
) -> list[Decimal]:
    """Scale the free values so the sum hits target, within [lo, hi], rounded to step."""
    vals = list(values)
    for _ in range(30):
        free = [i for i, f in enumerate(fixed) if not f and lo[i] < vals[i] < hi[i]]
        rest = sum((vals[i] for i in range(len(vals)) if i not in set(free)), Decimal(0))
        cur = sum((vals[i] for i in free), Decimal(0))
        if not free or cur == 0:
            break
        factor = (target - rest) / cur
        for i in free:
            v = (vals[i] * factor / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
            vals[i] = max(lo[i], min(hi[i], v))
        if abs(sum(vals, Decimal(0)) - target) < step * len(vals):
            break
    return vals


def build_projects(grid: Grid, parcels: list[Parcel]) -> list[Project]:
    """247 key projects with money, dates, leaders and locations."""
    rng = random.Random(f"{SEED}:projects")
    projects: list[Project] = []
    for domain, n in DOMAIN_COUNTS:
        projects.extend(Project(domain=domain) for _ in range(n))
    industrial = [p for p in projects if p.domain == "industrial_transformation"]
    # projects on transferred parcels
    transferred = [p for p in parcels if p.stage in ("contract", "handed_over")]
    linked = industrial[: len(transferred)]
    for p, parcel in zip(linked, transferred, strict=True):
        p.industry = parcel.industry if parcel.industry in PRODUCTS else "新材料"
        p.parcel_code = parcel.code
        p.status = "signed" if parcel.stage == "contract" else "under_construction"
        if parcel.stage == "handed_over" and parcel.key[2] == "sw":
            p.status = "started"
        p.attracted = True
        intensity = INDICATOR_TABLE[parcel.industry][0]
        area_mu = parcel.geom.area / MU_M2
        p.total = money(round(area_mu * intensity * rng.uniform(1.05, 1.4), -1))
        p.fixed_total = True
    # the giants (10-50 亿元)
    giants = industrial[len(transferred) : len(transferred) + 6]
    giants += [p for p in projects if p.domain == "infrastructure"][:2]
    giants += [p for p in projects if p.domain == "green_low_carbon"][:1]
    giants += [p for p in projects if p.domain == "livelihood"][:1]
    giants += [p for p in projects if p.domain == "infrastructure"][2:3]
    giants += industrial[len(transferred) + 6 : len(transferred) + 7]
    giant_status = ("signed", "started", "under_construction", "under_construction")
    for i, p in enumerate(giants):
        p.giant = True
        top = 460 if p.domain in ("industrial_transformation", "infrastructure") else 160
        p.total = money(rng.randint(100, top) * 1000)
        p.status = giant_status[i % 4] if i >= 3 else ("signed", "started", "under_construction")[i]
        p.attracted = i < 3
        p.fixed_total = True
    # statuses for the rest, exact counts overall
    pool: list[str] = []
    for status, n in STATUS_COUNTS:
        pool.extend([status] * n)
    for p in projects:
        if p.fixed_total:
            pool.remove(p.status)
    rng.shuffle(pool)
    rest = [p for p in projects if not p.fixed_total]
    for p, status in zip(rest, pool, strict=True):
        p.status = status
    used: set[str] = set()
    for p in projects:
        project_name(rng, p, used)
    # totals
    medians = {
        "industrial_transformation": 16000,
        "infrastructure": 14000,
        "livelihood": 7000,
        "green_low_carbon": 14000,
        "innovation": 5000,
    }
    for p in rest:
        v = medians[p.domain] * rng.lognormvariate(0, 0.8)
        if rng.random() < 0.25:
            p.total = money(v)
        else:
            p.total = money(round(v))
    lo = [Decimal(800) for _ in projects]
    hi = [Decimal(98000) for _ in projects]
    totals = scale_to(
        [p.total for p in projects],
        [p.fixed_total for p in projects],
        TOTAL_INVESTMENT,
        lo,
        hi,
        Decimal(1),
    )
    for p, amount in zip(projects, totals, strict=True):
        p.total = amount
    biggest = max(projects, key=lambda p: p.total)
    biggest.total += TOTAL_INVESTMENT - sum((p.total for p in projects), Decimal(0))
    assert Decimal(100000) <= biggest.total <= Decimal(500000), biggest.total
    # attraction: 3 giants, the linked ones, 13 more >= 1 亿 and 5 smaller, all signed or later
    cand_big = [
        p
        for p in projects
        if not p.attracted
        and not p.giant
        and p.domain in ("industrial_transformation", "green_low_carbon", "innovation")
        and p.status != "planned"
        and p.total >= 10000
    ]
    cand_small = [
        p
        for p in projects
        if not p.attracted
        and p.domain == "industrial_transformation"
        and p.status != "planned"
        and p.total < 10000
    ]
    for p in rng.sample(cand_big, 13) + rng.sample(cand_small, 5):
        p.attracted = True
    for p in projects:
        if p.attracted:
            p.region = rng.choice(REGIONS) if rng.random() < 0.85 else ""
    # dates
    not_started = [p for p in projects if p.status in ("planned", "signed") and not p.giant]
    for p in rng.sample(not_started, 14):
        p.late = True
    for p in projects:
        project_dates(rng, p)
    snap_rounds(rng, projects)
    # planned and completed investment of the year
    plan_frac = {
        "planned": (0.05, 0.20),
        "signed": (0.10, 0.30),
        "started": (0.30, 0.70),
        "under_construction": (0.40, 0.85),
        "completed": (0.60, 1.00),
        "in_production": (0.60, 1.00),
    }
    for p in projects:
        a, b = plan_frac[p.status]
        if p.giant:
            a, b = 0.25, 0.45
        p.planned = money(p.total * Decimal(str(rng.uniform(a, b))))
    planned = scale_to(
        [p.planned for p in projects],
        [False] * len(projects),
        PLANNED_INVESTMENT,
        [Decimal(100)] * len(projects),
        [p.total for p in projects],
        CENT,
    )
    for p, amount in zip(projects, planned, strict=True):
        p.planned = amount
    room = max(projects, key=lambda p: p.total - p.planned)
    room.planned += PLANNED_INVESTMENT - sum((p.planned for p in projects), Decimal(0))
    assert Decimal(0) < room.planned <= room.total
    done_frac = {
        "planned": (0.0, 0.0),
        "signed": (0.0, 0.0),
        "started": (0.15, 0.50),
        "under_construction": (0.60, 0.98),
        "completed": (0.90, 1.00),
        "in_production": (0.95, 1.00),
    }
    for p in projects:
        a, b = done_frac[p.status]
        p.completed = money(p.planned * Decimal(str(rng.uniform(a, b)))) if b else Decimal("0.00")
        p.completed = min(p.completed, p.planned)
    # leaders and units
    leader_weights = [
        1 if lead.endswith("(区长)") or "常务" in lead else 4 if "副区长" in lead else 2
        for lead in LEADERS
    ]
    for i, p in enumerate(projects):
        p.leader = LEADERS[i] if i < len(LEADERS) else rng.choices(LEADERS, leader_weights)[0]
        p.unit = rng.choice(UNITS[p.domain])
        if p.parcel_code:
            p.unit = "经开区管委会"
    # locations
    place_projects(rng, grid, parcels, projects)
    # codes: grouped by domain as in the ledger, biggest first within a domain
    order = {d: i for i, (d, _n) in enumerate(DOMAIN_COUNTS)}
    projects.sort(key=lambda p: (order[p.domain], -p.total, p.name))
    for i, p in enumerate(projects, start=1):
        p.code = f"XM{YEAR}-{i:03d}"
    return projects


def project_dates(rng: random.Random, p: Project) -> None:
    """Dates consistent with the status (everything planned falls in 2026)."""
    jan, dec31 = dt.date(YEAR, 1, 10), dt.date(YEAR, 12, 31)
    last = TODAY - dt.timedelta(days=2)
    days = dt.timedelta
    if p.status in STARTED:
        if p.status == "started":
            p.actual_start = rand_date(rng, dt.date(YEAR, 8, 1), dt.date(YEAR, 11, 20))
        elif p.status == "under_construction":
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 8, 31))
        elif p.status == "completed":
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 5, 31))
            p.actual_completion = min(p.actual_start + days(rng.randint(100, 260)), last)
        else:
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 4, 30))
            p.actual_completion = min(
                p.actual_start + days(rng.randint(90, 220)), dt.date(YEAR, 10, 31)
            )
            p.in_production_on = min(p.actual_completion + days(rng.randint(5, 30)), last)
        p.planned_start = clamp_date(
            p.actual_start + days(rng.randint(-25, 10)), dt.date(YEAR, 1, 2), dec31
        )
        if p.actual_completion:
            pc = p.actual_completion + days(rng.randint(-20, 30))
        elif p.total > 50000 or p.giant:
            pc = dt.date(YEAR, 12, rng.randint(20, 31))
        else:
            pc = p.planned_start + days(rng.randint(200, 330))
        p.planned_completion = clamp_date(pc, p.planned_start + days(30), dec31)
    elif p.late:
        p.planned_start = rand_date(rng, dt.date(YEAR, 3, 1), dt.date(YEAR, 9, 25))
        p.planned_completion = clamp_date(
            p.planned_start + days(rng.randint(120, 280)), p.planned_start + days(30), dec31
        )
    else:
        p.planned_start = rand_date(rng, dt.date(YEAR, 11, 30), dt.date(YEAR, 12, 20))
        p.planned_completion = dec31
    if p.status != "planned":
        hi = p.actual_start - days(7) if p.actual_start else last
        if p.attracted:
            p.signed_on = rand_date(rng, dt.date(YEAR, 1, 5), hi)
        else:
            p.signed_on = rand_date(rng, dt.date(YEAR - 1, 3, 1), min(hi, dt.date(YEAR, 6, 30)))


def snap_rounds(rng: random.Random, projects: list[Project]) -> None:
    """Move some events onto the quarterly "三个一批" round dates."""

    def nearest(d: dt.date, lo: dt.date, hi: dt.date) -> dt.date | None:
        ok = [r for r in ROUND_DATES if lo <= r <= hi and abs((r - d).days) <= 45]
        return min(ok, key=lambda r: abs((r - d).days)) if ok else None

    start_of_year = dt.date(YEAR, 1, 1)
    for p in projects:
        if p.signed_on and p.signed_on.year == YEAR and rng.random() < 0.6:
            hi = min(TODAY, p.actual_start or TODAY)
            p.signed_on = nearest(p.signed_on, start_of_year, hi) or p.signed_on
        if p.actual_start and rng.random() < 0.6:
            lo = max(p.signed_on or start_of_year, start_of_year)
            hi = min(p.actual_completion or TODAY, TODAY)
            p.actual_start = nearest(p.actual_start, lo, hi) or p.actual_start
        if p.in_production_on and p.actual_completion and rng.random() < 0.7:
            lo = p.actual_completion
            p.in_production_on = nearest(p.in_production_on, lo, TODAY) or p.in_production_on


def place_projects(
    rng: random.Random, grid: Grid, parcels: list[Parcel], projects: list[Project]
) -> None:
    """Industrial projects in or near the zone, the rest across the district."""
    district = to_local(Polygon(INNER_DISTRICT))
    all_parcels = shapely.union_all([p.geom.buffer(10) for p in parcels])
    by_code = {p.code: p for p in parcels}
    zone = box(grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1])
    near_zone = zone.buffer(2500).intersection(district)
    cx, cy = TO_LOCAL.transform(114.886, 33.732)
    for p in projects:
        if p.parcel_code:
            pt = by_code[p.parcel_code].geom.representative_point()
        elif p.domain == "industrial_transformation":
            area = zone if rng.random() < 0.6 else near_zone
            pt = sample_point(rng, area, all_parcels)
        elif p.domain in ("innovation",) or rng.random() < 0.5:
            pt = sample_point(rng, district, all_parcels, (cx, cy), 2500)
        else:
            pt = sample_point(rng, district, all_parcels)
        lon, lat = TO_GEO.transform(pt.x, pt.y)
        p.lon, p.lat = round(lon, 7), round(lat, 7)

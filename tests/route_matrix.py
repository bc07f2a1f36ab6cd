"""The route × role matrix's tools: every route's gate, what the policy says each caller gets,
sample paths and a small seeded register to call them against (used by test_roles.py,
test_public_view.py and the OGC tests)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine, text

from geo_service.api.deps import Gate
from geo_service.api.openapi import api_routes, gates_of
from geo_service.auth import policy
from geo_service.db.engine import transaction
from geo_service.parcels import writes as land
from geo_service.projects import writes as ledger
from tests.helpers import ORIGIN, add_assessments, add_parcels, rect_m, to_lonlat

OK = "ok"
Caller = str | None  # None = no token
CALLERS: tuple[Caller, ...] = (None, "investor", "bureau", "official")

#: FastAPI's own routes (not ours to gate): they never look at the caller
FRAMEWORK = {"/openapi.json", "/docs/oauth2-redirect", "/redoc"}
#: mounted static assets are not routes with a policy
STATIC_PREFIXES = ("/static", "/maps/static", "/assets")


def expectation(action: str | None) -> dict[Caller, Any]:
    """What each caller gets from a route gated by ``action`` (``None``: an open route)."""
    if action is None:
        return dict.fromkeys(CALLERS, OK)
    roles = policy.roles_for(action)
    return {
        c: OK if (c or policy.PUBLIC) in roles else (401 if c is None else 403) for c in CALLERS
    }


def route_gates(app: Any) -> dict[tuple[str, str], Gate | None]:
    """(method, path) → the route's one gate (``None``: none, or several different ones)."""
    out: dict[tuple[str, str], Gate | None] = {}
    for r in api_routes(app):
        if r.path.startswith(STATIC_PREFIXES):
            continue
        gates = gates_of(r)
        for m in r.methods or {"GET"}:
            if m not in ("HEAD", "OPTIONS"):
                out[(m, r.path)] = gates[0] if len(gates) == 1 else None
    return out


def cases(app: Any) -> list[tuple[str, str, dict[str, str], dict[Caller, Any]]]:
    """(method, path, path values, expectation) for every route; a ``require_by`` gate gives
    one case per value of its parameter."""
    out = []
    for (method, path), gate in sorted(route_gates(app).items(), key=lambda kv: kv[0][::-1]):
        assert gate is not None, f"{method} {path} declares no single policy gate"
        if gate.param is None:
            out.append((method, path, {}, expectation(gate.action)))
        else:
            for value, action in gate.by:
                out.append((method, path, {gate.param: value}, expectation(action)))
    return out


def public_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of the gated routes the public passes (with sample_path's values)."""
    out = set()
    for (method, path), gate in route_gates(app).items():
        if gate is None or gate == Gate(None):
            continue
        action = gate.action if gate.param is None else dict(gate.by).get(SAMPLE[gate.param])
        if expectation(action)[None] == OK:
            out.add((method, path))
    return out


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD/OPTIONS aside."""
    out = set()
    for r in iter_route_contexts(app.routes):
        path = r.path or ""
        if path.startswith(STATIC_PREFIXES):
            continue
        for m in r.methods or {"GET"}:
            if m not in ("HEAD", "OPTIONS"):
                out.add((m, path))
    return sorted(out, key=lambda mp: (mp[1], mp[0]))


#: sample values of path parameters (tile x/y are computed from the seeded data)
SAMPLE = {
    "condition": "water",
    "month": "2023-03",
    "seq": "1",
    "what": "parcels",
    "kind": "water",
    "z": "14",
    "name": "start-rate",
    "collectionId": "parcels",
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": "14",
}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def sample_path(path: str, codes: dict[str, str], given: dict[str, str] | None = None) -> str:
    """Fill a route's path parameters with values that exist in the seeded database."""
    for k, v in (given or {}).items():
        path = path.replace("{" + k + "}", v)
    if "{code}" in path:
        kind = path.split("/")[3] if path.startswith("/api/v1/") else "parcels"
        path = path.replace("{code}", codes[kind])
    path = path.replace("{featureId}", codes["parcels"])
    x, y = tile_of(*ORIGIN, 14)
    values = {**SAMPLE, "x": str(x), "y": str(y), "tileRow": str(y), "tileCol": str(x)}
    for k, v in values.items():
        path = path.replace("{" + k + "}", v)
    assert "{" not in path, f"add a sample value for {path} in tests/test_roles.py::sample_path"
    return path


def seed(engine: Engine) -> dict[str, str]:
    """One zone, published and unpublished parcels, a project with a visit and a problem."""
    zone = to_lonlat(rect_m(-2000, -2000, 6000, 6000))
    with transaction(engine) as s:
        land.upsert_zones(s, [{"code": "Z1", "name": "开发区", "wkb": zone.wkb_hex}])
    add_parcels(
        engine,
        {
            "code": "PUB-1",
            "geom_m": rect_m(0, 0, 200, 100),
            "published": True,
            "zone_code": "Z1",
            "notes": "内部备注甲: 价格待议",
            "contact": "招商局 0394-1234567",
            "indicators": [{"key": "far", "min": 1.0, "max": 2.5}],
        },
        {"code": "PUB-2", "geom_m": rect_m(400, 0, 200, 200), "published": True},
        {
            "code": "HID-1",
            "geom_m": rect_m(0, 400, 150, 100),
            "published": False,
            "notes": "内部备注乙: 权属争议",
        },
        {"code": "HID-2", "geom_m": rect_m(400, 400, 100, 100), "published": False},
    )
    add_assessments(engine, rect_m(-2000, -2000, 6000, 6000))  # every required one, valid
    with transaction(engine) as s:  # PUB-1 and HID-1 are net land: all five conditions met
        s.execute(
            text(
                """INSERT INTO parcel_conditions (parcel_id, condition, status, method, verified_at)
                SELECT p.id, c, 'met', 'record', now() FROM parcels p,
                  unnest(ARRAY['water', 'power', 'road', 'leveling', 'title']) c
                WHERE p.code IN ('PUB-1', 'HID-1')"""
            )
        )
    pt = to_lonlat(rect_m(50, 50, 1, 1)).centroid
    with transaction(engine) as s:
        ledger.upsert_projects(
            s,
            [
                {
                    "code": "PRJ-1",
                    "name": "联塑管道项目",
                    "year": 2023,
                    "domain": "industrial_transformation",
                    "status": "started",
                    "total_investment_wan": 100000,
                    "planned_investment_wan": 40000,
                    "completed_wan": 12000,
                    "leader": "王领导甲",
                    "responsible_unit": "产业集聚区管委会",
                    "lon": pt.x,
                    "lat": pt.y,
                    "parcel_code": "PUB-1",
                }
            ],
        )
        ledger.upsert_visits(
            s,
            [
                {
                    "code": "V-1",
                    "project_code": "PRJ-1",
                    "leader": "王领导甲",
                    "visited_on": date(2023, 3, 1),
                    "notes": "走访记录丙",
                }
            ],
        )
        ledger.upsert_problems(
            s,
            [
                {
                    "code": "PB-1",
                    "project_code": "PRJ-1",
                    "visit_code": "V-1",
                    "description": "问题描述丁: 用电增容未批",
                    "found_on": date(2023, 3, 1),
                    "assignee_unit": "供电公司",
                    "assignee_leader": "李领导乙",
                    "deadline": date(2023, 4, 1),
                    "status": "open",
                }
            ],
        )
    return {"parcels": "PUB-1", "projects": "PRJ-1", "problems": "PB-1", "visits": "V-1"}

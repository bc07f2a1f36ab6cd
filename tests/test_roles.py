"""Every route × every role against ONE explicit policy table.

The routes are read from the app, so a route added later without a line in POLICY fails
``test_every_route_has_a_policy``. Add one line per route: ``(METHOD, path): EXPECTATION``.

Expectations per caller (no token, investor, bureau, official):
* ``OK``: the role gate lets it through: a GET answers 2xx; another method answers anything
  but 401/403/5xx (requests carry no body, so an admitted write usually answers 422);
* ``401`` / ``403``: refused, with a problem JSON body — never a partial answer.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes as land
from geo_service.projects import writes as ledger
from tests.helpers import ORIGIN, add_parcels, rect_m, to_lonlat, token

OK = "ok"
Caller = str | None  # None = no token
CALLERS: tuple[Caller, ...] = (None, "investor", "bureau", "official")

PUBLIC = {None: OK, "investor": OK, "bureau": OK, "official": OK}
STAFF = {None: 401, "investor": 403, "bureau": OK, "official": OK}  # internal lists
BUREAU = {None: 401, "investor": 403, "bureau": OK, "official": 403}  # land and readiness
OFFICIAL = {None: 401, "investor": 403, "bureau": 403, "official": OK}  # projects, problems

# fmt: off
POLICY: dict[tuple[str, str], dict[Caller, Any]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # land register: published parcels are public; the bureau changes them
    ("GET", "/api/v1/parcels"): PUBLIC,
    ("GET", "/api/v1/parcels/{code}"): PUBLIC,
    ("POST", "/api/v1/parcels"): BUREAU,
    ("PATCH", "/api/v1/parcels/{code}"): BUREAU,
    # readiness
    ("GET", "/api/v1/parcels/{code}/readiness"): PUBLIC,
    ("GET", "/api/v1/parcels/{code}/readiness/history"): STAFF,
    ("PUT", "/api/v1/parcels/{code}/conditions/{condition}"): BUREAU,
    ("DELETE", "/api/v1/parcels/{code}/conditions/{condition}/override"): BUREAU,
    ("POST", "/api/v1/readiness/run"): BUREAU,
    ("GET", "/api/v1/readiness/report"): STAFF,
    # site surveys and title records: the bureau records them, officials read them
    ("POST", "/api/v1/parcels/{code}/surveys"): BUREAU,
    ("GET", "/api/v1/parcels/{code}/surveys"): STAFF,
    ("POST", "/api/v1/parcels/{code}/title-records"): BUREAU,
    ("GET", "/api/v1/parcels/{code}/title-records"): STAFF,
    ("POST", "/api/v1/records/import"): BUREAU,
    # key projects, visits, problems: officials change them, the bureau reads them
    ("GET", "/api/v1/projects"): STAFF,
    ("POST", "/api/v1/projects"): OFFICIAL,
    ("GET", "/api/v1/projects/not-visited"): STAFF,
    ("GET", "/api/v1/projects/{code}"): STAFF,
    ("PATCH", "/api/v1/projects/{code}"): OFFICIAL,
    ("GET", "/api/v1/projects/{code}/progress"): STAFF,
    ("PUT", "/api/v1/projects/{code}/investment/{month}"): OFFICIAL,
    ("PUT", "/api/v1/projects/{code}/funding"): OFFICIAL,
    ("POST", "/api/v1/projects/{code}/rounds"): OFFICIAL,
    ("PUT", "/api/v1/projects/{code}/milestones"): OFFICIAL,
    ("PATCH", "/api/v1/projects/{code}/milestones/{seq}"): OFFICIAL,
    ("GET", "/api/v1/projects/{code}/visits"): STAFF,
    ("POST", "/api/v1/projects/{code}/visits"): OFFICIAL,
    ("GET", "/api/v1/visits"): STAFF,
    ("POST", "/api/v1/visits"): OFFICIAL,
    ("GET", "/api/v1/problems"): STAFF,
    ("POST", "/api/v1/problems"): OFFICIAL,
    ("GET", "/api/v1/problems/{code}"): STAFF,
    ("PATCH", "/api/v1/problems/{code}"): OFFICIAL,
    ("POST", "/api/v1/problems/escalate"): OFFICIAL,
    ("GET", "/api/v1/ledger"): STAFF,
    ("GET", "/api/v1/ledger/export"): STAFF,
    ("POST", "/api/v1/ledger/import"): OFFICIAL,
    # figures: everybody; the public gets the land reserve only (see test_public_view)
    ("GET", "/api/v1/stats"): PUBLIC,
    # imports: files in (land by the bureau, the project ledger by officials)
    ("GET", "/api/v1/imports"): STAFF,
    ("POST", "/api/v1/imports"): BUREAU,
    ("POST", "/api/v1/imports/parcels"): BUREAU,
    ("POST", "/api/v1/imports/infrastructure"): BUREAU,
    ("POST", "/api/v1/imports/projects"): OFFICIAL,
    # exports: filtered by role like everything else (projects are internal)
    ("GET", "/api/v1/exports/{what}"): PUBLIC,
    ("GET", "/api/v1/exports/parcels"): PUBLIC,
    ("GET", "/api/v1/exports/projects"): STAFF,
    # audit trail
    ("GET", "/api/v1/audit"): STAFF,
    # maps and tiles
    ("GET", "/maps/investors"): PUBLIC,
    ("GET", "/maps/investors/parcels/{code}"): PUBLIC,
    ("GET", "/maps/investors/find/{code}"): PUBLIC,
    ("GET", "/maps/login"): PUBLIC,
    ("POST", "/maps/login"): PUBLIC,
    ("POST", "/maps/logout"): PUBLIC,
    ("GET", "/maps/readiness"): STAFF,
    ("GET", "/maps/projects"): STAFF,
    ("GET", "/tiles/parcels/{z}/{x}/{y}.pbf"): PUBLIC,
    ("GET", "/tiles/projects/{z}/{x}/{y}.pbf"): STAFF,
}
# fmt: on

#: routes that never look at the caller (a garbage token does not matter there); the sign-in
#: page takes the token from its form, not from the header
NO_AUTH = {
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/maps/login",
    "/maps/logout",
}
#: mounted static assets are not routes with a policy
STATIC_PREFIXES = ("/static", "/maps/static", "/assets")


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


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def sample_path(path: str, codes: dict[str, str]) -> str:
    """Fill a route's path parameters with values that exist in the seeded database."""
    if "{code}" in path:
        kind = path.split("/")[3] if path.startswith("/api/v1/") else "parcels"
        path = path.replace("{code}", codes[kind])
    x, y = tile_of(*ORIGIN, 14)
    values = {
        "{condition}": "water",
        "{month}": "2023-03",
        "{seq}": "1",
        "{what}": "parcels",
        "{kind}": "water",
        "{z}": "14",
        "{x}": str(x),
        "{y}": str(y),
    }
    for k, v in values.items():
        path = path.replace(k, v)
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


@pytest.fixture
def seeded(client: TestClient, clean_engine: Engine) -> tuple[TestClient, dict[str, Any]]:
    codes = seed(clean_engine)
    headers: dict[Caller, dict[str, str]] = {None: {}}
    for role in CALLERS[1:]:
        assert role is not None
        headers[role] = token(clean_engine, role)
    return client, {"codes": codes, "headers": headers}


def test_every_route_has_a_policy(client: TestClient) -> None:
    missing = [mp for mp in app_routes(client.app) if mp not in POLICY]
    assert not missing, (
        "routes without a line in tests/test_roles.py::POLICY (decide who may call them): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )


def test_every_route_against_every_role(seeded: tuple[TestClient, dict[str, Any]]) -> None:
    client, ctx = seeded
    failures = []
    # reads first: a write (e.g. a readiness run) may change what the reads find
    for method, path in sorted(app_routes(client.app), key=lambda mp: mp[0] != "GET"):
        expected = POLICY[(method, path)]
        url = sample_path(path, ctx["codes"])
        for caller in CALLERS:
            r = client.request(method, url, headers=ctx["headers"][caller])
            want = expected[caller]
            if want == OK:
                good = (
                    (200 <= r.status_code < 300)
                    if method == "GET"
                    else (r.status_code not in (401, 403) and r.status_code < 500)
                )
            else:
                good = r.status_code == want and r.headers.get("content-type", "").startswith(
                    "application/problem+json"
                )
            if not good:
                failures.append(
                    f"{method} {url} as {caller or 'public'}: {r.status_code} "
                    f"(want {want}) {r.text[:160]}"
                )
    assert not failures, "\n".join(failures)


def test_a_bad_or_revoked_token_is_401_everywhere_never_the_public_view(
    seeded: tuple[TestClient, dict[str, Any]], clean_engine: Engine
) -> None:
    client, ctx = seeded
    from geo_service.auth.tokens import revoke_token

    revoked = token(clean_engine, "bureau", "leaver")
    with transaction(clean_engine) as s:
        revoke_token(s, name="leaver", actor="test")
    bad_headers = [
        {"Authorization": "Bearer gs_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        revoked,
    ]
    failures = []
    for method, path in app_routes(client.app):
        if path in NO_AUTH:
            continue
        url = sample_path(path, ctx["codes"])
        for h in bad_headers:
            r = client.request(method, url, headers=h)
            if r.status_code != 401 or r.headers.get("www-authenticate") != "Bearer":
                failures.append(f"{method} {url} with {h}: {r.status_code}")
    assert not failures, "\n".join(failures)

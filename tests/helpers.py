"""Small explicit test data: shapes built in metres around a point, written through the service."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from typing import Any

import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from geo_service.auth.tokens import create_token
from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.settings import ReadinessRules, Settings

ORIGIN = (114.90, 33.72)  # the demo development zone


def local(lon0: float = ORIGIN[0], lat0: float = ORIGIN[1]) -> tuple[Transformer, Transformer]:
    """Forward/back transformers of an equal-area projection centred on (lon0, lat0), in metres."""
    laea = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=GRS80 +units=m"
    fwd = Transformer.from_crs("EPSG:4490", laea, always_xy=True)
    back = Transformer.from_crs(laea, "EPSG:4490", always_xy=True)
    return fwd, back


def to_lonlat(geom_m: BaseGeometry, origin: tuple[float, float] = ORIGIN) -> BaseGeometry:
    """A shape drawn in metres (x east, y north) around ``origin`` → lon/lat EPSG:4490."""
    _, back = local(*origin)
    return shapely.transform(geom_m, lambda x, y: back.transform(x, y), interleaved=False)


def rect_m(x: float, y: float, w: float, h: float) -> Polygon:
    """A w × h metre rectangle with its south-west corner at (x, y) metres from the origin."""
    return box(x, y, x + w, y + h)


def line_m(*pts: tuple[float, float]) -> LineString:
    return LineString(pts)


def point_m(x: float, y: float) -> Point:
    return Point(x, y)


def rotate(g: BaseGeometry, deg: float) -> BaseGeometry:
    return affinity.rotate(g, deg, origin="centroid")


def add_parcels(engine: Engine, *parcels: dict[str, Any]) -> None:
    """Write parcels given with ``geom_m`` (metres around ORIGIN) or ``geom`` (lon/lat)."""
    rows = []
    for p in parcels:
        p = dict(p)
        geom = p.pop("geom", None) or to_lonlat(p.pop("geom_m"))
        p["wkb"] = geom.wkb_hex
        p.setdefault("name", f"地块 {p['code']}")
        rows.append(p)
    with transaction(engine) as s:
        writes.upsert_parcels(s, rows)


def add_infrastructure(
    engine: Engine, *features: dict[str, Any], within_m: float | None = None
) -> None:
    """Network features written as an import does: parcels within the rules' reach marked."""
    from geo_service.readiness.rules import reach_m
    from geo_service.settings import ReadinessRules

    rows = []
    for f in features:
        f = dict(f)
        geom = f.pop("geom", None) or to_lonlat(f.pop("geom_m"))
        f["wkb"] = geom.wkb_hex
        rows.append(f)
    with transaction(engine) as s:
        writes.upsert_infrastructure(
            s, rows, within_m=within_m if within_m is not None else reach_m(ReadinessRules())
        )


def token(engine: Engine, role: str, name: str | None = None) -> dict[str, str]:
    """An Authorization header for a new token of ``role`` (names are unique, like real ones)."""
    with transaction(engine) as s:
        name = name or f"test-{role}-{uuid.uuid4().hex[:8]}"
        secret = create_token(s, role=role, name=name, actor="test")
    return {"Authorization": f"Bearer {secret}"}


def patch_current(client: Any, url: str, *, json: dict[str, Any], headers: dict[str, str]) -> Any:
    """PATCH as a careful client does: read the record's ETag first and send it as If-Match."""
    etag = client.get(url, headers=headers).headers.get("etag")
    return client.patch(url, json=json, headers={**headers, **({"If-Match": etag} if etag else {})})


def run_cli(
    engine: Engine, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``geo-service ARGS`` as a user runs it, in a fresh process, against ``engine``'s database
    (``env``: more settings, e.g. a rule)."""
    env = {
        **os.environ,
        **(env or {}),
        "GEO_SERVICE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "COLUMNS": "200",  # Rich wraps messages at the terminal width: keep them on one line
    }
    return subprocess.run(
        [sys.executable, "-m", "geo_service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def settings_for(engine: Engine, **overrides: Any) -> Settings:
    """The settings a command run against ``engine``'s database uses (plus ``overrides``)."""
    return Settings(database_url=engine.url.render_as_string(hide_password=False), **overrides)


def add_assessments(engine: Engine, area_m: Any, *, prefix: str = "RA") -> None:
    """Every regional assessment the settings require, valid until 2099, over ``area_m``
    (local metres): the parcels inside it lack nothing for supply but net land and indicators."""
    wkb = to_lonlat(area_m).wkb_hex
    kinds = ReadinessRules().required_assessments
    with transaction(engine) as s:
        writes.upsert_assessments(
            s,
            [
                {"code": f"{prefix}-{i}", "kind": k, "wkb": wkb, "valid_until": date(2099, 12, 31)}
                for i, k in enumerate(kinds, 1)
            ],
        )

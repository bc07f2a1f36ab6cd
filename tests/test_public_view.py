"""Scan EVERY public response (API, exports, maps, tiles) for anything the public must not see.

The secrets are read from the database, so the same scan runs on small explicit data and on the
demo district: codes of unpublished parcels, internal notes, leaders' names, problems and visit
records. Public callers are "no token" and the ``investor`` role.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from geo_service.parcels.repository import INTERNAL_FIELDS
from geo_service.settings import Settings
from tests.databases import ClientFactory
from tests.helpers import token
from tests.route_matrix import app_routes, public_routes, sample_path, seed, tile_of

FORBIDDEN_KEYS = set(INTERNAL_FIELDS) | {"leader", "assignee_leader", "assignee_unit"}
EXPORT_FORMATS = (None, "geojson", "csv", "xlsx", "gpkg", "shp")


def secrets_of(engine: Engine) -> tuple[set[str], set[str]]:
    """(codes of unpublished parcels, other strings the public must never see)."""
    with engine.connect() as c:
        hidden = set(c.execute(text("SELECT code FROM parcels WHERE NOT published")).scalars())
        strings: set[str] = set()
        for sql in (
            "SELECT notes FROM parcels WHERE notes IS NOT NULL",
            "SELECT leader FROM projects WHERE leader IS NOT NULL",
            "SELECT assignee_leader FROM problems WHERE assignee_leader IS NOT NULL",
            "SELECT description FROM problems",
            "SELECT leader FROM visits WHERE leader IS NOT NULL",
            "SELECT notes FROM visits WHERE notes IS NOT NULL",
        ):
            strings |= {s.strip() for s in c.execute(text(sql)).scalars() if len(s.strip()) >= 2}
    return hidden, strings


def texts_of(body: bytes) -> Iterator[str]:
    """Everything readable in a response: the body, or each member of a zip (xlsx, shp.zip)."""
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            for name in z.namelist():
                yield from texts_of(z.read(name))
        return
    yield body.decode("utf-8", errors="ignore")
    yield body.decode("gb18030", errors="ignore")


def forbidden_keys(node: Any, path: str = "$") -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in FORBIDDEN_KEYS and f"{path}.{k}" != "$.info.version":  # OpenAPI's own
                yield f"{path}.{k}"
            yield from forbidden_keys(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from forbidden_keys(v, f"{path}[{i}]")


def public_urls(client: TestClient, codes: dict[str, str], published: list[str]) -> list[str]:
    """Every public GET route, with each published parcel code and every export format."""
    urls: list[str] = []
    public = public_routes(client.app)
    x10, y10 = tile_of(114.90, 33.72, 10)
    for method, path in app_routes(client.app):
        if method != "GET" or (method, path) not in public:
            continue
        if "/parcels/{code}" in path:
            urls += [sample_path(path, {**codes, "parcels": c}) for c in published]
            continue
        url = sample_path(path, codes)
        if "/exports/" in path:
            urls += [url + (f"?format={f}" if f else "") for f in EXPORT_FORMATS]
        elif path.startswith("/tiles/"):
            urls += [url, sample_path(path, codes).replace("/14/", "/10/", 1)]
            urls.append(re.sub(r"/14/\d+/\d+", f"/10/{x10}/{y10}", url))
        elif path == "/api/v1/parcels":
            urls.append(url + "?limit=1000")
        else:
            urls.append(url)
    return urls


def scan(client: TestClient, engine: Engine, headers: dict[str, str]) -> list[str]:
    hidden, strings = secrets_of(engine)
    with engine.connect() as c:
        published = list(
            c.execute(
                text("SELECT code FROM parcels WHERE published ORDER BY code LIMIT 25")
            ).scalars()
        )
    assert hidden and strings and published, "the data must hold something to hide"
    code_re = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(h) for h in sorted(hidden)) + r")(?![\w-])"
    )
    needles = strings | {json.dumps(s)[1:-1] for s in strings}  # also \uXXXX-escaped forms
    problems: list[str] = []
    seen_ok = 0
    for url in public_urls(client, {"parcels": published[0]}, published):
        r = client.get(url, headers=headers)
        if r.status_code >= 500:
            problems.append(f"{url}: {r.status_code}")
            continue
        if r.status_code != 200:
            continue
        seen_ok += 1
        for t in texts_of(r.content):
            if m := code_re.search(t):
                problems.append(f"{url}: unpublished parcel {m.group(1)!r}")
            for s in needles:
                if s in t:
                    problems.append(f"{url}: internal text {s[:30]!r}")
        if "json" in r.headers.get("content-type", ""):
            problems += [f"{url}: non-public field {k}" for k in forbidden_keys(r.json())]
    assert seen_ok >= 3, "the scan must see real public answers"
    # unpublished records do not exist for the public: the same 404 as a code that never existed
    for method, path in app_routes(client.app):
        if method != "GET" or "/parcels/{code}" not in path:
            continue
        if (method, path) not in public_routes(client.app):
            continue
        nope = client.get(path.replace("{code}", "NO-SUCH-CODE"), headers=headers)
        for h in sorted(hidden)[:25]:
            r = client.get(path.replace("{code}", h), headers=headers)
            if r.status_code != 404 or r.text.replace(h, "X") != nope.text.replace(
                "NO-SUCH-CODE", "X"
            ):
                problems.append(f"{path} {h}: {r.status_code} differs from an unknown code")
    return sorted(set(problems))


@pytest.mark.parametrize("role", [None, "investor"])
def test_small_data_public_view_leaks_nothing(
    client: TestClient, clean_engine: Engine, role: str | None
) -> None:
    seed(clean_engine)
    headers = token(clean_engine, role) if role else {}
    problems = scan(client, clean_engine, headers)
    assert not problems, "\n".join(problems)


def test_the_public_sees_published_parcels_with_public_fields_only(
    client: TestClient, clean_engine: Engine
) -> None:
    seed(clean_engine)
    fc = client.get("/api/v1/parcels").json()
    assert sorted(f["id"] for f in fc["features"]) == ["PUB-1", "PUB-2"]
    public = set(Settings().public_parcel_fields)
    for f in fc["features"]:
        assert set(f["properties"]) <= public
    one = client.get("/api/v1/parcels/PUB-1").json()["properties"]
    assert one["contact"] == "招商局 0394-1234567" and "notes" not in one
    # the bureau sees the unpublished parcels and the notes
    staff = client.get("/api/v1/parcels", headers=token(clean_engine, "bureau")).json()
    assert sorted(f["id"] for f in staff["features"]) == ["HID-1", "HID-2", "PUB-1", "PUB-2"]


def test_public_fields_are_configuration(make_client: ClientFactory, clean_engine: Engine) -> None:
    seed(clean_engine)
    url = clean_engine.url.render_as_string(hide_password=False)
    client = make_client(url, public_parcel_fields=["code", "area_mu"])
    props = client.get("/api/v1/parcels/PUB-1").json()["properties"]
    assert set(props) == {"code", "area_mu"}


def test_demo_district_public_view_leaks_nothing(demo_client: TestClient, demo_url: str) -> None:
    engine = create_engine(demo_url)
    try:
        problems = scan(demo_client, engine, {})
    finally:
        engine.dispose()
    assert not problems, "\n".join(problems[:50])

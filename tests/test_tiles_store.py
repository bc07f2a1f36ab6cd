"""The shared tile store (tiles/store.py, migration 0009_tile_store): a tile built by one app
instance is served by another from the database, exactly; a write (an assessment too) changes
the next tile everywhere; nobody gets a tile stored for another role, scope or configuration; the
store is bounded and losing it costs only a rebuild; a tile of plots on offer cached yesterday
is not served today.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from geo_service.auth.tokens import create_token
from geo_service.counties.scope import scoped
from geo_service.counties.service import upsert_county
from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.settings import ReadinessRules
from geo_service.tiles import cache as cache_mod
from geo_service.tiles import store
from tests.databases import ClientFactory, database_name
from tests.helpers import ORIGIN, add_parcels, rect_m, to_lonlat, token
from tests.maps_fixtures import load_small_district

ON_OFFER = {"INV-OK-1", "INV-XSS"}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _path(kind: str = "parcels", query: str = "") -> str:
    z = 13
    n = 2**z
    x = int((ORIGIN[0] + 180) / 360 * n)
    lat = math.radians(ORIGIN[1])
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)
    return f"/tiles/{kind}/{z}/{x}/{y}.pbf" + (f"?{query}" if query else "")


def _codes(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    body = r.content
    if r.headers.get("content-encoding") == "gzip" and body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    layer = mapbox_vector_tile.decode(body).get("parcels", {"features": []})
    return {f["properties"]["code"] for f in layer["features"]}


def _no_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on any tile build fails the request: what is answered was stored."""

    def refuse(*_: Any) -> Any:
        raise AssertionError("a tile was built, not served from the store")

    monkeypatch.setattr(cache_mod, "build", refuse)


def _stored(engine: Engine, *, every: bool = False) -> list[tuple[int, str]]:
    """(version, key) of the stored tiles: of the current version (``every``: of all)."""
    where = "" if every else " WHERE version = (SELECT version FROM data_version)"
    with engine.connect() as c:
        rows = c.execute(text(f"SELECT version, key FROM tile_store{where}"))  # noqa: S608
        return [(int(v), str(k)) for v, k in rows]


def _version(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT version FROM data_version")).scalar_one())


def test_a_tile_built_by_one_instance_is_served_by_another_from_the_store(
    clean_engine: Engine, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_small_district(clean_engine)
    bureau = token(clean_engine, "bureau")
    a, b = make_client(_url(clean_engine)), make_client(_url(clean_engine))
    asks: list[tuple[str, dict[str, str]]] = [
        (_path(), {}),
        (_path(), bureau),
        (_path(query="available=true"), {}),
        (_path("projects"), bureau),
        (_path(), {"Accept-Encoding": "identity"}),
    ]
    built = [a.get(p, headers=h) for p, h in asks]
    assert all(r.status_code == 200 for r in built)
    assert len(_stored(clean_engine)) == 4  # one per tile and asker (gzip or not: one tile)
    _no_builds(monkeypatch)
    for (path, headers), first in zip(asks, built, strict=True):
        r = b.get(path, headers=headers)
        assert r.status_code == 200 and r.content == first.content, path
        for name in ("etag", "cache-control", "vary", "content-type", "content-encoding"):
            assert r.headers.get(name) == first.headers.get(name), (path, name)
        again = b.get(path, headers={**headers, "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
    # an instance without a memory cache serves it from the store too
    c = make_client(_url(clean_engine), tile_cache_mb=0)
    assert c.get(_path(), headers=bureau).content == built[1].content
    assert _codes(built[0]) == {"INV-OK-1", "INV-XSS", "INV-SOLD", "INV-NOTNET"}
    assert _codes(built[1]) == _codes(built[0]) | {"INV-HIDDEN"}
    assert _codes(built[2]) == ON_OFFER


def test_a_write_through_one_instance_changes_the_next_tile_of_another(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    load_small_district(clean_engine)
    bureau = token(clean_engine, "bureau")
    a, b = make_client(_url(clean_engine)), make_client(_url(clean_engine))
    for client in (a, b):  # both have the tiles in memory, and the store has them
        assert _codes(client.get(_path(query="available=true"))) == ON_OFFER
        assert "INV-HIDDEN" not in _codes(client.get(_path()))
    etag = b.get(_path()).headers["etag"]
    r = a.patch(
        "/api/v1/parcels/INV-HIDDEN",
        json={"published": True},
        headers={
            **bureau,
            "If-Match": a.get("/api/v1/parcels/INV-HIDDEN", headers=bureau).headers["etag"],
        },
    )
    assert r.status_code == 200, r.text
    assert "INV-HIDDEN" in _codes(b.get(_path()))
    assert b.get(_path(), headers={"If-None-Match": etag}).status_code == 200
    assert _codes(b.get(_path(query="available=true"))) == ON_OFFER | {"INV-HIDDEN"}

    # a regional assessment lapses (an import of assessments: no route writes them): the plot it
    # no longer covers leaves the investors' tiles of the other instance at once
    with transaction(clean_engine) as s:
        s.execute(text("DELETE FROM assessment_areas WHERE kind = 'flood_impact'"))
        writes.upsert_assessments(
            s,
            [
                {
                    "code": "FLOOD-REST",
                    "kind": "flood_impact",
                    "wkb": to_lonlat(rect_m(250, -100, 1650, 800)).wkb_hex,
                    "valid_until": date(2099, 12, 31),
                },
                {
                    "code": "FLOOD-OK1",
                    "kind": "flood_impact",
                    "wkb": to_lonlat(rect_m(-100, -100, 350, 800)).wkb_hex,
                    "valid_until": date(2020, 1, 1),
                },
            ],
        )
    assert _codes(b.get(_path(query="available=true"))) == {"INV-XSS", "INV-HIDDEN"}
    assert _codes(a.get(_path(query="available=true"))) == {"INV-XSS", "INV-HIDDEN"}


def test_nobody_is_given_a_tile_stored_for_someone_else(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    load_small_district(clean_engine)
    bureau = token(clean_engine, "bureau")
    investor = token(clean_engine, "investor")
    a = make_client(_url(clean_engine))
    assert "INV-HIDDEN" in _codes(a.get(_path(), headers=bureau))  # stored for the bureau
    assert a.get(_path("projects"), headers=bureau).status_code == 200
    b = make_client(_url(clean_engine))  # nothing in memory
    assert "INV-HIDDEN" not in _codes(b.get(_path()))
    assert "INV-HIDDEN" not in _codes(b.get(_path(), headers=investor))
    assert b.get(_path("projects")).status_code == 401
    assert b.get(_path("projects"), headers=investor).status_code == 403
    assert b.get(_path("projects"), headers={"Authorization": "Basic x"}).status_code == 401
    keys = [k for _, k in _stored(clean_engine)]
    # the bureau's parcels and projects, the public's parcels (an investor is given the public's)
    assert len(keys) == len(set(keys)) == 3
    # an instance with another rule (flood assessments not required) gets its own tiles: the
    # stored ones were judged by the other rule
    with transaction(clean_engine) as s:
        s.execute(text("DELETE FROM assessment_areas WHERE kind = 'flood_impact'"))
    assert _codes(a.get(_path(query="available=true"))) == set()
    kinds = [k for k in ReadinessRules().required_assessments if k != "flood_impact"]
    c = make_client(_url(clean_engine), readiness=ReadinessRules(required_assessments=kinds))
    assert _codes(c.get(_path(query="available=true"))) == ON_OFFER
    assert _codes(make_client(_url(clean_engine)).get(_path(query="available=true"))) == set()


def test_a_county_is_never_given_a_tile_stored_for_the_city_or_another_county(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    home, other = "411603", "411625"  # rows written without a county belong to the home county
    add_parcels(clean_engine, {"code": "HY-1", "geom_m": rect_m(0, 0, 100, 100)})
    with transaction(clean_engine) as s:
        upsert_county(s, code=other, name_zh="郸城县", name_en="Dancheng County")
    with scoped(other):
        add_parcels(clean_engine, {"code": "DC-1", "geom_m": rect_m(300, 0, 100, 100)})
    tokens = {}
    for county in (None, home, other):
        with transaction(clean_engine) as s:
            secret = create_token(s, role="bureau", name=f"b-{county}", actor="t", county=county)
        tokens[county] = {"Authorization": f"Bearer {secret}"}
    a = make_client(_url(clean_engine))
    assert _codes(a.get(_path(), headers=tokens[None])) == {"HY-1", "DC-1"}  # stored
    b = make_client(_url(clean_engine))
    assert _codes(b.get(_path(), headers=tokens[other])) == {"DC-1"}
    assert _codes(b.get(_path(), headers=tokens[home])) == {"HY-1"}
    assert _codes(b.get(_path(query=f"county={other}"), headers=tokens[None])) == {"DC-1"}
    assert _codes(b.get(_path(), headers=tokens[None])) == {"HY-1", "DC-1"}
    scopes = {k.split("|")[1] for _, k in _stored(clean_engine)}
    assert {"bureau:*", f"bureau:{home}", f"bureau:{other}"} <= scopes


def test_the_store_is_bounded_and_losing_it_costs_only_a_rebuild(
    clean_engine: Engine, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pruned: list[store.Pruner] = []
    monkeypatch.setattr(store.Pruner, "maybe", lambda self: pruned.append(self))  # by hand below
    load_small_district(clean_engine)
    store.prune(clean_engine, max_bytes=0)  # what earlier tests left
    bureau = token(clean_engine, "bureau")
    a = make_client(_url(clean_engine))
    first = a.get(_path(), headers=bureau)
    old = _version(clean_engine)
    with transaction(clean_engine) as s:  # any write: a new version
        s.execute(text("UPDATE parcels SET name = '新名称' WHERE code = 'INV-SOLD'"))
    assert _version(clean_engine) > old
    tiles = [a.get(_path(query=q), headers=bureau) for q in ("", "zone=Z1", "status=net_land")]
    assert [r.status_code for r in tiles] == [200] * 3, [r.text for r in tiles]
    assert {v for v, _ in _stored(clean_engine, every=True)} == {old, _version(clean_engine)}
    assert store.prune(clean_engine, max_bytes=10**9)
    assert {v for v, _ in _stored(clean_engine, every=True)} == {
        _version(clean_engine)
    }  # old ones gone
    assert len(_stored(clean_engine, every=True)) == 3
    with clean_engine.connect() as c:
        total = store.stored_bytes(c)
    assert store.prune(clean_engine, max_bytes=total - 1)
    assert len(_stored(clean_engine, every=True)) == 2  # the oldest went
    with clean_engine.connect() as c:
        assert store.stored_bytes(c) <= total - 1
    assert store.prune(clean_engine, max_bytes=0) and _stored(clean_engine, every=True) == []
    assert pruned  # each store of a tile asked for a prune (in the background, at most every 5 s)

    # the store emptied (as a crash empties an unlogged table): tiles are built again, the same
    with clean_engine.begin() as c:
        c.execute(text("TRUNCATE tile_store"))
    b = make_client(_url(clean_engine))
    again = b.get(_path(query="zone=Z1"), headers=bureau)
    assert again.status_code == 200 and again.content == tiles[1].content
    assert again.headers["etag"] == tiles[1].headers["etag"]
    assert len(_stored(clean_engine, every=True)) == 1
    assert "INV-SOLD" in _codes(first)


def test_the_pruner_runs_in_the_background_after_a_store(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    load_small_district(clean_engine)
    a = make_client(_url(clean_engine), tile_store_mb=1)
    assert a.get(_path()).status_code == 200
    pruner = store.pruner_of(a.app.state, a.app.state.settings)  # type: ignore[attr-defined]
    assert pruner.thread is not None and pruner.max_bytes == 1024 * 1024
    pruner.thread.join(10)
    with transaction(clean_engine) as s:
        s.execute(text("UPDATE parcels SET name = '新名称' WHERE code = 'INV-SOLD'"))
    pruner._last = 0.0  # five seconds later
    assert a.get(_path()).status_code == 200  # a new version built and stored: prune again
    assert pruner.thread is not None
    pruner.thread.join(10)
    assert {v for v, _ in _stored(clean_engine, every=True)} == {_version(clean_engine)}


@pytest.fixture
def own_database(new_database: Callable[..., str]) -> Iterator[Engine]:
    """A database of this test's own: its time zone is changed."""
    eng = create_engine(new_database("empty"))
    yield eng
    eng.dispose()


def _set_zone(engine: Engine, zone: str, *clients: TestClient) -> date:
    """The database's clock in ``zone`` from now on (new connections): its today."""
    with engine.begin() as c:
        c.execute(text(f"ALTER DATABASE \"{database_name(_url(engine))}\" SET timezone = '{zone}'"))
    engine.dispose()
    for client in clients:
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
    with engine.connect() as c:
        return c.execute(text("SELECT current_date")).scalar_one()  # type: ignore[no-any-return]


def test_a_tile_of_plots_on_offer_cached_yesterday_is_not_served_today(
    own_database: Engine, make_client: ClientFactory
) -> None:
    """An assessment lapses when its last day has passed, without any write: the database's day
    moves on (here: its time zone moves from UTC−12 to UTC+14, a day or two later)."""
    engine = own_database
    yesterday = _set_zone(engine, "Etc/GMT+12")
    load_small_district(engine)
    with transaction(engine) as s:  # every assessment's last day is (the database's) today
        s.execute(text("UPDATE assessment_areas SET valid_until = current_date"))
    a, b = make_client(_url(engine)), make_client(_url(engine))
    assert _codes(a.get(_path(query="available=true"))) == ON_OFFER  # built, cached, stored
    assert _codes(b.get(_path(query="available=true"))) == ON_OFFER  # from the store
    assert _codes(a.get(_path())) >= ON_OFFER
    version = _version(engine)

    today = _set_zone(engine, "Etc/GMT-14", a, b)
    assert today > yesterday and _version(engine) == version  # no write: the day passed
    for client in (a, b, make_client(_url(engine))):
        assert _codes(client.get(_path(query="available=true"))) == set()
        assert _codes(client.get(_path())) >= ON_OFFER  # tiles that do not depend on the day
    assert any(k.endswith(f"day={yesterday.isoformat()}") for _, k in _stored(engine))

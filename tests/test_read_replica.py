"""GET requests read from the replica when one is configured; writes go to the primary."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.databases import ClientFactory
from tests.helpers import add_parcels, rect_m


def test_reads_go_to_the_replica(
    make_client: ClientFactory, clean_engine: Engine, demo_url: str, demo_engine: Engine
) -> None:
    # a stand-in "replica" (the demo database) beside an almost empty "primary"
    primary = clean_engine.url.render_as_string(hide_password=False)
    add_parcels(
        clean_engine, {"code": "ONLY-ON-PRIMARY", "geom_m": rect_m(0, 0, 50, 50), "published": True}
    )
    with demo_engine.connect() as conn:
        published = set(conn.execute(text("SELECT code FROM parcels WHERE published")).scalars())
    c = make_client(primary, read_replica_url=demo_url)
    codes = {f["id"] for f in c.get("/api/v1/parcels", params={"limit": 1000}).json()["features"]}
    assert codes == published
    # without a replica the same app reads the primary
    c2 = make_client(primary)
    assert [f["id"] for f in c2.get("/api/v1/parcels").json()["features"]] == ["ONLY-ON-PRIMARY"]

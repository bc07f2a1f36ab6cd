"""Supply events as the API records them, for the supply tests: a seeded parcel with planning
indicators, one event posted, a 201 expected, a parcel sold and handed over."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import add_parcels, rect_m

CONTRACT = {"start_by": "2025-03-31", "complete_by": "2026-12-31", "price_wan": 1234.5}


def seed(engine: Engine, *codes: str, published: bool = True) -> None:
    add_parcels(
        engine,
        *(
            {
                "code": c,
                "geom_m": rect_m(400 * i, 0, 200, 100),
                "published": published,
                "indicators": [
                    {"key": "investment_intensity", "min": 300, "unit": "万元/亩"},
                    {"key": "far", "min": 1.0, "max": 2.0},
                ],
            }
            for i, c in enumerate(codes)
        ),
    )


def post(client: TestClient, code: str, h: dict[str, str], event: str, on: str, **kw: Any) -> Any:
    body = {"event": event, "on": on, "document_ref": f"文号-{event}", **kw}
    return client.post(f"/api/v1/parcels/{code}/supply/events", json=body, headers=h)


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def sold(
    client: TestClient,
    code: str,
    h: dict[str, str],
    *,
    contract_on: str = "2024-09-20",
    handed_on: str = "2024-12-01",
    **contract: Any,
) -> None:
    """A parcel sold and handed over, not started."""
    ok(post(client, code, h, "notice_published", "2024-07-01"))
    ok(post(client, code, h, "sale_started", "2024-07-22"))
    ok(post(client, code, h, "sale_closed", "2024-08-05"))
    ok(post(client, code, h, "contract_signed", contract_on, **{**CONTRACT, **contract}))
    ok(post(client, code, h, "handed_over", handed_on))

"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from geo_service.api.deps import open_route
from geo_service.api.errors import problem
from geo_service.db.migrate import current_revision, head_revision, schema_mismatch

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[open_route()])
@router.head("/healthz", include_in_schema=False, dependencies=[open_route()])
def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "database down or schema not current"}},
    dependencies=[open_route()],
)
@router.head("/readyz", include_in_schema=False, dependencies=[open_route()])
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and the schema is current; the read replica's state."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception:  # any failure to reach the database means "not ready"
        return problem(
            503,
            "Database unavailable",
            "the database is not answering",
            headers={"Retry-After": "5"},
        )
    if current != head_revision() and (why := schema_mismatch(engine)) is not None:
        return problem(503, "Schema out of date", why, headers={"Retry-After": "30"})
    body: dict[str, object] = {"status": "ready", "schema": current}
    router = getattr(request.app.state, "read_router", None)
    if router is not None and (replica := router.report()) is not None:
        body["replica"] = replica  # in use or not, lag; a replica down is not "not ready"
    return JSONResponse(body)

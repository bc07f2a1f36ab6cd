"""What a map needs to switch counties and to show the city overview (issue 14).

* the counties the caller may see: a county token only its own; a city-wide token and the
  public every county (and the whole city);
* when the whole city is shown: each county's headline figures, from ``GET /api/v1/stats``'s
  ``by_county`` (``projects.headline`` inside each county's wall: one definition, not a copy).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_service.counties import scope
from geo_service.counties.rollup import per_county
from geo_service.counties.service import list_counties
from geo_service.maps.data.investors import on_offer
from geo_service.projects.headline import headline
from geo_service.settings import Settings


def county_view(
    session: Session,
    settings: Settings,
    *,
    internal: bool,
    year: int | None = None,
    as_of: date | None = None,
) -> dict[str, Any] | None:
    """The switcher's counties, the chosen one, and (whole city) ``by_county``; None when the
    service holds one county only (nothing to switch). Staff's (``internal``): each county's
    headline; the public's (the investor map): its plots on offer and their 亩
    (``investors.on_offer``, the list's own rule; the reserve would count unpublished land)."""
    rows = list_counties(session)
    if len(rows) < 2:
        return None
    viewer = scope.viewer()
    if viewer is not None:
        rows = [r for r in rows if r["code"] == viewer]
    counties = [
        {
            "code": r["code"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "boundary": json.loads(r["boundary"]) if r["boundary"] else None,
        }
        for r in rows
    ]
    chosen = scope.current()
    out: dict[str, Any] = {"viewer": viewer, "chosen": chosen, "counties": counties}
    if chosen is None and not internal:
        out["by_county"] = per_county(
            session, lambda: {"offer": on_offer(session, readiness=settings.readiness)}
        )
    elif chosen is None:
        out["by_county"] = per_county(
            session, lambda: headline(session, settings, internal=True, year=year, as_of=as_of)
        )
    return out

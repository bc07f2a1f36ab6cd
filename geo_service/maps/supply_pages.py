"""Glue for the supply map and the parcel timeline: read (``maps.data.supply``), then render
(``maps.supply_map``). No HTTP here."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from geo_service.counties import scope as county_scope
from geo_service.maps.data import supply as supply_data
from geo_service.maps.data.counties import county_view
from geo_service.maps.definitions import MapDefinition, load_definition
from geo_service.maps.page import Page, lang_link
from geo_service.maps.supply_map import render_supply
from geo_service.maps.supply_text import popup_fields, popup_rows, timeline_href
from geo_service.maps.supply_timeline import timeline_html
from geo_service.readiness import queries as readiness_queries
from geo_service.settings import Settings
from geo_service.supply import service as supply

TIMELINE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def words(settings: Settings, lang: str) -> MapDefinition:
    """The supply words (``maps/supply.json``) in ``lang``."""
    return load_definition(settings.maps_dir, "supply", lang)


def supply_page(
    session: Session, settings: Settings, *, query: dict[str, Any], lang: str = "zh"
) -> Page:
    """The supply map judged as of ``query["as_of"]`` (default today)."""
    as_of = query.get("as_of") or supply.today()
    overview = supply_data.supply_overview(session, settings, as_of=as_of)
    if query.get("zone") and not any(
        f["properties"].get("zone") == query["zone"] for f in overview["parcels"]["features"]
    ):
        from geo_service.maps.data.common import check_zone

        check_zone(session, query["zone"])  # 422 naming the zones for an unknown one
    shown = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in query.items()}
    sd = words(settings, lang)
    counties = county_view(session, settings, internal=True)  # the switcher, the city overview
    return render_supply(
        sd, settings, overview=overview, query=shown | {"lang": lang}, counties=counties
    )


def timeline_page(
    session: Session, settings: Settings, *, code: str, as_of: date | None, lang: str = "zh"
) -> Page:
    """A parcel's printable timeline (404 for an unknown parcel, from ``supply``)."""
    answer = supply_data.timeline(session, settings, code=code, as_of=as_of)
    sd = words(settings, lang)
    path = timeline_href(code, "zh")
    query = {"as_of": as_of.isoformat() if as_of else None, "lang": lang}
    back = "/maps/supply" + ("?lang=en" if lang == "en" else "")
    changes = readiness_queries.history(session, code=code, condition=None, limit=50, offset=0)
    html = timeline_html(
        sd, answer, back_href=back, lang_href=lang_link(sd, path, query), changes=changes
    )
    return Page(html=html, csp=TIMELINE_CSP)


def readiness_supply(
    session: Session,
    settings: Settings,
    *,
    lang: str,
    as_of: date | None = None,
    current: str | None = None,
    keep: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the readiness map adds per parcel: popup fields (by code) judged as of ``as_of``,
    the popup rows, and the codes per supply filter (``overdue``, ``idle``, ``warning``,
    ``paused``); the timeline link keeps ``keep`` (the page's ``as_of``) and the county."""
    sd = words(settings, lang)
    lines = supply_data.supply_lines(session, settings, as_of=as_of or supply.today())
    fields = {code: popup_fields(sd, row) for code, row in lines.items()}
    codes = {
        "overdue": sorted(c for c, r in lines.items() if r.get("missed") or r.get("defects")),
        "idle": sorted(c for c, r in lines.items() if r["risk"] in ("idle_1y", "idle_2y")),
        "warning": sorted(c for c, r in lines.items() if r["risk"] == "warning"),
        "paused": sorted(c for c, r in lines.items() if r["risk"] == "paused"),
    }
    rd = sd.section("readiness")
    link_q = {k: v for k, v in (keep or {}).items() if v}
    county = county_scope.current()
    if county:
        link_q["county"] = county
    if lang == "en":
        link_q["lang"] = "en"
    suffix = "/timeline" + (f"?{urlencode(link_q)}" if link_q else "")
    field = {"kind": "select", "name": "supply", "label": sd.text(rd["filter"]),
             "options": [(k, sd.text(v)) for k, v in sd.section("risk_filter").items()],
             "current": current}  # fmt: skip
    return {
        "fields": fields,
        "default": popup_fields(sd, None),
        "rows": popup_rows(sd),
        "codes": codes,
        "field": field,
        "layer": sd.text(rd["layer"]),
        "overdue_style": rd["overdue_style"],
        "legend": [(rd["legend"]["color"], sd.text(rd["legend"]))],
        "link": {"key": "timeline", "base": "/maps/parcels/", "suffix": suffix,
                 "label": sd.label("timeline")},
    }  # fmt: skip


def popup_supply(session: Session, settings: Settings, *, code: str, lang: str) -> dict[str, Any]:
    """One parcel's supply popup fields (tile mode; raw, the caller escapes them)."""
    extra = readiness_supply(session, settings, lang=lang)
    return dict(extra["fields"].get(code, extra["default"]))


def notice_lines(sd: MapDefinition, dates: dict[str, Any], today: date | None = None) -> list[str]:
    """A plot's public notice dates as popup lines (published, listing start, listing end).
    An earliest close that has passed without a recorded close is not shown as if to come:
    the listing is still open until it closes ("以公告为准")."""
    out = []
    if dates.get("notice_on"):
        out.append(f"{sd.label('notice_on')} {dates['notice_on']}")
    if dates.get("listing_from"):
        out.append(f"{sd.label('listing_from')} {dates['listing_from']}")
    end = dates.get("listing_to")
    if end and dates.get("listing_closed"):
        out.append(f"{sd.label('listing_closed_on')} {end}")
    elif end and today is not None and str(end) < today.isoformat():
        out.append(sd.label("listing_due_passed").format(d=end))
    elif end:
        out.append(f"{sd.label('listing_to')} {end}")
    return out


def add_notice_dates(
    session: Session, settings: Settings, features: list[dict[str, Any]], *, lang: str
) -> None:
    """Give each plot on offer its notice's public dates (``notice_dates``: lines). Only the
    public events (notice, listing, result) are read: nothing internal reaches the plot."""
    sd = words(settings, lang)
    codes = [str(f["properties"]["code"]) for f in features]
    today = supply.today()
    found = supply_data.public_dates(session, settings, codes, as_of=today)
    for f in features:
        dates = found.get(str(f["properties"]["code"]))
        f["properties"]["notice_dates"] = notice_lines(sd, dates, today) if dates else []

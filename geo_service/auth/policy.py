"""ONE place that decides what each role sees and may do.

Routes, maps, tiles and exports ask this module instead of testing roles themselves:

* ``ACTIONS``: action -> the roles that may do it, ``"public"`` standing for a caller without a
  token. Every route names one action as its gate (``require("parcels.write")`` in
  ``api/deps.py``: 401 without a token, 403 for the wrong role; read at request time, so editing
  this table changes who may call a route, and the OpenAPI's ``security``/``x-roles`` with it);
* ``can(principal, action)``: may this caller do this?
* ``visible_fields(principal, kind, settings)``: which properties of a record of ``kind`` the
  caller may see (``None`` = all of them);
* ``published_only(principal)``: whether the caller sees only published records (everything
  else is 404 to them: the existence of an unpublished record is not revealed);
* ``COUNTY_RULES``: action -> how its routes are scoped by county (the county wall).

The public (no token) and the ``investor`` role share the public view; the list of public parcel
fields is configuration (``GEO_SERVICE_PUBLIC_PARCEL_FIELDS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo_service.auth.tokens import Principal
from geo_service.errors import ConfigurationError
from geo_service.settings import Settings

#: the pseudo-role of a caller without a token (the anonymous public)
PUBLIC = "public"
#: every caller, with or without a token (what they then see is decided by the view functions)
EVERYONE = frozenset({PUBLIC, "investor", "bureau", "official"})

#: action -> roles allowed to do it ("public": no token needed).
ACTIONS: dict[str, frozenset[str]] = {
    # the public view: published land, public fields, the land reserve, the investor map
    "parcels.read": EVERYONE,
    "readiness.read": EVERYONE,
    "stats.read": EVERYONE,
    "maps.investors": EVERYONE,
    "exports.read": EVERYONE,
    # OGC API reads: every caller; each collection shows what the caller sees elsewhere
    "ogc.read": EVERYONE,
    # land supply: the public sees the public dates and clocks of published land
    "supply.read": EVERYONE,
    # land and readiness: the land bureau changes them; officials see everything
    "parcels.write": frozenset({"bureau"}),
    "readiness.write": frozenset({"bureau"}),
    "readiness.read_internal": frozenset({"bureau", "official"}),
    "infrastructure.write": frozenset({"bureau"}),
    # land supply (supply/): the bureau records events and decisions; officials read them
    "supply.write": frozenset({"bureau"}),
    "supply.read_internal": frozenset({"bureau", "official"}),
    # site surveys and title records (场地平整 / 权属): the bureau records them; officials read
    "records.write": frozenset({"bureau"}),
    "records.read": frozenset({"bureau", "official"}),
    # projects and problems: officials change them; the bureau reads them
    "projects.read": frozenset({"bureau", "official"}),
    "projects.write": frozenset({"official"}),
    "problems.read": frozenset({"bureau", "official"}),
    "problems.write": frozenset({"official"}),
    "visits.read": frozenset({"bureau", "official"}),
    "visits.write": frozenset({"official"}),
    # internal lists and tools
    "audit.read": frozenset({"bureau", "official"}),
    "imports.read": frozenset({"bureau", "official"}),
    "stats.internal": frozenset({"bureau", "official"}),
    "maps.readiness": frozenset({"bureau", "official"}),
    "maps.projects": frozenset({"bureau", "official"}),
    # the supply map and the parcel supply timelines (internal dates, idle land, prices)
    "maps.supply": frozenset({"bureau", "official"}),
    "exports.internal": frozenset({"bureau", "official"}),
    # the weekly 督查专报, the monthly pack, charts and the dashboard page
    "reports.read": frozenset({"bureau", "official"}),
    "charts.read": frozenset({"bureau", "official"}),
    # network, assessment and protected-area layers (the readiness map's context; OGC API)
    "layers.read_internal": frozenset({"bureau", "official"}),
    "imports.write": frozenset({"bureau"}),
    # the counties of the city (codes, names, outlines): everyone
    "counties.read": EVERYONE,
}

#: action -> how a route gated by it is scoped by county (the county wall, counties/scope.py):
#: "county": a county token sees and changes only its county, ``county=`` narrows everyone's
#: view; "city": city-wide only (a county token gets 403); "none": not county data.
#: Every action needs a line (tests/test_county_walls.py fails a route without one).
COUNTY_RULES: dict[str, str] = {
    "parcels.read": "county",
    "readiness.read": "county",
    "stats.read": "county",
    "maps.investors": "county",
    "exports.read": "county",
    "ogc.read": "county",
    "supply.read": "county",
    "parcels.write": "county",
    "readiness.write": "county",
    "readiness.read_internal": "county",
    "infrastructure.write": "county",
    "supply.write": "county",
    "supply.read_internal": "county",
    "maps.supply": "county",
    "records.write": "county",
    "records.read": "county",
    "projects.read": "county",
    "projects.write": "county",
    "problems.read": "county",
    "problems.write": "county",
    "visits.read": "county",
    "visits.write": "county",
    "stats.internal": "county",
    "maps.readiness": "county",
    "maps.projects": "county",
    "exports.internal": "county",
    "reports.read": "county",
    "charts.read": "county",
    "layers.read_internal": "county",
    "imports.write": "county",
    "audit.read": "city",  # the audit trail and import records are not filed by county
    "imports.read": "city",
    "counties.read": "none",
}


def county_rule(action: str) -> str:
    """The county rule of ``action``; ConfigurationError when it has none (a bug)."""
    try:
        return COUNTY_RULES[action]
    except KeyError:
        raise ConfigurationError(
            f"action {action!r} has no county rule: add it to geo_service.auth.policy.COUNTY_RULES"
        ) from None


#: kinds of record with a public view: kind -> name of the Settings field listing public fields
PUBLIC_FIELD_SETTINGS: dict[str, str] = {"parcel": "public_parcel_fields"}

#: kinds whose public fields are fixed (not configuration): zones are named on the public map
PUBLIC_FIXED_FIELDS: dict[str, frozenset[str]] = {"zone": frozenset({"code", "county", "name"})}

#: kinds the public never sees at all (internal lists)
INTERNAL_KINDS = frozenset({"project", "problem", "visit", "audit", "token", "import"})


def roles_for(action: str) -> frozenset[str]:
    """The roles allowed to do ``action``; ConfigurationError for an unknown action (a bug)."""
    try:
        return ACTIONS[action]
    except KeyError:
        raise ConfigurationError(
            f"unknown action {action!r}: add it to geo_service.auth.policy.ACTIONS"
        ) from None


def can(principal: Principal, action: str) -> bool:
    """Whether ``principal`` may do ``action`` (no token: the ``"public"`` pseudo-role)."""
    return (principal.role or PUBLIC) in roles_for(action)


def published_only(principal: Principal) -> bool:
    """The public view sees published records only."""
    return principal.is_public


def visible_fields(principal: Principal, kind: str, settings: Settings) -> frozenset[str] | None:
    """The properties of a ``kind`` record the caller may see; ``None`` means all of them.

    The public view of a kind without a configured public field list is empty (nothing leaks
    by default when a new kind is added).
    """
    if not principal.is_public:
        return None
    if kind in INTERNAL_KINDS:
        return frozenset()
    if kind in PUBLIC_FIXED_FIELDS:
        return PUBLIC_FIXED_FIELDS[kind]
    name = PUBLIC_FIELD_SETTINGS.get(kind)
    if name is None:
        return frozenset()
    return frozenset(getattr(settings, name))


def filter_properties(
    props: Mapping[str, Any], principal: Principal, kind: str, settings: Settings
) -> dict[str, Any]:
    """``props`` reduced to what the caller may see."""
    fields = visible_fields(principal, kind, settings)
    if fields is None:
        return dict(props)
    return {k: v for k, v in props.items() if k in fields}

"""Where readiness is decided: the rules as plain functions and SQL fragments from configuration.

The engine (``engine.py``) gathers the facts set-based in PostGIS; the thresholds and the way a
failing feature is explained come from here, so a reader finds every decision in one file.
All SQL fragments here take their values as bound parameters, never as interpolated text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from geo_service.errors import InvalidInput
from geo_service.settings import CONDITIONS, NetworkRule, ReadinessRules

#: a run's ``as_of`` (bound as ``:as_of``) in SQL, as an instant and as a date
AS_OF = "CAST(:as_of AS timestamptz)"
AS_OF_DATE = "CAST(CAST(:as_of AS timestamptz) AS date)"

SPATIAL = ("water", "power", "road")
RECORD = ("leveling", "title")

#: the feature attribute each network rule looks at, shown in the evidence
ATTRIBUTE = {"water": "diameter_mm", "power": "voltage_kv", "road": "road_class"}

#: what a network feature is called in a sentence
FEATURE_NOUN = {"water": "water main", "power": "power line or substation", "road": "road"}


@dataclass(frozen=True)
class SpatialSql:
    """SQL pieces of one network rule: a predicate on ``i`` and an explanation on ``f``."""

    qualifies: str  #: true when feature ``i`` has the required attributes (status aside)
    why: str  #: text explaining why feature ``f`` (columns f.*, distance f.d) fails
    params: dict[str, Any]


def rule_evidence(rule: NetworkRule) -> dict[str, Any]:
    """The rule as it is shown in the evidence."""
    out: dict[str, Any] = {
        "kind": rule.kind,
        "status": "existing",
        "max_distance_m": rule.max_distance_m,
    }
    if rule.kind == "water" and rule.min_diameter_mm is not None:
        out["min_diameter_mm"] = rule.min_diameter_mm
    if rule.kind == "power" and rule.min_voltage_kv is not None:
        out["min_voltage_kv"] = rule.min_voltage_kv
    if rule.kind == "road" and rule.road_classes:
        out["road_classes"] = list(rule.road_classes)
    return out


def spatial_sql(rule: NetworkRule) -> SpatialSql:
    """The attribute predicate and the why-it-failed text of one network rule.

    Only the attribute of the rule's own kind counts (a diameter on a road is ignored). A
    missing attribute fails when a threshold is configured: an unknown main does not count.
    """
    params: dict[str, Any] = {"max_d": float(rule.max_distance_m)}
    qualifies = "true"
    attr_why = ""
    if rule.kind == "water" and rule.min_diameter_mm is not None:
        params["min_diam"] = float(rule.min_diameter_mm)
        qualifies = "i.diameter_mm >= CAST(:min_diam AS float8)"
        attr_why = (
            "WHEN f.diameter_mm IS NULL THEN 'diameter unknown' "
            "WHEN f.diameter_mm < CAST(:min_diam AS float8) THEN format('diameter %s mm < %s mm', "
            "f.diameter_mm, CAST(:min_diam AS float8)) "
        )
    elif rule.kind == "power" and rule.min_voltage_kv is not None:
        params["min_volt"] = float(rule.min_voltage_kv)
        qualifies = "i.voltage_kv >= CAST(:min_volt AS float8)"
        attr_why = (
            "WHEN f.voltage_kv IS NULL THEN 'voltage unknown' "
            "WHEN f.voltage_kv < CAST(:min_volt AS float8) THEN format('voltage %s kV < %s kV', "
            "f.voltage_kv, CAST(:min_volt AS float8)) "
        )
    elif rule.kind == "road" and rule.road_classes:
        params["classes"] = list(rule.road_classes)
        qualifies = "i.road_class = ANY(CAST(:classes AS text[]))"
        attr_why = (
            "WHEN f.road_class IS NULL OR NOT f.road_class = ANY(CAST(:classes AS text[])) "
            "THEN format('road class %s not in %s', coalesce(f.road_class, 'unknown'), "
            "array_to_string(CAST(:classes AS text[]), ', ')) "
        )
    why = (
        "CASE WHEN f.status <> 'existing' THEN f.status "
        + attr_why
        + "ELSE format('distance %s m > %s m', round(CAST(f.d AS numeric), 1), "
        "CAST(:max_d AS float8)) END"
    )
    return SpatialSql(qualifies=qualifies, why=why, params=params)


def reach_m(rules: ReadinessRules) -> float:
    """How far a network change can change a parcel's readiness: the longest rule distance."""
    return max(float(getattr(rules, kind).max_distance_m) for kind in SPATIAL)


def validate_rules(rules: ReadinessRules) -> list[str]:
    """Problems with a rule configuration that pydantic alone does not catch (names the setting)."""
    problems: list[str] = []
    if rules.road.road_classes is not None and not [c for c in rules.road.road_classes if c]:
        problems.append(
            "GEO_SERVICE_READINESS__ROAD__ROAD_CLASSES is empty: leave it unset to accept "
            "any road class, or list the classes that count"
        )
    for kind in rules.required_assessments:
        if not kind.strip():
            problems.append(
                "GEO_SERVICE_READINESS__REQUIRED_ASSESSMENTS contains an empty assessment kind"
            )
    return problems


def earned_labels(statuses: Mapping[str, str], labels: Mapping[str, list[str]]) -> list[str]:
    """The configured labels (三通一平 …) whose conditions are all met."""
    return [name for name, conds in labels.items() if all(statuses.get(c) == "met" for c in conds)]


#: how a parcel is shown on the maps, in legend order (see :func:`category_sql`)
CATEGORIES = ("net_land", "needs_record", *(f"met_{n}" for n in range(len(CONDITIONS) - 1, -1, -1)),
              "not_checked")  # fmt: skip


def net_land_sql(met: str) -> str:
    """THE net-land rule in SQL over a count of met conditions (``met``: an SQL expression)."""
    return f"(coalesce({met}, 0) = {len(CONDITIONS)})"


def category_sql(met: str, unmet: str, checked: str) -> str:
    """THE map category of a parcel, from its counts of met, unmet and checked conditions.

    Net land when every condition is met; ``needs_record`` when nothing fails but something is
    unknown (a missing or stale record: the bureau must record it); ``met_N`` when a condition
    fails; ``not_checked`` before the first readiness run. Embedded maps, vector tiles and
    exports all take the category from this expression.
    """
    n = len(CONDITIONS)
    return (
        f"(CASE WHEN coalesce({checked}, 0) = 0 THEN 'not_checked' "
        f"WHEN coalesce({met}, 0) = {n} THEN 'net_land' "
        f"WHEN coalesce({unmet}, 0) = 0 THEN 'needs_record' "
        f"ELSE 'met_' || coalesce({met}, 0) END)"
    )


def is_net_land(statuses: Mapping[str, str]) -> bool:
    """Net land (净地): all five conditions met."""
    return all(statuses.get(c) == "met" for c in CONDITIONS)


def indicators_set_sql(parcel: str = "p") -> str:
    """True when parcel ``parcel`` has its planning indicators (a non-empty JSON array)."""
    return (
        f"(jsonb_typeof({parcel}.indicators) = 'array' "
        f"AND jsonb_array_length({parcel}.indicators) > 0)"
    )


def covered_kinds_sql(parcel: str = "p") -> str:
    """The kinds of the required assessments (``:supply_kinds``) that validly cover parcel
    ``parcel`` on ``:supply_today`` (today when None): the union of a kind's areas valid that day
    must cover the whole parcel. One row per covered kind (see :func:`supply_params`)."""
    today = "coalesce(CAST(:supply_today AS date), current_date)"
    return f"""SELECT a.kind FROM assessment_areas a
WHERE a.kind = ANY(CAST(:supply_kinds AS text[])) AND ST_Intersects(a.geom, {parcel}.geom)
  AND (a.valid_from IS NULL OR a.valid_from <= {today})
  AND (a.valid_until IS NULL OR a.valid_until >= {today})
GROUP BY a.kind HAVING ST_CoveredBy({parcel}.geom, ST_Union(a.geom))"""  # noqa: S608 -- fixed fragments only; values bound


def ready_for_supply_sql(met: str | None = None, parcel_id: str = "p.id") -> str:
    """THE ready-for-supply rule (可供应) in SQL: net land (``met``: an SQL count of the
    parcel's met conditions; by default counted here), its planning indicators set, and every
    required regional assessment (``:supply_kinds``) valid on ``:supply_today`` covering it.

    ``parcel_id`` names the parcel's id in the caller's row (``p.parcel_id`` over the tiles'
    summary). The readiness answer, the readiness report, the investor map, its search and plot
    sheet and the public tiles of plots on offer all take the rule from here; bind
    :func:`supply_params` with it.
    """
    if met is None:
        met = (
            "(SELECT count(*) FROM parcel_conditions pcm "  # noqa: S608 -- fixed fragments only; values bound
            f"WHERE pcm.parcel_id = {parcel_id} AND pcm.status = 'met')"
        )
    return (
        f"({net_land_sql(met)} AND EXISTS (SELECT 1 FROM parcels rp "  # noqa: S608 -- fixed fragments only; values bound
        f"WHERE rp.id = {parcel_id} AND {indicators_set_sql('rp')} "
        "AND (cardinality(CAST(:supply_kinds AS text[])) = 0 "
        f"OR ST_Covers({SUPPLY_COVER}, rp.geom))))"
    )


#: Where every required assessment (``:supply_kinds``) is valid on ``:supply_today``: the
#: intersection over the kinds of the union of each kind's valid areas (NULL when a kind has no
#: valid area). A parcel is covered by every kind exactly when this covers it (P ⊆ U₁ ∧ … ∧ P ⊆ Uₙ
#: ⟺ P ⊆ U₁ ∩ … ∩ Uₙ), the per-parcel question of :func:`covered_kinds_sql`. Uncorrelated, so
#: PostgreSQL computes it once per statement (an InitPlan) and ``ST_Covers`` reuses it prepared:
#: asking the kinds parcel by parcel cost 10–18 s over 100 000 parcels, this ~0.5 s.
_TODAY = "coalesce(CAST(:supply_today AS date), current_date)"
SUPPLY_COVER = f"""(WITH RECURSIVE u AS (
    SELECT row_number() OVER (ORDER BY a.kind) AS i, ST_Union(a.geom) AS g
    FROM assessment_areas a
    WHERE a.kind = ANY(CAST(:supply_kinds AS text[]))
      AND (a.valid_from IS NULL OR a.valid_from <= {_TODAY})
      AND (a.valid_until IS NULL OR a.valid_until >= {_TODAY})
    GROUP BY a.kind),
  f AS (SELECT i, g FROM u WHERE i = 1
        UNION ALL SELECT u.i, ST_Intersection(f.g, u.g) FROM f JOIN u ON u.i = f.i + 1)
  SELECT CASE WHEN (SELECT count(*) FROM u)
                   = (SELECT count(DISTINCT x) FROM unnest(CAST(:supply_kinds AS text[])) x)
              THEN (SELECT ST_CollectionExtract(g, 3) FROM f ORDER BY i DESC LIMIT 1) END)"""  # noqa: S608 -- fixed fragments only; values bound


def supply_params(rules: ReadinessRules, today: date | None = None) -> dict[str, Any]:
    """The bound values of :func:`ready_for_supply_sql` and :func:`covered_kinds_sql`: the
    configured required assessments (``GEO_SERVICE_READINESS__REQUIRED_ASSESSMENTS``) and the
    day they must be valid on (None: the database's today)."""
    return {"supply_kinds": list(rules.required_assessments), "supply_today": today}


def map_category(met: int, unmet: int, checked: int) -> str:
    """:func:`category_sql` in Python, over the counts of met, unmet and checked conditions (a
    test compares the two for every combination)."""
    if checked == 0:
        return "not_checked"
    if met == len(CONDITIONS):
        return "net_land"
    if unmet == 0:
        return "needs_record"
    return f"met_{met}"


def map_category_sql(met: str = "c.met", unmet: str = "c.unmet", checked: str = "c.checked") -> str:
    """:func:`category_sql` over the stored counts of the tiles' ``parcel_summary``."""
    return category_sql(met, unmet, checked)


#: a covering run: one over every parcel ("all") or over one county's (its division code)
COVERS_ALL = "all"


def checked_at_sql(own: str = "c.checked_at", county: str = "p.county") -> str:
    """When a parcel was last checked — THE definition (API ``checked_at``, export 检查时间).

    A run over all parcels (or a county's) writes only the condition rows whose decision
    changed, so a row's own ``checked_at`` is the last time it was written; the parcel was
    checked since by every finished run that covered it (``readiness_runs.covers``). So: the
    greatest of ``own`` (the latest ``checked_at`` of the parcel's rows; NULL: never checked)
    and the start of the latest such run — the ``now()`` its rows would have carried."""
    latest = f"(SELECT max(r.started_at) FROM {_covering_runs_sql(county)})"  # noqa: S608
    return f"CASE WHEN {own} IS NOT NULL THEN greatest({own}, {latest}) END"


def _covering_runs_sql(county: str = "p.county") -> str:
    """``readiness_runs r`` of the finished runs that covered a parcel of ``county``: over all
    parcels or over that county's (``readiness_runs.covers``)."""
    return f"readiness_runs r WHERE r.status = 'done' AND r.covers IN ({COVERS_ALL!r}, {county})"


def run_dated_sql(c: str = "c") -> str:
    """True for a condition row whose evidence date is the ``as_of`` of the run that checked it
    (a network condition, or a title without a record): the date comes from the run, not from
    the row's facts."""
    return (
        f"({c}.method = 'spatial' OR ({c}.condition = 'title' AND {c}.method = 'record' "
        f"AND {c}.evidence->'record' = 'null'::jsonb))"
    )


def verified_at_sql(c: str = "c", county: str = "p.county") -> str:
    """A condition row's evidence date (``verified_at``) — THE definition (API, report, maps).

    A run-dated row (:func:`run_dated_sql`) was verified as of the latest run that checked it:
    a covering run leaves such a row unwritten when its decision did not change (its stored
    ``verified_at`` is the ``as_of`` of the run that wrote it last), so the ``as_of`` of the
    latest finished run that covered the parcel counts when that run started after the row was
    written (its ``checked_at``). Every other row keeps the date of its record or attestation."""
    later = (
        f"(SELECT r.as_of FROM {_covering_runs_sql(county)} AND r.started_at > {c}.checked_at "  # noqa: S608
        "ORDER BY r.started_at DESC LIMIT 1)"
    )
    return (
        f"(CASE WHEN {run_dated_sql(c)} THEN coalesce({later}, {c}.verified_at) "
        f"ELSE {c}.verified_at END)"
    )


def age_days(verified_at: datetime | None, now: datetime) -> int | None:
    """Whole days since the evidence was verified (None when never)."""
    if verified_at is None:
        return None
    return max(0, (now - verified_at).days)


def parse_as_of(value: str | None, *, param: str = "as_of") -> datetime | None:
    """A date (YYYY-MM-DD: the end of that day) or an ISO datetime; local zone when none given."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{param} must be a date like 2024-06-30 or a time like 2024-06-30T18:00+08:00; "
            f"got {value[:40]!r}"
        ) from None
    if len(value) == 10:  # a bare date: judge as of the end of that day
        dt = dt.replace(hour=23, minute=59, second=59)
    return dt if dt.tzinfo is not None else dt.astimezone()

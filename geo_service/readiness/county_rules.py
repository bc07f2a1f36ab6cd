"""The network thresholds of each county (issue 14): a county's stored ``readiness`` overrides
(``counties.readiness``, e.g. ``{"water": {"max_distance_m": 100}}``) over the settings.

A run fills the temporary table ``_rd_cr`` (one row per county and network kind: distance,
diameter, voltage, road classes, the rule as shown in the evidence and its text as part of a
row's decision key, ``rule_key``) and the network statements
(``networks.py``) join it on the parcel's county: still one set-based statement per network,
each parcel judged by its own county's threshold. Only the network rules (``water``, ``power``,
``road``) may differ by county; any other key stored for a county stops the run with a message
naming the county and the key (nothing is silently ignored).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import ConfigurationError
from geo_service.readiness import rules
from geo_service.settings import ReadinessRules, Settings

KINDS = ("water", "power", "road")

_TABLE = """
CREATE TEMP TABLE _rd_cr (
  county text, kind text, max_d float8, min_diam float8, min_volt float8, classes text[],
  rule jsonb, rule_key text, PRIMARY KEY (county, kind)) ON COMMIT DROP
"""
_ROW = """
INSERT INTO _rd_cr VALUES (:county, :kind, :max_d, :min_diam, :min_volt,
  CAST(:classes AS text[]), CAST(:rule AS jsonb), CAST(CAST(:rule AS jsonb) AS text))
"""


def merged(base: ReadinessRules, own: dict[str, Any] | None, county: str) -> ReadinessRules:
    """``base`` with one county's stored overrides; ConfigurationError naming what is wrong."""
    own = own or {}
    unknown = sorted(set(own) - set(KINDS))
    if unknown:
        raise ConfigurationError(
            f"county {county}: readiness {', '.join(unknown)} cannot differ by county (only "
            "water, power and road thresholds can); remove it from the county's readiness rules"
        )
    data = base.model_dump()
    for kind, fields in own.items():
        if not isinstance(fields, dict):
            raise ConfigurationError(f"county {county}: readiness {kind} must be an object")
        data[kind] = {**data[kind], **fields, "kind": kind}
    try:
        out = ReadinessRules.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ConfigurationError(f"county {county}: readiness {where}: {err['msg']}") from None
    problems = rules.validate_rules(out)
    if problems:
        raise ConfigurationError(f"county {county}: " + "; ".join(problems))
    return out


def by_county(session: Session, settings: Settings) -> dict[str, ReadinessRules]:
    """Every county's readiness rules (the settings where the county stores nothing)."""
    rows = session.execute(text("SELECT code, readiness FROM counties ORDER BY code")).all()
    return {code: merged(settings.readiness, own, code) for code, own in rows}


def fill(session: Session, settings: Settings) -> None:
    """``_rd_cr``: each county's network thresholds, for the network statements to join."""
    session.execute(text("DROP TABLE IF EXISTS _rd_cr"))
    session.execute(text(_TABLE))
    for county, r in by_county(session, settings).items():
        for rule in (r.water, r.power, r.road):
            session.execute(
                text(_ROW),
                {
                    "county": county,
                    "kind": rule.kind,
                    "max_d": float(rule.max_distance_m),
                    "min_diam": rule.min_diameter_mm if rule.kind == "water" else None,
                    "min_volt": rule.min_voltage_kv if rule.kind == "power" else None,
                    "classes": list(rule.road_classes)
                    if rule.kind == "road" and rule.road_classes
                    else None,
                    "rule": json.dumps(rules.rule_evidence(rule)),
                },
            )


def reach_m(session: Session, settings: Settings) -> float:
    """How far a network change can change a parcel's readiness in any county."""
    return max(rules.reach_m(r) for r in by_county(session, settings).values())


#: the attribute test of each kind on feature ``i``, against its parcel's county row ``r``
QUALIFIES = {
    "water": "(r.min_diam IS NULL OR i.diameter_mm >= r.min_diam)",
    "power": "(r.min_volt IS NULL OR i.voltage_kv >= r.min_volt)",
    "road": "(r.classes IS NULL OR i.road_class = ANY(r.classes))",
}
_ATTR_WHY = {
    "water": "WHEN r.min_diam IS NOT NULL AND f.diameter_mm IS NULL THEN 'diameter unknown' "
    "WHEN f.diameter_mm < r.min_diam THEN format('diameter %s mm < %s mm', f.diameter_mm, "
    "r.min_diam) ",
    "power": "WHEN r.min_volt IS NOT NULL AND f.voltage_kv IS NULL THEN 'voltage unknown' "
    "WHEN f.voltage_kv < r.min_volt THEN format('voltage %s kV < %s kV', f.voltage_kv, "
    "r.min_volt) ",
    "road": "WHEN r.classes IS NOT NULL AND (f.road_class IS NULL OR NOT f.road_class = "
    "ANY(r.classes)) THEN format('road class %s not in %s', coalesce(f.road_class, 'unknown'), "
    "array_to_string(r.classes, ', ')) ",
}


def spatial_sql(kind: str) -> rules.SpatialSql:
    """As ``rules.spatial_sql``, with the thresholds read from the county's row ``r``."""
    why = (
        "CASE WHEN f.status <> 'existing' THEN f.status "
        + _ATTR_WHY[kind]
        + "ELSE format('distance %s m > %s m', round(CAST(f.d AS numeric), 1), r.max_d) END"
    )
    return rules.SpatialSql(qualifies=QUALIFIES[kind], why=why, params={})

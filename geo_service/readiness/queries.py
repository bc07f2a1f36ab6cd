"""Reading readiness, and the bureau's attestations. Keyword-only, a Session in; no HTTP here."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.audit import record
from geo_service.errors import InvalidInput, NotFound, check_version
from geo_service.readiness import rules
from geo_service.readiness.engine import check_parcels
from geo_service.readiness.models import ConditionOverride
from geo_service.settings import CONDITIONS, Settings
from geo_service.spatial import m2_to_mu


def check_condition(condition: str) -> str:
    if condition not in CONDITIONS:
        raise NotFound(f"no condition {condition!r}; the conditions are {', '.join(CONDITIONS)}")
    return condition


def _parcel(session: Session, code: str, *, published_only: bool) -> Any:
    row = (
        session.execute(
            text(
                f"""SELECT id, code, published, version, {rules.indicators_set_sql("parcels")}
                    AS indicators_set
                FROM parcels WHERE code = :code"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            {"code": code},
        )
        .mappings()
        .first()
    )
    if row is None or (published_only and not row["published"]):
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    return row


def _public_evidence(method: str | None, evidence: dict[str, Any]) -> dict[str, Any]:
    """Status and distance only: no records, notes, names or document references."""
    if method == "override":
        evidence = evidence.get("computed", {}).get("evidence", {})
    nearest = evidence.get("nearest")
    if isinstance(nearest, dict) and "distance_m" in nearest:
        return {"distance_m": nearest["distance_m"]}
    return {}


def _condition(row: Any, *, now: datetime, public: bool) -> dict[str, Any]:
    evidence: dict[str, Any] = row["evidence"] or {}
    override = None
    shown = evidence
    if row["method"] == "override":
        o = evidence.get("override", {})
        override = (
            {"status": o.get("status"), "expires_at": o.get("expires_at")}
            if public
            else {
                k: o.get(k)
                for k in ("status", "reason", "document_ref", "expires_at", "by", "verified_at")
            }
        )
        shown = {**evidence.get("computed", {}).get("evidence", {}), "notes": o.get("evidence")}
        shown["computed_status"] = evidence.get("computed", {}).get("status")
    return {
        "status": row["status"],
        "method": row["method"],
        "evidence": _public_evidence(row["method"], evidence) if public else shown,
        "verified_at": row["verified_at"],
        "age_days": rules.age_days(row["verified_at"], now),
        "override": override,
    }


def parcel_readiness(
    session: Session, *, code: str, settings: Settings, public: bool
) -> dict[str, Any]:
    """The readiness document of one parcel (CONTRACT.md), filtered for the public."""
    p = _parcel(session, code, published_only=public)
    now = session.execute(text("SELECT now()")).scalar_one()
    rows = (
        session.execute(
            text(
                f"""SELECT c.condition, c.status, c.method, c.evidence,
                  {rules.verified_at_sql("c")} AS verified_at
                FROM parcel_conditions c JOIN parcels p ON p.id = c.parcel_id
                WHERE c.parcel_id = :pid"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            {"pid": p["id"]},
        )
        .mappings()
        .all()
    )
    by_cond = {r["condition"]: r for r in rows}
    conditions: dict[str, Any] = {}
    for c in CONDITIONS:
        if c in by_cond:
            conditions[c] = _condition(by_cond[c], now=now, public=public)
        else:
            conditions[c] = {
                "status": "unknown",
                "method": None,
                "evidence": {} if public else {"reason": "not checked yet"},
                "verified_at": None,
                "age_days": None,
                "override": None,
            }
    statuses = {c: v["status"] for c, v in conditions.items()}
    net_land = rules.is_net_land(statuses)
    kinds = list(settings.readiness.required_assessments)
    supply = {"pid": p["id"], **rules.supply_params(settings.readiness, now.date())}
    ready, covered = session.execute(
        text(
            f"""SELECT {rules.ready_for_supply_sql()},
                  ARRAY(SELECT kind FROM ({rules.covered_kinds_sql()}) k)
            FROM parcels p WHERE p.id = :pid"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        supply,
    ).one()
    missing = [k for k in kinds if k not in set(covered)]
    out: dict[str, Any] = {
        "parcel": p["code"],
        "net_land": net_land,
        "ready_for_supply": bool(ready),
        "labels": rules.earned_labels(statuses, settings.readiness.labels),
        "conditions": conditions,
        "checked_at": session.execute(
            text(
                f"""SELECT {rules.checked_at_sql("max(c.checked_at)")}
                FROM parcels p LEFT JOIN parcel_conditions c ON c.parcel_id = p.id
                WHERE p.id = :pid GROUP BY p.id, p.county"""  # noqa: S608 -- fixed fragments only
            ),
            {"pid": p["id"]},
        ).scalar_one(),
    }
    if not public:
        out["supply"] = {
            "indicators_set": bool(p["indicators_set"]),
            "missing_assessments": missing,
        }
    return out


def history(
    session: Session, *, code: str, condition: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """Every status change of a parcel's conditions, newest first."""
    p = _parcel(session, code, published_only=False)
    if condition is not None:
        check_condition(condition)
    params = {"pid": p["id"], "cond": condition, "limit": limit, "offset": offset}
    where = "parcel_id = :pid AND (CAST(:cond AS text) IS NULL OR condition = :cond)"
    total = session.execute(
        text(f"SELECT count(*) FROM condition_history WHERE {where}"),  # noqa: S608
        params,
    ).scalar_one()
    items = (
        session.execute(
            text(
                f"""SELECT condition, old_status, new_status, method, actor, reason, changed_at,
                  run_id FROM condition_history WHERE {where}
                ORDER BY changed_at DESC, id DESC LIMIT :limit OFFSET :offset"""  # noqa: S608
            ),
            params,
        )
        .mappings()
        .all()
    )
    return {"parcel": p["code"], "items": [dict(i) for i in items], "total": int(total)}


def attest(
    session: Session,
    *,
    code: str,
    condition: str,
    status: str,
    reason: str,
    document_ref: str | None,
    expires_at: datetime | None,
    evidence: dict[str, Any],
    actor: str,
    settings: Settings,
    if_match: Collection[int] | None = None,
) -> dict[str, Any]:
    """Record the bureau's attestation/override and re-check the parcel at once (audited)."""
    check_condition(condition)
    p = _parcel(session, code, published_only=False)
    if if_match is not None:
        check_version(p["version"], if_match, what=f"parcel {code}")
    now = session.execute(text("SELECT now()")).scalar_one()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            f"expires_at {expires_at.isoformat()} is in the past; give a future time or none"
        )
    if not reason.strip():
        raise InvalidInput("reason must not be blank: say why the status is what it is")
    before = _current(session, p["id"], condition)
    session.add(
        ConditionOverride(
            parcel_id=p["id"],
            condition=condition,
            status=status,
            reason=reason.strip(),
            document_ref=document_ref,
            evidence=evidence,
            verified_at=now,
            expires_at=expires_at,
            created_by=actor,
        )
    )
    session.flush()
    check_parcels(session, settings=settings, actor=actor, as_of=now, parcel_ids=[p["id"]])
    record(
        session,
        actor=actor,
        action="condition.attest",
        entity_type="parcel",
        entity_code=code,
        before=before,
        after={
            "condition": condition,
            "status": status,
            "reason": reason.strip(),
            "document_ref": document_ref,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return parcel_readiness(session, code=code, settings=settings, public=False)


def revoke(
    session: Session, *, code: str, condition: str, actor: str, settings: Settings
) -> dict[str, Any]:
    """Revoke the live overrides of one condition; the checked result counts again (audited)."""
    check_condition(condition)
    p = _parcel(session, code, published_only=False)
    n = session.execute(
        text(
            """UPDATE condition_overrides SET revoked_at = now()
            WHERE parcel_id = :pid AND condition = :cond AND revoked_at IS NULL"""
        ),
        {"pid": p["id"], "cond": condition},
    ).rowcount  # type: ignore[attr-defined]
    if not n:
        raise NotFound(f"parcel {code!r} has no live override of {condition!r}")
    before = _current(session, p["id"], condition)
    now = session.execute(text("SELECT now()")).scalar_one()
    check_parcels(session, settings=settings, actor=actor, as_of=now, parcel_ids=[p["id"]])
    record(
        session,
        actor=actor,
        action="condition.revoke",
        entity_type="parcel",
        entity_code=code,
        before=before,
        after={"condition": condition, "revoked": int(n)},
    )
    return parcel_readiness(session, code=code, settings=settings, public=False)


def _current(session: Session, pid: int, condition: str) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT condition, status, method FROM parcel_conditions "
                "WHERE parcel_id = :pid AND condition = :cond"
            ),
            {"pid": pid, "cond": condition},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


_REPORT = f"""
SELECT p.code, p.name, z.code AS zone, p.area_m2, p.supply_stage, p.published,
  {rules.ready_for_supply_sql("c.met")} AS ready_for_supply,
  coalesce(c.conds, '{{}}'::jsonb) AS conds, coalesce(k.kinds, ARRAY[]::text[]) AS covered
FROM parcels p
LEFT JOIN zones z ON z.id = p.zone_id
LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE pc.status = 'met') AS met,
    jsonb_object_agg(pc.condition, jsonb_build_object(
    'status', pc.status, 'method', pc.method, 'verified_at', {rules.verified_at_sql("pc")},
    'reason', coalesce(pc.evidence->>'reason', pc.evidence->'override'->>'reason'),
    'distance_m', coalesce(pc.evidence->'nearest'->'distance_m',
                           pc.evidence->'computed'->'evidence'->'nearest'->'distance_m'),
    'nearest', coalesce(pc.evidence->'nearest'->>'code',
                        pc.evidence->'computed'->'evidence'->'nearest'->>'code'))) AS conds
  FROM parcel_conditions pc WHERE pc.parcel_id = p.id) c ON true
LEFT JOIN LATERAL (SELECT array_agg(kind) AS kinds FROM ({rules.covered_kinds_sql()}) x) k ON true
ORDER BY p.code
"""  # noqa: S608


def report_rows(session: Session, *, settings: Settings) -> Iterator[dict[str, Any]]:
    """One flat row per parcel for the XLSX/CSV report, streamed from the database."""
    kinds = list(settings.readiness.required_assessments)
    result = session.execute(
        text(_REPORT),
        rules.supply_params(settings.readiness),
        execution_options={"yield_per": 2000},
    ).mappings()
    for r in result:
        conds: dict[str, Any] = r["conds"]
        statuses = {c: conds.get(c, {}).get("status", "unknown") for c in CONDITIONS}
        net = rules.is_net_land(statuses)
        missing_ass = [k for k in kinds if k not in set(r["covered"])]
        row: dict[str, Any] = {
            "code": r["code"],
            "name": r["name"],
            "zone": r["zone"],
            "area_mu": m2_to_mu(r["area_m2"]),
            "supply_stage": r["supply_stage"],
            "published": r["published"],
            "net_land": net,
            "ready_for_supply": bool(r["ready_for_supply"]),
            "labels": " ".join(rules.earned_labels(statuses, settings.readiness.labels)),
            "missing": " ".join(c for c in CONDITIONS if statuses[c] != "met"),
            "missing_assessments": " ".join(missing_ass),
        }
        for c in CONDITIONS:
            info = conds.get(c, {})
            row[f"{c}_status"] = statuses[c]
            row[f"{c}_method"] = info.get("method")
            row[f"{c}_verified_at"] = (info.get("verified_at") or "")[:10] or None
            if c in rules.SPATIAL:
                row[f"{c}_nearest"] = info.get("nearest")
                row[f"{c}_distance_m"] = info.get("distance_m")
            row[f"{c}_reason"] = info.get("reason")
        yield row

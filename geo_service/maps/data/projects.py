"""The officials' map: the chosen projects with the ledger's RAG, rounds, problems, milestones."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps.data.common import collection
from geo_service.projects import rag
from geo_service.settings import ProjectRules


def projects(
    session: Session, ids: list[int], *, as_of: date, rules: ProjectRules
) -> dict[str, Any]:
    """The chosen projects (``ids``, from ``projects.repository.project_ids``), located ones as
    point features, with progress, next milestone, open problems, 三个一批 rounds and the
    ledger's RAG with its reasons (``projects/rag.py``: the rule the API and stats use)."""
    sql = f"""SELECT json_build_object('type', 'Feature', 'id', pr.code,
          'geometry', ST_AsGeoJSON(ST_PointOnSurface(pr.geom), 6, 0)::json,
          'properties', json_build_object(
            'code', pr.code, 'name', pr.name, 'status', pr.status, 'domain', pr.domain,
            'parcel', pa.code,
            'leader', pr.leader, 'unit', pr.responsible_unit,
            'total_investment_wan', pr.total_investment_wan,
            'planned_investment_wan', pr.planned_investment_wan,
            'completed_wan', pr.completed_wan,
            'progress_pct', CASE WHEN pr.planned_investment_wan > 0
                THEN round(100 * pr.completed_wan / pr.planned_investment_wan, 1) END,
            'overdue', rg.overdue, 'rag', rg.rag, 'reasons', rg.reasons,
            'next_milestone', m.name, 'next_milestone_due', m.due_on,
            'open_problems', coalesce(pb.n, 0), 'problems', coalesce(pb.items, '[]'::json),
            'rounds', coalesce(rd.items, '[]'::json))) AS f
        FROM projects pr LEFT JOIN parcels pa ON pa.id = pr.parcel_id
        JOIN ({rag.SQL}) rg ON rg.project_id = pr.id
        LEFT JOIN LATERAL (SELECT name, due_on FROM milestones ms
            WHERE ms.project_id = pr.id AND ms.done_on IS NULL
            ORDER BY ms.due_on, ms.seq LIMIT 1) m ON true
        LEFT JOIN LATERAL (SELECT count(*) AS n,
            json_agg(json_build_object('code', x.code, 'description', x.description,
                     'deadline', x.deadline) ORDER BY x.deadline NULLS LAST) AS items
            FROM problems x WHERE x.project_id = pr.id AND x.status <> 'resolved') pb ON true
        LEFT JOIN LATERAL (SELECT json_agg(json_build_object('round', r.round_no, 'list', r.list,
                     'date', r.round_date) ORDER BY r.round_no, r.list) AS items
            FROM project_rounds r WHERE r.project_id = pr.id) rd ON true
        WHERE pr.geom IS NOT NULL AND pr.id = ANY(CAST(:ids AS bigint[])) ORDER BY pr.code"""  # noqa: S608 -- fixed fragments only; values bound
    return collection(session, sql, {**rag.params(as_of, rules), "ids": list(ids)})


def project_choices(session: Session) -> dict[str, list[Any]]:
    """Leaders, units and rounds present in the latest ledger year (for the filter lists)."""
    rows = session.execute(
        text(
            """SELECT array_agg(DISTINCT leader) FILTER (WHERE leader IS NOT NULL),
                      array_agg(DISTINCT responsible_unit)
                        FILTER (WHERE responsible_unit IS NOT NULL)
               FROM projects WHERE year = (SELECT max(year) FROM projects)"""
        )
    ).one()
    rounds = session.execute(
        text("SELECT DISTINCT round_no FROM project_rounds ORDER BY 1")
    ).scalars()
    return {
        "leaders": sorted(rows[0] or []),
        "units": sorted(rows[1] or []),
        "rounds": list(rounds),
    }

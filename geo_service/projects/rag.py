"""Slow and overdue projects: red / yellow / green with the reasons, evaluated ``as_of`` a date.

The rules (thresholds and severities come from :class:`geo_service.settings.ProjectRules`):

- ``not_started``: the planned start date has passed and the project has not started;
- ``completion_overdue``: the planned completion date has passed and it is not completed;
- ``investment_behind``: the investment completed this year trails the plan, spread evenly over
  the year from the planned start, by more than ``investment_behind_share`` of what was due
  (red beyond ``investment_behind_red_share``);
- ``milestone_overdue``: a milestone (倒排工期) is past its due date and not done
  (red when more than ``milestone_red_after_days`` late);
- ``problem_overdue``: a problem is past its deadline and not resolved.

All of it is one set-based statement over every project; the result is repeatable for a given
``as_of`` because only dates on or before it count.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, String, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_service.settings import ProjectRules

RULES = ("not_started", "completion_overdue", "investment_behind", "milestone_overdue",
         "problem_overdue")  # fmt: skip
#: the rules that make a project "overdue" (a date has passed); the others make it "slow"
OVERDUE_RULES = ("not_started", "completion_overdue", "milestone_overdue", "problem_overdue")
STARTED_OR_LATER_SQL = "('started', 'under_construction', 'completed', 'in_production')"

SQL = f"""
WITH base AS (
  SELECT p.id, p.year, p.status, p.planned_start, p.planned_completion,
         p.planned_investment_wan AS plan, p.completed_wan AS ledger_done,
         (p.actual_start <= :as_of
          OR (p.actual_start IS NULL AND p.status IN {STARTED_OR_LATER_SQL})) AS started,
         (p.actual_completion <= :as_of
          OR (p.actual_completion IS NULL AND p.status IN ('completed', 'in_production')))
           AS completed,
         greatest(make_date(p.year, 1, 1), coalesce(p.planned_start, make_date(p.year, 1, 1)))
           AS ws,
         least(make_date(p.year, 12, 31), coalesce(p.planned_completion, make_date(p.year, 12, 31)))
           AS we
  FROM projects p
),
inv AS MATERIALIZED (
  SELECT r.project_id, sum(r.completed_wan) AS done
  FROM investment_reports r JOIN projects p ON p.id = r.project_id
  WHERE r.month <= :as_of AND extract(year FROM r.month) = p.year
  GROUP BY r.project_id
),
ms AS MATERIALIZED (
  SELECT project_id, count(*) AS n, max(:as_of - due_on) AS late_days, min(due_on) AS first_due
  FROM milestones
  WHERE due_on < :as_of AND (done_on IS NULL OR done_on > :as_of)
  GROUP BY project_id
),
pr AS MATERIALIZED (
  SELECT project_id, count(*) AS n, min(deadline) AS first_deadline
  FROM problems
  WHERE found_on <= :as_of AND deadline < :as_of
    AND (status <> 'resolved' OR resolved_on > :as_of)
  GROUP BY project_id
),
expect AS (
  -- monthly reports when there are any, else the ledger's own figure (as projects/stats.py)
  SELECT b.*, CASE WHEN inv.project_id IS NULL THEN coalesce(b.ledger_done, 0)
                   ELSE coalesce(inv.done, 0) END AS done,
         CASE WHEN b.plan > 0 AND :as_of >= b.ws
              THEN b.plan * least(1.0, (:as_of - b.ws + 1)::numeric
                                       / greatest(1, b.we - b.ws + 1))
              ELSE 0 END AS due
  FROM base b LEFT JOIN inv ON inv.project_id = b.id
),
reasons AS (
  SELECT e.id, array_remove(ARRAY[
    CASE WHEN e.planned_start < :as_of AND NOT coalesce(e.started, false) THEN
      jsonb_build_object('rule', 'not_started', 'severity', CAST(:sev_not_started AS text),
        'detail', 'planned to start on ' || e.planned_start || ', not started',
        'date', e.planned_start) END,
    CASE WHEN e.planned_completion < :as_of AND NOT coalesce(e.completed, false) THEN
      jsonb_build_object('rule', 'completion_overdue',
        'severity', CAST(:sev_completion_overdue AS text),
        'detail', 'planned to be completed on ' || e.planned_completion || ', not completed',
        'date', e.planned_completion) END,
    CASE WHEN coalesce(e.started, false) AND e.due > 0
              AND (e.due - e.done) / e.due > :behind_share THEN
      jsonb_build_object('rule', 'investment_behind',
        'severity', CASE WHEN (e.due - e.done) / e.due > :behind_red_share THEN 'red'
                         ELSE CAST(:sev_investment_behind AS text) END,
        'detail', 'completed ' || round(e.done, 2) || ' of ' || round(e.due, 2)
                  || ' 万元 due by now (' || round(100 * e.done / e.due, 1) || ' %)',
        'done_wan', round(e.done, 2), 'due_wan', round(e.due, 2),
        'pct', round(100 * e.done / e.due, 1)) END,
    CASE WHEN ms.n > 0 THEN
      jsonb_build_object('rule', 'milestone_overdue',
        'severity', CASE WHEN ms.late_days > :milestone_red_days THEN 'red'
                         ELSE CAST(:sev_milestone_overdue AS text) END,
        'detail', ms.n || ' milestone(s) overdue, the first due on ' || ms.first_due,
        'n', ms.n, 'date', ms.first_due, 'late_days', ms.late_days) END,
    CASE WHEN pr.n > 0 THEN
      jsonb_build_object('rule', 'problem_overdue', 'severity', CAST(:sev_problem_overdue AS text),
        'detail', pr.n || ' problem(s) past deadline, the first on ' || pr.first_deadline,
        'n', pr.n, 'date', pr.first_deadline) END
  ], NULL) AS r
  FROM expect e
  LEFT JOIN ms ON ms.project_id = e.id
  LEFT JOIN pr ON pr.project_id = e.id
)
SELECT id AS project_id,
       CASE WHEN EXISTS (SELECT 1 FROM unnest(r) x WHERE x->>'severity' = 'red') THEN 'red'
            WHEN cardinality(r) > 0 THEN 'yellow' ELSE 'green' END AS rag,
       to_jsonb(r) AS reasons,
       EXISTS (SELECT 1 FROM unnest(r) x
               WHERE x->>'rule' IN ({", ".join(repr(r) for r in OVERDUE_RULES)})) AS overdue
FROM reasons
"""  # noqa: S608 -- only module constants are interpolated


def params(as_of: date, rules: ProjectRules) -> dict[str, Any]:
    sev = {f"sev_{k}": rules.severity.get(k, "yellow") for k in RULES}
    return {
        "as_of": as_of,
        "behind_share": rules.investment_behind_share,
        "behind_red_share": rules.investment_behind_red_share,
        "milestone_red_days": rules.milestone_red_after_days,
        **sev,
    }


def rag_subquery(as_of: date, rules: ProjectRules) -> Any:
    """A subquery (project_id, rag, reasons, overdue) over every project, ``as_of`` the date."""
    return (
        text(SQL)
        .bindparams(**params(as_of, rules))
        .columns(project_id=BigInteger, rag=String, reasons=JSONB, overdue=Boolean)
        .subquery("rag")
    )

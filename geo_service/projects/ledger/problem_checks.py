"""Checking every row of the 问题清单 sheet before anything is written (the API's rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_service.projects import problems as problem_rules
from geo_service.projects.ledger.cells import cell_text

# ---------------------------------------------------------------- import
from geo_service.projects.ledger.checks import map_columns, parse_cells
from geo_service.projects.ledger.columns import (
    PROBLEM_BY_FIELD,
    PROBLEM_HEADER_MAP,
)
from geo_service.projects.ledger.reading import Sheet
from geo_service.projects.models import (
    Problem,
    Project,
)
from geo_service.projects.schemas import ProblemIn, ProblemUpdate


@dataclass
class ProblemPlan:
    new: list[dict[str, Any]] = field(default_factory=list)  # fields + "project"
    changes: list[tuple[Problem, dict[str, Any]]] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": len(self.new),
            "updated": len(self.changes),
            "unchanged": self.unchanged,
        }


#: a new problem's cells that must be filled in (as for POST /api/v1/problems)
PROBLEM_REQUIRED_NEW = ("project", "description", "found_on", "assignee_unit",
                        "assignee_leader", "deadline")  # fmt: skip
#: what a stored problem keeps for good (the API cannot change them either)
PROBLEM_FIXED = ("project", "description", "found_on")


def check_problems(
    session: Session,
    sheet: Sheet,
    *,
    filename: str,
    projects: set[str],
    ignored: list[str],
    problems: list[str],
) -> ProblemPlan:
    """Every cell of the 问题清单 sheet against the rules of ``problems.py``.

    ``projects`` are the valid projects of the file's own projects sheet (they exist once it
    is written). Adds to ``problems``; writes nothing.
    """
    cols = map_columns(
        sheet,
        filename=filename,
        header_map=PROBLEM_HEADER_MAP,
        kind="问题清单",
        key_message="no 问题编号 column; problems are matched by it (export the ledger first to "
        "get the right headers)",
        ignored=ignored,
        problems=problems,
        ignored_suffix=f" ({sheet.name})",
    )
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(sheet.headers)}
    head = {c.field: h for h, c in cols.items()}

    def where(n: int, fld: str | None = None) -> str:
        at = f"{filename}, sheet {sheet.name}, row {n}"
        h = head.get(fld) if fld else None
        return at if h is None else f"{at}, column {h} ({letters.get(h, '?')})"

    plan = ProblemPlan()
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for n, raw in sheet.rows:
        row, bad = parse_cells(n, raw, cols, where, problems, by_field=True)
        code = row.get("code")
        if not code:
            problems.append(f"{where(n, 'code')}: 问题编号 is empty; every problem needs a code")
            continue
        if code in seen:
            problems.append(f"{where(n)}: 问题编号 {code} is also on row {seen[code]}")
            continue
        seen[code] = n
        if not bad:
            parsed.append((n, row))
    plan.rows = len(seen)

    codes = [r["code"] for _, r in parsed]
    stored: dict[str, tuple[Problem, str]] = {}
    if codes:
        for pr, pcode in session.execute(
            select(Problem, Project.code)
            .join(Project, Project.id == Problem.project_id)
            .where(Problem.code.in_(codes))
            .with_for_update(of=Problem)
        ).all():
            stored[pr.code] = (pr, pcode)
    wanted = {r["project"] for _, r in parsed if r.get("project")} - projects
    known = set(projects)
    if wanted:
        known |= set(
            session.execute(select(Project.code).where(Project.code.in_(wanted))).scalars()
        )

    def pydantic_problems(n: int, e: ValidationError) -> None:
        for err in e.errors():
            fld = str(err["loc"][0]) if err["loc"] else None
            problems.append(f"{where(n, fld)}: {err['msg']}")

    for n, row in parsed:
        code = row["code"]
        old = stored.get(code)
        if old is None:
            missing = [f for f in PROBLEM_REQUIRED_NEW if row.get(f) is None]
            if missing:
                heads = "、".join(PROBLEM_BY_FIELD[f].header for f in missing)
                problems.append(f"{where(n)}: 问题 {code} is new; {heads} must be filled in")
                continue
            if row["project"] not in known:
                problems.append(
                    f"{where(n, 'project')}: 项目编号 {row['project']} is not a project in the "
                    "ledger (nor on the 项目台账 sheet)"
                )
                continue
            fields = {f: row[f] for f in ("description", "found_on", "assignee_unit",
                                          "assignee_leader", "deadline", "code")}  # fmt: skip
            try:
                ProblemIn(**fields)
            except ValidationError as e:
                pydantic_problems(n, e)
                continue
            later = {
                f: row[f] for f in ("status", "resolution", "resolved_on") if row.get(f) is not None
            }
            breaches = problem_rules.check_new(found_on=row["found_on"], deadline=row["deadline"])
            breaches += problem_rules.check_change(
                code=code,
                current={"status": "open", "found_on": row["found_on"], "resolved_on": None,
                         "resolution": None},
                changes=later,
            )  # fmt: skip
            for fld, why in breaches:
                problems.append(f"{where(n, fld)}: {why}")
            if not breaches:
                plan.new.append(fields | {"status": "open"} | later | {"project": row["project"]})
            continue

        pr, pcode = old
        was = {"project": pcode} | {f: getattr(pr, f) for f in PROBLEM_FIXED if f != "project"}
        fixed = [f for f in PROBLEM_FIXED if f in row and row[f] != _as_read(was[f])]
        for f in fixed:
            problems.append(
                f"{where(n, f)}: 问题 {code} has {PROBLEM_BY_FIELD[f].header} "
                f"{_show(was[f])}; it cannot be changed (file a new problem instead)"
            )
        changes = {
            f: row[f]
            for f in problem_rules.CHANGEABLE
            if f in row and row[f] != _as_read(getattr(pr, f))
        }
        try:
            ProblemUpdate(**changes)
        except ValidationError as e:
            pydantic_problems(n, e)
            continue
        breaches = problem_rules.check_change(
            code=code, current=problem_rules.rule_state(pr), changes=changes
        )
        for fld, why in breaches:
            problems.append(f"{where(n, fld)}: {why}")
        if fixed or breaches:
            continue
        if changes:
            plan.changes.append((pr, changes))
        else:
            plan.unchanged += 1
    return plan


def _as_read(v: Any) -> Any:
    """A stored value as the import reads it back from an export (text trimmed, characters
    Excel cannot hold dropped), so an unchanged row compares equal."""
    if isinstance(v, str):
        return cell_text(ILLEGAL_CHARACTERS_RE.sub("", v)) or None
    return v


def _show(v: Any) -> str:
    return v.isoformat() if isinstance(v, date) else repr(v)

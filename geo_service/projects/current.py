"""A project as stored: fetch by code (404 naming the code), and its snapshot for the audit log
(the fields from ``projects/fields.py``). Shared by every module that edits a project."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_service.errors import NotFound
from geo_service.projects.fields import PROJECT_FIELDS
from geo_service.projects.models import (
    Project,
)

SNAPSHOT_FIELDS = ("code", *PROJECT_FIELDS)


def json_value(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return v


def snapshot(p: Project) -> dict[str, Any]:
    """The audited view of a project (JSON-safe)."""
    return {f: json_value(getattr(p, f)) for f in SNAPSHOT_FIELDS}


def get_by_code(session: Session, code: str, *, for_update: bool = False) -> Project:
    q = select(Project).where(Project.code == code)
    if for_update:
        q = q.with_for_update()
    p = session.execute(q).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no project with code {code!r}; list codes with GET /api/v1/projects")
    return p

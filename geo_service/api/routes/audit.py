"""The audit trail: who changed what, when, before and after (land bureau and officials)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from geo_service.api.deps import PageDep, SessionDep, require_action
from geo_service.api.params import IsoDateTime
from geo_service.audit import AuditEvent

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditItem(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditItem]
    numberMatched: int
    numberReturned: int
    limit: int
    offset: int


@router.get("/audit", response_model=AuditPage, dependencies=[require_action("audit.read")])
def list_audit(
    session: SessionDep,
    page: PageDep,
    actor: Annotated[
        str | None, Query(max_length=200, description="e.g. bureau:alice, cli, import")
    ] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. parcel.update")] = None,
    entity_type: Annotated[str | None, Query(max_length=64, description="e.g. parcel")] = None,
    entity_code: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        IsoDateTime | None,
        Query(description="at or after (RFC 3339 with offset, e.g. 2026-11-27T00:00:00+08:00)"),
    ] = None,
    until: Annotated[
        IsoDateTime | None,
        Query(description="before (RFC 3339 with offset); until ≤ since gives an empty page"),
    ] = None,
) -> AuditPage:
    """Audit events, newest first, filtered."""
    conds = []
    if actor is not None:
        conds.append(AuditEvent.actor == actor)
    if action is not None:
        conds.append(AuditEvent.action == action)
    if entity_type is not None:
        conds.append(AuditEvent.entity_type == entity_type)
    if entity_code is not None:
        conds.append(AuditEvent.entity_code == entity_code)
    if since is not None:
        conds.append(AuditEvent.at >= since)
    if until is not None:
        conds.append(AuditEvent.at < until)
    total = session.execute(select(func.count()).select_from(AuditEvent).where(*conds)).scalar()
    rows = session.execute(
        select(AuditEvent)
        .where(*conds)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).scalars()
    items = [
        AuditItem(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity_type=e.entity_type,
            entity_code=e.entity_code,
            before=e.before,
            after=e.after,
        )
        for e in rows
    ]
    return AuditPage(
        items=items,
        numberMatched=int(total or 0),
        numberReturned=len(items),
        limit=page.limit,
        offset=page.offset,
    )

"""The audit trail: ``record`` is the one function every write calls, inside the write's own
transaction. The tables (audit events, API tokens, file imports) are in ``audit/models.py``,
re-exported here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from geo_service.audit.models import ApiToken, AuditEvent, ImportRecord

__all__ = ["ApiToken", "AuditEvent", "ImportRecord", "record"]


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_code: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the caller's transaction (it commits or rolls back with it)."""
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_code=entity_code,
            before=before,
            after=after,
        )
    )

"""The append-only audit trail. Services call record(); nothing ever updates or deletes a row."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.core.db import utcnow
from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)


class AuditImmutableError(RuntimeError):
    pass


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _current_actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def record(
    action: str,
    obj: Any = None,
    *,
    organisation_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    """Append one audit event to the current transaction (committed with the change it records)."""
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()
    if organisation_id is None and obj is not None:
        organisation_id = getattr(obj, "organisation_id", None)
    event_row = AuditEvent(
        organisation_id=organisation_id,
        actor_id=actor_id if actor_id is not None else _current_actor_id(),
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None,
        before=before,
        after=after,
        ip=client_ip(),
    )
    db.session.add(event_row)
    return event_row


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditImmutableError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_changes(state: ORMExecuteState) -> None:
    """The same rule for bulk statements: session.execute(update(AuditEvent)) or delete()."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditImmutableError("audit events are append-only")

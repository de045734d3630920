"""The audit trail is append-only: rows are added with the change they record and never altered."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core import audit
from app.core.audit import AuditEvent, AuditImmutableError
from tests.conftest import csrf_token


@pytest.fixture
def saved_event(db_session, make_user):
    """An audit row already in the database (committed to the test's outer transaction)."""
    target = make_user("trainee")
    event = audit.record("user.updated", target, before={"full_name": "A"}, after={"full_name": "B"})
    db_session.commit()
    return event


def stored(db_session, event_id: int) -> tuple:
    return db_session.execute(
        sa.select(AuditEvent.action, AuditEvent.after).where(AuditEvent.id == event_id)
    ).one()


def test_record_keeps_who_what_and_which_object(app, db_session, make_user):
    actor, target = make_user("admin"), make_user("trainee")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.10"}):
        event = audit.record("user.updated", target, before={"email": None}, after={"email": "a@example.org"},
                             actor_id=actor.id)
        db_session.flush()
    row = db_session.get(AuditEvent, event.id)
    assert (row.action, row.object_type, row.object_id) == ("user.updated", "User", str(target.id))
    assert (row.actor_id, row.organisation_id, row.ip) == (actor.id, target.organisation_id, "192.0.2.10")
    assert (row.before, row.after) == ({"email": None}, {"email": "a@example.org"})
    assert row.created_at is not None and row.created_at.tzinfo is not None


def test_the_signed_in_user_is_the_actor_by_default(client, db_session, make_user, login):
    user = make_user("trainee")
    login(user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "logout"))
    assert event.actor_id == user.id and event.object_id == str(user.id)


def test_changing_an_event_through_the_orm_raises(db_session, saved_event):
    saved_event.action = "something.else"
    with pytest.raises(AuditImmutableError):
        db_session.flush()
    db_session.rollback()
    assert stored(db_session, saved_event.id) == ("user.updated", {"full_name": "B"})


def test_deleting_an_event_through_the_orm_raises(db_session, saved_event):
    db_session.delete(saved_event)
    with pytest.raises(AuditImmutableError):
        db_session.flush()
    db_session.rollback()
    assert stored(db_session, saved_event.id)[0] == "user.updated"


@pytest.mark.parametrize("statement", [
    lambda: sa.update(AuditEvent).values(action="rewritten"),
    lambda: sa.delete(AuditEvent),
    lambda: sa.update(AuditEvent).where(AuditEvent.action == "user.updated").values(after=None),
])
def test_bulk_update_or_delete_of_events_raises(db_session, saved_event, statement):
    with pytest.raises(AuditImmutableError):
        db_session.execute(statement())
    db_session.rollback()
    assert stored(db_session, saved_event.id) == ("user.updated", {"full_name": "B"})


def test_adding_events_and_changing_other_rows_still_works(db_session, saved_event, make_user):
    user = make_user("trainee")
    user.full_name = "Nombre nuevo"
    audit.record("user.updated", user, after={"full_name": "Nombre nuevo"})
    db_session.flush()
    count = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert count == 2

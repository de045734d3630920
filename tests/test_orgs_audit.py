"""The audit log page: newest first, filters by action and actor, this organisation only, compact changes."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest

from tests.conftest import post_form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin(make_user):
    return make_user("admin", preferred_language="en", username="lucia.admin")


def add_event(db_session, org, action, actor=None, minutes_ago=0, **fields):
    from app.core.audit import AuditEvent
    from app.core.db import utcnow

    event = AuditEvent(organisation_id=org.id, action=action, actor_id=actor.id if actor else None,
                       created_at=utcnow() - timedelta(minutes=minutes_ago), **fields)
    db_session.add(event)
    db_session.flush()
    return event


def test_newest_first_with_actor_object_change_and_ip(client, login, admin, make_user, db_session, org):
    person = make_user("trainee", username="pedro.r")
    add_event(db_session, org, "old.thing", admin, minutes_ago=60)
    add_event(db_session, org, "user.roles_changed", admin, minutes_ago=1, object_type="User", object_id=str(person.id),
              before={"roles": ["trainee"]}, after={"roles": ["supervisor", "trainee"]}, ip="10.0.0.7")
    login(admin)
    page = text(client.get("/admin/audit"))
    assert page.index("<code>user.roles_changed</code>") < page.index("<code>old.thing</code>")
    row = page[page.index("<code>user.roles_changed</code>") - 300:page.index("10.0.0.7") + 10]
    assert "lucia.admin" in row and f'href="/admin/users/{person.id}">pedro.r</a>' in row
    assert "<del>trainee</del> → supervisor, trainee" in row


def test_filters_by_action_and_actor(client, login, admin, make_user, db_session, org):
    other_actor = make_user("admin", username="otro.admin")
    add_event(db_session, org, "site.created", admin)
    add_event(db_session, org, "cohort.created", other_actor)
    login(admin)
    by_action = text(client.get("/admin/audit?action=site.created"))
    assert "<code>site.created</code>" in by_action and "<code>cohort.created</code>" not in by_action
    by_actor = text(client.get("/admin/audit?actor=OTRO"))
    assert "<code>cohort.created</code>" in by_actor and "<code>site.created</code>" not in by_actor
    assert client.get("/admin/audit?action=not-an-action").status_code == 200


def test_only_this_organisation(client, login, admin, make_org, db_session):
    add_event(db_session, make_org(), "secret.elsewhere")
    login(admin)
    assert "secret.elsewhere" not in text(client.get("/admin/audit"))


def test_paginates(client, login, admin, db_session, org):
    for n in range(60):
        add_event(db_session, org, "bulk.thing", minutes_ago=n + 5)
    login(admin)
    first = text(client.get("/admin/audit?action=bulk.thing"))
    assert first.count("<code>bulk.thing</code>") == 50 and "Page 1 of 2" in first
    assert text(client.get("/admin/audit?action=bulk.thing&page=2")).count("<code>bulk.thing</code>") == 10


def test_changes_made_in_the_pages_appear_in_the_log(client, login, admin, db_session):
    login(admin)
    post_form(client, "/admin/sites/new", {"name": "Clínica Reforma", "is_active": "y"})
    page = text(client.get("/admin/audit"))
    assert "<code>site.created</code>" in page and "Clínica Reforma" in page

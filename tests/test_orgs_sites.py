"""Sites: list, create, edit, with names unique in the organisation and every change audited."""
from __future__ import annotations

import html

import sqlalchemy as sa

from tests.conftest import post_form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_list_create_and_edit_a_site(client, login, make_user, make_org, db_session, org):
    from app.core.audit import AuditEvent
    from app.orgs.models import Site

    admin = make_user("admin", preferred_language="en")
    foreign = make_org()
    login(admin)
    response = post_form(client, "/admin/sites/new", {"name": "Clínica Laguna del Cofre", "region": "Sierra Madre",
                                                      "is_active": "y"})
    assert response.status_code == 302
    site = db_session.scalar(sa.select(Site).where(Site.name == "Clínica Laguna del Cofre"))
    assert site.organisation_id == org.id and site.region == "Sierra Madre" and site.is_active
    page = text(client.get("/admin/sites"))
    assert "Clínica Laguna del Cofre" in page and "Sierra Madre" in page
    assert foreign.sites[0].name not in page

    edit = text(client.get(f"/admin/sites/{site.id}/edit"))
    assert 'value="Clínica Laguna del Cofre"' in edit
    response = post_form(client, f"/admin/sites/{site.id}/edit", {"name": "Clínica Laguna", "region": ""})
    assert response.status_code == 302
    db_session.expire_all()
    assert site.name == "Clínica Laguna" and site.region is None and not site.is_active
    changed = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "site.updated"))
    assert changed.before == {"name": "Clínica Laguna del Cofre", "region": "Sierra Madre", "is_active": True}
    assert changed.after == {"name": "Clínica Laguna", "region": None, "is_active": False}
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "site.created")) is not None
    assert "Inactive" in text(client.get("/admin/sites"))


def test_site_names_are_unique_in_the_organisation(client, login, make_user, org, db_session):
    from app.orgs.models import Site

    admin = make_user("admin", preferred_language="en")
    existing = db_session.scalar(sa.select(Site).where(Site.organisation_id == org.id))
    login(admin)
    response = post_form(client, "/admin/sites/new", {"name": existing.name.upper(), "is_active": "y"})
    assert response.status_code == 422 and "There is already a site with this name." in text(response)
    assert post_form(client, "/admin/sites/new", {"name": ""}).status_code == 422


def test_inactive_site_is_not_offered_for_new_users(client, login, make_user, org, db_session):
    from app.orgs.models import Site

    admin = make_user("admin", preferred_language="en")
    closed = Site(organisation_id=org.id, name="Clínica Cerrada", is_active=False)
    db_session.add(closed)
    db_session.flush()
    login(admin)
    assert "Clínica Cerrada" not in text(client.get("/admin/users/new"))
    response = post_form(client, "/admin/users/new", {"username": "a.b", "full_name": "A B", "preferred_language": "es",
                                                      "site_id": str(closed.id)})
    assert response.status_code == 422

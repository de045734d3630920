"""Who may open and change each organisation page: every route × every role, and another organisation."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import post_form

ROLES = ["admin", "trainer", "supervisor", "trainee", "other_admin", "anonymous"]

# path template → expected status per role (anonymous is always sent to the login page).
GET_PAGES = {
    "/admin/users": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/admin/users/new": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/admin/users/{trainee}": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/{trainee}/edit": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/import": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/admin/users/import/{batch}": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/sites": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/admin/sites/new": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/admin/sites/{site}/edit": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/audit": dict(admin=200, trainer=403, supervisor=403, trainee=403, other_admin=200),
    "/cohorts": dict(admin=200, trainer=200, supervisor=403, trainee=403, other_admin=200),
    "/cohorts/new": dict(admin=200, trainer=200, supervisor=403, trainee=403, other_admin=200),
    "/cohorts/{cohort}": dict(admin=200, trainer=200, supervisor=200, trainee=403, other_admin=404),
    "/cohorts/{cohort}/edit": dict(admin=200, trainer=200, supervisor=403, trainee=403, other_admin=404),
}

# Changes that these roles may not make; the expected refusal and no change afterwards.
POST_ACTIONS = {
    "/admin/users/new": dict(trainer=403, supervisor=403, trainee=403),
    "/admin/users/{trainee}/edit": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/{trainee}/deactivate": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/{trainee}/reactivate": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/users/{trainee}/reset-code": dict(supervisor=403, trainee=403, other_admin=404),
    "/users/{outsider}/reset-code": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/import": dict(trainer=403, supervisor=403, trainee=403),
    "/admin/users/import/{batch}/confirm": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/users/import/{batch}/discard": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/admin/sites/new": dict(trainer=403, supervisor=403, trainee=403),
    "/admin/sites/{site}/edit": dict(trainer=403, supervisor=403, trainee=403, other_admin=404),
    "/cohorts/new": dict(supervisor=403, trainee=403),
    "/cohorts/{cohort}/edit": dict(supervisor=403, trainee=403, other_admin=404),
    "/cohorts/{cohort}/members/trainee": dict(supervisor=403, trainee=403, other_admin=404),
    "/cohorts/{cohort}/members/{member}/remove": dict(supervisor=403, trainee=403, other_admin=404),
    "/cohorts/{cohort}/assignments": dict(supervisor=403, trainee=403, other_admin=404),
    "/cohorts/{cohort}/assignments/{assignment}/end": dict(supervisor=403, trainee=403, other_admin=404),
}


@pytest.fixture
def world(db_session, org, make_org, make_user, make_cohort, assign_supervisor):
    from app.orgs.models import CohortMember, Site, UserImport

    people = {
        "admin": make_user("admin", preferred_language="en"),
        "trainer": make_user("trainer", preferred_language="en"),
        "supervisor": make_user("supervisor", preferred_language="en"),
        "trainee": make_user("trainee", preferred_language="en"),
        "outsider": make_user("trainee", preferred_language="en"),  # a trainee in no cohort of the trainer
    }
    other = make_org()
    people["other_admin"] = make_user("admin", organisation=other, preferred_language="en")
    cohort = make_cohort(members={"trainer": [people["trainer"]], "supervisor": [people["supervisor"]],
                                  "trainee": [people["trainee"]]})
    assignment = assign_supervisor(people["supervisor"], people["trainee"], cohort)
    batch = UserImport(organisation_id=org.id, created_by_id=people["admin"].id, filename="list.csv",
                       rows=[{"row": 2, "raw": {"username": "brand.new", "full_name": "Brand New"}}], ignored_columns=[])
    db_session.add(batch)
    db_session.flush()
    site = db_session.scalar(sa.select(Site).where(Site.organisation_id == org.id))
    member = db_session.scalar(sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                             CohortMember.user_id == people["trainee"].id))
    ids = {"trainee": people["trainee"].id, "outsider": people["outsider"].id, "batch": batch.id, "site": site.id,
           "cohort": cohort.id, "member": member.id, "assignment": assignment.id}
    return people, ids


def _as(role, world, client, login):
    people, _ids = world
    if role != "anonymous":
        login(people[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", list(GET_PAGES))
def test_get_pages_answer_each_role(template, role, world, client, login):
    _people, ids = world
    _as(role, world, client, login)
    response = client.get(template.format(**ids))
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == GET_PAGES[template][role], (template, role)


@pytest.mark.parametrize("template,role", [(t, r) for t, roles in POST_ACTIONS.items() for r in roles])
def test_forbidden_changes_are_refused_and_change_nothing(template, role, world, client, login, db_session):
    from app.core.audit import AuditEvent

    _people, ids = world
    _as(role, world, client, login)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action.not_like("login%")))
    response = post_form(client, template.format(**ids), {
        "username": "hacked", "full_name": "Hacked", "name": "Hacked", "status": "active", "roles": "admin",
        "trainee-user_ids": str(ids["outsider"]), "supervisor_id": str(world[0]["supervisor"].id),
        "trainee_ids": str(ids["trainee"]), "skip_invalid": "y", "preferred_language": "en", "site_id": "0",
    })
    assert response.status_code == POST_ACTIONS[template][role], (template, role)
    after = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action.not_like("login%")))
    assert after == before


@pytest.mark.parametrize("path", ["/admin/users/{trainee}/deactivate", "/admin/users/{trainee}/reactivate",
                                  "/users/{trainee}/reset-code", "/admin/users/import/{batch}/confirm",
                                  "/cohorts/{cohort}/assignments/{assignment}/end",
                                  "/cohorts/{cohort}/members/{member}/remove"])
def test_state_changes_refuse_get(path, world, client, login):
    people, ids = world
    login(people["admin"])
    assert client.get(path.format(**ids)).status_code == 405


def test_post_without_csrf_token_is_refused(world, client, login, db_session):
    people, ids = world
    login(people["admin"])
    response = client.post(f"/admin/users/{ids['trainee']}/deactivate", data={})
    assert response.status_code == 400
    db_session.expire_all()
    assert people["trainee"].is_active_account


def test_navigation_links_to_admin_pages(world, client, login):
    people, _ids = world
    login(people["admin"])
    html = client.get("/").get_data(as_text=True)
    for path in ("/admin/users", "/admin/users/import", "/admin/sites", "/admin/audit", "/cohorts"):
        assert f'href="{path}"' in html

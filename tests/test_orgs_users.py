"""Users pages: list and filters, create (with a password or a reset code), edit, deactivate, reset codes."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from tests.conftest import post_form

CODE = re.compile(r'<span class="code-box">([0-9A-Z-]+)</span>')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(db_session, action: str):
    from app.core.audit import AuditEvent

    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def find(db_session, username: str):
    from app.auth.models import User

    return db_session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def admin(make_user):
    return make_user("admin", preferred_language="en", full_name="Lucía Admin")


@pytest.fixture
def site(db_session, org):
    from app.orgs.models import Site

    return db_session.scalar(sa.select(Site).where(Site.organisation_id == org.id))


# -- list ------------------------------------------------------------------------------------

def test_list_shows_own_organisation_only(client, login, admin, make_user, make_org):
    make_user("trainee", full_name="Rosa Vázquez", username="rosa.v", email="rosa@example.org")
    make_user("trainee", organisation=make_org(), full_name="Persona Ajena")
    login(admin)
    page = text(client.get("/admin/users"))
    assert "Rosa Vázquez" in page and "rosa.v" in page and "rosa@example.org" in page
    assert "Persona Ajena" not in page


def test_list_search_and_filters(client, login, admin, make_user, site, db_session):
    make_user("trainee", full_name="Rosa Vázquez", email="rosa@example.org", site_id=site.id)
    make_user("supervisor", full_name="Julio Pérez", username="julio.p")
    gone = make_user("trainee", full_name="Pedro Ausente")
    gone.is_active_account = False
    db_session.flush()
    login(admin)
    assert "Rosa Vázquez" in text(client.get("/admin/users?q=ROSA@example"))
    by_username = text(client.get("/admin/users?q=julio.p"))
    assert "Julio Pérez" in by_username and "Rosa Vázquez" not in by_username
    supervisors = text(client.get("/admin/users?role=supervisor"))
    assert "Julio Pérez" in supervisors and "Rosa Vázquez" not in supervisors
    at_site = text(client.get(f"/admin/users?site={site.id}"))
    assert "Rosa Vázquez" in at_site and "Julio Pérez" not in at_site
    inactive = text(client.get("/admin/users?status=inactive"))
    assert "Pedro Ausente" in inactive and "Rosa Vázquez" not in inactive
    assert "Pedro Ausente" not in text(client.get("/admin/users?status=active"))
    # Nonsense filter values are ignored rather than failing.
    assert client.get("/admin/users?site=abc&role=boss&page=-3").status_code == 200


def test_list_search_treats_wildcards_literally(client, login, admin, make_user):
    make_user("trainee", full_name="Ana Gómez")
    login(admin)
    assert "Ana Gómez" not in text(client.get("/admin/users?q=%25"))


def test_list_paginates_fifty_per_page(client, login, admin, make_user):
    for n in range(55):
        make_user("trainee", full_name=f"Zz Persona {n:02d}")
    login(admin)
    first = text(client.get("/admin/users?q=Zz"))
    assert first.count("Zz Persona") == 50 and "Page 1 of 2" in first and "55 people found" in first
    second = text(client.get("/admin/users?q=Zz&page=2"))
    assert second.count("Zz Persona") == 5 and "Zz Persona 54" in second


# -- create ----------------------------------------------------------------------------------

def test_create_with_password(client, login, admin, site, db_session):
    login(admin)
    response = post_form(client, "/admin/users/new", {
        "username": "  Rosa.Vazquez ", "full_name": "Rosa Vázquez", "email": "Rosa@Example.org", "phone": "+52 967 123 4567",
        "site_id": str(site.id), "preferred_language": "es", "roles": ["trainee", "supervisor"],
        "password": "una frase larga y facil",
    })
    assert response.status_code == 302
    user = find(db_session, "rosa.vazquez")
    assert user.email == "rosa@example.org" and user.site_id == site.id and user.preferred_language == "es"
    assert {r.value for r in user.roles} == {"trainee", "supervisor"}
    created = events(db_session, "user.created")[-1]
    assert created.object_id == str(user.id) and created.actor_id == admin.id
    assert created.after["roles"] == ["supervisor", "trainee"]
    page = text(client.get(response.headers["Location"]))
    assert "Rosa Vázquez" in page and "Supervisor" in page and "Trainee" in page


def test_create_without_password_shows_a_reset_code_once(app, client, login, admin, db_session):
    login(admin)
    response = post_form(client, "/admin/users/new", {
        "username": "juana.diaz", "full_name": "Juana Díaz", "preferred_language": "es", "roles": ["trainee"], "site_id": "0",
    })
    assert response.status_code == 200
    page = text(response)
    assert "Account created" in page and "This code is shown only once" in page
    code = CODE.search(page).group(1)
    user = find(db_session, "juana.diaz")
    assert user.password_hash is None
    assert code not in text(client.get(f"/admin/users/{user.id}"))
    # The person redeems the code to choose a password.
    other = app.test_client()
    redeemed = post_form(other, "/reset", {"username": "juana.diaz", "code": code,
                                           "password": "mi nueva clave segura", "confirm": "mi nueva clave segura"})
    assert redeemed.status_code == 302


@pytest.mark.parametrize("data,message", [
    ({"username": "taken.name"}, "This username is already taken"),
    ({"username": "TAKEN.NAME"}, "This username is already taken"),
    ({"username": "con espacio"}, "Use 2 to 64 letters"),
    ({"username": ""}, "This field is required"),
    ({"email": "no-at-sign"}, "Enter an email address"),
    ({"email": "TAKEN@example.org"}, "Another account already uses this email address"),
    ({"phone": "call me"}, "Use only numbers"),
    ({"password": "password"}, "too common"),
])
def test_create_refuses_bad_input(client, login, admin, make_user, db_session, data, message):
    make_user("trainee", username="taken.name", email="taken@example.org")
    login(admin)
    form = {"username": "new.person", "full_name": "Nueva Persona", "preferred_language": "es", "roles": ["trainee"],
            "site_id": "0", **data}
    response = post_form(client, "/admin/users/new", form)
    assert response.status_code == 422
    assert message in text(response)
    assert find(db_session, "new.person") is None


def test_create_refuses_another_organisations_site(client, login, admin, make_org, db_session):
    from app.orgs.models import Site

    foreign = db_session.scalar(sa.select(Site).where(Site.organisation_id == make_org().id))
    login(admin)
    response = post_form(client, "/admin/users/new", {"username": "x.y", "full_name": "X", "preferred_language": "es",
                                                      "site_id": str(foreign.id)})
    assert response.status_code == 422 and find(db_session, "x.y") is None


# -- edit ------------------------------------------------------------------------------------

def test_edit_changes_fields_and_audits_roles(client, login, admin, make_user, db_session):
    person = make_user("trainee", full_name="Pedro Ramírez", username="pedro.r")
    login(admin)
    page = text(client.get(f"/admin/users/{person.id}/edit"))
    assert 'value="pedro.r"' in page
    assert re.search(r'<input checked[^>]*value="trainee"', page) and not re.search(r'<input checked[^>]*value="admin"', page)
    response = post_form(client, f"/admin/users/{person.id}/edit", {
        "username": "pedro.r", "full_name": "Pedro Ramírez Cruz", "preferred_language": "en",
        "roles": ["trainee", "supervisor"], "site_id": "0"})
    assert response.status_code == 302
    db_session.expire_all()
    assert person.full_name == "Pedro Ramírez Cruz" and {r.value for r in person.roles} == {"trainee", "supervisor"}
    roles_event = events(db_session, "user.roles_changed")[-1]
    assert roles_event.before == {"roles": ["trainee"]} and roles_event.after == {"roles": ["supervisor", "trainee"]}
    updated = events(db_session, "user.updated")[-1]
    assert updated.before["full_name"] == "Pedro Ramírez" and updated.after["full_name"] == "Pedro Ramírez Cruz"


def test_admin_cannot_remove_own_admin_role(client, login, admin, db_session):
    login(admin)
    response = post_form(client, f"/admin/users/{admin.id}/edit", {
        "username": admin.username, "full_name": admin.full_name, "preferred_language": "en", "roles": ["trainer"],
        "site_id": "0"})
    assert response.status_code == 422
    assert "You cannot remove your own administrator role" in text(response)
    db_session.expire_all()
    assert "admin" in {r.value for r in admin.roles}


# -- deactivate, reactivate ------------------------------------------------------------------

def test_deactivate_ends_the_users_sessions(app, client, login, admin, make_user, db_session):
    person = make_user("trainee", preferred_language="en")
    theirs = login(person, c=app.test_client())
    assert theirs.get("/").status_code == 200
    login(admin)
    response = post_form(client, f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 302
    assert "has been deactivated and signed out everywhere" in text(client.get(response.headers["Location"]))
    after = theirs.get("/")
    assert after.status_code == 302 and after.headers["Location"].endswith("/login")
    db_session.expire_all()
    assert not person.is_active_account
    assert events(db_session, "user.deactivated")[-1].after["sessions_ended"] == 1

    assert post_form(client, f"/admin/users/{person.id}/reactivate").status_code == 302
    db_session.expire_all()
    assert person.is_active_account and events(db_session, "user.reactivated")


def test_admin_cannot_deactivate_self(client, login, admin, db_session):
    login(admin)
    response = post_form(client, f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account" in text(response)
    db_session.expire_all()
    assert admin.is_active_account


# -- reset codes -----------------------------------------------------------------------------

def test_admin_generates_reset_code_for_anyone(client, login, admin, make_user, db_session):
    from app.auth.models import ResetCode

    person = make_user("supervisor")
    login(admin)
    response = post_form(client, f"/users/{person.id}/reset-code", {"next": f"/admin/users/{person.id}"})
    assert response.status_code == 200
    assert CODE.search(text(response))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ResetCode).where(ResetCode.user_id == person.id)) == 1
    assert events(db_session, "password.reset_code_issued")[-1].actor_id == admin.id


def test_reset_code_refused_for_deactivated_account(client, login, admin, make_user, db_session):
    person = make_user("trainee", is_active_account=False)
    login(admin)
    response = post_form(client, f"/users/{person.id}/reset-code", follow_redirects=True)
    assert "must be reactivated" in text(response) and not CODE.search(text(response))


def test_trainer_generates_codes_only_for_own_trainees(client, login, make_user, make_cohort):
    trainer = make_user("trainer", preferred_language="en")
    mine, theirs = make_user("trainee"), make_user("trainee")
    make_cohort(members={"trainer": [trainer], "trainee": [mine]})
    make_cohort(members={"trainee": [theirs]})
    login(trainer)
    assert post_form(client, f"/users/{mine.id}/reset-code").status_code == 200
    assert post_form(client, f"/users/{theirs.id}/reset-code").status_code == 403


def test_next_parameter_cannot_leave_the_site(client, login, admin, make_user):
    person = make_user("trainee")
    login(admin)
    page = text(post_form(client, f"/users/{person.id}/reset-code", {"next": "https://evil.example/"}))
    assert "evil.example" not in page


# -- detail ----------------------------------------------------------------------------------

def test_detail_shows_roles_cohorts_and_supervision(client, login, admin, make_user, make_cohort, assign_supervisor):
    supervisor = make_user(["supervisor", "trainer"], full_name="Julio Pérez")
    trainee = make_user("trainee", full_name="María López")
    cohort = make_cohort(name="PM+ Sierra 2026", members={"supervisor": [supervisor], "trainee": [trainee]})
    assign_supervisor(supervisor, trainee, cohort)
    login(admin)
    page = text(client.get(f"/admin/users/{trainee.id}"))
    assert "PM+ Sierra 2026" in page and "Supervised by" in page and "Julio Pérez" in page
    page = text(client.get(f"/admin/users/{supervisor.id}"))
    assert "Supervisor" in page and "Trainer" in page and "Supervises" in page and "María López" in page

"""Cohorts: create and edit, members by role, supervisor assignments, and who may manage which cohort."""
from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.conftest import post_form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def actions(db_session, action: str):
    from app.core.audit import AuditEvent

    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def members(db_session, cohort, role: str) -> set[int]:
    from app.orgs.models import CohortMember

    return set(db_session.scalars(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                                        CohortMember.role == role)))


@pytest.fixture
def admin(make_user):
    return make_user("admin", preferred_language="en")


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", preferred_language="en", full_name="Carmen Gutiérrez")


# -- create and edit -------------------------------------------------------------------------

def test_trainer_creates_a_cohort_and_becomes_its_trainer(client, login, trainer, org, db_session):
    from app.orgs.models import Cohort, CohortStatus, Site

    site = db_session.scalar(sa.select(Site).where(Site.organisation_id == org.id))
    login(trainer)
    assert "You will be one of the cohort" in text(client.get("/cohorts/new"))
    response = post_form(client, "/cohorts/new", {"name": "PM+ Sierra 2026", "site_id": str(site.id),
                                                  "starts_on": "2026-10-05", "ends_on": "2026-12-18", "status": "planned"})
    assert response.status_code == 302
    cohort = db_session.scalar(sa.select(Cohort).where(Cohort.name == "PM+ Sierra 2026"))
    assert cohort.organisation_id == org.id and cohort.site_id == site.id and cohort.status == CohortStatus.PLANNED
    assert members(db_session, cohort, "trainer") == {trainer.id}
    assert actions(db_session, "cohort.created")[-1].after["starts_on"] == "2026-10-05"
    page = text(client.get(response.headers["Location"]))
    assert "PM+ Sierra 2026" in page and "Carmen Gutiérrez" in page and "Edit the cohort" in page


def test_admin_creates_a_cohort_without_joining_it(client, login, admin, db_session):
    from app.orgs.models import Cohort

    login(admin)
    assert post_form(client, "/cohorts/new", {"name": "PFA Reforma", "site_id": "0", "status": "active"}).status_code == 302
    cohort = db_session.scalar(sa.select(Cohort).where(Cohort.name == "PFA Reforma"))
    assert members(db_session, cohort, "trainer") == set()


@pytest.mark.parametrize("data,message", [
    ({"starts_on": "2026-10-05", "ends_on": "2026-10-01"}, "The end date cannot be before the start date."),
    ({"name": "Existing cohort"}, "There is already a cohort with this name."),
    ({"name": ""}, "This field is required."),
    ({"starts_on": "05/10/2026"}, "Not a valid date value."),
])
def test_cohort_form_refuses_bad_input(client, login, admin, make_cohort, db_session, data, message):
    from app.orgs.models import Cohort

    make_cohort(name="Existing cohort")
    login(admin)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Cohort))
    response = post_form(client, "/cohorts/new", {"name": "New cohort", "site_id": "0", "status": "planned", **data})
    assert response.status_code == 422 and message in text(response)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == before


def test_a_one_day_cohort_is_allowed(client, login, admin):
    login(admin)
    response = post_form(client, "/cohorts/new", {"name": "PFA one day", "site_id": "0", "status": "planned",
                                                  "starts_on": "2026-10-05", "ends_on": "2026-10-05"})
    assert response.status_code == 302


def test_edit_cohort_is_audited(client, login, trainer, make_cohort, db_session):
    from app.orgs.models import CohortStatus

    cohort = make_cohort(name="PM+ 2026", members={"trainer": [trainer]})
    login(trainer)
    assert 'value="PM+ 2026"' in text(client.get(f"/cohorts/{cohort.id}/edit"))
    response = post_form(client, f"/cohorts/{cohort.id}/edit", {"name": "PM+ 2026 (Reforma)", "site_id": "0",
                                                                 "status": "completed"})
    assert response.status_code == 302
    db_session.expire_all()
    assert cohort.name == "PM+ 2026 (Reforma)" and cohort.status == CohortStatus.COMPLETED
    event = actions(db_session, "cohort.updated")[-1]
    assert event.before == {"name": "PM+ 2026", "status": "active"}
    assert event.after == {"name": "PM+ 2026 (Reforma)", "status": "completed"}


# -- who manages which cohort ----------------------------------------------------------------

def test_trainer_sees_all_cohorts_but_manages_only_their_own(client, login, trainer, make_user, make_cohort, db_session):
    colleague = make_user("trainer")
    trainee = make_user("trainee")
    mine = make_cohort(name="Mine", members={"trainer": [trainer]})
    theirs = make_cohort(name="Theirs", members={"trainer": [colleague], "trainee": [trainee]})
    login(trainer)
    listing = text(client.get("/cohorts"))
    assert "Mine" in listing and "Theirs" in listing
    assert f'href="/cohorts/{mine.id}"' in listing and f'href="/cohorts/{theirs.id}"' not in listing
    assert listing.count("You manage it") == 1
    assert client.get(f"/cohorts/{mine.id}/edit").status_code == 200
    assert client.get(f"/cohorts/{theirs.id}").status_code == 403
    assert client.get(f"/cohorts/{theirs.id}/edit").status_code == 403
    assert post_form(client, f"/cohorts/{theirs.id}/edit", {"name": "Taken over", "status": "active",
                                                             "site_id": "0"}).status_code == 403
    assert post_form(client, f"/cohorts/{theirs.id}/members/trainee", {"trainee-user_ids": str(trainee.id)}).status_code == 403
    db_session.expire_all()
    assert theirs.name == "Theirs"


def test_admin_of_another_organisation_gets_404(client, login, make_user, make_org, make_cohort):
    cohort = make_cohort()
    stranger = make_user("admin", organisation=make_org(), preferred_language="en")
    login(stranger)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    assert post_form(client, f"/cohorts/{cohort.id}/assignments", {"supervisor_id": "1"}).status_code == 404
    assert cohort.name not in text(client.get("/cohorts"))


def test_supervisor_sees_their_cohort_read_only(client, login, make_user, make_cohort):
    supervisor = make_user("supervisor", preferred_language="en")
    trainee = make_user("trainee", full_name="Elena Sántiz")
    cohort = make_cohort(members={"supervisor": [supervisor], "trainee": [trainee]})
    login(supervisor)
    page = text(client.get(f"/cohorts/{cohort.id}"))
    assert "Elena Sántiz" in page and "Remove" not in page and "Assign a supervisor" not in page


# -- members ---------------------------------------------------------------------------------

def test_add_several_trainees_at_once(client, login, trainer, make_user, make_cohort, db_session):
    cohort = make_cohort(members={"trainer": [trainer]})
    people = [make_user("trainee", full_name=f"Aprendiz {n}") for n in range(3)]
    make_user("supervisor", full_name="Solo Supervisora")
    login(trainer)
    page = text(client.get(f"/cohorts/{cohort.id}"))
    add_trainees = page[page.index('id="add-trainee"'):]
    add_trainees = add_trainees[:add_trainees.index("</details>")]
    assert all(p.full_name in add_trainees for p in people) and "Solo Supervisora" not in add_trainees
    add_supervisors = page[page.index('id="add-supervisor"'):]
    assert "Solo Supervisora" in add_supervisors[:add_supervisors.index("</details>")]
    response = post_form(client, f"/cohorts/{cohort.id}/members/trainee",
                         {"trainee-user_ids": [str(p.id) for p in people[:2]]})
    assert response.status_code == 302
    assert members(db_session, cohort, "trainee") == {people[0].id, people[1].id}
    added = actions(db_session, "cohort.member_added")
    assert {e.after["user_id"] for e in added if e.after["role"] == "trainee"} == {people[0].id, people[1].id}
    page = text(client.get(f"/cohorts/{cohort.id}"))
    assert "Trainees (2)" in page and "2 people added to the cohort." in page


def test_member_org_role_must_match(client, login, trainer, make_user, make_cohort, db_session):
    cohort = make_cohort(members={"trainer": [trainer]})
    trainee = make_user("trainee", full_name="Solo Aprendiz")
    login(trainer)
    response = post_form(client, f"/cohorts/{cohort.id}/members/supervisor", {"supervisor-user_ids": str(trainee.id)},
                         follow_redirects=True)
    assert "Solo Aprendiz does not have the organisation role needed for this." in text(response)
    assert members(db_session, cohort, "supervisor") == set()


def test_add_member_from_another_organisation_is_404(client, login, trainer, make_user, make_org, make_cohort, db_session):
    cohort = make_cohort(members={"trainer": [trainer]})
    stranger = make_user("trainee", organisation=make_org())
    login(trainer)
    assert post_form(client, f"/cohorts/{cohort.id}/members/trainee",
                     {"trainee-user_ids": str(stranger.id)}).status_code == 404
    assert members(db_session, cohort, "trainee") == set()


def test_add_nobody_says_so(client, login, trainer, make_cohort):
    cohort = make_cohort(members={"trainer": [trainer]})
    login(trainer)
    response = post_form(client, f"/cohorts/{cohort.id}/members/trainee", {}, follow_redirects=True)
    assert "Choose at least one person." in text(response)


def test_remove_member_ends_their_supervision_in_the_cohort(client, login, trainer, make_user, make_cohort,
                                                            assign_supervisor, db_session):
    from app.orgs.models import CohortMember

    supervisor, trainee = make_user("supervisor"), make_user("trainee")
    cohort = make_cohort(members={"trainer": [trainer], "supervisor": [supervisor], "trainee": [trainee]})
    link = assign_supervisor(supervisor, trainee, cohort)
    member = db_session.scalar(sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                             CohortMember.user_id == trainee.id))
    login(trainer)
    assert post_form(client, f"/cohorts/{cohort.id}/members/{member.id}/remove").status_code == 302
    db_session.expire_all()
    assert members(db_session, cohort, "trainee") == set()
    assert link.ended_at is not None
    assert actions(db_session, "cohort.member_removed")[-1].before["user_id"] == trainee.id
    assert actions(db_session, "supervision.ended")


def test_member_of_another_cohort_cannot_be_removed_through_this_one(client, login, trainer, make_user, make_cohort,
                                                                     db_session):
    from app.orgs.models import CohortMember

    trainee = make_user("trainee")
    mine = make_cohort(members={"trainer": [trainer]})
    other = make_cohort(members={"trainee": [trainee]})
    member = db_session.scalar(sa.select(CohortMember).where(CohortMember.cohort_id == other.id))
    login(trainer)
    assert post_form(client, f"/cohorts/{mine.id}/members/{member.id}/remove").status_code == 404
    assert members(db_session, other, "trainee") == {trainee.id}


def test_trainer_removing_themselves_goes_back_to_the_list(client, login, trainer, make_cohort, db_session):
    from app.orgs.models import CohortMember

    cohort = make_cohort(members={"trainer": [trainer]})
    member = db_session.scalar(sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id))
    login(trainer)
    response = post_form(client, f"/cohorts/{cohort.id}/members/{member.id}/remove")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cohorts")


# -- supervision -----------------------------------------------------------------------------

def test_assign_supervisor_to_many_trainees_shows_on_their_home_page(app, client, login, trainer, make_user,
                                                                      make_cohort, db_session):
    from app.orgs.models import SupervisorAssignment

    supervisor = make_user("supervisor", preferred_language="en", full_name="Julio Pérez")
    rosa = make_user("trainee", full_name="Rosa Vázquez")
    juana = make_user("trainee", full_name="Juana Díaz")
    pedro = make_user("trainee", full_name="Pedro Ramírez")
    cohort = make_cohort(name="PM+ Sierra", members={"trainer": [trainer], "supervisor": [supervisor],
                                                     "trainee": [rosa, juana, pedro]})
    login(trainer)
    response = post_form(client, f"/cohorts/{cohort.id}/assignments",
                         {"supervisor_id": str(supervisor.id), "trainee_ids": [str(rosa.id), str(juana.id)]})
    assert response.status_code == 302
    rows = db_session.scalars(sa.select(SupervisorAssignment).where(SupervisorAssignment.cohort_id == cohort.id)).all()
    assert {r.trainee_id for r in rows} == {rosa.id, juana.id} and all(r.supervisor_id == supervisor.id for r in rows)
    assert len(actions(db_session, "supervision.assigned")) == 2
    # Assigning again does not duplicate.
    post_form(client, f"/cohorts/{cohort.id}/assignments", {"supervisor_id": str(supervisor.id), "trainee_ids": str(rosa.id)})
    assert len(actions(db_session, "supervision.assigned")) == 2

    theirs = login(supervisor, c=app.test_client())
    home = text(theirs.get("/"))
    section = home[home.index("My supervisees"):]
    assert "Rosa Vázquez" in section and "Juana Díaz" in section and "Pedro Ramírez" not in section
    assert "PM+ Sierra" in section

    # Ending one assignment removes that trainee from the supervisor's list.
    link = next(r for r in rows if r.trainee_id == rosa.id)
    assert post_form(client, f"/cohorts/{cohort.id}/assignments/{link.id}/end").status_code == 302
    section = text(theirs.get("/"))
    assert "Rosa Vázquez" not in section and "Juana Díaz" in section
    assert actions(db_session, "supervision.ended")[-1].object_id == str(link.id)

    # Assigning the same pair again reopens the link (one row per supervisor, trainee and cohort).
    post_form(client, f"/cohorts/{cohort.id}/assignments", {"supervisor_id": str(supervisor.id), "trainee_ids": str(rosa.id)})
    db_session.expire_all()
    assert link.ended_at is None and "Rosa Vázquez" in text(theirs.get("/"))


def test_supervisor_must_be_a_supervisor_of_the_cohort(client, login, trainer, make_user, make_cohort, db_session):
    from app.orgs.models import SupervisorAssignment

    outside_supervisor = make_user("supervisor", full_name="Fuera")
    trainee = make_user("trainee")
    other_trainee = make_user("trainee")
    cohort = make_cohort(members={"trainer": [trainer], "trainee": [trainee]})
    login(trainer)
    response = post_form(client, f"/cohorts/{cohort.id}/assignments",
                         {"supervisor_id": str(outside_supervisor.id), "trainee_ids": str(trainee.id)}, follow_redirects=True)
    assert "Choose one of this cohort" in text(response)
    supervisor = make_user("supervisor")
    make_cohort(members={"trainee": [other_trainee]})
    from app.orgs.models import CohortMember

    db_session.add(CohortMember(cohort_id=cohort.id, user_id=supervisor.id, role="supervisor"))
    db_session.flush()
    response = post_form(client, f"/cohorts/{cohort.id}/assignments",
                         {"supervisor_id": str(supervisor.id), "trainee_ids": str(other_trainee.id)}, follow_redirects=True)
    assert "Choose trainees of this cohort." in text(response)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SupervisorAssignment)) == 0


def test_trainer_issues_reset_code_from_the_cohort_page(client, login, trainer, make_user, make_cohort):
    trainee = make_user("trainee", full_name="Ana Gómez")
    cohort = make_cohort(members={"trainer": [trainer], "trainee": [trainee]})
    login(trainer)
    page = text(client.get(f"/cohorts/{cohort.id}"))
    assert f'action="/users/{trainee.id}/reset-code"' in page
    response = post_form(client, f"/users/{trainee.id}/reset-code", {"next": f"/cohorts/{cohort.id}"})
    result = text(response)
    assert response.status_code == 200 and 'class="code-box"' in result and f'href="/cohorts/{cohort.id}"' in result


# -- finding people to add -------------------------------------------------------------------

def _add_panel(page: str, role: str) -> str:
    panel = page[page.index(f'id="add-{role}"'):]
    return panel[:panel.index("</details>")]


def test_a_cohort_with_trainees_lists_people_to_add_only_after_a_search(client, login, trainer, make_user,
                                                                         make_cohort):
    cohort = make_cohort(members={"trainer": [trainer], "trainee": [make_user("trainee", full_name="Ya Inscrita")]})
    make_user("trainee", full_name="Rosa Pérez", username="rosa.perez")
    make_user("trainee", full_name="Juana Cruz", username="juana.cruz")
    login(trainer)
    closed = _add_panel(text(client.get(f"/cohorts/{cohort.id}")), "trainee")
    assert "Find people to add" in closed and "Rosa Pérez" not in closed and "Juana Cruz" not in closed
    found = _add_panel(text(client.get(f"/cohorts/{cohort.id}?trainee-q=ROSA")), "trainee")
    assert "Rosa Pérez (rosa.perez)" in found and "Juana Cruz" not in found and "Ya Inscrita" not in found
    listed = _add_panel(text(client.get(f"/cohorts/{cohort.id}?trainee-q=")), "trainee")
    assert "Rosa Pérez" in listed and "Juana Cruz" in listed and "Ya Inscrita" not in listed
    nobody = _add_panel(text(client.get(f"/cohorts/{cohort.id}?trainee-q=%3Cb%3Ezz")), "trainee")
    assert "No one you can add matches “<b>zz”." in nobody and "<b>zz" not in client.get(
        f"/cohorts/{cohort.id}?trainee-q=%3Cb%3Ezz").get_data(as_text=True)


def test_search_shows_twenty_people_and_says_more_match(client, login, trainer, make_user, make_cohort, db_session):
    cohort = make_cohort(members={"trainer": [trainer]})
    people = [make_user("trainee", full_name=f"Aprendiz {n:02d}") for n in range(23)]
    login(trainer)
    panel = _add_panel(text(client.get(f"/cohorts/{cohort.id}")), "trainee")
    assert panel.count('type="checkbox"') == 20 and "Aprendiz 19" in panel and "Aprendiz 20" not in panel
    assert "Only the first 20 are shown: search by name or username to find others." in panel
    panel = _add_panel(text(client.get(f"/cohorts/{cohort.id}?trainee-q=aprendiz 2")), "trainee")
    assert {n for n in range(23) if f"Aprendiz {n:02d}" in panel} == {20, 21, 22}
    response = post_form(client, f"/cohorts/{cohort.id}/members/trainee",
                         {"trainee-user_ids": [str(people[21].id), str(people[22].id)], "trainee-q": "aprendiz 2"})
    assert response.status_code == 302 and "trainee-q=aprendiz" in response.headers["Location"]
    assert members(db_session, cohort, "trainee") == {people[21].id, people[22].id}
    page = text(client.get(response.headers["Location"]))
    assert "2 people added to the cohort." in page and "Trainees (2)" in page
    assert 'value="aprendiz 2"' in _add_panel(page, "trainee")

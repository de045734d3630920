"""Training days: trainers plan them; staff of the cohort see them; everyone else is kept out."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import post_form


@pytest.fixture
def people(make_user):
    return {role: make_user(role, preferred_language="en") for role in ("trainee", "supervisor", "trainer", "admin")}


@pytest.fixture
def cohort(make_cohort, people):
    return make_cohort(name="PM+ Sierra", members={"trainee": [people["trainee"]], "supervisor": [people["supervisor"]],
                                                   "trainer": [people["trainer"]]})


def test_trainer_adds_a_training_day_and_sees_it_listed(client, login, cohort, people, db_session):
    from app.core.audit import AuditEvent
    from app.training.models import TrainingDay

    login(people["trainer"])
    form = client.get(f"/cohorts/{cohort.id}/days/new")
    assert form.status_code == 200 and people["supervisor"].full_name in form.get_data(as_text=True)
    held_on = date.today() + timedelta(days=10)
    response = post_form(client, f"/cohorts/{cohort.id}/days/new", {
        "held_on": held_on.isoformat(), "starts_at": "09:30", "place": "Clínica Laguna del Cofre",
        "topic": "Managing Stress and Managing Problems", "facilitator_id": str(people["supervisor"].id),
        "facilitator_name": "", "notes": "Bring the PM+ manual"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The training day has been saved." in html
    assert "Managing Stress and Managing Problems" in html and "Clínica Laguna del Cofre" in html
    assert "09:30" in html and people["supervisor"].full_name in html
    day = db_session.scalar(sa.select(TrainingDay).where(TrainingDay.cohort_id == cohort.id))
    assert day.held_on == held_on and day.facilitator_id == people["supervisor"].id
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "training_day.created"))
    assert event.object_id == str(day.id) and event.organisation_id == cohort.organisation_id
    assert event.actor_id == people["trainer"].id


def test_missing_fields_are_shown_and_nothing_is_saved(client, login, cohort, people, db_session):
    from app.training.models import TrainingDay

    login(people["trainer"])
    response = post_form(client, f"/cohorts/{cohort.id}/days/new", {"held_on": "", "place": "", "topic": "",
                                                                     "facilitator_id": "0"})
    assert response.status_code == 422
    assert "Enter the date" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TrainingDay)) == 0


def test_editing_a_day_audits_only_what_changed(client, login, cohort, people, make_day, db_session):
    from app.core.audit import AuditEvent

    day = make_day(cohort)
    login(people["admin"])
    response = post_form(client, f"/cohorts/{cohort.id}/days/{day.id}/edit", {
        "held_on": day.held_on.isoformat(), "place": "Clínica Reforma", "topic": day.topic, "facilitator_id": "0",
        "facilitator_name": "Dra. Ana Ruiz"})
    assert response.status_code == 302
    db_session.refresh(day)
    assert day.place == "Clínica Reforma" and day.facilitator_label == "Dra. Ana Ruiz"
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "training_day.updated"))
    assert event.before == {"place": "Clínica Laguna del Cofre", "facilitator_name": None}
    assert event.after == {"place": "Clínica Reforma", "facilitator_name": "Dra. Ana Ruiz"}


def test_list_separates_upcoming_and_held_days_with_counts(client, login, cohort, people, make_day, db_session):
    from app.training.models import Attendance, AttendanceStatus

    held = make_day(cohort, -2, "Helping skills and role plays")
    make_day(cohort, 5, "Staying Well, practicum planning")
    db_session.add(Attendance(training_day_id=held.id, trainee_id=people["trainee"].id, status=AttendanceStatus.PRESENT))
    db_session.flush()
    login(people["supervisor"])
    html = client.get(f"/cohorts/{cohort.id}/days").get_data(as_text=True)
    upcoming, past = html.split('id="past-heading"')
    assert "Staying Well, practicum planning" in upcoming and "Helping skills" not in upcoming
    assert "Helping skills and role plays" in past and "Present: 1" in past and "Not recorded: 0" in past
    assert "Add a training day" not in html  # supervisors take attendance but do not plan days


def test_supervisor_cannot_add_days(client, login, cohort, people):
    login(people["supervisor"])
    assert client.get(f"/cohorts/{cohort.id}/days/new").status_code == 403


def test_trainee_of_the_cohort_is_refused_and_of_another_cohort_sees_nothing(client, login, cohort, make_cohort,
                                                                              make_user, make_day):
    day = make_day(cohort)
    outsider = make_user("trainee")
    make_cohort(members={"trainee": [outsider]})
    login(outsider)
    for path in (f"/cohorts/{cohort.id}/days", f"/cohorts/{cohort.id}/days/summary",
                 f"/cohorts/{cohort.id}/days/{day.id}/attendance", f"/cohorts/{cohort.id}/days/new"):
        assert client.get(path).status_code == 404, path


def test_trainee_of_the_cohort_gets_403_on_staff_pages(client, login, cohort, people, make_day):
    day = make_day(cohort)
    login(people["trainee"])
    assert client.get(f"/cohorts/{cohort.id}/days").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}/days/{day.id}/attendance").status_code == 403


def test_trainer_of_another_cohort_is_refused(client, login, cohort, make_user, make_cohort, make_day):
    other_trainer = make_user("trainer")
    make_cohort(members={"trainer": [other_trainer]})
    day = make_day(cohort)
    login(other_trainer)
    assert client.get(f"/cohorts/{cohort.id}/days").status_code == 403
    assert post_form(client, f"/cohorts/{cohort.id}/days/{day.id}/attendance", {}).status_code == 403
    assert post_form(client, f"/cohorts/{cohort.id}/days/new", {}).status_code == 403


def test_another_organisations_admin_sees_nothing(client, login, cohort, make_user, make_org, make_day):
    day = make_day(cohort)
    login(make_user("admin", organisation=make_org("Otra")))
    for path in (f"/cohorts/{cohort.id}/days", f"/cohorts/{cohort.id}/days/{day.id}/edit",
                 f"/cohorts/{cohort.id}/days/{day.id}/attendance", f"/cohorts/{cohort.id}/days/summary"):
        assert client.get(path).status_code == 404, path


def test_a_day_is_only_reachable_through_its_own_cohort(client, login, cohort, people, make_cohort, make_day):
    other = make_cohort(members={"trainer": [people["trainer"]]})
    day = make_day(other)
    login(people["trainer"])
    assert client.get(f"/cohorts/{cohort.id}/days/{day.id}/attendance").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/days/{day.id}/edit").status_code == 404


def test_home_links_to_training_days_and_my_attendance(app, client, login, cohort, people):
    login(people["trainer"])
    assert f'href="/cohorts/{cohort.id}/days"' in client.get("/").get_data(as_text=True)
    trainee_client = login(people["trainee"], c=app.test_client())
    assert 'href="/training/my-attendance"' in trainee_client.get("/").get_data(as_text=True)

"""Attendance: one sheet per day, one row per trainee, changes audited, and the attendance rate."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import post_form


@pytest.fixture
def people(make_user):
    people = {role: make_user(role, preferred_language="en") for role in ("supervisor", "trainer", "admin")}
    people["ana"] = make_user("trainee", full_name="Ana Gómez", preferred_language="en")
    people["beto"] = make_user("trainee", full_name="Beto Cruz", preferred_language="en")
    return people


@pytest.fixture
def cohort(make_cohort, people):
    return make_cohort(name="PM+ Sierra", members={"trainee": [people["ana"], people["beto"]],
                                                   "supervisor": [people["supervisor"]], "trainer": [people["trainer"]]})


def _rows(db_session, day):
    from app.training.models import Attendance

    return {row.trainee_id: (row.status.value, row.note) for row in db_session.scalars(
        sa.select(Attendance).where(Attendance.training_day_id == day.id).execution_options(populate_existing=True))}


def _events(db_session, action):
    from app.core.audit import AuditEvent

    return list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _sheet(cohort, day):
    return f"/cohorts/{cohort.id}/days/{day.id}/attendance"


def test_sheet_lists_every_trainee_with_three_choices(client, login, cohort, people, make_day):
    day = make_day(cohort)
    login(people["trainer"])
    html = client.get(_sheet(cohort, day)).get_data(as_text=True)
    for trainee in ("ana", "beto"):
        user_id = people[trainee].id
        assert people[trainee].full_name in html
        for value in ("present", "absent", "excused"):
            assert f'name="status_{user_id}" type="radio" value="{value}"' in html
        assert f'name="note_{user_id}"' in html
    assert html.count('type="submit"') >= 2 and "Mark everyone else present and save" in html
    assert "<script" not in html.split("<main")[1]


def test_trainer_takes_attendance_and_blank_rows_stay_unrecorded(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort)
    login(people["trainer"])
    response = post_form(client, _sheet(cohort, day), {f"status_{people['ana'].id}": "absent",
                                                       f"note_{people['ana'].id}": "Sick child", "save": "1"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Attendance saved: 1 new, 0 changed, 0 unchanged." in html
    assert "Absent: 1" in html and "Not recorded: 1" in html
    assert _rows(db_session, day) == {people["ana"].id: ("absent", "Sick child")}


def test_mark_everyone_else_present_keeps_the_choices_made(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort)
    login(people["trainer"])
    post_form(client, _sheet(cohort, day), {f"status_{people['ana'].id}": "excused", "all_present": "1"})
    assert _rows(db_session, day) == {people["ana"].id: ("excused", None), people["beto"].id: ("present", None)}


def test_resubmitting_updates_in_place_and_audits_before_and_after(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort)
    ana = people["ana"].id
    login(people["trainer"])
    post_form(client, _sheet(cohort, day), {f"status_{ana}": "present", "save": "1"})
    post_form(client, _sheet(cohort, day), {f"status_{ana}": "excused", f"note_{ana}": "Clinic shift", "save": "1"})
    assert _rows(db_session, day) == {ana: ("excused", "Clinic shift")}
    recorded, changed = _events(db_session, "attendance.recorded"), _events(db_session, "attendance.changed")
    assert len(recorded) == 1 and recorded[0].after == {"trainee_id": ana, "status": "present", "note": None}
    assert len(changed) == 1
    assert changed[0].before == {"trainee_id": ana, "status": "present", "note": None}
    assert changed[0].after == {"trainee_id": ana, "status": "excused", "note": "Clinic shift"}
    assert changed[0].actor_id == people["trainer"].id and changed[0].organisation_id == cohort.organisation_id


def test_a_double_submit_records_once(client, login, cohort, people, make_day, db_session):
    from app.training.models import Attendance

    day = make_day(cohort)
    login(people["trainer"])
    data = {f"status_{people['ana'].id}": "present", f"status_{people['beto'].id}": "absent", "save": "1"}
    first = post_form(client, _sheet(cohort, day), data)
    second = post_form(client, _sheet(cohort, day), data, follow_redirects=True)
    assert first.status_code == 302
    assert "0 new, 0 changed, 2 unchanged" in second.get_data(as_text=True)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(Attendance).where(Attendance.training_day_id == day.id))
    assert count == 2
    assert len(_events(db_session, "attendance.recorded")) == 2 and not _events(db_session, "attendance.changed")


def test_the_sheet_is_prefilled_and_a_get_changes_nothing(client, login, cohort, people, make_day, db_session):
    from app.core.audit import AuditEvent

    day = make_day(cohort)
    login(people["trainer"])
    post_form(client, _sheet(cohort, day), {f"status_{people['beto'].id}": "absent", "save": "1"})
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    html = client.get(_sheet(cohort, day)).get_data(as_text=True)
    assert f'checked id="status_{people["beto"].id}-1"' in html or f'id="status_{people["beto"].id}-1" name="status_{people["beto"].id}" type="radio" value="absent" checked' in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_a_note_needs_a_status_and_bad_values_are_refused(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort)
    login(people["trainer"])
    response = post_form(client, _sheet(cohort, day), {f"note_{people['ana'].id}": "Late", "save": "1"})
    assert response.status_code == 422
    assert "Choose present, absent or excused to save this note." in response.get_data(as_text=True)
    response = post_form(client, _sheet(cohort, day), {f"status_{people['ana'].id}": "sleeping", "save": "1"})
    assert response.status_code == 422
    assert _rows(db_session, day) == {}


def test_attendance_cannot_be_taken_before_the_day(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort, 3)
    login(people["trainer"])
    assert "has not happened yet" in client.get(_sheet(cohort, day)).get_data(as_text=True)
    response = post_form(client, _sheet(cohort, day), {f"status_{people['ana'].id}": "present", "save": "1"})
    assert response.status_code == 422 and "from the day of the training on" in response.get_data(as_text=True)
    assert _rows(db_session, day) == {}


def test_supervisor_of_the_cohort_takes_attendance(client, login, cohort, people, make_day, db_session):
    day = make_day(cohort)
    login(people["supervisor"])
    response = post_form(client, _sheet(cohort, day), {f"status_{people['beto'].id}": "present", "save": "1"})
    assert response.status_code == 302
    assert _rows(db_session, day) == {people["beto"].id: ("present", None)}


def test_only_trainees_of_the_cohort_can_be_marked(app, cohort, people, make_day, make_user):
    from app.training import services
    from app.training.models import AttendanceStatus

    day = make_day(cohort)
    with pytest.raises(services.TrainingError):
        services.record_attendance(day, {people["supervisor"].id: services.Mark(AttendanceStatus.PRESENT)},
                                   people["trainer"])


# -- the attendance rate ---------------------------------------------------------------------

def test_rate_rule():
    from app.training.queries import attendance_rate

    assert attendance_rate(present=3, excused=1, held=4) == 1.0
    assert attendance_rate(present=2, excused=1, held=4) == pytest.approx(2 / 3)
    assert attendance_rate(present=0, excused=0, held=2) == 0.0
    assert attendance_rate(present=0, excused=0, held=0) is None
    assert attendance_rate(present=0, excused=2, held=2) is None


def test_summary_counts_held_days_only_and_leaves_out_excused(client, login, cohort, people, make_day, db_session):
    from app.training.models import Attendance, AttendanceStatus

    days = [make_day(cohort, offset) for offset in (-30, -20, -10, -5, 7)]
    ana, beto = people["ana"].id, people["beto"].id
    marks = {ana: ["present", "present", "excused", "absent", "present"],  # the future "present" must not count
             beto: ["excused", "excused", "excused", "excused", None]}
    for trainee, statuses in marks.items():
        for day, status in zip(days, statuses):
            if status:
                db_session.add(Attendance(training_day_id=day.id, trainee_id=trainee, status=AttendanceStatus(status)))
    db_session.flush()
    login(people["trainer"])
    html = client.get(f"/cohorts/{cohort.id}/days/summary").get_data(as_text=True)
    ana_row = html.split("Ana Gómez")[1].split("</tr>")[0]
    beto_row = html.split("Beto Cruz")[1].split("</tr>")[0]
    # Ana: 2 present ÷ (4 held − 1 excused) = 67 %
    assert [cell.strip() for cell in ana_row.replace("</td>", "").split("<td>")[1:]] == ["2", "1", "1", "0", "67%"]
    # Beto: every held day excused: nothing countable, shown as "—", not 0 %
    assert [cell.strip() for cell in beto_row.replace("</td>", "").split("<td>")[1:]] == ["0", "0", "4", "0", "—"]


def test_trainee_sees_only_their_own_attendance(client, login, cohort, people, make_day, db_session):
    from app.training.models import Attendance, AttendanceStatus

    past, upcoming = make_day(cohort, -3, "Helping skills and role plays"), make_day(cohort, 4, "Staying Well")
    older = make_day(cohort, -9, "Managing Stress and Managing Problems")
    db_session.add_all([
        Attendance(training_day_id=past.id, trainee_id=people["ana"].id, status=AttendanceStatus.PRESENT),
        Attendance(training_day_id=older.id, trainee_id=people["ana"].id, status=AttendanceStatus.ABSENT, note="Sick"),
        Attendance(training_day_id=past.id, trainee_id=people["beto"].id, status=AttendanceStatus.ABSENT,
                   note="Beto private note"),
    ])
    db_session.flush()
    login(people["ana"])
    html = client.get("/training/my-attendance").get_data(as_text=True)
    assert "Your attendance: 50%" in html
    assert "Staying Well" in html and "Upcoming" in html and "Sick" in html
    assert "Beto" not in html


def test_trainee_with_nothing_held_yet_sees_a_dash(client, login, cohort, people, make_day):
    make_day(cohort, 2)
    login(people["beto"])
    html = client.get("/training/my-attendance").get_data(as_text=True)
    assert "Your attendance: —" in html and "0%" not in html

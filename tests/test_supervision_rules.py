"""Supervision rules: client codes, name and phone warnings, risk alerts, well-being follow-ups,
overdue supervision, acknowledgement and audited edits, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.supervision import deidentify


# -- client codes and de-identification warnings -----------------------------------------------

@pytest.mark.parametrize("code", ["CH-014", "ch-014", "L12", "LIMA-2026-07", "7"])
def test_client_codes_letters_digits_dashes(code):
    assert deidentify.is_valid_client_code(code)


@pytest.mark.parametrize("code", ["María", "Juan Pérez", "CH 014", "CH_014", "-014", "CH--14", "ABC", "",
                                  "A1-B2-C3-D4-E5", "X" * 21 + "1"])
def test_names_and_odd_shapes_are_not_client_codes(code):
    assert not deidentify.is_valid_client_code(code)


@pytest.mark.parametrize(("text", "found"), [
    ("Habló con Juan Pérez sobre su hija.", "Juan Pérez"),
    ("La señora vive con Rosa Méndez de la Cruz en la colonia.", "Rosa Méndez de la Cruz"),
    ("Se refirió a la Dra. Sánchez en el hospital.", "Sánchez"),
    ("Vino acompañada de Guadalupe.", "Guadalupe"),
    ("María dijo que ya duerme mejor.", "María"),
])
def test_names_in_free_text_are_found(text, found):
    assert found in deidentify.find_names(text)


@pytest.mark.parametrize("text", [
    "La clienta refiere insomnio. Dolores de cabeza frecuentes.",
    "Se refirió al Centro de Salud de la comunidad.",
    "Trabajamos el manejo del estrés en la sesión 2 de PM+.",
    "Sesión del 2026-10-05 en la clínica.",
    "",
])
def test_ordinary_clinical_text_raises_no_name_warning(text):
    assert deidentify.find_names(text) == []
    assert deidentify.find_phones(text) == []


@pytest.mark.parametrize(("text", "phone"), [
    ("Llamar al 961 123 4567 mañana", "961 123 4567"),
    ("su número es +52 (961) 555-0199", "+52 (961) 555-0199"),
    ("tel 9611234567", "9611234567"),
])
def test_phone_numbers_are_found(text, phone):
    assert deidentify.find_phones(text) == [phone]


def test_dates_and_short_numbers_are_not_phones():
    assert deidentify.find_phones("El 2026-10-05, sesión 3 de 5, PSYCHLOPS 12 → 8") == []


# -- the session services ---------------------------------------------------------------------

@pytest.fixture(autouse=True)
def english_request(app):
    """Messages are lazy translations: read them as an English-speaking visitor would."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield

@pytest.fixture
def team(make_user, make_cohort, assign_supervisor, org):
    supervisor = make_user("supervisor", full_name="Julio Pérez Aguilar")
    trainees = [make_user("trainee", full_name=name) for name in ("Rosa Vázquez", "Juana Díaz", "Pedro Ramírez")]
    lead = make_user("clinical_lead", full_name="Dra. Inés Clínica", email="lead@example.org")
    admin = make_user("admin")
    cohort = make_cohort(members={"trainee": trainees, "supervisor": [supervisor]})
    for trainee in trainees:
        assign_supervisor(supervisor, trainee, cohort)
    return {"supervisor": supervisor, "trainees": trainees, "lead": lead, "admin": admin, "cohort": cohort,
            "org": org}


def _data(people, **changes):
    from app.supervision.models import Modality, SessionFormat
    from app.supervision.services import SessionData

    values = dict(supervisee_ids=[p.id for p in people],
                  format=SessionFormat.INDIVIDUAL if len(people) == 1 else SessionFormat.GROUP,
                  modality=Modality.IN_PERSON, started_at=datetime.now(timezone.utc) - timedelta(hours=2),
                  duration_minutes=60)
    values.update(changes)
    return SessionData(**values)


def _case(code="CH-014", risk="none", **changes):
    from app.supervision.models import RiskLevel
    from app.supervision.services import CaseData

    values = {"summary": "Duerme mal.", "action_taken": "Plan de seguridad revisado.", **changes}
    return CaseData(client_code=code, risk_level=RiskLevel(risk), **values)


def test_an_individual_session_has_one_supervisee(team):
    from app.supervision import services
    from app.supervision.models import SessionFormat

    pair = team["trainees"][:2]
    session = services.start_session(team["supervisor"], _data(pair, format=SessionFormat.INDIVIDUAL))  # a draft
    with pytest.raises(services.SupervisionError) as error:
        services.submit_session(session, _data(pair, format=SessionFormat.INDIVIDUAL), team["supervisor"])
    assert error.value.field == "supervisee_ids" and "exactly one" in str(error.value.message)
    with pytest.raises(services.SupervisionError, match="two or more"):
        services.submit_session(session, _data(pair[:1], format=SessionFormat.GROUP), team["supervisor"])


def test_a_supervisor_logs_only_their_own_supervisees(team, make_user):
    from app.supervision import services

    stranger = make_user("trainee")
    with pytest.raises(services.SupervisionError, match="people you supervise"):
        services.start_session(team["supervisor"], _data([stranger]))


def test_a_client_code_is_required_and_checked_on_submit(team):
    from app.supervision import services

    session = services.start_session(team["supervisor"], _data(team["trainees"][:1]))
    with pytest.raises(services.SupervisionError) as error:
        services.submit_session(session, _data(team["trainees"][:1], cases=[_case(code="Juan Pérez")]),
                                team["supervisor"])
    assert error.value.field == "cases-0-client_code"
    with pytest.raises(services.SupervisionError) as error:
        services.submit_session(session, _data(team["trainees"][:1], cases=[_case(code="")]), team["supervisor"])
    assert error.value.field == "cases-0-client_code" and "CH-014" in str(error.value.message)


def test_a_high_risk_case_needs_what_was_done(team):
    from app.supervision import services

    session = services.start_session(team["supervisor"], _data(team["trainees"][:1]))
    with pytest.raises(services.SupervisionError) as error:
        services.submit_session(session, _data(team["trainees"][:1], cases=[_case(risk="high", action_taken="")]),
                                team["supervisor"])
    assert error.value.field == "cases-0-action_taken"


def test_warnings_name_the_field_and_never_block(team):
    from app.supervision import services

    data = _data(team["trainees"][:2], notes="Llamar a la clienta al 961 123 4567.",
                 cases=[_case(), _case(code="CH-015", summary="Vive con Juan Pérez, su pareja.")])
    found = services.warnings(data, {p.id: p.full_name for p in team["trainees"]})
    assert [(str(w.where), w.finding.kind, w.finding.text) for w in found] == [
        ("Session notes", "phone", "961 123 4567"), ("Case 2, summary", "name", "Juan"),
        ("Case 2, summary", "name", "Juan Pérez")]
    session = services.start_session(team["supervisor"], data)
    services.submit_session(session, data, team["supervisor"])  # submitted all the same
    assert not session.is_draft


def test_a_supervisees_own_name_in_a_wellbeing_note_is_not_a_warning(team):
    from app.supervision import services

    rosa = team["trainees"][0]
    data = _data([rosa], wellbeing={rosa.id: (7, "Rosa Vázquez se siente mejor.")})
    assert services.warnings(data, {rosa.id: rosa.full_name}) == []


def test_a_high_risk_case_alerts_the_clinical_lead_at_once_and_only_once(team, db_session):
    from app.notifications.models import Notification
    from app.supervision import services

    people = team["trainees"][:2]
    session = services.start_session(team["supervisor"], _data(people))
    data = _data(people, cases=[_case(risk="high", supervisee_id=people[0].id), _case(code="CH-020", risk="low")])
    sent = services.submit_session(session, data, team["supervisor"])
    assert len(sent) == 1 and sent[0].recipients == [team["lead"].id]
    alert = db_session.scalar(sa.select(Notification).where(Notification.kind == "supervision.high_risk_case"))
    assert alert.user_id == team["lead"].id and alert.is_urgent and alert.url == f"/supervision/sessions/{session.id}"
    assert alert.params["code"] == "CH-014" and "Duerme" not in str(alert.params)
    # Editing the record again does not alert twice; a case raised to imminent later does.
    assert services.update_submitted(session, _data(people, notes="Más notas", cases=data.cases),
                                     team["supervisor"]) == []
    raised = [data.cases[0], _case(code="CH-020", risk="imminent")]
    assert len(services.update_submitted(session, _data(people, cases=raised), team["supervisor"])) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "supervision.high_risk_case")) == 2


def test_without_a_clinical_lead_the_admins_are_alerted(make_user, make_cohort, assign_supervisor, db_session):
    from app.notifications.models import Notification
    from app.supervision import services

    supervisor, trainee, admin = make_user("supervisor"), make_user("trainee"), make_user("admin")
    assign_supervisor(supervisor, trainee)
    session = services.start_session(supervisor, _data([trainee]))
    services.submit_session(session, _data([trainee], cases=[_case(risk="imminent")]), supervisor)
    assert db_session.scalar(sa.select(Notification.user_id).where(
        Notification.kind == "supervision.high_risk_case")) == admin.id


def test_a_low_wellbeing_score_opens_a_follow_up_for_the_supervisor(team, db_session):
    from app.supervision import services
    from app.supervision.models import ActionItem

    rosa, juana = team["trainees"][:2]
    session = services.start_session(team["supervisor"], _data([rosa, juana]))
    services.submit_session(session, _data([rosa, juana], wellbeing={rosa.id: (4, "Cansada"), juana.id: (5, None)}),
                            team["supervisor"])
    items = db_session.scalars(sa.select(ActionItem).where(ActionItem.session_id == session.id)).all()
    assert [(i.is_wellbeing_followup, i.about_id, i.owner_id) for i in items] == [(True, rosa.id, team["supervisor"].id)]
    assert items[0].due_on == (session.started_at + timedelta(days=7)).date()
    # The threshold is the organisation's: at 5, Juana too (once, however often the record is saved).
    team["org"].wellbeing_followup_score = 5
    data = _data([rosa, juana], wellbeing={rosa.id: (4, "Cansada"), juana.id: (5, "Igual")})
    services.update_submitted(session, data, team["supervisor"])
    services.update_submitted(session, _data([rosa, juana], wellbeing={rosa.id: (3, "Cansada"), juana.id: (5, "Igual")}),
                              team["supervisor"])
    about = sorted(i.about_id for i in db_session.scalars(sa.select(ActionItem).where(ActionItem.is_wellbeing_followup)))
    assert about == sorted([rosa.id, juana.id])


def test_overdue_counts_from_the_last_session_or_the_assignment():
    from app.supervision.queries import is_overdue

    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert is_overdue(now - timedelta(days=15), now - timedelta(days=100), now, 14)
    assert not is_overdue(now - timedelta(days=14), now - timedelta(days=100), now, 14)
    assert not is_overdue(None, now - timedelta(days=3), now, 14)  # newly assigned: not yet due
    assert is_overdue(None, now - timedelta(days=20), now, 14)


def test_overview_marks_overdue_and_sums_hours(team, db_session):
    from app.supervision import queries, services
    from app.orgs.models import SupervisorAssignment

    rosa, juana, pedro = team["trainees"]
    for row in db_session.scalars(sa.select(SupervisorAssignment)):
        row.created_at = datetime.now(timezone.utc) - timedelta(days=60)
    recent = services.start_session(team["supervisor"], _data([rosa, juana], duration_minutes=90))
    services.submit_session(recent, _data([rosa, juana], duration_minutes=90), team["supervisor"])
    old = datetime.now(timezone.utc) - timedelta(days=40)
    earlier = services.start_session(team["supervisor"], _data([pedro], started_at=old))
    services.submit_session(earlier, _data([pedro], started_at=old, cases=[_case(risk="high")]), team["supervisor"])
    rows = {r.trainee.id: r for r in queries.supervisee_overview(team["supervisor"])}
    assert (rows[rosa.id].hours_30, rows[rosa.id].hours_90, rows[rosa.id].overdue) == (1.5, 1.5, False)
    assert (rows[pedro.id].hours_30, rows[pedro.id].hours_90, rows[pedro.id].overdue) == (0, 1.0, True)
    assert rows[pedro.id].high_risk_cases == 1 and rows[pedro.id].open_harm_flags == 0
    team["org"].supervision_overdue_days = 60
    assert not {r.trainee.id: r for r in queries.supervisee_overview(team["supervisor"])}[pedro.id].overdue


def test_overview_counts_open_action_items_for_whom_they_are_about(team, db_session):
    """An item counts for the supervisee it is about, else for its owner; done items and drafts do not count."""
    from app.supervision import queries, services
    from app.supervision.models import ActionItem

    rosa, juana, pedro = team["trainees"]
    due = datetime.now(timezone.utc).date() + timedelta(days=7)
    actions = [services.ActionData("Practicar la respiración lenta", rosa.id, due),
               services.ActionData("Repasar el plan de seguridad", rosa.id, due),
               services.ActionData("Enviar la lista de referencias", team["supervisor"].id, due)]
    data = _data([rosa, juana], actions=actions, wellbeing={juana.id: (3, "Cansada")})
    session = services.start_session(team["supervisor"], data)
    services.submit_session(session, data, team["supervisor"])
    draft = _data([pedro], actions=[services.ActionData("Llamar a la clínica", pedro.id, due)])
    services.start_session(team["supervisor"], draft)
    done = db_session.scalar(sa.select(ActionItem).where(ActionItem.description == "Repasar el plan de seguridad"))
    services.set_action_status(done, True, team["supervisor"])
    rows = {r.trainee.id: r.open_actions for r in queries.supervisee_overview(team["supervisor"])}
    assert rows == {rosa.id: 1, juana.id: 1, pedro.id: 0}  # Juana's: the supervisor's follow-up about her


def test_acknowledgement_then_an_edit_is_audited_and_asks_again(team, db_session):
    from app.core.audit import AuditEvent
    from app.supervision import services
    from app.supervision.models import SessionRevision

    rosa = team["trainees"][0]
    session = services.start_session(team["supervisor"], _data([rosa], notes="Primera versión"))
    services.submit_session(session, _data([rosa], notes="Primera versión"), team["supervisor"])
    assert services.acknowledge(session, rosa) and not services.acknowledge(session, rosa)
    services.update_submitted(session, _data([rosa], notes="Segunda versión", duration_minutes=45), team["supervisor"])
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "supervision.session.updated"))
    assert event.before["duration_minutes"] == 60 and event.after["duration_minutes"] == 45
    assert event.before["acknowledged_by"] == [rosa.id]
    assert "Primera" not in str(event.before) and "Segunda" not in str(event.after)  # notes stay out of the audit log
    revision = db_session.scalar(sa.select(SessionRevision).where(SessionRevision.session_id == session.id))
    assert revision.was_acknowledged and revision.before["notes"] == "Primera versión"
    assert revision.after["notes"] == "Segunda versión"
    assert session.attendees[0].acknowledged_at is None


def test_reminders_for_action_items_are_sent_once(team, db_session):
    from app.notifications.models import Notification
    from app.supervision import alerts, services
    from app.supervision.queries import local_today
    from app.supervision.services import ActionData

    rosa = team["trainees"][0]
    today = local_today()
    actions = [ActionData("Revisar el plan de seguridad", rosa.id, today + timedelta(days=1)),
               ActionData("Leer el módulo 3", rosa.id, today - timedelta(days=2)),
               ActionData("Más adelante", rosa.id, today + timedelta(days=20))]
    session = services.start_session(team["supervisor"], _data([rosa]))
    services.submit_session(session, _data([rosa], actions=actions), team["supervisor"])
    assert alerts.send_reminders(alerts.due_reminders(today)) == 2
    assert alerts.send_reminders(alerts.due_reminders(today)) == 0
    kinds = sorted(db_session.scalars(sa.select(Notification.kind).where(Notification.user_id == rosa.id,
                                                                        Notification.kind.like("%action%"))))
    assert kinds == ["supervision.action_due_soon", "supervision.action_overdue"]

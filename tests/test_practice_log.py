"""Trainees log the sessions they deliver: client codes, drafts, privacy warnings, risk notifications."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import post_form


@pytest.fixture
def people(make_user, make_cohort, assign_supervisor):
    trainee = make_user("trainee", full_name="Rosa Vázquez")
    supervisor = make_user("supervisor", full_name="Julio Pérez")
    make_cohort(members={"trainee": [trainee], "supervisor": [supervisor]})
    assign_supervisor(supervisor, trainee)
    return {"trainee": trainee, "supervisor": supervisor}


def session_form(**overrides) -> dict:
    """A complete PM+ session 1, as the trainee would type it."""
    data = {"client_code": "ch-0123", "intervention": "pm_plus", "session_number": "1",
            "delivered_on": (date.today() - timedelta(days=1)).isoformat(), "duration_minutes": "90",
            "mode": "home_visit", "risk_flags": "none", "outcome_before": "14", "notes": "Practised slow breathing.",
            "submit": "1"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def entries(db_session):
    from app.practice.models import PracticeEntry

    return list(db_session.scalars(sa.select(PracticeEntry).order_by(PracticeEntry.id)))


def test_trainee_logs_a_session_and_sees_it_in_my_practice(client, login, people, db_session):
    from app.core.audit import AuditEvent
    from app.practice.models import EntryStatus

    login(people["trainee"])
    response = post_form(client, "/practice/entries/new", session_form(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sent to your supervisor." in html
    [entry] = entries(db_session)
    assert entry.status == EntryStatus.SUBMITTED and entry.case.client_code == "CH-0123"
    assert entry.risk_flags == [] and entry.has_risk_flag is False and entry.outcome_before == 14
    assert db_session.scalar(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "PracticeEntry", AuditEvent.object_id == str(entry.id))) == "practice.entry_created"
    page = client.get("/practice").get_data(as_text=True)
    assert "CH-0123" in page and "1 of 5" in page and "Waiting for verification" in page


@pytest.mark.parametrize("code", ["Maria Lopez", "MARIA", "ch 0123 x?", "ABCDEFGHIJK-1"])
def test_a_name_is_refused_as_client_code(client, login, people, db_session, code):
    login(people["trainee"])
    response = post_form(client, "/practice/entries/new", session_form(client_code=code))
    assert response.status_code == 422
    assert "Use a client code, never a name" in response.get_data(as_text=True)
    assert entries(db_session) == []


def test_submitting_needs_every_field_but_a_draft_does_not(client, login, people, db_session):
    from app.practice.models import EntryStatus

    login(people["trainee"])
    partial = session_form(session_number="", delivered_on="", duration_minutes="", mode=None, risk_flags=None)
    response = post_form(client, "/practice/entries/new", partial)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter the session number.", "Enter the date of the session",
                    "Enter how many minutes", "Choose how the session was delivered.", "or “No risk seen”"):
        assert message in html
    assert "Nothing you typed has been lost." in html and 'value="CH-0123"' in html
    assert entries(db_session) == []

    partial.pop("submit")
    response = post_form(client, "/practice/entries/new", {**partial, "save_draft": "1"}, follow_redirects=True)
    assert "Draft saved. Only you can see it." in response.get_data(as_text=True)
    [entry] = entries(db_session)
    assert entry.status == EntryStatus.DRAFT and entry.notes == "Practised slow breathing."

    # The draft is finished later and sent.
    response = post_form(client, f"/practice/entries/{entry.id}/edit", session_form(), follow_redirects=True)
    assert "Sent to your supervisor." in response.get_data(as_text=True)
    db_session.refresh(entry)
    assert entry.status == EntryStatus.SUBMITTED and entry.mode.value == "home_visit"


def test_a_future_date_and_a_repeated_session_are_refused(client, login, people, db_session):
    login(people["trainee"])
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = post_form(client, "/practice/entries/new", session_form(delivered_on=tomorrow))
    assert response.status_code == 422 and "cannot be in the future" in response.get_data(as_text=True)
    assert post_form(client, "/practice/entries/new", session_form()).status_code == 302
    response = post_form(client, "/practice/entries/new", session_form())
    assert response.status_code == 422
    assert "Session 1 of this client is already in your log." in response.get_data(as_text=True)
    assert len(entries(db_session)) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"outcome_before": "21"}, "Number must be between 0 and 20."),
    ({"custom_measure_name": "PHQ-9"}, "Give both the name of the measure and its value, or neither."),
    ({"risk_flags": ["none", "violence"], "risk_action": "Safety plan"}, "not both"),
    ({"intervention": "other"}, "Say which intervention you delivered."),
])
def test_inconsistent_answers_are_explained(client, login, people, db_session, overrides, message):
    login(people["trainee"])
    response = post_form(client, "/practice/entries/new", session_form(**overrides))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert entries(db_session) == []


def test_a_name_or_phone_in_the_notes_warns_until_the_trainee_confirms(client, login, people, db_session):
    login(people["trainee"])
    form = session_form(notes="Visité a Juana Pérez, su teléfono es 961 123 4567.")
    response = post_form(client, "/practice/entries/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Some text may identify the client." in html
    assert "This looks like a name: “Juana Pérez”." in html
    assert "This looks like a phone number: “961 123 4567”." in html
    assert entries(db_session) == []

    response = post_form(client, "/practice/entries/new", session_form(notes="Visité a la clienta en su casa."))
    assert response.status_code == 302
    response = post_form(client, "/practice/entries/new", {**form, "session_number": "2", "no_identifiers": "y"})
    assert response.status_code == 302 and len(entries(db_session)) == 2


def test_a_risk_flag_notifies_the_supervisor_at_once(app, client, login, people, make_user, db_session):
    from app.notifications.catalogue import render
    from app.notifications.models import Notification

    bystander = make_user("supervisor")
    login(people["trainee"])
    no_action = session_form(risk_flags=["suicidal_thoughts"])
    response = post_form(client, "/practice/entries/new", no_action)
    assert response.status_code == 422 and "Say what you did about the risk" in response.get_data(as_text=True)

    flagged = session_form(risk_flags=["suicidal_thoughts", "violence"], risk_action="Safety plan; called the supervisor.")
    response = post_form(client, "/practice/entries/new", flagged, follow_redirects=True)
    assert "Your supervisor has been told about the risk now." in response.get_data(as_text=True)
    [entry] = entries(db_session)
    assert entry.has_risk_flag and entry.risk_flags == ["suicidal_thoughts", "violence"]
    [notice] = db_session.scalars(sa.select(Notification).where(Notification.kind == "practice.risk_flagged"))
    assert notice.user_id == people["supervisor"].id and notice.is_urgent
    assert notice.url == f"/practice/entries/{entry.id}"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = render(notice.kind, notice.params)
    assert "Rosa Vázquez" in text and "Suicidal thoughts, Violence" in text and "CH-0123" in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == bystander.id)) == 0


def test_a_draft_with_a_risk_notifies_no_one_until_it_is_sent(client, login, people, db_session):
    from app.notifications.models import Notification

    login(people["trainee"])
    draft = session_form(risk_flags=["child_protection"], risk_action="Told the DIF", submit=None, save_draft="1")
    assert post_form(client, "/practice/entries/new", draft).status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    [entry] = entries(db_session)
    assert post_form(client, f"/practice/entries/{entry.id}/edit",
                     session_form(risk_flags=["child_protection"], risk_action="Told the DIF")).status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_a_draft_is_private_and_can_be_discarded(client, app, login, people, db_session):
    from app.practice.models import PracticeCase

    login(people["trainee"])
    post_form(client, "/practice/entries/new", session_form(submit=None, save_draft="1"))
    [entry] = entries(db_session)
    supervisor = app.test_client()
    login(people["supervisor"], c=supervisor)
    assert supervisor.get(f"/practice/entries/{entry.id}").status_code == 404
    assert "CH-0123" not in supervisor.get("/practice/verify").get_data(as_text=True)
    response = post_form(client, f"/practice/entries/{entry.id}/discard", follow_redirects=True)
    assert "Draft discarded." in response.get_data(as_text=True)
    assert entries(db_session) == [] and db_session.scalar(sa.select(PracticeCase)) is None


def test_log_the_next_session_from_a_case_fills_in_the_client(client, login, people, db_session):
    login(people["trainee"])
    post_form(client, "/practice/entries/new", session_form())
    [entry] = entries(db_session)
    case_page = client.get(f"/practice/cases/{entry.case_id}").get_data(as_text=True)
    assert "Session 5" in case_page and "Not logged yet" in case_page
    html = client.get(f"/practice/entries/new?practice_case_id={entry.case_id}").get_data(as_text=True)
    assert 'value="CH-0123"' in html and 'name="session_number" type="number" value="2"' in html


def test_a_draft_is_saved_as_it_is_typed(client, login, people, db_session):
    from app.practice.models import EntryStatus

    login(people["trainee"])
    post_form(client, "/practice/entries/new", session_form(submit=None, save_draft="1", notes=None))
    [entry] = entries(db_session)
    page = client.get(f"/practice/entries/{entry.id}/edit").get_data(as_text=True)
    assert f'data-draft-url="/practice/entries/{entry.id}/autosave"' in page and "js/draft.js" in page
    response = post_form(client, f"/practice/entries/{entry.id}/autosave",
                         session_form(submit=None, notes="Habló con Juana Pérez."))
    assert response.status_code == 200 and response.json["saved"] is True
    assert "This looks like a name: “Juana Pérez”." in response.json["messages"]
    db_session.refresh(entry)
    assert entry.status == EntryStatus.DRAFT and entry.notes == "Habló con Juana Pérez."

    bad = post_form(client, f"/practice/entries/{entry.id}/autosave", session_form(client_code="Juana"))
    assert bad.status_code == 422 and bad.json["saved"] is False
    post_form(client, f"/practice/entries/{entry.id}/edit", session_form(no_identifiers="y"))
    db_session.refresh(entry)
    assert entry.status == EntryStatus.SUBMITTED
    assert post_form(client, f"/practice/entries/{entry.id}/autosave", session_form()).status_code == 409

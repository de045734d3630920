"""Supervision pages as people use them: a supervisor logs a session, a supervisee acknowledges it,
a clinical lead reads it (audited), trainers see hours without notes, CSV exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, post_form


@pytest.fixture
def login(client):
    """Sign in as this person, signing out whoever was signed in before."""
    from tests.factories import PASSWORD

    def do_login(user):
        post_form(client, "/logout")
        response = post_form(client, "/login", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def team(make_user, make_cohort, assign_supervisor, org):
    supervisor = make_user("supervisor", full_name="Julio Pérez Aguilar")
    other_supervisor = make_user("supervisor")
    rosa = make_user("trainee", full_name="Rosa Vázquez", site_id=org.sites[0].id)
    juana = make_user("trainee", full_name="Juana Díaz", site_id=org.sites[0].id)
    cohort = make_cohort(name="PM+ Sierra", members={"trainee": [rosa, juana], "supervisor": [supervisor]})
    assign_supervisor(supervisor, rosa, cohort)
    assign_supervisor(supervisor, juana, cohort)
    return {"supervisor": supervisor, "other_supervisor": other_supervisor, "rosa": rosa, "juana": juana,
            "cohort": cohort, "lead": make_user("clinical_lead"), "trainer": make_user("trainer"),
            "admin": make_user("admin"), "org": org}


def _who(team, **changes) -> dict:
    data = {"supervisee_ids": [str(team["rosa"].id), str(team["juana"].id)], "format": "group",
            "modality": "in_person", "held_on": (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat(),
            "starts_at": "10:00", "duration_minutes": "90", "site_id": "0"}
    data.update(changes)
    return data


def _record(team, **changes) -> dict:
    data = {**_who(team), "topics": ["case_review", "risk"], "notes": "Revisamos dos casos.",
            f"wellbeing_score_{team['rosa'].id}": "3", f"wellbeing_note_{team['rosa'].id}": "Muy cansada.",
            f"wellbeing_score_{team['juana'].id}": "8", f"wellbeing_note_{team['juana'].id}": "",
            "cases-0-supervisee_id": str(team["rosa"].id), "cases-0-client_code": "ch-014",
            "cases-0-intervention": "pm_plus", "cases-0-session_number": "3", "cases-0-summary": "Insomnio.",
            "cases-0-risk_level": "high", "cases-0-action_taken": "Plan de seguridad.", "cases-0-referral": "",
            "cases-1-supervisee_id": str(team["juana"].id), "cases-1-client_code": "CH-020",
            "cases-1-intervention": "pfa", "cases-1-session_number": "", "cases-1-summary": "Duelo.",
            "cases-1-risk_level": "low", "cases-1-action_taken": "", "cases-1-referral": "",
            "actions-0-description": "Leer el módulo de riesgo", "actions-0-owner_id": str(team["juana"].id),
            "actions-0-due_on": "", "assessment_id": "0"}
    data.update(changes)
    return data


def _start(client, login, team) -> int:
    login(team["supervisor"])
    response = post_form(client, "/supervision/sessions/new", _who(team))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].split("/")[-2])


def _submitted(client, login, team, **changes) -> int:
    session_id = _start(client, login, team)
    response = post_form(client, f"/supervision/sessions/{session_id}/edit", {**_record(team, **changes), "submit": "1"})
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True))
    return session_id


@pytest.mark.parametrize("local_hour", [1, 11, 15, 23])
def test_a_session_held_today_without_a_start_time_can_be_logged_at_any_hour(app, client, login, team,
                                                                             monkeypatch, local_hour):
    """Before noon local time, "today at midday" is still in the future: the form must not refuse it."""
    from app.supervision import queries
    from app.supervision.models import SupervisionSession

    now = datetime.now(timezone.utc)
    here = timezone(timedelta(hours=local_hour - now.hour, minutes=-now.minute))  # local time is local_hour:00
    monkeypatch.setattr(queries, "zone", lambda: here)
    today = datetime.now(here).date()
    login(team["supervisor"])
    response = post_form(client, "/supervision/sessions/new", _who(team, held_on=today.isoformat(), starts_at=""))
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True))
    session = app.extensions["sqlalchemy"].session.get(SupervisionSession, int(response.headers["Location"].split("/")[-2]))
    assert session.started_at <= datetime.now(timezone.utc) and session.started_at.astimezone(here).date() == today


def test_a_supervisor_logs_a_group_session_from_draft_to_submitted(client, login, team, db_session):
    from app.notifications.models import Notification
    from app.supervision.models import ActionItem, SupervisionSession

    session_id = _start(client, login, team)
    page = client.get(f"/supervision/sessions/{session_id}/edit").get_data(as_text=True)
    assert "Supervision record (draft)" in page and "Rosa Vázquez" in page and 'data-draft-url="' in page
    # Without JavaScript: Save draft keeps unfinished work (no client code yet).
    saved = post_form(client, f"/supervision/sessions/{session_id}/edit",
                      {**_record(team, **{"cases-0-client_code": "", "cases-0-risk_level": "none"}), "save_draft": "1"},
                      follow_redirects=True)
    assert "Draft saved." in saved.get_data(as_text=True)
    response = post_form(client, f"/supervision/sessions/{session_id}/edit", {**_record(team), "submit": "1"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "The supervision record has been saved." in html
    assert "The clinical lead has been alerted" in html and "CH-014" in html and "Insomnio." in html
    session = db_session.get(SupervisionSession, session_id)
    assert not session.is_draft and [c.client_code for c in session.cases] == ["CH-014", "CH-020"]
    assert {a.supervisee_id: a.wellbeing_score for a in session.attendees} == {team["rosa"].id: 3, team["juana"].id: 8}
    items = db_session.scalars(sa.select(ActionItem).where(ActionItem.session_id == session_id)
                               .order_by(ActionItem.id)).all()
    assert [(i.is_wellbeing_followup, i.owner_id) for i in items] == [
        (False, team["juana"].id), (True, team["supervisor"].id)]
    kinds = set(db_session.scalars(sa.select(Notification.kind)))
    assert {"supervision.high_risk_case", "supervision.acknowledge"} <= kinds


def test_an_invalid_client_code_is_shown_and_a_name_only_warns(client, login, team, db_session):
    session_id = _start(client, login, team)
    bad = post_form(client, f"/supervision/sessions/{session_id}/edit",
                    {**_record(team, **{"cases-0-client_code": "Rosa López"}), "submit": "1"})
    assert bad.status_code == 422 and "Never a name." in bad.get_data(as_text=True)
    warned = post_form(client, f"/supervision/sessions/{session_id}/edit",
                       {**_record(team, **{"cases-1-summary": "Su vecina Carmen Ruiz la acompaña. Tel 961 555 0199"}),
                        "submit": "1"}, follow_redirects=True)
    html = warned.get_data(as_text=True)
    assert "The supervision record has been saved." in html
    assert "Check Case 2, summary: it may hold a name" in html and "961 555 0199" in html


def test_adding_a_case_without_javascript_saves_and_shows_another_row(client, login, team):
    session_id = _start(client, login, team)
    response = post_form(client, f"/supervision/sessions/{session_id}/edit", {**_record(team), "add_case": "1"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Case 3" in html and 'value="CH-014"' in html


def test_autosave_answers_json_and_keeps_the_draft(client, login, team, db_session):
    from app.supervision.models import SupervisionSession

    session_id = _start(client, login, team)
    token = csrf_token(client, f"/supervision/sessions/{session_id}/edit")
    data = _record(team, notes="Hablamos con Juan Pérez.")
    response = client.post(f"/supervision/sessions/{session_id}/autosave", data=data, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["saved"] is True
    assert any("Juan Pérez" in m for m in response.json["messages"])
    assert db_session.get(SupervisionSession, session_id).notes == "Hablamos con Juan Pérez."
    refused = client.post(f"/supervision/sessions/{session_id}/autosave", data={**data, "duration_minutes": "abc"},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 422 and refused.json["saved"] is False
    assert client.post(f"/supervision/sessions/{session_id}/autosave", data=data).status_code == 400  # no CSRF


def test_who_may_open_a_session(client, login, team, make_user, make_org):
    session_id = _submitted(client, login, team)
    outsider = make_user("admin", organisation=make_org())
    expected = {"supervisor": 200, "rosa": 200, "lead": 200, "other_supervisor": 403, "trainer": 403, "admin": 403}
    for who, status in expected.items():
        login(team[who])
        assert client.get(f"/supervision/sessions/{session_id}").status_code == status, who
        assert client.get(f"/supervision/sessions/{session_id}/edit").status_code == (
            200 if who == "supervisor" else 403), who
    login(outsider)
    assert client.get(f"/supervision/sessions/{session_id}").status_code == 404


def test_a_trainee_outside_the_session_cannot_read_it(client, login, team, make_user, assign_supervisor):
    session_id = _submitted(client, login, team, supervisee_ids=[str(team["rosa"].id)], format="individual",
                            **{"cases-1-supervisee_id": "0", "cases-0-supervisee_id": "0",
                               "actions-0-owner_id": str(team["rosa"].id)})
    login(team["juana"])
    assert client.get(f"/supervision/sessions/{session_id}").status_code == 403


def test_the_supervisee_acknowledges_and_reads_their_history(client, login, team, db_session):
    from app.core.audit import AuditEvent

    session_id = _submitted(client, login, team)
    login(team["rosa"])
    mine = client.get("/supervision/mine").get_data(as_text=True)
    assert "Please acknowledge" in mine and "CH-014" in mine and "Leer el módulo" not in mine
    response = post_form(client, f"/supervision/sessions/{session_id}/acknowledge", follow_redirects=True)
    assert "You have acknowledged this supervision record." in response.get_data(as_text=True)
    assert "You acknowledged this record on" in client.get(f"/supervision/sessions/{session_id}").get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "supervision.notes.read")) == 0  # the supervisee's own reading is not a third party's


def test_an_edit_after_acknowledgement_is_audited_and_shown(client, login, team, db_session):
    from app.core.audit import AuditEvent

    session_id = _submitted(client, login, team)
    login(team["rosa"])
    post_form(client, f"/supervision/sessions/{session_id}/acknowledge")
    login(team["supervisor"])
    response = post_form(client, f"/supervision/sessions/{session_id}/edit",
                         {**_record(team, duration_minutes="60", notes="Notas corregidas."), "save": "1"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Changes after submission" in html and "after it was acknowledged" in html
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "supervision.session.updated"))
    assert event.before["duration_minutes"] == 90 and event.after["duration_minutes"] == 60
    assert event.before["acknowledged_by"] == [team["rosa"].id]
    login(team["rosa"])
    assert "Please read this record" in client.get(f"/supervision/sessions/{session_id}").get_data(as_text=True)


def test_a_clinical_leads_reading_is_audited(client, login, team, db_session):
    from app.core.audit import AuditEvent

    session_id = _submitted(client, login, team)
    login(team["lead"])
    assert "Insomnio." in client.get(f"/supervision/sessions/{session_id}").get_data(as_text=True)
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "supervision.notes.read"))
    assert event.actor_id == team["lead"].id and event.object_id == str(session_id)


def test_trainers_see_hours_by_site_and_cohort_without_notes(client, login, team):
    _submitted(client, login, team)
    login(team["trainer"])
    html = client.get("/supervision/coverage").get_data(as_text=True)
    assert "PM+ Sierra" in html and team["org"].sites[0].name in html
    assert "3.0" in html  # two trainees × 1.5 h received
    assert "Insomnio" not in html and "Revisamos" not in html and "with notes" not in html


def test_coverage_counts_supervised_trainees_and_overdue(team, client, login):
    from app.supervision import queries

    _submitted(client, login, team)
    by_site, by_cohort, total = queries.coverage(team["org"].id, 30)
    cohort = next(r for r in by_cohort if r.label == "PM+ Sierra")
    assert (cohort.trainees, cohort.supervised, cohort.minutes, cohort.overdue) == (2, 2, 180, 0)
    site = next(r for r in by_site if r.label == team["org"].sites[0].name)
    assert (site.trainees, site.supervised, site.minutes) == (2, 2, 180)


def _rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "UTF-8 BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_exports_leave_out_notes_and_neutralise_formulas(client, login, team, db_session):
    from app.core.audit import AuditEvent

    _submitted(client, login, team, notes="=HYPERLINK(\"http://x\")", **{"cases-1-summary": "+1 ver"})
    login(team["trainer"])
    sessions = _rows(client.get("/supervision/export/sessions.csv?days=30"))
    assert "Notes" not in sessions[0] and len(sessions) == 2 and "HYPERLINK" not in str(sessions)
    cases = _rows(client.get("/supervision/export/cases.csv"))
    assert [row[4] for row in cases[1:]] == ["CH-014", "CH-020"] and "Summary" not in cases[0]
    hours = _rows(client.get("/supervision/export/hours.csv"))
    assert ["Rosa Vázquez", team["rosa"].username] == hours[[r[0] for r in hours].index("Rosa Vázquez")][:2]
    assert client.get("/supervision/export/sessions.csv?notes=1").status_code == 403
    login(team["lead"])
    with_notes = _rows(client.get("/supervision/export/sessions.csv?notes=1"))
    assert with_notes[0][-1] == "Notes" and with_notes[1][-1] == "'=HYPERLINK(\"http://x\")"
    assert _rows(client.get("/supervision/export/cases.csv?notes=1"))[2][8] == "'+1 ver"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "supervision.notes.exported")) == 2


def test_my_supervisees_shows_overdue_hours_and_risk(client, login, team, db_session):
    from app.orgs.models import SupervisorAssignment

    for row in db_session.scalars(sa.select(SupervisorAssignment)):
        row.created_at = datetime.now(timezone.utc) - timedelta(days=30)
    db_session.flush()
    _submitted(client, login, team, supervisee_ids=[str(team["rosa"].id)], format="individual",
               **{"cases-1-supervisee_id": "0", "cases-0-supervisee_id": "0",
                               "actions-0-owner_id": str(team["rosa"].id)})
    html = client.get("/supervision/supervisees").get_data(as_text=True)
    assert "1 supervisee has had no supervision for more than 14 days." in html
    assert "1.5" in html and "CH-014" in html and "Overdue" in html
    home = client.get("/").get_data(as_text=True)
    assert "overdue for supervision" in home and "/supervision/supervisees" in home


def test_reminders_are_sent_lazily_on_the_next_visit(client, login, team, db_session):
    from app.notifications.models import Notification

    yesterday = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    _submitted(client, login, team, **{"actions-0-due_on": yesterday})
    login(team["juana"])
    client.get("/supervision/mine")
    client.get("/supervision/mine")
    assert db_session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == team["juana"].id, Notification.kind == "supervision.action_overdue")).all() == [
        "supervision.action_overdue"]


def test_the_owner_marks_an_action_item_done(client, login, team, db_session):
    from app.supervision.models import ActionItem, ActionStatus

    _submitted(client, login, team)
    item = db_session.scalar(sa.select(ActionItem).where(ActionItem.owner_id == team["juana"].id))
    login(team["rosa"])
    assert post_form(client, f"/supervision/actions/{item.id}/done").status_code == 403
    login(team["juana"])
    post_form(client, f"/supervision/actions/{item.id}/done", {"next": "/supervision/mine"})
    db_session.refresh(item)
    assert item.status == ActionStatus.DONE and item.done_by_id == team["juana"].id


def test_the_admin_sets_the_overdue_window(client, login, team, db_session):
    login(team["admin"])
    assert post_form(client, "/supervision/settings", {"overdue_days": "0", "followup_score": "4"}).status_code == 422
    response = post_form(client, "/supervision/settings", {"overdue_days": "21", "followup_score": "3"},
                         follow_redirects=True)
    assert "Supervision settings saved." in response.get_data(as_text=True)
    db_session.refresh(team["org"])
    assert (team["org"].supervision_overdue_days, team["org"].wellbeing_followup_score) == (21, 3)


def test_the_role_editor_offers_clinical_lead(client, login, team):
    login(team["admin"])
    page = client.get(f"/admin/users/{team['trainer'].id}/edit").get_data(as_text=True)
    assert 'value="clinical_lead"' in page and "Clinical lead" in page

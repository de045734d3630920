"""Supervisors verify or return entries; only verified sessions make a completed case; counts and exports."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import post_form


@pytest.fixture
def people(make_user, make_cohort, assign_supervisor):
    trainee = make_user("trainee", full_name="Rosa Vázquez")
    supervisor = make_user("supervisor", full_name="Julio Pérez")
    make_cohort(name="PM+ Sierra", members={"trainee": [trainee], "supervisor": [supervisor]})
    assign_supervisor(supervisor, trainee)
    return {"trainee": trainee, "supervisor": supervisor}


@pytest.fixture
def log(db_session):
    """Entries made through the service, as a trainee's submissions would be."""
    from app.practice import services
    from app.practice.models import DeliveryMode, Intervention

    def make(trainee, number: int, code: str = "CH-0123", submit: bool = True, intervention=Intervention.PM_PLUS,
             **fields):
        data = services.EntryData(client_code=code, intervention=intervention, session_number=number,
                                  delivered_on=date.today() - timedelta(days=30 - number), duration_minutes=60,
                                  mode=DeliveryMode.CLINIC, notes=fields.pop("notes", None),
                                  risk_flags=fields.pop("risk_flags", ["none"]), **fields)
        return services.save_entry(trainee, data, submit=submit, today=date.today())

    return make


@pytest.fixture
def supervisor_client(app, login, people):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return login(people["supervisor"], c=c)


def verify(entries, supervisor):
    from app.practice import services
    from app.practice.models import ReviewDecision

    for entry in entries:
        services.review_entry(entry, supervisor, ReviewDecision.VERIFIED, None)


def test_supervisor_verifies_from_the_queue(supervisor_client, people, log, db_session):
    from app.core.audit import AuditEvent
    from app.practice.models import EntryStatus

    entry = log(people["trainee"], 1, notes="Slow breathing went well.")
    queue = supervisor_client.get("/practice/verify").get_data(as_text=True)
    assert "1 session waiting" in queue and "Rosa Vázquez" in queue and "CH-0123" in queue
    page = supervisor_client.get(f"/practice/entries/{entry.id}").get_data(as_text=True)
    assert "Slow breathing went well." in page and "Your review" in page
    response = post_form(supervisor_client, f"/practice/entries/{entry.id}/review", {"comment": "", "verify": "1"},
                         follow_redirects=True)
    assert "Entry verified." in response.get_data(as_text=True)
    assert "Nothing is waiting for you." in response.get_data(as_text=True)
    db_session.refresh(entry)
    assert entry.status == EntryStatus.VERIFIED and entry.reviewed_by_id == people["supervisor"].id
    assert db_session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "practice.entry_verified"))


def test_a_returned_entry_is_corrected_and_resubmitted(client, login, supervisor_client, people, log, db_session):
    from app.notifications.models import Notification
    from app.practice.models import EntryStatus

    entry = log(people["trainee"], 1)
    response = post_form(supervisor_client, f"/practice/entries/{entry.id}/review", {"comment": "", "send_back": "1"})
    assert response.status_code == 422 and "Say what the trainee should correct." in response.get_data(as_text=True)
    post_form(supervisor_client, f"/practice/entries/{entry.id}/review",
              {"comment": "The session lasted 90 minutes, not 60.", "send_back": "1"})
    db_session.refresh(entry)
    assert entry.status == EntryStatus.RETURNED
    assert db_session.scalar(sa.select(Notification.user_id).where(Notification.kind == "practice.entry_returned")) \
        == people["trainee"].id

    login(people["trainee"])
    mine = client.get("/practice").get_data(as_text=True)
    assert "To finish" in mine and "The session lasted 90 minutes, not 60." in mine
    form = client.get(f"/practice/entries/{entry.id}/edit").get_data(as_text=True)
    assert "Your supervisor returned this entry:" in form and 'value="60"' in form
    response = post_form(client, f"/practice/entries/{entry.id}/edit", {
        "client_code": "CH-0123", "intervention": "pm_plus", "session_number": "1",
        "delivered_on": entry.delivered_on.isoformat(), "duration_minutes": "90", "mode": "clinic",
        "risk_flags": "none", "submit": "1"}, follow_redirects=True)
    assert "Sent to your supervisor." in response.get_data(as_text=True)
    db_session.refresh(entry)
    assert entry.status == EntryStatus.SUBMITTED and entry.duration_minutes == 90
    assert [r.decision.value for r in entry.reviews] == ["returned"]


def test_a_verified_entry_is_locked_until_the_supervisor_reopens_it(client, login, supervisor_client, people, log,
                                                                    db_session):
    from app.core.audit import AuditEvent
    from app.practice.models import EntryStatus

    entry = log(people["trainee"], 1)
    verify([entry], people["supervisor"])
    login(people["trainee"])
    assert "Verified entries are locked." in client.get(f"/practice/entries/{entry.id}").get_data(as_text=True)
    assert client.get(f"/practice/entries/{entry.id}/edit").status_code == 403
    assert post_form(client, f"/practice/entries/{entry.id}/edit", {"client_code": "CH-0123"}).status_code == 403

    post_form(supervisor_client, f"/practice/entries/{entry.id}/review",
              {"comment": "Please add the PSYCHLOPS score.", "send_back": "1"})
    db_session.refresh(entry)
    assert entry.status == EntryStatus.RETURNED
    assert db_session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "practice.entry_reopened"))
    assert client.get(f"/practice/entries/{entry.id}/edit").status_code == 200


def test_only_verified_sessions_with_a_post_assessment_complete_a_pm_plus_case(people, log, db_session):
    from app.practice.queries import my_cases, verified_completed_cases

    trainee = people["trainee"]
    first = [log(trainee, n, outcome_before=15 if n == 1 else None) for n in range(1, 5)]
    assert verified_completed_cases(trainee.id, "pm_plus") == 0
    last = log(trainee, 5)
    [case] = my_cases(trainee)
    assert not case.is_completed, "five sessions but no post-assessment"
    last.outcome_after = 6
    db_session.flush()
    [case] = my_cases(trainee)
    assert case.is_completed and not case.is_verified_completed
    assert case.psychlops.first == 15 and case.psychlops.last == 6 and case.psychlops.change == -9
    verify(first, people["supervisor"])
    assert verified_completed_cases(trainee.id, "pm_plus") == 0, "session 5 is not verified yet"
    verify([last], people["supervisor"])
    assert verified_completed_cases(trainee.id, "pm_plus") == 1
    assert verified_completed_cases(trainee.id, "pfa") == 0


def test_the_organisation_sets_how_many_sessions_complete_a_case(people, log, make_user, client, login, db_session):
    from app.practice.models import Intervention
    from app.practice.queries import verified_completed_cases

    trainee = people["trainee"]
    pfa = log(trainee, 1, code="L-042", intervention=Intervention.PFA)
    verify([pfa], people["supervisor"])
    assert verified_completed_cases(trainee.id, Intervention.PFA) == 1, "PFA: one session by default"

    login(make_user("admin"))
    response = post_form(client, "/practice/rules", {"intervention": "pfa", "required_sessions": "2"},
                         follow_redirects=True)
    assert "The rule has been saved." in response.get_data(as_text=True)
    assert verified_completed_cases(trainee.id, Intervention.PFA) == 0
    second = log(trainee, 2, code="L-042", intervention=Intervention.PFA)
    verify([second], people["supervisor"])
    assert verified_completed_cases(trainee.id, Intervention.PFA) == 1


def test_the_queue_lists_only_current_supervisees_and_risks_first(supervisor_client, people, make_user,
                                                                  assign_supervisor, log, db_session):
    other = make_user("trainee", full_name="Pedro Ramírez")
    log(other, 1, code="X-999")
    ended = make_user("trainee", full_name="José López")
    assignment = assign_supervisor(people["supervisor"], ended)
    log(ended, 1, code="E-555")
    from app.core.db import utcnow
    assignment.ended_at = utcnow()
    log(people["trainee"], 1)
    log(people["trainee"], 1, code="R-777", risk_flags=["violence"], risk_action="Referred to the clinic")
    db_session.flush()
    html = supervisor_client.get("/practice/verify").get_data(as_text=True)
    assert "2 sessions waiting" in html
    assert "X-999" not in html and "E-555" not in html
    assert html.index("R-777") < html.index("CH-0123")


def test_staff_see_counts_but_no_codes_or_notes(client, login, people, make_user, log, db_session):
    trainee = people["trainee"]
    entries = [log(trainee, n, notes="secreto clínico", outcome_after=5 if n == 5 else None) for n in range(1, 6)]
    verify(entries, people["supervisor"])
    log(trainee, 1, code="R-777", risk_flags=["violence"], risk_action="Referred")
    login(make_user("trainer"))
    html = client.get("/practice/counts").get_data(as_text=True)
    assert "PM+ Sierra" in html and "CH-0123" not in html and "secreto" not in html
    row = html[html.index("<th scope=\"row\">PM+ Sierra</th>"):].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split("<td>")[1:]] == ["1", "1", "1", "5", "0", "1", "1"]

    exported = client.get("/practice/counts/export.csv")
    assert exported.mimetype == "text/csv" and exported.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert len(rows) == 7 and "Notes" not in rows[0] and all("secreto" not in cell for r in rows for cell in r)
    cases = list(csv.reader(io.StringIO(client.get("/practice/counts/export.csv?what=cases").data.decode("utf-8-sig"))))
    assert ["Yes", "Yes"] == cases[1 + [r[2] for r in cases[1:]].index("CH-0123")][7:9]


def test_the_supervisor_export_has_notes_and_neutralises_formulas(supervisor_client, people, log):
    log(people["trainee"], 1, notes="=HYPERLINK(\"http://x\")")
    rows = list(csv.reader(io.StringIO(supervisor_client.get("/practice/verify/export.csv").data.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Notes", "Supervisor's comment"]
    assert rows[1][-2] == "'=HYPERLINK(\"http://x\")"


def test_another_trainee_cannot_read_an_entry_by_changing_the_id(client, login, people, make_user, make_org, log):
    entry = log(people["trainee"], 1)
    login(make_user("trainee"))
    assert client.get(f"/practice/entries/{entry.id}").status_code == 404
    assert client.get(f"/practice/cases/{entry.case_id}").status_code == 404
    assert client.get(f"/practice/entries/{entry.id}/edit").status_code == 404
    assert post_form(client, f"/practice/entries/{entry.id}/review", {"verify": "1"}).status_code == 404


def test_a_supervisor_who_is_also_the_trainee_cannot_verify_their_own_entry(people, make_user, assign_supervisor,
                                                                             log, client, login):
    both = make_user(["trainee", "supervisor"])
    assign_supervisor(both, both)
    entry = log(both, 1)
    login(both)
    assert post_form(client, f"/practice/entries/{entry.id}/review", {"verify": "1"}).status_code == 403

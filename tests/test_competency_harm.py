"""Harm flags: a Level 1 item raises one per item, notifies, opens a remediation plan; a later assessment clears it."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.competencies.harm import open_harm_flags
from app.competencies.models import HarmFlag, HarmFlagStatus, RemediationAction
from app.core.audit import AuditEvent
from app.notifications.models import Notification
from tests.conftest import post_form
from tests.rating_support import all_items, item_fields, pmp_tool, team  # noqa: F401  (fixtures)
from tests.smtp_server import SMTPReceiver
from tests.test_competency_assess import save, start


@pytest.fixture
def smtp(app, monkeypatch):
    with SMTPReceiver() as receiver:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", receiver.port)
        yield receiver


def rate(client, tool, trainee, levels):
    assessment_id = start(client, tool, trainee)
    response = save(client, assessment_id, {**item_fields(tool, levels), "submit_assessment": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return assessment_id


def test_a_level_one_item_raises_a_flag_notifies_and_opens_a_plan(client, login, team, pmp_tool, db_session, smtp):
    from app.training.queries import local_today

    login(team["supervisor"])
    harmful = pmp_tool.items[0]
    assessment_id = rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {harmful.code: 1})
    page = client.get(f"/competencies/assessments/{assessment_id}").get_data(as_text=True)
    assert "Harm flag open" in page and "a harm flag is open" in page

    flags = open_harm_flags(team["trainee"].id)
    assert [f.item_id for f in flags] == [harmful.id] and flags[0].raised_by_id == assessment_id
    assert flags[0].behaviour_codes == [b.code for b in harmful.behaviours if b.group.value == "harmful"][:1]
    (action,) = flags[0].actions
    assert action.owner_id == team["supervisor"].id and action.due_on == local_today() + timedelta(days=7)
    assert action.description == "Review the harmful behaviour with the trainee"

    # The trainer is told (in the app and by email); the supervisor who rated is not told about their own rating.
    rows = db_session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind, n.is_urgent) for n in rows] == [(team["trainer"].id, "harm_flag.raised", True)]
    assert rows[0].emailed_at is not None
    (mail,) = smtp.received
    assert mail.recipients == ["carmen@example.org"] and "Rosa Vázquez" in mail.body
    assert f"/competencies/flags/{flags[0].id}" in mail.body
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "harm_flag.raised"))

    # The supervisor sees it in the list and on its page, and works the plan.
    assert "Rosa Vázquez" in client.get("/competencies/flags").get_data(as_text=True)
    flag_page = client.get(f"/competencies/flags/{flags[0].id}").get_data(as_text=True)
    assert "blocks certification" in flag_page and "Review the harmful behaviour with the trainee" in flag_page
    added = post_form(client, f"/competencies/flags/{flags[0].id}/actions",
                      {"description": "Role play on risk questions", "owner_id": team["trainer"].id,
                       "due_on": "2026-11-02"})
    assert added.status_code == 302
    assert post_form(client, f"/competencies/flags/{flags[0].id}/actions", {"description": ""}).status_code == 422
    done = post_form(client, f"/competencies/flags/{flags[0].id}/actions/{action.id}/done")
    assert done.status_code == 302
    db_session.expire_all()
    actions = db_session.scalars(sa.select(RemediationAction).order_by(RemediationAction.id)).all()
    assert [(a.description, a.done_at is not None) for a in actions] == [
        ("Review the harmful behaviour with the trainee", True), ("Role play on risk questions", False)]
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "remediation.done"))


def test_a_later_assessment_without_harm_clears_the_flag(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    first, second = pmp_tool.items[:2]
    rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {first.code: 1, second.code: 1})
    assert len(open_harm_flags(team["trainee"].id)) == 2
    # Not observed does not clear; level 2 clears the first; the second is harmful again and stays open.
    later = rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {first.code: "na", second.code: 1})
    assert {f.item_id for f in open_harm_flags(team["trainee"].id)} == {first.id, second.id}
    latest = rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {first.code: 2, second.code: 1})
    db_session.expire_all()
    assert [f.item_id for f in open_harm_flags(team["trainee"].id)] == [second.id]
    cleared = db_session.scalar(sa.select(HarmFlag).where(HarmFlag.item_id == first.id))
    assert cleared.status == HarmFlagStatus.CLEARED and cleared.cleared_by_id == latest and cleared.cleared_at
    assert later != latest
    kinds = db_session.scalars(sa.select(Notification.kind).where(Notification.user_id == team["trainer"].id)
                               .order_by(Notification.id)).all()
    assert kinds == ["harm_flag.raised", "harm_flag.cleared"]  # one raise message for both items, then the clear
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "harm_flag.cleared"))
    assert event.before == {"status": "open"} and event.after["cleared_by"] == latest


def test_an_amendment_that_removes_the_harm_clears_its_flag(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    first = pmp_tool.items[0]
    original = rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {first.code: 1})
    response = post_form(client, f"/competencies/assessments/{original}/amend", {"reason": "Wrong item ticked."})
    amendment = int(response.headers["Location"].split("/")[-2])
    save(client, amendment, {**item_fields(pmp_tool, all_items(pmp_tool, 3)), "submit_assessment": "1"})
    db_session.expire_all()
    assert open_harm_flags(team["trainee"].id) == []
    flag = db_session.scalar(sa.select(HarmFlag))
    assert flag.cleared_by_id == amendment


def test_the_flag_pages_are_for_the_trainees_staff(client, app, login, team, pmp_tool, make_user, make_org, db_session):
    login(team["supervisor"])
    rate(client, pmp_tool, team["trainee"], all_items(pmp_tool, 3) | {pmp_tool.items[0].code: 1})
    flag = open_harm_flags(team["trainee"].id)[0]
    for person, expected in ((team["other_supervisor"], 403), (team["trainee"], 403),
                             (make_user("admin", organisation=make_org()), 404), (team["trainer"], 200)):
        other = app.test_client()
        login(person, c=other)
        assert other.get(f"/competencies/flags/{flag.id}").status_code == expected, person
    other = app.test_client()
    login(team["other_supervisor"], c=other)
    assert "No open harm flags." in other.get("/competencies/flags").get_data(as_text=True)

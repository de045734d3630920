"""Rating sessions: several raters rate one performance, blind to each other until they submit."""
from __future__ import annotations

import sqlalchemy as sa

from app.competencies.harm import open_harm_flags
from app.competencies.models import Assessment, HarmFlag, RatingSession
from app.notifications.models import Notification
from tests.conftest import post_form
from tests.rating_support import all_items, item_fields, pmp_tool, team  # noqa: F401  (fixtures)
from tests.test_competency_assess import save


def new_session(client, tool, raters, trainee=None, reference=None):
    response = post_form(client, "/competencies/sessions/new", {
        "title": "Calibración octubre", "tool_id": tool.id, "trainee_id": trainee.id if trainee else 0,
        "cohort_id": 0, "stage": "pre", "method": "recording", "scenario_id": 0,
        "rater_ids": [r.id for r in raters], "reference_rater_id": reference.id if reference else 0})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_each_rater_rates_blind_until_they_submit(client, app, login, team, pmp_tool, db_session):
    login(team["trainer"])
    raters = [team["supervisor"], team["other_supervisor"]]
    session_id = new_session(client, pmp_tool, raters, reference=team["supervisor"])
    session = db_session.get(RatingSession, session_id)
    assert session.trainee_id is None and session.scenario_id is not None
    drafts = {a.assessor_id: a for a in session.assessments}
    assert set(drafts) == {r.id for r in raters} and all(a.trainee_id is None for a in drafts.values())
    invited = db_session.scalars(sa.select(Notification.user_id).where(Notification.kind == "rating_session.invited"))
    assert set(invited) == {r.id for r in raters}

    first, second = app.test_client(), app.test_client()
    login(team["supervisor"], c=first)
    login(team["other_supervisor"], c=second)
    a, b = drafts[team["supervisor"].id], drafts[team["other_supervisor"].id]
    harmful = all_items(pmp_tool, 3) | {pmp_tool.items[0].code: 1}
    assert save(first, a.id, {**item_fields(pmp_tool, harmful), "submit_assessment": "1"}).status_code == 302
    assert second.get(f"/competencies/assessments/{a.id}").status_code == 403  # b has not submitted yet
    assert "Not submitted yet" in first.get(f"/competencies/sessions/{session_id}").get_data(as_text=True)
    assert save(second, b.id, {**item_fields(pmp_tool, all_items(pmp_tool, 3)), "submit_assessment": "1"}
                ).status_code == 302
    assert second.get(f"/competencies/assessments/{a.id}").status_code == 200
    assert first.get(f"/competencies/assessments/{b.id}").status_code == 200
    # An actor performance raises no harm flag: there is no trainee to flag.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HarmFlag)) == 0


def test_a_session_with_a_trainee_flags_but_another_rater_cannot_clear(client, app, login, team, pmp_tool,
                                                                         db_session):
    login(team["trainer"])
    session_id = new_session(client, pmp_tool, [team["supervisor"], team["other_supervisor"]], trainee=team["trainee"])
    drafts = {a.assessor_id: a.id for a in db_session.get(RatingSession, session_id).assessments}
    first, second = app.test_client(), app.test_client()
    login(team["supervisor"], c=first)
    login(team["other_supervisor"], c=second)
    item = pmp_tool.items[0]
    save(first, drafts[team["supervisor"].id], {**item_fields(pmp_tool, all_items(pmp_tool, 3) | {item.code: 1}),
                                                "submit_assessment": "1"})
    save(second, drafts[team["other_supervisor"].id], {**item_fields(pmp_tool, all_items(pmp_tool, 4)),
                                                       "submit_assessment": "1"})
    db_session.expire_all()
    assert [f.item_id for f in open_harm_flags(team["trainee"].id)] == [item.id]


def test_a_session_needs_two_raters_and_only_staff_create_one(client, app, login, team, pmp_tool, db_session):
    login(team["trainer"])
    response = post_form(client, "/competencies/sessions/new", {
        "title": "Solo", "tool_id": pmp_tool.id, "trainee_id": 0, "cohort_id": 0, "stage": "pre",
        "method": "recording", "scenario_id": 0, "rater_ids": [team["supervisor"].id], "reference_rater_id": 0})
    assert response.status_code == 422 and "Choose at least two raters." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    supervisor = app.test_client()
    login(team["supervisor"], c=supervisor)
    assert supervisor.get("/competencies/sessions/new").status_code == 403

"""Rating a trainee: start with a drawn scenario, save the draft (form and autosave), submit, amend."""
from __future__ import annotations

import re

import sqlalchemy as sa
from markupsafe import escape

from app.competencies.models import Assessment, AssessmentStatus, ItemRating
from app.core.audit import AuditEvent
from tests.conftest import csrf_token, post_form
from tests.rating_support import all_items, item_fields, pmp_tool, team  # noqa: F401  (fixtures)


def start(client, tool, trainee, **extra):
    data = {"trainee_id": trainee.id, "tool_id": tool.id, "stage": "pre", "method": "role_play", "scenario_id": 0,
            **extra}
    response = post_form(client, "/competencies/assess/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/assessments/(\d+)/rate", response.headers["Location"]).group(1))


def save(client, assessment_id, data, **headers):
    data = {"csrf_token": csrf_token(client, f"/competencies/assessments/{assessment_id}/rate"), **data}
    return client.post(f"/competencies/assessments/{assessment_id}/rate", data=data, headers=headers)


def test_supervisor_starts_with_a_drawn_scenario_and_sees_it(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    home = client.get("/").get_data(as_text=True)
    assert f"/competencies/assess/new?trainee_id={team['trainee'].id}" in home
    form = client.get(f"/competencies/assess/new?trainee_id={team['trainee'].id}").get_data(as_text=True)
    assert "Draw a scenario at random" in form and team["other_supervisor"].full_name not in form
    assessment = db_session.get(Assessment, start(client, pmp_tool, team["trainee"]))
    assert assessment.scenario is not None and assessment.scenario.tool_id == pmp_tool.id
    assert assessment.status == AssessmentStatus.DRAFT and assessment.cohort_id == team["cohort"].id
    page = client.get(f"/competencies/assessments/{assessment.id}/rate").get_data(as_text=True)
    assert str(escape(assessment.scenario.title["en"])) in page
    assert "<details" in page and str(escape(assessment.scenario.actor_instructions["en"])) in page
    assert str(escape(pmp_tool.items[0].behaviours[0].text["en"])) in page and "Harmful" in page
    assert pmp_tool.licence in page  # the licence footer


def test_a_chosen_scenario_is_kept(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    chosen = pmp_tool.scenarios[2]
    assessment = db_session.get(Assessment, start(client, pmp_tool, team["trainee"], scenario_id=chosen.id))
    assert assessment.scenario_id == chosen.id


def test_a_supervisor_cannot_rate_someone_they_do_not_supervise(client, login, team, pmp_tool, db_session):
    login(team["other_supervisor"])
    response = post_form(client, "/competencies/assess/new", {
        "trainee_id": team["trainee"].id, "tool_id": pmp_tool.id, "stage": "pre", "method": "role_play",
        "scenario_id": 0})
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_the_draft_saves_without_javascript_and_levels_are_derived(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    first, second, third = pmp_tool.items[:3]
    data = item_fields(pmp_tool, {first.code: 1, second.code: 4, third.code: "none"})
    data[f"i{first.id}_note"] = "Le dijo que exageraba."
    response = save(client, assessment_id, {**data, "save": "Save draft"})
    assert response.status_code == 302
    ratings = {r.item_id: r for r in db_session.scalars(sa.select(ItemRating).where(
        ItemRating.assessment_id == assessment_id))}
    assert ratings[first.id].level == 1 and ratings[first.id].note == "Le dijo que exageraba."
    assert ratings[second.id].level == 4 and ratings[third.id].level == 2 and ratings[third.id].behaviour_codes == []
    page = client.get(f"/competencies/assessments/{assessment_id}/rate").get_data(as_text=True)
    assert "Level 1: Potentially harmful" in page and "Level 4: Advanced skills" in page
    assert page.count(" checked") == len(data[f"i{first.id}_b"]) + len(data[f"i{second.id}_b"]) + 1
    assert "Le dijo que exageraba." in page
    listing = client.get("/competencies/assess").get_data(as_text=True)
    assert f"/competencies/assessments/{assessment_id}/rate" in listing and "Continue" in listing


def test_autosave_answers_json_and_refuses_ticks_with_not_observed(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    item = pmp_tool.items[0]
    basic = [b.code for b in item.behaviours if b.group.value == "basic"]
    response = save(client, assessment_id, {f"i{item.id}_b": basic}, **{"X-Autosave": "1"})
    assert response.status_code == 200 and response.json["saved"]
    assert response.json["levels"] == {str(item.id): "Level 3: All basic skills"}
    both = save(client, assessment_id, {f"i{item.id}_b": basic[:1], f"i{item.id}_na": "y"}, **{"X-Autosave": "1"})
    assert both.status_code == 422 and str(item.id) in both.json["errors"]
    rating = db_session.scalar(sa.select(ItemRating).where(ItemRating.assessment_id == assessment_id))
    db_session.refresh(rating)
    assert rating.level == 3 and not rating.not_observed  # the refused change saved nothing
    none_and_ticks = save(client, assessment_id, {f"i{item.id}_b": basic, f"i{item.id}_none": "y", "save": "1"})
    assert none_and_ticks.status_code == 422 and "Clear one of them" in none_and_ticks.get_data(as_text=True)
    unknown = save(client, assessment_id, {f"i{item.id}_b": ["NOPE-1"]}, **{"X-Autosave": "1"})
    assert unknown.status_code == 400


def test_submit_needs_every_item_then_the_assessment_is_immutable(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    partial = item_fields(pmp_tool, {pmp_tool.items[0].code: 3})
    refused = save(client, assessment_id, {**partial, "submit_assessment": "1"})
    assert refused.status_code == 422 and "Some items are not rated yet." in refused.get_data(as_text=True)
    assessment = db_session.get(Assessment, assessment_id)
    db_session.refresh(assessment)
    assert assessment.status == AssessmentStatus.DRAFT  # the draft is kept
    assert [r.level for r in assessment.ratings if r.level] == [3]
    levels = all_items(pmp_tool, 3)
    levels[pmp_tool.items[1].code] = "na"
    response = save(client, assessment_id, {**item_fields(pmp_tool, levels), "submit_assessment": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assessments/{assessment_id}")
    db_session.refresh(assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.submitted_at and not assessment.has_harm
    assert sorted(r.level or 0 for r in assessment.ratings) == [0] + [3] * (len(pmp_tool.items) - 1)
    view = client.get(f"/competencies/assessments/{assessment_id}").get_data(as_text=True)
    assert "Not observed" in view and "Correct this assessment" in view

    # Immutable: a form post, an autosave and a direct change are all refused.
    again = save(client, assessment_id, {**item_fields(pmp_tool, all_items(pmp_tool, 1)), "save": "1"})
    assert again.status_code == 303
    autosave = save(client, assessment_id, item_fields(pmp_tool, all_items(pmp_tool, 1)), **{"X-Autosave": "1"})
    assert autosave.status_code == 409
    db_session.expire_all()
    assert all(r.level != 1 for r in db_session.get(Assessment, assessment_id).ratings)
    submitted = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "assessment.submitted")).all()
    assert len(submitted) == 1 and submitted[0].after["has_harm"] is False


def test_an_amendment_copies_the_ticks_supersedes_and_is_audited(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    original_id = start(client, pmp_tool, team["trainee"])
    save(client, original_id, {**item_fields(pmp_tool, all_items(pmp_tool, 2)), "submit_assessment": "1"})
    no_reason = post_form(client, f"/competencies/assessments/{original_id}/amend", {"reason": " "})
    assert no_reason.status_code == 422
    response = post_form(client, f"/competencies/assessments/{original_id}/amend",
                         {"reason": "Marqué el punto equivocado."})
    amendment_id = int(re.search(r"/assessments/(\d+)/rate", response.headers["Location"]).group(1))
    amendment = db_session.get(Assessment, amendment_id)
    assert amendment.amends_id == original_id and amendment.status == AssessmentStatus.DRAFT
    assert len(amendment.ratings) == len(pmp_tool.items) and {r.level for r in amendment.ratings} == {2}
    first = pmp_tool.items[0]
    save(client, amendment_id, {**item_fields(pmp_tool, {**all_items(pmp_tool, 2), first.code: 4}),
                                "submit_assessment": "1"})
    db_session.expire_all()
    original = db_session.get(Assessment, original_id)
    assert original.superseded_at is not None and original.status == AssessmentStatus.SUBMITTED
    assert {r.level for r in original.ratings} == {2}  # the original is kept as it was
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assessment.amended"))
    assert event.before["levels"][first.code] == 2 and event.after["levels"][first.code] == 4
    assert event.after["reason"] == "Marqué el punto equivocado."
    page = client.get(f"/competencies/assessments/{original_id}").get_data(as_text=True)
    assert "corrected by an amendment" in page and "Correct this assessment" not in page
    assert post_form(client, f"/competencies/assessments/{original_id}/amend", {"reason": "x"}).status_code == 403


def test_who_sees_an_assessment(client, app, login, team, pmp_tool, make_user, make_org, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    url = f"/competencies/assessments/{assessment_id}"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for person, draft_status in ((team["trainer"], 403), (team["other_supervisor"], 403)):
        other = app.test_client()
        other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(person, c=other)
        assert other.get(url).status_code == draft_status  # a draft is its assessor's alone
        assert other.get(url + "/rate").status_code == 403
    outsider = app.test_client()
    login(make_user("admin", organisation=make_org()), c=outsider)
    assert outsider.get(url).status_code == 404 and outsider.get(url + "/rate").status_code == 404


def test_a_draft_can_be_deleted(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    response = post_form(client, f"/competencies/assessments/{assessment_id}/discard")
    assert response.status_code == 302 and db_session.get(Assessment, assessment_id) is None
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assessment.discarded"))


def test_the_rating_page_follows_a_new_version_of_its_tool(client, login, team, pmp_tool, db_session):
    """The page keeps a tool's text per process while its content hash is unchanged; a sync changes the hash."""
    import dataclasses

    from app.competencies.packs import load_tool
    from app.competencies.sync import sync_tool
    from tests.rating_support import PMP

    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    old_text = pmp_tool.items[0].behaviours[0].text["en"]
    assert str(escape(old_text)) in client.get(f"/competencies/assessments/{assessment_id}/rate").get_data(as_text=True)
    pack, _problems = load_tool(PMP)
    first = pack.items[0]
    changed = dataclasses.replace(first.behaviours[0], text={"es": "Texto nuevo.", "en": "A new wording."})
    pack = dataclasses.replace(pack, content_hash="0" * 64, items=[
        dataclasses.replace(first, behaviours=[changed, *first.behaviours[1:]]), *pack.items[1:]])
    sync_tool(pack)
    page = client.get(f"/competencies/assessments/{assessment_id}/rate").get_data(as_text=True)
    assert "A new wording." in page and str(escape(old_text)) not in page


def test_a_refused_save_shows_the_ticks_as_posted(client, login, team, pmp_tool, db_session):
    login(team["supervisor"])
    assessment_id = start(client, pmp_tool, team["trainee"])
    item = pmp_tool.items[0]
    basic = [b.code for b in item.behaviours if b.group.value == "basic"]
    response = save(client, assessment_id, {f"i{item.id}_b": basic, f"i{item.id}_none": "y",
                                            f"i{item.id}_note": "Revisar.", "overall_note": "En general bien.",
                                            "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="rating-item has-error"' in page
    assert page.count(" checked") == len(basic) + 1 and "Revisar." in page and "En general bien." in page
    badge = re.search(rf'id="item-{item.id}".*?data-level-badge[^>]*>([^<]+)<', page, re.DOTALL).group(1)
    assert badge == "Not rated yet"  # the badge shows the saved level, and nothing was saved

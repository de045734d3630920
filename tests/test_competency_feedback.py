"""A trainee's skills feedback: strengths first, what is missing for the next level, progress across rounds."""
from __future__ import annotations

import re
from datetime import date

import pytest

from app.competencies.feedback import explain, trainee_feedback
from tests.competency_support import fhs_tool, make_assessment  # noqa: F401  (fixture)


def behaviour(tool, code: str) -> str:
    """The English text of a behaviour, as the page escapes it."""
    from markupsafe import escape

    for item in tool.items:
        for b in item.behaviours:
            if b.code == code:
                return str(escape(b.text["en"]))
    raise KeyError(code)


def title(tool, code: str) -> str:
    from markupsafe import escape

    return str(escape(next(item.title["en"] for item in tool.items if item.code == code)))


@pytest.fixture
def rated(make_user, make_cohort, assign_supervisor, fhs_tool):
    trainee, supervisor, trainer = make_user("trainee"), make_user("supervisor"), make_user("trainer")
    cohort = make_cohort(members={"trainee": [trainee], "supervisor": [supervisor], "trainer": [trainer]})
    assign_supervisor(supervisor, trainee, cohort)
    pre = make_assessment(trainee, fhs_tool, assessor=supervisor, cohort=cohort, stage="pre",
                          observed_on=date(2026, 10, 6),
                          levels={"FHS-01": 1, "FHS-02": 2, "FHS-03": 3, "FHS-04": 4, "FHS-05": None},
                          notes={"FHS-02": "Asked two open questions, then gave advice."})
    post = make_assessment(trainee, fhs_tool, assessor=supervisor, cohort=cohort, stage="post",
                           observed_on=date(2026, 12, 10),
                           levels={"FHS-01": 3, "FHS-02": 3, "FHS-03": 4, "FHS-04": 4, "FHS-05": 2})
    return {"trainee": trainee, "supervisor": supervisor, "trainer": trainer, "cohort": cohort, "tool": fhs_tool,
            "pre": pre, "post": post}


def test_explain_says_what_is_missing_for_the_next_level(rated):
    tool = rated["tool"]
    items = {item.id: item for item in tool.items}
    by_code = {items[r.item_id].code: r for r in rated["pre"].ratings}

    harmful = explain(items[by_code["FHS-01"].item_id], by_code["FHS-01"])
    assert [b.code for b in harmful.to_stop] == ["FHS-01-H1"]
    assert harmful.missing_basic == [] and harmful.next_level == 3  # all basic were ticked with the harm

    some = explain(items[by_code["FHS-02"].item_id], by_code["FHS-02"])
    assert [b.code for b in some.seen] == ["FHS-02-B1"]
    assert [b.code for b in some.missing_basic] == [b.code for b in items[by_code["FHS-02"].item_id].behaviours
                                                     if b.group.value == "basic" and b.code != "FHS-02-B1"]
    assert some.to_stop == [] and some.advanced_options == []

    basic = explain(items[by_code["FHS-03"].item_id], by_code["FHS-03"])
    assert basic.missing_basic == [] and {b.group.value for b in basic.advanced_options} == {"advanced"}
    assert basic.next_level == 4

    top = explain(items[by_code["FHS-04"].item_id], by_code["FHS-04"])
    assert top.missing_basic == top.advanced_options == top.to_stop == [] and top.next_level is None


def test_rounds_are_oldest_first_with_strengths_and_work(rated):
    (tool_feedback,) = trainee_feedback(rated["trainee"])
    pre, post = tool_feedback.rounds
    assert pre.assessment.id == rated["pre"].id and post.assessment.id == rated["post"].id
    assert [e.item.code for e in pre.strengths] == ["FHS-03", "FHS-04"]
    assert [e.item.code for e in pre.to_work_on] == ["FHS-01", "FHS-02"]  # harmful first
    assert [e.item.code for e in pre.not_observed] == ["FHS-05"]
    assert pre.mean_level == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert post.mean_level == pytest.approx((3 + 3 + 4 + 4 + 2) / 5)
    trend = dict((item.code, levels) for item, levels in tool_feedback.item_trend())
    assert trend["FHS-01"] == [1, 3] and trend["FHS-05"] == [None, 2]


def test_trainee_reads_their_own_feedback(client, login, rated):
    tool = rated["tool"]
    login(rated["trainee"])
    page = client.get("/competencies/my-feedback").get_data(as_text=True)
    assert "<h1>My skills feedback</h1>" in page
    latest = page[page.index("After training ·"):page.index("Earlier round")]
    # Strengths come before what to work on.
    assert latest.index("Strengths (4)") < latest.index(title(tool, "FHS-01")) < latest.index("To work on (1)")
    assert latest.index("To work on (1)") < latest.index(title(tool, "FHS-05"))
    assert "Not observed (" not in latest
    earlier = page[page.index("Earlier round"):]
    # Level 2: the basic behaviours not seen, under "To reach level 3".
    fhs02 = earlier[earlier.index(title(tool, "FHS-02")):]
    fhs02 = fhs02[:fhs02.index("</li>\n</ul>") if "</li>\n</ul>" in fhs02 else None]
    assert "To reach level 3:" in fhs02
    assert behaviour(tool, "FHS-02-B2") in fhs02 and behaviour(tool, "FHS-02-B3") in fhs02
    assert "Asked two open questions, then gave advice." in fhs02
    # Level 1: the harmful behaviour to stop.
    assert "Stop doing:" in earlier and behaviour(tool, "FHS-01-H1") in earlier
    assert "A potentially harmful behaviour was seen. Your supervisor will plan the next steps with you." in earlier
    # Level 3: any one advanced behaviour gives level 4.
    assert "To reach level 4, show at least one of:" in earlier and behaviour(tool, "FHS-03-A1") in earlier


def test_progress_chart_is_an_svg_with_a_table_alternative(client, login, rated):
    login(rated["trainee"])
    page = client.get("/competencies/my-feedback").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*role=\"img\"[^>]*>.*?</svg>", page, re.S)
    assert svg, "no chart"
    assert "<title" in svg.group(0) and "Mean level per round: Foundational helping skills" in svg.group(0)
    assert "<desc" in svg.group(0) and "Before training: 2.5" in svg.group(0) and "After training: 3.2" in svg.group(0)
    assert svg.group(0).count("<circle") == 2 and "style=" not in svg.group(0)
    assert "Level per item and round" in page  # the table with the same figures
    assert "CC BY-NC-SA 4.0" in page and "ENACT" in page  # the tool's licence and attribution


def test_superseded_draft_and_calibration_ratings_do_not_count(client, login, rated, db_session, make_user):
    from app.competencies.models import RatingSession
    from app.core.db import utcnow

    tool, trainee = rated["tool"], rated["trainee"]
    rated["post"].superseded_at = utcnow()
    db_session.flush()
    make_assessment(trainee, tool, assessor=rated["supervisor"], cohort=rated["cohort"], stage="post",
                    levels={"FHS-01": 4}, status="draft")
    other_rater = make_user("supervisor")
    session = RatingSession(organisation_id=trainee.organisation_id, tool_id=tool.id, title="Calibración",
                            reference_rater_id=rated["supervisor"].id)
    db_session.add(session)
    db_session.flush()
    make_assessment(trainee, tool, assessor=other_rater, stage="mid", levels={"FHS-01": 4}, rating_session=session)
    (tool_feedback,) = trainee_feedback(trainee)
    assert [r.assessment.id for r in tool_feedback.rounds] == [rated["pre"].id]
    login(trainee)
    page = client.get("/competencies/my-feedback").get_data(as_text=True)
    assert "After training" not in page and "During training" not in page and "<svg" not in page


def test_no_feedback_yet(client, login, make_user):
    login(make_user("trainee"))
    page = client.get("/competencies/my-feedback").get_data(as_text=True)
    assert "There is no skills feedback yet." in page


@pytest.mark.parametrize(("who", "status"), [("trainee", 200), ("supervisor", 200), ("trainer", 200),
                                             ("admin", 200), ("stranger_supervisor", 403), ("stranger_trainer", 403),
                                             ("other_trainee", 403), ("other_org_admin", 404)])
def test_who_reads_a_trainees_feedback(client, login, rated, make_user, make_org, who, status):
    people = {**rated, "admin": make_user("admin"), "stranger_supervisor": make_user("supervisor"),
              "stranger_trainer": make_user("trainer"), "other_trainee": make_user("trainee"),
              "other_org_admin": make_user("admin", organisation=make_org())}
    login(people[who])
    response = client.get(f"/competencies/people/{rated['trainee'].id}/feedback")
    assert response.status_code == status
    if status == 200:
        assert "Foundational helping skills" in response.get_data(as_text=True)


def test_feedback_in_spanish(client, login, rated, db_session):
    rated["trainee"].preferred_language = "es"
    db_session.flush()
    login(rated["trainee"])
    page = client.get("/competencies/my-feedback").get_data(as_text=True)
    assert "Potencialmente dañino" in page and "Habilidades básicas de ayuda" in page

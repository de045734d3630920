"""Item analysis pages: the hand-worked numbers, first or all attempts, and the response counts."""
from __future__ import annotations

import pytest

from tests.quiz_support import make_attempt, make_course, make_quiz


@pytest.fixture
def answered(make_user, make_cohort):
    """Four first attempts at Q1–Q3 (totals 3, 2, 1, 0) and Ana's second try, all right.

    Q1 right for Ana and Beto; Q2 (true) right for Ana and Carla; Q3 (5) right for Ana and Beto.
    Carla saw Q1's answers shuffled (Nadie first) and chose the first shown: Nadie.
    """
    people = [make_user("trainee", full_name=name) for name in ["Ana", "Beto", "Carla", "Dora"]]
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainee": people, "trainer": [trainer]})
    quiz = make_quiz(make_course(cohort), "knowledge", "module_check")
    ana, beto, carla, dora = people
    make_attempt(quiz, ana, cohort, {"Q1": 0, "Q2": True, "Q3": "5"})
    make_attempt(quiz, beto, cohort, {"Q1": 0, "Q2": False, "Q3": "5,0"})
    make_attempt(quiz, carla, cohort, {"Q1": 0, "Q2": True, "Q3": "4"}, orders={"Q1": [1, 0, 2]})
    make_attempt(quiz, dora, cohort, {"Q1": 2, "Q2": False, "Q3": None})
    make_attempt(quiz, ana, cohort, {"Q1": 0, "Q2": True, "Q3": "5"})
    make_attempt(quiz, beto, cohort, {"Q1": 1, "Q2": True, "Q3": "5"}, status="needs_grading")
    base = f"/cohorts/{cohort.id}/quiz-reports/{quiz.course.slug}/quizzes/{quiz.slug}"
    return {"trainer": trainer, "quiz": quiz, "base": base, "cohort": cohort}


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.get_data(as_text=True).split())


def _row(page: str, key: str) -> str:
    start = page.index(f">{key}</a>")
    return page[start:page.index("</tr>", start)]


def test_first_attempts_give_the_hand_worked_statistics(client, login, answered):
    login(answered["trainer"])
    page = _text(client.get(answered["base"] + "/items"))
    assert "<strong>4</strong>attempts analysed" in page
    assert "<strong>50.0%</strong>mean score" in page
    assert "<strong>0.60</strong>internal consistency" in page     # α = 3/2 · (1 − 1 ÷ 5/3)
    assert "1 attempt waits for grading and is not counted yet." in page
    assert "Fewer than 10 attempts" in page
    q1, q2 = _row(page, "Q1"), _row(page, "Q2")
    # Q1: 1,1,0,0 against rest 2,1,1,0 → facility 50 %, SD √(1/3), r = 1/√2, efficiency 100 %
    assert "<td>4</td><td>50.0%</td><td>57.7%</td> <td>0.71</td><td>100.0%</td>" in q1
    assert "¿Quién puede dar PM+?" in q1
    # Q2: 1,0,1,0 against 2,2,0,0 → no correlation: flagged
    assert "<td>0.00</td><td>0.0%</td>" in q2
    assert "Check this item" in q2


def test_all_attempts_add_the_second_try(client, login, answered):
    login(answered["trainer"])
    page = _text(client.get(answered["base"] + "/items?attempts=all"))
    assert "<strong>5</strong>attempts analysed" in page
    assert "<td>5</td><td>60.0%</td>" in _row(page, "Q1")     # 3 right of 5
    assert 'aria-current="true">all attempts' in page


def test_a_question_page_counts_each_option_across_shuffles(client, login, answered):
    login(answered["trainer"])
    page = _text(client.get(answered["base"] + "/items/Q1"))
    assert "¿Quién puede dar PM+?" in page
    assert "1 version" not in page
    rows = {label: page[page.index(f"<th scope=\"row\">{label}"):][:400] for label in
            ["Un ayudante formado", "Nadie", "Solo un psiquiatra"]}
    assert "<td>2</td>" in rows["Un ayudante formado"] and "right" in rows["Un ayudante formado"]
    assert "<td>1</td>" in rows["Nadie"] and "<td>1</td>" in rows["Solo un psiquiatra"]
    tf = _text(client.get(answered["base"] + "/items/Q2"))
    assert tf.index("<th scope=\"row\">True") < tf.index("<th scope=\"row\">False")
    number = _text(client.get(answered["base"] + "/items/Q3"))
    assert "<th scope=\"row\">5 <span class=\"badge badge-ok\">right</span></th> <td>100.0%</td> <td>2</td>" in number
    assert "<th scope=\"row\">No answer" in number
    assert client.get(answered["base"] + "/items/Q9").status_code == 404


def test_languages_are_analysed_as_versions(client, login, answered, make_user):
    late = make_user("trainee", full_name="Eva")
    from app.extensions import db
    from app.orgs.models import CohortMember

    db.session.add(CohortMember(cohort_id=answered["cohort"].id, user_id=late.id, role="trainee"))
    make_attempt(answered["quiz"], late, answered["cohort"], {"Q1": 0, "Q2": True, "Q3": "5"}, language="en")
    login(answered["trainer"])
    page = _text(client.get(answered["base"] + "/items"))
    assert "2 versions" in _row(page, "Q1")
    detail = _text(client.get(answered["base"] + "/items/Q1"))
    assert "<th scope=\"row\">es</th> <td>4</td>" in detail and "<th scope=\"row\">en</th> <td>1</td>" in detail
    assert "Version en · 1 response" in detail


def test_an_empty_quiz_says_so(client, login, make_user, make_cohort):
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainer": [trainer]})
    quiz = make_quiz(make_course(cohort))
    login(trainer)
    page = _text(client.get(f"/cohorts/{cohort.id}/quiz-reports/{quiz.course.slug}/quizzes/{quiz.slug}/items"))
    assert "No finished attempt yet." in page and "<strong>0</strong>attempts analysed" in page

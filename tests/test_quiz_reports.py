"""Quiz report pages show the right numbers to the right people, for a small cohort worked out by hand."""
from __future__ import annotations

import pytest

from tests.quiz_support import make_attempt, make_course, make_quiz


@pytest.fixture
def cohort_results(make_user, make_cohort, assign_supervisor):
    """Four trainees with pre- and post-test grades; the supervisor supervises Ana and Beto.

    pre (highest, pass 80):  Ana 40, Beto 100, Carla 60, Dora 50
    post (average, pass 70): Ana (70+90)/2 = 80, Beto 90, Carla 80, Dora —
    """
    names = ["Ana Aguilar", "Beto Bravo", "Carla Cruz", "Dora Díaz"]
    trainees = [make_user("trainee", full_name=name) for name in names]
    trainer, supervisor, admin = make_user("trainer"), make_user("supervisor"), make_user("admin")
    cohort = make_cohort(members={"trainee": trainees, "trainer": [trainer], "supervisor": [supervisor]})
    for trainee in trainees[:2]:
        assign_supervisor(supervisor, trainee, cohort)
    course = make_course(cohort)
    pre = make_quiz(course, "pre-test", "pre_test", pass_mark=80, grading_method="highest")
    post = make_quiz(course, "post-test", "post_test", pass_mark=70, grading_method="average")
    ana, beto, carla, dora = trainees
    for trainee, percent in [(ana, 40), (beto, 100), (carla, 60), (dora, 50)]:
        make_attempt(pre, trainee, cohort, percent=percent)
    for trainee, percent in [(ana, 70), (ana, 90), (beto, 90), (carla, 80)]:
        make_attempt(post, trainee, cohort, percent=percent)
    make_attempt(post, dora, cohort, status="in_progress")
    return {"cohort": cohort, "course": course, "pre": pre, "post": post, "trainer": trainer,
            "supervisor": supervisor, "admin": admin, "trainees": trainees}


def _url(world, quiz=None, tail=""):
    base = f"/cohorts/{world['cohort'].id}/quiz-reports"
    if quiz is None:
        return base + tail
    return f"{base}/{world['course'].slug}/quizzes/{quiz.slug}{tail}"


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.get_data(as_text=True).split())


def test_the_cohort_page_links_to_the_quiz_results(client, login, cohort_results):
    login(cohort_results["trainer"])
    page = _text(client.get(f"/cohorts/{cohort_results['cohort'].id}"))
    assert _url(cohort_results) in page
    index = _text(client.get(_url(cohort_results)))
    assert "Quiz pre-test" in index and "Quiz post-test" in index
    assert f"{cohort_results['course'].slug}/pre-post" in index
    assert _url(cohort_results, cohort_results["pre"], "/items") in index


def test_results_list_every_trainee_with_grade_and_the_group_figures(client, login, cohort_results):
    login(cohort_results["trainer"])
    page = _text(client.get(_url(cohort_results, cohort_results["pre"])))
    assert "Grade: the highest attempt. Pass mark: 80.0%." in page
    for name in ["Ana Aguilar", "Beto Bravo", "Carla Cruz", "Dora Díaz"]:
        assert name in page
    assert "<strong>4 / 4</strong>have a grade" in page
    assert "<strong>62.5%</strong>mean grade" in page      # (40 + 100 + 60 + 50) / 4
    assert "<strong>55.0%</strong>median grade" in page    # (50 + 60) / 2
    assert "<strong>25.0%</strong>passed (1 of 4 with a grade)" in page
    assert page.count("Not yet") == 3 and page.count(">Passed</span>") == 1


def test_the_grading_method_decides_the_grade(client, login, cohort_results):
    login(cohort_results["admin"])
    page = _text(client.get(_url(cohort_results, cohort_results["post"])))
    assert "Grade: the average of attempts." in page
    assert "Ana Aguilar</th> <td>2</td> <td>80.0%</td>" in page     # (70 + 90) / 2, not the highest
    assert "<strong>3 / 4</strong>have a grade" in page
    assert "one in progress" in page and "Not taken" in page    # Dora has started but not finished


def test_a_supervisor_sees_only_their_supervisees(client, login, cohort_results):
    login(cohort_results["supervisor"])
    page = _text(client.get(_url(cohort_results, cohort_results["pre"])))
    assert "Ana Aguilar" in page and "Beto Bravo" in page
    assert "Carla Cruz" not in page and "Dora Díaz" not in page
    assert "You see only the trainees you supervise" in page
    assert "<strong>70.0%</strong>mean grade" in page       # (40 + 100) / 2: their supervisees alone
    assert "Item analysis" not in page
    assert client.get(_url(cohort_results, cohort_results["pre"], "/items")).status_code == 403
    csv = client.get(_url(cohort_results, cohort_results["pre"], "/results.csv")).get_data(as_text=True)
    assert "Ana Aguilar" in csv and "Carla Cruz" not in csv


def test_pre_post_comparison_per_trainee_and_for_the_cohort(client, login, cohort_results):
    login(cohort_results["trainer"])
    page = _text(client.get(_url(cohort_results, tail=f"/{cohort_results['course'].slug}/pre-post")))
    # Ana 40 → 80: +40 points, g = 40/60; Beto 100 → 90: g undefined; Carla 60 → 80: g = 0.5; Dora no post-test
    assert "Ana Aguilar</th> <td>40.0%</td><td>80.0%</td><td>+40.0</td><td>0.67</td>" in page
    assert "Beto Bravo</th> <td>100.0%</td><td>90.0%</td><td>−10.0</td><td>—</td>" in page
    assert "Carla Cruz</th> <td>60.0%</td><td>80.0%</td><td>+20.0</td><td>0.50</td>" in page
    assert "Dora Díaz</th> <td>50.0%</td><td>—</td><td>—</td><td>—</td>" in page
    assert "<strong>3 / 4</strong>took both tests" in page
    assert "<strong>66.7%</strong>mean pre-test" in page
    assert "<strong>83.3%</strong>mean post-test" in page
    assert "<strong>+16.7</strong>mean gain (points)" in page
    # Hake: (83.33 − 66.67) / (100 − 66.67) = 0.5; the mean of own gains (0.667 + 0.5) / 2 = 0.58
    assert "<strong>0.50</strong>class normalized gain (Hake)" in page
    assert "<strong>0.58</strong>mean of the trainees' own gains (2 trainees)" in page


def test_pre_post_without_a_post_test_says_so(client, login, make_user, make_cohort):
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainer": [trainer]})
    course = make_course(cohort)
    make_quiz(course, "pre-test", "pre_test")
    login(trainer)
    page = _text(client.get(f"/cohorts/{cohort.id}/quiz-reports/{course.slug}/pre-post"))
    assert "needs both a pre-test and a post-test" in page


def test_attempts_of_another_cohort_and_unknown_names_are_left_out(client, login, cohort_results, make_cohort):
    other = make_cohort(members={"trainee": [cohort_results["trainees"][0]]})
    make_attempt(cohort_results["pre"], cohort_results["trainees"][0], other, percent=95)
    login(cohort_results["trainer"])
    page = _text(client.get(_url(cohort_results, cohort_results["pre"])))
    assert "Ana Aguilar</th> <td>1</td> <td>40.0%</td>" in page   # the 95 belongs to the other cohort
    assert client.get(_url(cohort_results, tail="/no-such-course/pre-post")).status_code == 404
    assert client.get(f"{_url(cohort_results)}/{cohort_results['course'].slug}/quizzes/nope").status_code == 404


def test_strangers_get_nothing(app, login, cohort_results, make_user, make_cohort, make_org):
    other_trainer = make_user("trainer")
    make_cohort(members={"trainer": [other_trainer]})
    visitors = {
        "trainee": (cohort_results["trainees"][0], 403),
        "trainer of another cohort": (other_trainer, 403),
        "admin of another organisation": (make_user("admin", organisation=make_org()), 404),
    }
    urls = [_url(cohort_results), _url(cohort_results, cohort_results["pre"]),
            _url(cohort_results, cohort_results["pre"], "/results.csv"),
            _url(cohort_results, tail=f"/{cohort_results['course'].slug}/pre-post")]
    for who, (user, status) in visitors.items():
        browser = login(user, c=app.test_client())
        for url in urls:
            assert browser.get(url).status_code == status, (who, url)


def test_an_organisations_own_quiz_settings_decide_pass_and_grade(client, login, cohort_results):
    from decimal import Decimal

    from app.extensions import db
    from app.quizzes.models import QuizOverride

    db.session.add(QuizOverride(quiz_id=cohort_results["post"].id, organisation_id=cohort_results["cohort"].organisation_id,
                                pass_mark=Decimal(85), grading_method="highest"))
    db.session.flush()
    login(cohort_results["trainer"])
    page = _text(client.get(_url(cohort_results, cohort_results["post"])))
    assert "Grade: the highest attempt. Pass mark: 85.0%." in page
    assert "Ana Aguilar</th> <td>2</td> <td>90.0%</td>" in page
    assert "<strong>66.7%</strong>passed (2 of 3 with a grade)" in page   # Ana 90, Beto 90 pass; Carla 80 not

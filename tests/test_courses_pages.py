"""Learning pages: my courses with progress, lessons, idempotent "mark as done", resume, access, size."""
from __future__ import annotations

import gzip
import re

import sqlalchemy as sa

from app.config import ROOT
from app.courses.models import Lesson, LessonProgress
from app.courses.queries import visible_lessons
from app.courses.rendering import render_lesson
from app.courses.services import give_course, mark_lesson_done
from app.extensions import db
from tests.conftest import csrf_token, post_form
from tests.courses_support import content_path, demo_course, learning  # noqa: F401  (fixtures)

LESSON = "/courses/demo-course/lessons/{}"
PAGE_BUDGET = 50 * 1024


def _progress_count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)
                             .where(LessonProgress.user_id == user.id))


def test_my_courses_shows_progress_and_continue(client, login, learning):
    trainee, course = learning["trainee"], learning["course"]
    mark_lesson_done(trainee, visible_lessons(course)[0])
    login(trainee)
    html = client.get("/courses").get_data(as_text=True)
    assert "Curso de prueba" in html  # the cohort was given the Spanish version
    assert "1 of 3 lessons" in html
    assert f'href="{LESSON.format("02-listening")}"' in html and "Continue" in html


def test_my_courses_is_empty_for_someone_without_a_course(client, login, make_user):
    login(make_user("trainee"))
    page = client.get("/courses")
    assert page.status_code == 200
    assert "No course has been given to your training group yet." in page.get_data(as_text=True)


def test_trainees_see_my_courses_in_the_navigation(client, login, learning):
    login(learning["trainee"])
    assert 'href="/courses"' in client.get("/").get_data(as_text=True)


def test_course_page_lists_modules_and_done_marks(client, login, learning):
    trainee, course = learning["trainee"], learning["course"]
    mark_lesson_done(trainee, visible_lessons(course)[1])
    login(trainee)
    html = client.get("/courses/demo-course").get_data(as_text=True)
    assert "Fundamentos" in html and "Práctica" in html
    assert re.search(r'<li class="done">\s*<a href="[^"]*/02-listening">Escuchar</a>', html)
    assert "Licence: CC BY-SA 4.0" in html


def test_lesson_page_has_body_previous_next_and_form(client, login, learning):
    login(learning["trainee"])
    page = client.get(LESSON.format("02-listening"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Escuchar</h1>" in html and "<table>" in html
    assert 'rel="prev" href="/courses/demo-course/lessons/01-welcome"' in html
    assert 'rel="next" href="/courses/demo-course/lessons/03-practice"' in html
    assert 'action="/courses/demo-course/lessons/02-listening/done"' in html
    assert 'name="csrf_token"' in html


def test_mark_as_done_twice_counts_once_and_moves_on(client, login, learning):
    trainee = learning["trainee"]
    login(trainee)
    token = csrf_token(client, LESSON.format("01-welcome"))
    first = client.post(LESSON.format("01-welcome") + "/done", data={"csrf_token": token})
    replay = client.post(LESSON.format("01-welcome") + "/done", data={"csrf_token": token})
    assert first.status_code == replay.status_code == 302
    assert first.headers["Location"].endswith(LESSON.format("02-listening"))
    assert _progress_count(trainee) == 1
    html = client.get(LESSON.format("01-welcome")).get_data(as_text=True)
    assert "You have finished this lesson." in html and "Mark as done" not in html


def test_mark_as_done_service_is_idempotent(learning):
    trainee, lesson = learning["trainee"], visible_lessons(learning["course"])[0]
    assert mark_lesson_done(trainee, lesson) is True
    assert mark_lesson_done(trainee, lesson) is False
    assert _progress_count(trainee) == 1


def test_mark_as_done_needs_the_csrf_token(client, login, learning):
    login(learning["trainee"])
    response = client.post(LESSON.format("01-welcome") + "/done")
    assert response.status_code == 400
    assert _progress_count(learning["trainee"]) == 0


def test_resume_is_the_first_lesson_not_done_after_the_last_finished(client, login, learning):
    trainee = learning["trainee"]
    lessons = visible_lessons(learning["course"])
    login(trainee)
    post_form(client, LESSON.format("03-practice") + "/done")
    html = client.get("/courses").get_data(as_text=True)
    assert f'href="{LESSON.format("01-welcome")}"' in html  # nothing after 03: back to the first gap
    post_form(client, LESSON.format("01-welcome") + "/done")
    html = client.get("/courses").get_data(as_text=True)
    assert f'href="{LESSON.format("02-listening")}"' in html and "2 of 3 lessons" in html
    mark_lesson_done(trainee, lessons[1])
    html = client.get("/courses").get_data(as_text=True)
    assert "All lessons done" in html and "3 of 3 lessons" in html


def test_reading_a_lesson_writes_nothing(client, login, learning):
    login(learning["trainee"])
    client.get(LESSON.format("02-listening"))
    client.get("/courses")
    assert _progress_count(learning["trainee"]) == 0


def test_a_trainee_of_another_cohort_gets_404(client, login, learning, make_user, make_cohort):
    outsider = make_user("trainee")
    make_cohort(members={"trainee": [outsider]})
    login(outsider)
    for path in ("/courses/demo-course", LESSON.format("01-welcome"), "/courses/demo-course/assets/diagram.png"):
        with client.get(path) as response:
            assert response.status_code == 404, path
    assert post_form(client, LESSON.format("01-welcome") + "/done").status_code == 404
    assert "Curso de prueba" not in client.get("/courses").get_data(as_text=True)


def test_the_cohort_trainer_reads_but_does_not_record_progress(client, login, learning):
    login(learning["trainer"])
    assert client.get(LESSON.format("01-welcome")).status_code == 200
    assert post_form(client, LESSON.format("01-welcome") + "/done").status_code == 403


def test_staff_read_the_course_in_their_own_language_when_it_exists(client, login, learning):
    from app.auth.models import User

    trainer = db.session.get(User, learning["trainer"].id)
    trainer.preferred_language = "en"
    db.session.flush()
    login(trainer)
    assert "<h1>Listening</h1>" in client.get(LESSON.format("02-listening")).get_data(as_text=True)


def test_a_hidden_lesson_is_not_found(client, login, learning):
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == "03-practice"))
    lesson.is_hidden = True
    db.session.flush()
    login(learning["trainee"])
    assert client.get(LESSON.format("03-practice")).status_code == 404
    assert "of 2 lessons" in client.get("/courses").get_data(as_text=True)


def test_assets_are_served_with_long_cache_and_safe_paths(client, login, learning):
    login(learning["trainee"])
    html = client.get(LESSON.format("01-welcome")).get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert src.startswith("../assets/diagram.png?v=")
    with client.get("/courses/demo-course/assets/" + src.removeprefix("../assets/")) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert image.data.startswith(b"\x89PNG")
    for path in ("../course.toml", "..%2Fcourse.toml", "../lessons/es/01-welcome.md", "missing.png",
                 "%2e%2e/course.toml"):
        assert client.get("/courses/demo-course/assets/" + path).status_code == 404, path


def _transferred(client, html: str) -> int:
    """Bytes on the wire, gzip-compressed: the HTML plus the CSS and JS it links (images excluded)."""
    total = len(gzip.compress(html.encode()))
    for url in re.findall(r'<link rel="stylesheet" href="([^"]+)"|<script[^>]+src="([^"]+)"', html):
        with client.get((url[0] or url[1]).replace("&amp;", "&")) as asset:
            assert asset.status_code == 200
            total += len(gzip.compress(asset.data))
    return total


def test_lesson_page_is_within_50_kb_and_makes_no_external_requests(client, login, learning):
    login(learning["trainee"])
    html = client.get(LESSON.format("02-listening")).get_data(as_text=True)
    assert _transferred(client, html) <= PAGE_BUDGET
    assert not re.search(r'<(?:link|script|img)[^>]+(?:href|src)="(?:https?:)?//', html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_every_real_lesson_fits_the_page_budget(client, login, learning):
    """The page around a lesson plus the longest real lesson body, compressed, stays under 50 KB."""
    login(learning["trainee"])
    frame = _transferred(client, client.get(LESSON.format("03-practice")).get_data(as_text=True))
    for path in sorted((ROOT / "modules").glob("*/lessons/*/*.md")):
        body = render_lesson(path.read_text(encoding="utf-8"), lesson_slugs=(), asset_versions={}).html
        assert frame + len(gzip.compress(body.encode())) <= PAGE_BUDGET, path


def test_give_course_refuses_a_language_the_course_lacks(learning):
    import pytest

    from app.courses.services import CourseLanguageError

    with pytest.raises(CourseLanguageError):
        give_course(learning["cohort"], learning["course"], "qu")


def test_trainee_home_shows_course_progress_and_continue(client, login, db_session, make_user, make_cohort):
    from tests.courses_support import sync_fixture_pack
    from app.courses.services import give_course, mark_lesson_done
    from app.courses.queries import visible_lessons

    trainee = make_user("trainee")
    cohort = make_cohort(members={"trainee": [trainee]})
    course = sync_fixture_pack()
    give_course(cohort, course, "en")
    first = visible_lessons(course)[0]
    mark_lesson_done(trainee, first)
    db_session.flush()
    login(trainee)
    html = client.get("/").get_data(as_text=True)
    total = len(visible_lessons(course))
    assert f"1 of {total} lessons" in html
    assert "Continue" in html
    assert f'/courses/{course.slug}/lessons/{visible_lessons(course)[1].slug}' in html

"""Course authoring in the browser: create, edit, preview, save, versions, reorder, publish, archive, cohorts."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.courses import authoring
from app.courses.models import Course, LessonContent, LessonProgress, LessonVersion
from app.courses.queries import visible_lessons
from app.courses.services import give_course, mark_lesson_done
from app.extensions import db
from tests.conftest import post_form
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)

BASE = "/courses/authoring"


def make_web_course(org, author, slug: str = "web-course", languages=("es", "en")) -> Course:
    """A web course with two modules and three lessons (two in the first module)."""
    course = authoring.create_course(org.id, slug, authoring.CourseData(
        version="1.0.0", languages=list(languages), title={x: f"Curso {x}" for x in languages},
        summary={x: f"Resumen {x}" for x in languages}, audience={}, estimated_hours=2.0, licence="CC BY-SA 4.0"))
    first = authoring.add_module(course, "basics", {x: f"Fundamentos {x}" for x in languages})
    second = authoring.add_module(course, "practice", {x: f"Práctica {x}" for x in languages})
    for module, lesson_slug, title in ((first, "01-welcome", "Bienvenida"), (first, "02-listening", "Escuchar"),
                                       (second, "03-practice", "Practicar")):
        lesson = authoring.add_lesson(module, lesson_slug, 10, {x: f"{title} {x}" for x in languages}, author)
        for language in languages:
            authoring.save_lesson_text(lesson, language, f"{title} {language}", f"Texto de {lesson_slug}.", author)
    return course


@pytest.fixture
def team(make_user, make_cohort):
    """People who read the interface in English (the tests assert on English text)."""
    people = {role: make_user(role, preferred_language="en") for role in ("trainer", "admin", "trainee", "supervisor")}
    people["cohort"] = make_cohort(members={"trainee": [people["trainee"]], "trainer": [people["trainer"]],
                                            "supervisor": [people["supervisor"]]})
    return people


@pytest.fixture
def browser(app, login):
    """A signed-in browser of its own for each person (signing in again over a session is refused)."""
    def open_as(user):
        return login(user, c=app.test_client())

    return open_as


@pytest.fixture
def web_course(org, team):
    return make_web_course(org, team["trainer"])


def lesson_url(lesson_slug: str = "01-welcome", language: str = "es", suffix: str = "") -> str:
    return f"{BASE}/web-course/lessons/{lesson_slug}/{language}{suffix}"


def post(client, path: str, data: dict | None = None, **kwargs):
    """Post a form; then forget what this test's session had loaded, to read what the request wrote."""
    response = post_form(client, path, data, **kwargs)
    db.session.expire_all()
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# -- courses -------------------------------------------------------------------------------

def test_trainer_sees_course_authoring_in_the_navigation(client, login, team):
    login(team["trainer"])
    assert f'href="{BASE}"' in text(client.get("/")) and "Course authoring" in text(client.get(BASE))


def test_trainer_creates_a_draft_course_of_their_organisation(client, login, team, org):
    login(team["trainer"])
    response = post(client, f"{BASE}/new", {
        "slug": "cuidado-mutuo", "languages": ["es"], "title_es": "Cuidado mutuo", "summary_es": "Cuidarnos.",
        "licence": "CC BY-SA 4.0", "version": "1.0.0", "estimated_hours": "1.5"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/cuidado-mutuo")
    course = db.session.scalar(sa.select(Course).where(Course.slug == "cuidado-mutuo"))
    assert course.organisation_id == org.id and not course.is_published and course.estimated_hours == 1.5
    page = text(client.get(f"{BASE}/cuidado-mutuo"))
    assert "Cuidado mutuo" in page and "Draft" in page and "Add a module" in page
    assert "course.created" in audit_actions()


def test_course_form_errors_sit_next_to_the_field_and_keep_the_text(client, login, team):
    login(team["trainer"])
    response = post(client, f"{BASE}/new", {
        "slug": "Mal Nombre", "languages": ["es", "en"], "title_es": "Título escrito", "summary_es": "Un resumen largo",
        "licence": "CC BY-SA 4.0", "version": "1.0.0"})
    html = text(response)
    assert response.status_code == 422
    assert re.search(r'id="title_en-error">Enter the title in this language.', html)
    assert re.search(r'id="slug-error">Use lowercase letters', html)
    assert 'value="Título escrito"' in html and "Un resumen largo</textarea>" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0


def test_reserved_and_taken_short_names_are_refused(client, login, team, web_course):
    login(team["trainer"])
    for slug in ("authoring", "web-course"):
        response = post(client, f"{BASE}/new", {"slug": slug, "languages": ["es"], "title_es": "T",
                                                     "summary_es": "S", "licence": "L", "version": "1"})
        assert response.status_code == 422
        assert 'id="slug-error">This short name is already in use' in text(response)


def test_editing_the_course_changes_texts_and_is_audited(client, login, team, web_course):
    login(team["admin"])
    form = text(client.get(f"{BASE}/web-course/edit"))
    assert 'value="Curso es"' in form
    response = post(client, f"{BASE}/web-course/edit", {
        "languages": ["es", "en"], "title_es": "Curso nuevo", "summary_es": "R", "title_en": "New course",
        "summary_en": "S", "licence": "CC BY 4.0", "version": "1.1.0"})
    assert response.status_code == 302
    assert web_course.title == {"es": "Curso nuevo", "en": "New course"} and web_course.version == "1.1.0"
    assert "course.updated" in audit_actions()


def test_a_language_a_cohort_studies_cannot_be_removed(client, login, team, web_course):
    give_course(team["cohort"], web_course, "en")
    login(team["trainer"])
    response = post(client, f"{BASE}/web-course/edit", {
        "languages": ["es"], "title_es": "Curso", "summary_es": "R", "licence": "L", "version": "1"})
    assert response.status_code == 422
    assert 'id="languages-error">A cohort studies this course in en' in text(response)


# -- modules and lessons -------------------------------------------------------------------

def test_add_rename_module_and_add_lesson(client, login, team, web_course):
    login(team["trainer"])
    assert post(client, f"{BASE}/web-course/modules/new", {
        "slug": "closing", "title_es": "Cierre", "title_en": "Closing"}).status_code == 302
    module = next(m for m in web_course.modules if m.slug == "closing")
    missing = post(client, f"{BASE}/web-course/modules/{module.id}", {"title_es": "Cierre final", "title_en": ""})
    assert missing.status_code == 422 and 'value="Cierre final"' in text(missing)
    assert post(client, f"{BASE}/web-course/modules/{module.id}", {
        "title_es": "Cierre final", "title_en": "Closing words"}).status_code == 302
    response = post(client, f"{BASE}/web-course/modules/{module.id}/lessons/new", {
        "slug": "04-goodbye", "title_es": "Despedida", "title_en": "Goodbye", "minutes": "5"})
    assert response.headers["Location"].endswith(lesson_url("04-goodbye"))
    page = text(client.get(f"{BASE}/web-course"))
    assert "Closing words" in page and "Goodbye" in page and module.title["es"] == "Cierre final"
    assert text(client.get(lesson_url("04-goodbye"))).count('value="Despedida"') == 1


def test_reorder_lessons_and_modules_with_buttons(client, login, team, web_course):
    login(team["trainer"])
    post(client, f"{BASE}/web-course/lessons/02-listening/move", {"direction": "up"})
    assert [x.slug for x in visible_lessons(web_course)] == ["02-listening", "01-welcome", "03-practice"]
    practice = next(m for m in web_course.modules if m.slug == "practice")
    post(client, f"{BASE}/web-course/modules/{practice.id}/move", {"direction": "up"})
    assert [x.slug for x in visible_lessons(web_course)] == ["03-practice", "02-listening", "01-welcome"]
    post(client, f"{BASE}/web-course/modules/{practice.id}/move", {"direction": "up"})  # already first
    assert [x.slug for x in visible_lessons(web_course)][0] == "03-practice"
    assert audit_actions().count("course.module_moved") == 1


# -- the lesson editor ----------------------------------------------------------------------

XSS = ('**bold** <script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
       '[click](javascript:alert(3)) [next](02-listening.md)')


def test_preview_is_sanitized_and_keeps_the_typed_text(client, login, team, web_course):
    login(team["trainer"])
    response = post(client, lesson_url(), {"title": "Bienvenida", "body": XSS, "preview": "Preview"})
    html = text(response)
    preview = html.split('id="preview-heading"', 1)[1]
    assert response.status_code == 200
    assert "<strong>bold</strong>" in preview and 'href="02-listening"' in preview
    assert not re.search(r"<script|<img|<[^>]+onerror|href=\"javascript", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # still in the textarea, escaped
    assert "raw HTML is not allowed in lessons" in html
    content = authoring.lesson_content(visible_lessons(web_course)[0], "es")
    assert content.body_markdown == "# Bienvenida es\n\nTexto de 01-welcome.\n"  # a preview saves nothing


def test_save_with_problems_shows_them_next_to_the_text_and_loses_nothing(client, login, team, web_course):
    versions = db.session.scalar(sa.select(sa.func.count()).select_from(LessonVersion))
    login(team["trainer"])
    body = "Intro\n\nSee [the missing lesson](99-missing.md)."
    response = post(client, lesson_url(), {"title": "Nueva", "body": body, "save": "Save"})
    html = text(response)
    assert response.status_code == 422
    assert re.search(r'id="body-error">Line 3: broken link: no lesson &#39;99-missing.md&#39; in this course.', html)
    assert "See [the missing lesson](99-missing.md).</textarea>" in html and 'value="Nueva"' in html
    empty_title = post(client, lesson_url(), {"title": " ", "body": body, "save": "Save"})
    assert empty_title.status_code == 422 and 'id="title-error">Enter the lesson title.' in text(empty_title)
    assert "(99-missing.md).</textarea>" in text(empty_title)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonVersion)) == versions


def test_save_keeps_the_previous_text_as_a_version_and_restore_brings_it_back(client, login, team, web_course):
    lesson = visible_lessons(web_course)[0]
    login(team["trainer"])
    response = post(client, lesson_url(), {"title": "Bienvenida", "body": "Segunda versión.\r\n",
                                                "note": "Más corta", "save": "Save"})
    assert response.status_code == 302
    content = authoring.lesson_content(lesson, "es")
    assert content.body_markdown == "# Bienvenida\n\nSegunda versión.\n" and content.title == "Bienvenida"
    assert "<p>Segunda versión.</p>" in content.body_html
    version = authoring.lesson_versions(lesson, "es")[0]
    assert version.body_markdown == "# Bienvenida es\n\nTexto de 01-welcome.\n"
    assert version.saved_by_id == team["trainer"].id and version.saved_at is not None
    history = text(client.get(lesson_url(suffix="/history")))
    assert "Más corta" in history and "Current" in history and team["trainer"].full_name in history
    shown = text(client.get(lesson_url(suffix=f"/history/{version.id}")))
    assert "<p>Texto de 01-welcome.</p>" in shown and "Restore this version" in shown
    assert post(client, lesson_url(suffix=f"/history/{version.id}/restore")).status_code == 302
    assert authoring.lesson_content(lesson, "es").body_markdown == "# Bienvenida es\n\nTexto de 01-welcome.\n"
    versions = authoring.lesson_versions(lesson, "es")
    assert [v.body_markdown for v in versions[:2]] == ["# Bienvenida\n\nSegunda versión.\n",
                                                   "# Bienvenida es\n\nTexto de 01-welcome.\n"]
    assert {"lesson.saved", "lesson.restored"} <= set(audit_actions())
    assert authoring.lesson_content(lesson, "en").body_markdown.startswith("# Bienvenida en")  # English untouched


# -- publishing, archiving, cohorts, progress ----------------------------------------------

def test_publish_and_unpublish_decide_what_trainees_see(browser, team, web_course):
    give_course(team["cohort"], web_course, "es")
    trainee, trainer = browser(team["trainee"]), browser(team["trainer"])
    assert "Curso es" not in text(trainee.get("/courses"))
    assert trainee.get("/courses/web-course").status_code == 404
    post(trainer, f"{BASE}/web-course/publish")
    assert web_course.is_published and "course.published" in audit_actions()
    assert "Curso es" in text(trainee.get("/courses")) and trainee.get("/courses/web-course").status_code == 200
    post(trainer, f"{BASE}/web-course/unpublish")
    assert "Curso es" not in text(trainee.get("/courses"))


def test_an_empty_course_cannot_be_published(client, login, team, org):
    authoring.create_course(org.id, "empty", authoring.CourseData("1", ["es"], {"es": "Vacío"}, {"es": "R"}, {},
                                                                  None, "L"))
    login(team["trainer"])
    response = post(client, f"{BASE}/empty/publish", follow_redirects=True)
    assert "Add at least one lesson before publishing the course." in text(response)


def test_archive_removes_the_course_from_my_courses_but_keeps_progress(browser, team, web_course):
    web_course.is_published = True
    give_course(team["cohort"], web_course, "es")
    mark_lesson_done(team["trainee"], visible_lessons(web_course)[0])
    db.session.flush()
    trainee, trainer = browser(team["trainee"]), browser(team["trainer"])
    assert "1 of 3 lessons" in text(trainee.get("/courses"))
    post(trainer, f"{BASE}/web-course/archive")
    assert web_course.archived_at is not None and "course.archived" in audit_actions()
    assert "Archived" in text(trainer.get(BASE))
    assert "Curso es" not in text(trainee.get("/courses"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 1
    post(trainer, f"{BASE}/web-course/unarchive")
    assert "1 of 3 lessons" in text(trainee.get("/courses"))


def test_edits_reorders_and_restores_never_change_recorded_progress(browser, team, web_course):
    web_course.is_published = True
    give_course(team["cohort"], web_course, "es")
    first, second, _ = visible_lessons(web_course)
    mark_lesson_done(team["trainee"], second)
    db.session.flush()
    before = db.session.execute(sa.select(LessonProgress.id, LessonProgress.user_id, LessonProgress.lesson_id,
                                          LessonProgress.completed_at)).all()
    trainee, trainer = browser(team["trainee"]), browser(team["trainer"])
    assert "1 of 3 lessons" in text(trainee.get("/courses"))
    assert post(trainer, lesson_url("02-listening"), {"title": "Escuchar bien", "body": "Nuevo.",
                                                      "save": "Save"}).status_code == 302
    post(trainer, f"{BASE}/web-course/lessons/02-listening/move", {"direction": "up"})
    assert [x.slug for x in visible_lessons(web_course)][0] == "02-listening"
    version = authoring.lesson_versions(second, "es")[0]
    post(trainer, lesson_url("02-listening", suffix=f"/history/{version.id}/restore"))
    after = db.session.execute(sa.select(LessonProgress.id, LessonProgress.user_id, LessonProgress.lesson_id,
                                         LessonProgress.completed_at)).all()
    assert after == before
    page = text(trainee.get("/courses/web-course"))
    assert "1 of 3 lessons" in page
    assert re.search(r'<li class="done">\s*<a href="[^"]*/02-listening">Escuchar es</a>', page)


def test_give_the_cohort_a_course_and_take_it_back(browser, team, web_course):
    web_course.is_published = True
    db.session.flush()
    cohort = team["cohort"]
    trainee, client = browser(team["trainee"]), browser(team["trainer"])
    page = text(client.get(f"{BASE}/web-course/cohorts"))
    assert cohort.name in page and "None of the cohorts you manage studies this course." in page
    wrong = post(client, f"{BASE}/web-course/cohorts", {"cohort_id": str(cohort.id), "language": "fr"})
    assert wrong.status_code == 422
    response = post(client, f"{BASE}/web-course/cohorts", {"cohort_id": str(cohort.id), "language": "en"})
    assert response.status_code == 302
    assert "Curso en" in text(trainee.get("/courses"))
    assert "Language: English" in text(client.get(f"{BASE}/web-course/cohorts"))
    post(client, f"{BASE}/web-course/cohorts/{cohort.id}/remove")
    assert "Curso en" not in text(trainee.get("/courses"))
    assert {"cohort.course_given", "cohort.course_taken_back"} <= set(audit_actions())


def test_trainers_only_give_courses_to_cohorts_they_manage(client, login, team, web_course, make_cohort):
    other = make_cohort(name="Grupo ajeno")
    login(team["trainer"])
    assert "Grupo ajeno" not in text(client.get(f"{BASE}/web-course/cohorts"))
    response = post(client, f"{BASE}/web-course/cohorts", {"cohort_id": str(other.id), "language": "es"})
    assert response.status_code == 422
    assert post(client, f"{BASE}/web-course/cohorts/{other.id}/remove").status_code == 403


# -- who may author ------------------------------------------------------------------------

def test_trainees_and_supervisors_may_not_author(browser, team, web_course):
    for role in ("trainee", "supervisor"):
        client = browser(team[role])
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}/web-course").status_code == 403
        assert post(client, lesson_url(), {"title": "X", "body": "Y", "save": "Save"}).status_code == 403
    assert authoring.lesson_content(visible_lessons(web_course)[0], "es").title == "Bienvenida es"


def test_another_organisations_admin_cannot_find_the_course(client, login, web_course, make_org, make_user):
    outsider = make_user("admin", organisation=make_org("Otra"), preferred_language="en")
    login(outsider)
    assert "web-course" not in text(client.get(BASE))
    assert client.get(f"{BASE}/web-course").status_code == 404
    assert post(client, f"{BASE}/web-course/archive").status_code == 404
    assert web_course.archived_at is None


def test_pack_courses_are_read_only_in_the_browser(client, login, team, demo_course):
    login(team["admin"])
    page = text(client.get(f"{BASE}/demo-course"))
    assert "This course comes from a content pack; edit its files and run flask content sync." in page
    assert "Edit the course" not in page and "Cohorts studying it" in page
    assert client.get(f"{BASE}/demo-course/lessons/01-welcome/es").status_code == 403
    assert post(client, f"{BASE}/demo-course/unpublish").status_code == 403
    assert demo_course.is_published
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonContent)
                             .where(LessonContent.updated_by_id.is_not(None))) == 0

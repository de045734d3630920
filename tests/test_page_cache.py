"""The page cache: a reload with nothing written comes from memory, and any write shows on the next load."""
from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa

from app.core.page_cache import DataGeneration
from app.courses.models import LessonProgress
from app.courses.queries import visible_lessons
from app.courses.services import mark_lesson_done
from app.extensions import db
from tests.conftest import FreshContextClient, post_form
from tests.certificate_support import issued_certificate, make_certificate, make_course  # noqa: F401
from tests.courses_support import content_path, demo_course, learning  # noqa: F401  (fixtures)
from tests.test_competency_queries import counting_statements

LESSON = "/courses/demo-course/lessons/{}"
PASSWORD = "a long enough password"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _queries(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"))]


def _generation() -> int:
    return db.session.scalar(sa.select(DataGeneration.value).where(DataGeneration.id == 1))


def test_a_reload_with_nothing_written_shows_the_same_page_from_one_statement(client, login, learning):
    login(learning["trainee"])
    with counting_statements() as first:
        page = client.get("/courses").get_data(as_text=True)
    with counting_statements() as again:
        reload = client.get("/courses").get_data(as_text=True)
    assert "0 of 3 lessons" in page
    assert TOKEN.sub("", reload) == TOKEN.sub("", page)
    assert len(_queries(first)) > 1
    # answered before the user is loaded: the data generation is the one statement
    assert len(_queries(again)) == 1 and "data_generation" in _queries(again)[0]
    assert "user_sessions" not in _queries(again)[0]


def test_a_kept_page_is_not_shown_once_the_session_was_ended_elsewhere(client, login, learning):
    from app.auth.sessions import end_user_sessions

    trainee = learning["trainee"]
    login(trainee)
    client.get("/courses")
    assert client.get("/courses").status_code == 200  # kept
    end_user_sessions(trainee)  # "sign out everywhere", a password change
    db.session.commit()
    answer = client.get("/courses")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_kept_page_is_not_shown_to_a_deactivated_account(client, login, learning, make_user):
    from app.orgs.services import deactivate

    trainee = learning["trainee"]
    login(trainee)
    client.get("/courses")
    assert client.get("/courses").status_code == 200
    deactivate(trainee, make_user("admin"))
    db.session.commit()
    assert client.get("/courses").status_code == 302


def test_a_kept_page_is_not_shown_after_the_idle_timeout(app, client, login, learning):
    login(learning["trainee"])
    client.get("/courses")
    assert client.get("/courses").status_code == 200
    with client.session_transaction() as cookie:  # the browser was left alone past the idle timeout
        cookie["seen"] -= int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds()) + 5
    answer = client.get("/courses")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert "Your session ended after a period without activity." in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_kept_page_is_refused_once_the_role_that_opened_it_is_taken_away(client, login, make_user):
    from app.orgs.models import Role, RoleAssignment

    admin = make_user("admin")
    login(admin)
    client.get("/dashboards/organisation")
    assert client.get("/dashboards/organisation").status_code == 200  # kept
    db.session.execute(sa.update(RoleAssignment).where(RoleAssignment.user_id == admin.id)
                       .values(role=Role.TRAINEE))
    db.session.commit()
    assert client.get("/dashboards/organisation").status_code == 403


def test_the_trainees_own_work_shows_on_the_next_load(client, login, learning):
    login(learning["trainee"])
    assert "0 of 3 lessons" in client.get("/courses").get_data(as_text=True)
    client.get("/courses")
    lesson = client.get(LESSON.format("01-welcome")).get_data(as_text=True)
    done = client.post(LESSON.format("01-welcome") + "/done", data={"csrf_token": TOKEN.search(lesson).group(1)})
    assert done.status_code == 302
    assert "1 of 3 lessons" in client.get("/courses").get_data(as_text=True)
    assert "You have finished this lesson." in client.get(LESSON.format("01-welcome")).get_data(as_text=True)


def test_a_change_committed_elsewhere_shows_on_the_next_load(client, login, learning):
    """Another process (a job, a command, another worker) commits: the page does not stay as it was."""
    trainee, course = learning["trainee"], learning["course"]
    login(trainee)
    client.get("/courses")
    assert "0 of 3 lessons" in client.get("/courses").get_data(as_text=True)
    mark_lesson_done(trainee, visible_lessons(course)[0])
    db.session.commit()
    assert "1 of 3 lessons" in client.get("/courses").get_data(as_text=True)


def test_each_person_gets_their_own_page(app, login, learning, make_user):
    other = make_user("trainee", full_name="Rosa Quispe")
    first, second = FreshContextClient(app), FreshContextClient(app)
    for browser in (first, second):
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(learning["trainee"], c=first)
    login(other, c=second)
    for _ in range(2):
        mine = first.get("/").get_data(as_text=True)
        theirs = second.get("/").get_data(as_text=True)
        assert learning["trainee"].full_name in mine and "Rosa Quispe" not in mine
        assert "Rosa Quispe" in theirs and learning["trainee"].full_name not in theirs
    # and nobody reaches the other's page by address: the cache answers only what the view allowed
    assert second.get("/courses").status_code == 200
    assert "No course has been given to your training group yet." in second.get("/courses").get_data(as_text=True)


def test_a_page_from_memory_carries_a_form_token_that_works(client, login, learning):
    trainee = learning["trainee"]
    login(trainee)
    client.get(LESSON.format("01-welcome"))
    again = client.get(LESSON.format("01-welcome")).get_data(as_text=True)
    assert "\x00" not in again
    token = TOKEN.search(again).group(1)
    answer = client.post(LESSON.format("01-welcome") + "/done", data={"csrf_token": token})
    assert answer.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)
                             .where(LessonProgress.user_id == trainee.id)) == 1


def test_a_message_after_a_redirect_is_shown_on_a_page_kept_in_memory(client, login, learning):
    login(learning["trainee"])
    client.get(LESSON.format("02-listening"))
    client.get(LESSON.format("02-listening"))  # now kept
    lesson = client.get(LESSON.format("01-welcome")).get_data(as_text=True)
    answer = client.post(LESSON.format("01-welcome") + "/done", data={"csrf_token": TOKEN.search(lesson).group(1)},
                         follow_redirects=True)
    assert "Lesson marked as done." in answer.get_data(as_text=True)
    # shown once, as always: the next load has no message
    assert "Lesson marked as done." not in client.get(LESSON.format("02-listening")).get_data(as_text=True)


def test_the_page_follows_the_language_chosen(client, login, learning):
    login(learning["trainee"])
    client.get("/courses")
    assert "My courses" in client.get("/courses").get_data(as_text=True)
    post_form(client, "/language", {"language": "es", "next": "/courses"})
    assert "Mis cursos" in client.get("/courses").get_data(as_text=True)


def test_a_write_changes_the_generation_and_a_read_a_rollback_or_a_no_op_does_not(client, login, learning):
    db.session.commit()
    before = _generation()
    client.get("/login")  # reads only
    db.session.commit()
    assert _generation() == before
    db.session.execute(sa.delete(LessonProgress).where(LessonProgress.user_id == -1))  # matches nothing
    db.session.commit()
    assert _generation() == before
    mark_lesson_done(learning["trainee"], visible_lessons(learning["course"])[0])
    db.session.rollback()
    assert _generation() == before
    mark_lesson_done(learning["trainee"], visible_lessons(learning["course"])[0])
    db.session.commit()
    after = _generation()
    assert after != before


def test_the_cache_can_be_switched_off(app, client, login, learning):
    from app.core import page_cache

    saved = app.config["PAGE_CACHE_SECONDS"]
    kept = app.extensions.pop("acompana_page_cache", None)
    app.config["PAGE_CACHE_SECONDS"] = 0
    try:
        login(learning["trainee"])
        client.get("/courses")
        with counting_statements() as again:
            client.get("/courses")
        assert len(_queries(again)) > 1
        assert "acompana_page_cache" not in app.extensions
    finally:
        app.config["PAGE_CACHE_SECONDS"] = saved
        if kept is not None:
            app.extensions["acompana_page_cache"] = kept
        page_cache.clear(app)


def test_a_public_verification_page_shows_a_revocation_on_the_next_load(client, db_session, make_user,
                                                                        issued_certificate):
    from app.certificates import rate_limit
    from app.certificates.models import RevocationReason
    from app.core.db import utcnow

    rate_limit.reset()
    certificate = issued_certificate(make_user("trainee"))
    db_session.commit()
    for _ in range(2):
        page = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
        assert "genuine and valid today" in page
    with counting_statements() as again:
        client.get(f"/verify/{certificate.token}")
    assert len(_queries(again)) == 1  # the data generation only
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = make_user("admin").id
    certificate.revocation_reason = RevocationReason.CONDUCT
    certificate.revocation_note = "Complaint"
    db_session.commit()
    page = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Revoked" in page and "genuine and valid today" not in page
    rate_limit.reset()


@contextmanager
def _app_with_one_trainee(tmp_path, name: str, **config):
    """(app, her id, its engine) on a database of its own with real commits, as under gunicorn (the other
    tests share one rolled-back connection): one organisation and one trainee, Ana, signed in as "ana"."""
    from app import create_app
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.orgs.models import Organisation, Role, RoleAssignment
    from tests.databases import fresh_database

    with fresh_database(tmp_path, name) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
        app.test_client_class = FreshContextClient
        with app.app_context():
            db.create_all()
            org = Organisation(slug="org-" + name.replace("_", "-"), name="Clínica de prueba", country="PE")
            db.session.add(org)
            db.session.flush()
            user = User(organisation_id=org.id, username="ana", full_name="Ana Flores", preferred_language="en",
                        password_hash=hash_password(PASSWORD))
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleAssignment(user_id=user.id, organisation_id=org.id, role=Role.TRAINEE))
            db.session.commit()
            user_id, engine = user.id, db.engine
        try:
            yield app, user_id, engine
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_on_a_database_of_its_own_the_signed_in_pages_follow_every_commit(tmp_path):
    """Real commits on a real engine: on PostgreSQL the session statement then runs in autocommit on a
    connection of its own."""
    from app.auth.models import User

    with _app_with_one_trainee(tmp_path, "page_cache") as (app, user_id, _engine):
        browser = app.test_client()
        assert post_form(browser, "/login", {"username": "ana", "password": PASSWORD}).status_code == 302
        for _ in range(2):
            page = browser.get("/courses").get_data(as_text=True)
            assert "Ana Flores" in page and "My courses" in page
        with app.app_context():  # another process renames her
            db.session.get(User, user_id).full_name = "Ana María Flores"
            db.session.commit()
        assert "Ana María Flores" in browser.get("/courses").get_data(as_text=True)
        # the signed-in user is the request's own: changing her through a form is saved
        post_form(browser, "/language", {"language": "es", "next": "/courses"})
        assert "Mis cursos" in browser.get("/courses").get_data(as_text=True)
        with app.app_context():
            assert db.session.get(User, user_id).preferred_language == "es"


def test_a_page_behind_a_role_check_is_answered_from_one_statement_too(client, login, learning):
    login(learning["trainer"])
    page = client.get(f"/cohorts/{learning['cohort'].id}")
    assert page.status_code == 200
    with counting_statements() as again:
        reload = client.get(f"/cohorts/{learning['cohort'].id}")
    assert TOKEN.sub("", reload.get_data(as_text=True)) == TOKEN.sub("", page.get_data(as_text=True))
    assert len(_queries(again)) == 1 and "data_generation" in _queries(again)[0]


def test_a_signed_in_visitor_of_a_public_page_gets_it_from_memory_after_its_rate_limit(client, login, learning,
                                                                                     issued_certificate):
    from app.certificates import rate_limit

    rate_limit.reset()
    certificate = issued_certificate(learning["trainee"])
    db.session.commit()
    login(learning["trainer"])
    first = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    with counting_statements() as again:
        second = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "genuine and valid today" in first and TOKEN.sub("", second) == TOKEN.sub("", first)
    # the session and its user (signed in: the page is kept per login session), then the generation
    assert len(_queries(again)) == 2 and "data_generation" in _queries(again)[-1]
    rate_limit.reset()


def test_a_request_that_wrote_nothing_ends_with_commit_on_postgresql_and_nothing_unsaved_is_kept(tmp_path):
    """On PostgreSQL a read-only request's transaction ends with COMMIT, so psycopg keeps its prepared
    statements (a ROLLBACK drops them); a change a view left unsaved, flushed or not, is never committed."""
    from app.auth.models import User
    from tests.databases import backend

    with _app_with_one_trainee(tmp_path, "read_commit", PAGE_CACHE_SECONDS=0) as (app, user_id, engine):
        ends: list[str] = []
        sa.event.listen(engine, "commit", lambda _conn: ends.append("COMMIT"))
        sa.event.listen(engine, "rollback", lambda _conn: ends.append("ROLLBACK"))
        browser = app.test_client()
        post_form(browser, "/login", {"username": "ana", "password": PASSWORD})
        ends.clear()
        assert "My courses" in browser.get("/courses").get_data(as_text=True)
        assert ends[:1] == (["COMMIT"] if backend() == "postgresql" else ["ROLLBACK"])
        for flush in (False, True):
            with app.test_request_context("/courses"):
                db.session.get(User, user_id).full_name = "Not saved"
                if flush:
                    db.session.flush()
            with app.app_context():
                assert db.session.get(User, user_id).full_name == "Ana Flores"

"""Two learners' taps at once never make two attempts or two grades, on SQLite and on PostgreSQL.

Several OS processes (like gunicorn workers handling a double tap, or two tabs) start the same
learner's attempt at the same moment, then submit it at the same moment. Starting locks the
learner's row; submitting is a conditional UPDATE ... WHERE status = 'in_progress'.
"""
from __future__ import annotations

import multiprocessing
import queue
import traceback

import sqlalchemy as sa

from tests.databases import backend, fresh_database

PROCESSES = 4


def _app(url: str):
    from pathlib import Path

    from app import create_app

    packs = Path(__file__).resolve().parent / "fixtures" / "packs"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "CONTENT_PATH": str(packs)})


def _seed(url: str, results) -> None:
    """A trainee in a cohort studying the fixture course, with its banks and quizzes synced."""
    try:
        from app.courses.services import give_course
        from app.extensions import db
        from tests.courses_support import sync_fixture_pack
        from tests.quiz_attempts_support import sync_fixture_banks

        app = _app(url)
        with app.app_context():
            from app.auth.models import User
            from app.orgs.models import Cohort, CohortMember, CohortRole, Organisation, Role, RoleAssignment

            org = Organisation(slug="conc", name="Concurrency", country="MX")
            db.session.add(org)
            db.session.flush()
            user = User(organisation_id=org.id, username="racer", full_name="Racer", password_hash="x",
                        preferred_language="es")
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleAssignment(user_id=user.id, organisation_id=org.id, role=Role.TRAINEE))
            cohort = Cohort(organisation_id=org.id, name="Race")
            db.session.add(cohort)
            db.session.flush()
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=CohortRole.TRAINEE))
            sync_fixture_banks()
            give_course(cohort, sync_fixture_pack(), "es")
            db.session.commit()
            results.put([])
            db.engine.dispose()
    except Exception:
        results.put([traceback.format_exc()])


def _racer(url: str, action: str, barrier, results) -> None:
    try:
        from app.auth.models import User
        from app.extensions import db
        from app.quizzes import attempts
        from app.quizzes.models import Quiz, QuizAttempt

        app = _app(url)
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == "racer"))
            quiz = db.session.scalar(sa.select(Quiz).where(Quiz.slug == "pre-test"))
            db.session.commit()  # end the read: on SQLite it holds the write lock while waiting at the barrier
            barrier.wait(timeout=120)
            if action == "start":
                outcome = attempts.start_attempt(quiz, user).id
            else:
                attempt = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.user_id == user.id))
                outcome = attempts.submit_attempt(attempt)
            db.session.commit()
            results.put(("ok", outcome))
            db.session.remove()
            db.engine.dispose()
    except Exception:
        results.put(("error", traceback.format_exc()))


def _run(context, target, args_list, timeout: int = 300) -> list:
    results = context.Queue()
    processes = [context.Process(target=target, args=(*args, results)) for args in args_list]
    for process in processes:
        process.start()
    collected = []
    try:
        for _ in processes:
            collected.append(results.get(timeout=timeout))
    except queue.Empty:
        collected.append(("error", f"a process did not report back within {timeout} s"))
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
        results.join_thread()
    return collected


def test_concurrent_start_makes_one_attempt_and_concurrent_submit_grades_once(tmp_path):
    from app.core.audit import AuditEvent
    from app.extensions import db
    from app.quizzes.models import QuizAttempt

    with fresh_database(tmp_path, "acompana_quizconc") as url:
        engine = sa.create_engine(url)
        try:
            db.metadata.create_all(engine)
        finally:
            engine.dispose()
        context = multiprocessing.get_context("spawn")
        assert _run(context, _seed, [(url,)]) == [[]]

        barrier = context.Barrier(PROCESSES)
        started = _run(context, _racer, [(url, "start", barrier)] * PROCESSES)
        barrier = context.Barrier(PROCESSES)
        submitted = _run(context, _racer, [(url, "submit", barrier)] * PROCESSES)

        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                attempts = conn.execute(sa.select(QuizAttempt.id, QuizAttempt.status, QuizAttempt.percent)).all()
                events = conn.scalar(sa.select(sa.func.count(AuditEvent.id))
                                     .where(AuditEvent.action == "quiz_attempt.submitted"))
        finally:
            engine.dispose()

    assert [kind for kind, _ in started] == ["ok"] * PROCESSES, f"{backend()}: {started}"
    assert len({attempt_id for _, attempt_id in started}) == 1
    assert [kind for kind, _ in submitted] == ["ok"] * PROCESSES, f"{backend()}: {submitted}"
    assert sorted(outcome for _, outcome in submitted) == [False] * (PROCESSES - 1) + [True]
    assert len(attempts) == 1 and attempts[0].status == "finished"
    assert events == 1

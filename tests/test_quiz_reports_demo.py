"""The demo cohort has real pre- and post-test attempts at PM+, made once, that the reports read."""
from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import ROOT
from tests.courses_support import sync_fixture_pack


def test_demo_quiz_results_are_made_once_and_reported(app, db_session):
    from app.demo import seed_demo
    from app.orgs.models import Cohort
    from app.quizzes import reports
    from app.quizzes.cli import sync_bank_files
    from app.quizzes.models import AttemptStatus, Quiz, QuizAttempt, QuizKind

    assert sync_bank_files() == 0
    course = sync_fixture_pack(ROOT / "modules" / "pm-plus")
    seed_demo()
    cohort = db_session.scalar(sa.select(Cohort).where(Cohort.name == "PM+ Sierra 2026"))
    pre = db_session.scalar(sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.PRE_TEST))
    attempts = list(db_session.scalars(sa.select(QuizAttempt)))
    assert len(attempts) == 12 + 12   # every other trainee took the pre-test; ten the post-test, two twice
    assert {a.status for a in attempts} == {AttemptStatus.FINISHED}
    assert all(a.cohort_id == cohort.id and a.language == "es" for a in attempts)

    seed_demo()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == len(attempts)

    trainees = reports.visible_trainees(_trainer(db_session), cohort)
    prepost = reports.pre_post(course, cohort, trainees)
    assert prepost.comparison.paired == 10
    assert prepost.comparison.mean_post > prepost.comparison.mean_pre
    analysis = reports.item_analysis(pre, cohort, reports.AttemptScope.FIRST)
    assert analysis.test.attempts == 12 and len(analysis.items) == 24


def _trainer(db_session):
    from app.auth.models import User

    return db_session.scalar(sa.select(User).where(User.username == "trainer"))

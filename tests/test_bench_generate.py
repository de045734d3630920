"""bench/generate.py: a small national data set has the planned numbers, tells a believable story, and its
known accounts sign in and see their home pages."""
from __future__ import annotations

import sqlalchemy as sa

from bench.generate import check, generate

SCALE = 0.002  # 100 trainees in 2 organisations, 4 sites, 4 cohorts


def count(db_session, model, *where) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_small_data_set_has_the_planned_numbers(app, db_session):
    from app.certificates.models import Certificate
    from app.competencies.models import Assessment, AssessmentStatus
    from app.orgs.models import Cohort, Organisation, Role, RoleAssignment, Site
    from app.quizzes.models import AttemptQuestion
    from app.supervision.models import SupervisionSession

    report = generate(db_session, SCALE, seed=3)
    plan = report["plan"]
    assert (plan["organisations"], plan["sites"], plan["cohorts"], plan["trainees"]) == (2, 4, 4, 100)
    assert count(db_session, Organisation) == 2 and count(db_session, Site) == 4 and count(db_session, Cohort) == 4
    assert count(db_session, RoleAssignment, RoleAssignment.role == Role.TRAINEE) == 100
    assert count(db_session, Assessment, Assessment.status == AssessmentStatus.SUBMITTED) == plan["assessments"] == 200
    assert count(db_session, Assessment, Assessment.status == AssessmentStatus.DRAFT) == 1  # the supervisor's draft
    responses = count(db_session, AttemptQuestion)
    assert 0.7 * plan["quiz_responses"] < responses < 1.3 * plan["quiz_responses"] + 24  # + the open pre-test
    assert count(db_session, SupervisionSession) == plan["supervision_sessions"] == 100
    assert 0 < count(db_session, Certificate) <= plan["certificates"]
    assert report["tables"]["item_ratings"]["rows"] == 15 * plan["assessments"]
    assert all(figures["seconds"] >= 0 for figures in report["tables"].values())


def test_training_shows_in_the_data(app, db_session):
    """Levels rise from pre to post, harm falls, post-test scores beat pre-test ones; some certificates lapse."""
    from app.certificates.models import Certificate
    from app.competencies.models import (
        Assessment,
        AssessmentStage,
        HarmFlag,
        HarmFlagStatus,
        ItemRating,
    )
    from app.core.db import utcnow
    from app.quizzes.models import Quiz, QuizAttempt, QuizKind

    generate(db_session, 0.01, seed=4)

    def mean_level(stage):
        return float(db_session.scalar(sa.select(sa.func.avg(ItemRating.level)).join(Assessment).where(
            Assessment.stage == stage, ItemRating.level.is_not(None))))

    def harmful_share(stage):
        rated = count(db_session, Assessment, Assessment.stage == stage)
        return count(db_session, Assessment, Assessment.stage == stage, Assessment.has_harm.is_(True)) / rated

    assert mean_level(AssessmentStage.POST) > mean_level(AssessmentStage.PRE) + 0.5
    assert harmful_share(AssessmentStage.POST) < harmful_share(AssessmentStage.PRE) / 2
    statuses = set(db_session.scalars(sa.select(HarmFlag.status).distinct()))
    assert statuses == {HarmFlagStatus.OPEN, HarmFlagStatus.CLEARED}

    def mean_percent(kind):
        return float(db_session.scalar(sa.select(sa.func.avg(QuizAttempt.percent)).join(Quiz).where(Quiz.kind == kind)))

    assert mean_percent(QuizKind.POST_TEST) > mean_percent(QuizKind.PRE_TEST) + 15
    now = utcnow()
    assert count(db_session, Certificate, Certificate.valid_until < now) > 0  # expired (a yearly PFA rule)
    assert count(db_session, Certificate, Certificate.valid_until > now, Certificate.revoked_at.is_(None)) > 0


def test_the_known_accounts_sign_in_and_see_their_home_pages(app, db_session):
    report = generate(db_session, SCALE, seed=5)
    accounts = report["known"]["accounts"]
    assert accounts == {"trainee": "trainee", "supervisor": "supervisor", "trainer": "trainer", "admin": "admin",
                        "manager": "manager"}
    homes = {"trainee home", "supervisor home", "trainer home", "admin home", "quiz page", "rating page"}
    assert check(app, report["known"], only=homes) == []

"""The demo cohort's competency ratings: pre, mid and post rounds, open harm flags, a calibration session."""
from __future__ import annotations

import sqlalchemy as sa


def test_demo_ratings_are_created_once_and_tell_a_story(app, db_session):
    from app.competencies import queries
    from app.competencies.agreement import calibrate
    from app.competencies.cli import sync_tools
    from app.competencies.feedback import trainee_feedback
    from app.competencies.models import Assessment, AssessmentStatus, HarmFlag, HarmFlagStatus, RatingSession
    from app.demo import seed_demo
    from app.orgs.models import Cohort

    sync_tools()
    seed_demo()
    cohort = db_session.scalar(sa.select(Cohort).where(Cohort.name == "PM+ Sierra 2026"))
    counted = list(db_session.scalars(sa.select(Assessment).where(Assessment.cohort_id == cohort.id,
                                                                  Assessment.rating_session_id.is_(None))))
    assert all(a.status == AssessmentStatus.SUBMITTED for a in counted)
    stages = [a.stage.value for a in counted]
    assert stages.count("pre") == 13 and stages.count("mid") == 7 and stages.count("post") == 10

    flags = list(db_session.scalars(sa.select(HarmFlag)))
    open_flags = [f for f in flags if f.status == HarmFlagStatus.OPEN]
    assert len(flags) == 4 and len(open_flags) == 2  # Pedro has no post rating yet; the others were cleared

    trainer = db_session.scalar(sa.select(Assessment).where(Assessment.stage == "mid")).assessor
    progress = queries.group_progress(cohort, counted[0].tool, queries.trainee_scope(trainer, cohort))
    pre = sum(level * n for c in (progress.cell(i, "pre") for i in progress.items)
              for level, n in c.counts.items() if level) / sum(
        n for c in (progress.cell(i, "pre") for i in progress.items) for level, n in c.counts.items() if level)
    post = sum(level * n for c in (progress.cell(i, "post") for i in progress.items)
               for level, n in c.counts.items() if level) / sum(
        n for c in (progress.cell(i, "post") for i in progress.items) for level, n in c.counts.items() if level)
    assert post > pre + 0.5

    maria = next(a.trainee for a in counted if a.trainee.username == "trainee")
    (feedback,) = trainee_feedback(maria)
    assert [r.assessment.stage.value for r in feedback.rounds] == ["pre", "mid", "post"]

    session = db_session.scalar(sa.select(RatingSession))
    items = {item.id: item for item in queries.visible_items(session.tool)}
    (ratings,) = queries.session_ratings([session], items)
    report = calibrate(ratings.units)
    assert len(ratings.raters) == 3 and session.reference_rater_id in ratings.raters
    assert [r.needs_training for r in report.against_reference] == [False, True]  # the third rater

    total = db_session.scalar(sa.select(sa.func.count()).select_from(Assessment))
    seed_demo()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == total

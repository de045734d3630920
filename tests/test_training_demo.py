"""The demo cohort has training days with attendance taken on the past ones, created once."""
from __future__ import annotations

import sqlalchemy as sa


def test_demo_training_days_are_created_once(app, db_session):
    from app.core.audit import AuditEvent
    from app.demo import seed_demo
    from app.orgs.models import Cohort
    from app.training.models import Attendance, AttendanceStatus, TrainingDay
    from app.auth.models import User
    from app.training.queries import cohort_summary, local_today, trainee_totals

    seed_demo()
    cohort = db_session.scalar(sa.select(Cohort).where(Cohort.name == "PM+ Sierra 2026"))
    days = list(db_session.scalars(sa.select(TrainingDay).where(TrainingDay.cohort_id == cohort.id)))
    today = local_today()
    assert len(days) == 4 and sum(d.held_on > today for d in days) == 1
    statuses = list(db_session.scalars(sa.select(Attendance.status)))
    assert len(statuses) == 3 * 13
    assert statuses.count(AttendanceStatus.ABSENT) == 3 and statuses.count(AttendanceStatus.EXCUSED) == 2
    summary = cohort_summary(cohort, today)
    rates = [row.rate for row in summary]
    assert max(rates) == 1.0 and min(rates) < 1.0
    # One trainee's totals, read alone (as the certification evaluator does), match the cohort's table.
    for row in summary:
        alone = trainee_totals(cohort, row.trainee, today)
        assert (alone.present, alone.absent, alone.excused, alone.held) == (row.present, row.absent, row.excused, row.held)
    outsider = db_session.scalar(sa.select(User).where(User.id.not_in([row.trainee.id for row in summary])))
    assert trainee_totals(cohort, outsider, today) is None

    counts = (db_session.scalar(sa.select(sa.func.count()).select_from(TrainingDay)),
              db_session.scalar(sa.select(sa.func.count()).select_from(Attendance)),
              db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))
    seed_demo()
    assert counts == (db_session.scalar(sa.select(sa.func.count()).select_from(TrainingDay)),
                      db_session.scalar(sa.select(sa.func.count()).select_from(Attendance)),
                      db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))

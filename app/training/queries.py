"""Reading attendance: the cohort's trainees, counts per day, and the attendance rate."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole
from app.training.models import Attendance, AttendanceStatus, TrainingDay


def local_today() -> date:
    """Today where the training happens (the organisation's time zone), not on the server."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def is_held(day: TrainingDay, today: date) -> bool:
    """A day counts from its date on (today included); upcoming days never count."""
    return day.held_on <= today


def attendance_rate(present: int, excused: int, held: int) -> float | None:
    """The attendance rule: present ÷ (days held so far − days excused).

    `held` counts the cohort's training days dated today or earlier; future days never
    count. Excused days leave the denominator; absent days and held days with nothing
    recorded stay in it (they count as not attended). None when no day is countable
    (nothing held yet, or every held day excused): shown as "—", never as 0 %.
    """
    countable = held - excused
    if countable <= 0:
        return None
    return present / countable


@dataclass
class TraineeAttendance:
    trainee: User
    present: int = 0
    absent: int = 0
    excused: int = 0
    held: int = 0

    @property
    def unrecorded(self) -> int:
        return max(self.held - self.present - self.absent - self.excused, 0)

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.present, self.excused, self.held)


@dataclass
class CohortAttendance:
    """One trainee's record in one cohort: every day (past and upcoming) with their status."""

    cohort: Cohort
    totals: TraineeAttendance
    days: list[tuple[TrainingDay, Attendance | None]] = field(default_factory=list)


def training_days(cohort: Cohort) -> list[TrainingDay]:
    return list(db.session.scalars(
        sa.select(TrainingDay).where(TrainingDay.cohort_id == cohort.id)
        .order_by(TrainingDay.held_on, TrainingDay.starts_at, TrainingDay.id)
    ))


def cohort_trainees(cohort: Cohort) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, CohortMember.role == CohortRole.TRAINEE)
        .order_by(User.full_name, User.id)
    ))


def day_attendance(day: TrainingDay) -> dict[int, Attendance]:
    """The rows recorded for a day, by trainee id."""
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.training_day_id == day.id))
    return {row.trainee_id: row for row in rows}


def day_counts(cohort: Cohort) -> dict[int, Counter]:
    """Per training day id: how many trainees were recorded present, absent, excused."""
    rows = db.session.execute(
        sa.select(Attendance.training_day_id, Attendance.status, sa.func.count())
        .join(TrainingDay, TrainingDay.id == Attendance.training_day_id)
        .where(TrainingDay.cohort_id == cohort.id)
        .group_by(Attendance.training_day_id, Attendance.status)
    )
    counts: dict[int, Counter] = {}
    for day_id, status, n in rows:
        counts.setdefault(day_id, Counter())[AttendanceStatus(status)] = n
    return counts


def _held_count(cohort_id: int, today: date) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(TrainingDay)
        .where(TrainingDay.cohort_id == cohort_id, TrainingDay.held_on <= today)
    ) or 0


def cohort_summary(cohort: Cohort, today: date) -> list[TraineeAttendance]:
    """Each current trainee's totals over the days held so far, by name."""
    held = _held_count(cohort.id, today)
    summary = {t.id: TraineeAttendance(trainee=t, held=held) for t in cohort_trainees(cohort)}
    for trainee_id, status, n in _status_counts(cohort.id, today):
        if trainee_id in summary:
            setattr(summary[trainee_id], AttendanceStatus(status).value, n)
    return list(summary.values())


def _status_counts(cohort_id: int, today: date, trainee_id: int | None = None) -> sa.Result:
    """(trainee id, status, days) over the cohort's days held so far; one trainee's rows when given."""
    query = (sa.select(Attendance.trainee_id, Attendance.status, sa.func.count())
             .join(TrainingDay, TrainingDay.id == Attendance.training_day_id)
             .where(TrainingDay.cohort_id == cohort_id, TrainingDay.held_on <= today))
    if trainee_id is not None:
        query = query.where(Attendance.trainee_id == trainee_id)
    return db.session.execute(query.group_by(Attendance.trainee_id, Attendance.status))


def trainee_totals(cohort: Cohort, trainee: User, today: date) -> TraineeAttendance | None:
    """One current trainee's totals in ``cohort`` (as in ``cohort_summary``), reading only their rows:
    the certification evaluator asks this once per trainee, so it must not read the whole cohort."""
    member = db.session.scalar(sa.select(CohortMember.id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == trainee.id, CohortMember.role == CohortRole.TRAINEE))
    if member is None:
        return None
    totals = TraineeAttendance(trainee=trainee, held=_held_count(cohort.id, today))
    for _trainee_id, status, n in _status_counts(cohort.id, today, trainee.id):
        setattr(totals, AttendanceStatus(status).value, n)
    return totals


def attendance_of(trainee: User, today: date) -> list[CohortAttendance]:
    """The trainee's own record in each cohort they learn in (only their own rows are read)."""
    cohorts = db.session.scalars(
        sa.select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == trainee.id, CohortMember.role == CohortRole.TRAINEE,
               Cohort.organisation_id == trainee.organisation_id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)
    )
    result = []
    for cohort in cohorts:
        days = training_days(cohort)
        mine = {row.training_day_id: row for row in db.session.scalars(
            sa.select(Attendance).where(Attendance.trainee_id == trainee.id,
                                        Attendance.training_day_id.in_([d.id for d in days])))}
        totals = TraineeAttendance(trainee=trainee, held=sum(1 for d in days if is_held(d, today)))
        for day in days:
            row = mine.get(day.id)
            if row is not None and is_held(day, today):
                setattr(totals, row.status.value, getattr(totals, row.status.value) + 1)
        result.append(CohortAttendance(cohort=cohort, totals=totals, days=[(d, mine.get(d.id)) for d in days]))
    return result

"""Rebuilding an organisation's dashboard facts from the live tables, set-based, on SQLite and PostgreSQL.

``refresh`` deletes the organisation's fact rows and inserts them again with a handful of
INSERT ... SELECT statements (no Python loop over people), under a lock on the organisation's
snapshot row so two refreshes never interleave. It runs from cron (`flask dashboards refresh`),
from the admins' "Refresh now" button, synchronously the first time an organisation's dashboard is
opened, and in a background thread when the page finds the figures older than
DASHBOARD_MAX_AGE_MINUTES (never inside the page's own request: the claim on the snapshot row lets
one refresh run per organisation, however many people are looking).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.certificates.models import Certificate
from app.competencies.models import (
    Assessment,
    AssessmentStage,
    AssessmentStatus,
    ItemRating,
)
from app.core.db import utcnow
from app.courses.models import CohortCourse, CourseModule, Lesson, LessonProgress
from app.dashboards.models import (
    FACT_TABLES,
    CompetencyFact,
    DashboardSnapshot,
    EnrolmentFact,
    PracticeFact,
    SupervisionFact,
)
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole
from app.practice.models import EntryStatus, PracticeCase, PracticeEntry
from app.supervision.models import SessionAttendee, SessionStatus, SupervisionSession

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE_MINUTES = 60
CLAIM_TIMEOUT = timedelta(minutes=15)  # a background refresh that died leaves a claim; it lapses after this
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


# -- months in the organisation's time zone ------------------------------------------------------

class Months:
    """SQL for "the first day of the local month of this column", per database.

    PostgreSQL converts each timestamp with the zone's rules; SQLite has no zone database, so it
    shifts by the zone's offset at refresh time (exact for zones without daylight saving time,
    such as Mexico's and Peru's, and at most an hour off at a month's edge elsewhere).
    """

    def __init__(self, dialect: str, zone_name: str, now: datetime) -> None:
        if not _ZONE_NAME.match(zone_name):
            raise ValueError(f"unexpected time zone name {zone_name!r}")
        self.dialect = dialect
        self.zone_name = zone_name
        offset = now.astimezone(ZoneInfo(zone_name)).utcoffset() or timedelta(0)
        self.offset_minutes = int(offset.total_seconds() // 60)

    def of_timestamp(self, column):
        if self.dialect == "postgresql":
            local = sa.func.timezone(sa.literal_column(f"'{self.zone_name}'"), column)
            return sa.cast(sa.func.date_trunc(sa.literal_column("'month'"), local), sa.Date)
        return sa.func.date(column, sa.literal_column(f"'{self.offset_minutes:+d} minutes'"),
                            sa.literal_column("'start of month'"))

    def of_date(self, column):
        if self.dialect == "postgresql":
            return sa.cast(sa.func.date_trunc(sa.literal_column("'month'"), sa.cast(column, sa.DateTime)), sa.Date)
        return sa.func.date(column, sa.literal_column("'start of month'"))


def months_for(now: datetime) -> Months:
    return Months(db.session.get_bind().dialect.name, current_app.config["BABEL_DEFAULT_TIMEZONE"], now)


# -- the snapshot row ----------------------------------------------------------------------------

def snapshot_of(organisation_id: int) -> DashboardSnapshot | None:
    return db.session.scalar(sa.select(DashboardSnapshot).where(DashboardSnapshot.organisation_id == organisation_id))


def max_age() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("DASHBOARD_MAX_AGE_MINUTES", DEFAULT_MAX_AGE_MINUTES)))


def is_stale(snapshot: DashboardSnapshot | None, now: datetime | None = None) -> bool:
    if snapshot is None or snapshot.refreshed_at is None:
        return True
    return (now or utcnow()) - snapshot.refreshed_at > max_age()


def _locked_snapshot(organisation_id: int) -> DashboardSnapshot:
    """The organisation's snapshot row, locked (FOR UPDATE on PostgreSQL; SQLite holds its write lock)."""
    query = (sa.select(DashboardSnapshot).where(DashboardSnapshot.organisation_id == organisation_id)
             .with_for_update().execution_options(populate_existing=True))
    snapshot = db.session.scalar(query)
    if snapshot is None:
        try:
            with db.session.begin_nested():
                db.session.add(DashboardSnapshot(organisation_id=organisation_id))
        except IntegrityError:  # another refresh created it first: wait for its lock below
            pass
        snapshot = db.session.scalar(query)
    return snapshot


# -- the refresh ---------------------------------------------------------------------------------

def refresh(organisation_id: int, *, force: bool = True, now: datetime | None = None) -> DashboardSnapshot:
    """Rebuild the organisation's facts and stamp the snapshot. Flushes; the caller commits.

    With ``force=False`` (the page's automatic refreshes) nothing is done when another refresh
    made the figures fresh while this one waited for the lock.
    """
    now = now or utcnow()
    snapshot = _locked_snapshot(organisation_id)
    if not force and not is_stale(snapshot, now):
        return snapshot
    started = time.monotonic()
    months = months_for(now)
    for model in FACT_TABLES:
        db.session.execute(sa.delete(model).where(model.organisation_id == organisation_id))
    db.session.execute(_insert_enrolments(organisation_id, months))
    db.session.execute(_insert_competency(organisation_id, months))
    db.session.execute(_insert_supervision(organisation_id, months))
    db.session.execute(_insert_practice(organisation_id, months))
    snapshot.refreshed_at = now
    snapshot.refresh_started_at = None
    snapshot.duration_ms = int((time.monotonic() - started) * 1000)
    db.session.flush()
    return snapshot


def _insert_enrolments(organisation_id: int, months: Months) -> sa.Insert:
    """Trainee x course x cohort: every course given to a cohort the person is a trainee of, plus
    certificates of courses the person is in no cohort for."""
    enrolled_at = sa.case((CohortMember.joined_at >= CohortCourse.created_at, CohortMember.joined_at),
                          else_=CohortCourse.created_at)
    enrolments = (
        sa.select(CohortMember.user_id.label("trainee_id"), CohortMember.cohort_id.label("cohort_id"),
                  CohortCourse.course_id.label("course_id"), months.of_timestamp(enrolled_at).label("enrolled_month"))
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .where(Cohort.organisation_id == organisation_id, CohortMember.role == CohortRole.TRAINEE)
    )
    member = sa.orm.aliased(CohortMember)
    given = sa.orm.aliased(CohortCourse)
    enrolled_elsewhere = (
        sa.select(member.id).join(given, given.cohort_id == member.cohort_id)
        .where(member.user_id == Certificate.trainee_id, member.role == CohortRole.TRAINEE,
               given.course_id == Certificate.course_id)
        .exists()
    )
    certificate_only = (
        sa.select(Certificate.trainee_id, sa.null().label("cohort_id"), Certificate.course_id,
                  sa.null().label("enrolled_month"))
        .where(Certificate.organisation_id == organisation_id, Certificate.revoked_at.is_(None), ~enrolled_elsewhere)
        .group_by(Certificate.trainee_id, Certificate.course_id)
    )
    keys = sa.union_all(enrolments, certificate_only).subquery("enrolment_keys")

    visible = (sa.select(Lesson.id, Lesson.course_id).join(CourseModule, CourseModule.id == Lesson.module_id)
               .where(Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False)).subquery("visible_lessons"))
    totals = (sa.select(visible.c.course_id, sa.func.count().label("total"))
              .group_by(visible.c.course_id).subquery("lesson_totals"))
    done = (
        sa.select(LessonProgress.user_id, visible.c.course_id, sa.func.count().label("done"),
                  sa.func.max(LessonProgress.completed_at).label("last_at"))
        .join(visible, visible.c.id == LessonProgress.lesson_id)
        .join(User, User.id == LessonProgress.user_id)
        .where(User.organisation_id == organisation_id)
        .group_by(LessonProgress.user_id, visible.c.course_id)
        .subquery("lessons_done")
    )
    never_expires = sa.func.sum(sa.case((Certificate.valid_until.is_(None), 1), else_=0)) > 0
    certificates = (
        sa.select(Certificate.trainee_id, Certificate.course_id,
                  sa.func.min(Certificate.issued_at).label("first_at"),
                  sa.case((never_expires, sa.null()), else_=sa.func.max(Certificate.valid_until)).label("valid_until"))
        .where(Certificate.organisation_id == organisation_id, Certificate.revoked_at.is_(None))
        .group_by(Certificate.trainee_id, Certificate.course_id)
        .subquery("valid_certificates")
    )
    trained = sa.case((sa.and_(totals.c.total > 0, done.c.done >= totals.c.total), months.of_timestamp(done.c.last_at)))
    rows = (
        sa.select(sa.literal(organisation_id), User.site_id, keys.c.cohort_id, keys.c.course_id, keys.c.trainee_id,
                  keys.c.enrolled_month, trained, months.of_timestamp(certificates.c.first_at),
                  certificates.c.trainee_id.is_not(None), certificates.c.valid_until)
        .select_from(keys)
        .join(User, User.id == keys.c.trainee_id)
        .outerjoin(totals, totals.c.course_id == keys.c.course_id)
        .outerjoin(done, sa.and_(done.c.user_id == keys.c.trainee_id, done.c.course_id == keys.c.course_id))
        .outerjoin(certificates, sa.and_(certificates.c.trainee_id == keys.c.trainee_id,
                                         certificates.c.course_id == keys.c.course_id))
        .where(User.organisation_id == organisation_id)
    )
    columns = ["organisation_id", "site_id", "cohort_id", "course_id", "trainee_id", "enrolled_month",
               "trained_month", "certified_month", "is_certified", "valid_until"]
    return sa.insert(EnrolmentFact).from_select(columns, rows)


def _insert_competency(organisation_id: int, months: Months) -> sa.Insert:
    """Item ratings of submitted, current pre- and post-training assessments, by level."""
    month = sa.case((Assessment.observed_on.is_not(None), months.of_date(Assessment.observed_on)),
                    else_=months.of_timestamp(Assessment.submitted_at))
    ratings = (
        sa.select(Assessment.trainee_id, Assessment.stage, month.label("month"), ItemRating.level)
        .join(ItemRating, ItemRating.assessment_id == Assessment.id)
        .where(Assessment.organisation_id == organisation_id, Assessment.status == AssessmentStatus.SUBMITTED,
               Assessment.superseded_at.is_(None), Assessment.trainee_id.is_not(None),
               Assessment.stage.in_([AssessmentStage.PRE, AssessmentStage.POST]), ItemRating.level.is_not(None))
        .subquery("ratings")
    )

    def at(level: int):
        return sa.func.sum(sa.case((ratings.c.level == level, 1), else_=0))

    rows = (
        sa.select(sa.literal(organisation_id), User.site_id, ratings.c.trainee_id, ratings.c.month, ratings.c.stage,
                  at(1), at(2), at(3), at(4))
        .join(User, User.id == ratings.c.trainee_id)
        .group_by(User.site_id, ratings.c.trainee_id, ratings.c.month, ratings.c.stage)
    )
    columns = ["organisation_id", "site_id", "trainee_id", "month", "stage", "level_1", "level_2", "level_3",
               "level_4"]
    return sa.insert(CompetencyFact).from_select(columns, rows)


def _insert_supervision(organisation_id: int, months: Months) -> sa.Insert:
    """Minutes and sessions of supervision each trainee attended, by month (submitted sessions only)."""
    attended = (
        sa.select(SessionAttendee.supervisee_id.label("trainee_id"),
                  months.of_timestamp(SupervisionSession.started_at).label("month"),
                  SupervisionSession.duration_minutes.label("minutes"))
        .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
        .where(SupervisionSession.organisation_id == organisation_id,
               SupervisionSession.status == SessionStatus.SUBMITTED)
        .subquery("attended")
    )
    rows = (
        sa.select(sa.literal(organisation_id), User.site_id, attended.c.trainee_id, attended.c.month,
                  sa.func.sum(attended.c.minutes), sa.func.count())
        .join(User, User.id == attended.c.trainee_id)
        .group_by(User.site_id, attended.c.trainee_id, attended.c.month)
    )
    columns = ["organisation_id", "site_id", "trainee_id", "month", "minutes", "sessions"]
    return sa.insert(SupervisionFact).from_select(columns, rows)


def _insert_practice(organisation_id: int, months: Months) -> sa.Insert:
    """Verified practice sessions by the month they were delivered; each case once, in the month of its first."""
    verified = sa.and_(PracticeEntry.organisation_id == organisation_id, PracticeEntry.status == EntryStatus.VERIFIED,
                       PracticeEntry.delivered_on.is_not(None))
    sessions = (
        sa.select(PracticeCase.trainee_id, months.of_date(PracticeEntry.delivered_on).label("month"),
                  PracticeCase.intervention, sa.literal(0).label("cases"), sa.literal(1).label("sessions"))
        .join(PracticeCase, PracticeCase.id == PracticeEntry.case_id)
        .where(verified)
    )
    first = (sa.select(PracticeEntry.case_id, sa.func.min(PracticeEntry.delivered_on).label("first_on"))
             .where(verified).group_by(PracticeEntry.case_id).subquery("first_sessions"))
    cases = (
        sa.select(PracticeCase.trainee_id, months.of_date(first.c.first_on).label("month"),
                  PracticeCase.intervention, sa.literal(1).label("cases"), sa.literal(0).label("sessions"))
        .join(PracticeCase, PracticeCase.id == first.c.case_id)
    )
    delivered = sa.union_all(sessions, cases).subquery("delivered")
    rows = (
        sa.select(sa.literal(organisation_id), User.site_id, delivered.c.trainee_id, delivered.c.month,
                  delivered.c.intervention, sa.func.sum(delivered.c.cases), sa.func.sum(delivered.c.sessions))
        .join(User, User.id == delivered.c.trainee_id)
        .group_by(User.site_id, delivered.c.trainee_id, delivered.c.month, delivered.c.intervention)
    )
    columns = ["organisation_id", "site_id", "trainee_id", "month", "intervention", "cases", "sessions"]
    return sa.insert(PracticeFact).from_select(columns, rows)


# -- automatic refresh, off the request ----------------------------------------------------------

def refresh_mode() -> str:
    """"thread" (default): stale figures are rebuilt in a background thread; "inline": in the request
    (tests); "off": only cron and the button refresh them."""
    return current_app.config.get("DASHBOARD_REFRESH", "thread")


def claim(organisation_id: int, now: datetime | None = None) -> bool:
    """Mark a background refresh as running, unless one runs already or the figures are fresh. Flushes."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(DashboardSnapshot)
        .where(DashboardSnapshot.organisation_id == organisation_id,
               sa.or_(DashboardSnapshot.refresh_started_at.is_(None),
                      DashboardSnapshot.refresh_started_at < now - CLAIM_TIMEOUT),
               sa.or_(DashboardSnapshot.refreshed_at.is_(None), DashboardSnapshot.refreshed_at < now - max_age()))
        .values(refresh_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(organisation_id: int) -> None:
    db.session.execute(sa.update(DashboardSnapshot).where(DashboardSnapshot.organisation_id == organisation_id)
                       .values(refresh_started_at=None).execution_options(synchronize_session=False))


_running: set[int] = set()
_running_lock = threading.Lock()


def start_background_refresh(organisation_id: int) -> bool:
    """Rebuild the figures in a thread of this process, once per organisation at a time. True if started."""
    if refresh_mode() != "thread":
        return False
    with _running_lock:
        if organisation_id in _running:
            return False
        _running.add(organisation_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_refresh_in_thread, args=(app, organisation_id), daemon=True,
                     name=f"dashboard-refresh-{organisation_id}").start()
    return True


def run_claimed_refresh(organisation_id: int) -> bool:
    """Claim, refresh, commit; the claim is released whatever happens. True if this call refreshed."""
    if not claim(organisation_id):
        db.session.rollback()
        return False
    db.session.commit()
    try:
        refresh(organisation_id, force=False)
        db.session.commit()
        return True
    except Exception:
        db.session.rollback()
        release(organisation_id)
        db.session.commit()
        raise


def _refresh_in_thread(app: Flask, organisation_id: int) -> None:
    try:
        with app.app_context():
            try:
                run_claimed_refresh(organisation_id)
            finally:
                db.session.remove()
    except Exception:  # a background refresh must not die silently: log it, the next page view retries
        log.exception("dashboard refresh of organisation %s failed", organisation_id)
    finally:
        with _running_lock:
            _running.discard(organisation_id)

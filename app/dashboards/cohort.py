"""The figures of a cohort dashboard, for one course the cohort was given.

Set-based: a constant number of SQL statements whatever the number of trainees (grouped and
ranked queries, never one per trainee). Where a report already defines a figure, it is reused:
pre/post and the pass mark from the quiz reports, level counts from the competency group
progress, attendance rates from the training rule. The definitions shown on the page
("How these figures are counted") are the ones implemented here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.certificates.models import Certificate
from app.certificates.rules import rule_for
from app.certificates.services import RENEWAL_DAYS
from app.competencies import queries as competency_queries
from app.competencies.models import (
    Assessment,
    AssessmentStage,
    AssessmentStatus,
    CompetencyItem,
    CompetencyTool,
    HarmFlag,
    HarmFlagStatus,
    ItemRating,
)
from app.courses.models import CohortCourse, Course, LessonProgress
from app.courses.queries import visible_lessons
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, SupervisorAssignment
from app.quizzes import reports as quiz_reports
from app.quizzes.statistics import PairedComparison, mean
from app.supervision.models import SessionAttendee, SessionStatus, SupervisionSession
from app.training.models import Attendance, AttendanceStatus, TrainingDay
from app.training.queries import attendance_rate, cohort_summary

SUPERVISION_DAYS = 30       # "supervised recently": a submitted session in this many days
FALLBACK_MIN_LEVEL = 3      # "competent" when the course's rule has no competency criterion
LEVELS = (1, 2, 3, 4, None)  # None: not observed


class CertificateStatus:
    VALID = "valid"          # not revoked, more than RENEWAL_DAYS left (or no expiry)
    EXPIRING = "expiring"    # not revoked, expires within RENEWAL_DAYS
    EXPIRED = "expired"
    REVOKED = "revoked"
    NONE = "none"            # no certificate for this course

    ORDER = (VALID, EXPIRING, EXPIRED, REVOKED, NONE)


@dataclass
class CompetentRule:
    """What "competent" means for this course (from its certification rule, or the fallback)."""

    tool: CompetencyTool | None
    tool_slug: str | None
    stage: str
    min_level: int
    from_rule: bool


@dataclass
class TraineeRow:
    trainee: User
    lessons_done: int = 0
    attendance: float | None = None        # 0..1, the training rule's rate
    pre: float | None = None               # graded %, as the quiz reports
    post: float | None = None
    passed: bool | None = None             # post-test at its pass mark; None: no post-test grade
    competent: bool = False
    certificate: str = CertificateStatus.NONE
    open_flags: int = 0
    sessions_recent: int = 0               # supervision received in the last SUPERVISION_DAYS days
    minutes_recent: int = 0
    minutes_total: int = 0


@dataclass
class Funnel:
    enrolled: int
    lessons_done: int
    post_test_passed: int
    competent: int
    certified: int


@dataclass
class DayAttendance:
    day: TrainingDay
    present: int
    excused: int
    absent: int
    unrecorded: int
    rate: float | None  # the attendance rule over one day: present ÷ (trainees − excused), 0..1


@dataclass
class Knowledge:
    pre_test: Any
    post_test: Any
    comparison: PairedComparison
    pass_mark: float | None
    graded_post: int
    passed_post: int


@dataclass
class Competency:
    tool: CompetencyTool | None
    stages: list[str] = field(default_factory=list)
    assessed: dict[str, int] = field(default_factory=dict)
    levels: dict[str, dict[int | None, int]] = field(default_factory=dict)  # round -> level -> item ratings
    harmful: dict[str, list[User]] = field(default_factory=dict)           # round -> trainees with a level 1


@dataclass
class Supervision:
    days: int
    enrolled: int
    with_supervisor: int
    supervised_recently: int
    minutes_recent: int
    minutes_total: int


@dataclass
class CohortFigures:
    cohort: Cohort
    course: Course | None
    courses: list[Course]
    now: datetime
    today: date
    trainees: list[TraineeRow]
    lessons_total: int
    funnel: Funnel
    days: list[DayAttendance]
    mean_attendance: float | None          # mean of the trainees' rates (those with one), 0..1
    knowledge: Knowledge | None
    competent_rule: CompetentRule
    competency: Competency
    harm_flags: list[HarmFlag]
    supervision: Supervision
    certificates: dict[str, int]

    @property
    def enrolled(self) -> int:
        return len(self.trainees)


# -- courses -----------------------------------------------------------------------------------

def cohort_courses(cohort: Cohort) -> list[Course]:
    """The courses given to the cohort, in the order they were given (the first is the default)."""
    return list(db.session.scalars(
        sa.select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort.id).order_by(CohortCourse.id)))


def _trainee_scope(cohort: Cohort) -> sa.Select:
    return sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                 CohortMember.role == CohortRole.TRAINEE)


# -- each part ---------------------------------------------------------------------------------

def _lesson_counts(course: Course | None, scope: sa.Select) -> tuple[int, dict[int, int]]:
    if course is None:
        return 0, {}
    lesson_ids = [lesson.id for lesson in visible_lessons(course)]
    if not lesson_ids:
        return 0, {}
    rows = db.session.execute(
        sa.select(LessonProgress.user_id, sa.func.count()).where(
            LessonProgress.lesson_id.in_(lesson_ids), LessonProgress.user_id.in_(scope))
        .group_by(LessonProgress.user_id))
    return len(lesson_ids), {user_id: n for user_id, n in rows}


def _days(cohort: Cohort, scope: sa.Select, enrolled: int, today: date) -> list[DayAttendance]:
    """Each training day held so far, with its current trainees' statuses and its rate."""
    days = list(db.session.scalars(
        sa.select(TrainingDay).where(TrainingDay.cohort_id == cohort.id, TrainingDay.held_on <= today)
        .order_by(TrainingDay.held_on, TrainingDay.starts_at, TrainingDay.id)))
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(Attendance.training_day_id, Attendance.status, sa.func.count())
        .join(TrainingDay, TrainingDay.id == Attendance.training_day_id)
        .where(TrainingDay.cohort_id == cohort.id, TrainingDay.held_on <= today, Attendance.trainee_id.in_(scope))
        .group_by(Attendance.training_day_id, Attendance.status))
    for day_id, status, n in rows:
        counts.setdefault(day_id, {})[AttendanceStatus(status).value] = n
    result = []
    for day in days:
        c = counts.get(day.id, {})
        present, excused, absent = c.get("present", 0), c.get("excused", 0), c.get("absent", 0)
        result.append(DayAttendance(day, present, excused, absent, max(enrolled - present - excused - absent, 0),
                                    attendance_rate(present, excused, enrolled)))
    return result


def competent_rule(course: Course | None, organisation_id: int) -> CompetentRule:
    rule = rule_for(course.id, organisation_id) if course is not None else None
    criterion = (rule.criteria or {}).get("competency") if rule is not None else None
    if criterion:
        tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == criterion["tool"]))
        return CompetentRule(tool, criterion["tool"], AssessmentStage(criterion["stage"]).value,
                             int(criterion["min_level"]), from_rule=True)
    return CompetentRule(None, None, AssessmentStage.POST.value, FALLBACK_MIN_LEVEL, from_rule=False)


def _competent_ids(rule: CompetentRule, scope: sa.Select) -> set[int]:
    """Trainees whose latest submitted assessment of the round has every visible item of its tool at the
    level or above, and who have no open harm flag: the certification evaluator's reading, for a group."""
    if rule.from_rule and rule.tool is None:
        return set()  # the rule names a tool that is not installed: nobody can meet it
    rank = sa.func.row_number().over(partition_by=Assessment.trainee_id,
                                     order_by=(Assessment.submitted_at.desc(), Assessment.id.desc()))
    latest = sa.select(Assessment.id, Assessment.trainee_id, Assessment.tool_id, rank.label("rank")).where(
        Assessment.trainee_id.in_(scope), Assessment.stage == rule.stage,
        Assessment.status == AssessmentStatus.SUBMITTED, Assessment.superseded_at.is_(None))
    if rule.tool is not None:
        latest = latest.where(Assessment.tool_id == rule.tool.id)
    latest = latest.subquery("latest")
    items = (sa.select(CompetencyItem.tool_id, sa.func.count().label("n")).where(CompetencyItem.is_hidden.is_(False))
             .group_by(CompetencyItem.tool_id).subquery("items"))
    reached = (sa.select(ItemRating.assessment_id, sa.func.count().label("n"))
               .join(CompetencyItem, CompetencyItem.id == ItemRating.item_id)
               .where(ItemRating.assessment_id.in_(sa.select(latest.c.id).where(latest.c.rank == 1)),
                      CompetencyItem.is_hidden.is_(False), ItemRating.level >= rule.min_level)
               .group_by(ItemRating.assessment_id).subquery("reached"))
    flagged = sa.select(HarmFlag.trainee_id).where(HarmFlag.status == HarmFlagStatus.OPEN,
                                                   HarmFlag.trainee_id.in_(scope))
    rows = db.session.scalars(
        sa.select(latest.c.trainee_id)
        .outerjoin(items, items.c.tool_id == latest.c.tool_id)
        .outerjoin(reached, reached.c.assessment_id == latest.c.id)
        .where(latest.c.rank == 1, sa.func.coalesce(reached.c.n, 0) >= sa.func.coalesce(items.c.n, 0),
               latest.c.trainee_id.not_in(flagged)))
    return set(rows)


def _competency(cohort: Cohort, rule: CompetentRule, scope: sa.Select, people: dict[int, User]) -> Competency:
    """Level counts per round (the group progress report, summed over items) and who showed harm per round."""
    tool = rule.tool
    if tool is None:
        tool, _stage = competency_queries.default_tool_and_stage(
            cohort, competency_queries.tools_for(cohort.organisation_id))
    if tool is None:
        return Competency(None)
    progress = competency_queries.group_progress(cohort, tool, scope)
    levels: dict[str, dict[int | None, int]] = {stage: {level: 0 for level in LEVELS} for stage in progress.stages}
    for (_item_id, stage), counts in progress.cells.items():
        for level, n in counts.counts.items():
            if stage in levels and level in levels[stage]:
                levels[stage][level] += n
    latest = competency_queries.ranked(cohort.id, tool.id, scope)
    harmful: dict[str, list[User]] = {stage: [] for stage in progress.stages}
    for stage, trainee_id in db.session.execute(
            sa.select(latest.c.stage, latest.c.trainee_id).join(Assessment, Assessment.id == latest.c.id)
            .where(latest.c.rank == 1, Assessment.has_harm.is_(True))):
        if trainee_id in people:
            harmful.setdefault(AssessmentStage(stage).value, []).append(people[trainee_id])
    for found in harmful.values():
        found.sort(key=lambda u: (u.full_name, u.id))
    return Competency(tool, progress.stages, progress.assessed, levels, harmful)


def _harm_flags(cohort: Cohort, scope: sa.Select) -> list[HarmFlag]:
    return list(db.session.scalars(
        sa.select(HarmFlag).where(HarmFlag.status == HarmFlagStatus.OPEN, HarmFlag.trainee_id.in_(scope),
                                  HarmFlag.organisation_id == cohort.organisation_id)
        .options(joinedload(HarmFlag.trainee), joinedload(HarmFlag.item).joinedload(CompetencyItem.tool))
        .order_by(HarmFlag.raised_at, HarmFlag.id)))


def _supervision(cohort: Cohort, scope: sa.Select, now: datetime) -> tuple[dict[int, tuple[int, int, int]], int]:
    """Per trainee (sessions and minutes in the last SUPERVISION_DAYS days, minutes ever); how many have a supervisor."""
    since = now - timedelta(days=SUPERVISION_DAYS)
    in_window = SupervisionSession.started_at >= since
    rows = db.session.execute(
        sa.select(SessionAttendee.supervisee_id, sa.func.sum(sa.case((in_window, 1), else_=0)),
                  sa.func.sum(sa.case((in_window, SupervisionSession.duration_minutes), else_=0)),
                  sa.func.sum(SupervisionSession.duration_minutes))
        .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
        .where(SupervisionSession.status == SessionStatus.SUBMITTED,
               SupervisionSession.organisation_id == cohort.organisation_id,
               SupervisionSession.started_at <= now, SessionAttendee.supervisee_id.in_(scope))
        .group_by(SessionAttendee.supervisee_id))
    received = {trainee_id: (int(n or 0), int(recent or 0), int(total or 0)) for trainee_id, n, recent, total in rows}
    with_supervisor = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(SupervisorAssignment.trainee_id))).where(
            SupervisorAssignment.ended_at.is_(None), SupervisorAssignment.organisation_id == cohort.organisation_id,
            SupervisorAssignment.trainee_id.in_(scope))) or 0
    return received, with_supervisor


def _certificates(course: Course | None, cohort: Cohort, scope: sa.Select, now: datetime) -> tuple[set[int], dict[int, str]]:
    """(trainees holding a certificate that is not revoked, each trainee's latest certificate status)."""
    if course is None:
        return set(), {}
    rank = sa.func.row_number().over(partition_by=Certificate.trainee_id,
                                     order_by=(Certificate.issued_at.desc(), Certificate.id.desc()))
    rows = db.session.execute(
        sa.select(Certificate.trainee_id, Certificate.revoked_at, Certificate.valid_until, rank.label("rank"))
        .where(Certificate.course_id == course.id, Certificate.organisation_id == cohort.organisation_id,
               Certificate.trainee_id.in_(scope))).all()
    certified = {r.trainee_id for r in rows if r.revoked_at is None}
    status: dict[int, str] = {}
    for r in rows:
        if r.rank != 1:
            continue
        until = r.valid_until
        if r.revoked_at is not None:
            status[r.trainee_id] = CertificateStatus.REVOKED
        elif until is not None and until <= now:
            status[r.trainee_id] = CertificateStatus.EXPIRED
        elif until is not None and until <= now + timedelta(days=RENEWAL_DAYS):
            status[r.trainee_id] = CertificateStatus.EXPIRING
        else:
            status[r.trainee_id] = CertificateStatus.VALID
    return certified, status


# -- everything --------------------------------------------------------------------------------

def cohort_figures(cohort: Cohort, course: Course | None, courses: list[Course], now: datetime,
                   today: date) -> CohortFigures:
    scope = _trainee_scope(cohort)
    summary = cohort_summary(cohort, today)  # every current trainee, by name, with the attendance rule's rate
    rows = {s.trainee.id: TraineeRow(s.trainee, attendance=s.rate) for s in summary}
    people = {tid: row.trainee for tid, row in rows.items()}
    trainees = [row.trainee for row in rows.values()]

    lessons_total, lessons = _lesson_counts(course, scope)
    knowledge = None
    if course is not None:
        report = quiz_reports.pre_post(course, cohort, trainees)
        pass_mark = (quiz_reports.grading_rule(report.post_test, cohort.organisation_id).pass_mark
                     if report.post_test is not None else None)
        for pair in report.rows:
            row = rows[pair.trainee.id]
            row.pre, row.post = pair.pre, pair.post
            row.passed = None if pair.post is None or pass_mark is None else pair.post >= pass_mark
        graded = [r for r in rows.values() if r.post is not None]
        knowledge = Knowledge(report.pre_test, report.post_test, report.comparison, pass_mark, len(graded),
                              sum(1 for r in graded if r.passed))

    rule = competent_rule(course, cohort.organisation_id)
    competent = _competent_ids(rule, scope)
    flags = _harm_flags(cohort, scope)
    received, with_supervisor = _supervision(cohort, scope, now)
    certified, statuses = _certificates(course, cohort, scope, now)

    for tid, row in rows.items():
        row.lessons_done = lessons.get(tid, 0)
        row.competent = tid in competent
        row.certificate = statuses.get(tid, CertificateStatus.NONE)
        row.sessions_recent, row.minutes_recent, row.minutes_total = received.get(tid, (0, 0, 0))
    for flag in flags:
        if flag.trainee_id in rows:
            rows[flag.trainee_id].open_flags += 1

    table = list(rows.values())
    funnel = Funnel(
        enrolled=len(table),
        lessons_done=sum(1 for r in table if lessons_total and r.lessons_done >= lessons_total),
        post_test_passed=sum(1 for r in table if r.passed),
        competent=sum(1 for r in table if r.competent),
        certified=sum(1 for r in table if r.trainee.id in certified),
    )
    supervision = Supervision(SUPERVISION_DAYS, len(table), with_supervisor,
                              sum(1 for r in table if r.sessions_recent),
                              sum(r.minutes_recent for r in table), sum(r.minutes_total for r in table))
    certificates = {status: 0 for status in CertificateStatus.ORDER}
    for r in table:
        certificates[r.certificate] += 1
    return CohortFigures(
        cohort=cohort, course=course, courses=courses, now=now, today=today, trainees=table,
        lessons_total=lessons_total, funnel=funnel, days=_days(cohort, scope, len(table), today),
        mean_attendance=mean([r.attendance for r in table if r.attendance is not None]),
        knowledge=knowledge, competent_rule=rule, competency=_competency(cohort, rule, scope, people),
        harm_flags=flags, supervision=supervision, certificates=certificates)

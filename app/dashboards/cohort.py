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
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

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
from app.courses.models import (
    CohortCourse,
    Course,
    CourseModule,
    Lesson,
    LessonProgress,
)
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, SupervisorAssignment
from app.quizzes.models import (
    AttemptStatus,
    GradingMethod,
    Quiz,
    QuizAttempt,
    QuizKind,
    QuizOverride,
)
from app.quizzes.statistics import PairedComparison, mean, paired_comparison, quiz_grade
from app.supervision.models import SessionAttendee, SessionStatus, SupervisionSession
from app.training.models import Attendance, AttendanceStatus, TrainingDay
from app.training.queries import attendance_rate

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


class Person(NamedTuple):
    """A trainee as the dashboard shows them."""

    id: int
    full_name: str


class HeldDay(NamedTuple):
    id: int
    held_on: date


class OpenFlag(NamedTuple):
    id: int
    trainee_id: int
    trainee_name: str
    tool_name: dict[str, str]
    item_code: str
    item_title: dict[str, str]
    raised_at: datetime


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
    trainee: Person
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
    day: HeldDay
    present: int
    excused: int
    absent: int
    unrecorded: int
    rate: float | None  # the attendance rule over one day: present ÷ (trainees − excused), 0..1


@dataclass
class Knowledge:
    has_pre_test: bool
    has_post_test: bool
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
    harmful: dict[str, list[Person]] = field(default_factory=dict)           # round -> trainees with a level 1


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
    harm_flags: list[OpenFlag]
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


# The page's statements are built once per process with bound parameters (building a select costs
# more Python than running it): each _q_* returns the same statement, executed with this request's values.
_SCOPE = sa.select(CohortMember.user_id).where(CohortMember.cohort_id == sa.bindparam("cohort_id"),
                                               CohortMember.role == CohortRole.TRAINEE)


# -- each part ---------------------------------------------------------------------------------
# Plain column rows (Core), not ORM entities: the page only reads a few fields of each.

@cache
def _q_trainees() -> sa.Select:
    return sa.select(User.id, User.full_name).where(User.id.in_(_SCOPE)).order_by(User.full_name, User.id)


def _trainees(cohort: Cohort) -> list[Person]:
    return [Person(tid, name) for tid, name in db.session.execute(_q_trainees(), {"cohort_id": cohort.id})]


@cache
def _q_attendance() -> sa.Select:
    return (sa.select(TrainingDay.id, TrainingDay.held_on, Attendance.trainee_id, Attendance.status)
            .outerjoin(Attendance, sa.and_(Attendance.training_day_id == TrainingDay.id,
                                           Attendance.trainee_id.in_(_SCOPE)))
            .where(TrainingDay.cohort_id == sa.bindparam("cohort_id"), TrainingDay.held_on <= sa.bindparam("today"))
            .order_by(TrainingDay.held_on, TrainingDay.starts_at, TrainingDay.id))


def _attendance(cohort: Cohort, today: date) -> tuple[list[HeldDay], list[tuple[int, int, str]]]:
    """The days held so far, in order, and every (day, trainee, status) recorded for a current trainee."""
    rows = db.session.execute(_q_attendance(), {"cohort_id": cohort.id, "today": today})
    days: dict[int, HeldDay] = {}
    marks = []
    for day_id, held_on, trainee_id, status in rows:
        if day_id not in days:
            days[day_id] = HeldDay(day_id, held_on)
        if trainee_id is not None:
            marks.append((day_id, trainee_id, AttendanceStatus(status).value))
    return list(days.values()), marks


def _days(days: list[HeldDay], marks: list[tuple[int, int, str]], enrolled: int) -> list[DayAttendance]:
    """Each training day held so far, with its current trainees' statuses and its rate."""
    counts: dict[int, dict[str, int]] = {}
    for day_id, _trainee_id, status in marks:
        c = counts.setdefault(day_id, {})
        c[status] = c.get(status, 0) + 1
    result = []
    for day in days:
        c = counts.get(day.id, {})
        present, excused, absent = c.get("present", 0), c.get("excused", 0), c.get("absent", 0)
        result.append(DayAttendance(day, present, excused, absent, max(enrolled - present - excused - absent, 0),
                                    attendance_rate(present, excused, enrolled)))
    return result


@cache
def _q_lessons() -> sa.CompoundSelect:
    visible = (sa.select(Lesson.id).join(CourseModule, CourseModule.id == Lesson.module_id)
               .where(Lesson.course_id == sa.bindparam("course_id"), Lesson.is_hidden.is_(False),
                      CourseModule.is_hidden.is_(False)))
    total = sa.select(sa.null().label("user_id"), sa.select(sa.func.count()).select_from(visible.subquery())
                      .scalar_subquery().label("n"))
    done = (sa.select(LessonProgress.user_id, sa.func.count())
            .where(LessonProgress.lesson_id.in_(visible), LessonProgress.user_id.in_(_SCOPE))
            .group_by(LessonProgress.user_id))
    return sa.union_all(total, done)


def _lesson_counts(course: Course | None, cohort: Cohort) -> tuple[int, dict[int, int]]:
    """(visible lessons of the course, lessons done per trainee): one statement, the total on a row of its own."""
    if course is None:
        return 0, {}
    lessons_total, counts = 0, {}
    for user_id, n in db.session.execute(_q_lessons(), {"course_id": course.id, "cohort_id": cohort.id}):
        if user_id is None:
            lessons_total = int(n or 0)
        else:
            counts[user_id] = int(n)
    return lessons_total, (counts if lessons_total else {})


@cache
def _q_tests() -> sa.Select:
    return (sa.select(Quiz.id, Quiz.kind, Quiz.pass_mark, Quiz.grading_method, QuizOverride.id,
                      QuizOverride.pass_mark, QuizOverride.grading_method)
            .outerjoin(QuizOverride, sa.and_(QuizOverride.quiz_id == Quiz.id,
                                             QuizOverride.organisation_id == sa.bindparam("organisation_id")))
            .where(Quiz.course_id == sa.bindparam("course_id"), Quiz.kind.in_([QuizKind.PRE_TEST, QuizKind.POST_TEST]))
            .order_by(Quiz.slug))


@cache
def _q_attempts() -> sa.Select:
    return (sa.select(QuizAttempt.quiz_id, QuizAttempt.user_id, QuizAttempt.percent)
            .where(QuizAttempt.quiz_id.in_(sa.bindparam("quiz_ids", expanding=True)), QuizAttempt.user_id.in_(_SCOPE),
                   sa.or_(QuizAttempt.cohort_id == sa.bindparam("cohort_id"), QuizAttempt.cohort_id.is_(None)),
                   QuizAttempt.status == AttemptStatus.FINISHED, QuizAttempt.percent.is_not(None))
            .order_by(QuizAttempt.user_id, QuizAttempt.number))


def _knowledge(course: Course, cohort: Cohort,
               trainees: list[Person]) -> tuple[Knowledge, dict[int, float], dict[int, float]]:
    """The course's pre-test and post-test graded as the quiz reports grade them (app.quizzes.reports.pre_post):
    the organisation's grading method and pass mark, attempts taken in this cohort. Two statements."""
    tests = db.session.execute(_q_tests(), {"organisation_id": cohort.organisation_id, "course_id": course.id})
    chosen: dict[QuizKind, tuple[int, float, str]] = {}
    for quiz_id, kind, mark, method, override_id, own_mark, own_method in tests:
        if override_id is not None:
            mark, method = own_mark, own_method
        chosen.setdefault(QuizKind(kind), (quiz_id, float(mark), GradingMethod(method).value))
    percents: dict[tuple[int, int], list[float]] = {}
    if chosen:
        for quiz_id, user_id, value in db.session.execute(
                _q_attempts(), {"quiz_ids": [c[0] for c in chosen.values()], "cohort_id": cohort.id}):
            percents.setdefault((quiz_id, user_id), []).append(float(value))

    def grades(kind: QuizKind) -> dict[int, float]:
        if kind not in chosen:
            return {}
        quiz_id, _mark, method = chosen[kind]
        found = {t.id: quiz_grade(percents.get((quiz_id, t.id), []), method) for t in trainees}
        return {tid: grade for tid, grade in found.items() if grade is not None}

    pre, post = grades(QuizKind.PRE_TEST), grades(QuizKind.POST_TEST)
    pass_mark = chosen[QuizKind.POST_TEST][1] if QuizKind.POST_TEST in chosen else None
    pairs = [(pre[t.id], post[t.id]) for t in trainees if t.id in pre and t.id in post]
    graded = [grade for grade in post.values()]
    return (Knowledge(QuizKind.PRE_TEST in chosen, QuizKind.POST_TEST in chosen, paired_comparison(pairs), pass_mark,
                      len(graded), sum(1 for g in graded if pass_mark is not None and g >= pass_mark)), pre, post)


def competent_rule(course: Course | None, organisation_id: int) -> CompetentRule:
    rule = rule_for(course.id, organisation_id) if course is not None else None
    criterion = (rule.criteria or {}).get("competency") if rule is not None else None
    if criterion:
        tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == criterion["tool"]))
        return CompetentRule(tool, criterion["tool"], AssessmentStage(criterion["stage"]).value,
                             int(criterion["min_level"]), from_rule=True)
    return CompetentRule(None, None, AssessmentStage.POST.value, FALLBACK_MIN_LEVEL, from_rule=False)


def _competent_ids(rule: CompetentRule, cohort: Cohort) -> set[int]:
    """Trainees whose latest submitted assessment of the round has every visible item of its tool at the
    level or above, and who have no open harm flag: the certification evaluator's reading, for a group."""
    if rule.from_rule and rule.tool is None:
        return set()  # the rule names a tool that is not installed: nobody can meet it
    params = {"cohort_id": cohort.id, "stage": rule.stage, "min_level": rule.min_level}
    if rule.tool is not None:
        params["tool_id"] = rule.tool.id
    return set(db.session.scalars(_q_competent(rule.tool is not None), params))


@cache
def _q_competent(one_tool: bool) -> sa.Select:
    rank = sa.func.row_number().over(partition_by=Assessment.trainee_id,
                                     order_by=(Assessment.submitted_at.desc(), Assessment.id.desc()))
    latest = sa.select(Assessment.id, Assessment.trainee_id, Assessment.tool_id, rank.label("rank")).where(
        Assessment.trainee_id.in_(_SCOPE), Assessment.stage == sa.bindparam("stage"),
        Assessment.status == AssessmentStatus.SUBMITTED, Assessment.superseded_at.is_(None))
    if one_tool:
        latest = latest.where(Assessment.tool_id == sa.bindparam("tool_id"))
    latest = latest.subquery("latest")
    items = (sa.select(CompetencyItem.tool_id, sa.func.count().label("n")).where(CompetencyItem.is_hidden.is_(False))
             .group_by(CompetencyItem.tool_id).subquery("items"))
    reached = (sa.select(ItemRating.assessment_id, sa.func.count().label("n"))
               .join(CompetencyItem, CompetencyItem.id == ItemRating.item_id)
               .where(ItemRating.assessment_id.in_(sa.select(latest.c.id).where(latest.c.rank == 1)),
                      CompetencyItem.is_hidden.is_(False), ItemRating.level >= sa.bindparam("min_level"))
               .group_by(ItemRating.assessment_id).subquery("reached"))
    flagged = sa.select(HarmFlag.trainee_id).where(HarmFlag.status == HarmFlagStatus.OPEN,
                                                   HarmFlag.trainee_id.in_(_SCOPE))
    return (sa.select(latest.c.trainee_id)
            .outerjoin(items, items.c.tool_id == latest.c.tool_id)
            .outerjoin(reached, reached.c.assessment_id == latest.c.id)
            .where(latest.c.rank == 1, sa.func.coalesce(reached.c.n, 0) >= sa.func.coalesce(items.c.n, 0),
                   latest.c.trainee_id.not_in(flagged)))


@cache
def _q_levels() -> sa.Select:
    latest = competency_queries.ranked(sa.bindparam("cohort_id"), sa.bindparam("tool_id"), _SCOPE)
    return (sa.select(latest.c.stage, latest.c.trainee_id, Assessment.has_harm, ItemRating.level,
                      sa.func.count(ItemRating.assessment_id))
            .join(Assessment, Assessment.id == latest.c.id)
            .outerjoin(ItemRating, ItemRating.assessment_id == latest.c.id)
            .where(latest.c.rank == 1)
            .group_by(latest.c.stage, latest.c.trainee_id, Assessment.has_harm, ItemRating.level))


def _competency(cohort: Cohort, rule: CompetentRule, people: dict[int, Person]) -> Competency:
    """Level counts per round (the group progress report, summed over items) and who showed harm per round:
    one statement over each trainee's latest counted assessment per round, grouped by trainee and level."""
    tool = rule.tool
    if tool is None:
        tool, _stage = competency_queries.default_tool_and_stage(
            cohort, competency_queries.tools_for(cohort.organisation_id))
    if tool is None:
        return Competency(None)
    rows = db.session.execute(_q_levels(), {"cohort_id": cohort.id, "tool_id": tool.id})
    assessed_ids: dict[str, set[int]] = {}
    harmful_ids: dict[str, set[int]] = {}
    counts: dict[str, dict[int | None, int]] = {}
    for stage, trainee_id, has_harm, level, n in rows:
        stage = AssessmentStage(stage).value
        assessed_ids.setdefault(stage, set()).add(trainee_id)
        if has_harm:
            harmful_ids.setdefault(stage, set()).add(trainee_id)
        if n:
            by_level = counts.setdefault(stage, {})
            by_level[level] = by_level.get(level, 0) + n
    stages = [s.value for s in competency_queries.STAGE_ORDER if s.value in assessed_ids]
    levels = {stage: {level: counts.get(stage, {}).get(level, 0) for level in LEVELS} for stage in stages}
    harmful: dict[str, list[Person]] = {stage: [] for stage in stages}
    for stage, ids in harmful_ids.items():
        harmful[stage] = sorted((people[tid] for tid in ids if tid in people), key=lambda p: (p.full_name, p.id))
    return Competency(tool, stages, {stage: len(assessed_ids[stage]) for stage in stages}, levels, harmful)


@cache
def _q_flags() -> sa.Select:
    return (sa.select(HarmFlag.id, HarmFlag.trainee_id, User.full_name, CompetencyTool.name, CompetencyItem.code,
                      CompetencyItem.title, HarmFlag.raised_at)
            .join(User, User.id == HarmFlag.trainee_id)
            .join(CompetencyItem, CompetencyItem.id == HarmFlag.item_id)
            .join(CompetencyTool, CompetencyTool.id == CompetencyItem.tool_id)
            .where(HarmFlag.status == HarmFlagStatus.OPEN, HarmFlag.trainee_id.in_(_SCOPE),
                   HarmFlag.organisation_id == sa.bindparam("organisation_id"))
            .order_by(HarmFlag.raised_at, HarmFlag.id))


def _harm_flags(cohort: Cohort) -> list[OpenFlag]:
    return [OpenFlag(*row) for row in db.session.execute(
        _q_flags(), {"cohort_id": cohort.id, "organisation_id": cohort.organisation_id})]


@cache
def _q_supervision() -> sa.CompoundSelect:
    in_window = SupervisionSession.started_at >= sa.bindparam("since")
    assigned = sa.select(
        sa.null().label("trainee_id"), sa.func.count(sa.distinct(SupervisorAssignment.trainee_id)),
        sa.literal(0), sa.literal(0)).where(
        SupervisorAssignment.ended_at.is_(None), SupervisorAssignment.organisation_id == sa.bindparam("organisation_id"),
        SupervisorAssignment.trainee_id.in_(_SCOPE))
    received = (
        sa.select(SessionAttendee.supervisee_id, sa.func.sum(sa.case((in_window, 1), else_=0)),
                  sa.func.sum(sa.case((in_window, SupervisionSession.duration_minutes), else_=0)),
                  sa.func.sum(SupervisionSession.duration_minutes))
        .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
        .where(SupervisionSession.status == SessionStatus.SUBMITTED,
               SupervisionSession.organisation_id == sa.bindparam("organisation_id"),
               SupervisionSession.started_at <= sa.bindparam("now"), SessionAttendee.supervisee_id.in_(_SCOPE))
        .group_by(SessionAttendee.supervisee_id))
    return sa.union_all(assigned, received)


def _supervision(cohort: Cohort, now: datetime) -> tuple[dict[int, tuple[int, int, int]], int]:
    """Per trainee (sessions and minutes in the last SUPERVISION_DAYS days, minutes ever); how many have a
    supervisor (on a row of its own, trainee id NULL): one statement."""
    params = {"cohort_id": cohort.id, "organisation_id": cohort.organisation_id, "now": now,
              "since": now - timedelta(days=SUPERVISION_DAYS)}
    per_trainee, with_supervisor = {}, 0
    for trainee_id, n, recent, total in db.session.execute(_q_supervision(), params):
        if trainee_id is None:
            with_supervisor = int(n or 0)
        else:
            per_trainee[trainee_id] = (int(n or 0), int(recent or 0), int(total or 0))
    return per_trainee, with_supervisor


@cache
def _q_certificates() -> sa.Select:
    rank = sa.func.row_number().over(partition_by=Certificate.trainee_id,
                                     order_by=(Certificate.issued_at.desc(), Certificate.id.desc()))
    return (sa.select(Certificate.trainee_id, Certificate.revoked_at, Certificate.valid_until, rank.label("rank"))
            .where(Certificate.course_id == sa.bindparam("course_id"),
                   Certificate.organisation_id == sa.bindparam("organisation_id"), Certificate.trainee_id.in_(_SCOPE)))


def _certificates(course: Course | None, cohort: Cohort, now: datetime) -> tuple[set[int], dict[int, str]]:
    """(trainees holding a certificate that is not revoked, each trainee's latest certificate status)."""
    if course is None:
        return set(), {}
    rows = db.session.execute(_q_certificates(), {"course_id": course.id, "organisation_id": cohort.organisation_id,
                                                  "cohort_id": cohort.id}).all()
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
    trainees = _trainees(cohort)  # every current trainee, by name
    people = {t.id: t for t in trainees}
    held, marks = _attendance(cohort, today)
    per_trainee: dict[int, dict[str, int]] = {}
    for _day_id, trainee_id, status in marks:
        c = per_trainee.setdefault(trainee_id, {})
        c[status] = c.get(status, 0) + 1
    rows = {}
    for t in trainees:
        c = per_trainee.get(t.id, {})
        rows[t.id] = TraineeRow(t, attendance=attendance_rate(c.get("present", 0), c.get("excused", 0), len(held)))

    lessons_total, lessons = _lesson_counts(course, cohort)
    knowledge = None
    if course is not None:
        knowledge, pre, post = _knowledge(course, cohort, trainees)
        for tid, row in rows.items():
            row.pre, row.post = pre.get(tid), post.get(tid)
            row.passed = None if row.post is None or knowledge.pass_mark is None else row.post >= knowledge.pass_mark

    rule = competent_rule(course, cohort.organisation_id)
    competent = _competent_ids(rule, cohort)
    flags = _harm_flags(cohort)
    received, with_supervisor = _supervision(cohort, now)
    certified, statuses = _certificates(course, cohort, now)

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
        lessons_total=lessons_total, funnel=funnel, days=_days(held, marks, len(table)),
        mean_attendance=mean([r.attendance for r in table if r.attendance is not None]),
        knowledge=knowledge, competent_rule=rule, competency=_competency(cohort, rule, people),
        harm_flags=flags, supervision=supervision, certificates=certificates)

"""The one certification evaluator: each criterion of a rule → met or not, its evidence, where to go next.

Issuing, the trainee's "My path", the cohort table and automatic issuing all ask this module,
so a certificate can never be issued on a different reading of the rule than the one shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_decimal, format_percent, get_locale

from app.auth.models import User
from app.certificates.models import CertificationRule
from app.competencies.harm import open_harm_flags
from app.competencies.models import Assessment, AssessmentStage, AssessmentStatus, CompetencyTool
from app.core.db import utcnow
from app.core.i18n import _
from app.courses.models import CohortCourse, Course, Lesson, LessonProgress, in_language
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole
from app.practice.queries import verified_completed_cases
from app.quizzes.attempt_queries import quiz_state
from app.quizzes.models import Quiz, QuizKind
from app.supervision.models import SessionAttendee, SessionStatus, SupervisionSession
from app.training.queries import local_today, trainee_totals


@dataclass
class CriterionResult:
    key: str
    label: str
    met: bool
    evidence: str
    next_url: str | None = None
    next_label: str | None = None


@dataclass
class Evaluation:
    trainee: User
    course: Course
    criteria: list[CriterionResult] = field(default_factory=list)

    @property
    def is_eligible(self) -> bool:
        return bool(self.criteria) and all(c.met for c in self.criteria)

    @property
    def unmet(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.met]

    @property
    def met_count(self) -> int:
        return sum(1 for c in self.criteria if c.met)


def trainee_cohort(trainee: User, course: Course) -> Cohort | None:
    """The most recent cohort in which the trainee learns this course."""
    return db.session.scalar(
        sa.select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .where(CohortMember.user_id == trainee.id, CohortMember.role == CohortRole.TRAINEE,
               CohortCourse.course_id == course.id, Cohort.organisation_id == trainee.organisation_id)
        .order_by(Cohort.starts_on.desc().nulls_last(), Cohort.id.desc()).limit(1))


def evaluate(trainee: User, course: Course, rule: CertificationRule, *, cohort: Cohort | None = None,
             criteria: dict[str, Any] | None = None, since: datetime | None = None,
             now: datetime | None = None) -> Evaluation:
    """Every criterion of the rule (or of ``criteria``, e.g. the refresher path) for one trainee.

    ``since``: only evidence from then on counts for lessons, assessments and supervision (recertification).
    """
    now = now or utcnow()
    criteria = rule.criteria if criteria is None else criteria
    cohort = cohort or trainee_cohort(trainee, course)
    result = Evaluation(trainee, course)
    if "lessons" in criteria:
        result.criteria.append(_lessons(trainee, course, criteria["lessons"], since))
    if "attendance_percent" in criteria:
        result.criteria.append(_attendance(trainee, cohort, float(criteria["attendance_percent"])))
    if criteria.get("post_test"):
        result.criteria.append(_post_test(trainee, course, now))
    if "competency" in criteria:
        result.criteria.append(_competency(trainee, criteria["competency"], since))
    elif flags := open_harm_flags(trainee.id):
        result.criteria.append(CriterionResult("harm_flags", _("No open harm flag"), False,
                                               _("%(count)d open harm flag(s).", count=len(flags))))
    if "practice_cases" in criteria:
        result.criteria.append(_practice(trainee, criteria["practice_cases"]))
    if "supervision_hours" in criteria:
        result.criteria.append(_supervision(trainee, float(criteria["supervision_hours"]), since))
    return result


def _lessons(trainee: User, course: Course, wanted: Any, since: datetime | None = None) -> CriterionResult:
    """Lessons done; for recertification (``since``) only lessons done or reviewed again since then count."""
    query = sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.is_hidden.is_(False))
    if wanted != "all":
        query = query.where(Lesson.slug.in_(list(wanted)))
    lessons = list(db.session.scalars(query.order_by(Lesson.module_id, Lesson.position)))
    progress = sa.select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == trainee.id, LessonProgress.lesson_id.in_([x.id for x in lessons]))
    if since is not None:
        progress = progress.where(sa.or_(LessonProgress.completed_at >= since, LessonProgress.reviewed_at >= since))
    done = set(db.session.scalars(progress))
    missing = [x for x in lessons if x.id not in done]
    label = _("All lessons completed") if wanted == "all" else _("Required lessons completed")
    evidence = _("%(done)d of %(total)d lessons done.", done=len(lessons) - len(missing), total=len(lessons))
    next_url = None
    if missing:
        next_url = url_for("courses.lesson", slug=course.slug, lesson_slug=missing[0].slug)
    return CriterionResult("lessons", label, bool(lessons) and not missing, evidence, next_url,
                           _("Open the next lesson") if missing else None)


def _attendance(trainee: User, cohort: Cohort | None, percent: float) -> CriterionResult:
    label = _("Attendance at training days of at least %(percent)s", percent=format_percent(percent / 100))
    if cohort is None:
        return CriterionResult("attendance", label, False, _("You are not in a training group for this course."))
    row = trainee_totals(cohort, trainee, local_today())
    rate = row.rate if row else None
    if rate is None:
        evidence = _("No training day has been held yet.")
    else:
        evidence = _("Attendance %(rate)s: present %(present)d of %(countable)d days.", rate=format_percent(rate),
                     present=row.present, countable=row.held - row.excused)
    met = rate is not None and rate * 100 >= percent - 1e-9
    return CriterionResult("attendance", label, met, evidence, url_for("training.my_attendance"),
                           None if met else _("See my attendance"))


def _post_test(trainee: User, course: Course, now: datetime) -> CriterionResult:
    label = _("Post-test passed")
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.POST_TEST)
                             .order_by(Quiz.id).limit(1))
    if quiz is None:
        return CriterionResult("post_test", label, False, _("This course has no post-test yet."))
    state = quiz_state(quiz, trainee, now)
    label = _("Post-test passed (at least %(mark)s)", mark=format_percent(float(state.rules.pass_mark) / 100))
    if state.grade is None:
        evidence = _("Not taken yet.")
    else:
        evidence = _("Your grade: %(grade)s.", grade=format_percent(float(state.grade) / 100))
    return CriterionResult("post_test", label, state.passed, evidence,
                           url_for("quizzes.quiz_overview", quiz_id=quiz.id),
                           None if state.passed else _("Go to the post-test"))


def _competency(trainee: User, rule: dict[str, Any], since: datetime | None) -> CriterionResult:
    stage = AssessmentStage(rule["stage"])
    level = int(rule["min_level"])
    tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == rule["tool"]))
    tool_name = in_language(tool.name, str(get_locale()), tool.languages) if tool else rule["tool"]
    label = _("Every item of %(tool)s at level %(level)d or above (%(stage)s assessment), no open harm flag",
              tool=tool_name, level=level, stage=stage_label(stage))
    feedback = url_for("competencies.report_my_feedback")
    if tool is None:
        return CriterionResult("competency", label, False, _("The competency tool is not installed."))
    query = (sa.select(Assessment).where(
        Assessment.trainee_id == trainee.id, Assessment.tool_id == tool.id, Assessment.stage == stage,
        Assessment.status == AssessmentStatus.SUBMITTED, Assessment.superseded_at.is_(None)))
    if since is not None:
        query = query.where(Assessment.submitted_at >= since)
    assessment = db.session.scalar(query.order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1))
    flags = open_harm_flags(trainee.id)
    parts = []
    met = False
    if assessment is None:
        parts.append(_("No assessment of this round yet."))
    else:
        items = [i for i in tool.items if not i.is_hidden]
        levels = {r.item_id: r.level for r in assessment.ratings}
        below = [i for i in items if (levels.get(i.id) or 0) < level]
        met = not below
        if below:
            parts.append(_("%(count)d of %(total)d items below level %(level)d: %(codes)s.", count=len(below),
                           total=len(items), level=level, codes=", ".join(i.code for i in below)))
        else:
            parts.append(_("All %(total)d items at level %(level)d or above.", total=len(items), level=level))
    if flags:
        met = False
        parts.append(_("%(count)d open harm flag(s).", count=len(flags)))
    return CriterionResult("competency", label, met, " ".join(parts), feedback,
                           None if met else _("See my competency feedback"))


def stage_label(stage: AssessmentStage) -> str:
    return {AssessmentStage.PRE: _("pre-training"), AssessmentStage.MID: _("mid-training"),
            AssessmentStage.POST: _("post-training"), AssessmentStage.SUPERVISION: _("supervision"),
            AssessmentStage.RECERTIFICATION: _("recertification")}[stage]


def _practice(trainee: User, rule: dict[str, Any]) -> CriterionResult:
    count = int(rule["count"])
    names = {"pm_plus": "PM+", "pfa": _("PFA"), "other": _("other")}
    label = _("%(count)d verified completed %(intervention)s cases", count=count,
              intervention=names.get(rule["intervention"], rule["intervention"]))
    done = verified_completed_cases(trainee.id, rule["intervention"])
    met = done >= count
    return CriterionResult("practice_cases", label, met, _("%(done)d of %(count)d cases verified and completed.",
                                                           done=min(done, count), count=count),
                           url_for("practice.practice_mine"), None if met else _("Open my practice log"))


def supervision_minutes(trainee: User, since: datetime | None = None) -> int:
    query = (sa.select(sa.func.coalesce(sa.func.sum(SupervisionSession.duration_minutes), 0))
             .join(SessionAttendee, SessionAttendee.session_id == SupervisionSession.id)
             .where(SessionAttendee.supervisee_id == trainee.id, SupervisionSession.status == SessionStatus.SUBMITTED,
                    SupervisionSession.organisation_id == trainee.organisation_id))
    if since is not None:
        query = query.where(SupervisionSession.started_at >= since)
    return int(db.session.scalar(query) or 0)


def _supervision(trainee: User, hours: float, since: datetime | None) -> CriterionResult:
    minutes = supervision_minutes(trainee, since)
    met = minutes >= hours * 60 - 1e-9
    label = _("At least %(hours)s hours of supervision", hours=format_decimal(hours))
    return CriterionResult("supervision_hours", label, met,
                           _("%(hours)s hours recorded.", hours=format_decimal(round(minutes / 60, 1))),
                           url_for("supervision.mine"), None if met else _("See my supervision"))

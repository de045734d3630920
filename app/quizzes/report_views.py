"""Quiz reports of a cohort: results per learner, pre/post gain, item analysis, and their CSV files.

A cohort unknown to the visitor answers 404 (another organisation, a stranger), a trainee 403.
Trainers and admins see every trainee; a supervisor sees only their supervisees' rows. Item
analysis (question quality, typed answers) is for trainers and admins.
"""
from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_know_cohort,
    can_view_all_quiz_results,
    can_view_item_analysis,
    can_view_quiz_results,
)
from app.courses.models import Course, in_language
from app.extensions import db
from app.orgs.models import Cohort
from app.quizzes import report_csv, reports, statistics
from app.quizzes.blueprint import bp
from app.quizzes.models import Quiz

PREFIX = "/cohorts/<int:cohort_id>/quiz-reports"
QUIZ = PREFIX + "/<report_course>/quizzes/<report_quiz>"


def _cohort(cohort_id: int, allowed) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_know_cohort(current_user, cohort):
        abort(404)
    authorize(allowed(current_user, cohort))
    return cohort


def _course(cohort: Cohort, slug: str) -> Course:
    return reports.find_course(cohort, slug) or abort(404)


def _quiz(cohort: Cohort, course_slug: str, quiz_slug: str) -> Quiz:
    return reports.find_quiz(_course(cohort, course_slug), quiz_slug) or abort(404)


def _scope() -> reports.AttemptScope:
    return reports.AttemptScope.ALL if request.args.get("attempts") == "all" else reports.AttemptScope.FIRST


def _title(quiz: Quiz) -> str:
    return in_language(quiz.title, str(get_locale()), quiz.course.languages) or quiz.slug


def _pct(value: float | None) -> str:
    """42.5 → "42.5%" (es: "42,5%"); None → "—"."""
    if value is None:
        return "—"
    return format_percent(round(value, 1) / 100, "#,##0.0%", locale=get_locale())


def _num(value: float | None) -> str:
    """A coefficient such as the discrimination index: two decimals."""
    return "—" if value is None else format_decimal(round(value, 2), "0.00", locale=get_locale())


def _points(value: float | None) -> str:
    """A gain in percentage points, signed: +12.5, −3.0."""
    if value is None:
        return "—"
    text = format_decimal(abs(round(value, 1)), "#,##0.0", locale=get_locale())
    return ("+" if value >= 0.05 else "−" if value <= -0.05 else "") + text


def _flag_label(flag: statistics.ItemFlag) -> str:
    return {
        statistics.ItemFlag.WRONG_KEY: _("Likely wrong key: stronger learners got it wrong"),
        statistics.ItemFlag.LOW_DISCRIMINATION: _("Check this item: it hardly separates stronger from weaker"),
        statistics.ItemFlag.TOO_EASY: _("Too easy: over %(percent)s right", percent=_pct(statistics.TOO_EASY)),
        statistics.ItemFlag.TOO_HARD: _("Too hard: under %(percent)s right", percent=_pct(statistics.TOO_HARD)),
    }[flag]


def _option_label(dist: statistics.ResponseDistribution, option: statistics.ResponseCount) -> str:
    if option.key == statistics.NO_ANSWER:
        return _("No answer")
    if dist.qtype == "truefalse":
        return _("True") if option.key == "true" else _("False")
    return option.text or option.key


def report_helpers() -> dict:
    return {"pct": _pct, "num": _num, "points": _points, "FEW_ATTEMPTS": statistics.FEW_ATTEMPTS, "flag_label": _flag_label, "option_label": _option_label,
            "KIND_LABELS": {"pre_test": _("Pre-test"), "post_test": _("Post-test"),
                            "module_check": _("Module check"), "practice": _("Practice")},
            "METHOD_LABELS": {"highest": _("highest attempt"), "last": _("last attempt"),
                              "first": _("first attempt"), "average": _("average of attempts")}}


def _render(template: str, **context):
    return render_template(template, **report_helpers(), **context)


@bp.route(PREFIX)
@login_required
def report_index(cohort_id: int):
    cohort = _cohort(cohort_id, can_view_quiz_results)
    courses = reports.cohort_courses(cohort)
    counts = reports.attempt_counts([quiz for _, quizzes in courses for quiz in quizzes], cohort)
    return _render("quizzes/report_index.html", cohort=cohort, courses=courses, counts=counts, title=_title)


@bp.route(QUIZ)
@login_required
def report_results(cohort_id: int, report_course: str, report_quiz: str):
    cohort = _cohort(cohort_id, can_view_quiz_results)
    quiz = _quiz(cohort, report_course, report_quiz)
    results = reports.quiz_results(quiz, cohort, reports.visible_trainees(current_user, cohort))
    summary = statistics.summarise_grades([r.grade for r in results], reports.grading_rule(
        quiz, cohort.organisation_id).pass_mark)
    return _render("quizzes/report_results.html", cohort=cohort, quiz=quiz, title=_title(quiz), results=results,
                   summary=summary, rule=reports.grading_rule(quiz, cohort.organisation_id),
                   everyone=can_view_all_quiz_results(current_user, cohort))


@bp.route(QUIZ + "/results.csv")
@login_required
def report_results_csv(cohort_id: int, report_course: str, report_quiz: str):
    cohort = _cohort(cohort_id, can_view_quiz_results)
    quiz = _quiz(cohort, report_course, report_quiz)
    results = reports.quiz_results(quiz, cohort, reports.visible_trainees(current_user, cohort))
    header = [_("Trainee"), _("Username"), _("Finished attempts"), _("Waiting for grading"), _("In progress"),
              _("Grade (%)"), _("Passed"), _("Last submitted (UTC)")]
    return report_csv.csv_response(f"{quiz.course.slug}-{quiz.slug}-results.csv", header,
                                   report_csv.results_rows(results))


@bp.route(PREFIX + "/<report_course>/pre-post")
@login_required
def report_prepost(cohort_id: int, report_course: str):
    cohort = _cohort(cohort_id, can_view_quiz_results)
    course = _course(cohort, report_course)
    report = reports.pre_post(course, cohort, reports.visible_trainees(current_user, cohort))
    return _render("quizzes/report_prepost.html", cohort=cohort, course=course, report=report, title=_title,
                   everyone=can_view_all_quiz_results(current_user, cohort))


@bp.route(PREFIX + "/<report_course>/pre-post.csv")
@login_required
def report_prepost_csv(cohort_id: int, report_course: str):
    cohort = _cohort(cohort_id, can_view_quiz_results)
    course = _course(cohort, report_course)
    report = reports.pre_post(course, cohort, reports.visible_trainees(current_user, cohort))
    header = [_("Trainee"), _("Username"), _("Pre-test (%)"), _("Post-test (%)"), _("Gain (points)"),
              _("Normalized gain g")]
    return report_csv.csv_response(f"{course.slug}-pre-post.csv", header, report_csv.prepost_rows(report))


def _analysis(cohort: Cohort, quiz: Quiz):
    analysis = reports.item_analysis(quiz, cohort, _scope())
    info = reports.question_info(quiz, cohort, [item.key for item in analysis.items])
    return analysis, info


@bp.route(QUIZ + "/items")
@login_required
def report_items(cohort_id: int, report_course: str, report_quiz: str):
    cohort = _cohort(cohort_id, can_view_item_analysis)
    quiz = _quiz(cohort, report_course, report_quiz)
    analysis, info = _analysis(cohort, quiz)
    return _render("quizzes/report_items.html", cohort=cohort, quiz=quiz, title=_title(quiz), analysis=analysis,
                   info=info, scope=_scope(), waiting=reports.waiting_attempts(quiz, cohort),
                   variant=_variant_labeller(analysis))


@bp.route(QUIZ + "/items.csv")
@login_required
def report_items_csv(cohort_id: int, report_course: str, report_quiz: str):
    cohort = _cohort(cohort_id, can_view_item_analysis)
    quiz = _quiz(cohort, report_course, report_quiz)
    analysis, info = _analysis(cohort, quiz)
    header = [_("Question"), _("Version"), _("Type"), _("Attempts"), _("Facility index (%)"),
              _("Standard deviation (%)"), _("Discrimination index"), _("Discriminative efficiency (%)"),
              _("Flags")]
    return report_csv.csv_response(f"{quiz.course.slug}-{quiz.slug}-items-{_scope()}.csv", header,
                                   report_csv.item_rows(analysis, info, _variant_labeller(analysis), _flag_label))


@bp.route(QUIZ + "/responses.csv")
@login_required
def report_responses_csv(cohort_id: int, report_course: str, report_quiz: str):
    cohort = _cohort(cohort_id, can_view_item_analysis)
    quiz = _quiz(cohort, report_course, report_quiz)
    distributions = reports.response_distribution(quiz, cohort, _scope())
    header = [_("Question"), _("Version"), _("Type"), _("Part"), _("Response"), _("Credit"), _("Right"),
              _("Count"), _("Share")]
    return report_csv.csv_response(
        f"{quiz.course.slug}-{quiz.slug}-responses-{_scope()}.csv", header,
        report_csv.response_rows(distributions, _variant_labeller_for(distributions), _option_label, _("Other answers")))


@bp.route(QUIZ + "/items/<path:report_item>")
@login_required
def report_item(cohort_id: int, report_course: str, report_quiz: str, report_item: str):
    cohort = _cohort(cohort_id, can_view_item_analysis)
    quiz = _quiz(cohort, report_course, report_quiz)
    analysis, info = _analysis(cohort, quiz)
    item = next((i for i in analysis.items if i.key == report_item), None) or abort(404)
    distributions = reports.response_distribution(quiz, cohort, _scope(), key=report_item)
    return _render("quizzes/report_item.html", cohort=cohort, quiz=quiz, title=_title(quiz), item=item,
                   question=info.get(item.key), distributions=distributions, scope=_scope(),
                   variant=_variant_labeller_for(distributions, item.variants))


def _variant_labeller(analysis: statistics.ItemAnalysis):
    return _labeller({v.variant for item in analysis.items for v in item.variants})


def _variant_labeller_for(distributions, extra=()):
    return _labeller({d.variant for d in distributions} | {v.variant for v in extra})


def _labeller(variants: set):
    """(language, version id) → "es · v2" (the version number read once for all variants)."""
    numbers = reports.version_numbers({version_id for _language, version_id in variants})

    def label(variant) -> str:
        if variant is None:
            return ""
        language, version_id = variant
        number = numbers.get(version_id)
        return f"{language} · v{number}" if number else language

    return label

"""The lesson editor (Markdown with a server-rendered preview) and each lesson's history of versions.

Routes of the authoring blueprint (courses.authoring.*). "Preview" renders through the same
renderer and nh3 allowlist as a saved lesson; "Save" checks the text as packs are checked and,
on any problem, shows the form again with everything that was typed.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required

from app.core.i18n import _
from app.courses import authoring
from app.courses.authoring import AuthoringError, LessonTextError
from app.courses.authoring_views import bp, editable_course, form_page, lesson_or_404, me
from app.courses.forms import ConfirmForm, LessonTextForm
from app.courses.models import Course, LessonVersion
from app.extensions import db


def _language(course: Course, language: str) -> str:
    if language not in course.languages:
        abort(404)
    return language


def _problem_messages(problems: list[tuple[int, str]]) -> list[str]:
    return [_("Line %(line)d: %(message)s.", line=line, message=message) for line, message in dict.fromkeys(problems)]


@bp.route("/<course_slug>/lessons/<lesson_slug>/<language>", methods=["GET", "POST"])
@login_required
def lesson_edit(course_slug: str, lesson_slug: str, language: str):
    course = editable_course(course_slug)
    lesson = lesson_or_404(course, lesson_slug)
    _language(course, language)
    content = authoring.lesson_content(lesson, language)
    form = LessonTextForm()
    if not form.is_submitted() and content is not None:
        form.title.data, form.body.data = authoring.split_title(content.body_markdown)
    context = {"course": course, "lesson": lesson, "language": language, "content": content, "preview": None}
    if form.preview.data and form.validate_on_submit():
        context["preview"] = authoring.preview(course, form.title.data, form.body.data or "")
        form.body.errors = _problem_messages(authoring.body_problems(
            course, authoring.compose_markdown(form.title.data, form.body.data or "")))
        return render_template("courses/authoring/lesson_edit.html", form=form, **context)
    if form.validate_on_submit():
        try:
            authoring.save_lesson_text(lesson, language, form.title.data, form.body.data or "", me(), form.note.data)
        except LessonTextError as error:
            db.session.rollback()
            form.body.errors = _problem_messages(error.problems)
        except AuthoringError as error:
            db.session.rollback()
            form[error.field or "title"].errors = [error.message]
        else:
            db.session.commit()
            flash(_("The lesson has been saved. The earlier text is kept in its history."), "success")
            return redirect(url_for("courses.authoring.lesson_edit", course_slug=course.slug,
                                    lesson_slug=lesson.slug, language=language))
    return form_page("courses/authoring/lesson_edit.html", form, **context)


@bp.route("/<course_slug>/lessons/<lesson_slug>/<language>/history")
@login_required
def history(course_slug: str, lesson_slug: str, language: str):
    course = editable_course(course_slug)
    lesson = lesson_or_404(course, lesson_slug)
    _language(course, language)
    return render_template("courses/authoring/history.html", course=course, lesson=lesson, language=language,
                           content=authoring.lesson_content(lesson, language),
                           versions=authoring.lesson_versions(lesson, language), form=ConfirmForm())


def _version(course_slug: str, lesson_slug: str, language: str, version_id: int):
    course = editable_course(course_slug)
    lesson = lesson_or_404(course, lesson_slug)
    version = db.session.get(LessonVersion, version_id)
    if version is None or version.lesson_id != lesson.id or version.language != _language(course, language):
        abort(404)
    return course, lesson, version


@bp.route("/<course_slug>/lessons/<lesson_slug>/<language>/history/<int:version_id>")
@login_required
def version(course_slug: str, lesson_slug: str, language: str, version_id: int):
    course, lesson, version = _version(course_slug, lesson_slug, language, version_id)
    title, body = authoring.split_title(version.body_markdown)
    return render_template("courses/authoring/version.html", course=course, lesson=lesson, language=language,
                           version=version, rendered=authoring.preview(course, title, body), form=ConfirmForm())


@bp.post("/<course_slug>/lessons/<lesson_slug>/<language>/history/<int:version_id>/restore")
@login_required
def restore(course_slug: str, lesson_slug: str, language: str, version_id: int):
    course, lesson, version = _version(course_slug, lesson_slug, language, version_id)
    if ConfirmForm().validate_on_submit():
        authoring.restore_version(version, me())
        db.session.commit()
        flash(_("The earlier version has been restored. The text it replaced is kept in the history."), "success")
    return redirect(url_for("courses.authoring.history", course_slug=course.slug, lesson_slug=lesson.slug,
                            language=language))

"""Learning pages: my courses, a course's outline, a lesson, "mark as done", and pack images.

The authoring pages are a nested blueprint (authoring_views.py, editor_views.py).
"""
from __future__ import annotations

import mimetypes
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from werkzeug.security import safe_join

from app.core.i18n import _
from app.core.page_cache import cached_page
from app.core.permissions import authorize, can_study_course, can_view_course
from app.courses import queries, services
from app.courses.forms import MarkDoneForm
from app.courses.models import Course, CourseSource
from app.courses.packs import content_root
from app.courses.rendering import IMAGE_EXTENSIONS
from app.extensions import db

bp = Blueprint("courses", __name__, template_folder="templates", url_prefix="/courses")

# Authoring lives under /courses/authoring (editor_views adds the editor's routes to the same blueprint).
from app.courses import authoring_views, editor_views  # noqa: E402,F401

bp.register_blueprint(authoring_views.bp)

ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _course_or_404(slug: str) -> Course:
    """The course, if this user may see it; 404 otherwise, so its existence is not revealed."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None or not can_view_course(current_user, course):
        abort(404)
    return course


@bp.route("")
@login_required
@cached_page
def my_courses():
    courses = queries.course_cards(current_user._get_current_object())
    return render_template("courses/my_courses.html", courses=courses)


@bp.route("/<slug>")
@login_required
def course(slug: str):
    course = _course_or_404(slug)
    user = current_user._get_current_object()
    progress = queries.course_progress(user, course, queries.course_language(user, course, str(get_locale())))
    from app.core.db import utcnow
    from app.quizzes.attempt_queries import course_quizzes

    return render_template("courses/course.html", course=course, progress=progress,
                           can_study=can_study_course(user, course), quizzes=course_quizzes(course, user, utcnow()))


@bp.route("/<slug>/lessons/<lesson_slug>")
@login_required
@cached_page
def lesson(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    user = current_user._get_current_object()
    page = queries.lesson_page(user, course, lesson_slug, queries.course_language(user, course, str(get_locale())))
    if page is None:
        abort(404)
    review = None
    if page.is_done:  # a certificate being renewed asks for the lesson again: offer to mark it reviewed
        from app.certificates.renewal import renewal_since

        since = renewal_since(user.id, course.id)
        if since is not None:
            review = {"since": since, "done": queries.reviewed_since(user, page.lesson, since)}
    return render_template("courses/lesson.html", page=page, form=MarkDoneForm(),
                           can_study=can_study_course(user, course), review=review)


@bp.post("/<slug>/lessons/<lesson_slug>/done")
@login_required
def mark_done(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    user = current_user._get_current_object()
    authorize(can_study_course(user, course))
    lesson = queries.visible_lesson(course, lesson_slug)
    if lesson is None:
        abort(404)
    if not MarkDoneForm().validate_on_submit():
        abort(400)
    services.mark_lesson_done(user, lesson)
    following = queries.next_lesson(course, lesson)
    db.session.commit()
    flash(_("Lesson marked as done."), "success")
    if following is None:
        return redirect(url_for(".course", slug=course.slug))
    return redirect(url_for(".lesson", slug=course.slug, lesson_slug=following.slug))


@bp.route("/<slug>/assets/<path:filename>")
@login_required
def asset(slug: str, filename: str):
    course = _course_or_404(slug)
    if course.source is not CourseSource.PACK or Path(filename).suffix.lower() not in IMAGE_EXTENSIONS:
        abort(404)
    path = safe_join(str(content_root() / course.slug / "assets"), filename)
    if path is None or not Path(path).is_file():
        abort(404)
    # Images are small: read them whole, so no file handle outlives the request.
    response = Response(Path(path).read_bytes(), mimetype=mimetypes.guess_type(path)[0] or "application/octet-stream")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = ASSET_CSP
    return response

"""Course authoring pages for trainers and admins: courses, modules, lessons, publishing and archiving.

Nested in the courses blueprint (endpoints courses.authoring.*, URLs /courses/authoring/...).
A web course of another organisation answers 404; pack courses are read-only here (403 on
every change): their files are the source, and the next `flask content sync` would overwrite edits.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.auth.models import User
from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_author_courses,
    can_edit_course,
    can_give_course,
    can_know_authored_course,
    can_view_course_authoring,
)
from app.courses import authoring, queries, services
from app.courses.authoring import AuthoringError
from app.courses.forms import (
    ConfirmForm,
    CourseForm,
    GiveCourseForm,
    ModuleForm,
    MoveForm,
    NewLessonForm,
    NewModuleForm,
    course_form,
    language_name,
    titles_form,
)
from app.courses.models import Course, CourseModule, Lesson
from app.extensions import db
from app.orgs.models import Cohort

bp = Blueprint("authoring", __name__, url_prefix="/authoring")


def me() -> User:
    return current_user._get_current_object()


def course_or_404(course_slug: str) -> Course:
    """The course, if this user may author (or read) it: 404 across organisations, 403 for other roles."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == course_slug))
    if course is None or not can_know_authored_course(current_user, course):
        abort(404)
    authorize(can_view_course_authoring(current_user, course))
    return course


def editable_course(course_slug: str) -> Course:
    course = course_or_404(course_slug)
    authorize(can_edit_course(current_user, course))
    return course


def module_or_404(course: Course, module_id: int) -> CourseModule:
    module = db.session.get(CourseModule, module_id)
    if module is None or module.course_id != course.id or module.is_hidden:
        abort(404)
    return module


def lesson_or_404(course: Course, lesson_slug: str) -> Lesson:
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == lesson_slug,
                                                       Lesson.is_hidden.is_(False)))
    if lesson is None:
        abort(404)
    return lesson


def to_course(course: Course):
    return redirect(url_for("courses.authoring.course", course_slug=course.slug))


def form_page(template: str, form, **context):
    """Show a form again with what was typed: 422 after a submit with errors, 200 on first view."""
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


@bp.route("")
@login_required
def index():
    authorize(can_author_courses(current_user, current_user.organisation_id))
    return render_template("courses/authoring/index.html",
                           courses=queries.authoring_courses(current_user.organisation_id))


def _course_data(form: CourseForm) -> authoring.CourseData:
    return authoring.CourseData(version=form.version.data, languages=list(form.languages.data),
                                title=form.texts("title"), summary=form.texts("summary"),
                                audience=form.texts("audience"), estimated_hours=form.estimated_hours.data,
                                licence=form.licence.data)


def _set_error(form, error: AuthoringError, default: str) -> None:
    db.session.rollback()
    form[error.field or default].errors = [*form[error.field or default].errors, error.message]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    authorize(can_author_courses(current_user, current_user.organisation_id))
    form = course_form(list(current_app.config["LANGUAGES"]), new=True)
    if not form.is_submitted():
        form.languages.data = [current_app.config["BABEL_DEFAULT_LOCALE"]]
    if form.validate_on_submit():
        try:
            course = authoring.create_course(current_user.organisation_id, form.slug.data, _course_data(form))
        except AuthoringError as error:
            _set_error(form, error, "slug")
        else:
            db.session.commit()
            flash(_("The course has been created. Add a module, then its lessons."), "success")
            return to_course(course)
    return form_page("courses/authoring/course_form.html", form, course=None)


@bp.route("/<course_slug>")
@login_required
def course(course_slug: str):
    course = course_or_404(course_slug)
    return render_template("courses/authoring/course.html", course=course, outline=queries.authoring_outline(course),
                           can_edit=can_edit_course(current_user, course), form=ConfirmForm())


@bp.route("/<course_slug>/edit", methods=["GET", "POST"])
@login_required
def edit(course_slug: str):
    course = editable_course(course_slug)
    available = list(dict.fromkeys([*current_app.config["LANGUAGES"], *course.languages]))
    form = course_form(available, new=False, obj=course)
    if not form.is_submitted():
        for language in available:
            for kind in ("title", "summary", "audience"):
                form.text(kind, language).data = getattr(course, kind).get(language, "")
    if form.validate_on_submit():
        try:
            authoring.update_course(course, _course_data(form))
        except AuthoringError as error:
            _set_error(form, error, "languages")
        else:
            db.session.commit()
            flash(_("The course has been saved."), "success")
            return to_course(course)
    return form_page("courses/authoring/course_form.html", form, course=course)


def _course_action(course_slug: str, change, done: str):
    course = editable_course(course_slug)
    if ConfirmForm().validate_on_submit():
        try:
            change(course)
        except AuthoringError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(done, "success")
    return to_course(course)


@bp.post("/<course_slug>/publish")
@login_required
def publish(course_slug: str):
    return _course_action(course_slug, lambda c: authoring.set_published(c, True),
                          _("The course is published: its cohorts' trainees can study it."))


@bp.post("/<course_slug>/unpublish")
@login_required
def unpublish(course_slug: str):
    return _course_action(course_slug, lambda c: authoring.set_published(c, False),
                          _("The course is unpublished: trainees no longer see it. Their progress is kept."))


@bp.post("/<course_slug>/archive")
@login_required
def archive(course_slug: str):
    return _course_action(course_slug, lambda c: authoring.set_archived(c, True),
                          _("The course is archived: it has left My courses. Everyone's progress is kept."))


@bp.post("/<course_slug>/unarchive")
@login_required
def unarchive(course_slug: str):
    return _course_action(course_slug, lambda c: authoring.set_archived(c, False),
                          _("The course is back from the archive."))


# -- modules -------------------------------------------------------------------------------

@bp.route("/<course_slug>/modules/new", methods=["GET", "POST"])
@login_required
def module_new(course_slug: str):
    course = editable_course(course_slug)
    form = titles_form(NewModuleForm, course.languages)
    if form.validate_on_submit():
        try:
            authoring.add_module(course, form.slug.data, form.titles())
        except AuthoringError as error:
            _set_error(form, error, "slug")
        else:
            db.session.commit()
            flash(_("The module has been added."), "success")
            return to_course(course)
    return form_page("courses/authoring/module_form.html", form, course=course, module=None)


@bp.route("/<course_slug>/modules/<int:module_id>", methods=["GET", "POST"])
@login_required
def module_edit(course_slug: str, module_id: int):
    course = editable_course(course_slug)
    module = module_or_404(course, module_id)
    form = titles_form(ModuleForm, course.languages, data={f"title_{k}": v for k, v in module.title.items()})
    if form.validate_on_submit():
        try:
            authoring.rename_module(module, form.titles())
        except AuthoringError as error:
            _set_error(form, error, f"title_{course.languages[0]}")
        else:
            db.session.commit()
            flash(_("The module has been renamed."), "success")
            return to_course(course)
    return form_page("courses/authoring/module_form.html", form, course=course, module=module)


@bp.post("/<course_slug>/modules/<int:module_id>/move")
@login_required
def module_move(course_slug: str, module_id: int):
    course = editable_course(course_slug)
    module = module_or_404(course, module_id)
    form = MoveForm()
    if form.validate_on_submit() and authoring.move_module(module, form.step):
        db.session.commit()
        flash(_("The module has been moved."), "success")
    return to_course(course)


# -- lessons -------------------------------------------------------------------------------

@bp.route("/<course_slug>/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@login_required
def lesson_new(course_slug: str, module_id: int):
    course = editable_course(course_slug)
    module = module_or_404(course, module_id)
    form = titles_form(NewLessonForm, course.languages)
    if form.validate_on_submit():
        try:
            lesson = authoring.add_lesson(module, form.slug.data, form.minutes.data, form.titles(), me())
        except AuthoringError as error:
            _set_error(form, error, "slug")
        else:
            db.session.commit()
            flash(_("The lesson has been added. Now write its text."), "success")
            return redirect(url_for("courses.authoring.lesson_edit", course_slug=course.slug,
                                    lesson_slug=lesson.slug, language=course.languages[0]))
    return form_page("courses/authoring/lesson_new.html", form, course=course, module=module)


@bp.post("/<course_slug>/lessons/<lesson_slug>/move")
@login_required
def lesson_move(course_slug: str, lesson_slug: str):
    course = editable_course(course_slug)
    lesson = lesson_or_404(course, lesson_slug)
    form = MoveForm()
    if form.validate_on_submit() and authoring.move_lesson(lesson, form.step):
        db.session.commit()
        flash(_("The lesson has been moved."), "success")
    return to_course(course)


# -- cohorts -------------------------------------------------------------------------------

@bp.route("/<course_slug>/cohorts", methods=["GET", "POST"])
@login_required
def cohorts(course_slug: str):
    """Give the course to a cohort the user manages, in one of its languages; or take it back."""
    course = course_or_404(course_slug)
    mine = [c for c in queries.organisation_cohorts(current_user.organisation_id)
            if can_give_course(current_user, course, c)]
    form = GiveCourseForm()
    form.cohort_id.choices = [SelectChoice(value=c.id, label=c.name) for c in mine]
    form.language.choices = [SelectChoice(value=x, label=language_name(x)) for x in course.languages]
    if form.validate_on_submit():
        cohort = next(c for c in mine if c.id == form.cohort_id.data)
        try:
            services.give_course_to_cohort(cohort, course, form.language.data)
        except services.CourseLanguageError:
            db.session.rollback()
            form.cohort_id.errors = [_("This course cannot be given: it is archived or not of your organisation.")]
        else:
            db.session.commit()
            flash(_("%(cohort)s now studies this course in %(language)s.", cohort=cohort.name,
                    language=language_name(form.language.data)), "success")
            return redirect(url_for("courses.authoring.cohorts", course_slug=course.slug))
    return form_page("courses/authoring/cohorts.html", form, course=course,
                     rows=queries.cohorts_for_course(course, mine), confirm=ConfirmForm())


@bp.post("/<course_slug>/cohorts/<int:cohort_id>/remove")
@login_required
def take_back(course_slug: str, cohort_id: int):
    course = course_or_404(course_slug)
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.organisation_id != current_user.organisation_id:
        abort(404)
    authorize(can_give_course(current_user, course, cohort))
    if ConfirmForm().validate_on_submit() and services.take_course_back(cohort, course):
        db.session.commit()
        flash(_("%(cohort)s no longer studies this course. Its trainees' progress is kept.", cohort=cohort.name),
              "success")
    return redirect(url_for("courses.authoring.cohorts", course_slug=course.slug))

"""Rating a trainee: the assessor's list, starting an assessment, the rating form (autosaved), submit, amend.

Another organisation's assessment answers 404; someone of the same organisation who may not see
it gets 403. A submitted assessment refuses every change.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.auth.models import User
from app.competencies import services
from app.competencies.blueprint import bp
from app.competencies.forms import (
    DRAW,
    METHOD_LABELS,
    STAGE_LABELS,
    AmendForm,
    DiscardForm,
    ItemMarks,
    RatingForm,
    StartAssessmentForm,
    item_marks,
    rating_form,
    scenario_choices,
)
from app.competencies.levels import LEVEL_NAMES, LEVELS
from app.competencies.models import Assessment, AssessmentMethod, AssessmentStage, CompetencyTool, Scenario
from app.core.i18n import _
from app.core.page_cache import cached_page
from app.core.permissions import (
    authorize,
    can_amend_assessment,
    can_edit_assessment,
    can_rate,
    can_start_assessments,
    can_view_assessment,
    is_same_organisation,
)
from app.extensions import db
from app.notifications.catalogue import localized
from app.notifications.services import send_pending_emails


def rating_level_label(level: int | None, not_observed: bool = False) -> str:
    if not_observed:
        return _("Not observed")
    if level is None:
        return _("Not rated yet")
    return _("Level %(level)d: %(name)s", level=level, name=LEVEL_NAMES[level].get(str(get_locale()), LEVEL_NAMES[level]["en"]))


@bp.context_processor
def _rating_helpers() -> dict:
    return {"rating_text": localized, "rating_level_label": rating_level_label, "STAGE_LABELS": STAGE_LABELS,
            "METHOD_LABELS": METHOD_LABELS}


def _me() -> User:
    return current_user._get_current_object()


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not is_same_organisation(current_user, assessment):
        abort(404)
    return assessment


@bp.route("/competencies/assess")
@login_required
def assess_index():
    authorize(can_start_assessments(current_user))
    me = _me()
    return render_template("competencies/assess_index.html", trainees=services.ratable_trainees(me),
                           drafts=services.drafts_of(me), submitted=services.submitted_by(me))


def _start_form(me: User) -> StartAssessmentForm:
    form = StartAssessmentForm()
    tools = services.tools_for(me.organisation_id)
    language = str(get_locale())
    form.trainee_id.choices = [SelectChoice(value=t.id, label=t.full_name) for t in services.ratable_trainees(me)]
    form.tool_id.choices = [SelectChoice(value=t.id, label=localized(t.name, language)) for t in tools]
    form.scenario_id.choices = scenario_choices(tools, language)
    if not form.is_submitted() and request.args.get("trainee_id", type=int):
        form.trainee_id.data = request.args.get("trainee_id", type=int)
    return form


@bp.route("/competencies/assess/new", methods=["GET", "POST"])
@login_required
def assess_new():
    authorize(can_start_assessments(current_user))
    me = _me()
    form = _start_form(me)
    if form.validate_on_submit():
        trainee = db.session.get(User, form.trainee_id.data)
        tool = db.session.get(CompetencyTool, form.tool_id.data)
        authorize(trainee is not None and can_rate(me, trainee))
        scenario = db.session.get(Scenario, form.scenario_id.data) if form.scenario_id.data != DRAW else None
        try:
            assessment = services.start_assessment(
                me, trainee, tool, AssessmentStage(form.stage.data), AssessmentMethod(form.method.data),
                scenario=scenario, draw=form.scenario_id.data == DRAW
                and form.method.data == AssessmentMethod.ROLE_PLAY.value, observed_on=form.observed_on.data)
        except services.AssessmentError as error:
            db.session.rollback()
            form.scenario_id.errors = [str(error.message)]
        else:
            db.session.commit()
            return redirect(url_for("competencies.assess_rate", assessment_id=assessment.id))
    return render_template("competencies/assess_new.html", form=form), 422 if form.is_submitted() else 200


def _wants_json() -> bool:
    return request.headers.get("X-Autosave") == "1"


def _autosave_answer(assessment: Assessment, errors: dict | None = None, status: int = 200):
    ratings = services.ratings_by_item(assessment)
    return jsonify({
        "saved": not errors, "saved_at": assessment.saved_at.isoformat() if assessment.saved_at else None,
        "levels": {str(item_id): rating_level_label(r.level, r.not_observed) for item_id, r in ratings.items()
                   if services.is_rated(r)},
        "errors": {str(k): str(v) for k, v in (errors or {}).items()},
    }), status


def _level_labels() -> dict[str, str]:
    """The badge text for each level-* key, looked up once per page."""
    labels = {"none": rating_level_label(None), "na": rating_level_label(None, True)}
    labels.update((str(level), rating_level_label(level)) for level in LEVELS)
    return labels


@bp.route("/competencies/assessments/<int:assessment_id>/rate", methods=["GET", "POST"])
@login_required
@cached_page
def assess_rate(assessment_id: int):
    found = services.assessment_for_rating(assessment_id)
    if found is None or not is_same_organisation(current_user, found[0]):
        abort(404)
    assessment, trainee_name = found
    if assessment.status != "draft" and can_view_assessment(current_user, assessment):
        if request.method == "POST":
            if _wants_json():
                return _autosave_answer(assessment, {0: _("This assessment has been submitted.")}, 409)
            flash(_("This assessment has been submitted and can no longer change. To correct it, make an amendment."),
                  "error")
        return redirect(url_for("competencies.assess_view", assessment_id=assessment.id)), 303
    authorize(can_edit_assessment(current_user, assessment))
    sheet = services.rating_sheet(assessment.tool, str(get_locale()))
    if request.method != "POST":
        return _rating_page(assessment, trainee_name, sheet)
    form = rating_form(assessment.tool, services.ratings_by_item(assessment), assessment.overall_note, sheet)
    item_errors: dict = {}
    if form.validate_on_submit():
        try:
            services.save_ratings(assessment, form.inputs(), form.overall_note.data)
            if _wants_json():
                db.session.commit()
                return _autosave_answer(assessment)
            if form.submit_assessment.data:
                result = services.submit_assessment(assessment, _me())
                db.session.commit()
                send_pending_emails()
                flash(_("The assessment has been submitted."), "success")
                if result.raised or assessment.has_harm:
                    flash(_("Potentially harmful behaviour was rated: a harm flag is open and the trainee's "
                            "supervisors and trainers have been told."), "warning")
                return redirect(url_for("competencies.assess_view", assessment_id=assessment.id))
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("competencies.assess_rate", assessment_id=assessment.id))
        except services.AssessmentError as error:
            item_errors = error.items
            if form.submit_assessment.data and not _wants_json() and assessment.saved_at is not None:
                db.session.commit()  # the draft is kept; only the submission was refused
            else:
                db.session.rollback()
            if _wants_json():
                return _autosave_answer(assessment, item_errors or {0: error.message}, 422)
            flash(str(error.message), "error")
    elif _wants_json():
        return _autosave_answer(assessment, {0: _("The form could not be read. Reload the page.")}, 400)
    return _rating_page(assessment, trainee_name, sheet, form, item_errors), 422


def _rating_page(assessment: Assessment, trainee_name: str | None, sheet: tuple, form: RatingForm | None = None,
                 item_errors: dict | None = None) -> str:
    """The form as saved (a GET: no WTForms form is built, the page writes its ~60 fields itself), or as
    posted with its problems marked."""
    marks = item_marks(sheet, services.saved_marks(assessment.id), form, item_errors)
    return render_template(
        "competencies/rate.html", assessment=assessment, trainee_name=trainee_name, sheet=sheet, marks=marks,
        no_marks=ItemMarks(), level_labels=_level_labels(), has_errors=bool(item_errors or (form and form.errors)),
        overall_note=assessment.overall_note if form is None else form.overall_note.data)


@bp.route("/competencies/assessments/<int:assessment_id>")
@login_required
def assess_view(assessment_id: int):
    assessment = _assessment(assessment_id)
    authorize(can_view_assessment(current_user, assessment))
    from app.competencies.models import HarmFlag

    harmful_items = [r.item_id for r in assessment.ratings if r.level == 1]
    flags = db.session.scalars(db.select(HarmFlag).where(
        (HarmFlag.raised_by_id == assessment.id) | (HarmFlag.cleared_by_id == assessment.id)
        | ((HarmFlag.trainee_id == assessment.trainee_id) & HarmFlag.item_id.in_(harmful_items)
           & (HarmFlag.status == "open"))).order_by(HarmFlag.id)).all()
    return render_template("competencies/assessment.html", assessment=assessment, flags=flags,
                           rating_items=[i for i in assessment.tool.items if i.id in services.ratings_by_item(assessment)
                                  or not i.is_hidden],
                           ratings=services.ratings_by_item(assessment),
                           amendment=services.amendment_of(assessment), discard_form=DiscardForm())


@bp.route("/competencies/assessments/<int:assessment_id>/amend", methods=["GET", "POST"])
@login_required
def assess_amend(assessment_id: int):
    assessment = _assessment(assessment_id)
    authorize(can_amend_assessment(current_user, assessment))
    form = AmendForm()
    if form.validate_on_submit():
        try:
            amendment = services.start_amendment(assessment, _me(), form.reason.data)
        except services.AssessmentError as error:
            db.session.rollback()
            form.reason.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Correct the ratings, then submit the amendment. The original is kept."), "info")
            return redirect(url_for("competencies.assess_rate", assessment_id=amendment.id))
    return render_template("competencies/assessment_amend.html", assessment=assessment, form=form), (
        422 if form.is_submitted() else 200)


@bp.route("/competencies/assessments/<int:assessment_id>/discard", methods=["POST"])
@login_required
def assess_discard(assessment_id: int):
    assessment = _assessment(assessment_id)
    authorize(can_edit_assessment(current_user, assessment))
    if DiscardForm().validate_on_submit():
        try:
            services.discard_draft(assessment, _me())
        except services.AssessmentError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("competencies.assess_rate", assessment_id=assessment.id))
        db.session.commit()
        flash(_("The draft has been deleted."), "success")
    return redirect(url_for("competencies.assess_index"))


from app.competencies import flag_views, session_views  # noqa: E402,F401  (their routes, on the same blueprint)

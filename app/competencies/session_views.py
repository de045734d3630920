"""Rating sessions: a trainer asks several raters to rate the same performance (for calibration).

The agreement report is in calibration_views; here a session is created and each rater finds their
own assessment to fill in.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.auth.models import User
from app.competencies import services
from app.competencies.blueprint import bp
from app.competencies.forms import DRAW, RatingSessionForm, scenario_choices
from app.competencies.models import AssessmentMethod, AssessmentStage, CompetencyTool, RatingSession, Scenario
from app.core.i18n import _, _l
from app.core.permissions import (
    authorize,
    can_create_rating_session,
    can_start_assessments,
    can_view_rating_session,
    is_same_organisation,
)
from app.extensions import db
from app.notifications.catalogue import localized
from app.notifications.services import send_pending_emails
from app.orgs.models import Cohort, Role


@bp.route("/competencies/sessions")
@login_required
def session_index():
    authorize(can_start_assessments(current_user) or can_create_rating_session(current_user,
                                                                               current_user.organisation_id))
    return render_template("competencies/session_index.html", sessions=services.sessions_of(current_user),
                           can_create=can_create_rating_session(current_user, current_user.organisation_id))


def _session_form() -> RatingSessionForm:
    form = RatingSessionForm()
    organisation_id = current_user.organisation_id
    language = str(get_locale())
    tools = services.tools_for(organisation_id)
    trainees = _trainees(organisation_id)
    form.tool_id.choices = [SelectChoice(value=t.id, label=localized(t.name, language)) for t in tools]
    form.trainee_id.choices = [SelectChoice(value=0, label=_l("A recorded or actor performance"))] + [
        SelectChoice(value=u.id, label=u.full_name) for u in trainees]
    form.cohort_id.choices = [SelectChoice(value=0, label=_l("No cohort"))] + [
        SelectChoice(value=c.id, label=c.name) for c in db.session.scalars(db.select(Cohort).where(
            Cohort.organisation_id == organisation_id).order_by(Cohort.name))]
    form.scenario_id.choices = scenario_choices(tools, language)
    raters = services.possible_raters(organisation_id)
    form.rater_ids.choices = [SelectChoice(value=u.id, label=u.full_name) for u in raters]
    form.reference_rater_id.choices = [SelectChoice(value=0, label=_l("No reference rater"))] + [
        SelectChoice(value=u.id, label=u.full_name) for u in raters]
    return form


def _trainees(organisation_id: int) -> list[User]:
    from app.orgs.models import RoleAssignment

    return list(db.session.scalars(
        db.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.organisation_id == organisation_id, RoleAssignment.role == Role.TRAINEE,
               User.is_active_account.is_(True)).distinct().order_by(User.full_name)))


@bp.route("/competencies/sessions/new", methods=["GET", "POST"])
@login_required
def session_new():
    authorize(can_create_rating_session(current_user, current_user.organisation_id))
    form = _session_form()
    if form.validate_on_submit():
        get = db.session.get
        try:
            session = services.create_rating_session(
                current_user._get_current_object(), get(CompetencyTool, form.tool_id.data), form.title.data,
                stage=AssessmentStage(form.stage.data), method=AssessmentMethod(form.method.data),
                raters=[get(User, rater_id) for rater_id in form.rater_ids.data],
                trainee=get(User, form.trainee_id.data) if form.trainee_id.data else None,
                cohort=get(Cohort, form.cohort_id.data) if form.cohort_id.data else None,
                scenario=get(Scenario, form.scenario_id.data) if form.scenario_id.data != DRAW else None,
                draw=form.scenario_id.data == DRAW,
                reference=get(User, form.reference_rater_id.data) if form.reference_rater_id.data else None)
        except services.AssessmentError as error:
            db.session.rollback()
            form.rater_ids.errors = [str(error.message)]
        else:
            db.session.commit()
            send_pending_emails()
            flash(_("The rating session has been created. Each rater has their own assessment to fill in."),
                  "success")
            return redirect(url_for("competencies.session_view", rating_session_id=session.id))
    return render_template("competencies/session_new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/competencies/sessions/<int:rating_session_id>")
@login_required
def session_view(rating_session_id: int):
    session = db.session.get(RatingSession, rating_session_id)
    if session is None or not is_same_organisation(current_user, session):
        abort(404)
    authorize(can_view_rating_session(current_user, session))
    mine = next((a for a in session.assessments if a.assessor_id == current_user.id and a.amends_id is None), None)
    return render_template("competencies/session.html", session=session, mine=mine,
                           assessments=sorted(session.assessments, key=lambda a: (a.assessor.full_name if a.assessor
                                                                                  else "", a.id)))


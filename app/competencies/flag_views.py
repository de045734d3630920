"""Harm flags and their remediation plans: the open flags a person must act on, one flag, its actions."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.auth.models import User
from app.competencies import harm
from app.competencies.blueprint import bp
from app.competencies.forms import RemediationActionForm
from app.competencies.models import HarmFlag, HarmFlagStatus, RemediationAction
from app.core.i18n import _, _l
from app.core.permissions import authorize, can_act_on_harm_flag, can_view_harm_flags, is_admin, is_same_organisation
from app.extensions import db

RECENTLY_CLEARED = 20


def _flag(flag_id: int) -> HarmFlag:
    flag = db.session.get(HarmFlag, flag_id)
    if flag is None or not is_same_organisation(current_user, flag):
        abort(404)
    authorize(can_act_on_harm_flag(current_user, flag))
    return flag


def _visible_flags(status: HarmFlagStatus, limit: int | None = None) -> list[HarmFlag]:
    """The flags of the trainees this person supervises or teaches (every trainee's for an admin)."""
    query = (sa.select(HarmFlag).where(HarmFlag.organisation_id == current_user.organisation_id,
                                       HarmFlag.status == status)
             .options(selectinload(HarmFlag.trainee), selectinload(HarmFlag.item), selectinload(HarmFlag.actions))
             .order_by(HarmFlag.raised_at.desc(), HarmFlag.id.desc()))
    flags = db.session.scalars(query).all()
    if not is_admin(current_user, current_user.organisation_id):
        flags = [flag for flag in flags if can_act_on_harm_flag(current_user, flag)]
    return flags[:limit] if limit else flags


@bp.route("/competencies/flags")
@login_required
def flag_index():
    authorize(can_view_harm_flags(current_user))
    return render_template("competencies/flag_index.html", open_flags=_visible_flags(HarmFlagStatus.OPEN),
                           cleared=_visible_flags(HarmFlagStatus.CLEARED, RECENTLY_CLEARED))


def _action_form(flag: HarmFlag) -> RemediationActionForm:
    form = RemediationActionForm()
    people = {user.id: user for user in harm.responsible_for(flag.trainee)}
    people.setdefault(current_user.id, current_user._get_current_object())
    form.owner_id.choices = [SelectChoice(value=0, label=_l("Nobody yet"))] + [
        SelectChoice(value=user.id, label=user.full_name) for user in sorted(people.values(), key=lambda u: u.full_name)]
    return form


@bp.route("/competencies/flags/<int:flag_id>")
@login_required
def flag_view(flag_id: int):
    flag = _flag(flag_id)
    return render_template("competencies/flag.html", flag=flag, form=_action_form(flag))


@bp.route("/competencies/flags/<int:flag_id>/actions", methods=["POST"])
@login_required
def flag_action_add(flag_id: int):
    flag = _flag(flag_id)
    form = _action_form(flag)
    if form.validate_on_submit():
        owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
        try:
            harm.add_action(flag, form.description.data, owner, form.due_on.data, current_user._get_current_object())
        except harm.RemediationError as error:
            db.session.rollback()
            form.description.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("The action has been added to the plan."), "success")
            return redirect(url_for("competencies.flag_view", flag_id=flag.id))
    return render_template("competencies/flag.html", flag=flag, form=form), 422


@bp.route("/competencies/flags/<int:flag_id>/actions/<int:action_id>/done", methods=["POST"])
@login_required
def flag_action_done(flag_id: int, action_id: int):
    flag = _flag(flag_id)
    action = db.session.get(RemediationAction, action_id)
    if action is None or action.flag_id != flag.id:
        abort(404)
    try:  # CSRFProtect has checked the token of this POST
        harm.complete_action(action, current_user._get_current_object())
    except harm.RemediationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Marked as done."), "success")
    return redirect(url_for("competencies.flag_view", flag_id=flag.id))


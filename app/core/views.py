"""The home page for each role, and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from app.core import learner_home
from app.core.page_cache import cached_page
from app.courses import queries as course_queries
from app.extensions import db
from app.orgs import queries
from app.orgs.models import CohortRole, Role

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
@cached_page
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    user = current_user._get_current_object()
    roles = user.roles
    context = {"roles": roles}
    if Role.TRAINEE in roles:
        context["learning"] = learner_home.learning_cohorts(user)
        context["my_courses"] = course_queries.course_cards(user)
        context["my_supervisors"] = learner_home.supervisor_names(user)
    if Role.SUPERVISOR in roles:
        context["supervisees"] = queries.supervisees_of(user)
        context["supervising"] = queries.cohort_links_of(user, CohortRole.SUPERVISOR)
        from app.competencies import queries as competency_queries

        context["supervisee_flags"] = competency_queries.open_flags_of_supervisees(user)
        context["assessments_due"] = competency_queries.assessments_due(user)
    if Role.TRAINER in roles:
        context["teaching"] = queries.teaching_cards(user)
    if Role.ADMIN in roles:
        context["summary"] = queries.organisation_summary(user.organisation_id)
    if roles & {Role.SUPERVISOR, Role.TRAINEE, Role.TRAINER, Role.ADMIN, Role.CLINICAL_LEAD}:
        from app.supervision.queries import home_panel

        context["supervision_panel"] = home_panel(user, Role.SUPERVISOR in roles, Role.TRAINEE in roles)
    return render_template("core/home.html", **context)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception as error:  # the point of a health check is to report, not to raise
        current_app.logger.warning("health check: database unavailable: %s", error)
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return {
        "status": "ok" if status == 200 else "degraded",
        "database": database,
        "database_backend": db.engine.dialect.name,
        "version": current_app.config["VERSION"],
    }, status

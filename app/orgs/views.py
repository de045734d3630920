"""Organisation administration: users, sites, cohorts, supervisor assignments, audit log."""
from __future__ import annotations

from flask import Blueprint, abort

from app.core.permissions import role_required
from app.orgs.models import Role

bp = Blueprint("orgs", __name__, template_folder="templates")


@bp.route("/admin/users")
@role_required(Role.ADMIN)
def users():
    abort(501)


@bp.route("/admin/users/import")
@role_required(Role.ADMIN)
def user_import():
    abort(501)


@bp.route("/admin/sites")
@role_required(Role.ADMIN)
def sites():
    abort(501)


@bp.route("/admin/audit")
@role_required(Role.ADMIN)
def audit():
    abort(501)


@bp.route("/cohorts")
@role_required(Role.ADMIN, Role.TRAINER)
def cohorts():
    abort(501)


@bp.route("/cohorts/new")
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_new():
    abort(501)


@bp.route("/cohorts/<int:cohort_id>")
@role_required(Role.ADMIN, Role.TRAINER, Role.SUPERVISOR)
def cohort(cohort_id: int):
    abort(501)

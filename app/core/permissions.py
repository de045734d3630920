"""Every access rule in one place. Views call authorize(); templates call the same predicates.

Rules are object-level: a role only counts inside its organisation, and nothing crosses
organisations. Predicates take the acting user first and never raise.
"""
from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, Role, SupervisorAssignment

if TYPE_CHECKING:
    from app.auth.models import User


def _is_user(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def has_role(user: Any, role: Role, organisation_id: int) -> bool:
    return _is_user(user) and role in user.roles_in(organisation_id)


def is_admin(user: Any, organisation_id: int) -> bool:
    return has_role(user, Role.ADMIN, organisation_id)


def is_staff(user: Any, organisation_id: int) -> bool:
    """Trainers and admins run the organisation's training."""
    return _is_user(user) and bool(user.roles_in(organisation_id) & {Role.ADMIN, Role.TRAINER})


# -- users ---------------------------------------------------------------------------------

def can_manage_users(user: Any, organisation_id: int) -> bool:
    return is_admin(user, organisation_id)


def can_manage_user(user: Any, target: User) -> bool:
    return is_admin(user, target.organisation_id)


def can_view_user(user: Any, target: User) -> bool:
    return _is_user(user) and (
        user.id == target.id
        or is_admin(user, target.organisation_id)
        or supervises(user, target)
        or teaches(user, target)
    )


def can_issue_reset_code(user: Any, target: User) -> bool:
    """Admins for anyone in their organisation; trainers for the trainees of their cohorts."""
    if not _is_user(user) or user.id == target.id:
        return False
    if is_admin(user, target.organisation_id):
        return True
    return has_role(user, Role.TRAINER, target.organisation_id) and teaches(user, target)


# -- relationships ---------------------------------------------------------------------------

def supervises(user: Any, trainee: User) -> bool:
    if not _is_user(user):
        return False
    found = db.session.scalar(
        sa.select(SupervisorAssignment.id).where(
            SupervisorAssignment.supervisor_id == user.id,
            SupervisorAssignment.trainee_id == trainee.id,
            SupervisorAssignment.organisation_id == trainee.organisation_id,
            SupervisorAssignment.ended_at.is_(None),
        ).limit(1)
    )
    return found is not None


def teaches(user: Any, trainee: User) -> bool:
    """The user is a trainer of a cohort in which the other person is a trainee."""
    if not _is_user(user):
        return False
    staff = sa.orm.aliased(CohortMember)
    learner = sa.orm.aliased(CohortMember)
    found = db.session.scalar(
        sa.select(staff.id)
        .join(learner, learner.cohort_id == staff.cohort_id)
        .join(Cohort, Cohort.id == staff.cohort_id)
        .where(
            staff.user_id == user.id,
            staff.role == CohortRole.TRAINER,
            learner.user_id == trainee.id,
            learner.role == CohortRole.TRAINEE,
            Cohort.organisation_id == trainee.organisation_id,
        )
        .limit(1)
    )
    return found is not None


def cohort_roles(user: Any, cohort: Cohort) -> set[CohortRole]:
    if not _is_user(user):
        return set()
    rows = db.session.scalars(
        sa.select(CohortMember.role).where(CohortMember.cohort_id == cohort.id, CohortMember.user_id == user.id)
    )
    return set(rows)


# -- organisation boundary -------------------------------------------------------------------

def is_same_organisation(user: Any, obj: Any) -> bool:
    """The object belongs to the user's organisation; views answer 404 otherwise (nothing crosses)."""
    return _is_user(user) and getattr(obj, "organisation_id", None) == user.organisation_id


# -- organisation settings -------------------------------------------------------------------

def can_manage_sites(user: Any, organisation_id: int) -> bool:
    return is_admin(user, organisation_id)


def can_view_audit(user: Any, organisation_id: int) -> bool:
    return is_admin(user, organisation_id)


# -- cohorts ---------------------------------------------------------------------------------

def can_create_cohort(user: Any, organisation_id: int) -> bool:
    return is_staff(user, organisation_id)


def can_list_cohorts(user: Any, organisation_id: int) -> bool:
    return is_staff(user, organisation_id)


def can_view_cohort(user: Any, cohort: Cohort) -> bool:
    if is_admin(user, cohort.organisation_id):
        return True
    staff_roles = {CohortRole.TRAINER, CohortRole.SUPERVISOR}
    return bool(cohort_roles(user, cohort) & staff_roles) and bool(
        user.roles_in(cohort.organisation_id) & {Role.TRAINER, Role.SUPERVISOR}
    )


def can_manage_cohort(user: Any, cohort: Cohort) -> bool:
    if is_admin(user, cohort.organisation_id):
        return True
    return has_role(user, Role.TRAINER, cohort.organisation_id) and CohortRole.TRAINER in cohort_roles(user, cohort)


# -- view helpers ----------------------------------------------------------------------------

def authorize(allowed: bool) -> None:
    """Stop the request with 403 unless the predicate allowed it."""
    if not allowed:
        abort(403)


def role_required(*roles: Role) -> Callable:
    """Require one of these roles in the user's own organisation (for organisation-wide pages)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            authorize(bool(current_user.roles_in(current_user.organisation_id) & set(roles)))
            return view(*args, **kwargs)

        return wrapped

    return decorator


PREDICATES = {
    name: obj
    for name, obj in dict(globals()).items()
    if callable(obj) and name.startswith(("can_", "is_", "has_", "supervises", "teaches"))
}

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


# -- courses ---------------------------------------------------------------------------------

def _course_cohort_roles(user: Any, course: Any) -> set[CohortRole]:
    """The user's roles in cohorts of their own organisation that were given this course.

    A cohort role counts only while the user also holds the matching organisation role.
    """
    if not _is_user(user):
        return set()
    from app.courses.models import CohortCourse

    rows = db.session.scalars(
        sa.select(CohortMember.role).distinct()
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .where(CohortCourse.course_id == course.id, CohortMember.user_id == user.id,
               Cohort.organisation_id == user.organisation_id)
    )
    held = user.roles_in(user.organisation_id)
    return {role for role in rows if Role(role.value) in held}


def _course_used_in(course: Any, organisation_id: int) -> bool:
    from app.courses.models import CohortCourse

    found = db.session.scalar(
        sa.select(CohortCourse.id).join(Cohort, Cohort.id == CohortCourse.cohort_id)
        .where(CohortCourse.course_id == course.id, Cohort.organisation_id == organisation_id).limit(1)
    )
    return found is not None


def is_course_open(course: Any) -> bool:
    """Published and not archived: learners may see it."""
    return bool(course.is_published) and course.archived_at is None


def can_study_course(user: Any, course: Any) -> bool:
    """A trainee of a cohort given this course: reads it and records progress."""
    return is_course_open(course) and CohortRole.TRAINEE in _course_cohort_roles(user, course)


def can_view_course(user: Any, course: Any) -> bool:
    """Its learners, the trainers and supervisors of their cohorts, and the admins of an organisation using it."""
    if not _is_user(user):
        return False
    if course.organisation_id is not None and is_staff(user, course.organisation_id):
        return True
    roles = _course_cohort_roles(user, course)
    if roles & {CohortRole.TRAINER, CohortRole.SUPERVISOR}:
        return True
    if CohortRole.TRAINEE in roles and is_course_open(course):
        return True
    return is_admin(user, user.organisation_id) and _course_used_in(course, user.organisation_id)


# -- training days and attendance -----------------------------------------------------------

def can_know_cohort(user: Any, cohort: Cohort) -> bool:
    """May learn the cohort exists: its members and the organisation's staff. Others get 404, not 403."""
    if not is_same_organisation(user, cohort):
        return False
    staff_roles = {Role.ADMIN, Role.TRAINER, Role.SUPERVISOR}
    return bool(user.roles_in(cohort.organisation_id) & staff_roles) or bool(cohort_roles(user, cohort))


def can_manage_training_days(user: Any, cohort: Cohort) -> bool:
    """Plan the cohort's training days: whoever manages the cohort."""
    return can_manage_cohort(user, cohort)


def can_take_attendance(user: Any, cohort: Cohort) -> bool:
    """The organisation's admins, and the trainers and supervisors of this cohort."""
    return can_view_cohort(user, cohort)


def can_view_training_days(user: Any, cohort: Cohort) -> bool:
    """The days, their counts and the cohort's attendance summary: the same staff who take attendance."""
    return can_take_attendance(user, cohort)


# -- course authoring ------------------------------------------------------------------------

def can_author_courses(user: Any, organisation_id: int) -> bool:
    """Trainers and admins write their organisation's courses and give courses to cohorts."""
    return is_staff(user, organisation_id)


def can_know_authored_course(user: Any, course: Any) -> bool:
    """Pack courses are shared by every organisation; a web course is known only inside its own (else 404)."""
    return _is_user(user) and course.organisation_id in (None, user.organisation_id)


def can_view_course_authoring(user: Any, course: Any) -> bool:
    """The authoring pages of a course (read-only for pack courses): the staff of an organisation that knows it."""
    return can_know_authored_course(user, course) and can_author_courses(user, user.organisation_id)


def can_edit_course(user: Any, course: Any) -> bool:
    """Web courses only: a pack course is edited in its files (flask content sync would overwrite the web)."""
    from app.courses.models import CourseSource

    return (course.source == CourseSource.WEB and course.organisation_id is not None
            and can_author_courses(user, course.organisation_id))


def can_give_course(user: Any, course: Any, cohort: Cohort) -> bool:
    """Give a cohort a course (or take it back): whoever manages the cohort, for a course its organisation has."""
    return course.organisation_id in (None, cohort.organisation_id) and can_manage_cohort(user, cohort)


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

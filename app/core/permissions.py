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


def can_issue_reset_codes(user: Any, people: list[User]) -> set[int]:
    """can_issue_reset_code for a whole list (a cohort's members) in one query: the ids of those allowed."""
    if not _is_user(user):
        return set()
    others = [person for person in people if person.id != user.id]
    allowed = {person.id for person in others if is_admin(user, person.organisation_id)}
    taught = [person for person in others
              if person.id not in allowed and has_role(user, Role.TRAINER, person.organisation_id)]
    if taught:
        from app.auth.models import User as Person

        staff = sa.orm.aliased(CohortMember)
        learner = sa.orm.aliased(CohortMember)
        allowed |= set(db.session.scalars(
            sa.select(learner.user_id).distinct()
            .join(staff, staff.cohort_id == learner.cohort_id)
            .join(Cohort, Cohort.id == learner.cohort_id)
            .join(Person, Person.id == learner.user_id)
            .where(staff.user_id == user.id, staff.role == CohortRole.TRAINER, learner.role == CohortRole.TRAINEE,
                   learner.user_id.in_([person.id for person in taught]),
                   Cohort.organisation_id == Person.organisation_id)))
    return allowed


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


# -- competency feedback and reports (issue #5 views) ----------------------------------------

def can_view_feedback(user: Any, trainee: User) -> bool:
    """A trainee's skills feedback: the trainee, their supervisors, their cohorts' trainers, their admins."""
    return _is_user(user) and user.organisation_id == trainee.organisation_id and (
        user.id == trainee.id
        or is_admin(user, trainee.organisation_id)
        or supervises(user, trainee)
        or (has_role(user, Role.TRAINER, trainee.organisation_id) and teaches(user, trainee))
    )


def sees_every_cohort_trainee(user: Any, cohort: Cohort) -> bool:
    """The cohort's trainers and the admins see every trainee's ratings; a supervisor only their supervisees'."""
    return can_manage_cohort(user, cohort)


def can_view_cohort_competencies(user: Any, cohort: Cohort) -> bool:
    """Heat map, group progress and CSV of a cohort: its trainers and supervisors, and the admins."""
    return is_same_organisation(user, cohort) and can_view_cohort(user, cohort)


def can_view_calibration(user: Any, rating_session: Any) -> bool:
    """A calibration report: the admins, the trainers of its cohort (any trainer if it has none), and its raters."""
    if not is_same_organisation(user, rating_session):
        return False
    if is_admin(user, rating_session.organisation_id):
        return True
    cohort = db.session.get(Cohort, rating_session.cohort_id) if rating_session.cohort_id else None
    if has_role(user, Role.TRAINER, rating_session.organisation_id) and (
            cohort is None or CohortRole.TRAINER in cohort_roles(user, cohort)):
        return True
    from app.competencies.models import Assessment

    rated = db.session.scalar(sa.select(Assessment.id).where(
        Assessment.rating_session_id == rating_session.id, Assessment.assessor_id == user.id).limit(1))
    return rated is not None or rating_session.reference_rater_id == user.id


def can_view_cohort_calibration(user: Any, cohort: Cohort) -> bool:
    """Calibration across the sessions of a cohort: whoever manages the cohort."""
    return is_same_organisation(user, cohort) and can_manage_cohort(user, cohort)


# -- supervision logs ------------------------------------------------------------------------
# Notes (session notes, case summaries, well-being) are read by the session's supervisor, its
# supervisees once submitted, and the organisation's clinical leads. Trainers and admins see
# hours and coverage only. Another organisation's sessions answer 404 (is_same_organisation).

def is_clinical_lead(user: Any, organisation_id: int) -> bool:
    return has_role(user, Role.CLINICAL_LEAD, organisation_id)


def can_log_supervision(user: Any, organisation_id: int) -> bool:
    """Supervisors log sessions (with their own supervisees) and see the My supervisees page."""
    return has_role(user, Role.SUPERVISOR, organisation_id)


def attends_supervision(user: Any, session: Any) -> bool:
    return _is_user(user) and any(a.supervisee_id == user.id for a in session.attendees)


def can_read_supervision_notes(user: Any, session: Any) -> bool:
    if not is_same_organisation(user, session):
        return False
    if user.id == session.supervisor_id:
        return True
    if session.is_draft:
        return False
    return attends_supervision(user, session) or is_clinical_lead(user, session.organisation_id)


def can_edit_supervision(user: Any, session: Any) -> bool:
    """Only the supervisor who logged it, while they still hold the supervisor role."""
    return (is_same_organisation(user, session) and user.id == session.supervisor_id
            and can_log_supervision(user, session.organisation_id))


def can_acknowledge_supervision(user: Any, session: Any) -> bool:
    return is_same_organisation(user, session) and not session.is_draft and attends_supervision(user, session)


def can_update_action_item(user: Any, item: Any) -> bool:
    """The item's owner or the session's supervisor marks it done (or open again)."""
    return (is_same_organisation(user, item) and not item.session.is_draft
            and user.id in (item.owner_id, item.session.supervisor_id))


def can_view_supervision_coverage(user: Any, organisation_id: int) -> bool:
    """Hours and coverage by site and cohort (never notes): trainers, admins and clinical leads."""
    return is_staff(user, organisation_id) or is_clinical_lead(user, organisation_id)


def can_export_supervision_notes(user: Any, organisation_id: int) -> bool:
    return is_clinical_lead(user, organisation_id)


def can_manage_supervision_settings(user: Any, organisation_id: int) -> bool:
    return is_admin(user, organisation_id)


# -- practice log (issue #6) ----------------------------------------------------------------

def can_log_practice(user: Any) -> bool:
    """Trainees log the sessions they deliver to clients."""
    return _is_user(user) and has_role(user, Role.TRAINEE, user.organisation_id)


def _supervises_practice(user: Any, trainee: User) -> bool:
    return has_role(user, Role.SUPERVISOR, trainee.organisation_id) and supervises(user, trainee)


def can_view_practice(user: Any, record: Any) -> bool:
    """A practice entry or case, notes included: the trainee who logged it and their current supervisors.
    A draft is its author's alone. Everyone else gets 404 (trainers and admins see counts only)."""
    if not is_same_organisation(user, record):
        return False
    if user.id == record.trainee_id:
        return True
    return getattr(record, "status", None) != "draft" and _supervises_practice(user, record.trainee)


def can_edit_practice_entry(user: Any, entry: Any) -> bool:
    """The trainee's own entry until it is verified; after that only the supervisor can reopen it."""
    from app.practice.models import EntryStatus

    return is_same_organisation(user, entry) and user.id == entry.trainee_id and entry.status != EntryStatus.VERIFIED


def can_review_practice_entry(user: Any, entry: Any) -> bool:
    """Verify or return an entry: a current supervisor of the trainee, never the trainee."""
    return is_same_organisation(user, entry) and user.id != entry.trainee_id and _supervises_practice(user, entry.trainee)


def can_verify_practice(user: Any) -> bool:
    """The "Practice to verify" queue: supervisors (it lists only their own supervisees)."""
    return _is_user(user) and has_role(user, Role.SUPERVISOR, user.organisation_id)


def can_view_practice_counts(user: Any, organisation_id: int) -> bool:
    """Counts per cohort and site, and the export without notes: trainers and admins."""
    return is_staff(user, organisation_id)


def can_manage_practice_rules(user: Any, organisation_id: int) -> bool:
    """How many sessions make a completed case: the organisation's admins."""
    return is_admin(user, organisation_id)


# -- question banks (issue #4) ---------------------------------------------------------------

def can_author_banks(user: Any, organisation_id: int) -> bool:
    """Trainers and admins write their organisation's question banks and import GIFT into them."""
    return is_staff(user, organisation_id)


def can_know_bank(user: Any, bank: Any) -> bool:
    """Pack banks are shared by every organisation; a web bank is known only inside its own (else 404)."""
    return _is_user(user) and bank.organisation_id in (None, user.organisation_id)


def can_view_bank(user: Any, bank: Any) -> bool:
    """Read a bank (pack banks read-only): the trainers and admins of an organisation that knows it."""
    return can_know_bank(user, bank) and can_author_banks(user, user.organisation_id)


def can_edit_bank(user: Any, bank: Any) -> bool:
    """Web banks only: a pack bank is edited in its file (flask content sync would overwrite the web)."""
    from app.quizzes.models import BankSource

    return (bank.source == BankSource.WEB and bank.organisation_id is not None
            and can_author_banks(user, bank.organisation_id))


# -- quiz reports (issue #4: results, pre/post, item analysis) ------------------------------

def can_view_all_quiz_results(user: Any, cohort: Cohort) -> bool:
    """Every trainee's quiz results in a cohort: the organisation's admins and the cohort's trainers."""
    return can_manage_cohort(user, cohort)


def supervises_in_cohort(user: Any, cohort: Cohort) -> bool:
    """A supervisor with a current supervisee among the cohort's trainees."""
    if not has_role(user, Role.SUPERVISOR, cohort.organisation_id):
        return False
    found = db.session.scalar(
        sa.select(SupervisorAssignment.id)
        .join(CohortMember, CohortMember.user_id == SupervisorAssignment.trainee_id)
        .where(SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.ended_at.is_(None),
               SupervisorAssignment.organisation_id == cohort.organisation_id,
               CohortMember.cohort_id == cohort.id, CohortMember.role == CohortRole.TRAINEE)
        .limit(1)
    )
    return found is not None


def can_view_quiz_results(user: Any, cohort: Cohort) -> bool:
    """Results and pre/post: trainers and admins see everyone; a supervisor only their supervisees' rows."""
    if can_view_all_quiz_results(user, cohort):
        return True
    if not has_role(user, Role.SUPERVISOR, cohort.organisation_id):
        return False
    return CohortRole.SUPERVISOR in cohort_roles(user, cohort) or supervises_in_cohort(user, cohort)


def can_view_item_analysis(user: Any, cohort: Cohort) -> bool:
    """Item statistics and typed responses (the quality of the questions): the cohort's trainers and the admins."""
    return can_view_all_quiz_results(user, cohort)


# -- quizzes and attempts (issue #4: taking a quiz, review, essay grading, settings) --------

def can_take_quiz(user: Any, quiz: Any) -> bool:
    """Start and answer a quiz: the trainees of a cohort studying its course."""
    return can_study_course(user, quiz.course)


def can_view_quiz(user: Any, quiz: Any) -> bool:
    """The quiz page: whoever may see its course."""
    return can_view_course(user, quiz.course)


def can_edit_quiz_settings(user: Any, quiz: Any) -> bool:
    """The organisation's own settings for a quiz (pass mark, attempts, dates...): its trainers and admins."""
    return can_view_course_authoring(user, quiz.course)


def can_grade_quiz(user: Any, quiz: Any) -> bool:
    """The list of attempts waiting for a mark: trainers and admins who may see the course."""
    return _is_user(user) and is_staff(user, user.organisation_id) and can_view_course(user, quiz.course)


def can_know_attempt(user: Any, attempt: Any) -> bool:
    """May learn the attempt exists: its learner and the staff of their organisation. Others get 404."""
    if not _is_user(user):
        return False
    if user.id == attempt.user_id:
        return True
    organisation_id = attempt.user.organisation_id
    staff_roles = {Role.ADMIN, Role.TRAINER, Role.SUPERVISOR}
    return user.organisation_id == organisation_id and bool(user.roles_in(organisation_id) & staff_roles)


def can_answer_attempt(user: Any, attempt: Any) -> bool:
    """Only the learner answers, saves and submits their own attempt."""
    return _is_user(user) and user.id == attempt.user_id


def can_view_attempt(user: Any, attempt: Any) -> bool:
    """The learner; the trainers of their cohorts and their organisation's admins; their supervisors."""
    if not can_know_attempt(user, attempt):
        return False
    learner = attempt.user
    return (user.id == learner.id or is_admin(user, learner.organisation_id) or teaches(user, learner)
            or supervises(user, learner))


def can_grade_attempt(user: Any, attempt: Any) -> bool:
    """Mark the essays of an attempt: the organisation's admins and the trainers of the learner's cohorts."""
    if not can_know_attempt(user, attempt) or user.id == attempt.user_id:
        return False
    learner = attempt.user
    return is_admin(user, learner.organisation_id) or (
        has_role(user, Role.TRAINER, learner.organisation_id) and teaches(user, learner))


# -- competency rating, harm flags, rating sessions (issue #5 core) --------------------------

def can_rate(user: Any, trainee: User) -> bool:
    """A supervisor rates their supervisees; a trainer rates the trainees of their cohorts."""
    if not _is_user(user) or user.id == trainee.id or user.organisation_id != trainee.organisation_id:
        return False
    organisation_id = trainee.organisation_id
    return ((has_role(user, Role.SUPERVISOR, organisation_id) and supervises(user, trainee))
            or (has_role(user, Role.TRAINER, organisation_id) and teaches(user, trainee)))


def can_start_assessments(user: Any) -> bool:
    """The Assessments pages: supervisors and trainers (whom they may rate is decided per trainee)."""
    return _is_user(user) and bool(user.roles & {Role.SUPERVISOR, Role.TRAINER})


def _rater_in_session(user: Any, rating_session_id: int) -> Any:
    from app.competencies.models import Assessment

    return db.session.scalar(sa.select(Assessment).where(
        Assessment.rating_session_id == rating_session_id, Assessment.assessor_id == user.id,
        Assessment.amends_id.is_(None)).limit(1))


def can_edit_assessment(user: Any, assessment: Any) -> bool:
    """A draft is its assessor's alone, and only while it is a draft."""
    from app.competencies.models import AssessmentStatus

    return (is_same_organisation(user, assessment) and assessment.assessor_id == user.id
            and assessment.status == AssessmentStatus.DRAFT)


def can_view_assessment(user: Any, assessment: Any) -> bool:
    """Its assessor; once submitted, the trainee's supervisors, trainers and admins. In a rating
    session a rater sees the others' ratings only after submitting their own (blind rating)."""
    from app.competencies.models import AssessmentStatus

    if not is_same_organisation(user, assessment):
        return False
    if assessment.assessor_id == user.id:
        return True
    if assessment.status != AssessmentStatus.SUBMITTED:
        return False
    if assessment.rating_session_id is not None:
        own = _rater_in_session(user, assessment.rating_session_id)
        if own is not None:
            return own.status == AssessmentStatus.SUBMITTED
        if is_admin(user, assessment.organisation_id) or assessment.rating_session.created_by_id == user.id:
            return True
    if is_admin(user, assessment.organisation_id):
        return True
    trainee = assessment.trainee
    return trainee is not None and (supervises(user, trainee) or teaches(user, trainee))


def can_amend_assessment(user: Any, assessment: Any) -> bool:
    """Its assessor (or an admin) corrects a submitted, current assessment with an amendment."""
    from app.competencies.models import AssessmentStatus

    return (is_same_organisation(user, assessment) and assessment.status == AssessmentStatus.SUBMITTED
            and assessment.superseded_at is None
            and (assessment.assessor_id == user.id or is_admin(user, assessment.organisation_id)))


def can_view_harm_flags(user: Any) -> bool:
    return _is_user(user) and bool(user.roles & {Role.SUPERVISOR, Role.TRAINER, Role.ADMIN})


def can_act_on_harm_flag(user: Any, flag: Any) -> bool:
    """The trainee's supervisors and trainers, and the admins: see the flag, add and close remediation actions."""
    if not is_same_organisation(user, flag):
        return False
    return is_admin(user, flag.organisation_id) or supervises(user, flag.trainee) or (
        has_role(user, Role.TRAINER, flag.organisation_id) and teaches(user, flag.trainee))


def can_create_rating_session(user: Any, organisation_id: int) -> bool:
    """Trainers (and admins) set up several raters on one performance."""
    return is_staff(user, organisation_id)


def can_view_rating_session(user: Any, rating_session: Any) -> bool:
    if not is_same_organisation(user, rating_session):
        return False
    return (rating_session.created_by_id == user.id or is_admin(user, rating_session.organisation_id)
            or _rater_in_session(user, rating_session.id) is not None)


# -- certification: my path, cohort status, issuing, revoking, rules (issue #7, certrules) ---

def can_view_certificate(user: Any, certificate: Any) -> bool:
    """The holder, their supervisors and trainers, and the admins; never another trainee."""
    if not is_same_organisation(user, certificate):
        return False
    return (certificate.trainee_id == user.id or is_admin(user, certificate.organisation_id)
            or supervises(user, certificate.trainee)
            or (has_role(user, Role.TRAINER, certificate.organisation_id) and teaches(user, certificate.trainee)))


def can_revoke_certificate(user: Any, certificate: Any) -> bool:
    if not is_same_organisation(user, certificate):
        return False
    return is_admin(user, certificate.organisation_id) or (
        has_role(user, Role.TRAINER, certificate.organisation_id) and teaches(user, certificate.trainee))


def can_view_cohort_certification(user: Any, cohort: Cohort) -> bool:
    return can_view_cohort(user, cohort)


def can_issue_certificates(user: Any, cohort: Cohort) -> bool:
    return can_manage_cohort(user, cohort)


def can_edit_certification_rule(user: Any, organisation_id: int) -> bool:
    return is_staff(user, organisation_id)


def can_view_expiring_certificates(user: Any, organisation_id: int) -> bool:
    return is_staff(user, organisation_id)


# -- dashboards (issue #8, cohortdash) -------------------------------------------------------

def can_view_cohort_dashboard(user: Any, cohort: Cohort) -> bool:
    """A cohort's dashboard and report: its trainers, the organisation's admins and programme managers."""
    if not is_same_organisation(user, cohort):
        return False
    roles = user.roles_in(cohort.organisation_id)
    if roles & {Role.ADMIN, Role.PROGRAMME_MANAGER}:
        return True
    return Role.TRAINER in roles and CohortRole.TRAINER in cohort_roles(user, cohort)


# -- organisation dashboard (issue #8, orgdash) -----------------------------------------------

def can_view_org_dashboard(user: Any, organisation_id: int) -> bool:
    """The organisation's dashboard, its CSVs and its report: admins and programme managers."""
    return _is_user(user) and bool(user.roles_in(organisation_id) & {Role.ADMIN, Role.PROGRAMME_MANAGER})


def can_refresh_org_dashboard(user: Any, organisation_id: int) -> bool:
    return is_admin(user, organisation_id)


# -- research export (issue #8, research) -----------------------------------------------------

def can_export_research(user: Any, organisation_id: int, identified: bool) -> bool:
    """Pseudonymised exports: admins and programme managers; identified exports (names): admins only."""
    if identified:
        return is_admin(user, organisation_id)
    return _is_user(user) and bool(user.roles_in(organisation_id) & {Role.ADMIN, Role.PROGRAMME_MANAGER})


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

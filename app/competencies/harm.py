"""Harm flags: a Level 1 item raises one, a later assessment of that item without harm clears it.

Rules, decided here:

* One open flag per (trainee, item). Several raters seeing harm in the same performance add to it.
* A performance with no trainee (a recorded or actor performance in a calibration session) raises
  nothing: there is no one to protect or remediate. A rating session *with* a trainee raises flags
  from every rater (safety first), and clears them only with a later performance: another rater of
  the same session cannot clear a flag another rater raised.
* An amendment that corrects the assessment which raised a flag (the harm is no longer ticked)
  clears it; if the harm is still ticked, the flag stays open and now points at the amendment.
* Every change is audited and notified to the trainee's supervisors and their cohorts' trainers
  (not to the person who made it). A new flag opens a remediation plan with a first action.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import force_locale

from app.auth.models import User
from app.competencies.models import (
    Assessment,
    BehaviourGroup,
    HarmFlag,
    HarmFlagStatus,
    RemediationAction,
)
from app.core import audit
from app.core.db import utcnow
from app.core.i18n import _, _l
from app.extensions import db
from app.notifications.services import notify
from app.orgs.models import Cohort, CohortMember, CohortRole, Role, RoleAssignment, SupervisorAssignment

FIRST_ACTION_DAYS = 7


class RemediationError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


def open_harm_flags(trainee_id: int) -> list[HarmFlag]:
    """The trainee's open flags. Certification must refuse while this is not empty."""
    return list(db.session.scalars(
        sa.select(HarmFlag).where(HarmFlag.trainee_id == trainee_id, HarmFlag.status == HarmFlagStatus.OPEN)
        .order_by(HarmFlag.raised_at, HarmFlag.id)))


def supervisors_of(trainee: User) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
        .where(SupervisorAssignment.trainee_id == trainee.id, SupervisorAssignment.ended_at.is_(None),
               SupervisorAssignment.organisation_id == trainee.organisation_id, User.is_active_account.is_(True))
        .order_by(SupervisorAssignment.created_at, SupervisorAssignment.id)))


def trainers_of(trainee: User) -> list[User]:
    """The trainers of the trainee's cohorts who still hold the trainer role."""
    staff = sa.orm.aliased(CohortMember)
    learner = sa.orm.aliased(CohortMember)
    return list(db.session.scalars(
        sa.select(User).join(staff, staff.user_id == User.id)
        .join(learner, learner.cohort_id == staff.cohort_id).join(Cohort, Cohort.id == staff.cohort_id)
        .join(RoleAssignment, sa.and_(RoleAssignment.user_id == User.id, RoleAssignment.role == Role.TRAINER,
                                      RoleAssignment.organisation_id == trainee.organisation_id))
        .where(learner.user_id == trainee.id, learner.role == CohortRole.TRAINEE, staff.role == CohortRole.TRAINER,
               Cohort.organisation_id == trainee.organisation_id, User.is_active_account.is_(True))
        .distinct().order_by(User.full_name)))


def responsible_for(trainee: User) -> list[User]:
    """Who hears about the trainee's harm flags and acts on them."""
    people = {user.id: user for user in supervisors_of(trainee) + trainers_of(trainee)}
    return list(people.values())


def _url(endpoint: str, **values: Any) -> str | None:
    return url_for(endpoint, **values) if has_request_context() else None


def _harmful_codes(flag_item: Any, codes: list[str]) -> list[str]:
    harmful = {b.code for b in flag_item.behaviours if b.group is BehaviourGroup.HARMFUL}
    return [code for code in codes if code in harmful]


def _local_today() -> date:
    from app.training.queries import local_today

    return local_today()


def _first_action(flag: HarmFlag, trainee: User, fallback: User) -> None:
    supervisors = supervisors_of(trainee)
    owner = supervisors[0] if supervisors else fallback
    with force_locale(owner.preferred_language or "es"):
        description = _("Review the harmful behaviour with the trainee")
    flag.actions.append(RemediationAction(description=description, owner_id=owner.id,
                                          due_on=_local_today() + timedelta(days=FIRST_ACTION_DAYS),
                                          created_by_id=fallback.id))


def _clears(flag: HarmFlag, assessment: Assessment) -> bool:
    """A later performance (or a correction of the raising assessment) rated this item without harm."""
    raiser = flag.raised_by
    if assessment.amends_id is not None and assessment.amends_id == raiser.id:
        return True
    same_session = raiser.rating_session_id is not None and raiser.rating_session_id == assessment.rating_session_id
    return not same_session and assessment.id != raiser.id


def process_submitted(assessment: Assessment, actor: User) -> tuple[list[HarmFlag], list[HarmFlag]]:
    """Raise flags for the Level 1 items of a just-submitted assessment and clear those it shows resolved."""
    if assessment.trainee_id is None:
        return [], []
    trainee = assessment.trainee
    ratings = {r.item_id: r for r in assessment.ratings}
    open_flags = {flag.item_id: flag for flag in open_harm_flags(trainee.id)}
    now = utcnow()
    raised: list[HarmFlag] = []
    cleared: list[HarmFlag] = []
    for item_id, flag in open_flags.items():
        rating = ratings.get(item_id)
        if rating is None or rating.level is None or rating.level == 1 or not _clears(flag, assessment):
            continue
        flag.status = HarmFlagStatus.CLEARED
        flag.cleared_by_id = assessment.id
        flag.cleared_at = now
        cleared.append(flag)
        audit.record("harm_flag.cleared", flag, actor_id=actor.id, before={"status": "open"},
                     after={"status": "cleared", "cleared_by": assessment.id, "level": rating.level})
    for item_id, rating in ratings.items():
        if rating.level != 1:
            continue
        flag = open_flags.get(item_id)
        codes = _harmful_codes(rating.item, rating.behaviour_codes)
        if flag is not None:
            if assessment.amends_id is not None and flag.raised_by_id == assessment.amends_id:
                flag.raised_by_id = assessment.id
                flag.behaviour_codes = codes
            else:
                flag.behaviour_codes = list(dict.fromkeys([*flag.behaviour_codes, *codes]))
            audit.record("harm_flag.seen_again", flag, actor_id=actor.id, after={"assessment": assessment.id,
                                                                               "behaviours": codes})
            continue
        flag = HarmFlag(organisation_id=assessment.organisation_id, trainee_id=trainee.id, item_id=item_id,
                        raised_by_id=assessment.id, raised_at=now, behaviour_codes=codes)
        db.session.add(flag)
        _first_action(flag, trainee, actor)
        raised.append(flag)
    db.session.flush()
    for flag in raised:
        audit.record("harm_flag.raised", flag, actor_id=actor.id,
                     after={"assessment": assessment.id, "item": flag.item_id, "behaviours": flag.behaviour_codes})
    _notify(assessment, actor, raised, cleared)
    return raised, cleared


def _notify(assessment: Assessment, actor: User, raised: list[HarmFlag], cleared: list[HarmFlag]) -> None:
    trainee = assessment.trainee
    people = [user for user in responsible_for(trainee) if user.id != actor.id]
    if not people:
        return
    if raised:
        url = (_url("competencies.flag_view", flag_id=raised[0].id) if len(raised) == 1
               else _url("competencies.flag_index"))
        notify(people, "harm_flag.raised", {"trainee": trainee.full_name, "tool": assessment.tool.name,
                                            "count": len(raised)},
               url, urgent=True, dedupe_key=f"harm-raised:{assessment.id}")
    for flag in cleared:
        notify(people, "harm_flag.cleared", {"trainee": trainee.full_name, "item": flag.item.title},
               _url("competencies.flag_view", flag_id=flag.id), dedupe_key=f"harm-cleared:{flag.id}")


# -- remediation plan ----------------------------------------------------------------------------

def add_action(flag: HarmFlag, description: str, owner: User | None, due_on: date | None,
               actor: User) -> RemediationAction:
    if not description or not description.strip():
        raise RemediationError(_l("Describe the action."))
    if owner is not None and owner.organisation_id != flag.organisation_id:
        raise RemediationError(_l("Choose someone of your organisation."))
    action = RemediationAction(description=description.strip(), owner_id=owner.id if owner else None, due_on=due_on,
                               created_by_id=actor.id)
    flag.actions.append(action)
    db.session.flush()
    audit.record("remediation.added", action, organisation_id=flag.organisation_id, actor_id=actor.id,
                 after={"flag": flag.id, "description": action.description, "owner": action.owner_id,
                        "due_on": due_on.isoformat() if due_on else None})
    return action


def complete_action(action: RemediationAction, actor: User) -> None:
    if action.done_at is not None:
        raise RemediationError(_l("This action is already done."))
    action.done_at = utcnow()
    db.session.flush()
    audit.record("remediation.done", action, organisation_id=action.flag.organisation_id, actor_id=actor.id,
                 before={"done": False}, after={"done": True})

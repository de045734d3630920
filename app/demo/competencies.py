"""Demo competency ratings: pre, mid and post rounds of the demo cohort on the foundational helping
skills tool (some harmful behaviours and open harm flags; post better than pre), and a calibration
session with three raters, one of them the reference. Built with the rating services, as a rater
would: derive_level on submit, harm flags raised and cleared. Idempotent; needs `flask content sync` first.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.competencies import services
from app.competencies.models import (
    Assessment,
    AssessmentMethod,
    AssessmentStage,
    BehaviourGroup,
    CompetencyItem,
    CompetencyTool,
    RatingSession,
)
from app.extensions import db
from app.orgs.models import Cohort, Role, RoleAssignment

TOOL = "foundational-helping-skills"
CALIBRATION_TITLE = "Calibración: juego de roles “Madre tras el deslave”"
THIRD_RATER = ("laura.rios", "Laura Ríos Castañeda")  # a second supervisor, rater in the calibration only
HARM = {(0, 5), (3, 1), (3, 9), (7, 12)}  # (learner index, item index) with a harmful behaviour before training
NO_POST = {3, 5, 9}                         # learners not yet rated after training (assessments due)
CALIBRATION = {                              # item index -> levels of (reference trainer, supervisor, third rater)
    0: (3, 3, 2), 1: (2, 2, 2), 2: (3, 3, 3), 3: (2, 3, 2), 4: (4, 4, 3), 5: (3, 3, 2), 6: (2, 2, 1),
    7: (3, 3, 3), 8: (2, 2, 3), 9: (3, 3, 2), 10: (4, 3, 3), 11: (2, 2, 2), 12: (3, 3, 2), 13: (3, 3, 3), 14: (2, 2, 2),
}


def pre_level(learner: int, item: int) -> int | None:
    if (learner, item) in HARM:
        return 1
    if learner % 4 == 1 and item == 14:
        return None  # not observed in that role play
    return 3 if (learner * 7 + item * 3) % 3 == 0 else 2


def later_level(learner: int, item: int, stage: AssessmentStage) -> int | None:
    """Mid and post rounds improve on pre; a harmful item is rated again without harm."""
    before = pre_level(learner, item)
    if before is None:
        return 2
    if before == 1:
        return 2 if stage == AssessmentStage.MID else 3
    step = (item % 2) if stage == AssessmentStage.MID else 1 + (item + learner) % 2
    return min(before + step, 4)


def ticks(item: CompetencyItem, level: int | None) -> services.ItemInput:
    groups: dict[BehaviourGroup, list[str]] = {group: [] for group in BehaviourGroup}
    for behaviour in item.behaviours:
        if not behaviour.is_hidden:
            groups[behaviour.group].append(behaviour.code)
    if level is None:
        return services.ItemInput(not_observed=True)
    codes = {1: groups[BehaviourGroup.HARMFUL][:1] + groups[BehaviourGroup.BASIC][:1],
             2: groups[BehaviourGroup.BASIC][:1], 3: groups[BehaviourGroup.BASIC],
             4: groups[BehaviourGroup.BASIC] + groups[BehaviourGroup.ADVANCED][:1]}[level]
    return services.ItemInput(behaviour_codes=codes)


def _rate(assessor: User, trainee: User | None, tool: CompetencyTool, stage: AssessmentStage, levels: list,
          cohort: Cohort, observed_on, rating_session: RatingSession | None = None,
          assessment: Assessment | None = None) -> None:
    items = services.visible_items(tool)
    if assessment is None:
        assessment = services.start_assessment(assessor, trainee, tool, stage, AssessmentMethod.ROLE_PLAY,
                                               cohort=cohort, observed_on=observed_on, draw=True)
    else:
        assessment.observed_on = observed_on
    services.save_ratings(assessment, {item.id: ticks(item, level) for item, level in zip(items, levels)})
    services.submit_assessment(assessment, assessor)


def seed_competencies(cohort: Cohort, trainer: User, supervisor: User, learners: list[User], today) -> None:
    tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == TOOL))
    if tool is None:
        return  # the packs are not synced yet
    done = db.session.scalar(sa.select(Assessment.id).where(Assessment.cohort_id == cohort.id,
                                                            Assessment.tool_id == tool.id).limit(1))
    if done is not None:
        return
    n = len(services.visible_items(tool))
    rounds = [(AssessmentStage.PRE, supervisor, today - timedelta(days=21)),
              (AssessmentStage.MID, trainer, today - timedelta(days=10)),
              (AssessmentStage.POST, supervisor, today - timedelta(days=2))]
    for stage, assessor, observed_on in rounds:
        for index, learner in enumerate(learners):
            if stage == AssessmentStage.MID and index % 2:
                continue
            if stage == AssessmentStage.POST and index in NO_POST:
                continue
            levels = [pre_level(index, j) if stage == AssessmentStage.PRE else later_level(index, j, stage)
                      for j in range(n)]
            _rate(assessor, learner, tool, stage, levels, cohort, observed_on)
    _calibration(cohort, tool, trainer, supervisor, today)


def _calibration(cohort: Cohort, tool: CompetencyTool, trainer: User, supervisor: User, today) -> None:
    third = db.session.scalar(sa.select(User).where(User.username == THIRD_RATER[0]))
    if third is None:
        third = User(organisation_id=cohort.organisation_id, username=THIRD_RATER[0], full_name=THIRD_RATER[1],
                     site_id=supervisor.site_id, password_hash=supervisor.password_hash, preferred_language="es")
        db.session.add(third)
        db.session.flush()
        db.session.add(RoleAssignment(user_id=third.id, organisation_id=cohort.organisation_id, role=Role.SUPERVISOR))
        db.session.flush()
    raters = [trainer, supervisor, third]
    session = services.create_rating_session(trainer, tool, CALIBRATION_TITLE, stage=AssessmentStage.PRE,
                                             method=AssessmentMethod.RECORDING, raters=raters, cohort=cohort,
                                             reference=trainer)
    drafts = {a.assessor_id: a for a in db.session.scalars(
        sa.select(Assessment).where(Assessment.rating_session_id == session.id))}
    n = len(services.visible_items(tool))
    for position, rater in enumerate(raters):
        levels = [CALIBRATION.get(j, (2, 2, 2))[position] for j in range(n)]
        _rate(rater, None, tool, AssessmentStage.PRE, levels, cohort, today - timedelta(days=18), session,
              drafts[rater.id])

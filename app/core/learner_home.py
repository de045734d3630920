"""What a trainee's home lists besides their courses: their training groups and supervisors.

Plain rows, one statement each: the home page is the page every trainee opens first.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.orgs.models import (
    Cohort,
    CohortMember,
    CohortRole,
    CohortStatus,
    Site,
    SupervisorAssignment,
)


def learning_cohorts(user: User) -> list[sa.Row]:
    """(id, name, site_name, starts_on, ends_on) of the cohorts the user learns in, newest first, archived last."""
    return list(db.session.execute(
        sa.select(Cohort.id, Cohort.name, Site.name.label("site_name"), Cohort.starts_on, Cohort.ends_on)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(Site, Site.id == Cohort.site_id)
        .where(CohortMember.user_id == user.id, CohortMember.role == CohortRole.TRAINEE,
               Cohort.organisation_id == user.organisation_id)
        .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc(), Cohort.name)
    ))


def supervisor_names(user: User) -> list[str]:
    """The full names of the user's current supervisors, alphabetical, each once."""
    rows = db.session.execute(
        sa.select(User.id, User.full_name).distinct()
        .join(SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
        .where(SupervisorAssignment.trainee_id == user.id, SupervisorAssignment.ended_at.is_(None))
        .order_by(User.full_name, User.id)
    )
    return [full_name for _id, full_name in rows]

"""Read-only questions about people and groups, used by home pages and lists."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, Role, RoleAssignment, Site, SupervisorAssignment


def cohorts_of(user: User, role: CohortRole) -> list[Cohort]:
    """Cohorts in which the user holds this role, newest first (archived ones last)."""
    return list(
        db.session.scalars(
            sa.select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id, CohortMember.role == role,
                   Cohort.organisation_id == user.organisation_id)
            .options(selectinload(Cohort.site))
            .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc(), Cohort.name)
        )
    )


def member_counts(cohort_ids: list[int]) -> dict[int, dict[CohortRole, int]]:
    counts: dict[int, dict[CohortRole, int]] = {cid: {} for cid in cohort_ids}
    if not cohort_ids:
        return counts
    rows = db.session.execute(
        sa.select(CohortMember.cohort_id, CohortMember.role, sa.func.count())
        .where(CohortMember.cohort_id.in_(cohort_ids))
        .group_by(CohortMember.cohort_id, CohortMember.role)
    )
    for cohort_id, role, count in rows:
        counts[cohort_id][role] = count
    return counts


def supervisees_of(user: User) -> list[SupervisorAssignment]:
    return list(
        db.session.scalars(
            sa.select(SupervisorAssignment)
            .join(User, User.id == SupervisorAssignment.trainee_id)
            .where(SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.ended_at.is_(None),
                   SupervisorAssignment.organisation_id == user.organisation_id, User.is_active_account.is_(True))
            .options(selectinload(SupervisorAssignment.trainee).selectinload(User.site),
                     selectinload(SupervisorAssignment.cohort))
            .order_by(User.full_name)
        )
    )


def supervisors_of(user: User) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
            .where(SupervisorAssignment.trainee_id == user.id, SupervisorAssignment.ended_at.is_(None))
            .distinct()
            .order_by(User.full_name)
        )
    )


@dataclass(frozen=True)
class OrganisationSummary:
    people_by_role: dict[Role, int]
    inactive_people: int
    sites: int
    cohorts_by_status: dict[CohortStatus, int]


def organisation_summary(organisation_id: int) -> OrganisationSummary:
    by_role = dict(
        db.session.execute(
            sa.select(RoleAssignment.role, sa.func.count(sa.distinct(RoleAssignment.user_id)))
            .join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.organisation_id == organisation_id, User.is_active_account.is_(True))
            .group_by(RoleAssignment.role)
        ).all()
    )
    inactive = db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.organisation_id == organisation_id, User.is_active_account.is_(False))
    ) or 0
    sites = db.session.scalar(
        sa.select(sa.func.count()).select_from(Site).where(Site.organisation_id == organisation_id)
    ) or 0
    cohorts = dict(
        db.session.execute(
            sa.select(Cohort.status, sa.func.count()).where(Cohort.organisation_id == organisation_id).group_by(Cohort.status)
        ).all()
    )
    return OrganisationSummary(by_role, inactive, sites, cohorts)

"""Precomputed facts behind the organisation dashboard, rebuilt per organisation by ``facts.refresh``.

The live tables (enrolments, lessons, certificates, assessments, supervision, practice) are too big to
aggregate on every page view at national scale, so a refresh folds them into these small tables and
the page only sums them. Nothing here is edited by hand: a refresh deletes an organisation's rows and
inserts them again. Ids of trainees, cohorts, courses and sites are plain integers (no foreign keys):
the rows are derived, and a refresh replaces them whole.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import enum_column
from app.extensions import db
from app.practice.models import Intervention


class DashboardSnapshot(db.Model):
    """When an organisation's facts were last rebuilt; also the lock row that lets one refresh run at a time."""

    __tablename__ = "dashboard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    refreshed_at: Mapped[datetime | None]
    # Set while a background refresh runs (a claim); a claim older than a few minutes is taken over.
    refresh_started_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]


class EnrolmentFact(db.Model):
    """One trainee in one course through one cohort: enrolled, trained, certified, valid until."""

    __tablename__ = "dashboard_enrolment_facts"
    __table_args__ = (
        sa.Index("ix_dashboard_enrolment_facts_org_site", "organisation_id", "site_id"),
        sa.Index("ix_dashboard_enrolment_facts_org_course", "organisation_id", "course_id"),
        sa.Index("ix_dashboard_enrolment_facts_org_cohort", "organisation_id", "cohort_id"),
        sa.Index("ix_dashboard_enrolment_facts_org_trainee", "organisation_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    site_id: Mapped[int | None]  # the trainee's own site
    cohort_id: Mapped[int | None]  # None: a certificate of a course the trainee is in no cohort for
    course_id: Mapped[int]
    trainee_id: Mapped[int]
    enrolled_month: Mapped[date | None]  # first day of the (local) month; None: certificate without enrolment
    trained_month: Mapped[date | None]  # when the last lesson of the course was done; None: not yet
    certified_month: Mapped[date | None]  # first certificate that is not revoked; None: not certified
    is_certified: Mapped[bool] = mapped_column(default=False)
    valid_until: Mapped[datetime | None]  # latest expiry of the certificates not revoked; None: never expires


class CompetencyStage(StrEnum):
    PRE = "pre"
    POST = "post"


class CompetencyFact(db.Model):
    """One trainee's item ratings in one month at the pre- or post-training stage, counted by level."""

    __tablename__ = "dashboard_competency_facts"
    __table_args__ = (
        sa.Index("ix_dashboard_competency_facts_org_month", "organisation_id", "month"),
        sa.Index("ix_dashboard_competency_facts_org_trainee", "organisation_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    site_id: Mapped[int | None]
    trainee_id: Mapped[int]
    month: Mapped[date]
    stage: Mapped[CompetencyStage] = mapped_column(enum_column(CompetencyStage))
    level_1: Mapped[int] = mapped_column(default=0)
    level_2: Mapped[int] = mapped_column(default=0)
    level_3: Mapped[int] = mapped_column(default=0)
    level_4: Mapped[int] = mapped_column(default=0)


class SupervisionFact(db.Model):
    """Supervision one trainee received in one month (submitted sessions they attended)."""

    __tablename__ = "dashboard_supervision_facts"
    __table_args__ = (
        sa.Index("ix_dashboard_supervision_facts_org_month", "organisation_id", "month"),
        sa.Index("ix_dashboard_supervision_facts_org_trainee", "organisation_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    site_id: Mapped[int | None]
    trainee_id: Mapped[int]
    month: Mapped[date]
    minutes: Mapped[int] = mapped_column(default=0)
    sessions: Mapped[int] = mapped_column(default=0)


class PracticeFact(db.Model):
    """Verified practice one trainee delivered in one month for one intervention."""

    __tablename__ = "dashboard_practice_facts"
    __table_args__ = (
        sa.Index("ix_dashboard_practice_facts_org_month", "organisation_id", "month"),
        sa.Index("ix_dashboard_practice_facts_org_trainee", "organisation_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    site_id: Mapped[int | None]
    trainee_id: Mapped[int]
    month: Mapped[date]
    intervention: Mapped[Intervention] = mapped_column(enum_column(Intervention))
    cases: Mapped[int] = mapped_column(default=0)  # cases whose first verified session fell in this month
    sessions: Mapped[int] = mapped_column(default=0)  # verified sessions delivered in this month


FACT_TABLES = (EnrolmentFact, CompetencyFact, SupervisionFact, PracticeFact)

# Derived data only: rebuilt from the records at any time, never edited by anyone. A page view may
# fill this cache (the first view of a new organisation computes it once); no record changes.
DERIVED_TABLES = frozenset({"dashboard_snapshots", *(table.__tablename__ for table in FACT_TABLES)})

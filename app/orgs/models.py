"""Who belongs where: every record hangs off one organisation."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User


class Role(StrEnum):
    TRAINEE = "trainee"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"
    # Organisation-level clinical responsibility: alerted to high-risk cases, may read any supervision notes.
    CLINICAL_LEAD = "clinical_lead"
    # Organisation-level read-only oversight: dashboards, reports and pseudonymised research exports.
    PROGRAMME_MANAGER = "programme_manager"


class CohortStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class CohortRole(StrEnum):
    TRAINEE = "trainee"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    default_language: Mapped[str] = mapped_column(sa.String(8), default="es")
    # Supervision settings: a supervisee with no session for longer than this is overdue;
    # a well-being score at or below the threshold opens a follow-up action item.
    supervision_overdue_days: Mapped[int] = mapped_column(default=14, server_default="14")
    wellbeing_followup_score: Mapped[int] = mapped_column(default=4, server_default="4")

    sites: Mapped[list[Site]] = relationship(back_populates="organisation", order_by="Site.name")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Site(TimestampMixin, db.Model):
    __tablename__ = "sites"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship(back_populates="sites")


class RoleAssignment(db.Model):
    """A user's role in one organisation; a person may hold several."""

    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments")
    organisation: Mapped[Organisation] = relationship()


class Cohort(TimestampMixin, db.Model):
    """A training group: people who learn (and are taught and supervised) together."""

    __tablename__ = "cohorts"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    status: Mapped[CohortStatus] = mapped_column(enum_column(CohortStatus), default=CohortStatus.PLANNED)

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()
    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )


class CohortMember(db.Model):
    __tablename__ = "cohort_members"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[CohortRole] = mapped_column(enum_column(CohortRole))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class SupervisorAssignment(db.Model):
    """A supervisor looks after a trainee (optionally within one cohort) until ended."""

    __tablename__ = "supervisor_assignments"
    __table_args__ = (sa.UniqueConstraint("supervisor_id", "trainee_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    cohort: Mapped[Cohort | None] = relationship()


class ImportStatus(StrEnum):
    PREVIEWED = "previewed"
    IMPORTED = "imported"
    DISCARDED = "discarded"


class UserImport(db.Model):
    """A parsed spreadsheet of new users, kept between the preview and the confirmation.

    The status makes the confirmation happen once: a second submit finds it imported.
    """

    __tablename__ = "user_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.PREVIEWED)
    rows: Mapped[list[dict]] = mapped_column(sa.JSON)
    ignored_columns: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])

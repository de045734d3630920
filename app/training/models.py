"""Training days (the cohort meets in person) and who attended each one."""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db
from app.orgs.models import Cohort

if TYPE_CHECKING:
    from app.auth.models import User


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class TrainingDay(TimestampMixin, db.Model):
    """One face-to-face session of a cohort: when, where, what and who leads it."""

    __tablename__ = "training_days"
    __table_args__ = (sa.Index("ix_training_days_cohort_id_held_on", "cohort_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    starts_at: Mapped[time | None]
    place: Mapped[str] = mapped_column(sa.String(200))
    topic: Mapped[str] = mapped_column(sa.String(200))
    facilitator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    facilitator_name: Mapped[str | None] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    cohort: Mapped[Cohort] = relationship()
    facilitator: Mapped[User | None] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(back_populates="training_day", cascade="all, delete-orphan")

    @property
    def organisation_id(self) -> int:
        """The cohort's organisation: the boundary checks and the audit log use it."""
        return self.cohort.organisation_id

    @property
    def facilitator_label(self) -> str:
        return self.facilitator.full_name if self.facilitator else (self.facilitator_name or "")


class Attendance(db.Model):
    """A trainee's status on one training day; one row per trainee and day, updated in place."""

    __tablename__ = "attendances"
    __table_args__ = (sa.UniqueConstraint("training_day_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_day_id: Mapped[int] = mapped_column(sa.ForeignKey("training_days.id", ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    training_day: Mapped[TrainingDay] = relationship(back_populates="attendances")
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

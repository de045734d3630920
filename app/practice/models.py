"""Supervised practice: the sessions a trainee delivers to real clients, grouped into cases.

A case is one client (known only by a code, never a name) receiving one intervention from one
trainee. Each delivered session is an entry; the supervisor verifies or returns every entry,
and only verified entries count towards a completed case (and so towards certification).
"""
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


class Intervention(StrEnum):
    PM_PLUS = "pm_plus"
    PFA = "pfa"
    OTHER = "other"


class DeliveryMode(StrEnum):
    HOME_VISIT = "home_visit"
    CLINIC = "clinic"
    PHONE = "phone"


class RiskFlag(StrEnum):
    """Risks seen in a session; an entry with none of them stores an empty list."""

    SUICIDAL_THOUGHTS = "suicidal_thoughts"
    VIOLENCE = "violence"
    CHILD_PROTECTION = "child_protection"
    OTHER = "other"


class EntryStatus(StrEnum):
    DRAFT = "draft"            # saved by the trainee, not yet sent; the supervisor does not see it
    SUBMITTED = "submitted"    # waiting for the supervisor
    RETURNED = "returned"      # sent back with a comment; the trainee corrects and resubmits
    VERIFIED = "verified"      # checked by the supervisor; locked for the trainee


class ReviewDecision(StrEnum):
    VERIFIED = "verified"
    RETURNED = "returned"


PSYCHLOPS_MAX = 20
DEFAULT_REQUIRED_SESSIONS = {Intervention.PM_PLUS: 5, Intervention.PFA: 1, Intervention.OTHER: 1}
DEFAULT_NEEDS_POST_ASSESSMENT = {Intervention.PM_PLUS: True, Intervention.PFA: False, Intervention.OTHER: False}


class PracticeCase(TimestampMixin, db.Model):
    """One client receiving one intervention from one trainee; the client is only a code."""

    __tablename__ = "practice_cases"
    __table_args__ = (sa.UniqueConstraint("trainee_id", "client_code", "intervention"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_code: Mapped[str] = mapped_column(sa.String(20))
    intervention: Mapped[Intervention] = mapped_column(enum_column(Intervention))
    intervention_other: Mapped[str | None] = mapped_column(sa.String(100))

    trainee: Mapped[User] = relationship()
    entries: Mapped[list[PracticeEntry]] = relationship(
        back_populates="case",
        order_by="(PracticeEntry.session_number, PracticeEntry.id)",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<PracticeCase {self.client_code} {self.intervention}>"


class PracticeEntry(TimestampMixin, db.Model):
    """One delivered session. A draft may be incomplete; submitting requires every field.

    ``organisation_id`` and ``trainee_id`` repeat the case's so queues and counts need no join.
    """

    __tablename__ = "practice_entries"
    __table_args__ = (
        sa.Index("ix_practice_entries_trainee_id_status", "trainee_id", "status"),
        sa.Index("ix_practice_entries_organisation_id_status", "organisation_id", "status"),
        sa.CheckConstraint("outcome_before IS NULL OR (outcome_before BETWEEN 0 AND 20)", name="outcome_before_range"),
        sa.CheckConstraint("outcome_after IS NULL OR (outcome_after BETWEEN 0 AND 20)", name="outcome_after_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.DRAFT)

    session_number: Mapped[int | None]
    delivered_on: Mapped[date | None]
    duration_minutes: Mapped[int | None]
    mode: Mapped[DeliveryMode | None] = mapped_column(enum_column(DeliveryMode))
    risk_flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    has_risk_flag: Mapped[bool] = mapped_column(default=False)
    risk_action: Mapped[str | None] = mapped_column(sa.Text)
    outcome_before: Mapped[int | None]          # PSYCHLOPS total, 0–20, before the session
    outcome_after: Mapped[int | None]           # PSYCHLOPS total, 0–20: the post-assessment
    custom_measure_name: Mapped[str | None] = mapped_column(sa.String(100))
    custom_measure_value: Mapped[float | None] = mapped_column(sa.Float)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(sa.Text)

    case: Mapped[PracticeCase] = relationship(back_populates="entries")
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    reviews: Mapped[list[PracticeReview]] = relationship(
        back_populates="entry", order_by="PracticeReview.id", cascade="all, delete-orphan"
    )

    @property
    def is_editable_by_trainee(self) -> bool:
        return self.status in (EntryStatus.DRAFT, EntryStatus.RETURNED, EntryStatus.SUBMITTED)


class PracticeReview(db.Model):
    """Every verify or return decision, kept so the trainee sees the whole conversation."""

    __tablename__ = "practice_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_entries.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[PracticeEntry] = relationship(back_populates="reviews")
    reviewer: Mapped[User | None] = relationship()


class PracticeRule(db.Model):
    """An organisation's completed-case rule for one intervention (defaults above when absent)."""

    __tablename__ = "practice_rules"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "intervention"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    intervention: Mapped[Intervention] = mapped_column(enum_column(Intervention))
    required_sessions: Mapped[int] = mapped_column(default=5)
    needs_post_assessment: Mapped[bool] = mapped_column(default=True)

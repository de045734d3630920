"""Supervision sessions: who met, how, the de-identified cases discussed, well-being and action items.

A session is a draft until the supervisor submits it; each supervisee then acknowledges the
record. Cases carry a client *code*, never a name. Notes (the session's notes, case summaries,
what was done, well-being notes) are read only by the supervisor, the supervisees in the
session and the organisation's clinical leads (see app/core/permissions.py).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db
from app.practice.models import Intervention  # the same interventions a helper delivers and logs

if TYPE_CHECKING:
    from app.auth.models import User
    from app.competencies.models import Assessment
    from app.orgs.models import Cohort, Site


class SessionFormat(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    PEER = "peer"


class Modality(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class Topic(StrEnum):
    CASE_REVIEW = "case_review"
    RISK = "risk"
    SKILLS_PRACTICE = "skills_practice"
    SELF_CARE = "self_care"
    ADMINISTRATIVE = "administrative"


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    IMMINENT = "imminent"


HIGH_RISK = (RiskLevel.HIGH, RiskLevel.IMMINENT)


class SessionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class SupervisionSession(TimestampMixin, db.Model):
    __tablename__ = "supervision_sessions"
    __table_args__ = (
        sa.Index("ix_supervision_sessions_supervisor_started", "supervisor_id", "started_at"),
        sa.Index("ix_supervision_sessions_org_started", "organisation_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id", ondelete="SET NULL"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    format: Mapped[SessionFormat] = mapped_column(enum_column(SessionFormat), default=SessionFormat.INDIVIDUAL)
    modality: Mapped[Modality] = mapped_column(enum_column(Modality), default=Modality.IN_PERSON)
    started_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # A competency assessment of a supervisee made during the session (optional).
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id", ondelete="SET NULL"))
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.DRAFT)
    draft_saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    site: Mapped[Site | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    assessment: Mapped[Assessment | None] = relationship()
    attendees: Mapped[list[SessionAttendee]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionAttendee.id")
    cases: Mapped[list[SupervisionCase]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SupervisionCase.position")
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="ActionItem.id")

    @property
    def is_draft(self) -> bool:
        return self.status == SessionStatus.DRAFT


class SessionAttendee(db.Model):
    """A supervisee in a session, with their well-being check and their acknowledgement of the record."""

    __tablename__ = "supervision_attendees"
    __table_args__ = (sa.UniqueConstraint("session_id", "supervisee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True)
    supervisee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    wellbeing_score: Mapped[int | None]  # 0 (very low) to 10 (very well)
    wellbeing_note: Mapped[str | None] = mapped_column(sa.Text)
    acknowledged_at: Mapped[datetime | None]

    session: Mapped[SupervisionSession] = relationship(back_populates="attendees")
    supervisee: Mapped[User] = relationship()


class SupervisionCase(db.Model):
    """A client discussed in supervision, by code only."""

    __tablename__ = "supervision_cases"
    __table_args__ = (sa.Index("ix_supervision_cases_supervisee_risk", "supervisee_id", "risk_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True)
    supervisee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    client_code: Mapped[str] = mapped_column(sa.String(20), default="")  # empty only in a draft
    intervention: Mapped[Intervention] = mapped_column(enum_column(Intervention), default=Intervention.PM_PLUS)
    session_number: Mapped[int | None]
    summary: Mapped[str | None] = mapped_column(sa.Text)
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel), default=RiskLevel.NONE)
    action_taken: Mapped[str | None] = mapped_column(sa.Text)
    referral: Mapped[str | None] = mapped_column(sa.Text)
    # Set when the clinical leads were alerted of this case at high or imminent risk (once).
    risk_alerted_at: Mapped[datetime | None]

    session: Mapped[SupervisionSession] = relationship(back_populates="cases")
    supervisee: Mapped[User | None] = relationship()


class ActionItem(db.Model):
    """Something to do after a session, with an owner and a due date; reminded when due soon or overdue."""

    __tablename__ = "supervision_action_items"
    # about_id last: "open items of these owners that name no one" (the supervisee overview) is one index search.
    __table_args__ = (sa.Index("ix_supervision_action_items_owner_status_about", "owner_id", "status", "about_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The supervisee the item is about (a well-being follow-up names them); None for the whole group.
    about_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(sa.String(500))
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.OPEN)
    is_wellbeing_followup: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[SupervisionSession] = relationship(back_populates="action_items")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    about: Mapped[User | None] = relationship(foreign_keys=[about_id])

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN


class SessionRevision(db.Model):
    """What a submitted record said before and after an edit. Kept with the record, not in the audit
    log, because the audit log is read by administrators who may not read supervision notes."""

    __tablename__ = "supervision_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    was_acknowledged: Mapped[bool] = mapped_column(default=False)
    before: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()

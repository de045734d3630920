"""Competency tools (synced from packs), assessments with their ticked behaviours, harm flags and remediation.

The level of each item is stored next to the ticks it was derived from (``derive_level``), so
reports never re-derive; a submitted assessment is immutable and a correction is a new
assessment that ``amends`` it (the original is kept, marked ``superseded_at``).
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
    from app.orgs.models import Cohort


class BehaviourGroup(StrEnum):
    HARMFUL = "harmful"
    BASIC = "basic"
    ADVANCED = "advanced"


class CompetencyTool(TimestampMixin, db.Model):
    """A tool such as "Foundational helping skills". Our packs are shared (organisation_id None);
    an official pack an organisation holds is imported for that organisation only."""

    __tablename__ = "competency_tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    version: Mapped[str] = mapped_column(sa.String(32))
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    name: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    licence: Mapped[str] = mapped_column(sa.String(200))
    attribution: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    archived_at: Mapped[datetime | None]

    items: Mapped[list[CompetencyItem]] = relationship(
        back_populates="tool", order_by="CompetencyItem.position", cascade="all, delete-orphan"
    )
    scenarios: Mapped[list[Scenario]] = relationship(
        back_populates="tool", order_by="Scenario.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<CompetencyTool {self.slug}>"


class CompetencyItem(db.Model):
    """One skill of a tool, kept by (tool, code) across syncs; hidden (not deleted) when it leaves the pack."""

    __tablename__ = "competency_items"
    __table_args__ = (sa.UniqueConstraint("tool_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_tools.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    is_hidden: Mapped[bool] = mapped_column(default=False)

    tool: Mapped[CompetencyTool] = relationship(back_populates="items")
    behaviours: Mapped[list[Behaviour]] = relationship(
        back_populates="item", order_by="Behaviour.position", cascade="all, delete-orphan"
    )


class Behaviour(db.Model):
    """A concrete observable behaviour of an item, in one of three groups."""

    __tablename__ = "competency_behaviours"
    __table_args__ = (sa.UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_items.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    group: Mapped[BehaviourGroup] = mapped_column(enum_column(BehaviourGroup))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    is_hidden: Mapped[bool] = mapped_column(default=False)

    item: Mapped[CompetencyItem] = relationship(back_populates="behaviours")


class Scenario(db.Model):
    """A standardised role play: the client's background, the actor's instructions, items it tends to elicit."""

    __tablename__ = "competency_scenarios"
    __table_args__ = (sa.UniqueConstraint("tool_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_tools.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    background: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    actor_instructions: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    elicits: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # item codes
    is_hidden: Mapped[bool] = mapped_column(default=False)

    tool: Mapped[CompetencyTool] = relationship(back_populates="scenarios")


class AssessmentStage(StrEnum):
    PRE = "pre"
    MID = "mid"
    POST = "post"
    SUPERVISION = "supervision"
    RECERTIFICATION = "recertification"


class AssessmentMethod(StrEnum):
    ROLE_PLAY = "role_play"  # standardised role play
    LIVE = "live"  # live observation of a real session
    RECORDING = "recording"


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class RatingSession(db.Model):
    """One performance rated by several raters (calibration); one rater's rating may be the reference."""

    __tablename__ = "rating_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_tools.id"), index=True)
    trainee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    scenario_id: Mapped[int | None] = mapped_column(sa.ForeignKey("competency_scenarios.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    reference_rater_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tool: Mapped[CompetencyTool] = relationship()
    trainee: Mapped[User | None] = relationship(foreign_keys=[trainee_id])
    scenario: Mapped[Scenario | None] = relationship()
    reference_rater: Mapped[User | None] = relationship(foreign_keys=[reference_rater_id])
    assessments: Mapped[list[Assessment]] = relationship(back_populates="rating_session")


class Assessment(db.Model):
    """One rater's rating of one trainee on one tool. A draft until submitted; then immutable."""

    __tablename__ = "assessments"
    __table_args__ = (
        sa.Index("ix_assessments_trainee_tool", "trainee_id", "tool_id"),
        sa.Index("ix_assessments_cohort_stage", "cohort_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # None: a recorded or actor performance rated in a calibration session (nobody to flag or give feedback to).
    trainee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_tools.id"))
    tool_version: Mapped[str] = mapped_column(sa.String(32))
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"))
    stage: Mapped[AssessmentStage] = mapped_column(enum_column(AssessmentStage))
    method: Mapped[AssessmentMethod] = mapped_column(enum_column(AssessmentMethod))
    scenario_id: Mapped[int | None] = mapped_column(sa.ForeignKey("competency_scenarios.id", ondelete="SET NULL"))
    rating_session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rating_sessions.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[AssessmentStatus] = mapped_column(enum_column(AssessmentStatus), default=AssessmentStatus.DRAFT)
    observed_on: Mapped[date | None]
    overall_note: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # A correction: a new assessment amends the submitted one, which is kept and marked superseded.
    amends_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id", ondelete="SET NULL"), index=True)
    amendment_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_at: Mapped[datetime | None]
    has_harm: Mapped[bool] = mapped_column(default=False)  # any item at level 1 (set on submit)

    trainee: Mapped[User | None] = relationship(foreign_keys=[trainee_id])
    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])
    tool: Mapped[CompetencyTool] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    scenario: Mapped[Scenario | None] = relationship()
    rating_session: Mapped[RatingSession | None] = relationship(back_populates="assessments")
    amends: Mapped[Assessment | None] = relationship(remote_side=[id])
    ratings: Mapped[list[ItemRating]] = relationship(back_populates="assessment", cascade="all, delete-orphan")


class ItemRating(db.Model):
    """The behaviours ticked for one item in one assessment and the level derived from them."""

    __tablename__ = "item_ratings"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_items.id"), index=True)
    behaviour_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    not_observed: Mapped[bool] = mapped_column(default=False)
    level: Mapped[int | None]  # derive_level of the ticks; None: not observed or not rated yet
    note: Mapped[str | None] = mapped_column(sa.Text)

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
    item: Mapped[CompetencyItem] = relationship()


class HarmFlagStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"


class HarmFlag(db.Model):
    """Harmful behaviour seen on one item: blocks certification until a later assessment of it shows none."""

    __tablename__ = "harm_flags"
    __table_args__ = (sa.Index("ix_harm_flags_trainee_status", "trainee_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("competency_items.id"), index=True)
    status: Mapped[HarmFlagStatus] = mapped_column(enum_column(HarmFlagStatus), default=HarmFlagStatus.OPEN)
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    cleared_at: Mapped[datetime | None]
    behaviour_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # the harmful ones seen

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    item: Mapped[CompetencyItem] = relationship()
    raised_by: Mapped[Assessment] = relationship(foreign_keys=[raised_by_id])
    cleared_by: Mapped[Assessment | None] = relationship(foreign_keys=[cleared_by_id])
    actions: Mapped[list[RemediationAction]] = relationship(
        back_populates="flag", order_by="RemediationAction.id", cascade="all, delete-orphan"
    )


class RemediationAction(db.Model):
    """One step of the remediation plan a harm flag opens (owner, due date, done)."""

    __tablename__ = "remediation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(sa.ForeignKey("harm_flags.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    flag: Mapped[HarmFlag] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


__all__ = [
    "Assessment",
    "AssessmentMethod",
    "AssessmentStage",
    "AssessmentStatus",
    "Behaviour",
    "BehaviourGroup",
    "CompetencyItem",
    "CompetencyTool",
    "HarmFlag",
    "HarmFlagStatus",
    "ItemRating",
    "RatingSession",
    "RemediationAction",
    "Scenario",
]


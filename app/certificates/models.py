"""Certification rules per course, issued certificates (snapshots), signing keys and bulk-issue jobs.

A certificate snapshots what it certifies, so later edits to the course, the person or the
organisation change nothing on it; revocation is a soft state (``revoked_at``), never a delete.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.courses.models import Course
    from app.orgs.models import Cohort, Organisation


class CertificationRule(TimestampMixin, db.Model):
    """The criteria a course's certificate needs. From course.toml (organisation_id None) or an
    organisation's own edit in the browser, which then applies to that organisation only."""

    __tablename__ = "certification_rules"
    __table_args__ = (sa.UniqueConstraint("course_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    validity_months: Mapped[int | None]  # None: never expires
    auto_issue: Mapped[bool] = mapped_column(default=False)
    template: Mapped[str] = mapped_column(sa.String(64), default="default")
    signatories: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)  # name, title
    refresher: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # lessons, assessment stage
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()


class RevocationReason(StrEnum):
    ISSUED_IN_ERROR = "issued_in_error"
    CONDUCT = "conduct"  # harmful or unethical practice
    COMPETENCY = "competency"  # no longer meets the competency standard
    IDENTITY = "identity"  # wrong person or fraud
    OTHER = "other"


class Certificate(db.Model):
    """One issued certificate. ``code`` is for people (ACO-7K3F-9QX2), ``token`` for public URLs."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.Index("ix_certificates_trainee_course", "trainee_id", "course_id"),
        sa.Index("ix_certificates_org_valid_until", "organisation_id", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None]
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # name, course, version, organisation, signatories, evidence
    credential: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the signed OpenBadgeCredential
    pdf_path: Mapped[str | None] = mapped_column(sa.String(300))  # relative to the instance's storage
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(enum_column(RevocationReason))
    revocation_note: Mapped[str | None] = mapped_column(sa.Text)

    organisation: Mapped[Organisation] = relationship()
    course: Mapped[Course] = relationship()
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    cohort: Mapped[Cohort | None] = relationship()
    previous: Mapped[Certificate | None] = relationship(remote_side=[id])


class SigningKey(db.Model):
    """An organisation's Ed25519 key. The private half lives only in instance/keys/ (mode 0600);
    retired keys stay published so earlier credentials still verify."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    key_id: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the fragment / path segment in URLs
    public_key_multibase: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CertificateJob(db.Model):
    """"Issue all eligible" for a cohort, run in the background; ends in one ZIP of the PDFs."""

    __tablename__ = "certificate_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    zip_path: Mapped[str | None] = mapped_column(sa.String(300))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Touched at every step; a queued or running job silent for long has lost its process (jobs.is_stalled).
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

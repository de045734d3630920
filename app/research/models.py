"""A research export made in the background: who asked, which mode, how far it got, where its ZIP is.

An uploaded key file is never stored here (nor anywhere): only its fingerprint, which shows that two
exports used the same key and reveals nothing about it.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.certificates.models import JobStatus
from app.core.db import enum_column, utcnow
from app.extensions import db


class KeySource(StrEnum):
    ORGANISATION = "organisation"  # the organisation's research key, kept on the server
    SUPPLIED = "supplied"  # a key file given for this export only (uploaded, or --key-file), never stored


class ResearchExport(db.Model):
    """One export of one organisation. Made by a job (organisation key or identified) or, with an uploaded
    key, in the request that sent it (then nothing is kept: status done, no file)."""

    __tablename__ = "research_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    identified: Mapped[bool] = mapped_column(default=False)
    key_source: Mapped[KeySource | None] = mapped_column(enum_column(KeySource))  # None: identified
    key_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    rows: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # file name -> rows written so far
    zip_path: Mapped[str | None] = mapped_column(sa.String(300))  # under the instance folder; None once purged
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Touched as the files are written; a queued or running export silent for long has lost its process.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]  # the first download

    @property
    def mode(self) -> str:
        return "identified" if self.identified else "pseudonymised"

"""Is a trainee's certificate for a course open for renewal? (cheap: one query; used by the lesson page)."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.certificates.models import Certificate
from app.core.db import as_utc, utcnow
from app.extensions import db

RENEWAL_DAYS = 60  # a certificate this close to expiry (or expired) can be renewed by the refresher path


def renewal_since(trainee_id: int, course_id: int, now: datetime | None = None) -> datetime | None:
    """The issue date of the certificate being renewed, when its refresher is open; else None.

    Evidence for the refresher counts from that date (services.path_state asks the evaluator with it)."""
    now = now or utcnow()
    latest = db.session.execute(
        sa.select(Certificate.issued_at, Certificate.valid_until)
        .where(Certificate.trainee_id == trainee_id, Certificate.course_id == course_id,
               Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)).first()
    if latest is None or latest.valid_until is None:
        return None
    if _aware(latest.valid_until) - now > timedelta(days=RENEWAL_DAYS):
        return None
    return _aware(latest.issued_at)


_aware = as_utc  # one rule for naive timestamps: app.core.db.as_utc

"""What the public may learn about a certificate: its status and what is printed on it, nothing more."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from app.certificates.codes import normalise_code
from app.certificates.forms import REASON_LABELS
from app.certificates.models import Certificate, RevocationReason
from app.certificates.pdf import certificate_face
from app.core.db import as_utc, utcnow
from app.extensions import db


class CertificateStatus(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


_aware = as_utc  # one rule for naive timestamps: app.core.db.as_utc


def status_of(certificate: Certificate, now: datetime | None = None) -> CertificateStatus:
    """Revocation wins over expiry: a revoked certificate says so even after its end date."""
    now = now or utcnow()
    if certificate.revoked_at is not None:
        return CertificateStatus.REVOKED
    if _aware(certificate.valid_from) > now:
        return CertificateStatus.NOT_YET_VALID
    valid_until = _aware(certificate.valid_until)
    if valid_until is not None and valid_until <= now:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


@dataclass(frozen=True)
class PublicCertificate:
    """Exactly the fields the verification page shows (no email, no note, no evidence, no ids)."""

    status: CertificateStatus
    name: str
    course_title: str
    course_version: str
    issuer: str
    code: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    has_pdf: bool


def public_view(certificate: Certificate, now: datetime | None = None) -> PublicCertificate:
    face = certificate_face(certificate)
    reason = certificate.revocation_reason
    return PublicCertificate(
        status=status_of(certificate, now), name=face.name, course_title=face.course_title,
        course_version=face.course_version, issuer=face.organisation, code=certificate.code,
        issued_at=certificate.issued_at, valid_from=certificate.valid_from, valid_until=certificate.valid_until,
        revoked_at=certificate.revoked_at,
        revocation_reason=str(REASON_LABELS.get(reason, REASON_LABELS[RevocationReason.OTHER])) if reason else None,
        has_pdf=bool(certificate.pdf_path),
    )


def find_by_code(text: str) -> Certificate | None:
    code = normalise_code(text or "")
    if code is None:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == code))


def find_by_token(token: str) -> Certificate | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.token == token))

"""Certificates as Open Badges 3.0 ``OpenBadgeCredential``s, signed with eddsa-rdfc-2022.

Revocation is published as a W3C Bitstring Status List (one list per organisation, bit index =
certificate id): the signed credential never changes, while the status list credential at
``/issuers/<slug>/status`` is re-signed on each request and says which certificates are revoked.
"""
from __future__ import annotations

import base64
import gzip
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from app.certificates import dataintegrity, keys
from app.certificates.models import Certificate, SigningKey
from app.courses.models import Course
from app.certificates.pdf import certificate_face
from app.core.db import utcnow
from app.core.i18n import _
from app.extensions import db
from app.orgs.models import Organisation

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
STATUS_LIST_BITS = 131_072  # the spec's minimum length: herd privacy for small organisations


def _base() -> str:
    return current_app.config["BASE_URL"]


def issuer_id(organisation: Organisation) -> str:
    return f"{_base()}/issuers/{organisation.slug}"


def verification_method_id(organisation: Organisation, signing_key: SigningKey) -> str:
    return f"{issuer_id(organisation)}/keys/{signing_key.key_id}"


def status_list_id(organisation: Organisation) -> str:
    return f"{issuer_id(organisation)}/status"


def credential_id(certificate: Certificate) -> str:
    return f"{_base()}/verify/{certificate.token}.json"


def achievement_id(organisation: Organisation, course: Course) -> str:
    return f"{issuer_id(organisation)}/achievements/{course.slug}"


def achievement_document(organisation: Organisation, course: Course, language: str, *, name: str | None = None,
                         narrative: str | None = None) -> dict[str, Any]:
    """The Achievement a course's certificate stands for (call inside the wanted locale)."""
    name = name or course.title_in(language)
    return {
        "id": achievement_id(organisation, course),
        "type": ["Achievement"],
        "name": name,
        "description": course.summary_in(language) or _("Completion of the course %(title)s.", title=name),
        "criteria": {"narrative": narrative or _("Met every requirement of the course's certification rule.")},
    }


def xsd_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile(organisation: Organisation, name: str | None = None) -> dict[str, Any]:
    return {"id": issuer_id(organisation), "type": ["Profile"], "name": name or organisation.name,
            "url": _base()}


def _criteria_narrative(certificate: Certificate) -> str:
    """The rule in words, from the evidence the snapshot kept (labels of the met criteria)."""
    evidence = (certificate.snapshot or {}).get("evidence") or []
    labels = [str(item.get("label") or item.get("title") or "") for item in evidence if isinstance(item, dict)]
    labels = [label for label in labels if label]
    if labels:
        return _("Met every requirement of the course's certification rule: %(list)s.", list="; ".join(labels))
    return _("Met every requirement of the course's certification rule.")


def unsigned_credential(certificate: Certificate) -> dict[str, Any]:
    """The credential's content, from the certificate's snapshot, in the certificate's language."""
    face = certificate_face(certificate)
    with force_locale(certificate.language):
        achievement = achievement_document(certificate.organisation, certificate.course, certificate.language,
                                           name=face.course_title, narrative=_criteria_narrative(certificate))
        if face.course_version:
            achievement["version"] = face.course_version
        credential: dict[str, Any] = {
            "@context": list(CONTEXT),
            "id": credential_id(certificate),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": issuer_profile(certificate.organisation, face.organisation or None),
            "validFrom": xsd_datetime(certificate.valid_from),
            "name": face.course_title,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [{"type": "IdentityObject", "identityHash": face.name, "identityType": "name",
                                "hashed": False}],
                "achievement": achievement,
            },
            "credentialStatus": {
                "id": f"{status_list_id(certificate.organisation)}#{certificate.id}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(certificate.id),
                "statusListCredential": status_list_id(certificate.organisation),
            },
        }
    if certificate.valid_until is not None:
        credential["validUntil"] = xsd_datetime(certificate.valid_until)
    return credential


def sign(document: dict[str, Any], signing_key: SigningKey, organisation: Organisation,
         created: datetime | None = None) -> dict[str, Any]:
    """Embed an eddsa-rdfc-2022 DataIntegrityProof made with the organisation's key."""
    return dataintegrity.sign(
        document, keys.load_private_key(signing_key),
        verification_method=verification_method_id(organisation, signing_key),
        created=xsd_datetime(created or utcnow()),
    )


def build_credential(certificate: Certificate, signing_key: SigningKey | None = None) -> dict[str, Any]:
    """The signed OpenBadgeCredential for a (flushed) certificate; the caller stores it.
    ``signing_key``: the organisation's active key, when the caller holds it already."""
    if certificate.id is None:
        db.session.flush()
    signing_key = signing_key or keys.active_key(certificate.organisation)
    return sign(unsigned_credential(certificate), signing_key, certificate.organisation,
                created=certificate.issued_at)


def prepare_signing(organisation: Organisation) -> SigningKey:
    """Make sure the organisation has a signing key (creating one flushes), before signing elsewhere."""
    return keys.active_key(organisation)


def ensure_credential(certificate: Certificate) -> dict[str, Any]:
    """The stored credential, building and storing it (flush only) for a record issued without one."""
    if certificate.credential is None:
        certificate.credential = build_credential(certificate)
        db.session.flush()
    return certificate.credential


def encoded_status_list(revoked_indexes: list[int]) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring; index 0 is the leftmost bit."""
    length = max(STATUS_LIST_BITS, -(-(max(revoked_indexes, default=0) + 1) // STATUS_LIST_BITS) * STATUS_LIST_BITS)
    bits = bytearray(length // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_status_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (u…)")
    payload = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def status_bit(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(organisation: Organisation, signing_key: SigningKey) -> dict[str, Any]:
    """The signed BitstringStatusListCredential that says which of the organisation's certificates are revoked."""
    revoked = list(db.session.scalars(sa.select(Certificate.id).where(
        Certificate.organisation_id == organisation.id, Certificate.revoked_at.is_not(None))))
    now = utcnow()
    document = {
        "@context": [CONTEXT[0]],
        "id": status_list_id(organisation),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(organisation),
        "validFrom": xsd_datetime(now),
        "credentialSubject": {
            "id": f"{status_list_id(organisation)}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_status_list(revoked),
        },
    }
    return sign(document, signing_key, organisation, created=now)


def multikey_document(signing_key: SigningKey, organisation: Organisation) -> dict[str, Any]:
    return {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": verification_method_id(organisation, signing_key),
        "type": "Multikey",
        "controller": issuer_id(organisation),
        "publicKeyMultibase": signing_key.public_key_multibase,
    }

"""Public JSON for machines: the Open Badges credential, the issuer profile, its keys (Multikey
documents, retired ones too) and the revocation status list. No login; nothing beyond what the
certificate itself shows."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, json
from flask_babel import force_locale

from app.certificates import badges, keys
from app.certificates.blueprint import bp
from app.certificates.models import Certificate
from app.certificates.rate_limit import rate_limited
from app.core.db import write_lock
from app.courses.models import Course
from app.extensions import db
from app.orgs.models import Organisation

LD_JSON = "application/ld+json"


def _json(document: dict[str, Any], max_age: int = 300):
    response = current_app.response_class(json.dumps(document, ensure_ascii=False, indent=2), mimetype=LD_JSON)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' browsers
    return response


def _organisation(slug: str) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    return organisation or abort(404)


@bp.get("/verify/<badge_token>.json")
@rate_limited
def badge_credential(badge_token: str):
    """The signed OpenBadgeCredential; whether it is revoked is in its credentialStatus list."""
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.token == badge_token)) or abort(404)
    if certificate.credential is None:  # issued before signing finished: sign it once, now
        with write_lock():
            badges.ensure_credential(certificate)
            db.session.commit()
    response = _json(certificate.credential, max_age=60)
    response.headers["Link"] = f'<{badges.status_list_id(certificate.organisation)}>; rel="status"'
    return response


@bp.get("/issuers/<badge_org>")
@rate_limited
def badge_issuer(badge_org: str):
    organisation = _organisation(badge_org)
    profile = {"@context": list(badges.CONTEXT), **badges.issuer_profile(organisation)}
    return _json(profile, max_age=3600)


@bp.get("/issuers/<badge_org>/achievements/<badge_course>")
@rate_limited
def badge_achievement(badge_org: str, badge_course: str):
    """The Achievement named in credentials: what the course's certificate stands for."""
    organisation = _organisation(badge_org)
    course = db.session.scalar(sa.select(Course).where(
        Course.slug == badge_course, sa.or_(Course.organisation_id.is_(None), Course.organisation_id == organisation.id)))
    if course is None:
        abort(404)
    with force_locale(organisation.default_language):
        document = badges.achievement_document(organisation, course, organisation.default_language)
    return _json({"@context": list(badges.CONTEXT), **document}, max_age=3600)


@bp.get("/issuers/<badge_org>/keys/<badge_key_id>")
@rate_limited
def badge_key(badge_org: str, badge_key_id: str):
    """The verificationMethod: a Multikey whose controller is the issuer."""
    organisation = _organisation(badge_org)
    signing_key = keys.published_key(organisation, badge_key_id) or abort(404)
    return _json(badges.multikey_document(signing_key, organisation), max_age=3600)


@bp.get("/issuers/<badge_org>/status")
@rate_limited
def badge_status_list(badge_org: str):
    """The organisation's BitstringStatusListCredential (bit = certificate id; 1 = revoked)."""
    organisation = _organisation(badge_org)
    signing_key = keys.current_key(organisation) or abort(404)  # no key yet: nothing issued
    return _json(badges.status_list_credential(organisation, signing_key), max_age=60)

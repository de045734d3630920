"""Public verification (no login, rate-limited): enter a code, see a certificate's status, get its PDF.

The pages show what the certificate itself shows — never an email, a note or the evidence — and
are reached only by the unguessable token (or the printed code, which redirects to it).
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from app.certificates import storage
from app.certificates.blueprint import bp
from app.certificates.rate_limit import rate_limited
from app.certificates.verification import CertificateStatus, find_by_code, find_by_token, public_view
from app.certificates.verify_forms import VerifyCodeForm
from app.core.i18n import _
from app.core.page_cache import cached_page

_PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


@bp.get("/verify")
@rate_limited
def verify_lookup():
    form = VerifyCodeForm(request.args)
    if request.args and form.validate():
        certificate = find_by_code(form.code.data)
        if certificate is not None:
            return redirect(url_for("certificates.verify_certificate", verify_token=certificate.token), 303)
        form.code.errors.append(_("No certificate has this code. Check each character and try again."))
        return render_template("certificates/verify_lookup.html", form=form), 404, _PRIVATE
    return render_template("certificates/verify_lookup.html", form=form), _PRIVATE


@bp.get("/verify/<verify_token>")
@rate_limited
@cached_page(public=True)
def verify_certificate(verify_token: str):
    certificate = find_by_token(verify_token) or abort(404)
    return render_template("certificates/verify_certificate.html", cert=public_view(certificate),
                           token=certificate.token, statuses=CertificateStatus), _PRIVATE


@bp.get("/verify/<verify_token>.pdf")
@rate_limited
def verify_certificate_pdf(verify_token: str):
    """The stored PDF; a revoked certificate's file is withdrawn and the page says why."""
    certificate = find_by_token(verify_token) or abort(404)
    view = public_view(certificate)
    if view.status is CertificateStatus.REVOKED:
        return render_template("certificates/verify_certificate.html", cert=view, token=certificate.token,
                               statuses=CertificateStatus, pdf_withdrawn=True), 410, _PRIVATE
    try:
        response = storage.pdf_response(certificate)
    except storage.StoredFileMissing:
        abort(404)
    response.headers.update(_PRIVATE)
    return response

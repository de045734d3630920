"""Public verification: the code form, the status page (valid, expired, revoked), the PDF, the rate limit."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.certificate_support import issued_certificate, make_certificate, make_course  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_budget():
    from app.certificates import rate_limit

    rate_limit.reset()
    yield
    rate_limit.reset()


def test_lookup_form_needs_no_login(client):
    page = client.get("/verify")
    assert page.status_code == 200
    assert "Check a certificate" in page.get_data(as_text=True)
    assert 'name="code"' in page.get_data(as_text=True)


@pytest.mark.parametrize("typed", [str, str.lower, lambda code: " " + code.replace("-", " ") + " "])
def test_code_as_typed_from_paper_leads_to_the_certificate(client, make_user, make_certificate, typed):
    certificate = make_certificate(make_user("trainee"))
    text = typed(certificate.code)
    answer = client.get("/verify", query_string={"code": text})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/verify/{certificate.token}")


def test_unknown_code_says_so(client):
    from app.certificates.codes import new_code

    for typed in (new_code(), "ACO-1234"):  # well formed but unknown; a typo the check character catches
        page = client.get("/verify", query_string={"code": typed})
        assert page.status_code == 404
        assert "No certificate has this code" in page.get_data(as_text=True)


def test_valid_certificate_page_shows_only_what_the_certificate_shows(client, make_user, issued_certificate):
    trainee = make_user("trainee", full_name="Rosa Elena Díaz", email="rosa@example.org")
    certificate = issued_certificate(trainee)
    page = client.get(f"/verify/{certificate.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Valid" in html and "genuine and valid today" in html
    for shown in ("Rosa Elena Díaz", "Problem Management Plus", trainee.organisation.name, certificate.code):
        assert shown in html
    assert "rosa@example.org" not in html
    assert trainee.username not in html
    assert "Sign out" not in html
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert f"/verify/{certificate.token}.pdf" in html


def test_expired_certificate(client, make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"), issued_days_ago=800, valid_days=730)
    html = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Expired" in html
    assert "expired on" in html
    assert "genuine and valid today" not in html


def test_certificate_without_expiry(client, make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"), valid_days=None)
    html = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Does not expire" in html
    assert "genuine and valid today" in html


def test_revoked_certificate_shows_date_and_reason_category_but_not_the_note(client, db_session, make_user,
                                                                            issued_certificate):
    from app.certificates.models import RevocationReason
    from app.core.db import utcnow

    admin = make_user("admin")
    certificate = issued_certificate(make_user("trainee"))
    certificate.revoked_at = utcnow() - timedelta(days=1)
    certificate.revoked_by_id = admin.id
    certificate.revocation_reason = RevocationReason.CONDUCT
    certificate.revocation_note = "Complaint from client C-17 about a breach of confidentiality"
    db_session.flush()

    page = client.get(f"/verify/{certificate.token}")
    html = page.get_data(as_text=True)
    assert "Revoked" in html
    assert "Harmful or unethical practice" in html
    assert "C-17" not in html and "confidentiality" not in html
    assert "genuine and valid today" not in html
    assert f"/verify/{certificate.token}.pdf" not in html

    pdf = client.get(f"/verify/{certificate.token}.pdf")
    assert pdf.status_code == 410
    assert "Revoked" in pdf.get_data(as_text=True)
    assert "Its PDF has been withdrawn" in pdf.get_data(as_text=True)


def test_revocation_wins_over_expiry(client, db_session, make_user, make_certificate):
    from app.certificates.models import RevocationReason
    from app.core.db import utcnow

    certificate = make_certificate(make_user("trainee"), issued_days_ago=800, valid_days=730)
    certificate.revoked_at, certificate.revocation_reason = utcnow(), RevocationReason.ISSUED_IN_ERROR
    db_session.flush()
    html = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Revoked" in html and "Issued in error" in html
    assert "Expired" not in html


def test_pdf_is_served_from_storage(client, make_user, issued_certificate):
    from app.certificates.storage import read_pdf

    certificate = issued_certificate(make_user("trainee"))
    answer = client.get(f"/verify/{certificate.token}.pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.data == read_pdf(certificate)
    assert "no-cache" in answer.headers["Cache-Control"]


def test_pdf_never_rendered_again_when_served(client, monkeypatch, make_user, issued_certificate):
    from app.certificates import pdf

    certificate = issued_certificate(make_user("trainee"))
    monkeypatch.setattr(pdf, "render_certificate_pdf", lambda *a, **k: pytest.fail("rendered at request time"))
    assert client.get(f"/verify/{certificate.token}.pdf").status_code == 200


@pytest.mark.parametrize("path", ["/verify/{bad}", "/verify/{bad}.pdf", "/verify/{id}", "/verify/{code}"])
def test_pages_need_the_token(client, make_user, issued_certificate, path):
    certificate = issued_certificate(make_user("trainee"))
    url = path.format(bad="x" * 32, id=certificate.id, code=certificate.code)
    assert client.get(url).status_code == 404


def test_missing_file_is_a_not_found_not_a_crash(client, make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"))
    assert client.get(f"/verify/{certificate.token}.pdf").status_code == 404


def test_rate_limit_answers_429_with_retry_after(app, client, monkeypatch, make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"))
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", (3, 60))
    for _ in range(3):
        assert client.get(f"/verify/{certificate.token}").status_code == 200
    limited = client.get("/verify", query_string={"code": "ACO-0000-0000"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many checks" in limited.get_data(as_text=True)
    other = client.get(f"/verify/{certificate.token}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_page_in_spanish_by_default(spanish_client, make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"), language="es")
    page = spanish_client.get(f"/verify/{certificate.token}")
    assert page.status_code == 200
    assert '<html lang="es">' in page.get_data(as_text=True)

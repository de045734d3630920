"""The certificate PDF: the words on it, its QR code, its language, page size, and what the renderer may load."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp

from tests.certificate_support import issued_certificate, make_certificate, make_course  # noqa: F401


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _qr_from_pdf(data: bytes) -> str:
    """Rasterise the PDF's QR code (WeasyPrint draws the SVG as vector paths) and decode it."""
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=3).to_pil()
    results = zxingcpp.read_barcodes(image)
    assert results, "no QR code found on the certificate"
    return results[0].text


def test_pdf_shows_name_course_and_code(app, make_user, issued_certificate):
    from app.certificates.storage import read_pdf

    trainee = make_user("trainee", full_name="María José Núñez Peña")
    certificate = issued_certificate(trainee)
    data = read_pdf(certificate)
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "María José Núñez Peña" in text
    assert "Problem Management Plus" in text
    assert certificate.code in text
    assert "Dra. Lucía Gómez Pérez" in text
    assert "Valid until" in text


def test_pdf_is_a4_landscape_and_one_page(app, make_user, issued_certificate):
    from app.certificates.storage import read_pdf

    reader = pypdf.PdfReader(io.BytesIO(read_pdf(issued_certificate(make_user("trainee")))))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width) * 25.4 / 72) == 297
    assert round(float(box.height) * 25.4 / 72) == 210


def test_long_names_titles_and_three_signatories_stay_on_one_page(app, make_user, make_course, make_certificate):
    from app.certificates.pdf import render_certificate_pdf

    name = "María de los Ángeles Guadalupe Hernández-Quispe de la Cruz Villanueva"
    title = ("Primeros Auxilios Psicológicos para trabajadores comunitarios de salud "
             "en emergencias humanitarias y desastres naturales")
    signatories = [{"name": "Dra. Lucía Gómez Pérez de la Fuente", "title": "Coordinadora clínica regional de salud mental"},
                   {"name": "Mtro. Ernesto Ruiz", "title": "Director de programas"},
                   {"name": "Lic. Ana Pérez", "title": "Supervisora"}]
    trainee = make_user("trainee", full_name=name)
    certificate = make_certificate(trainee, make_course(title), language="es", snapshot={
        "name": name, "course_title": title, "course_version": "2.1", "organisation_name": trainee.organisation.name,
        "signatories": signatories})
    with app.test_request_context("/"):
        reader = pypdf.PdfReader(io.BytesIO(render_certificate_pdf(certificate)))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Villanueva" in text and "desastres naturales" in text and "Lic. Ana Pérez" in text
    assert certificate.code in text


def test_pdf_is_in_the_certificates_language_not_the_requesters(app, make_user, make_course, issued_certificate):
    from app.certificates.storage import read_pdf

    course = make_course("Problem Management Plus", title_es="Manejo de Problemas Plus")
    certificate = issued_certificate(make_user("trainee"), course=course, language="es", valid_days=None)
    text = _pdf_text(read_pdf(certificate))
    assert "Manejo de Problemas Plus" in text
    assert re.search(r"\d{1,2} de \w+ de \d{4}", text)  # dates in Spanish: "23 de noviembre de 2026"


def test_qr_code_decodes_to_the_verification_url(app, make_user, issued_certificate):
    from app.certificates.storage import read_pdf

    certificate = issued_certificate(make_user("trainee"))
    url = _qr_from_pdf(read_pdf(certificate))
    assert url == f"{app.config['BASE_URL']}/verify/{certificate.token}"


def test_stored_pdf_checksum_is_recorded_and_checked(app, make_user, issued_certificate):
    import hashlib

    from app.certificates.storage import StoredFileMissing, pdf_file, read_pdf

    certificate = issued_certificate(make_user("trainee"))
    assert certificate.pdf_path.endswith(f"{certificate.code}.pdf")
    assert certificate.pdf_sha256 == hashlib.sha256(read_pdf(certificate)).hexdigest()
    pdf_file(certificate).write_bytes(b"%PDF-1.7 tampered")
    with pytest.raises(StoredFileMissing):
        read_pdf(certificate)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://example.org/logo.png", "https://127.0.0.1/x.css", "ftp://example.org/a",
])
def test_fetcher_refuses_anything_outside_the_template(app, url):
    from app.certificates.pdf import TemplateFetchError, template_fetcher, template_folder

    fetcher = template_fetcher(template_folder("default"))
    with pytest.raises((TemplateFetchError, ValueError)):
        fetcher.fetch(url)


def test_fetcher_serves_the_templates_own_files_and_data_urls(app):
    from app.certificates.pdf import TemplateFetchError, template_fetcher, template_folder

    folder = template_folder("default")
    fetcher = template_fetcher(folder)
    assert fetcher.fetch((folder / "fonts" / "NotoSans-Regular.ttf").as_uri()).read(4) == b"\x00\x01\x00\x00"
    assert fetcher.fetch("data:text/plain;base64,aG9sYQ==").read() == b"hola"
    with pytest.raises(TemplateFetchError):
        fetcher.fetch((folder / ".." / ".." / "README.md").resolve().as_uri())


def test_markup_in_a_name_is_printed_not_fetched(app, make_user, issued_certificate):
    from app.certificates.storage import read_pdf

    trainee = make_user("trainee", full_name='Ana <img src="file:///etc/passwd"> Ruiz')
    text = _pdf_text(read_pdf(issued_certificate(trainee)))
    assert 'Ana <img src="file:///etc/passwd"> Ruiz' in text


def test_unknown_template_is_refused(app):
    from app.certificates.pdf import template_folder

    for name in ("nope", "../app", "default/../../app"):
        with pytest.raises(LookupError):
            template_folder(name)


def test_missing_harfbuzz_subset_is_logged_once_at_first_render(app, monkeypatch, caplog, make_user,
                                                                make_certificate):
    import weasyprint.text.ffi

    from app.certificates import pdf

    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    monkeypatch.setitem(pdf._state, "checked_subsetting", False)
    certificate = make_certificate(make_user("trainee"))
    with caplog.at_level("WARNING", logger="app.certificates.pdf"):
        pdf.render_certificate_pdf(certificate)
        pdf.render_certificate_pdf(certificate)
    warnings = [r for r in caplog.records if "libharfbuzz-subset0" in r.getMessage()]
    assert len(warnings) == 1


def test_one_font_configuration_and_stylesheet_per_process(app, make_user, make_certificate):
    from app.certificates import pdf

    certificate = make_certificate(make_user("trainee"))
    pdf.render_certificate_pdf(certificate)
    fonts, sheets = pdf._state["font_config"], dict(pdf._state["stylesheets"])
    pdf.render_certificate_pdf(certificate)
    assert pdf._state["font_config"] is fonts
    assert pdf._state["stylesheets"] == sheets and len(sheets) == 1


def test_weasyprint_is_not_imported_when_the_app_starts(tmp_path):
    code = ("import sys\nfrom app import create_app\napp = create_app()\n"
            "app.test_client().get('/verify')\nprint('weasyprint' in sys.modules)")
    env = {**os.environ, "ACOMPANA_INSTANCE": str(tmp_path), "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                            cwd=str(Path(__file__).resolve().parents[1]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"

"""A certified trainee downloads her PDF; anyone who scans its QR code sees the public verification page,
and the printed code typed by hand leads to the same page. A revoked certificate says so.

Demo data (app/demo/certificates.py): Sofía is certified, Guadalupe's certificate was revoked.
"""
from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

import pypdf
import pypdfium2
import zxingcpp
from playwright.sync_api import expect

from tests.e2e.steps import _, heading, sign_in, sign_out

CERTIFIED = ("sofia.aguilar", "Sofía")
REVOKED = "guadalupe.ruiz"


def _open_my_certificate(watch, username: str):
    page = sign_in(watch, username)
    page.goto("/certificates/mine")
    expect(heading(page)).to_have_text(_("My path to certification"))
    watch.check()
    page.get_by_role("main").get_by_role("link", name=re.compile(r"ACO-")).first.click()
    watch.check()
    return page


def _qr_url(pdf: bytes) -> str:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code on the certificate"
    return found[0].text


def test_certificate_pdf_qr_and_public_verification(watch):
    page = _open_my_certificate(watch, CERTIFIED[0])
    download = page.get_by_role("link", name=_("Download the PDF"))
    pdf_path = download.get_attribute("href")
    answer = page.request.get(pdf_path)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = answer.body()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    code = re.search(r"ACO-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)
    assert CERTIFIED[1] in text

    scanned = urlsplit(_qr_url(pdf))
    assert re.fullmatch(r"/verify/[A-Za-z0-9_-]{22,}", scanned.path)  # 128 random bits or more
    assert pdf_path == scanned.path + ".pdf"
    sign_out(watch)

    page.goto(scanned.path)  # what a phone opens after scanning (BASE_URL points at the real host)
    expect(heading(page)).to_have_text(_("Certificate %(code)s", code=code))
    expect(page.get_by_role("status")).to_contain_text(_("Valid"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(CERTIFIED[1])
    expect(main).to_contain_text(code)
    expect(page.get_by_role("button", name=_("Sign out"))).to_have_count(0)
    watch.check()

    page.get_by_role("link", name=_("Check another certificate")).click()
    expect(heading(page)).to_have_text(_("Check a certificate"))
    watch.check()
    page.get_by_label(_("Certificate code")).fill(code.lower().replace("-", " "))
    page.get_by_role("button", name=_("Check"), exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(scanned.path) + "$"))
    expect(heading(page)).to_have_text(_("Certificate %(code)s", code=code))
    watch.check()

    page.get_by_role("link", name=_("Check another certificate")).click()
    page.get_by_label(_("Certificate code")).fill("ACO-0000-0000-0000")
    watch.expect_status(404)
    page.get_by_role("button", name=_("Check"), exact=True).click()
    expect(page.get_by_role("main")).to_contain_text(
        _("No certificate has this code. Check each character and try again."))
    watch.check()


def test_revoked_certificate_says_so(watch):
    page = sign_in(watch, REVOKED)
    page.goto("/certificates/mine")
    watch.check()
    links = page.get_by_role("main").get_by_role("link", name=re.compile(r"ACO-"))
    for index in range(links.count()):  # she may hold a newer certificate too: find the revoked one
        links.nth(index).click()
        watch.check()
        if _("Revoked on") in page.get_by_role("main").inner_text():
            break
        page.go_back()
    else:
        raise AssertionError("no revoked certificate among Guadalupe's")
    page.get_by_role("link", name=_("Public verification page")).click()
    expect(page.get_by_role("status")).to_contain_text(_("Revoked"))
    expect(page.get_by_role("link", name=_("Download the certificate (PDF)"))).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text(_("The PDF of a revoked certificate is no longer available."))
    watch.check()


def test_trainer_issues_all_eligible_in_the_background_and_downloads_the_zip(watch):
    """The in-process worker thread of the live server runs the job; the page refreshes itself without JS."""
    page = sign_in(watch, "trainer")
    page.get_by_role("link", name=re.compile("^" + re.escape(_("Certification")) + ".*PAP 2025")).click()
    watch.check()
    page.get_by_role("link", name=_("Issue all eligible in the background, as one ZIP of PDFs")).first.click()
    expect(heading(page)).to_have_text(_("Issue all eligible"))
    watch.check()
    eligible = int(re.search(r"(\d+)", page.get_by_role("main").get_by_role("listitem").first.inner_text()).group(1))
    page.get_by_role("button", name=_("Issue all eligible")).click()
    expect(heading(page)).to_have_text(_("Issuing certificates"))
    if eligible:
        download_link = page.get_by_role("link", name=_("Download all PDFs (ZIP)"))
        expect(download_link).to_be_visible(timeout=60_000)  # the Refresh header reloads the page meanwhile
        expect(page.get_by_role("status")).to_contain_text(
            _("%(done)d of %(total)d certificates done.", done=eligible, total=eligible))
        watch.check()
        with page.expect_download() as download:
            download_link.click()
        with zipfile.ZipFile(download.value.path()) as archive:
            assert len(archive.namelist()) == eligible
            assert all(name.startswith("ACO-") and name.endswith(".pdf") for name in archive.namelist())
    else:  # the other viewport's run (or another journey) already certified them
        expect(page.get_by_role("status")).to_have_text(_("No trainee was eligible, so no certificate was issued."))
        watch.check()

"""Certification journeys on the demo's PFA cohort (app/demo/certificates.py).

A trainee one lesson short opens "My path", follows it to her last lesson and marks it done: the
course issues automatically (in the background), she opens her certificate, downloads the PDF and
the public verification page its QR code points to. A trainer issues José's certificate from the
cohort page and revokes it with a reason. Both viewports share one server, and other journeys record
evidence that may certify José automatically first, so each step holds whatever ran before (José
becomes eligible again after a revocation).
"""
from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import _, flash, heading, sign_in, sign_out

PFA_COHORT = "PAP 2025 — Clínica Reforma"


@pytest.fixture(scope="module")
def cohort_id(live_server) -> int:
    path = live_server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (found,) = db.execute("SELECT id FROM cohorts WHERE name = ?", (PFA_COHORT,)).fetchone()
    return found


def _certified(page) -> bool:
    """My path, reloaded until the background issuing shows (a few seconds at most)."""
    for _attempt in range(40):
        page.goto("/certificates/mine")
        if page.get_by_text(_("Certified"), exact=True).count():
            return True
        page.wait_for_timeout(500)
    return False


def test_trainee_follows_my_path_gets_certified_and_downloads(watch):
    page = sign_in(watch, "teresa.moreno")
    page.get_by_role("link", name=_("My path to certification")).click()
    expect(heading(page)).to_have_text(_("My path to certification"))
    watch.check()
    next_lesson = page.get_by_role("link", name=_("Open the next lesson"))
    if next_lesson.count():  # the first viewport: her last lesson is still to do
        next_lesson.first.click()
        page.get_by_role("button", name=_("Mark as done")).click()
    assert _certified(page)
    watch.check()
    page.get_by_role("link", name=re.compile(re.escape(_("See my certificate %(code)s", code="")))).click()
    expect(heading(page)).to_contain_text("ACO-")
    for _attempt in range(40):  # issued in the background: the PDF follows the record within seconds
        if page.get_by_role("link", name=_("Download the PDF")).count():
            break
        expect(page.get_by_role("status").filter(has_text=_("The PDF is being prepared. Reload this page in a moment."))).to_be_visible()
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_text(_("Valid"), exact=True)).to_be_visible()
    watch.check()
    with page.expect_download() as download:
        page.get_by_role("link", name=_("Download the PDF")).click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name=_("Public verification page")).click()
    expect(page).to_have_url(re.compile(r"/verify/[\w-]+$"))
    expect(page.get_by_role("main")).to_contain_text("Teresa Moreno Castillo")
    watch.check()
    sign_out(watch)


def test_trainer_issues_then_revokes_with_a_reason(watch, cohort_id):
    page = sign_in(watch, "trainer")
    page.goto(f"/certificates/cohorts/{cohort_id}")
    expect(heading(page)).to_have_text(_("Certification: %(cohort)s", cohort=PFA_COHORT))
    watch.check()
    card = page.get_by_role("main").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="José López Domínguez", level=3))
    eligible = page.get_by_role("group", name=_("Issue certificates to eligible trainees"))
    if not eligible.get_by_label("José López Domínguez").count():  # certified automatically meanwhile
        _revoke(page, card)
        page.goto(f"/certificates/cohorts/{cohort_id}")
    eligible.get_by_label("José López Domínguez").check()
    page.get_by_role("button", name=_("Issue to the selected trainees")).click()
    expect(flash(page).first).to_contain_text(_("Certificates issued: %(count)d.", count=1))
    watch.check()
    _revoke(page, card, watch)


def _revoke(page, card, watch=None) -> None:
    card.get_by_role("link", name=re.compile(r"^ACO-")).first.click()
    page.get_by_role("link", name=_("Revoke this certificate")).click()
    expect(heading(page)).to_contain_text("ACO-")
    if watch:
        watch.check()
    page.get_by_label(_("Reason")).select_option(label=_("Issued in error"))
    page.get_by_label(_("What happened")).fill("Se emitió al trainee equivocado en la prueba.")
    page.get_by_role("button", name=_("Revoke"), exact=True).click()
    expect(page.get_by_text(_("Revoked"), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=_("Download the PDF"))).to_have_count(0)
    if watch:
        watch.check()

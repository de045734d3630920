"""Certification journeys on the demo's PFA cohort (app/demo/certificates.py).

A trainee who meets every requirement opens "My path": the course issues automatically, she opens
her certificate, downloads the PDF and the public verification page its QR code points to. A trainer
issues José's certificate from the cohort page and revokes it with a reason. Both viewports share one
server, so each step holds on a second run (José becomes eligible again after a revocation).
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


def test_trainee_follows_my_path_gets_certified_and_downloads(watch):
    page = sign_in(watch, "teresa.moreno")
    page.get_by_role("link", name=_("My path to certification")).click()
    expect(heading(page)).to_have_text(_("My path to certification"))
    expect(page.get_by_text(_("Certified"), exact=True).first).to_be_visible()
    watch.check()
    page.get_by_role("link", name=re.compile(re.escape(_("See my certificate %(code)s", code="")))).click()
    expect(heading(page)).to_contain_text("ACO-")
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
    page.get_by_role("group", name=_("Issue certificates to eligible trainees")).get_by_label(
        "José López Domínguez").check()
    page.get_by_role("button", name=_("Issue to the selected trainees")).click()
    expect(flash(page).first).to_contain_text(_("Certificates issued: %(count)d.", count=1))
    watch.check()
    card = page.get_by_role("main").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="José López Domínguez", level=3))
    card.get_by_role("link", name=re.compile(r"^ACO-")).click()
    page.get_by_role("link", name=_("Revoke this certificate")).click()
    expect(heading(page)).to_contain_text("ACO-")
    watch.check()
    page.get_by_label(_("Reason")).select_option(label=_("Issued in error"))
    page.get_by_label(_("What happened")).fill("Se emitió al trainee equivocado en la prueba.")
    page.get_by_role("button", name=_("Revoke"), exact=True).click()
    expect(page.get_by_text(_("Revoked"), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=_("Download the PDF"))).to_have_count(0)
    watch.check()

"""A trainer reads the demo cohort's PM+ pre/post comparison, downloads it, and looks at the pre-test's
questions; a supervisor reads the results of the trainees they supervise.

The demo data (app/demo/quiz_reports.py) has twelve trainees with a pre-test, ten of them with a
post-test too; the main demo trainee has taken neither. Nothing here changes data.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.steps import _, heading, open_main_nav, sign_in, sign_out

DEMO_COHORT = "PM+ Sierra 2026"
PRE_TEST = "Prueba inicial de PM+"
PM_PLUS_TITLE = "PM+ para ayudantes"
TRAINEES = 13


def starts_with(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text))


def test_trainer_reads_pre_post_and_item_analysis_supervisor_reads_results(watch):
    page = sign_in(watch, "trainer")
    open_main_nav(watch, _("Cohorts"))
    page.get_by_role("link", name=DEMO_COHORT, exact=True).click()
    expect(heading(page)).to_contain_text(DEMO_COHORT)
    watch.check()

    page.get_by_role("link", name=_("Quiz results"), exact=True).click()
    expect(heading(page)).to_have_text(_("Quiz results: %(cohort)s", cohort=DEMO_COHORT))
    watch.check()

    # Pre/post: ten of the thirteen trainees took both tests; the group gained.
    page.get_by_role("link", name=starts_with(_("Pre-test and post-test compared"))).click()
    expect(heading(page)).to_have_text(_("Pre-test and post-test: %(course)s", course=PM_PLUS_TITLE))
    stats = page.get_by_role("list", name=_("The group"))
    expect(stats).to_contain_text(f"10 / {TRAINEES}")
    table = page.get_by_role("region", name=_("Pre-test and post-test per trainee"))
    expect(table.get_by_role("row")).to_have_count(TRAINEES + 1)
    expect(table.get_by_role("row", name=re.compile("^Rosa Vázquez Gómez"))).to_contain_text("+")
    watch.check()
    with page.expect_download() as download:
        page.get_by_role("link", name=_("Download as CSV")).click()
    with open(download.value.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\xef\xbb\xbf") and "Rosa Vázquez Gómez".encode() in data

    # The pre-test's item analysis, then one question's responses.
    page.get_by_role("navigation", name=_("Breadcrumb")).get_by_role("link", name=_("Quiz results")).click()
    page.get_by_role("row", name=starts_with(PRE_TEST)).get_by_role("link", name=starts_with(_("Questions"))).click()
    expect(heading(page)).to_have_text(_("Item analysis: %(quiz)s", quiz=PRE_TEST))
    expect(page.get_by_role("list", name=_("The whole quiz"))).to_contain_text("12")
    questions = page.get_by_role("region", name=_("Statistics per question"))
    expect(questions.get_by_role("row")).to_have_count(24 + 1)
    watch.check()
    questions.get_by_role("link", name="PMP-01", exact=True).click()
    expect(heading(page)).to_have_text(_("Question %(key)s", key="PMP-01"))
    expect(page.get_by_role("heading", name=_("Responses"), level=2)).to_be_visible()
    watch.check()
    sign_out(watch)

    # The supervisor reaches the same cohort and sees the results of their supervisees.
    page = sign_in(watch, "supervisor")
    page.get_by_role("link", name=DEMO_COHORT, exact=True).first.click()
    page.get_by_role("link", name=_("Quiz results"), exact=True).click()
    page.get_by_role("link", name=PRE_TEST, exact=True).click()
    expect(heading(page)).to_have_text(_("Results: %(quiz)s", quiz=PRE_TEST))
    expect(page.get_by_role("main")).to_contain_text(
        _("You see only the trainees you supervise. The figures are for them alone."))
    expect(page.get_by_role("link", name=_("Item analysis"))).to_have_count(0)
    watch.check()

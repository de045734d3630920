"""A trainee takes a PM+ test, loses the connection mid-way (a reload), finds her answers and her place,
submits and reads the feedback.

Both viewports share one server and the pre-test allows one attempt, so the desktop run takes the
pre-test and the phone run the post-test (same blueprint, three attempts).
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.steps import _, heading, ngettext, open_main_nav, sign_in

PM_PLUS_TITLE = "PM+ para ayudantes"
TESTS = {"desktop": "Prueba inicial de PM+", "phone": "Prueba final de PM+"}
QUESTIONS = 24


def test_trainee_takes_a_test_resumes_after_a_reload_and_reads_feedback(watch, viewport):
    quiz_title = TESTS[viewport]
    page = sign_in(watch, "trainee")
    open_main_nav(watch, _("My courses"))
    page.get_by_role("main").get_by_role("link", name=PM_PLUS_TITLE, exact=True).click()
    expect(heading(page)).to_have_text(PM_PLUS_TITLE)
    tests = page.get_by_role("region", name=_("Tests"))
    expect(tests).to_contain_text(_("Not started"))
    watch.check()

    tests.get_by_role("link", name=quiz_title, exact=True).click()
    expect(heading(page)).to_have_text(quiz_title)
    watch.check()
    page.get_by_role("button", name=_("Start the quiz")).click()

    # Question 1: choose the first answer and go on (Next saves it on the server).
    expect(page.get_by_text(_("Page %(page)d of %(pages)d", page=1, pages=QUESTIONS))).to_be_visible()
    first = page.get_by_role("group", name=re.compile("^" + re.escape(_("Question %(n)d", n=1))))
    first.get_by_role("radio").first.check()
    watch.check()
    page.get_by_role("button", name=_("Next"), exact=True).click()

    # Question 2: the answer is saved by the page's script as soon as it is chosen ("Saved").
    expect(page.get_by_text(_("Page %(page)d of %(pages)d", page=2, pages=QUESTIONS))).to_be_visible()
    second = page.get_by_role("group", name=re.compile("^" + re.escape(_("Question %(n)d", n=2))))
    second.get_by_role("radio").first.check()
    expect(second.get_by_role("status")).to_have_text(_("Saved"))
    watch.check()

    # The connection drops; she comes back: same question, same answer.
    page.reload()
    expect(page.get_by_text(_("Page %(page)d of %(pages)d", page=2, pages=QUESTIONS))).to_be_visible()
    second = page.get_by_role("group", name=re.compile("^" + re.escape(_("Question %(n)d", n=2))))
    expect(second.get_by_role("radio").first).to_be_checked()
    watch.check()
    page.get_by_role("button", name=_("Previous"), exact=True).click()
    first = page.get_by_role("group", name=re.compile("^" + re.escape(_("Question %(n)d", n=1))))
    expect(first.get_by_role("radio").first).to_be_checked()
    watch.check()

    # To the last page, finish, check the summary and submit.
    page.get_by_role("navigation", name=_("Pages of the quiz")).get_by_role(
        "button", name=_("Page %(n)d", n=QUESTIONS), exact=True).click()
    expect(page.get_by_text(_("Page %(page)d of %(pages)d", page=QUESTIONS, pages=QUESTIONS))).to_be_visible()
    page.get_by_role("button", name=_("Finish the attempt…")).click()
    expect(heading(page)).to_have_text(_("Before you submit"))
    expect(page.get_by_role("main")).to_contain_text(ngettext(
        "%(num)d question has no answer yet.", "%(num)d questions have no answer yet.", QUESTIONS - 2))
    watch.check()
    page.get_by_role("button", name=_("Submit all my answers")).click()

    # The review: score, result, and per question the answer given, the right answer and the feedback.
    expect(heading(page)).to_have_text(_("Your attempt %(n)d", n=1))
    expect(page.get_by_role("status")).to_contain_text(_("Your answers have been submitted."))
    expect(page.get_by_role("main")).to_contain_text(_("Score"))
    expect(page.get_by_role("main")).to_contain_text(_("Not passed yet"))
    expect(page.get_by_role("heading", name=_("Question %(n)d", n=QUESTIONS), level=2)).to_be_visible()
    expect(page.get_by_text(_("The right answer:")).first).to_be_visible()
    watch.check()

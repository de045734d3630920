"""A trainee logs a practice session on their phone; their supervisor verifies it from the queue.

Both viewports run against one server, so each uses its own client code.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.steps import DEMO_NAMES, _, flash, heading, sign_in, sign_out


def test_trainee_logs_a_session_and_the_supervisor_verifies_it(watch):
    code = "CH-0902" if watch.phone else "CH-0901"
    page = sign_in(watch, "trainee")
    page.get_by_role("main").get_by_role("link", name=_("My practice"), exact=True).click()
    expect(heading(page)).to_have_text(_("My practice"))
    expect(page.get_by_role("main")).to_contain_text("CH-0101")  # the demo case in progress
    watch.check()

    page.get_by_role("link", name=_("Log a session"), exact=True).click()
    expect(heading(page)).to_have_text(_("Log a session"))
    watch.check()
    page.get_by_label(_("Client code")).fill(code.lower())
    page.get_by_role("radio", name=_("PM+ (Problem Management Plus)")).check()
    page.get_by_label(_("Session number")).fill("1")
    page.get_by_label(_("Date of the session")).fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_label(_("Duration (minutes)")).fill("75")
    page.get_by_role("radio", name=_("Home visit")).check()
    page.get_by_role("checkbox", name=_("No risk seen")).check()
    page.get_by_label(_("PSYCHLOPS before (0–20, optional)")).fill("14")
    page.get_by_label(_("Notes for your supervisor (optional)")).fill("Practicamos la respiración lenta.")
    page.get_by_role("button", name=_("Send to my supervisor")).click()

    expect(flash(page)).to_have_text(_("Sent to your supervisor."))
    expect(heading(page)).to_have_text(_("Session %(number)s with %(code)s", number=1, code=code))
    expect(page.get_by_role("main")).to_contain_text(_("Waiting for verification"))
    watch.check()
    sign_out(watch)

    page = sign_in(watch, "supervisor")
    page.get_by_role("main").get_by_role("link", name=_("Practice to verify"), exact=True).click()
    expect(heading(page)).to_have_text(_("Practice to verify"))
    watch.check()
    review = re.compile("^" + re.escape(_("Review")) + r".*" + re.escape(code))
    page.get_by_role("link", name=review).click()
    expect(heading(page)).to_have_text(_("Session %(number)s with %(code)s", number=1, code=code))
    expect(page.get_by_role("main")).to_contain_text(DEMO_NAMES["trainee"])
    expect(page.get_by_role("main")).to_contain_text("Practicamos la respiración lenta.")
    watch.check()
    page.get_by_label(_("Comment for the trainee")).fill("Bien registrado.")
    page.get_by_role("button", name=_("Verify"), exact=True).click()

    expect(flash(page)).to_have_text(_("Entry verified."))
    expect(heading(page)).to_have_text(_("Practice to verify"))
    expect(page.get_by_role("link", name=review)).to_have_count(0)
    watch.check()
    page.get_by_role("link", name=code, exact=True).click()
    expect(heading(page)).to_have_text(_("Case %(code)s", code=code))
    expect(page.get_by_role("main")).to_contain_text(_("Verified"))
    watch.check()

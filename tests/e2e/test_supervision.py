"""A supervisor logs a group session with two cases, one at high risk; the connection drops mid-way
(the page is reloaded), the draft comes back, the record is submitted; the supervisee acknowledges it.

Both viewports run against one server, so each run logs its own new session and finds it by its
client codes (different per viewport).
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.steps import _, flash, heading, sign_in, sign_out

SUPERVISEES = ["María López Hernández", "Rosa Vázquez Gómez"]


def test_supervisor_logs_a_group_session_and_the_supervisee_acknowledges(watch, viewport):
    codes = ("E2E-101", "E2E-102") if viewport == "desktop" else ("E2E-201", "E2E-202")
    page = sign_in(watch, "supervisor")
    page.get_by_role("link", name=_("Log a supervision session")).first.click()
    expect(heading(page)).to_have_text(_("Log a supervision session"))
    watch.check()

    for name in SUPERVISEES:
        page.get_by_role("checkbox", name=name, exact=True).check()
    page.get_by_label(_("Format")).select_option("group")
    page.get_by_label(_("Duration in minutes")).fill("90")
    page.get_by_role("button", name=_("Continue")).click()
    expect(heading(page)).to_have_text(_("Supervision record (draft)"))
    watch.check()

    # The first case, typed and saved as typed (draft.js).
    page.get_by_role("checkbox", name=_("Case review")).check()
    page.get_by_label(_("Notes"), exact=True).fill("Revisamos dos casos del grupo.")
    case = page.get_by_role("group", name=_("Case %(n)d", n=1))
    case.get_by_label(_("Whose case")).select_option(label=SUPERVISEES[0])
    case.get_by_label(_("Client code")).fill(codes[0])
    case.get_by_label(_("Summary")).fill("Ideas de muerte en la última semana.")
    case.get_by_label(_("Risk level")).select_option("high")
    with page.expect_response(lambda r: r.url.endswith("/autosave") and r.status == 200):
        case.get_by_label(_("What was done")).fill("Plan de seguridad y cita con la psicóloga.")

    # The second case needs another row: the button saves the draft and adds one (no JS needed).
    page.get_by_role("button", name=_("Add another case")).click()
    expect(page.get_by_role("group", name=_("Case %(n)d", n=2))).to_be_visible()
    watch.check()

    # The connection drops while the second case is typed; then the page is reloaded.
    page.context.set_offline(True)
    second = page.get_by_role("group", name=_("Case %(n)d", n=2))
    second.get_by_label(_("Whose case")).select_option(label=SUPERVISEES[1])
    second.get_by_label(_("Client code")).fill(codes[1])
    second.get_by_label(_("Summary")).fill("Duelo reciente, duerme mejor.")
    expect(page.get_by_text(re.compile(re.escape(_(
        "No connection. Your changes are kept on this device and will be saved when the connection is back."))))
    ).to_be_visible(timeout=15_000)
    watch.problems[:] = [p for p in watch.problems if "ERR_INTERNET_DISCONNECTED" not in p]  # expected: offline
    page.context.set_offline(False)
    page.reload()
    expect(heading(page)).to_have_text(_("Supervision record (draft)"))
    second = page.get_by_role("group", name=_("Case %(n)d", n=2))
    expect(second.get_by_label(_("Client code"))).to_have_value(codes[1])
    expect(page.get_by_role("group", name=_("Case %(n)d", n=1)).get_by_label(_("Client code"))).to_have_value(codes[0])
    watch.check()

    page.get_by_role("button", name=_("Submit the record")).click()
    expect(heading(page)).to_have_text(re.compile(re.escape(_("Supervision of %(date)s", date="x").split("x")[0])))
    expect(page.get_by_text(_("The clinical lead has been alerted to the case at high or imminent risk."))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(codes[0]))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(codes[1]))).to_be_visible()
    watch.check()
    record_url = page.url
    sign_out(watch)

    # The supervisee reads and acknowledges the record.
    page = sign_in(watch, "trainee")
    page.goto(record_url)
    expect(page.get_by_text(_("Please read this record. If it is right, acknowledge it. If something is wrong, "
                              "tell your supervisor."))).to_be_visible()
    watch.check()
    page.get_by_role("button", name=_("I have read this record")).click()
    expect(flash(page)).to_have_text(_("Thank you. You have acknowledged this supervision record."))
    watch.check()

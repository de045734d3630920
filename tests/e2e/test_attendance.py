"""A supervisor takes attendance for a training day already held, and the summary shows the new figures.

Both viewports run against one server, so the journey sets the same marks each time and checks
absolute figures: the demo data (app/demo) plus these marks.
"""
from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import _, flash, heading, sign_in

DEMO_COHORT = "PM+ Sierra 2026"
DEMO_TRAINEES = 13
DAY_TOPIC = "Get Going Keep Doing and Social Support"  # held a week ago; Pedro excused, José absent
MARKS = {  # trainee: (status, note)
    "Rosa Vázquez Gómez": ("Absent", None),
    "Juana Díaz Morales": ("Excused", "Cita médica de su mamá"),
    "Pedro Ramírez Cruz": ("Present", None),  # was excused in the demo data
}
# The three held days after these marks: (present, absent, excused, not recorded, attendance rate)
SUMMARY = {
    "Rosa Vázquez Gómez": ("2", "1", "0", "0", r"67\s?%"),   # 2 ÷ 3
    "Juana Díaz Morales": ("2", "0", "1", "0", r"100\s?%"),  # 2 ÷ (3 − 1)
    "Pedro Ramírez Cruz": ("2", "1", "0", "0", r"67\s?%"),   # absent on the first day
    "José López Domínguez": ("2", "1", "0", "0", r"67\s?%"),  # untouched: absent on this day
}


@pytest.fixture(scope="module")
def cohort_id(live_server) -> int:
    """The demo cohort's id. A supervisor's home page lists supervisees but links to no cohort page."""
    path = live_server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (found,) = db.execute("SELECT id FROM cohorts WHERE name = ?", (DEMO_COHORT,)).fetchone()
    return found


def day_card(page: Page, topic: str):
    return page.get_by_role("main").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=topic, level=3))


def as_pattern(message: str) -> re.Pattern:
    """A translated message with %(name)d placeholders, as a pattern matching any numbers."""
    parts = re.split(r"%\(\w+\)d", message)
    return re.compile(r"\d+".join(re.escape(part) for part in parts))


def test_supervisor_takes_attendance_and_sees_the_summary(watch, cohort_id):
    page = sign_in(watch, "supervisor")
    page.goto(f"/cohorts/{cohort_id}/days")
    expect(heading(page)).to_have_text(_("Training days"))
    held = page.get_by_role("region", name=re.compile("^" + re.escape(_("Held"))))
    expect(held).to_contain_text(DAY_TOPIC)
    watch.check()

    # The attendance sheet of a day already held.
    card = day_card(page, DAY_TOPIC)
    card.get_by_role("link", name=re.compile("^" + re.escape(_("Take attendance")))).click()
    expect(heading(page)).to_have_text(_("Attendance: %(topic)s", topic=DAY_TOPIC))
    rows = page.get_by_role("main").get_by_role("group")
    expect(rows).to_have_count(DEMO_TRAINEES)
    watch.check()

    for name, (status, note) in MARKS.items():
        row = page.get_by_role("group", name=name, exact=True)
        row.get_by_role("radio", name=_(status), exact=True).check()
        if note:
            row.get_by_label(re.compile("^" + re.escape(_("Note (optional)")))).fill(note)
    page.get_by_role("button", name=_("Save attendance")).click()

    # Back on the training days, with this day's new counts.
    expect(flash(page)).to_have_text(as_pattern(_(
        "Attendance saved: %(recorded)d new, %(changed)d changed, %(unchanged)d unchanged.")))
    expect(heading(page)).to_have_text(_("Training days"))
    card = day_card(page, DAY_TOPIC)
    for label, count in (("Present: %(n)d", 10), ("Absent: %(n)d", 2), ("Excused: %(n)d", 1),
                         ("Not recorded: %(n)d", 0)):
        expect(card).to_contain_text(_(label, n=count))
    watch.check()

    # The sheet remembers the marks and the note.
    card.get_by_role("link", name=re.compile("^" + re.escape(_("Take attendance")))).click()
    for name, (status, note) in MARKS.items():
        row = page.get_by_role("group", name=name, exact=True)
        expect(row.get_by_role("radio", name=_(status), exact=True)).to_be_checked()
        if note:
            expect(row.get_by_label(re.compile("^" + re.escape(_("Note (optional)"))))).to_have_value(note)
    watch.check()

    # The attendance summary: counts and percentages per trainee.
    page.get_by_role("link", name=_("Training days: %(cohort)s", cohort=DEMO_COHORT)).click()
    expect(heading(page)).to_have_text(_("Training days"))
    watch.check()
    page.get_by_role("link", name=_("Attendance summary")).click()
    expect(heading(page)).to_have_text(_("Attendance summary: %(cohort)s", cohort=DEMO_COHORT))
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + DEMO_TRAINEES)
    for name, figures in SUMMARY.items():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
        cells = row.get_by_role("cell")
        expect(cells).to_have_count(5)
        for index, figure in enumerate(figures):
            expect(cells.nth(index)).to_have_text(re.compile(rf"^\s*{figure}\s*$"))
    watch.check()

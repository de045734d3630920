"""The trainee reads her skills feedback; the trainer opens the cohort's heat map and the calibration report.

Reads only: the demo data (app/demo/competencies.py) gives María pre, mid and post ratings, and the
cohort a calibration session of three raters in which the third needs re-training.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.steps import _, heading, sign_in

DEMO_COHORT = "PM+ Sierra 2026"
TOOL = "Habilidades básicas de ayuda"  # the tool's name in Spanish (content, not UI text)


def test_trainee_reads_her_skills_feedback(watch):
    page = sign_in(watch, "trainee")
    page.get_by_role("link", name=_("My skills feedback")).click()
    expect(heading(page)).to_have_text(_("My skills feedback"))
    expect(page.get_by_role("heading", name=TOOL, level=2)).to_be_visible()
    chart = page.get_by_role("img", name=re.compile(re.escape(TOOL)))
    expect(chart).to_be_visible()
    expect(page.get_by_role("table", name=_("Level per item and round"))).to_be_visible()
    latest = page.get_by_role("region", name=re.compile("^" + re.escape(_("After training"))))
    expect(latest.get_by_role("heading", name=re.compile(r"^" + re.escape(_("Strengths"))))).to_be_visible()
    expect(latest).to_contain_text(_("To work on"))
    watch.check()

    # The rating journey may have added a round for this trainee, so the count is not fixed.
    page.get_by_text(re.compile(r"^(?:Rondas anteriores|Earlier rounds) \(\d+\)")).first.click()  # a plural msgid
    before = page.get_by_role("region", name=re.compile("^" + re.escape(_("Before training")))).first
    expect(before).to_contain_text(_("Stop doing:"))
    expect(before).to_contain_text(_("To reach level %(level)d:", level=3))
    watch.check()


def test_trainer_opens_the_heat_map_and_the_calibration_report(watch):
    page = sign_in(watch, "trainer")
    page.get_by_role("link", name=re.compile("^" + re.escape(_("Skills heat map")) + ".*" + re.escape(DEMO_COHORT))).first.click()
    expect(heading(page)).to_have_text(_("Skills heat map: %(cohort)s", cohort=DEMO_COHORT))
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + 13)
    expect(table).to_contain_text(_("Open harm flag"))
    watch.check()

    page.get_by_label(_("Round")).select_option("pre")
    page.get_by_role("button", name=_("Show")).click()
    expect(page.get_by_role("table")).to_contain_text(_("Before training"))
    watch.check()

    page.get_by_role("navigation", name=_("Skills reports")).get_by_role("link", name=_("Group progress")).click()
    expect(heading(page)).to_have_text(_("Group progress: %(cohort)s", cohort=DEMO_COHORT))
    watch.check()

    page.get_by_role("navigation", name=_("Skills reports")).get_by_role("link", name=_("Calibration")).click()
    expect(heading(page)).to_have_text(_("Rater calibration: %(cohort)s", cohort=DEMO_COHORT))
    # The rating journey may have rated with another tool, which the reports then show first.
    page.get_by_label(_("Competency tool")).select_option(label=TOOL)
    page.get_by_role("button", name=_("Show")).click()
    watch.check()
    page.get_by_role("link", name=re.compile("^Calibración: ")).click()  # the session, not the menu
    expect(heading(page)).to_contain_text("Calibración")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Laura Ríos Castañeda"))
    expect(row).to_contain_text(_("Needs re-training"))
    watch.check()

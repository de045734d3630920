"""A supervisor draws a scenario, rates a trainee with a harmful behaviour, reloads mid-way and finds the
draft, submits, and sees the harm flag. Also: rating.js derives the same level as Python for every case."""
from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

from playwright.sync_api import expect

from app.competencies.levels import derive_level
from tests.e2e.steps import _, heading, sign_in

PACK = tomllib.loads((Path(__file__).resolve().parents[2] / "competencies" / "pm-plus-strategy-skills.toml")
                     .read_text(encoding="utf-8"))
TOOL_NAME = PACK["name"]["es"]
TRAINEE = "Rosa Vázquez Gómez"
FIRST_HARMFUL = next(b["es"] for b in PACK["items"][0]["behaviours"] if b["group"] == "harmful")


def test_supervisor_rates_with_a_harmful_behaviour_and_sees_the_flag(watch):
    page = sign_in(watch, "supervisor")
    page.get_by_role("row").filter(has_text=TRAINEE).get_by_role("link", name=re.compile("^" + _("Rate"))).click()
    expect(heading(page)).to_have_text(_("Rate a trainee"))
    watch.check()
    expect(page.get_by_label(_("Trainee"))).to_have_value(re.compile(r"\d+"))
    page.get_by_label(_("Competency tool")).select_option(label=TOOL_NAME)
    page.get_by_role("button", name=_("Start rating")).click()

    expect(heading(page)).to_have_text(_("Rating: %(name)s", name=TRAINEE))
    page.get_by_text(_("Instructions for the actor")).click()  # the drawn scenario, in a <details>
    watch.check()
    items = page.locator("fieldset[data-item]")
    expect(items).to_have_count(len(PACK["items"]))
    first = items.nth(0)
    first.get_by_role("checkbox", name=re.compile(re.escape(FIRST_HARMFUL[:40]))).check()
    expect(first.locator("[data-level-badge]")).to_contain_text("1")
    expect(page.locator("[data-save-status]")).to_have_text(_("Draft saved."))

    page.reload()  # the draft survives a reload
    first = page.locator("fieldset[data-item]").nth(0)
    expect(first.get_by_role("checkbox", name=re.compile(re.escape(FIRST_HARMFUL[:40])))).to_be_checked()
    expect(first.locator("[data-level-badge]")).to_contain_text("1")
    watch.check()

    for index in range(1, len(PACK["items"])):
        item = page.locator("fieldset[data-item]").nth(index)
        item.get_by_role("checkbox", name=_("None of these behaviours seen")).check()
        expect(item.locator("[data-level-badge]")).to_contain_text("2")
    # Not observed clears the ticks of its item (they exclude each other), and back.
    last = page.locator("fieldset[data-item]").nth(len(PACK["items"]) - 1)
    last.get_by_role("checkbox", name=_("Not observed or not applicable")).check()
    expect(last.get_by_role("checkbox", name=_("None of these behaviours seen"))).not_to_be_checked()
    expect(last.locator("[data-level-badge]")).to_have_text(_("Not observed"))
    expect(page.locator("[data-save-status]")).to_have_text(_("Draft saved."))
    page.get_by_role("button", name=_("Submit the assessment")).click()

    expect(heading(page)).to_have_text(_("Assessment: %(name)s", name=TRAINEE))
    expect(page.get_by_text(_("Harm flag open"))).to_be_visible()
    watch.check()
    page.get_by_role("link", name=re.compile(re.escape(PACK["items"][0]["code"]))).first.click()
    expect(heading(page)).to_have_text(_("Harm flag: %(name)s", name=TRAINEE))
    expect(page.get_by_text(FIRST_HARMFUL)).to_be_visible()
    watch.check()


def test_rating_js_derives_the_same_level_as_python(watch):
    page = watch.page
    page.goto("/login")
    watch.check()
    src = page.locator("link[rel=stylesheet]").get_attribute("href").replace("css/app.css", "js/rating.js")
    page.add_script_tag(url=src.split("?")[0])
    cases = []
    for harmful, basic_total, advanced, not_observed in itertools.product(range(4), range(5), range(4), (False, True)):
        for basic_seen in range(basic_total + 1):
            try:
                expected = derive_level(harmful, basic_seen, basic_total, advanced, not_observed)
            except ValueError:
                expected = "error"
            cases.append([harmful, basic_seen, basic_total, advanced, not_observed, expected])
    got = page.evaluate("""cases => cases.map(c => {
        try { return window.AcompanaRating.deriveLevel(c[0], c[1], c[2], c[3], c[4]); }
        catch (e) { return "error"; } })""", cases)
    assert len(cases) > 300
    assert got == [c[5] for c in cases]

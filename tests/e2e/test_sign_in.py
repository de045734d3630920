"""Each demo role signs in, lands on its own home page and signs out; a wrong password is refused."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.steps import DEMO_NAMES, _, ngettext, open_sign_in, sign_in, sign_out, submit_credentials

DEMO_ORGANISATION = "Compañeros en Salud (demo)"
DEMO_COHORT = "PM+ Sierra 2026"
DEMO_TRAINEES = 13


def region(page: Page, heading: str) -> Locator:
    return page.get_by_role("region", name=heading)


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name=_("Main"))


def stat(figures: Locator, label: str, count: str) -> None:
    """One figure of the organisation summary, e.g. '2' above 'sites'."""
    item = figures.filter(has_text=re.compile(re.escape(label) + r"\s*$"))
    expect(item).to_have_text(re.compile(rf"^\s*{count}\s*{re.escape(label)}\s*$"))


def admin_home(page: Page) -> None:
    summary = region(page, _("Organisation: %(name)s", name=DEMO_ORGANISATION))
    expect(summary).to_be_visible()
    figures = summary.get_by_role("listitem")
    stat(figures, _("trainees"), r"\d+")  # the import journey adds trainees to the same server
    stat(figures, _("supervisors"), "2")  # the demo supervisor and the third calibration rater
    stat(figures, _("trainers"), "1")
    stat(figures, _("administrators"), "1")
    stat(figures, _("sites"), "2")
    expect(summary.get_by_role("link", name=_("Import users"))).to_be_visible()
    expect(main_nav(page).get_by_role("link", name=_("Users"), exact=True)).to_be_visible()


def trainer_home(page: Page) -> None:
    cohorts = region(page, _("My cohorts"))
    expect(cohorts).to_be_visible()
    card = cohorts.get_by_role("listitem").filter(has=page.get_by_role("link", name=DEMO_COHORT))
    expect(card).to_contain_text("Clínica Laguna del Cofre")
    expect(card).to_contain_text(ngettext("%(num)d trainee", "%(num)d trainees", DEMO_TRAINEES))
    expect(card).to_contain_text(ngettext("%(num)d supervisor", "%(num)d supervisors", 1))
    expect(main_nav(page).get_by_role("link", name=_("Cohorts"))).to_be_visible()
    expect(main_nav(page).get_by_role("link", name=_("Users"), exact=True)).to_have_count(0)


def supervisor_home(page: Page) -> None:
    supervisees = region(page, _("My supervisees"))
    expect(supervisees).to_be_visible()
    table = supervisees.get_by_role("table")
    for name in ("María López Hernández", "Rosa Vázquez Gómez", "Patricia Cruz Espinosa"):
        expect(table.get_by_role("row").filter(has_text=name)).to_contain_text(DEMO_COHORT)
    expect(table.get_by_role("row")).to_have_count(1 + DEMO_TRAINEES)
    expect(main_nav(page).get_by_role("link", name=_("Cohorts"))).to_have_count(0)


def trainee_home(page: Page) -> None:
    training = region(page, _("My training"))
    expect(training).to_be_visible()
    expect(training.get_by_role("heading", name=DEMO_COHORT)).to_be_visible()
    expect(training).to_contain_text(f"{_('Your supervisor:')} {DEMO_NAMES['supervisor']}")
    expect(region(page, _("My supervisees"))).to_have_count(0)
    expect(main_nav(page).get_by_role("link", name=_("Cohorts"))).to_have_count(0)


HOMES = {"admin": admin_home, "trainer": trainer_home, "supervisor": supervisor_home, "trainee": trainee_home}


@pytest.mark.parametrize("role", list(HOMES))
def test_role_signs_in_sees_home_and_signs_out(watch, role):
    page = sign_in(watch, role)
    expect(page.get_by_role("banner")).to_contain_text(DEMO_NAMES[role])
    HOMES[role](page)

    sign_out(watch)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name=_("Sign out"))).to_have_count(0)
    watch.check()


def test_wrong_password_shows_error(watch):
    watch.expect_status(401)
    page = open_sign_in(watch)
    submit_credentials(page, "trainee", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(_("The username or password is not correct."))
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Sign in"))
    expect(page.get_by_label(_("Username or email"))).to_have_value("trainee")
    expect(page.get_by_label(_("Password"), exact=True)).to_have_value("")
    expect(page.get_by_role("button", name=_("Sign out"))).to_have_count(0)
    watch.check()

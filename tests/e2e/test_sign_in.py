"""Each demo role signs in, lands on its own home page and signs out; a wrong password is refused."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import DEMO_NAMES, open_sign_in, sign_in, sign_out, submit_credentials

DEMO_COHORT = "PM+ Sierra 2026"


def region(page: Page, heading: str):
    return page.get_by_role("region", name=heading)


def admin_home(page: Page) -> None:
    stats = region(page, "Organisation: Compañeros en Salud (demo)")
    expect(stats).to_be_visible()
    figures = stats.get_by_role("listitem")
    expect(figures.filter(has_text=re.compile(r"trainees$"))).to_have_text(re.compile(r"^\s*(1[3-9]|[2-9]\d)\s*trainees\s*$"))
    expect(figures.filter(has_text=re.compile(r"supervisors$"))).to_have_text(re.compile(r"^\s*1\s*supervisors\s*$"))
    expect(figures.filter(has_text=re.compile(r"trainers$"))).to_have_text(re.compile(r"^\s*1\s*trainers\s*$"))
    expect(figures.filter(has_text=re.compile(r"sites$"))).to_have_text(re.compile(r"^\s*2\s*sites\s*$"))
    expect(stats.get_by_role("link", name="Import users")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")).to_be_visible()


def trainer_home(page: Page) -> None:
    cohorts = region(page, "My cohorts")
    expect(cohorts).to_be_visible()
    card = cohorts.get_by_role("listitem").filter(has=page.get_by_role("link", name=DEMO_COHORT))
    expect(card).to_contain_text("Clínica Laguna del Cofre")
    expect(card).to_contain_text(re.compile(r"\d+ trainees · 1 supervisor"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")).to_have_count(0)


def supervisor_home(page: Page) -> None:
    supervisees = region(page, "My supervisees")
    expect(supervisees).to_be_visible()
    table = supervisees.get_by_role("table")
    for name in ("María López Hernández", "Rosa Vázquez Gómez", "Patricia Cruz Espinosa"):
        expect(table.get_by_role("row").filter(has_text=name)).to_contain_text(DEMO_COHORT)
    expect(table.get_by_role("row")).to_have_count(14)  # header + 13 trainees
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts")).to_have_count(0)


def trainee_home(page: Page) -> None:
    training = region(page, "My training")
    expect(training).to_be_visible()
    expect(training.get_by_role("heading", name=DEMO_COHORT)).to_be_visible()
    expect(training).to_contain_text(f"Your supervisor: {DEMO_NAMES['supervisor']}")
    expect(page.get_by_role("region", name="My supervisees")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts")).to_have_count(0)


HOMES = {"admin": admin_home, "trainer": trainer_home, "supervisor": supervisor_home, "trainee": trainee_home}


@pytest.mark.parametrize("role", list(HOMES))
def test_role_signs_in_sees_home_and_signs_out(watch, role):
    page = sign_in(watch, role)
    expect(page.get_by_role("banner")).to_contain_text(DEMO_NAMES[role])
    HOMES[role](page)

    sign_out(watch)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    watch.check()


def test_wrong_password_shows_error(watch):
    watch.expect_status(401)
    page = open_sign_in(watch)
    submit_credentials(page, "trainee", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("The username or password is not correct.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Username or email")).to_have_value("trainee")
    expect(page.get_by_label("Password")).to_have_value("")
    watch.check()

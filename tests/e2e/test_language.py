"""The footer language switch changes the interface language, and the choice survives signing in."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.steps import DEMO_NAMES, DEMO_PASSWORD, _, open_sign_in


def choose_language(page: Page, label: str, language: str) -> None:
    footer = page.get_by_role("contentinfo")
    footer.get_by_label(label).select_option(label=language)
    footer.get_by_role("button").click()


def expect_language(page: Page, lang: str, why: str = "") -> None:
    expect(page.locator("html"), why).to_have_attribute("lang", lang)


def test_language_switch_changes_ui_and_persists_after_sign_in(watch):
    page = open_sign_in(watch)
    expect_language(page, "es", "the browser asks for Spanish, so the sign-in page is in Spanish")

    choose_language(page, _("Language"), "English")
    expect(page).to_have_url(re.compile(r"/login"))
    expect_language(page, "en", "the footer switch changes the language")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("contentinfo").get_by_label("Language")).to_have_value("en")
    watch.check()

    page.get_by_label("Username or email").fill("trainee")  # the page is in English now
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect_language(page, "en", "the language chosen before signing in is kept after signing in")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {DEMO_NAMES['trainee']}")
    expect(page.get_by_role("heading", name="My training")).to_be_visible()
    watch.check()

    choose_language(page, "Language", "Español")
    expect_language(page, "es", "signed in, the footer switch changes the language back")
    expect(page.get_by_role("heading", name=_("My training"))).to_be_visible()
    if _("My training") != "My training":  # a compiled Spanish catalog translates it
        expect(page.get_by_role("heading", name="My training")).to_have_count(0)
    watch.check()

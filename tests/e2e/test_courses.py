"""A trainer writes a web course, previews, publishes and gives it to the demo cohort; a trainee reads
it and marks it done. A trainee also walks through the real PM+ course with Next and Previous.

PM+ comes from a content pack and is read-only on the web, so the authoring journey makes a new web
course (one per viewport: both runs share one server).
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.steps import _, flash, heading, ngettext, open_main_nav, sign_in, sign_out

DEMO_COHORT = "PM+ Sierra 2026"
SPANISH = "Español"
PM_PLUS_TITLE = "PM+ para ayudantes"


def lessons_progress(done: int, total: int) -> str:
    return ngettext("%(done)d of %(num)d lesson", "%(done)d of %(num)d lessons", total, done=done)


def starts_with(text: str) -> re.Pattern:
    """An accessible name that begins with a visible label (links add the item's name for screen readers)."""
    return re.compile("^" + re.escape(text))


def course_card(page: Page, title: str):
    return page.get_by_role("main").get_by_role("listitem").filter(has=page.get_by_role("link", name=title, exact=True))


def test_trainer_writes_and_publishes_a_lesson_trainee_reads_and_finishes_it(watch, viewport):
    slug = f"escucha-activa-{viewport}"
    course_title = f"Escucha activa ({viewport})"
    module_title = "Primeros pasos"
    lesson_title = "Escuchar sin juzgar"
    sentence = f"Deje que la persona termine de hablar antes de responder ({viewport})."
    body = f"## Qué hacer\n\n{sentence}\n\n- Mire a la persona\n- Repita con sus palabras lo que oyó\n\n**Recuerde:** no dé consejos."

    # The trainer: Course authoring → New course.
    page = sign_in(watch, "trainer")
    open_main_nav(watch, _("Course authoring"))
    page.get_by_role("link", name=_("New course"), exact=True).click()
    expect(heading(page)).to_have_text(_("New course"))
    watch.check()
    page.get_by_label(_("Short name")).fill(slug)
    expect(page.get_by_role("checkbox", name=SPANISH)).to_be_checked()
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(course_title)
    page.get_by_label(_("Summary (%(language)s)", language=SPANISH)).fill("Cómo escuchar a quien pide ayuda.")
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(heading(page)).to_have_text(course_title)
    expect(flash(page)).to_contain_text(_("The course has been created. Add a module, then its lessons."))
    watch.check()

    # A module, then a lesson in it.
    page.get_by_role("link", name=_("Add a module"), exact=True).click()
    expect(heading(page)).to_have_text(_("Add a module"))
    watch.check()
    page.get_by_label(_("Short name")).fill("01-primeros-pasos")
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(module_title)
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(flash(page)).to_contain_text(_("The module has been added."))
    expect(page.get_by_role("heading", name=module_title, level=3)).to_be_visible()
    watch.check()

    page.get_by_role("link", name=starts_with(_("Add a lesson"))).click()
    expect(heading(page)).to_have_text(_("Add a lesson"))
    watch.check()
    page.get_by_label(_("Short name")).fill("01-escuchar")
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(lesson_title)
    page.get_by_label(_("Minutes (optional)")).fill("10")
    page.get_by_role("button", name=_("Add the lesson")).click()

    # The Markdown editor: type, preview, save.
    expect(heading(page)).to_contain_text(_("Edit the lesson"))
    expect(flash(page)).to_contain_text(_("The lesson has been added. Now write its text."))
    expect(page.get_by_label(_("Lesson title"))).to_have_value(lesson_title)
    watch.check()
    page.get_by_label(_("Lesson text (Markdown)")).fill(body)
    page.get_by_role("button", name=_("Preview"), exact=True).click()
    preview = page.get_by_role("region", name=_("Preview (not saved yet)"))
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(lesson_title)
    expect(preview.get_by_role("heading", name="Qué hacer", level=2)).to_be_visible()
    expect(preview.get_by_role("listitem")).to_have_count(2)
    expect(preview.locator("strong")).to_have_text("Recuerde:")
    expect(page.get_by_label(_("Lesson text (Markdown)"))).to_have_value(body)  # still there, not saved yet
    watch.check()
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(flash(page)).to_contain_text(_("The lesson has been saved. The earlier text is kept in its history."))
    expect(page.get_by_label(_("Lesson text (Markdown)"))).to_have_value(body)
    watch.check()

    # Publish, then give it to the demo cohort in Spanish.
    page.get_by_role("link", name=_("Back to the course")).click()
    expect(heading(page)).to_have_text(course_title)
    watch.check()
    page.get_by_role("button", name=_("Publish"), exact=True).click()
    expect(flash(page)).to_contain_text(_("The course is published: its cohorts' trainees can study it."))
    expect(page.get_by_role("main")).to_contain_text(_("Published"))
    watch.check()
    page.get_by_role("link", name=_("Cohorts studying it")).click()
    expect(heading(page)).to_have_text(_("Cohorts studying this course"))
    watch.check()
    give = page.get_by_role("main")  # the footer has a language chooser too
    give.get_by_label(_("Cohort"), exact=True).select_option(label=DEMO_COHORT)
    give.get_by_label(_("Language"), exact=True).select_option(label=SPANISH)
    page.get_by_role("button", name=_("Give the course")).click()
    expect(flash(page)).to_contain_text(_("%(cohort)s now studies this course in %(language)s.",
                                          cohort=DEMO_COHORT, language=SPANISH))
    expect(page.get_by_role("heading", name=DEMO_COHORT, level=2)).to_be_visible()
    watch.check()
    sign_out(watch)

    # The trainee: My courses shows the new course, not started.
    page = sign_in(watch, "trainee")
    open_main_nav(watch, _("My courses"))
    card = course_card(page, course_title)
    expect(card).to_contain_text(lessons_progress(0, 1))
    card.get_by_role("link", name=starts_with(_("Start"))).click()

    # The lesson: the trainer's text, then "Mark as done".
    expect(heading(page)).to_have_text(lesson_title)
    lesson_body = page.get_by_role("article")
    expect(lesson_body).to_contain_text(sentence)
    expect(lesson_body.get_by_role("heading", name="Qué hacer", level=2)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(_("Lesson %(position)d of %(total)d", position=1, total=1))
    watch.check()
    page.get_by_role("button", name=_("Mark as done")).click()

    # The only lesson: back to the course, which shows it done.
    expect(flash(page)).to_contain_text(_("Lesson marked as done."))
    expect(heading(page)).to_have_text(course_title)
    expect(page.get_by_role("main").get_by_role("listitem").filter(has_text=lesson_title)).to_contain_text(_("Done"))
    expect(page.get_by_role("main")).to_contain_text(lessons_progress(1, 1))
    watch.check()
    page.get_by_role("link", name=lesson_title).click()
    expect(heading(page)).to_have_text(lesson_title)
    expect(page.get_by_text(_("You have finished this lesson."))).to_be_visible()
    expect(page.get_by_role("button", name=_("Mark as done"))).to_have_count(0)
    watch.check()

    open_main_nav(watch, _("My courses"))
    card = course_card(page, course_title)
    expect(card).to_contain_text(lessons_progress(1, 1))
    expect(card).to_contain_text(_("All lessons done"))


def test_trainee_reads_pm_plus_lessons_with_next_and_previous(watch):
    page = sign_in(watch, "trainee")
    open_main_nav(watch, _("My courses"))
    card = course_card(page, PM_PLUS_TITLE)
    expect(card).to_contain_text(re.compile(re.escape(lessons_progress(99, 13)).replace("99", r"\d+")))
    card.get_by_role("link", name=PM_PLUS_TITLE, exact=True).click()
    expect(heading(page)).to_have_text(PM_PLUS_TITLE)
    watch.check()

    # Open the third lesson from the outline, then Next and Previous.
    outline = page.get_by_role("main").locator("ol.lesson-list > li > a")
    expect(outline).to_have_count(13)
    third = outline.nth(2).inner_text().strip()
    fourth = outline.nth(3).inner_text().strip()
    outline.nth(2).click()
    expect(heading(page)).to_have_text(third)
    expect(page.get_by_role("main")).to_contain_text(_("Lesson %(position)d of %(total)d", position=3, total=13))
    expect(page.locator(".lesson-body")).not_to_be_empty()
    watch.check()

    lesson_nav = page.get_by_role("navigation", name=_("Lessons"))
    lesson_nav.get_by_role("link", name=starts_with(_("Next"))).click()
    expect(heading(page)).to_have_text(fourth)
    expect(page.get_by_role("main")).to_contain_text(_("Lesson %(position)d of %(total)d", position=4, total=13))
    watch.check()

    lesson_nav.get_by_role("link", name=starts_with(_("Previous"))).click()
    expect(heading(page)).to_have_text(third)
    expect(page.get_by_role("main")).to_contain_text(_("Lesson %(position)d of %(total)d", position=3, total=13))
    watch.check()

    page.get_by_role("navigation", name=_("Course")).get_by_role("link", name=PM_PLUS_TITLE).click()
    expect(heading(page)).to_have_text(PM_PLUS_TITLE)
    watch.check()

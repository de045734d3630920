"""Stored XSS: a trainer types script payloads into a course, a module and a lesson; nothing runs.

The lesson editor refuses raw HTML (and javascript:/data: links) on save, so the whole corpus goes
through Preview — which renders with the same Markdown renderer and nh3 allowlist as a saved lesson —
and the Markdown-only tricks that save accepts are published to the demo cohort and read by a trainee.
On every page: none of the payloads is in the HTML, no dangerous element or attribute is in the
lesson body, clicking its links runs nothing (window.__xss stays undefined) and no dialog opens.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.page_checks import PageWatch
from tests.e2e.steps import _, flash, heading, open_main_nav, sign_in, sign_out

DEMO_COHORT = "PM+ Sierra 2026"
SPANISH = "Español"

RAW_HTML = [  # refused on save ("raw HTML is not allowed"); Preview must render them as text
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '<svg onload="window.__xss=1">',
    '<iframe src="javascript:window.__xss=1">',
    '<a href="data:text/html,<script>window.__xss=1</script>">x</a>',
    "<style>body{display:none}</style>",
    "<details open ontoggle=\"window.__xss=1\"><summary>s</summary></details>",
    '<a href="javascript:window.__xss=1">raw link</a>',
]
BAD_LINKS = [  # Markdown links with a forbidden scheme: refused on save, rendered as plain text
    "[click](javascript:window.__xss=1)",
    "[mixed case](JaVaScRiPt:window.__xss=1)",
    "[vb](vbscript:window.__xss=1)",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
]
ACCEPTED = [  # Markdown tricks the checks let through: they must still come out harmless
    "[entity](&#106;avascript:window.__xss=1)",
    "[reference][r]\n\n[r]: javascript:window.__xss=1",
    "`<script>window.__xss=1</script>`",
    "    <img src=x onerror=\"window.__xss=1\">",
    "[title breakout](https://example.org/ 'x\" onmouseover=\"window.__xss=1\" data-x=\"')",
]
# Text fields outside the lesson body take payloads too; they are shown escaped everywhere.
COURSE_TITLE_PAYLOAD = "<script>window.__xss=1</script>"
SUMMARY_PAYLOAD = '<img src=x onerror="window.__xss=1">'
MODULE_PAYLOAD = '<svg onload="window.__xss=1">'

DANGEROUS_DOM = """(root) => {
    const found = [];
    const tags = ['script', 'iframe', 'frame', 'svg', 'math', 'style', 'object', 'embed', 'base', 'meta', 'link',
                  'form', 'input', 'button', 'details', 'template'];
    for (const el of root.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        if (tags.includes(tag)) found.push(`<${tag}>`);
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            if (name.startsWith('on') || name === 'style' || name === 'srcdoc' || name.startsWith('data-'))
                found.push(`${tag}[${name}]`);
            if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name) &&
                /^\\s*(javascript|vbscript|data):/i.test(attr.value.replace(/[\\s\\u0000-\\u001f]/g, '')))
                found.push(`${tag}[${name}=${attr.value}]`);
        }
    }
    return found;
}"""


def paragraphs(items: list[str]) -> str:
    return "\n\n".join(items)


def watch_dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def on_dialog(dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return opened


def assert_nothing_ran(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # let onload/onerror handlers and timers fire, if any got through
    assert page.evaluate("() => typeof window.__xss") == "undefined", f"a payload ran on {page.url}"
    assert not dialogs, f"a dialog opened on {page.url}: {dialogs}"
    expect(page.locator("body")).to_be_visible()  # no injected style hid the page


class MarkupScan(HTMLParser):
    """The tags and attributes a browser would build from a page: event handlers, script URLs, and scripts
    or styles mentioning the payload would be live. (A payload inside a quoted title is inert text.)"""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag in ("script", "style")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or (name in ("style", "srcdoc") and "__xss" in value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and re.match(
                    r"(javascript|vbscript|data):", re.sub(r"[\s\x00-\x1f]", "", value), re.IGNORECASE):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and "__xss" in data:
            self.found.append(f"script or style with {data[:60]!r}")


def assert_html_carries_none(html: str, where: str) -> None:
    for payload in [*RAW_HTML, COURSE_TITLE_PAYLOAD, SUMMARY_PAYLOAD, MODULE_PAYLOAD]:
        assert payload not in html, f"{where} carries the payload {payload!r} unescaped"
    scan = MarkupScan()
    scan.feed(html)
    scan.close()
    assert not scan.found, f"{where} has live markup from a payload: {scan.found}"


def assert_body_harmless(watch: PageWatch, body, dialogs: list[str]) -> None:
    """No dangerous element or attribute in the lesson body; click its links, hover the external ones."""
    page = watch.page
    found = body.evaluate(DANGEROUS_DOM)
    assert not found, f"dangerous markup in the lesson body on {page.url}: {found}"
    links = body.get_by_role("link")
    here = page.url
    for index in range(links.count()):
        link = links.nth(index)
        href = link.get_attribute("href") or ""
        link.hover()  # mouseover handlers, if any survived
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc != urlsplit(here).netloc:
            continue  # a real outside web address: following it is navigation, not a script
        link.click()
        page.wait_for_timeout(200)
        if page.url != here:
            watch.check()
            page.go_back()
            watch.check()
    assert_nothing_ran(page, dialogs)


def test_stored_xss_payloads_are_refused_or_rendered_harmless(watch, viewport):
    page = watch.page
    dialogs = watch_dialogs(page)
    watch.expect_status(422)  # the editor answers 422 when it refuses the text
    slug = f"xss-{viewport}"
    course_title = f"Cargas {COURSE_TITLE_PAYLOAD} ({viewport})"
    module_title = f"Módulo {MODULE_PAYLOAD}"
    lesson_title = "Pruebas de seguridad"

    # A course and a module whose names carry payloads: shown as text.
    sign_in(watch, "trainer")
    open_main_nav(watch, _("Course authoring"))
    page.get_by_role("link", name=_("New course"), exact=True).click()
    watch.check()
    page.get_by_label(_("Short name")).fill(slug)
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(course_title)
    page.get_by_label(_("Summary (%(language)s)", language=SPANISH)).fill(f"Resumen {SUMMARY_PAYLOAD}")
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(heading(page)).to_have_text(course_title)
    watch.check()
    assert_nothing_ran(page, dialogs)
    assert_html_carries_none(page.content(), page.url)

    page.get_by_role("link", name=_("Add a module"), exact=True).click()
    watch.check()
    page.get_by_label(_("Short name")).fill("01-cargas")
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(module_title)
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(page.get_by_role("heading", name=module_title, level=3)).to_be_visible()
    watch.check()
    assert_nothing_ran(page, dialogs)
    page.get_by_role("link", name=re.compile("^" + re.escape(_("Add a lesson")))).click()
    watch.check()
    page.get_by_label(_("Short name")).fill("01-pruebas")
    page.get_by_label(_("Title (%(language)s)", language=SPANISH)).fill(lesson_title)
    page.get_by_role("button", name=_("Add the lesson")).click()
    expect(heading(page)).to_contain_text(_("Edit the lesson"))
    watch.check()

    # The whole corpus: Save refuses it and keeps the text; nothing of it runs on the page.
    editor = page.get_by_label(_("Lesson text (Markdown)"))
    everything = paragraphs([*RAW_HTML, *BAD_LINKS, *ACCEPTED])
    editor.fill(everything)
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        _("Please correct the fields marked below. Nothing you typed has been lost."))
    errors = page.locator(".field.has-error .error")
    expect(errors).to_contain_text("raw HTML is not allowed in lessons")
    expect(errors).to_contain_text("uses a scheme that is not allowed")
    expect(editor).to_have_value(everything)
    watch.check()
    assert_nothing_ran(page, dialogs)
    assert_html_carries_none(page.content(), "the refused editor page")

    # Preview renders it all through the allowlist: as text, no markup that can run.
    page.get_by_role("button", name=_("Preview"), exact=True).click()
    preview = page.get_by_role("region", name=_("Preview (not saved yet)"))
    expect(preview).to_be_visible()
    body = preview.locator(".lesson-body")
    expect(body).to_contain_text("<script>window.__xss=1</script>")  # shown to the author as text
    expect(body).to_contain_text("[click](javascript:window.__xss=1)")
    watch.check()
    assert_html_carries_none(page.content(), "the preview")
    assert_body_harmless(watch, body, dialogs)

    # What save accepts: saved, published, given to the demo cohort.
    editor.fill(paragraphs(ACCEPTED))
    page.get_by_role("button", name=_("Save"), exact=True).click()
    expect(flash(page)).to_contain_text(_("The lesson has been saved. The earlier text is kept in its history."))
    watch.check()
    assert_nothing_ran(page, dialogs)
    page.get_by_role("button", name=_("Preview"), exact=True).click()
    body = page.get_by_role("region", name=_("Preview (not saved yet)")).locator(".lesson-body")
    expect(body).to_contain_text("window.__xss=1")
    watch.check()
    assert_body_harmless(watch, body, dialogs)

    page.get_by_role("link", name=_("Back to the course")).click()
    watch.check()
    page.get_by_role("button", name=_("Publish"), exact=True).click()
    expect(flash(page)).to_contain_text(_("The course is published: its cohorts' trainees can study it."))
    watch.check()
    page.get_by_role("link", name=_("Cohorts studying it")).click()
    watch.check()
    form = page.get_by_role("main")
    form.get_by_label(_("Cohort"), exact=True).select_option(label=DEMO_COHORT)
    form.get_by_label(_("Language"), exact=True).select_option(label=SPANISH)
    page.get_by_role("button", name=_("Give the course")).click()
    expect(flash(page)).to_contain_text(DEMO_COHORT)
    watch.check()
    assert_nothing_ran(page, dialogs)
    sign_out(watch)

    # The trainee: My courses and the lesson page carry none of it, and nothing runs.
    page = sign_in(watch, "trainee")
    open_main_nav(watch, _("My courses"))
    card = page.get_by_role("main").get_by_role("listitem").filter(
        has=page.get_by_role("link", name=course_title, exact=True))
    expect(card).to_contain_text(SUMMARY_PAYLOAD)  # as text
    assert_nothing_ran(page, dialogs)
    assert_html_carries_none(page.content(), "My courses")
    card.get_by_role("link", name=re.compile("^" + re.escape(_("Start")))).click()
    expect(heading(page)).to_have_text(lesson_title)
    watch.check()
    served = page.request.get(page.url)
    assert served.ok
    assert_html_carries_none(served.text(), f"the lesson page as served ({page.url})")
    body = page.get_by_role("article").locator(".lesson-body")
    expect(body).to_contain_text("<script>window.__xss=1</script>")  # the code span, as text
    assert_body_harmless(watch, body, dialogs)

    page.get_by_role("navigation", name=_("Course")).get_by_role("link").click()
    expect(heading(page)).to_have_text(course_title)
    watch.check()
    assert_nothing_ran(page, dialogs)
    assert_html_carries_none(page.content(), "the course page")

"""The organisation dashboard in a browser: an admin of the demo organisation opens it from the main
menu, filters it by site and period, reads a chart as a table, downloads its CSV and the PDF report.
Every page passes axe-core, at a desktop and at a 360 px phone. Nothing here changes data.
"""
from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pypdf
from playwright.sync_api import expect

from tests.e2e.steps import _, heading, sign_in, sign_out

ORGANISATION = "Compañeros en Salud (demo)"
SITE = "Clínica Laguna del Cofre"


def months_ago(k: int) -> str:
    today = datetime.now(ZoneInfo("America/Mexico_City")).date()
    index = today.year * 12 + today.month - 1 - k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_admin_filters_the_organisation_dashboard_and_downloads_csv_and_report(watch):
    page = sign_in(watch, "admin")
    page.get_by_role("navigation", name=_("Main")).get_by_role("link", name=_("Dashboard"), exact=True).click()
    expect(heading(page)).to_have_text(_("Organisation dashboard"))
    expect(page.get_by_role("main")).to_contain_text(ORGANISATION)
    as_of = _("Figures as of %(time)s, %(ago)s.", time="\0", ago="\0").split("\0")[0]
    expect(page.get_by_text(re.compile("^" + re.escape(as_of)))).to_be_visible()
    watch.check()

    # Filter: one site, the last six months.
    first, last = months_ago(5), months_ago(0)
    search = page.get_by_role("search", name=_("Filter the figures"))
    search.get_by_label(_("Site")).select_option(label=SITE)
    search.get_by_label(_("From month")).fill(first)
    search.get_by_label(_("To month")).fill(last)
    search.get_by_role("button", name=_("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"site=\d+.*from_month={first}.*to_month={last}"))
    expect(search.get_by_label(_("Site"))).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_role("heading", name=_("Key figures"), level=2)).to_be_visible()
    watch.check()

    # The by-site chart, shown as a table: only the chosen site.
    figure = page.locator("#chart-by-site")
    title = _("Trained, certified and valid by site")
    figure.get_by_text(_("Show as table")).click()
    table = figure.get_by_role("table", name=title)
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader")).to_have_text([SITE])
    watch.check()

    with page.expect_download() as download:
        figure.get_by_role("link", name=re.compile("^" + re.escape(_("Download CSV")))).click()
    assert download.value.suggested_filename.endswith(f"-by-site-{first}-{last}.csv")
    with open(download.value.path(), "rb") as handle:
        text = handle.read().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = [line.split(",") for line in text.lstrip("\ufeff").strip().split("\r\n")]
    assert rows[0] == [_("Site"), _("Trained"), _("Certified"), _("Valid today")]
    assert [row[0] for row in rows[1:]] == [SITE]
    assert all(cell.isdigit() for cell in rows[1][1:])

    # The report that goes to the Ministry: the organisation, the filters and the key figures.
    with page.expect_download() as download:
        page.get_by_role("link", name=_("Download the report (PDF)")).click()
    assert download.value.suggested_filename.endswith(f"-report-{first}-{last}.pdf")
    with open(download.value.path(), "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    words = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert ORGANISATION in words and SITE in words
    assert _("Organisation report") in words and _("Key figures") in words
    assert _("How these figures are counted") in words
    sign_out(watch)

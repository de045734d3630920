"""An administrator imports community health workers from a CSV file and puts them in a new cohort."""
from __future__ import annotations

import csv
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.steps import _, ngettext, sign_in

FIXTURE = Path(__file__).parent / "fixtures" / "chw-import.csv"
BAD_ROW_USERNAME = "ismael.gomez"  # its site does not exist
BAD_SITE = "Clínica Nueva Esperanza"
RESET_CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4})+$")


def import_file(viewport: str, tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    """The fixture file, with usernames made unique per viewport (both runs share one server)."""
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if viewport == "desktop":
        return FIXTURE, rows
    for row in rows:
        row["usuario"] = f"{row['usuario']}.{viewport}"
    copy = tmp_path / FIXTURE.name
    with copy.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return copy, rows


def open_main_nav_link(page: Page, name: str) -> None:
    page.get_by_role("navigation", name=_("Main")).get_by_role("link", name=name, exact=True).click()


def test_admin_imports_users_from_csv_and_creates_cohort(watch, viewport, tmp_path):
    path, rows = import_file(viewport, tmp_path)
    good = [row for row in rows if not row["usuario"].startswith(BAD_ROW_USERNAME)]
    bad = [row for row in rows if row["usuario"].startswith(BAD_ROW_USERNAME)]
    assert len(rows) == 5 and len(bad) == 1

    page = sign_in(watch, "admin")

    # Users → Import users
    open_main_nav_link(page, _("Users"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Users"))
    watch.check()
    page.get_by_role("link", name=_("Import from a spreadsheet")).click()
    expect(page).to_have_url(re.compile(r"/admin/users/import$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Import users from a spreadsheet"))
    watch.check()

    # Upload: the preview checks every row and names the bad one; nothing is created yet.
    page.get_by_label(_("Spreadsheet file")).set_input_files(path)
    page.get_by_role("button", name=_("Upload and check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Import of %(file)s", file=FIXTURE.name))
    expect(page.get_by_text(_("Nothing has been created yet."))).to_be_visible()
    table = page.get_by_role("table")
    bad_row = table.get_by_role("row").filter(has_text=bad[0]["usuario"])
    expect(bad_row).to_contain_text(_("Site “%(value)s” does not exist. Create it first, or correct the name.",
                                      value=BAD_SITE))
    for row in good:
        expect(table.get_by_role("row").filter(has_text=row["usuario"])).to_contain_text(row["nombre completo"])
    watch.check()

    # Confirm, skipping the bad row: the result lists each new username with its one-time code.
    skip = page.get_by_role("main").get_by_role("checkbox")  # "import the valid rows, skip the bad one"
    expect(skip).to_have_count(1)
    expect(skip).to_have_accessible_name(re.compile(rf"\b{len(bad)}\b.*\b{len(good)}\b"))
    skip.check()
    page.get_by_role("button", name=ngettext("Create %(num)d account", "Create %(num)d accounts", len(good))).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        ngettext("%(num)d account created", "%(num)d accounts created", len(good)))
    codes = page.get_by_role("table")
    expect(codes.get_by_role("row")).to_have_count(1 + len(good))
    seen_codes = set()
    for row in good:
        line = codes.get_by_role("row").filter(has_text=row["usuario"])
        expect(line).to_contain_text(row["nombre completo"])
        code = line.get_by_role("cell").nth(2).inner_text().strip()
        assert RESET_CODE.match(code), f"{row['usuario']}: {code!r} does not look like a reset code"
        seen_codes.add(code)
    assert len(seen_codes) == len(good), "every person gets a different code"
    expect(page.get_by_role("main")).to_contain_text(bad[0]["usuario"])  # listed as skipped
    watch.check()

    # Cohorts → create a cohort
    cohort_name = f"PM+ Reforma 2027 ({viewport})"
    open_main_nav_link(page, _("Cohorts"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Cohorts"))
    watch.check()
    page.get_by_role("link", name=_("Create a cohort")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Create a cohort"))
    watch.check()
    page.get_by_label(_("Name"), exact=True).fill(cohort_name)
    page.get_by_label(_("Site"), exact=True).select_option(label="Clínica Reforma")
    page.get_by_label(_("Start date (optional)")).fill("2027-02-01")
    page.get_by_label(_("End date (optional)")).fill("2027-04-30")
    page.get_by_role("button", name=_("Save")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(cohort_name)
    expect(page.get_by_role("status")).to_contain_text(_("The cohort has been saved."))
    watch.check()

    # Add the imported trainees to it.
    boxes = [page.get_by_role("checkbox", name=re.compile(rf"\({re.escape(row['usuario'])}\)")) for row in good]
    if not boxes[0].is_visible():
        page.get_by_text(_("Add trainees"), exact=True).click()
    for box in boxes:
        box.check()
    form = page.locator("form").filter(has=boxes[0])
    form.get_by_role("button", name=_("Add the chosen people")).click()
    expect(page.get_by_role("status")).to_contain_text(ngettext("%(num)d person added to the cohort.",
                                                                     "%(num)d people added to the cohort.", len(good)))
    trainees = page.get_by_role("region", name=f"{_('Trainees')} ({len(good)})")
    expect(trainees).to_be_visible()
    for row in good:
        expect(trainees.get_by_role("row").filter(has_text=row["nombre completo"])).to_contain_text(row["usuario"])
    expect(trainees).not_to_contain_text(bad[0]["nombre completo"])
    watch.check()

"""A trainer makes a question bank, uploads a GIFT file with an error, sees the line, fixes it and imports.

Both viewports run against one server, so each makes its own bank (the short name ends with the viewport).
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.steps import _, flash, heading, ngettext, sign_in

GIFT = """// Preguntas de PAP para la brigada
$CATEGORY: pap/mirar

::PAP-E1:: Llega a un albergue después de un incendio. ¿Qué revisa primero? {
  =Que el lugar sea seguro para usted y para las familias. # Correcto. Primero la seguridad.
  ~Quién quiere contar lo que vio. # No. Nadie tiene que contar lo que vivió.
}

::PAP-E2:: Los PAP son una terapia para tratar el trauma. {F
  # No. Los PAP no son terapia.
  # Correcto. Son apoyo humano y práctico.
}

$CATEGORY: pap/vincular

::PAP-E3:: Un señor perdió su medicina para la diabetes. ¿Cómo lo vincula? {
  =Lo acompaña a pedirla en el centro de salud, si él quiere. # Correcto. Vincular es facilitar el acceso.
  ~Le dice que vuelva otro día. # No. Ayúdele a llegar al servicio.
}
"""
BROKEN_LINE = "  ~%mucho%Le dice que vuelva otro día. # No. Ayúdele a llegar al servicio."
QUESTIONS = {"PAP-E1": "albergue", "PAP-E2": "terapia", "PAP-E3": "diabetes"}


def test_trainer_fixes_a_gift_error_and_imports(watch, viewport, tmp_path):
    good = tmp_path / "pap-brigada.gift"
    good.write_text(GIFT, encoding="utf-8")
    broken = tmp_path / "pap-brigada-con-error.gift"
    text = GIFT.replace("  ~Le dice que vuelva otro día. # No. Ayúdele a llegar al servicio.", BROKEN_LINE)
    broken.write_text(text, encoding="utf-8")
    broken_line_number = text.splitlines().index(BROKEN_LINE) + 1

    page = sign_in(watch, "trainer")
    page.get_by_role("main").get_by_role("link", name=_("Question banks")).click()
    expect(heading(page)).to_have_text(_("Question banks"))
    expect(page.get_by_role("main")).to_contain_text("pm-plus-knowledge")  # the pack banks are listed
    watch.check()

    # A new bank of the organisation.
    page.get_by_role("link", name=_("New bank")).click()
    expect(heading(page)).to_have_text(_("New question bank"))
    watch.check()
    page.get_by_label(_("Title")).fill(f"PAP brigada ({viewport})")
    page.get_by_label(_("Short name")).fill(f"pap-brigada-{viewport}")
    page.get_by_label(_("Language of the questions")).select_option("es")
    page.get_by_role("button", name=_("Create the bank")).click()
    expect(heading(page)).to_have_text(f"PAP brigada ({viewport})")
    expect(flash(page)).to_contain_text(_("The bank has been created. Import a GIFT file or add questions one by one."))
    watch.check()

    # Upload a file with an error: the line is named, nothing is imported.
    page.get_by_role("link", name=_("Import GIFT")).click()
    expect(heading(page)).to_have_text(_("Import questions in GIFT"))
    watch.check()
    watch.expect_status(422)
    page.get_by_label(_("GIFT file")).set_input_files(broken)
    page.get_by_role("button", name=_("Check the questions")).click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text(ngettext("The GIFT text has %(num)d error. Nothing was imported or saved.",
                                            "The GIFT text has %(num)d errors. Nothing was imported or saved.", 1))
    expect(errors).to_contain_text(_("Line %(line)d:", line=broken_line_number))
    expect(errors).to_contain_text("bad weight '%mucho%'")
    expect(errors).to_contain_text(BROKEN_LINE.strip())
    watch.check()

    # The corrected file: a preview of every question, then the import.
    page.get_by_label(_("GIFT file")).set_input_files(good)
    page.get_by_role("button", name=_("Check the questions")).click()
    expect(heading(page)).to_have_text(_("Import of %(file)s", file=good.name))
    expect(page.get_by_text(_("Nothing has been imported yet."))).to_be_visible()
    table = page.get_by_role("table")
    for key, word in QUESTIONS.items():
        expect(table.get_by_role("row").filter(has_text=key)).to_contain_text(word)
    expect(page.get_by_role("main")).to_contain_text("pap/vincular")
    watch.check()
    page.get_by_role("button", name=ngettext("Import %(num)d question", "Import %(num)d questions", 3)).click()

    # The bank shows the questions by category, with answers and feedback.
    expect(heading(page)).to_have_text(f"PAP brigada ({viewport})")
    expect(flash(page)).to_contain_text(ngettext("%(num)d question imported.", "%(num)d questions imported.", 3))
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="pap/mirar", level=2)).to_be_visible()
    for key in QUESTIONS:
        expect(main.get_by_role("heading", name=key, level=3)).to_be_visible()
    expect(main).to_contain_text("Correcto. Primero la seguridad.")
    watch.check()

    # A question's history: one version, imported from the file.
    main.get_by_role("link", name=re.compile(r"^PAP-E3$")).click()
    expect(heading(page)).to_have_text(_("Question %(key)s", key="PAP-E3"))
    expect(page.get_by_role("main")).to_contain_text(_("Imported from a GIFT file"))
    watch.check()

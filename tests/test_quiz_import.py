"""GIFT import in the browser: preview, confirm (all or nothing, once), errors with their lines."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.extensions import db
from app.quizzes.banks import create_bank
from app.quizzes.models import Question, QuestionImport, QuestionImportStatus, QuestionVersion
from tests.conftest import post_form

GOOD = """$CATEGORY: pap/mirar

::PAP-A::¿Qué hace primero al llegar?{=Revisar que el lugar sea seguro#Correcto ~Preguntar qué pasó#Primero la seguridad}

::PAP-B::Los PAP son una terapia.{F#No lo son.#Correcto.}

Una pregunta sin nombre{=sí ~no}

$CATEGORY: pap/vincular

::PAP-C::Empareje{=Mirar -> seguridad =Escuchar -> necesidades =Vincular -> servicios}
"""
BROKEN = GOOD.replace("{F#No lo son.#Correcto.}", "{F#No lo son.#Correcto.").replace(
    "{=sí ~no}", "{=sí ~%abc%no}")


@pytest.fixture
def trainer(make_user):
    return make_user("trainer")


@pytest.fixture
def bank(org, trainer):
    return create_bank(org.id, "pap-web", "es", "PAP web", trainer)


def _upload(client, bank, text: str, filename: str = "pap.gift"):
    return post_form(client, f"/quizzes/banks/{bank.id}/import",
                     {"file": (io.BytesIO(text.encode("utf-8")), filename)}, content_type="multipart/form-data")


def _questions(bank) -> list[Question]:
    return list(db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.position)))


def test_preview_then_confirm_imports_everything(client, login, trainer, bank):
    login(trainer)
    response = _upload(client, bank, GOOD)
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    assert batch.status == QuestionImportStatus.PREVIEWED and batch.filename == "pap.gift"
    assert _questions(bank) == []  # nothing yet

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing has been imported yet." in page
    assert "Import 4 questions" in page
    assert "Multiple choice, one answer: 2" in page and "True or false: 1" in page and "Matching: 1" in page
    assert "pap/mirar" in page and "pap/vincular" in page
    assert "PAP-A" in page and "Una pregunta sin nombre" in page and "Los PAP son una terapia." in page

    confirmed = post_form(client, f"/quizzes/banks/imports/{batch.id}/confirm")
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"/quizzes/banks/{bank.id}")
    questions = _questions(bank)
    assert [q.key for q in questions] == ["PAP-A", "PAP-B", "Una pregunta sin nombre", "PAP-C"]
    assert [q.category.path for q in questions] == ["pap/mirar"] * 3 + ["pap/vincular"]
    assert all(q.current_number == 1 and q.versions[0].created_by_id == trainer.id for q in questions)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quizzes.questions_imported"))
    assert event.after["questions"] == 4 and event.after["created"] == 4 and event.actor_id == trainer.id
    bank_page = client.get(f"/quizzes/banks/{bank.id}").get_data(as_text=True)
    assert "4 questions imported." in bank_page and "Revisar que el lugar sea seguro" in bank_page


def test_double_confirm_imports_once(client, login, trainer, bank):
    login(trainer)
    _upload(client, bank, GOOD)
    batch = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    post_form(client, f"/quizzes/banks/imports/{batch.id}/confirm")
    second = post_form(client, f"/quizzes/banks/imports/{batch.id}/confirm", follow_redirects=True)
    assert "already been imported" in second.get_data(as_text=True)
    assert len(_questions(bank)) == 4
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id)).join(Question)
                             .where(Question.bank_id == bank.id)) == 4


def test_malformed_upload_shows_every_error_with_its_line_and_keeps_nothing(client, login, trainer, bank):
    login(trainer)
    response = _upload(client, bank, BROKEN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The GIFT text has 2 errors. Nothing was imported or saved." in page
    assert "Line 5:" in page and "Line 7:" in page
    assert "bad weight" in page and "never closed" in page
    assert "::PAP-B::Los PAP son una terapia." in page  # the line itself, to find it
    assert db.session.scalar(sa.select(sa.func.count(QuestionImport.id))) == 0
    assert _questions(bank) == []


def test_pasted_text_works_like_a_file(client, login, trainer, bank):
    login(trainer)
    response = post_form(client, f"/quizzes/banks/{bank.id}/import", {"text": GOOD})
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    assert batch.filename == "pasted text" and batch.question_count == 4


def test_nothing_chosen_and_not_utf8(client, login, trainer, bank):
    login(trainer)
    empty = post_form(client, f"/quizzes/banks/{bank.id}/import", {"text": "  "})
    assert empty.status_code == 422 and "Choose a GIFT file or paste GIFT text." in empty.get_data(as_text=True)
    latin = post_form(client, f"/quizzes/banks/{bank.id}/import",
                      {"file": (io.BytesIO("::a::¿Sí?{T}".encode("cp1252")), "old.gift")},
                      content_type="multipart/form-data")
    assert latin.status_code == 422 and "not UTF-8" in latin.get_data(as_text=True)


def test_reimport_versions_changed_questions_only(client, login, trainer, bank):
    login(trainer)
    _upload(client, bank, GOOD)
    first = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    post_form(client, f"/quizzes/banks/imports/{first.id}/confirm")
    changed = GOOD.replace("#Primero la seguridad}", "#Primero, siempre, la seguridad}")
    response = _upload(client, bank, changed)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<strong>1</strong>new versions", page) and re.search(r"<strong>3</strong>unchanged", page)
    second = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.id != first.id))
    post_form(client, f"/quizzes/banks/imports/{second.id}/confirm")
    db.session.expire_all()
    assert [q.current_number for q in _questions(bank)] == [2, 1, 1, 1]


def test_discard(client, login, trainer, bank):
    login(trainer)
    _upload(client, bank, GOOD)
    batch = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    post_form(client, f"/quizzes/banks/imports/{batch.id}/discard")
    db.session.expire_all()
    assert batch.status == QuestionImportStatus.DISCARDED and batch.gift_text == ""
    refused = post_form(client, f"/quizzes/banks/imports/{batch.id}/confirm", follow_redirects=True)
    assert "discarded" in refused.get_data(as_text=True) and _questions(bank) == []


def test_another_organisation_cannot_see_the_import(client, login, trainer, bank, make_org, make_user):
    login(trainer)
    _upload(client, bank, GOOD)
    batch = db.session.scalar(sa.select(QuestionImport).where(QuestionImport.bank_id == bank.id))
    post_form(client, "/logout")
    login(make_user("admin", organisation=make_org()))
    assert client.get(f"/quizzes/banks/imports/{batch.id}").status_code == 404
    assert post_form(client, f"/quizzes/banks/imports/{batch.id}/confirm").status_code == 404
    assert _questions(bank) == []


def test_unnamed_and_repeated_names_get_stable_keys():
    from app.quizzes.banks import read_bank_text

    text = "::A::x{T}\n\n::A::y{F}\n\nSin nombre{T}\n\nSin nombre{F}\n\n::Sin nombre (2)::z{T}"
    keys = [q.name for q in read_bank_text(text, require_names=False).questions]
    assert keys == ["A", "A (2)", "Sin nombre", "Sin nombre (3)", "Sin nombre (2)"]
    assert [q.name for q in read_bank_text(text, require_names=False).questions] == keys

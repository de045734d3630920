"""Question bank pages: list, create, view by category, edit as GIFT with versions, hide, download."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.extensions import db
from app.quizzes.bank_sync import load_bank_file, sync_bank
from app.quizzes.banks import apply_questions, create_bank, read_bank_text
from app.quizzes.models import Question, QuestionBank, QuestionVersion, VersionOrigin
from tests.conftest import post_form

SEED = Path(__file__).resolve().parent.parent / "quizzes"
WEB_GIFT = """$CATEGORY: web/basics

::W-01::¿El agua moja?{T#No, sí moja.#Correcto.}

::W-02::Elija la correcta{=buena#Sí ~mala#No ~%-50%peor#Nunca}

$CATEGORY: web/numbers

::W-03::¿Cuántas sesiones tiene PM+?{#=5:0#Cinco ~#Son cinco}
"""


@pytest.fixture
def trainer(make_user):
    return make_user("trainer")


@pytest.fixture
def web_bank(org, trainer):
    bank = create_bank(org.id, "web-check", "es", "Comprobación web", trainer)
    apply_questions(bank, read_bank_text(WEB_GIFT, require_names=False), actor=trainer, origin=VersionOrigin.IMPORT)
    return bank


@pytest.fixture
def pack_bank():
    bank_file, problems = load_bank_file(SEED / "pfa-knowledge.en.gift")
    assert bank_file is not None, problems
    sync_bank(bank_file)
    return db.session.scalar(sa.select(QuestionBank).where(QuestionBank.slug == "pfa-knowledge",
                                                           QuestionBank.language == "en"))


def _key(bank, key) -> Question:
    return db.session.scalar(sa.select(Question).where(Question.bank_id == bank.id, Question.key == key))


def test_list_shows_pack_banks_and_only_our_web_banks(client, login, trainer, web_bank, pack_bank, make_org):
    other = create_bank(make_org().id, "theirs", "es", "Banco de otra organización", None)
    login(trainer)
    page = client.get("/quizzes/banks").get_data(as_text=True)
    assert "Comprobación web" in page and "Written by your organisation" in page
    assert "Psychological First Aid (PFA): knowledge test" in page and "quizzes/pfa-knowledge.en.gift" in page
    assert other.title not in page
    assert client.get(f"/quizzes/banks/{other.id}").status_code == 404


def test_create_a_web_bank(client, login, trainer, org):
    login(trainer)
    response = post_form(client, "/quizzes/banks/new", {"title": "Chequeo PAP", "slug": "pap-check", "language": "es"})
    assert response.status_code == 302
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.slug == "pap-check"))
    assert bank.organisation_id == org.id and bank.source == "web"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quizzes.bank_created")).object_id == str(bank.id)
    again = post_form(client, "/quizzes/banks/new", {"title": "Otro", "slug": "pap-check", "language": "es"})
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    bad = post_form(client, "/quizzes/banks/new", {"title": "", "slug": "Not A Slug", "language": "es"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Give the bank a title." in page and "Use lowercase letters" in page


def test_bank_page_shows_questions_by_category_with_weights_and_feedback(client, login, trainer, web_bank):
    login(trainer)
    page = client.get(f"/quizzes/banks/{web_bank.id}").get_data(as_text=True)
    body = page[page.index("<section"):]
    assert body.index("web/basics") < body.index("W-01") < body.index("W-02") < body.index("web/numbers") < body.index("W-03")
    assert 'lang="es"' in body
    assert "True or false" in page and "Multiple choice, one answer" in page and "Number" in page
    assert "Penalty: -50%" in page and "Nunca" in page and "Correcto." in page
    assert "Any other number" in page and "Son cinco" in page
    assert "Import GIFT" in page and "Add a question" in page and "Download GIFT" in page


def test_pack_bank_is_read_only(client, login, trainer, pack_bank):
    login(trainer)
    page = client.get(f"/quizzes/banks/{pack_bank.id}").get_data(as_text=True)
    assert "PFA-01" in page and "Carabayllo" in page
    assert "Import GIFT" not in page and "Add a question" not in page and "flask content sync" in page
    question = _key(pack_bank, "PFA-01")
    assert client.get(f"/quizzes/banks/{pack_bank.id}/questions/{question.id}/edit").status_code == 403
    assert client.get(f"/quizzes/banks/{pack_bank.id}/import").status_code == 403
    assert client.get(f"/quizzes/banks/{pack_bank.id}/gift").status_code == 200


def test_editing_a_question_makes_a_new_version_and_keeps_the_old(client, login, trainer, web_bank):
    login(trainer)
    question = _key(web_bank, "W-02")
    url = f"/quizzes/banks/{web_bank.id}/questions/{question.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "$CATEGORY: web/basics" in form and "::W-02::Elija la correcta" in form
    text = "$CATEGORY: web/basics\n\n::W-02::Elija la respuesta correcta{=buena#¡Sí! ~mala#No}"
    preview = post_form(client, url, {"text": text, "preview": "Preview"})
    assert preview.status_code == 422 or preview.status_code == 200
    assert "Preview (not saved yet)" in preview.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id)).where(QuestionVersion.question_id == question.id)) == 1
    saved = post_form(client, url, {"text": text, "note": "Texto más claro", "save": "Save"})
    assert saved.status_code == 302
    db.session.expire_all()
    question = _key(web_bank, "W-02")
    assert question.current_number == 2
    first, second = question.versions
    assert first.data["text"] == "Elija la correcta" and second.data["text"] == "Elija la respuesta correcta"
    assert second.change_note == "Texto más claro" and second.created_by_id == trainer.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quizzes.question_edited"))
    assert event.after["version"] == 2 and event.before["version"] == 1
    history = client.get(f"/quizzes/banks/{web_bank.id}/questions/{question.id}").get_data(as_text=True)
    assert "Version 1" in history and "Version 2" in history and "Texto más claro" in history
    assert "Elija la correcta" in history  # the old version is still shown


def test_saving_the_same_text_makes_no_version(client, login, trainer, web_bank):
    login(trainer)
    question = _key(web_bank, "W-01")
    url = f"/quizzes/banks/{web_bank.id}/questions/{question.id}/edit"
    text = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", client.get(url).get_data(as_text=True), re.S).group(1)
    import html

    response = post_form(client, url, {"text": html.unescape(text), "save": "Save"}, follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _key(web_bank, "W-01").current_number == 1


@pytest.mark.parametrize(("text", "message"), [
    ("::W-02::Pick{=a ~b", "Line 1:"),
    ("::Other::Pick{=a ~b}", "Keep the name ::W-02::"),
    ("::W-02::One{T}\n\n::W-02b::Two{F}", "Write exactly one question"),
])
def test_a_bad_edit_saves_nothing_and_says_why(client, login, trainer, web_bank, text, message):
    login(trainer)
    question = _key(web_bank, "W-02")
    response = post_form(client, f"/quizzes/banks/{web_bank.id}/questions/{question.id}/edit",
                         {"text": text, "save": "Save"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert _key(web_bank, "W-02").current_number == 1


def test_add_a_question(client, login, trainer, web_bank):
    login(trainer)
    url = f"/quizzes/banks/{web_bank.id}/questions/new"
    response = post_form(client, url, {"text": "::W-04::¿PM+ necesita diagnóstico?{F#No lo necesita.#Bien.}",
                                       "save": "Save"})
    assert response.status_code == 302
    question = _key(web_bank, "W-04")
    assert question.current_number == 1 and question.category is None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quizzes.question_created"))
    taken = post_form(client, url, {"text": "::W-01::Otra vez{T}", "save": "Save"})
    assert taken.status_code == 422 and "already has a question named ::W-01::" in taken.get_data(as_text=True)


def test_hide_and_show_a_question(client, login, trainer, web_bank):
    login(trainer)
    question = _key(web_bank, "W-03")
    url = f"/quizzes/banks/{web_bank.id}/questions/{question.id}/visibility"
    post_form(client, url, {"hidden": "yes"})
    db.session.expire_all()
    assert _key(web_bank, "W-03").is_hidden
    page = client.get(f"/quizzes/banks/{web_bank.id}").get_data(as_text=True)
    assert "1 hidden question" in page
    post_form(client, url, {"hidden": "no"})
    db.session.expire_all()
    assert not _key(web_bank, "W-03").is_hidden


def test_download_gift_reimports_to_the_same_questions(client, login, trainer, web_bank):
    login(trainer)
    response = client.get(f"/quizzes/banks/{web_bank.id}/gift")
    assert response.status_code == 200
    assert 'filename="web-check.es.gift"' in response.headers["Content-Disposition"]
    again = read_bank_text(response.get_data(as_text=True), require_names=True)
    original = read_bank_text(WEB_GIFT, require_names=True)
    assert again.questions == original.questions and again.categories == original.categories


@pytest.mark.parametrize("role", ["trainee", "supervisor"])
def test_trainees_and_supervisors_cannot_see_banks(client, login, make_user, web_bank, role):
    login(make_user(role))
    assert client.get("/quizzes/banks").status_code == 403
    assert client.get(f"/quizzes/banks/{web_bank.id}").status_code == 403


def test_spanish_page(spanish_client, login, trainer, web_bank):
    trainer.preferred_language = "es"
    login(trainer, c=spanish_client)
    page = spanish_client.get(f"/quizzes/banks/{web_bank.id}").get_data(as_text=True)
    assert "W-01" in page and 'lang="es"' in page

"""Question bank pages for trainers and admins: banks, questions and their versions, GIFT import and export.

A web bank of another organisation answers 404; pack banks (files in quizzes/) are read-only
here (403 on every change): their files are the source, and flask content sync would overwrite edits.
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.auth.models import User
from app.core.i18n import _, ngettext
from app.core.permissions import authorize, can_author_banks, can_edit_bank, can_know_bank, can_view_bank
from app.extensions import db
from app.quizzes import bank_imports, banks
from app.quizzes.bank_forms import BankForm, ConfirmForm, ImportForm, QuestionForm, VisibilityForm
from app.quizzes.bank_queries import QTYPE_LABELS, error_lines, grouped_by_category, list_banks, percent
from app.quizzes.blueprint import bp
from app.quizzes.gift import GiftSyntaxError, export_gift, format_number
from app.quizzes.models import Question, QuestionBank, QuestionImport, QuestionImportStatus


@bp.context_processor
def _bank_helpers() -> dict:
    return {"bank_qtype_labels": QTYPE_LABELS, "gift_percent": percent, "gift_number": format_number}


def _me() -> User:
    return current_user._get_current_object()


def _bank(bank_id: int) -> QuestionBank:
    """The bank, if this user may read it: 404 across organisations, 403 for other roles."""
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None or bank.archived_at is not None or not can_know_bank(current_user, bank):
        abort(404)
    authorize(can_view_bank(current_user, bank))
    return bank


def _editable_bank(bank_id: int) -> QuestionBank:
    bank = _bank(bank_id)
    authorize(can_edit_bank(current_user, bank))
    return bank


def _question(bank: QuestionBank, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.bank_id != bank.id:
        abort(404)
    return question


def _import(import_id: int) -> QuestionImport:
    batch = db.session.get(QuestionImport, import_id)
    if batch is None or batch.organisation_id != current_user.organisation_id:
        abort(404)
    authorize(can_edit_bank(current_user, batch.bank))
    return batch


def _page(template: str, form, **context):
    """A form again with what was typed: 422 after a submit with errors, 200 on first view."""
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


@bp.route("/quizzes/banks")
@login_required
def bank_list():
    authorize(can_author_banks(current_user, current_user.organisation_id))
    return render_template("quizzes/banks.html", banks=list_banks(current_user.organisation_id))


@bp.route("/quizzes/banks/new", methods=["GET", "POST"])
@login_required
def bank_new():
    authorize(can_author_banks(current_user, current_user.organisation_id))
    form = BankForm(languages=tuple(current_app.config["LANGUAGES"]))
    if form.validate_on_submit():
        try:
            bank = banks.create_bank(current_user.organisation_id, form.slug.data, form.language.data,
                                     form.title.data, _me())
        except banks.BankError as error:
            db.session.rollback()
            form[error.field or "slug"].errors = [error.message]
        else:
            db.session.commit()
            flash(_("The bank has been created. Import a GIFT file or add questions one by one."), "success")
            return redirect(url_for("quizzes.bank_view", bank_id=bank.id))
    return _page("quizzes/bank_form.html", form)


@bp.route("/quizzes/banks/<int:bank_id>")
@login_required
def bank_view(bank_id: int):
    bank = _bank(bank_id)
    questions = banks.bank_questions(bank, hidden=True)
    return render_template("quizzes/bank.html", bank=bank, can_edit=can_edit_bank(current_user, bank),
                           groups=grouped_by_category([q for q in questions if not q.is_hidden]),
                           hidden=[q for q in questions if q.is_hidden], as_gift=banks.as_gift, form=ConfirmForm())


@bp.route("/quizzes/banks/<int:bank_id>/gift")
@login_required
def bank_export(bank_id: int):
    bank = _bank(bank_id)
    filename = f"{bank.slug}.{bank.language}.gift"
    return Response(banks.export_bank(bank), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/quizzes/banks/<int:bank_id>/questions/<int:bank_question_id>")
@login_required
def bank_question(bank_id: int, bank_question_id: int):
    bank = _bank(bank_id)
    question = _question(bank, bank_question_id)
    return render_template("quizzes/bank_question.html", bank=bank, question=question, as_gift=banks.as_gift,
                           versions=list(reversed(question.versions)), can_edit=can_edit_bank(current_user, bank),
                           form=VisibilityForm())


def _question_form(bank: QuestionBank, question: Question | None):
    form = QuestionForm()
    if question is not None and not form.is_submitted():
        form.text.data = export_gift([banks.as_gift(question)])
    preview = errors = None
    if form.validate_on_submit():
        try:
            if form.save.data:
                saved, changed = banks.save_question(bank, question, form.text.data, form.note.data, _me())
                db.session.commit()
                flash(_("The question has been saved as a new version.") if changed
                      else _("Nothing changed, so no new version was made."), "success" if changed else "info")
                return redirect(url_for("quizzes.bank_question", bank_id=bank.id, bank_question_id=saved.id))
            preview = banks.read_bank_text(form.text.data, require_names=False).questions
        except GiftSyntaxError as error:
            db.session.rollback()
            errors = error_lines(form.text.data, error)
            form.text.errors = [_("The GIFT text has errors. Nothing was saved.")]
        except banks.BankError as error:
            db.session.rollback()
            form.text.errors = [error.message]
    return _page("quizzes/bank_question_form.html", form, bank=bank, question=question, preview=preview,
                 gift_errors=errors)


@bp.route("/quizzes/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@login_required
def bank_question_new(bank_id: int):
    return _question_form(_editable_bank(bank_id), None)


@bp.route("/quizzes/banks/<int:bank_id>/questions/<int:bank_question_id>/edit", methods=["GET", "POST"])
@login_required
def bank_question_edit(bank_id: int, bank_question_id: int):
    bank = _editable_bank(bank_id)
    return _question_form(bank, _question(bank, bank_question_id))


@bp.route("/quizzes/banks/<int:bank_id>/questions/<int:bank_question_id>/visibility", methods=["POST"])
@login_required
def bank_question_visibility(bank_id: int, bank_question_id: int):
    bank = _editable_bank(bank_id)
    question = _question(bank, bank_question_id)
    form = VisibilityForm()
    if not form.validate_on_submit():
        flash(_("Choose to hide or show the question."), "error")
    else:
        banks.set_question_hidden(question, form.hidden.data == "yes", _me())
        db.session.commit()
        flash(_("The question is hidden from new quizzes.") if question.is_hidden
              else _("The question is shown again."), "success")
    return redirect(url_for("quizzes.bank_question", bank_id=bank.id, bank_question_id=question.id))


@bp.route("/quizzes/banks/<int:bank_id>/import", methods=["GET", "POST"])
@login_required
def bank_import(bank_id: int):
    bank = _editable_bank(bank_id)
    form = ImportForm()
    errors = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if upload and upload.filename:
                filename, text = upload.filename, banks.decode_gift(upload.read())
            elif (form.text.data or "").strip():
                filename, text = _("pasted text"), form.text.data
            else:
                raise banks.BankError(_("Choose a GIFT file or paste GIFT text."), "file")
            batch = bank_imports.start_bank_import(bank, _me(), filename, text)
        except banks.BankError as error:
            db.session.rollback()
            form[error.field or "file"].errors = [error.message]
        except GiftSyntaxError as error:
            db.session.rollback()
            errors = error_lines(text, error)
        else:
            db.session.commit()
            return redirect(url_for("quizzes.bank_import_preview", bank_import_id=batch.id))
    return _page("quizzes/bank_import.html", form, bank=bank, gift_errors=errors)


@bp.route("/quizzes/banks/imports/<int:bank_import_id>")
@login_required
def bank_import_preview(bank_import_id: int):
    batch = _import(bank_import_id)
    preview = bank_imports.preview_import(batch) if batch.status == QuestionImportStatus.PREVIEWED else None
    return render_template("quizzes/bank_import_preview.html", batch=batch, bank=batch.bank, preview=preview,
                           form=ConfirmForm())


@bp.route("/quizzes/banks/imports/<int:bank_import_id>/confirm", methods=["POST"])
@login_required
def bank_import_confirm(bank_import_id: int):
    batch = _import(bank_import_id)
    try:
        counts = bank_imports.confirm_bank_import(batch, _me())
    except bank_imports.ImportStateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quizzes.bank_import_preview", bank_import_id=batch.id))
    db.session.commit()
    total = counts.created + counts.versioned + counts.unchanged
    flash(ngettext("%(num)d question imported.", "%(num)d questions imported.", total) + " "
          + _("New: %(new)s. New versions: %(versions)s. Unchanged: %(same)s.",
              new=counts.created, versions=counts.versioned, same=counts.unchanged), "success")
    return redirect(url_for("quizzes.bank_view", bank_id=batch.bank_id))


@bp.route("/quizzes/banks/imports/<int:bank_import_id>/discard", methods=["POST"])
@login_required
def bank_import_discard(bank_import_id: int):
    batch = _import(bank_import_id)
    try:
        bank_imports.discard_bank_import(batch)
    except bank_imports.ImportStateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quizzes.bank_import_preview", bank_import_id=batch.id))
    db.session.commit()
    flash(_("The import was discarded. No question was imported."), "success")
    return redirect(url_for("quizzes.bank_view", bank_id=batch.bank_id))

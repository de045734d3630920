"""Question bank forms: shape only; banks.py and bank_imports.py decide the rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.fields import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from app.core.i18n import LANGUAGE_NAMES, _l
from app.courses.packs import SLUG
from app.quizzes.banks import MAX_GIFT_CHARS

GIFT_HINT = _l("GIFT, Moodle's question format. Start with ::name:: to give the question its name. "
               "An optional first line $CATEGORY: path puts it in a category.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class BankForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(message=_l("Give the bank a title.")), Length(max=200)])
    slug = StringField(_l("Short name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter a short name.")), Length(max=64),
        Regexp(SLUG.pattern, message=_l("Use lowercase letters, digits and hyphens, starting with a letter or digit."))],
        description=_l("Lowercase letters, digits and hyphens, for example pm-plus-check. Quizzes name the bank "
                       "by it, so it cannot be changed later. Use the same short name for each language."))
    language = SelectField(_l("Language of the questions"),
                           validators=[DataRequired(message=_l("Choose a language."))])

    def __init__(self, *args, languages: tuple[str, ...] = ("es", "en"), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(value=code, label=LANGUAGE_NAMES.get(code, code)) for code in languages]


class ImportForm(FlaskForm):
    file = FileField(_l("GIFT file"), description=_l("A .gift or .txt file saved as UTF-8, for example "
                                                     "exported from Moodle."),
                     render_kw={"accept": ".gift,.txt,text/plain"})
    text = TextAreaField(_l("Or paste GIFT text"), validators=[Optional(), Length(max=MAX_GIFT_CHARS)],
                         render_kw={"rows": 12, "spellcheck": "false"})
    submit = SubmitField(_l("Check the questions"))


class ConfirmForm(FlaskForm):
    """A form with only its CSRF token: confirm, discard, download."""


class QuestionForm(FlaskForm):
    text = TextAreaField(_l("The question in GIFT"), description=GIFT_HINT,
                         validators=[DataRequired(message=_l("Write the question.")), Length(max=100_000)],
                         render_kw={"rows": 16, "spellcheck": "true"})
    note = StringField(_l("What did you change? (optional)"), filters=[_strip],
                       validators=[Optional(), Length(max=300)])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))


class VisibilityForm(FlaskForm):
    hidden = HiddenField(validators=[AnyOf(["yes", "no"], message=_l("Choose to hide or show the question."))])

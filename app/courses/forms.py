"""Course forms: shape only; the services (services.py, authoring.py) decide the rules."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields import (
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.i18n import LANGUAGE_NAMES, _l
from app.courses.packs import SLUG

SLUG_HINT = _l("Lowercase letters, digits and hyphens, for example 01-first-steps. It appears in web addresses "
               "and cannot be changed later.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


class MarkDoneForm(FlaskForm):
    """"Mark as done": no fields, but CSRF-protected like every form."""


class ConfirmForm(FlaskForm):
    """A button that changes something (publish, archive, restore, take back): CSRF only."""


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])

    @property
    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChooseAtLeastOne:
    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: SelectMultipleField) -> None:
        if not field.data:
            raise StopValidation(self.message)


def _slug_field() -> StringField:
    return StringField(_l("Short name"), filters=[_strip], description=SLUG_HINT, validators=[
        DataRequired(), Length(max=64),
        Regexp(SLUG.pattern,
               message=_l("Use lowercase letters, digits and hyphens, starting with a letter or digit."))])


class CourseForm(FlaskForm):
    """Course settings; texts per language are added by course_form()."""

    available: list[str] = []
    version = StringField(_l("Version"), default="1.0.0", validators=[DataRequired(), Length(max=32)],
                          filters=[_strip], description=_l("Change it when you publish important changes."))
    estimated_hours = FloatField(_l("Estimated hours (optional)"), validators=[
        Optional(), NumberRange(min=0.1, max=1000, message=_l("Enter a number of hours greater than 0."))])
    licence = StringField(_l("Licence"), default="CC BY-SA 4.0", validators=[DataRequired(), Length(max=200)],
                          filters=[_strip])

    def text(self, kind: str, language: str) -> Any:
        return self[f"{kind}_{language}"]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for language in self.languages.data or []:
            for kind, message in (("title", _l("Enter the title in this language.")),
                                  ("summary", _l("Enter the summary in this language."))):
                field = self.text(kind, language)
                if not (field.data or "").strip():
                    field.errors = [*field.errors, message]
                    valid = False
        return valid

    def texts(self, kind: str) -> dict[str, str]:
        return {x: (self.text(kind, x).data or "").strip() for x in self.languages.data or []}


def course_form(available: list[str], *, new: bool, **kwargs: Any) -> CourseForm:
    """The course form for these languages; `new` adds the short name (fixed once created)."""
    fields: dict[str, Any] = {"available": list(available)}
    if new:
        fields["slug"] = _slug_field()
    fields["languages"] = MultiCheckboxField(
        _l("Languages"), choices=[SelectChoice(value=x, label=language_name(x)) for x in available],
        validators=[ChooseAtLeastOne(_l("Choose at least one language."))])
    for language in available:
        name = language_name(language)
        fields[f"title_{language}"] = StringField(_l("Title (%(language)s)", language=name),
                                                  validators=[Length(max=200)], filters=[_strip])
        fields[f"summary_{language}"] = TextAreaField(_l("Summary (%(language)s)", language=name),
                                                      validators=[Length(max=2000)], filters=[_strip])
        fields[f"audience_{language}"] = StringField(_l("Audience (%(language)s, optional)", language=name),
                                                     validators=[Length(max=500)], filters=[_strip])
    return type("CourseFormFor", (CourseForm,), fields)(**kwargs)


class TitlesForm(FlaskForm):
    """A title per course language (modules and new lessons); fields added by titles_form()."""

    languages: list[str] = []

    def titles(self) -> dict[str, str]:
        return {x: self[f"title_{x}"].data for x in self.languages}


def titles_form(base: type[TitlesForm], languages: list[str], **kwargs: Any) -> TitlesForm:
    fields: dict[str, Any] = {"languages": list(languages)}
    for language in languages:
        fields[f"title_{language}"] = StringField(
            _l("Title (%(language)s)", language=language_name(language)),
            validators=[DataRequired(message=_l("Enter the title in this language.")), Length(max=200)],
            filters=[_strip])
    return type(f"{base.__name__}For", (base,), fields)(**kwargs)


class ModuleForm(TitlesForm):
    pass


class NewModuleForm(ModuleForm):
    slug = _slug_field()


class NewLessonForm(TitlesForm):
    slug = _slug_field()
    minutes = IntegerField(_l("Minutes (optional)"), validators=[
        Optional(), NumberRange(min=1, max=600, message=_l("Enter a whole number of minutes, 1 or more."))])


class LessonTextForm(FlaskForm):
    """The lesson editor: "Preview" shows the rendered text below; "Save" checks and stores it."""

    title = StringField(_l("Lesson title"), validators=[DataRequired(message=_l("Enter the lesson title.")),
                                                         Length(max=200)], filters=[_strip])
    body = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=100_000)], render_kw={"rows": 18},
                         description=_l("Write ## for a section heading, **bold**, *italic*, - for a list item, "
                                        "[text](02-lesson.md) to link to another lesson. HTML is not allowed."))
    note = StringField(_l("What did you change? (optional)"), validators=[Optional(), Length(max=300)],
                       filters=[_strip])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))


class GiveCourseForm(FlaskForm):
    cohort_id = SelectField(_l("Cohort"), coerce=int, validators=[InputRequired(message=_l("Choose a cohort."))])
    language = SelectField(_l("Language"), validators=[DataRequired(message=_l("Choose a language."))])

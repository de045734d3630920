"""Organisation forms: they check shape (required, length, format); the services check the rules."""
from __future__ import annotations

from typing import Any, Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.fields import DateField, SearchField
from wtforms.validators import DataRequired, Length, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.i18n import _l
from app.orgs.models import CohortRole, CohortStatus, Role

ROLE_LABELS = {
    Role.TRAINEE: _l("Trainee"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.TRAINER: _l("Trainer"),
    Role.ADMIN: _l("Administrator"),
    Role.CLINICAL_LEAD: _l("Clinical lead"),
    Role.PROGRAMME_MANAGER: _l("Programme manager"),
}
COHORT_ROLE_LABELS = {
    CohortRole.TRAINER: _l("Trainers"),
    CohortRole.SUPERVISOR: _l("Supervisors"),
    CohortRole.TRAINEE: _l("Trainees"),
}
COHORT_STATUS_LABELS = {
    CohortStatus.PLANNED: _l("Planned"),
    CohortStatus.ACTIVE: _l("Active"),
    CohortStatus.COMPLETED: _l("Completed"),
    CohortStatus.ARCHIVED: _l("Archived"),
}


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


LANGUAGE_CHOICES = [("es", "Español"), ("en", "English")]
USERNAME_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{1,63}\s*$"
EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
PHONE_PATTERN = r"^\s*\+?[0-9 ().-]{5,32}\s*$"


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes under one name; rendered by orgs/_macros.html as a fieldset."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChooseAtLeastOne:
    """Like DataRequired for a checkbox group, without putting `required` on every box (the browser
    would then insist on all of them)."""

    def __init__(self, message: Any):
        self.message = message

    def __call__(self, form: FlaskForm, field: SelectMultipleField) -> None:
        if not field.data:
            raise StopValidation(self.message)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Regexp(USERNAME_PATTERN, message=_l(
            "Use 2 to 64 letters, numbers, dots, hyphens or underscores, with no spaces."))],
        filters=[_strip],
        description=_l("Used to sign in. Stored in lower case, for example rosa.vazquez."),
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    email = StringField(
        _l("Email (optional)"),
        validators=[Optional(), Length(max=254), Regexp(EMAIL_PATTERN, message=_l("Enter an email address like name@example.org."))],
        filters=[_strip],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), Regexp(PHONE_PATTERN, message=_l("Use only numbers, spaces and + ( ) - ."))],
        filters=[_strip],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    site_id = SelectField(_l("Site"), coerce=int, default=0)
    preferred_language = SelectField(_l("Language"), choices=options(LANGUAGE_CHOICES), default="es")
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=options((role.value, label) for role, label in ROLE_LABELS.items()),
        description=_l("A person may hold several roles."),
    )


class UserCreateForm(UserForm):
    password = PasswordField(
        _l("Initial password (optional)"),
        validators=[Optional(), Length(max=1024)],
        description=_l("Leave empty to get a one-time reset code to give to the person instead."),
        render_kw={"autocomplete": "new-password"},
    )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)],
                    description=_l("Name, username or email"))
    role = SelectField(_l("Role"), choices=options([("", _l("All roles"))] + [(r.value, label) for r, label in ROLE_LABELS.items()]),
                       validators=[Optional()])
    site = SelectField(_l("Site"), coerce=int, default=0, validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("", _l("Active and deactivated")), ("active", _l("Active")),
                                                        ("inactive", _l("Deactivated"))]), validators=[Optional()])


class ResetCodeForm(FlaskForm):
    next = HiddenField()


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet file"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     description=_l("A CSV file (.csv) or an Excel workbook (.xlsx), up to 2,000 people."),
                     render_kw={"accept": ".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class ImportConfirmForm(FlaskForm):
    skip_invalid = BooleanField(_l("Skip the rows with problems"))


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    region = StringField(_l("Region (optional)"), validators=[Optional(), Length(max=200)], filters=[_strip])
    is_active = BooleanField(_l("Active"), default=True,
                             description=_l("Inactive sites cannot be chosen for new users or cohorts."))


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip],
                       description=_l("For example: PM+ Sierra, October 2026"))
    site_id = SelectField(_l("Site"), coerce=int, default=0)
    starts_on = DateField(_l("Start date (optional)"), validators=[Optional()])
    ends_on = DateField(_l("End date (optional)"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options((s.value, label) for s, label in COHORT_STATUS_LABELS.items()),
                         default=CohortStatus.PLANNED.value)


class AddMembersForm(FlaskForm):
    user_ids = MultiCheckboxField(_l("People"), coerce=int, validators=[ChooseAtLeastOne(_l("Choose at least one person."))])


class FindMembersForm(FlaskForm):
    """The GET search above each "add members" list; prefixed with the cohort role."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(_l("Find people to add"), validators=[Optional(), Length(max=100)],
                    description=_l("Name or username"))


class AssignSupervisorForm(FlaskForm):
    supervisor_id = SelectField(_l("Supervisor"), coerce=int)
    trainee_ids = MultiCheckboxField(_l("Trainees"), coerce=int,
                                     validators=[ChooseAtLeastOne(_l("Choose at least one trainee."))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SearchField(_l("Done by (username)"), validators=[Optional(), Length(max=64)])

"""Training day and attendance forms: they check shape; the services check the rules."""
from __future__ import annotations

from typing import Any, Iterable

from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.fields import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.auth.models import User
from app.core.i18n import _l
from app.training.models import Attendance, AttendanceStatus
from app.training.services import Mark

STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TrainingDayForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter the date, for example 2026-10-05."))])
    starts_at = TimeField(_l("Start time (optional)"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    facilitator_id = SelectField(_l("Facilitator"), coerce=int, default=0,
                                 description=_l("A trainer or supervisor of the cohort, or type a name below."))
    facilitator_name = StringField(_l("Other facilitator (optional)"), validators=[Optional(), Length(max=200)],
                                   filters=[_strip])
    notes = TextAreaField(_l("Notes (optional)"), validators=[Optional(), Length(max=2000)], filters=[_strip])


def facilitator_choices(people: Iterable[User]) -> list[SelectChoice]:
    return [SelectChoice(value=0, label=_l("Someone else (type the name below)"))] + [
        SelectChoice(value=person.id, label=person.full_name) for person in people]


class AttendanceSheetForm(FlaskForm):
    """One status and one note per trainee (fields added per cohort by attendance_sheet_form)."""

    save = SubmitField(_l("Save attendance"))
    all_present = SubmitField(_l("Mark everyone else present and save"))

    trainee_ids: list[int] = []

    def row(self, trainee_id: int) -> tuple[Any, Any]:
        return self[f"status_{trainee_id}"], self[f"note_{trainee_id}"]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for trainee_id in self.trainee_ids:
            status, note = self.row(trainee_id)
            if note.data and not status.data and not self.all_present.data:
                note.errors = [*note.errors, _l("Choose present, absent or excused to save this note.")]
                valid = False
        return valid

    def marks(self) -> dict[int, Mark]:
        """The rows with a status; with "everyone else present", blank rows become present."""
        result = {}
        for trainee_id in self.trainee_ids:
            status, note = self.row(trainee_id)
            chosen = status.data or (AttendanceStatus.PRESENT.value if self.all_present.data else None)
            if chosen:
                result[trainee_id] = Mark(AttendanceStatus(chosen), note.data or None)
        return result


def attendance_sheet_form(trainees: list[User], recorded: dict[int, Attendance]) -> AttendanceSheetForm:
    """A sheet for these trainees, filled in with what was recorded before."""
    choices = [SelectChoice(value=status.value, label=label) for status, label in STATUS_LABELS.items()]
    fields: dict[str, Any] = {"trainee_ids": [t.id for t in trainees]}
    data: dict[str, Any] = {}
    for trainee in trainees:
        fields[f"status_{trainee.id}"] = RadioField(
            _l("Attendance"), choices=choices, validate_choice=False,
            validators=[Optional(), AnyOf([c.value for c in choices], message=_l("Choose present, absent or excused."))])
        fields[f"note_{trainee.id}"] = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)],
                                                   filters=[_strip])
        if trainee.id in recorded:
            data[f"status_{trainee.id}"] = recorded[trainee.id].status.value
            data[f"note_{trainee.id}"] = recorded[trainee.id].note
    sheet = type("AttendanceSheet", (AttendanceSheetForm,), fields)
    return sheet(data=data)

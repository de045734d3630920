"""Practice forms: they check shape and warn about names; the services check the rules."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, widgets
from wtforms.fields import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.i18n import _l
from app.practice.models import PSYCHLOPS_MAX, DeliveryMode, Intervention, PracticeEntry, RiskFlag
from app.practice.services import NO_RISK, EntryData
from app.supervision.deidentify import check_text, normalise_client_code

INTERVENTION_LABELS = {
    Intervention.PM_PLUS: _l("PM+ (Problem Management Plus)"),
    Intervention.PFA: _l("Psychological first aid"),
    Intervention.OTHER: _l("Other"),
}
MODE_LABELS = {
    DeliveryMode.HOME_VISIT: _l("Home visit"),
    DeliveryMode.CLINIC: _l("Clinic"),
    DeliveryMode.PHONE: _l("Phone"),
}
RISK_LABELS = {
    NO_RISK: _l("No risk seen"),
    RiskFlag.SUICIDAL_THOUGHTS: _l("Suicidal thoughts"),
    RiskFlag.VIOLENCE: _l("Violence"),
    RiskFlag.CHILD_PROTECTION: _l("Child protection concern"),
    RiskFlag.OTHER: _l("Other risk"),
}
FREE_TEXT = ("intervention_other", "risk_action", "custom_measure_name", "notes")


def _strip(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PracticeEntryForm(FlaskForm):
    client_code = StringField(
        _l("Client code"), validators=[DataRequired(message=_l("Enter the client code.")), Length(max=20)],
        filters=[normalise_client_code],
        description=_l("Never a name. Letters and digits with at least one digit, for example CH-0123."))
    intervention = RadioField(_l("Intervention"), choices=[SelectChoice(value=i.value, label=label) for i, label in INTERVENTION_LABELS.items()],
                              validators=[DataRequired(message=_l("Choose the intervention."))])
    intervention_other = StringField(_l("Which intervention? (if other)"), validators=[Optional(), Length(max=100)],
                                     filters=[_strip])
    session_number = IntegerField(_l("Session number"), validators=[Optional(), NumberRange(min=1, max=30)],
                                  description=_l("PM+ has 5 sessions. Psychological first aid is usually 1."))
    delivered_on = DateField(_l("Date of the session"), validators=[Optional()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[Optional(), NumberRange(min=1, max=480)])
    mode = RadioField(_l("How it was delivered"), choices=[SelectChoice(value=m.value, label=label) for m, label in MODE_LABELS.items()],
                      validators=[Optional()], validate_choice=True)
    risk_flags = CheckboxesField(_l("Risks seen in this session"),
                                 choices=[SelectChoice(value=str(key), label=label) for key, label in RISK_LABELS.items()],
                                 description=_l("Your supervisor is told at once about any risk."))
    risk_action = TextAreaField(_l("What you did about the risk"), validators=[Optional(), Length(max=2000)],
                                filters=[_strip])
    outcome_before = IntegerField(_l("PSYCHLOPS before (0–20, optional)"),
                                  validators=[Optional(), NumberRange(min=0, max=PSYCHLOPS_MAX)])
    outcome_after = IntegerField(_l("PSYCHLOPS after (0–20, optional)"),
                                 validators=[Optional(), NumberRange(min=0, max=PSYCHLOPS_MAX)],
                                 description=_l("The post-assessment: fill it in at the last session."))
    custom_measure_name = StringField(_l("Other measure: name (optional)"), validators=[Optional(), Length(max=100)],
                                      filters=[_strip], description=_l("For example PHQ-9."))
    custom_measure_value = FloatField(_l("Other measure: score (optional)"),
                                      validators=[Optional(), NumberRange(min=-1000, max=1000)])
    notes = TextAreaField(_l("Notes for your supervisor (optional)"), validators=[Optional(), Length(max=4000)],
                          filters=[_strip], description=_l("Do not write names, phone numbers or addresses."))
    no_identifiers = BooleanField(_l("I checked: this entry has no name, phone number or address of the client."))
    submit = SubmitField(_l("Send to my supervisor"))
    save_draft = SubmitField(_l("Save as draft"))

    def __init__(self, *args: Any, entry: PracticeEntry | None = None, **kwargs: Any):
        if entry is not None and "data" not in kwargs:
            kwargs["data"] = _entry_data(entry)
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, list[str]] = {}

    def find_identifiers(self) -> bool:
        """Warn, field by field, about text that looks like a name or a phone number; True if any."""
        messages = {"name": _l("This looks like a name: “%(text)s”."),
                    "phone": _l("This looks like a phone number: “%(text)s”.")}
        self.warnings = {}
        for name in FREE_TEXT:
            for finding in check_text(self[name].data):
                self.warnings.setdefault(name, []).append(messages[finding.kind] % {"text": finding.text})
        return bool(self.warnings)

    def entry_data(self) -> EntryData:
        return EntryData(
            client_code=self.client_code.data, intervention=Intervention(self.intervention.data),
            intervention_other=self.intervention_other.data if self.intervention.data == Intervention.OTHER else None,
            session_number=self.session_number.data, delivered_on=self.delivered_on.data,
            duration_minutes=self.duration_minutes.data,
            mode=DeliveryMode(self.mode.data) if self.mode.data else None,
            risk_flags=list(self.risk_flags.data or []), risk_action=self.risk_action.data,
            outcome_before=self.outcome_before.data, outcome_after=self.outcome_after.data,
            custom_measure_name=self.custom_measure_name.data, custom_measure_value=self.custom_measure_value.data,
            notes=self.notes.data,
        )


def _entry_data(entry: PracticeEntry) -> dict[str, Any]:
    flags = list(entry.risk_flags or [])
    if not flags and entry.status != "draft":
        flags = [NO_RISK]
    return {
        "client_code": entry.case.client_code, "intervention": entry.case.intervention.value,
        "intervention_other": entry.case.intervention_other, "session_number": entry.session_number,
        "delivered_on": entry.delivered_on, "duration_minutes": entry.duration_minutes,
        "mode": entry.mode.value if entry.mode else None, "risk_flags": flags, "risk_action": entry.risk_action,
        "outcome_before": entry.outcome_before, "outcome_after": entry.outcome_after,
        "custom_measure_name": entry.custom_measure_name, "custom_measure_value": entry.custom_measure_value,
        "notes": entry.notes,
    }


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the trainee"), validators=[Optional(), Length(max=2000)], filters=[_strip],
                            description=_l("Needed when you return the entry: say what to correct."))
    verify = SubmitField(_l("Verify"))
    send_back = SubmitField(_l("Return for correction"))


class PracticeRuleForm(FlaskForm):
    intervention = SelectField(_l("Intervention"), choices=[SelectChoice(value=i.value, label=label) for i, label in INTERVENTION_LABELS.items()])
    required_sessions = IntegerField(_l("Sessions for a completed case"),
                                     validators=[DataRequired(), NumberRange(min=1, max=30)])
    needs_post_assessment = BooleanField(_l("A post-assessment (outcome after) is also needed"))

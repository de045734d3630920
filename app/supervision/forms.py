"""Supervision forms: they check shape; the services check the rules (who, when, codes, risk)."""
from __future__ import annotations

from datetime import date, time
from typing import Any, Iterable

from flask_wtf import FlaskForm
from wtforms import Form, SelectChoice
from wtforms.fields import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, NumberRange, Optional

from app.auth.models import User
from app.core.i18n import _l
from app.orgs.forms import MultiCheckboxField
from app.supervision.models import Intervention, Modality, RiskLevel, SessionFormat, Topic
from app.supervision.services import ActionData, CaseData, SessionData

FORMAT_LABELS = {
    SessionFormat.INDIVIDUAL: _l("Individual"),
    SessionFormat.GROUP: _l("Group"),
    SessionFormat.PEER: _l("Peer"),
}
MODALITY_LABELS = {Modality.IN_PERSON: _l("In person"), Modality.PHONE: _l("Phone"), Modality.VIDEO: _l("Video")}
TOPIC_LABELS = {
    Topic.CASE_REVIEW: _l("Case review"),
    Topic.RISK: _l("Risk"),
    Topic.SKILLS_PRACTICE: _l("Skills practice"),
    Topic.SELF_CARE: _l("Self-care"),
    Topic.ADMINISTRATIVE: _l("Administrative"),
}
RISK_LABELS = {
    RiskLevel.NONE: _l("None"),
    RiskLevel.LOW: _l("Low"),
    RiskLevel.MODERATE: _l("Moderate"),
    RiskLevel.HIGH: _l("High"),
    RiskLevel.IMMINENT: _l("Imminent"),
}
INTERVENTION_LABELS = {Intervention.PM_PLUS: _l("PM+"), Intervention.PFA: _l("Psychological first aid"),
                       Intervention.OTHER: _l("Other")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value=key.value, label=label) for key, label in labels.items()]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "0") else None
    except (TypeError, ValueError):
        return None


def _score(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 10 else None


class WhoAndWhenForm(FlaskForm):
    """The first page of a new session; also the top of the full record."""

    supervisee_ids = MultiCheckboxField(_l("Supervisees"), coerce=int)
    format = SelectField(_l("Format"), choices=_choices(FORMAT_LABELS), default=SessionFormat.INDIVIDUAL.value)
    modality = SelectField(_l("How you met"), choices=_choices(MODALITY_LABELS), default=Modality.IN_PERSON.value)
    held_on = DateField(_l("Date"), validators=[Optional()])
    starts_at = TimeField(_l("Start time"), validators=[Optional()])
    duration_minutes = IntegerField(_l("Duration in minutes"), validators=[Optional(), NumberRange(min=5, max=480)],
                                    default=60, render_kw={"inputmode": "numeric"})
    site_id = SelectField(_l("Site (optional)"), coerce=int, default=0)


class CaseForm(Form):
    supervisee_id = SelectField(_l("Whose case"), coerce=int, default=0, validate_choice=False)
    client_code = StringField(_l("Client code"), validators=[Optional(), Length(max=20)], filters=[_strip],
                              description=_l("For example CH-014. Never a name."),
                              render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    intervention = SelectField(_l("Intervention"), choices=_choices(INTERVENTION_LABELS),
                               default=Intervention.PM_PLUS.value)
    session_number = IntegerField(_l("Session number (optional)"), validators=[Optional(), NumberRange(min=1, max=50)],
                                  render_kw={"inputmode": "numeric"})
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)], filters=[_strip])
    risk_level = SelectField(_l("Risk level"), choices=_choices(RISK_LABELS), default=RiskLevel.NONE.value)
    action_taken = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=4000)], filters=[_strip])
    referral = TextAreaField(_l("Referral or escalation (optional)"), validators=[Optional(), Length(max=2000)],
                             filters=[_strip])

    def data_object(self) -> CaseData:
        return CaseData(client_code=self.client_code.data or "",
                        intervention=Intervention(self.intervention.data or Intervention.PM_PLUS.value),
                        session_number=self.session_number.data, summary=self.summary.data,
                        risk_level=RiskLevel(self.risk_level.data or RiskLevel.NONE.value),
                        action_taken=self.action_taken.data, referral=self.referral.data,
                        supervisee_id=_int_or_none(self.supervisee_id.data))


class ActionForm(Form):
    description = StringField(_l("Action"), validators=[Optional(), Length(max=500)], filters=[_strip])
    owner_id = SelectField(_l("Owner"), coerce=int, default=0, validate_choice=False)
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


class SessionForm(WhoAndWhenForm):
    topics = MultiCheckboxField(_l("Topics covered"), choices=_choices(TOPIC_LABELS))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)], filters=[_strip],
                          description=_l("No names, addresses or phone numbers of clients."))
    cases = FieldList(FormField(CaseForm), min_entries=0, max_entries=30)
    actions = FieldList(FormField(ActionForm), min_entries=0, max_entries=30)
    assessment_id = SelectField(_l("Competency assessment made in this session (optional)"), coerce=int, default=0)
    save_draft = SubmitField(_l("Save draft"))
    add_case = SubmitField(_l("Add another case"))
    add_action = SubmitField(_l("Add another action item"))
    submit = SubmitField(_l("Submit the record"))
    save = SubmitField(_l("Save changes"))

    attendee_ids: list[int] = []

    def wellbeing_row(self, supervisee_id: int) -> tuple[Any, Any]:
        return self[f"wellbeing_score_{supervisee_id}"], self[f"wellbeing_note_{supervisee_id}"]

    def session_data(self, started_at) -> SessionData:
        wellbeing = {}
        for supervisee_id in self.attendee_ids:
            if supervisee_id in (self.supervisee_ids.data or []):
                score, note = self.wellbeing_row(supervisee_id)
                wellbeing[supervisee_id] = (_score(score.data), note.data)
        return SessionData(
            supervisee_ids=list(self.supervisee_ids.data or []), format=SessionFormat(self.format.data),
            modality=Modality(self.modality.data), started_at=started_at,
            duration_minutes=self.duration_minutes.data, site_id=self.site_id.data or None,
            topics=list(self.topics.data or []), notes=self.notes.data,
            cases=[entry.form.data_object() for entry in self.cases],
            actions=[ActionData(description=entry.form.description.data or "",
                                owner_id=_int_or_none(entry.form.owner_id.data), due_on=entry.form.due_on.data)
                     for entry in self.actions],
            wellbeing=wellbeing, assessment_id=self.assessment_id.data or None)


WELLBEING_CHOICES = [SelectChoice(value="", label=_l("Not asked"))] + [
    SelectChoice(value=str(n), label=str(n)) for n in range(0, 11)]


def session_form(attendees: Iterable[User], **kwargs: Any) -> SessionForm:
    """The full record, with a well-being score and note for each supervisee in the session."""
    people = list(attendees)
    fields: dict[str, Any] = {"attendee_ids": [p.id for p in people]}
    for person in people:
        fields[f"wellbeing_score_{person.id}"] = SelectField(
            _l("Well-being (0 very low, 10 very well)"), choices=WELLBEING_CHOICES, default="", validate_choice=False)
        fields[f"wellbeing_note_{person.id}"] = TextAreaField(
            _l("Well-being note (optional)"), validators=[Optional(), Length(max=2000)], filters=[_strip])
    form_class = type("SupervisionSessionForm", (SessionForm,), fields)
    return form_class(**kwargs)


def people_choices(people: Iterable[User], empty: Any = None) -> list[SelectChoice]:
    options = [SelectChoice(value=0, label=empty)] if empty is not None else []
    return options + [SelectChoice(value=p.id, label=p.full_name) for p in people]


class SettingsForm(FlaskForm):
    overdue_days = IntegerField(
        _l("Supervision is overdue after this many days without a session"),
        validators=[NumberRange(min=1, max=365, message=_l("Choose between 1 and 365 days."))],
        render_kw={"inputmode": "numeric"})
    followup_score = IntegerField(
        _l("A well-being score at or below this opens a follow-up action item"),
        validators=[NumberRange(min=0, max=10, message=_l("Choose a score from 0 to 10."))],
        render_kw={"inputmode": "numeric"})


class AcknowledgeForm(FlaskForm):
    pass


def default_start(today: date) -> tuple[date, time]:
    return today, time(10, 0)

"""Forms for issuing, revoking and editing a certification rule. They check shape; services check rules."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, widgets
from wtforms.fields import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.certificates.models import RevocationReason
from app.core.i18n import _l


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


REASON_LABELS = {
    RevocationReason.ISSUED_IN_ERROR: _l("Issued in error"),
    RevocationReason.CONDUCT: _l("Harmful or unethical practice"),
    RevocationReason.COMPETENCY: _l("No longer meets the competency standard"),
    RevocationReason.IDENTITY: _l("Wrong person or fraud"),
    RevocationReason.OTHER: _l("Other reason"),
}


class IssueForm(FlaskForm):
    course_id = HiddenField(validators=[DataRequired()])
    trainee_ids = SelectMultipleField(_l("Trainees"), coerce=int, option_widget=widgets.CheckboxInput(),
                                      widget=widgets.ListWidget(prefix_label=False))


class RevokeForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=[SelectChoice(value=r.value, label=label) for r, label in REASON_LABELS.items()],
                         validators=[InputRequired()])
    note = TextAreaField(_l("What happened"), filters=[_strip],
                         description=_l("Kept in the audit log. The public page shows only the reason above."),
                         validators=[DataRequired(message=_l("Say why the certificate is revoked.")),
                                     Length(max=2000)])


STAGE_CHOICES = [SelectChoice(value=v, label=label) for v, label in (
    ("pre", _l("Pre-training")), ("mid", _l("Mid-training")), ("post", _l("Post-training")),
    ("supervision", _l("Supervision")), ("recertification", _l("Recertification")))]
INTERVENTION_CHOICES = [SelectChoice(value=v, label=label) for v, label in (
    ("pm_plus", "PM+"), ("pfa", _l("PFA")), ("other", _l("Other")))]


class RuleForm(FlaskForm):
    """One field per criterion; an empty or unticked one leaves the criterion out."""

    all_lessons = BooleanField(_l("All lessons completed"))
    attendance_percent = IntegerField(_l("Minimum attendance (%)"), validators=[Optional(), NumberRange(1, 100)])
    post_test = BooleanField(_l("Post-test passed at its pass mark"))
    competency_tool = SelectField(_l("Competency tool"), choices=[], validate_choice=False)
    competency_level = SelectField(_l("Every item at level or above"), coerce=int,
                                   choices=[SelectChoice(value=n, label=str(n)) for n in (2, 3, 4)], default=3)
    competency_stage = SelectField(_l("In an assessment of the round"), choices=STAGE_CHOICES, default="post")
    practice_intervention = SelectField(_l("Practice cases of"), choices=INTERVENTION_CHOICES, default="pm_plus")
    practice_cases = IntegerField(_l("Verified completed practice cases"), validators=[Optional(), NumberRange(1, 50)])
    supervision_hours = DecimalField(_l("Supervision hours"), places=1, validators=[Optional(), NumberRange(0.5, 500)])
    validity_months = IntegerField(_l("Valid for (months)"), description=_l("Leave empty: never expires."),
                                   validators=[Optional(), NumberRange(1, 240)])
    auto_issue = BooleanField(_l("Issue automatically when a trainee becomes eligible"))
    refresher_lessons = StringField(_l("Refresher lessons"), filters=[_strip],
                                    description=_l("Lesson slugs separated by commas."),
                                    validators=[Optional(), Length(max=2000)])
    refresher_stage = SelectField(_l("Recertification assessment round"),
                                  choices=[SelectChoice(value="", label=_l("None")), *STAGE_CHOICES], default="recertification")

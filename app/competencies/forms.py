"""Forms of the rating flow. They check shape; the services check the rules."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.fields import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.competencies.models import AssessmentMethod, AssessmentStage, CompetencyTool
from app.competencies.services import ItemInput, SheetItem
from app.core.i18n import _l

STAGE_LABELS = {
    AssessmentStage.PRE: _l("Before training (pre)"),
    AssessmentStage.MID: _l("During training (mid)"),
    AssessmentStage.POST: _l("After training (post)"),
    AssessmentStage.SUPERVISION: _l("In supervision"),
    AssessmentStage.RECERTIFICATION: _l("Recertification"),
}
METHOD_LABELS = {
    AssessmentMethod.ROLE_PLAY: _l("Role play"),
    AssessmentMethod.LIVE: _l("Live session"),
    AssessmentMethod.RECORDING: _l("Recording"),
}
DRAW = 0  # scenario choice: draw one at random


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _enum_choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value=key.value, label=label) for key, label in labels.items()]


class StartAssessmentForm(FlaskForm):
    trainee_id = SelectField(_l("Trainee"), coerce=int, validators=[InputRequired()])
    tool_id = SelectField(_l("Competency tool"), coerce=int, validators=[InputRequired()])
    stage = SelectField(_l("Round"), choices=_enum_choices(STAGE_LABELS), default=AssessmentStage.PRE.value)
    method = SelectField(_l("How you observe"), choices=_enum_choices(METHOD_LABELS),
                         default=AssessmentMethod.ROLE_PLAY.value)
    scenario_id = SelectField(_l("Role-play scenario"), coerce=int, default=DRAW,
                              description=_l("Draw one at random from the tool's bank, or choose one."))
    observed_on = DateField(_l("Date observed (optional)"), validators=[Optional()])


def scenario_choices(tools: list[CompetencyTool], language: str) -> list[SelectChoice]:
    """'Draw at random', then every scenario labelled with its tool (the service checks they match)."""
    from app.notifications.catalogue import localized

    choices = [SelectChoice(value=DRAW, label=_l("Draw a scenario at random"))]
    for tool in tools:
        tool_name = localized(tool.name, language)
        choices += [SelectChoice(value=scenario.id, label=f"{tool_name}: {localized(scenario.title, language)}")
                    for scenario in tool.scenarios if not scenario.is_hidden]
    return choices


class RatingForm(FlaskForm):
    """One set of fields per item (added by rating_form): behaviours, not observed, none seen, note."""

    overall_note = TextAreaField(_l("Overall note (optional)"), validators=[Optional(), Length(max=4000)],
                                 filters=[_strip])
    save = SubmitField(_l("Save draft"))
    submit_assessment = SubmitField(_l("Submit the assessment"))

    item_ids: list[int] = []

    def item(self, item_id: int) -> dict[str, Any]:
        return {"behaviours": self[f"i{item_id}_b"], "not_observed": self[f"i{item_id}_na"],
                "none_seen": self[f"i{item_id}_none"], "note": self[f"i{item_id}_note"]}

    def inputs(self) -> dict[int, ItemInput]:
        result = {}
        for item_id in self.item_ids:
            fields = self.item(item_id)
            result[item_id] = ItemInput(behaviour_codes=list(fields["behaviours"].data or []),
                                        not_observed=bool(fields["not_observed"].data),
                                        none_seen=bool(fields["none_seen"].data), note=fields["note"].data or None)
        return result


_FORM_CLASSES: dict[tuple, type[RatingForm]] = {}  # one class per tool version and item set, built once


def rating_form(tool: CompetencyTool, ratings: dict, overall_note: str | None,
                items: Sequence[SheetItem]) -> RatingForm:
    """The form for this tool (items of services.rating_sheet), filled in with the draft saved so far."""
    data: dict[str, Any] = {"overall_note": overall_note}
    for item in items:
        rating = ratings.get(item.id)
        if rating is not None:
            data[f"i{item.id}_b"] = list(rating.behaviour_codes)
            data[f"i{item.id}_na"] = rating.not_observed
            data[f"i{item.id}_none"] = rating.level is not None and not rating.behaviour_codes
            data[f"i{item.id}_note"] = rating.note
    key = (tool.id, tool.content_hash, tuple((item.id, item.codes) for item in items))
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        form_class = _FORM_CLASSES[key] = _rating_form_class(items)
    return form_class(data=data)


def _rating_form_class(items: Sequence[SheetItem]) -> type[RatingForm]:
    fields: dict[str, Any] = {"item_ids": []}
    for item in items:
        fields["item_ids"].append(item.id)
        fields[f"i{item.id}_b"] = SelectMultipleField(
            _l("Behaviours seen"), choices=[SelectChoice(value=code, label=code) for code in item.codes])
        fields[f"i{item.id}_na"] = BooleanField(_l("Not observed or not applicable"))
        fields[f"i{item.id}_none"] = BooleanField(_l("None of these behaviours seen"))
        fields[f"i{item.id}_note"] = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)],
                                                   filters=[_strip])
    return type("ToolRatingForm", (RatingForm,), fields)


@dataclass(frozen=True, slots=True)
class ItemMarks:
    """What the rating page shows for one item: the ticks and marks, the saved level (a level-* key), a problem."""

    chosen: frozenset[str] = frozenset()
    none_seen: bool = False
    not_observed: bool = False
    note: str = ""
    level: str = "none"
    problem: Any = None


def item_marks(items: Sequence[SheetItem], saved: dict[int, Any], form: RatingForm | None = None,
               item_errors: dict | None = None) -> dict[int, ItemMarks]:
    """Each item's marks: as saved (services.saved_marks), or as posted when the form comes back with problems."""
    marks = {}
    for item in items:
        rating = saved.get(item.id)
        level = "none" if rating is None else "na" if rating.not_observed else str(rating.level or "none")
        if form is not None:
            fields = form.item(item.id)
            problem = (item_errors or {}).get(item.id) or next(iter(fields["behaviours"].errors), None)
            marks[item.id] = ItemMarks(frozenset(fields["behaviours"].data or ()), bool(fields["none_seen"].data),
                                       bool(fields["not_observed"].data), fields["note"].data or "", level, problem)
        elif rating is not None:
            marks[item.id] = ItemMarks(frozenset(rating.behaviour_codes or ()),
                                       rating.level is not None and not rating.behaviour_codes,
                                       rating.not_observed, rating.note or "", level)
    return marks


class AmendForm(FlaskForm):
    reason = TextAreaField(_l("Why does it need a correction?"),
                           validators=[DataRequired(message=_l("Say why the assessment needs a correction.")),
                                       Length(max=2000)], filters=[_strip],
                           description=_l("For example: I ticked the wrong item. The reason is kept with the record."))


class DiscardForm(FlaskForm):
    pass


class RemediationActionForm(FlaskForm):
    description = StringField(_l("Action"), validators=[DataRequired(message=_l("Describe the action.")),
                                                        Length(max=500)], filters=[_strip])
    owner_id = SelectField(_l("Who does it"), coerce=int, default=0)
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


class RatingSessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], filters=[_strip],
                        description=_l("For example: Calibration, role play 2, October."))
    tool_id = SelectField(_l("Competency tool"), coerce=int, validators=[InputRequired()])
    trainee_id = SelectField(_l("Whose performance"), coerce=int, default=0,
                             description=_l("A trainee, or a recorded or actor performance (no harm flags then)."))
    cohort_id = SelectField(_l("Cohort (optional)"), coerce=int, default=0)
    stage = SelectField(_l("Round"), choices=_enum_choices(STAGE_LABELS), default=AssessmentStage.PRE.value)
    method = SelectField(_l("How the raters observe"), choices=_enum_choices(METHOD_LABELS),
                         default=AssessmentMethod.RECORDING.value)
    scenario_id = SelectField(_l("Role-play scenario"), coerce=int, default=DRAW)
    rater_ids = SelectMultipleField(_l("Raters"), coerce=int,
                                    validators=[DataRequired(message=_l("Choose at least two raters."))])
    reference_rater_id = SelectField(_l("Reference rater (optional)"), coerce=int, default=0,
                                     description=_l("An experienced rater whose rating the others are compared with."))

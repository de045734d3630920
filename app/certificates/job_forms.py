"""The "issue all eligible" form: which of the cohort's courses (the trainees are whoever is eligible when it runs)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.core.i18n import _l


class ResumeForm(FlaskForm):
    """Resume a job whose process stopped (nothing to fill: the CSRF token is the point)."""


class IssueAllForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])

"""The organisation dashboard's filters: a GET form (it changes nothing) that works without JavaScript."""
from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, ValidationError

from app.core.i18n import _, _l
from app.dashboards.organisation import Filters, Options, default_period

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 60
FILTER_NAMES = ("site", "course", "cohort", "from_month", "to_month")


def parse_month(text: str) -> date | None:
    """'2026-03' as the first day of that month; None when it is not a month."""
    match = MONTH.match(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class MonthField(StringField):
    """A month typed as YYYY-MM (a month picker in browsers that have one, plain text elsewhere)."""

    def __call__(self, **kwargs):
        kwargs.setdefault("type", "month")
        kwargs.setdefault("placeholder", "YYYY-MM")
        kwargs.setdefault("pattern", r"\d{4}-\d{2}")
        kwargs.setdefault("inputmode", "numeric")
        return super().__call__(**kwargs)

    def pre_validate(self, form) -> None:
        if self.data and parse_month(self.data) is None:
            raise ValidationError(_("Write the month as year and month, for example %(example)s.",
                                    example="2026-03"))


class OrgDashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    site = SelectField(_l("Site"), validate_choice=True)
    course = SelectField(_l("Course"), validate_choice=True)
    cohort = SelectField(_l("Cohort"), validate_choice=True)
    from_month = MonthField(_l("From month"))
    to_month = MonthField(_l("To month"))

    def __init__(self, formdata, options: Options, today: date) -> None:
        super().__init__(formdata)
        self.default_from, self.default_to = default_period(today)
        self.site.choices = [SelectChoice("", _("All sites"))] + [SelectChoice(str(i), n) for i, n in options.sites]
        self.course.choices = [SelectChoice("", _("All courses"))] + [SelectChoice(str(i), n)
                                                                      for i, n in options.courses]
        self.cohort.choices = [SelectChoice("", _("All cohorts"))] + [SelectChoice(str(i), n)
                                                                      for i, n in options.cohorts]
        for select in (self.site, self.course, self.cohort):
            select.data = select.data or ""
        self.from_month.data = (self.from_month.data or "").strip() or self.default_from.strftime("%Y-%m")
        self.to_month.data = (self.to_month.data or "").strip() or self.default_to.strftime("%Y-%m")

    def validate_to_month(self, field) -> None:
        first, last = parse_month(self.from_month.data or ""), parse_month(field.data or "")
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError(_("The last month comes before the first month."))
        if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
            raise ValidationError(_("Choose at most %(count)d months.", count=MAX_MONTHS))

    def filters(self, organisation_id: int) -> Filters:
        """The chosen filters (call after a successful validate())."""
        def chosen(select: SelectField) -> int | None:
            return int(select.data) if select.data else None

        return Filters(organisation_id=organisation_id, month_from=parse_month(self.from_month.data),
                       month_to=parse_month(self.to_month.data), site_id=chosen(self.site),
                       course_id=chosen(self.course), cohort_id=chosen(self.cohort))

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the CSV, PDF and refresh links."""
        return {name: self[name].data for name in FILTER_NAMES if self[name].data}

    def described(self, options: Options) -> list[tuple[str, str]]:
        """(label, value) of each filter in words, for the printed report."""
        def name(pairs: list[tuple[int, str]], value: str, everything: str) -> str:
            return {str(i): n for i, n in pairs}.get(value, everything)

        return [(_("Site"), name(options.sites, self.site.data, _("All sites"))),
                (_("Course"), name(options.courses, self.course.data, _("All courses"))),
                (_("Cohort"), name(options.cohorts, self.cohort.data, _("All cohorts"))),
                (_("Period"), _("%(first)s to %(last)s", first=self.from_month.data, last=self.to_month.data))]


class RefreshForm(FlaskForm):
    """"Refresh now": no fields, only the CSRF token; the current filters ride along as hidden inputs."""

"""Between the rule editor form and a rule's JSON: fill the form from the rule, read the rule from the form."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from wtforms import SelectChoice

from app.certificates.forms import RuleForm
from app.certificates.models import CertificationRule
from app.competencies.models import CompetencyTool
from app.extensions import db


def fill_rule_form(form: RuleForm, rule: CertificationRule | None, *, is_post: bool) -> None:
    tools = db.session.scalars(sa.select(CompetencyTool).where(CompetencyTool.archived_at.is_(None))
                               .order_by(CompetencyTool.slug))
    form.competency_tool.choices = [SelectChoice(value="", label="—")] + [
        SelectChoice(value=t.slug, label=t.slug) for t in tools]
    if is_post or rule is None:
        return
    criteria = rule.criteria or {}
    form.all_lessons.data = criteria.get("lessons") == "all"
    form.attendance_percent.data = criteria.get("attendance_percent")
    form.post_test.data = bool(criteria.get("post_test"))
    if competency := criteria.get("competency"):
        form.competency_tool.data = competency["tool"]
        form.competency_level.data = competency["min_level"]
        form.competency_stage.data = competency["stage"]
    if cases := criteria.get("practice_cases"):
        form.practice_intervention.data = cases["intervention"]
        form.practice_cases.data = cases["count"]
    if criteria.get("supervision_hours"):
        form.supervision_hours.data = Decimal(str(criteria["supervision_hours"]))
    form.validity_months.data = rule.validity_months
    form.auto_issue.data = rule.auto_issue
    refresher = rule.refresher or {}
    form.refresher_lessons.data = ", ".join(refresher.get("lessons", []))
    form.refresher_stage.data = refresher.get("assessment_stage") or ""


def rule_form_values(form: RuleForm) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if form.all_lessons.data:
        criteria["lessons"] = "all"
    if form.attendance_percent.data:
        criteria["attendance_percent"] = form.attendance_percent.data
    if form.post_test.data:
        criteria["post_test"] = True
    if form.competency_tool.data:
        criteria["competency"] = {"tool": form.competency_tool.data, "min_level": form.competency_level.data,
                                  "stage": form.competency_stage.data}
    if form.practice_cases.data:
        criteria["practice_cases"] = {"intervention": form.practice_intervention.data,
                                      "count": form.practice_cases.data}
    if form.supervision_hours.data:
        criteria["supervision_hours"] = float(form.supervision_hours.data)
    refresher: dict[str, Any] = {}
    lessons = [s.strip() for s in (form.refresher_lessons.data or "").split(",") if s.strip()]
    if lessons:
        refresher["lessons"] = lessons
    if form.refresher_stage.data:
        refresher["assessment_stage"] = form.refresher_stage.data
    return {"criteria": criteria, "validity_months": form.validity_months.data or None,
            "auto_issue": bool(form.auto_issue.data), "refresher": refresher}

"""Certification rules: the ``[certification]`` table of course.toml, checked, and the rule in force.

A rule in course.toml is shared by every organisation (organisation_id None); a trainer's edit in
the browser is saved as the organisation's own rule and wins for that organisation.

    [certification]
    validity_months = 24          # leave out: never expires
    auto_issue = false
    template = "default"
    [certification.criteria]
    lessons = "all"               # or a list of lesson slugs
    attendance_percent = 80
    post_test = true              # the post-test at its pass mark
    competency = { tool = "foundational-helping-skills", min_level = 3, stage = "post" }
    practice_cases = { intervention = "pm_plus", count = 2 }
    supervision_hours = 6
    [certification.refresher]
    lessons = ["..."]
    assessment_stage = "recertification"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.certificates.models import CertificationRule
from app.competencies.models import AssessmentStage
from app.extensions import db
from app.practice.models import Intervention

CRITERIA_KEYS = ("lessons", "attendance_percent", "post_test", "competency", "practice_cases", "supervision_hours")
RULE_KEYS = {"validity_months", "auto_issue", "template", "criteria", "signatories", "refresher"}
LEVELS = (2, 3, 4)


@dataclass
class PackRule:
    criteria: dict[str, Any]
    validity_months: int | None = None
    auto_issue: bool = False
    template: str = "default"
    signatories: list[dict[str, str]] = field(default_factory=list)
    refresher: dict[str, Any] = field(default_factory=dict)


def check_criteria(criteria: Any, lesson_slugs: set[str]) -> list[str]:
    """Problems with a criteria table, in plain words (empty when it is valid)."""
    if not isinstance(criteria, dict) or not criteria:
        return ["'criteria' must be a table with at least one criterion"]
    problems = [f"unknown criterion '{key}'" for key in criteria if key not in CRITERIA_KEYS]
    lessons = criteria.get("lessons")
    if lessons is not None and lessons != "all":
        if not isinstance(lessons, list) or not lessons or not all(isinstance(s, str) for s in lessons):
            problems.append("'lessons' must be \"all\" or a list of lesson slugs")
        else:
            problems += [f"'lessons' names an unknown lesson '{s}'" for s in lessons if s not in lesson_slugs]
    percent = criteria.get("attendance_percent")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, (int, float))
                                or not 0 < percent <= 100):
        problems.append("'attendance_percent' must be a number above 0 and at most 100")
    if "post_test" in criteria and not isinstance(criteria["post_test"], bool):
        problems.append("'post_test' must be true or false")
    competency = criteria.get("competency")
    if competency is not None:
        if not isinstance(competency, dict) or not isinstance(competency.get("tool"), str):
            problems.append("'competency' needs a 'tool' (the competency tool's slug)")
        else:
            if competency.get("min_level") not in LEVELS:
                problems.append("'competency.min_level' must be 2, 3 or 4")
            if competency.get("stage") not in {s.value for s in AssessmentStage}:
                problems.append("'competency.stage' must be one of " + ", ".join(s.value for s in AssessmentStage))
    cases = criteria.get("practice_cases")
    if cases is not None:
        if (not isinstance(cases, dict) or cases.get("intervention") not in {i.value for i in Intervention}
                or not _positive_int(cases.get("count"))):
            problems.append("'practice_cases' needs an 'intervention' (pm_plus, pfa, other) and a whole 'count' above 0")
    hours = criteria.get("supervision_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0):
        problems.append("'supervision_hours' must be a number above 0")
    return problems


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_certification(check: Any, lines: Any, raw: Any, lesson_slugs: set[str]) -> PackRule | None:
    """Check the ``[certification]`` table; problems go to ``check`` (the pack checker of app.courses.packs)."""
    if raw is None:
        return None
    path = check.toml_path
    line = lines.key("certification")
    if not isinstance(raw, dict):
        check.error(path, line, "'certification' must be a table")
        return None
    for key in raw:
        if key not in RULE_KEYS:
            check.warn(path, line, f"unknown certification key '{key}' (ignored)")
    problems = check_criteria(raw.get("criteria"), lesson_slugs)
    months = raw.get("validity_months")
    if months is not None and not _positive_int(months):
        problems.append("'validity_months' must be a whole number above 0 (leave it out: never expires)")
    if not isinstance(raw.get("auto_issue", False), bool):
        problems.append("'auto_issue' must be true or false")
    signatories = raw.get("signatories", [])
    if not isinstance(signatories, list) or not all(
            isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("title"), str)
            for s in signatories):
        problems.append("'signatories' must be a list of tables with 'name' and 'title'")
    refresher = raw.get("refresher", {})
    if not isinstance(refresher, dict):
        problems.append("'refresher' must be a table")
    else:
        problems += [f"refresher: {p}" for p in _check_refresher(refresher, lesson_slugs)]
    for problem in problems:
        check.error(path, line, f"certification: {problem}")
    if problems:
        return None
    return PackRule(criteria=dict(raw["criteria"]), validity_months=months, auto_issue=raw.get("auto_issue", False),
                    template=raw.get("template", "default"), signatories=list(signatories),
                    refresher=dict(refresher))


def _check_refresher(refresher: dict[str, Any], lesson_slugs: set[str]) -> list[str]:
    problems = []
    lessons = refresher.get("lessons", [])
    if not isinstance(lessons, list):
        problems.append("'lessons' must be a list of lesson slugs")
    else:
        problems += [f"'lessons' names an unknown lesson '{s}'" for s in lessons if s not in lesson_slugs]
    stage = refresher.get("assessment_stage")
    if stage is not None and stage not in {s.value for s in AssessmentStage}:
        problems.append("'assessment_stage' must be one of " + ", ".join(s.value for s in AssessmentStage))
    return problems


def sync_rule(course_id: int, pack_rule: PackRule | None) -> None:
    """Upsert (or remove) the course's shared rule from its pack. Organisations' own rules stay. Flushes."""
    rule = db.session.scalar(sa.select(CertificationRule).where(
        CertificationRule.course_id == course_id, CertificationRule.organisation_id.is_(None)))
    if pack_rule is None:
        if rule is not None:
            db.session.delete(rule)
            db.session.flush()
        return
    if rule is None:
        rule = CertificationRule(course_id=course_id, organisation_id=None)
        db.session.add(rule)
    rule.criteria = pack_rule.criteria
    rule.validity_months = pack_rule.validity_months
    rule.auto_issue = pack_rule.auto_issue
    rule.template = pack_rule.template
    rule.signatories = pack_rule.signatories
    rule.refresher = pack_rule.refresher
    db.session.flush()


def rule_for(course_id: int, organisation_id: int) -> CertificationRule | None:
    """The rule in force for this organisation: its own edit if any, else the course pack's."""
    rules = list(db.session.scalars(sa.select(CertificationRule).where(
        CertificationRule.course_id == course_id,
        sa.or_(CertificationRule.organisation_id == organisation_id, CertificationRule.organisation_id.is_(None)))))
    own = [r for r in rules if r.organisation_id == organisation_id]
    return (own or rules or [None])[0]


def save_organisation_rule(course_id: int, organisation_id: int, values: dict[str, Any], actor_id: int,
                           lesson_slugs: set[str]) -> CertificationRule:
    """A trainer's edit: saved as the organisation's own rule (the pack's stays for others). Audited; flushes."""
    from app.core import audit

    problems = check_criteria(values["criteria"], lesson_slugs) + [
        f"refresher: {p}" for p in _check_refresher(values["refresher"], lesson_slugs)]
    if problems:
        raise ValueError("; ".join(problems))
    base = rule_for(course_id, organisation_id)
    rule = base if base is not None and base.organisation_id == organisation_id else None
    before = None
    if rule is None:
        rule = CertificationRule(course_id=course_id, organisation_id=organisation_id,
                                 template=base.template if base else "default",
                                 signatories=list(base.signatories) if base else [])
        db.session.add(rule)
    else:
        before = {"criteria": rule.criteria, "validity_months": rule.validity_months, "auto_issue": rule.auto_issue,
                  "refresher": rule.refresher}
    rule.criteria = values["criteria"]
    rule.validity_months = values["validity_months"]
    rule.auto_issue = values["auto_issue"]
    rule.refresher = values["refresher"]
    rule.updated_by_id = actor_id
    db.session.flush()
    audit.record("certification_rule.update", rule, organisation_id=organisation_id, before=before,
                 after={"criteria": rule.criteria, "validity_months": rule.validity_months,
                        "auto_issue": rule.auto_issue, "refresher": rule.refresher})
    return rule


# -- writing the rule back to course.toml (flask content export) ---------------------------------

_CRITERIA_ORDER = ("lessons", "attendance_percent", "post_test", "competency", "practice_cases", "supervision_hours")
_INLINE_ORDER = ("tool", "min_level", "stage", "intervention", "count")


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = [k for k in _INLINE_ORDER if k in value] + sorted(k for k in value if k not in _INLINE_ORDER)
        return "{ " + ", ".join(f"{k} = {_toml_value(value[k])}" for k in keys) + " }"
    return json.dumps(str(value), ensure_ascii=False)


def certification_toml(course_id: int, organisation_id: int | None) -> list[str]:
    """The ``[certification]`` table in force for the course (the organisation's own rule for an
    organisation's course, else the pack's), in the packs' key order; empty without a rule."""
    rule = rule_for(course_id, organisation_id) if organisation_id is not None else db.session.scalar(
        sa.select(CertificationRule).where(CertificationRule.course_id == course_id,
                                           CertificationRule.organisation_id.is_(None)))
    if rule is None:
        return []
    lines = ["", "[certification]"]
    if rule.validity_months:
        lines.append(f"validity_months = {rule.validity_months}")
    lines += [f"auto_issue = {_toml_value(bool(rule.auto_issue))}", f"template = {_toml_value(rule.template or 'default')}"]
    criteria = rule.criteria or {}
    lines += ["", "[certification.criteria]"]
    for key in [k for k in _CRITERIA_ORDER if k in criteria] + sorted(k for k in criteria if k not in _CRITERIA_ORDER):
        lines.append(f"{key} = {_toml_value(criteria[key])}")
    for signatory in rule.signatories or []:
        lines += ["", "[[certification.signatories]]"]
        lines += [f"{k} = {_toml_value(signatory[k])}" for k in ("name", "title") if signatory.get(k)]
    refresher = rule.refresher or {}
    if refresher:
        lines += ["", "[certification.refresher]"]
        lines += [f"{k} = {_toml_value(refresher[k])}" for k in ("lessons", "assessment_stage") if refresher.get(k)]
    return lines

"""The [certification] table of course.toml: the seed courses' rules, checks, sync, and the browser editor."""
from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from app.certificates.models import CertificationRule
from app.certificates.rules import rule_for
from app.courses.packs import load_pack
from app.extensions import db
from tests.conftest import post_form
from tests.courses_support import content_path, demo_course, sync_fixture_pack  # noqa: F401  (fixtures)

MODULES = Path(__file__).resolve().parent.parent / "modules"


def test_seed_courses_ship_realistic_rules():
    pack, problems = load_pack(MODULES / "pm-plus")
    assert not [p for p in problems if p.is_error]
    rule = pack.certification
    assert rule.validity_months == 24
    assert rule.criteria == {
        "lessons": "all", "attendance_percent": 80, "post_test": True,
        "competency": {"tool": "foundational-helping-skills", "min_level": 3, "stage": "post"},
        "practice_cases": {"intervention": "pm_plus", "count": 2}, "supervision_hours": 6}
    assert rule.refresher["assessment_stage"] == "recertification"
    pfa, problems = load_pack(MODULES / "pfa")
    assert not [p for p in problems if p.is_error] and pfa.certification.criteria["post_test"] is True


def _pack_with(tmp_path, table: str) -> Path:
    from tests.courses_support import DEMO_PACK

    target = tmp_path / "demo-course"
    shutil.copytree(DEMO_PACK, target)
    toml = target / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + table, encoding="utf-8")
    return target


def test_invalid_rule_is_reported_with_its_line(tmp_path):
    root = _pack_with(tmp_path, '[certification]\nvalidity_months = 0\n[certification.criteria]\n'
                                'lessons = ["no-such-lesson"]\nattendance_percent = 120\n'
                                'competency = { tool = "x", min_level = 5, stage = "later" }\n')
    pack, problems = load_pack(root)
    messages = [str(p) for p in problems if p.is_error]
    assert any("unknown lesson 'no-such-lesson'" in m for m in messages)
    assert any("attendance_percent" in m for m in messages)
    assert any("min_level" in m for m in messages) and any("competency.stage" in m for m in messages)
    assert any("validity_months" in m for m in messages)
    assert all(":" in m.split("course.toml", 1)[1] for m in messages)


def test_sync_creates_the_shared_rule(db_session, tmp_path, org):
    root = _pack_with(tmp_path, '[certification]\nvalidity_months = 12\n[certification.criteria]\nlessons = "all"\n')
    course = sync_fixture_pack(root)
    rule = rule_for(course.id, org.id)
    assert rule.organisation_id is None and rule.validity_months == 12 and rule.criteria == {"lessons": "all"}


def test_trainer_edits_rule_for_own_organisation_audited(client, login, make_user, demo_course, db_session):
    from app.core.audit import AuditEvent

    trainer = make_user("trainer")
    login(trainer)
    page = client.get(f"/certificates/rules/{demo_course.slug}")
    assert page.status_code == 200 and "Certification rule" in page.get_data(as_text=True)
    response = post_form(client, f"/certificates/rules/{demo_course.slug}", {
        "all_lessons": "y", "attendance_percent": "75", "supervision_hours": "2", "validity_months": "12",
        "competency_tool": "", "competency_level": "3", "competency_stage": "post",
        "practice_intervention": "pm_plus", "refresher_stage": ""})
    assert response.status_code == 302
    rule = db.session.scalar(sa.select(CertificationRule).where(CertificationRule.organisation_id == trainer.organisation_id))
    assert rule.criteria == {"lessons": "all", "attendance_percent": 75, "supervision_hours": 2.0}
    assert rule.validity_months == 12 and rule.updated_by_id == trainer.id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certification_rule.update"))


def test_rule_editor_refuses_an_empty_rule(client, login, make_user, demo_course):
    login(make_user("trainer"))
    response = post_form(client, f"/certificates/rules/{demo_course.slug}", {
        "competency_level": "3", "competency_stage": "post", "practice_intervention": "pm_plus", "refresher_stage": ""})
    assert response.status_code == 422
    assert "at least one criterion" in response.get_data(as_text=True)

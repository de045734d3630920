"""Pages: My path, the cohort's status, issuing from it, the certificate page, revoking; who may reach what."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.certificates.models import Certificate, CertificationRule, RevocationReason
from app.courses.models import Lesson, LessonProgress
from app.extensions import db
from tests.conftest import post_form
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)


@pytest.fixture
def world(db_session, demo_course, make_user, make_cohort, assign_supervisor):
    from app.courses.services import give_course

    ready, blocked = make_user("trainee", full_name="Ana Ready"), make_user("trainee", full_name="Beto Blocked")
    trainer, supervisor = make_user("trainer"), make_user("supervisor")
    cohort = make_cohort(members={"trainee": [ready, blocked], "trainer": [trainer], "supervisor": [supervisor]})
    assign_supervisor(supervisor, ready, cohort)
    give_course(cohort, demo_course, "es")
    db.session.add(CertificationRule(course_id=demo_course.id, organisation_id=ready.organisation_id,
                                     criteria={"lessons": "all"}, validity_months=24))
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == demo_course.id)):
        db.session.add(LessonProgress(user_id=ready.id, lesson_id=lesson.id))
    db.session.flush()
    return {"ready": ready, "blocked": blocked, "trainer": trainer, "supervisor": supervisor, "cohort": cohort,
            "course": demo_course}


def test_my_path_shows_what_is_missing_and_where_to_go(client, login, world):
    login(world["blocked"])
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert "My path to certification" in page and "All lessons completed" in page
    assert "0 of" in page and "Missing" in page and "Open the next lesson" in page


def test_trainer_issues_to_eligible_only_and_pdf_is_stored(client, login, world):
    cohort = world["cohort"]
    login(world["trainer"])
    page = client.get(f"/certificates/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Ana Ready" in page and "Eligible" in page and "Not yet eligible" in page
    response = post_form(client, f"/certificates/cohorts/{cohort.id}/issue", {
        "course_id": str(world["course"].id), "trainee_ids": [world["ready"].id, world["blocked"].id]})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Certificates issued: 1." in follow and "Not issued to Beto Blocked" in follow
    issued = db.session.scalars(sa.select(Certificate)).all()
    assert [c.trainee_id for c in issued] == [world["ready"].id]
    assert issued[0].pdf_path and issued[0].pdf_sha256 and issued[0].credential["type"]


def _issued(world) -> Certificate:
    from app.certificates.services import finalise_certificate, issue_certificate

    certificate = issue_certificate(world["ready"], world["course"], issued_by=world["trainer"], cohort=world["cohort"])
    finalise_certificate(certificate)
    return certificate


def test_holder_sees_certificate_another_trainee_cannot(app, client, login, world):
    with app.test_request_context("/"):
        certificate = _issued(world)
    login(world["ready"])
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert certificate.code in page and "Download the PDF" in page and "Valid" in page
    client.post("/logout", data={})
    other = client.application.test_client()
    login(world["blocked"], c=other)
    assert other.get(f"/certificates/{certificate.id}").status_code == 403
    assert other.get(f"/certificates/{certificate.id}/revoke").status_code == 403


def test_trainer_revokes_with_reason_and_status_shows_it(app, client, login, world):
    with app.test_request_context("/"):
        certificate = _issued(world)
    login(world["trainer"])
    empty = post_form(client, f"/certificates/{certificate.id}/revoke", {"reason": "conduct", "note": ""})
    assert empty.status_code == 422 and certificate.revoked_at is None
    response = post_form(client, f"/certificates/{certificate.id}/revoke",
                         {"reason": "conduct", "note": "Harmful advice seen in supervision."})
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert certificate.revocation_reason is RevocationReason.CONDUCT
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert "Revoked" in page and "Harmful or unethical practice" in page and "Download the PDF" not in page
    public = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "evoked" in public


def test_supervisor_sees_cohort_status_but_cannot_issue(client, login, world):
    login(world["supervisor"])
    cohort = world["cohort"]
    assert client.get(f"/certificates/cohorts/{cohort.id}").status_code == 200
    response = post_form(client, f"/certificates/cohorts/{cohort.id}/issue", {
        "course_id": str(world["course"].id), "trainee_ids": [world["ready"].id]})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0

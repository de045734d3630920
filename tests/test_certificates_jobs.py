"""Bulk "issue all eligible": only eligible trainees, progress recorded, one ZIP of the PDFs, the CLI, access."""
from __future__ import annotations

import io
import zipfile

import pypdf
import pytest
import sqlalchemy as sa

from app.certificates.models import Certificate, CertificateJob, CertificationRule, JobStatus
from app.courses.models import Lesson, LessonProgress
from app.extensions import db
from tests.certificate_support import make_certificate, make_course  # noqa: F401
from tests.conftest import post_form
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)


@pytest.fixture
def inline_jobs(app, monkeypatch):
    """Run jobs in the request: the test's rolled-back transaction is invisible to a worker thread."""
    monkeypatch.setitem(app.config, "CERTIFICATE_JOBS", "inline")


@pytest.fixture
def cohort_setup(db_session, inline_jobs, demo_course, make_user, make_cohort):
    """Three trainees: two have finished every lesson (eligible), one has not."""
    from app.courses.services import give_course

    done = [make_user("trainee", full_name="Ana Núñez"), make_user("trainee", full_name="Beto Ruiz")]
    behind = make_user("trainee", full_name="Carla Soto")
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainee": [*done, behind], "trainer": [trainer]})
    give_course(cohort, demo_course, "en")
    db_session.add(CertificationRule(course_id=demo_course.id, organisation_id=trainer.organisation_id,
                                     criteria={"lessons": "all"}, validity_months=24,
                                     signatories=[{"name": "Dra. Lucía Gómez", "title": "Coordinadora"}]))
    for trainee in done:
        for lesson in db_session.scalars(sa.select(Lesson).where(Lesson.course_id == demo_course.id)):
            db_session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id))
    db_session.flush()
    return cohort, demo_course, trainer, done, behind


def _certificates():
    return list(db.session.scalars(sa.select(Certificate).order_by(Certificate.id)))


def test_issue_all_issues_only_to_the_eligible_and_ends_in_a_zip(app, client, login, cohort_setup):
    cohort, course, trainer, done, behind = cohort_setup
    login(trainer)
    start = client.get(f"/certificates/cohorts/{cohort.id}/issue-all")
    assert start.status_code == 200
    assert "2 trainees are eligible now" in start.get_data(as_text=True)

    answer = post_form(client, f"/certificates/cohorts/{cohort.id}/issue-all", {"course_id": course.id})
    assert answer.status_code == 303
    job = db.session.scalar(sa.select(CertificateJob))
    assert answer.headers["Location"].endswith(f"/certificates/jobs/{job.id}")
    assert (job.status, job.total, job.done) == (JobStatus.DONE, 2, 2)

    issued = _certificates()
    assert sorted(c.trainee_id for c in issued) == sorted(t.id for t in done)
    assert all(c.pdf_path and c.pdf_sha256 for c in issued)

    page = client.get(f"/certificates/jobs/{job.id}")
    assert "2 of 2 certificates done" in page.get_data(as_text=True)
    assert "Refresh" not in page.headers
    archive = client.get(f"/certificates/jobs/{job.id}/zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = sorted(zipped.namelist())
        ascii_names = {"Ana Núñez": "Ana-Nunez", "Beto Ruiz": "Beto-Ruiz"}
        assert names == sorted(f"{c.code}-{ascii_names[c.snapshot['name']]}.pdf" for c in issued)
        texts = ["".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(zipped.read(n))).pages) for n in names]
    assert any("Ana Núñez" in t for t in texts) and any("Beto Ruiz" in t for t in texts)
    assert not any("Carla Soto" in t for t in texts)


def test_a_running_job_refreshes_without_javascript_and_can_be_stopped(client, login, cohort_setup):
    cohort, course, trainer, *_ = cohort_setup
    job = CertificateJob(organisation_id=cohort.organisation_id, cohort_id=cohort.id, course_id=course.id,
                         status=JobStatus.RUNNING, total=4, done=1)
    db.session.add(job)
    db.session.flush()
    login(trainer)
    page = client.get(f"/certificates/jobs/{job.id}")
    html = page.get_data(as_text=True)
    assert page.headers["Refresh"] == "3"
    assert 'max="4" value="1"' in html and "1 of 4 certificates done" in html
    assert "<script" not in html
    stopped = client.get(f"/certificates/jobs/{job.id}?auto=0")
    assert "Refresh" not in stopped.headers
    assert "Update now" in stopped.get_data(as_text=True)


def test_nobody_eligible_issues_nothing(client, login, cohort_setup):
    cohort, course, trainer, done, behind = cohort_setup
    db.session.execute(sa.delete(LessonProgress))
    login(trainer)
    post_form(client, f"/certificates/cohorts/{cohort.id}/issue-all", {"course_id": course.id})
    job = db.session.scalar(sa.select(CertificateJob))
    assert job.status is JobStatus.DONE and job.total == 0 and job.zip_path is None
    assert _certificates() == []
    assert "No trainee was eligible" in client.get(f"/certificates/jobs/{job.id}").get_data(as_text=True)
    assert client.get(f"/certificates/jobs/{job.id}/zip").status_code == 404


def test_running_twice_issues_no_duplicates(app, cohort_setup):
    from app.certificates import jobs

    cohort, course, trainer, done, behind = cohort_setup
    for _ in range(2):
        job = jobs.create_issue_job(cohort, course, trainer)
        db.session.commit()
        if job.status is JobStatus.QUEUED:
            jobs.run_issue_job(job.id)
    assert len(_certificates()) == 2


def test_a_failure_is_recorded_and_keeps_what_was_issued(app, monkeypatch, cohort_setup):
    from app.certificates import jobs, services

    cohort, course, trainer, done, behind = cohort_setup
    real = services.finalise_certificate
    calls = []

    def fail_second(certificate):
        calls.append(certificate)
        if len(calls) == 2:
            raise OSError("disk full")
        real(certificate)

    monkeypatch.setattr(services, "finalise_certificate", fail_second)
    job = jobs.create_issue_job(cohort, course, trainer)
    db.session.commit()
    job = jobs.run_issue_job(job.id)
    assert job.status is JobStatus.FAILED and "disk full" in job.error
    assert job.done == 1
    assert len([c for c in _certificates() if c.pdf_path]) == 1


def test_cli_issues_with_a_progress_bar(app, cohort_setup):
    cohort, course, *_ = cohort_setup
    result = app.test_cli_runner().invoke(args=["certificates", "issue", "--cohort", str(cohort.id)])
    assert result.exit_code == 0, result.output
    assert "3 without a current certificate" in result.output and "Issued 2. ZIP:" in result.output
    assert len(_certificates()) == 2
    again = app.test_cli_runner().invoke(args=["certificates", "issue", "--cohort", str(cohort.id)])
    assert again.exit_code == 0 and "nothing issued" in again.output


def test_cli_refuses_an_unknown_cohort(app):
    result = app.test_cli_runner().invoke(args=["certificates", "issue", "--cohort", "999999"])
    assert result.exit_code != 0 and "No cohort 999999" in result.output


@pytest.mark.parametrize("who, expected", [("trainee", 403), ("supervisor", 403), ("other_admin", 404)])
def test_only_the_cohorts_trainers_run_or_see_jobs(client, login, make_user, make_org, cohort_setup, who, expected):
    cohort, course, trainer, done, behind = cohort_setup
    job = CertificateJob(organisation_id=cohort.organisation_id, cohort_id=cohort.id, course_id=course.id,
                         status=JobStatus.DONE, total=0)
    db.session.add(job)
    db.session.flush()
    user = done[0] if who == "trainee" else make_user("admin", organisation=make_org()) if who == "other_admin" \
        else make_user("supervisor")
    login(user)
    assert client.get(f"/certificates/cohorts/{cohort.id}/issue-all").status_code == expected
    assert client.get(f"/certificates/jobs/{job.id}").status_code == expected
    assert client.get(f"/certificates/jobs/{job.id}/zip").status_code == expected


def test_the_progress_total_counts_trainees_without_a_certificate_they_can_keep(app, cohort_setup, make_certificate):
    """Counted in one query when the trainer asks (the job asks the evaluator of each): a valid
    certificate is kept; a revoked one, or one due for renewal, leaves the trainee to be counted."""
    from datetime import timedelta

    from app.certificates import jobs
    from app.core.db import utcnow

    cohort, course, trainer, (ana, beto), carla = cohort_setup
    assert jobs.candidate_count(cohort, course) == 3
    kept = make_certificate(ana, course)
    assert jobs.candidate_count(cohort, course) == 2
    kept.valid_until = utcnow() + timedelta(days=10)  # due for renewal
    db.session.flush()
    assert jobs.candidate_count(cohort, course) == 3
    kept.valid_until, kept.revoked_at = utcnow() + timedelta(days=400), utcnow()
    db.session.flush()
    assert jobs.candidate_count(cohort, course) == 3
    make_certificate(beto, course)
    assert jobs.candidate_count(cohort, course) == 2

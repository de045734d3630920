"""Bulk issuing as it runs in production: committed data, PDFs rendered in a pool of processes,
the job on RQ with a real Redis, and a job whose process died resumed without double issuing.

These tests cannot use the rolled-back test transaction (other processes must see the rows), so
each builds its own throwaway SQLite database and instance folder.
"""
from __future__ import annotations

import os
import uuid
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow

PASSWORD_HASH = "scrypt:32768:8:1$x$" + "0" * 128  # never used to sign in


@pytest.fixture
def standalone(tmp_path):
    """A separate app on its own database, with a cohort of trainees who all finished every lesson."""
    from app import create_app
    from app.extensions import db

    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'jobs.db'}", "INSTANCE_PATH": str(instance),
                      "BASE_URL": "https://acompana.example.org", "CERTIFICATE_JOBS": "inline"})
    with app.app_context():
        db.create_all()
        yield app, _world(db)
        db.session.remove()
        db.engine.dispose()


def _world(db, trainees: int = 6):
    from app.auth.models import User
    from app.certificates.models import CertificationRule
    from app.courses.models import Lesson, LessonProgress
    from app.courses.services import give_course
    from app.orgs.models import Cohort, CohortMember, CohortRole, Organisation
    from tests.courses_support import DEMO_PACK, sync_fixture_pack

    org = Organisation(slug="jobs", name="Compañeros en Salud", country="MX")
    db.session.add(org)
    db.session.flush()
    course = sync_fixture_pack(DEMO_PACK)
    cohort = Cohort(organisation_id=org.id, name="Cohorte de prueba")
    trainer = User(organisation_id=org.id, username="trainer", full_name="Tere Trainer", password_hash=PASSWORD_HASH)
    db.session.add_all([cohort, trainer])
    db.session.flush()
    give_course(cohort, course, "en")
    db.session.add(CertificationRule(course_id=course.id, organisation_id=org.id, criteria={"lessons": "all"},
                                     validity_months=24, signatories=[{"name": "Dra. Lucía Gómez", "title": "Coord."}]))
    lessons = list(db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id == course.id)))
    people = []
    for n in range(trainees):
        person = User(organisation_id=org.id, username=f"t{n}", full_name=f"Ana Núñez {n}", password_hash=PASSWORD_HASH)
        db.session.add(person)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=person.id, role=CohortRole.TRAINEE))
        db.session.add_all([LessonProgress(user_id=person.id, lesson_id=lesson) for lesson in lessons])
        people.append(person)
    db.session.commit()
    return cohort, course, trainer, people


def _job_and_certificates(db, job_id):
    from app.certificates.models import Certificate, CertificateJob

    db.session.expire_all()
    return db.session.get(CertificateJob, job_id), list(db.session.scalars(sa.select(Certificate)))


def _check_zip(app, job, count):
    with zipfile.ZipFile(os.path.join(app.instance_path, job.zip_path)) as archive:
        names = archive.namelist()
        assert len(names) == count
        assert all(archive.read(name).startswith(b"%PDF") for name in names)


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_big_batch_is_rendered_in_two_processes(standalone, start):
    from app.certificates import jobs
    from app.certificates import dataintegrity
    from app.certificates.models import JobStatus, SigningKey
    from app.extensions import db

    app, (cohort, course, trainer, people) = standalone
    app.config.update(CERTIFICATE_RENDER_PROCESSES=2, CERTIFICATE_PARALLEL_MIN=2, CERTIFICATE_PROCESS_START=start)
    assert jobs.start_method() == start
    job = jobs.create_issue_job(cohort, course, trainer)
    db.session.commit()
    jobs.run_issue_job(job.id)
    job, certificates = _job_and_certificates(db, job.id)
    assert (job.status, job.total, job.done) == (JobStatus.DONE, 6, 6)
    assert len(certificates) == 6 and len({c.trainee_id for c in certificates}) == 6
    [key] = db.session.scalars(sa.select(SigningKey)).all()  # the children shared the organisation's one key
    public_key = dataintegrity.public_key_from_multibase(key.public_key_multibase)
    for certificate in certificates:  # each child stored the PDF and signed the credential
        assert certificate.pdf_sha256 and certificate.credential
        dataintegrity.verify(certificate.credential, public_key)  # raises when the proof does not hold
    _check_zip(app, job, 6)


def test_a_job_whose_process_died_is_resumed_without_a_second_certificate(standalone):
    from app.certificates import jobs, services
    from app.certificates.models import CertificateJob, JobStatus
    from app.extensions import db

    app, (cohort, course, trainer, people) = standalone
    job = jobs.create_issue_job(cohort, course, trainer)
    db.session.commit()
    # The process died after issuing two records, one of them without its PDF yet.
    with jobs.request_like():
        first = services.issue_certificate(people[0], course, issued_by=trainer, cohort=cohort)
        services.issue_certificate(people[1], course, issued_by=trainer, cohort=cohort)
        db.session.commit()
        services.finalise_certificate(first)
    job.status, job.done, job.heartbeat_at = JobStatus.RUNNING, 1, utcnow() - timedelta(minutes=30)
    db.session.commit()

    assert jobs.is_stalled(job)
    assert jobs.resume(job) is True
    assert jobs.resume(job) is False  # a second click does not start it twice
    db.session.commit()
    jobs.enqueue(job)  # inline here
    job, certificates = _job_and_certificates(db, job.id)
    assert job.status is JobStatus.DONE and not jobs.is_stalled(job)
    assert sorted(c.trainee_id for c in certificates) == sorted(p.id for p in people)  # one each
    assert all(c.pdf_path for c in certificates)
    _check_zip(app, job, 6)
    assert db.session.get(CertificateJob, job.id).heartbeat_at is not None


def test_the_progress_page_offers_resume_only_for_a_stalled_job(standalone):
    from app.certificates import jobs
    from app.certificates.models import JobStatus
    from app.extensions import db

    app, (cohort, course, trainer, people) = standalone
    job = jobs.create_issue_job(cohort, course, trainer)
    job.status, job.heartbeat_at = JobStatus.RUNNING, utcnow()
    db.session.commit()
    assert not jobs.is_stalled(job)
    job.heartbeat_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    assert jobs.is_stalled(job)
    job.status = JobStatus.DONE
    db.session.commit()
    assert not jobs.is_stalled(job)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.mark.redis
def test_with_redis_the_job_runs_on_an_rq_worker(standalone, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from app.certificates import jobs
    from app.certificates.models import JobStatus
    from app.extensions import db

    app, (cohort, course, trainer, people) = standalone
    name = f"certificates-test-{uuid.uuid4().hex[:8]}"  # a queue of our own on the shared server
    monkeypatch.setattr(jobs, "RQ_QUEUE", name)
    app.config.update(CERTIFICATE_JOBS=None, REDIS_URL=redis_url(), CERTIFICATE_RENDER_PROCESSES=1)
    # The RQ worker builds its app from the environment, as `rq worker` beside gunicorn does.
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("ACOMPANA_INSTANCE", app.instance_path)
    monkeypatch.setenv("BASE_URL", app.config["BASE_URL"])
    job = jobs.create_issue_job(cohort, course, trainer)
    db.session.commit()
    jobs.enqueue(job)
    connection = Redis.from_url(redis_url())
    queue = Queue(name, connection=connection)
    try:
        assert queue.count == 1  # queued, not run in this process
        assert _job_and_certificates(db, job.id)[1] == []
        db.session.commit()  # end this read: outside a request SQLite transactions hold the write lock
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        queue.delete(delete_jobs=True)
    job, certificates = _job_and_certificates(db, job.id)
    assert (job.status, job.done) == (JobStatus.DONE, 6)
    assert len(certificates) == 6
    _check_zip(app, job, 6)


def test_render_processes_fork_only_where_no_other_thread_runs(standalone):
    import threading

    from app.certificates import jobs

    app, _world = standalone
    assert jobs.start_method() == ("fork" if threading.active_count() == 1 else "spawn")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a web worker's job thread runs beside the request threads: never fork there
        assert jobs.start_method() == "spawn"
    finally:
        stop.set()
        other.join()


def test_a_read_only_block_inside_a_write_lock_reads_without_the_lock():
    """A render process forked from a job that holds write_lock() must not take SQLite's write lock."""
    from app.core.db import _wants_write_lock, read_only, write_lock

    with write_lock():
        assert _wants_write_lock()
        with read_only():
            assert not _wants_write_lock()
            with write_lock():
                assert _wants_write_lock()
        assert _wants_write_lock()

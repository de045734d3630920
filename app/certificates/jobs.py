"""Bulk issuing: "issue all eligible" for a cohort, in the background, ending in one ZIP of the PDFs.

With REDIS_URL set the job goes to RQ (run `rq worker certificates` beside the web workers);
otherwise one in-process worker thread runs the jobs one after another. Each certificate is
committed on its own, so the progress bar moves and an interruption loses nothing issued.
"""
from __future__ import annotations

import logging
import queue
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context

from app.auth.models import User
from app.certificates import services, storage
from app.certificates.models import Certificate, CertificateJob, JobStatus
from app.certificates.rules import rule_for
from app.core.db import utcnow
from app.courses.models import CohortCourse, Course
from app.extensions import db
from app.orgs.models import Cohort
from app.training.queries import cohort_trainees

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@contextmanager
def request_like(language: str | None = None) -> Iterator[None]:
    """Outside a request (a worker, a terminal), stand one up at BASE_URL in ``language``."""
    if has_request_context():
        yield
        return
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"],
                                          headers={"Accept-Language": language}):
        yield


def eligible_trainees(cohort: Cohort, course: Course, now: datetime | None = None) -> list[User]:
    """The cohort's trainees who meet every criterion today and hold no current certificate."""
    rule = rule_for(course.id, cohort.organisation_id)
    if rule is None:
        return []
    eligible = []
    with request_like():
        for trainee in cohort_trainees(cohort):
            state = services.path_state(trainee, course, rule, cohort=cohort, now=now)
            if state is not None and state.can_be_issued:
                eligible.append(trainee)
    return eligible


def certifiable_courses(cohort: Cohort) -> list[Course]:
    """The cohort's courses that have a certification rule."""
    courses = db.session.scalars(sa.select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
                                 .where(CohortCourse.cohort_id == cohort.id).order_by(Course.slug))
    return [c for c in courses if rule_for(c.id, cohort.organisation_id) is not None]


def active_job(cohort: Cohort, course: Course) -> CertificateJob | None:
    return db.session.scalar(sa.select(CertificateJob).where(
        CertificateJob.cohort_id == cohort.id, CertificateJob.course_id == course.id,
        CertificateJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])))


def create_issue_job(cohort: Cohort, course: Course, requested_by: User | None) -> CertificateJob:
    """Record the job (the caller commits, then calls ``enqueue``). One job per cohort and course at a time."""
    job = active_job(cohort, course)
    if job is not None:
        return job
    job = CertificateJob(organisation_id=cohort.organisation_id, cohort_id=cohort.id, course_id=course.id,
                         requested_by_id=requested_by.id if requested_by else None, status=JobStatus.QUEUED,
                         total=len(eligible_trainees(cohort, course)), done=0)
    if job.total == 0:
        job.status, job.finished_at = JobStatus.DONE, utcnow()
    db.session.add(job)
    db.session.flush()
    return job


def run_issue_job(job_id: int, on_progress: Progress | None = None) -> CertificateJob:
    """Issue, render and sign for each eligible trainee, then write the ZIP. Commits as it goes.

    A worker or a terminal has no request, yet the evaluator words its evidence in a language and
    links pages: give it one, at BASE_URL, speaking the requester's language.
    """
    job = db.session.get(CertificateJob, job_id)
    requester = db.session.get(User, job.requested_by_id) if job and job.requested_by_id else None
    with request_like(requester.preferred_language if requester else None):
        return _run(job_id, on_progress)


def _run(job_id: int, on_progress: Progress | None) -> CertificateJob:
    job = db.session.get(CertificateJob, job_id)
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise LookupError(f"no queued certificate job {job_id}")
    try:
        cohort, course = db.session.get(Cohort, job.cohort_id), db.session.get(Course, job.course_id)
        requester = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
        trainees = eligible_trainees(cohort, course)
        job.status, job.total, job.done = JobStatus.RUNNING, len(trainees), 0
        db.session.commit()
        issued: list[Certificate] = []
        for trainee in trainees:
            certificate = _issue_one(trainee, course, requester, cohort)
            if certificate is not None:
                issued.append(certificate)
            job.done += 1
            db.session.commit()
            if on_progress:
                on_progress(job.done, job.total)
        job.zip_path = write_zip(job.id, issued) if issued else None
        job.status, job.finished_at = JobStatus.DONE, utcnow()
        db.session.commit()
    except Exception as error:  # the job records why it stopped; what was issued stays issued
        db.session.rollback()
        log.exception("certificate job %s failed", job_id)
        job = db.session.get(CertificateJob, job_id)
        job.status, job.error, job.finished_at = JobStatus.FAILED, f"{type(error).__name__}: {error}"[:2000], utcnow()
        db.session.commit()
    return job


def _issue_one(trainee: User, course: Course, requester: User | None, cohort: Cohort) -> Certificate | None:
    try:
        with db.session.begin_nested():
            certificate = services.issue_certificate(trainee, course, issued_by=requester, cohort=cohort)
    except services.CertificationError as refused:  # no longer eligible since the job was queued
        log.info("certificate job: %s not issued to user %s: %s", course.slug, trainee.id, refused)
        return None
    db.session.commit()
    services.finalise_certificate(certificate)
    return certificate


def _file_name(certificate: Certificate) -> str:
    name = str((certificate.snapshot or {}).get("name") or "")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:60]
    return f"{certificate.code}{'-' + slug if slug else ''}.pdf"


def write_zip(job_id: int, certificates: list[Certificate]) -> str:
    """One ZIP of the stored PDFs (stored, not deflated: PDFs are compressed already)."""
    relative, path = storage.job_zip_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            archive.writestr(_file_name(certificate), storage.read_pdf(certificate))
    partial.replace(path)
    return relative


# -- running the jobs ---------------------------------------------------------------------------

_queue: queue.Queue[tuple[Flask, int]] = queue.Queue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def _work() -> None:
    while True:
        app, job_id = _queue.get()
        try:
            with app.app_context():
                run_issue_job(job_id)
                db.session.remove()
        except Exception:
            log.exception("certificate job %s could not run", job_id)
        finally:
            _queue.task_done()


def run_in_rq(job_id: int) -> None:
    """The RQ entry point: an RQ worker has no Flask app, so it builds one."""
    from app import create_app

    with create_app().app_context():
        run_issue_job(job_id)


def enqueue(job: CertificateJob) -> None:
    """Start the job after the commit that created it. CERTIFICATE_JOBS=inline runs it now (tests, CLI)."""
    mode = current_app.config.get("CERTIFICATE_JOBS") or ("rq" if current_app.config.get("REDIS_URL") else "thread")
    if mode == "inline":
        run_issue_job(job.id)
    elif mode == "rq":
        from redis import Redis
        from rq import Queue

        Queue("certificates", connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(
            run_in_rq, job.id, job_timeout=3600)
    else:
        global _worker
        with _worker_lock:
            if _worker is None or not _worker.is_alive():
                _worker = threading.Thread(target=_work, name="certificate-jobs", daemon=True)
                _worker.start()
        _queue.put((current_app._get_current_object(), job.id))  # type: ignore[attr-defined]

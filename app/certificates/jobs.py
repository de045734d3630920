"""Bulk issuing: "issue all eligible" for a cohort, in the background, ending in one ZIP of the PDFs.

With REDIS_URL set the job goes to RQ (run `rq worker certificates` beside the web workers);
otherwise one in-process worker thread runs the jobs one after another. Each certificate is
committed on its own, so the progress bar moves and an interruption loses nothing issued.
"""
from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import queue
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.certificates import keys, services, storage
from app.certificates.models import Certificate, CertificateJob, CertificationRule, JobStatus, SigningKey
from app.certificates.renewal import RENEWAL_DAYS
from app.certificates.rules import rule_for
from app.core.db import as_utc, read_only, utcnow, write_lock
from app.courses.models import CohortCourse, Course
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole
from app.training.queries import cohort_trainees

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@contextmanager
def request_like(language: str | None = None, *, write: bool = True) -> Iterator[None]:
    """Outside a request (a worker, a terminal), stand one up at BASE_URL in ``language``."""
    if has_request_context():
        yield
        return
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    # Background work writes: its SQLite transactions take the write lock at BEGIN, as a POST's do,
    # so that reading then writing never meets a snapshot another process has moved on from.
    with (write_lock() if write else nullcontext()), current_app.test_request_context(
            "/", base_url=current_app.config["BASE_URL"], headers={"Accept-Language": language}):
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


def candidate_count(cohort: Cohort, course: Course, now: datetime | None = None) -> int:
    """The job's progress total until it ends: the cohort's trainees without a certificate of the
    course that is unrevoked and not yet due for renewal. One query, where asking the evaluator of
    each trainee took 1.4 s for 500 in the trainer's request; the job asks it of each anyway, and at
    the end the total becomes the number issued."""
    if rule_for(course.id, cohort.organisation_id) is None:
        return 0
    now = now or utcnow()
    held = sa.select(Certificate.id).where(
        Certificate.trainee_id == CohortMember.user_id, Certificate.course_id == course.id,
        Certificate.revoked_at.is_(None),
        sa.or_(Certificate.valid_until.is_(None), Certificate.valid_until > now + timedelta(days=RENEWAL_DAYS)))
    return db.session.scalar(sa.select(sa.func.count()).select_from(CohortMember).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == CohortRole.TRAINEE, ~held.exists())) or 0


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
                         total=candidate_count(cohort, course), done=0)
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


HEARTBEAT_SECONDS = 2.0
# Trainees evaluated and recorded per transaction: one commit (and one reload of the course, the
# rule and the cohort) per batch, a write lock held for well under a second, and an interruption
# loses at most a batch that was never committed (resuming issues it).
ISSUE_BATCH = 10


def _beat(job: CertificateJob, *, commit: bool = True) -> None:
    job.heartbeat_at = utcnow()
    if commit:
        db.session.commit()


def _run(job_id: int, on_progress: Progress | None) -> CertificateJob:
    job = db.session.get(CertificateJob, job_id)
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise LookupError(f"no queued certificate job {job_id}")
    try:
        cohort, course = db.session.get(Cohort, job.cohort_id), db.session.get(Course, job.course_id)
        requester = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
        # A resumed job first finishes what an interrupted run issued but did not render.
        pending = unfinalised_ids(job)
        # Every trainee of the cohort is a candidate: issuing asks the evaluator (once per trainee,
        # inside the write transaction that records the certificate) and refuses the others. The
        # total, counted when the job was queued, is an estimate until the run ends.
        # Ids, not objects: every commit expires each object this session holds, so holding the
        # whole cohort would make each certificate cost more than the one before.
        trainee_ids = [trainee.id for trainee in cohort_trainees(cohort)]
        language = db.session.scalar(sa.select(CohortCourse.language).where(
            CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id)) or None
        from app.certificates.badges import prepare_signing

        prepare_signing(cohort.organisation)  # before any process signs
        job.status, job.total, job.done = JobStatus.RUNNING, max(job.total - job.done, len(pending)), 0
        _beat(job)
        beaten = time.monotonic()

        def issued_ids() -> Iterator[int]:
            yield from pending
            batch: list[int] = []
            for index, trainee_id in enumerate(trainee_ids, 1):
                if index % ISSUE_BATCH == 1 or ISSUE_BATCH == 1:
                    db.session.expire_all()  # each batch's transaction evaluates what is in the database now
                    # Read once per batch, inside its transaction. Holding the organisation keeps it in
                    # the session's (weak) identity map, so each trainee's snapshot does not load it again.
                    organisation, rule = cohort.organisation, rule_for(course.id, cohort.organisation_id)
                # Issuing never looks at the trainee's roles: load them only if something asks.
                trainee = db.session.get(User, trainee_id, options=[lazyload(User.role_assignments)])
                certificate_id = _issue_record(trainee, course, requester, cohort, language,
                                               rule if trainee.organisation_id == organisation.id else None)
                if certificate_id is not None:
                    batch.append(certificate_id)
                if index % ISSUE_BATCH == 0 or index == len(trainee_ids):
                    db.session.commit()  # and no new transaction before the next trainee's
                    yield from batch
                    batch = []

        def some_done(count: int) -> None:
            nonlocal beaten
            job.done += count
            job.total = max(job.total, job.done)
            if time.monotonic() - beaten >= HEARTBEAT_SECONDS:  # the caller commits with its own work
                _beat(job, commit=False)
                beaten = time.monotonic()
            if on_progress:
                on_progress(job.done, job.total)

        finalise_all(issued_ids(), some_done, expected=job.total)
        issued = issued_by_job(job)
        job.zip_path = write_zip(job.id, issued) if issued else None
        job.total = job.done  # those who turned out not to be eligible are not counted
        job.status, job.finished_at, job.heartbeat_at = JobStatus.DONE, utcnow(), utcnow()
        db.session.commit()
    except Exception as error:  # the job records why it stopped; what was issued stays issued
        db.session.rollback()
        log.exception("certificate job %s failed", job_id)
        job = db.session.get(CertificateJob, job_id)
        job.status, job.error, job.finished_at = JobStatus.FAILED, f"{type(error).__name__}: {error}"[:2000], utcnow()
        db.session.commit()
    return job


def _issue_record(trainee: User, course: Course, requester: User | None, cohort: Cohort,
                  language: str | None = None, rule: CertificationRule | None = None) -> int | None:
    """The certificate record, flushed (the job commits every ISSUE_BATCH trainees); its PDF and
    credential come after (``finalise_all``). None when the trainee is not (or no longer) eligible,
    or already certified. The evaluator is asked inside the transaction that records the certificate."""
    try:
        certificate = services.issue_certificate(trainee, course, issued_by=requester, cohort=cohort,
                                                 language=language, rule=rule)
    except services.CertificationError as refused:  # issuing adds nothing before it refuses
        log.debug("certificate job: %s not issued to user %s: %s", course.slug, trainee.id, refused)
        return None
    return certificate.id


def _job_certificates(job: CertificateJob) -> sa.Select:
    """The certificates a job issued: its cohort and course, issued by its requester since it was created."""
    return sa.select(Certificate).where(
        Certificate.cohort_id == job.cohort_id, Certificate.course_id == job.course_id,
        Certificate.issued_at >= job.created_at,
        (Certificate.issued_by_id == job.requested_by_id) if job.requested_by_id else Certificate.issued_by_id.is_(None))


def issued_by_job(job: CertificateJob) -> list[Certificate]:
    return list(db.session.scalars(_job_certificates(job).where(Certificate.pdf_path.is_not(None))
                                   .order_by(Certificate.id)))


def unfinalised_ids(job: CertificateJob) -> list[int]:
    return list(db.session.scalars(_job_certificates(job).with_only_columns(Certificate.id).where(
        Certificate.pdf_path.is_(None), Certificate.revoked_at.is_(None)).order_by(Certificate.id)))


# -- rendering: in this process, or in a pool of processes for a big batch ------------------------

def render_processes() -> int:
    configured = current_app.config.get("CERTIFICATE_RENDER_PROCESSES")
    return int(configured) if configured else min(2, os.cpu_count() or 1)


# Rendered certificates recorded per transaction: a commit costs more than recording one.
RECORD_BATCH = 10


def finalise_all(certificate_ids: Iterable[int], on_done: Callable[[int], None], expected: int = 0) -> None:
    """Render, store and sign each certificate, calling ``on_done(count)`` before each commit with
    the number of certificates that commit finishes.

    A batch of CERTIFICATE_PARALLEL_MIN or more, with more than one render process configured, is
    spread over a pool of processes (WeasyPrint is single-threaded CPU work). The pool starts while
    the first records are issued and takes each record as soon as it is committed. The children
    only read the database (rendering and signing); this process records what they return, so on
    SQLite no two processes ever wait on each other's write lock. When ``expected`` (the job's
    count of eligible trainees) reaches the threshold, the pool starts before the first record, so
    its processes load WeasyPrint while this one issues.
    """
    ids = iter(certificate_ids)
    processes = render_processes()
    threshold = int(current_app.config.get("CERTIFICATE_PARALLEL_MIN") or 20)
    head = [] if processes >= 2 and expected >= threshold else list(itertools.islice(ids, threshold))
    if processes < 2 or (expected < threshold and len(head) < threshold):
        for certificate_id in itertools.chain(head, ids):
            _finalise_here(certificate_id)
            on_done(1)
            db.session.commit()
        return
    db.session.commit()  # hold no transaction (on SQLite, no lock) while the children read

    def record(done: list[Future]) -> None:
        """Record what the children returned, in one transaction."""
        for future in done:
            finalised: services.Finalised = future.result()  # a render that failed fails the job, with its reason
            services.record_finalised(db.session.get(Certificate, finalised.certificate_id), finalised)
        on_done(len(done))  # once, not per certificate: each change to the job would be one more UPDATE
        _commit_keeping_loaded()

    with _render_pool(processes) as pool:
        pending = [pool.submit(_child_render, i) for i in head]
        for certificate_id in ids:
            pending.append(pool.submit(_child_render, certificate_id))
            done = [f for f in pending if f.done()]
            if len(done) >= RECORD_BATCH:
                pending = [f for f in pending if f not in done]
                record(done)
        db.session.commit()
        order = {future: index for index, future in enumerate(pending)}
        finished: set[Future] = set()
        waiting = set(pending)
        while waiting or finished:
            if waiting and len(finished) < RECORD_BATCH:
                newly, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                finished |= newly
                continue
            record(sorted(finished, key=order.__getitem__))
            finished = set()


def _commit_keeping_loaded() -> None:
    """Commit what was recorded without expiring what the session holds: the issuing batches
    expire everything themselves before they evaluate, so the course, the rule and the cohort are
    not read again after every recorded PDF."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _finalise_here(certificate_id: int) -> None:
    certificate = db.session.get(Certificate, certificate_id)
    with request_like(certificate.language):
        services.finalise_certificate(certificate)


CHILD_CONFIG = ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH", "BASE_URL", "SECRET_KEY", "BABEL_DEFAULT_LOCALE")
_child: dict[str, Any] = {}


def start_method() -> str:
    """How render processes start: "fork" where nothing else runs in this process (a terminal, an
    RQ work-horse), so the children begin with the app built and WeasyPrint loaded; "spawn" where
    other threads run (a web worker's job thread), since forking those can copy a held lock.
    CERTIFICATE_PROCESS_START ("auto", "fork" or "spawn") overrides it."""
    chosen = str(current_app.config.get("CERTIFICATE_PROCESS_START") or "auto")
    if chosen == "auto":
        forkable = "fork" in multiprocessing.get_all_start_methods()
        return "fork" if forkable and threading.active_count() == 1 else "spawn"
    return chosen


@contextmanager
def _render_pool(processes: int) -> Iterator[ProcessPoolExecutor]:
    method = start_method()
    if method == "fork":
        _child["app"] = current_app._get_current_object()
        db.session.commit()
        db.engine.dispose()  # no open database connection may be copied into a child (SQLite forbids it)
        initializer, initargs = _child_after_fork, ()
    else:
        overrides = {key: current_app.config[key] for key in CHILD_CONFIG if key in current_app.config}
        initializer, initargs = _child_start, (overrides,)
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context(method),
                             initializer=initializer, initargs=(*initargs,)) as pool:
        pool.submit(int)  # start the processes now, while this one holds no database connection
        yield pool


def _child_start(overrides: dict[str, Any]) -> None:
    from app import create_app
    from app.certificates.pdf import warm_up

    _child["app"] = create_app(overrides)
    with _child["app"].app_context():
        warm_up()
    _child_ready()


def _child_after_fork() -> None:
    """A forked child starts with the app built. It must not share the parent's database
    connections (the parent closed its own before forking); then it loads WeasyPrint, its fonts
    and stylesheets while the parent issues the first records."""
    from app.certificates.pdf import warm_up

    with _child["app"].app_context():
        db.engine.dispose(close=False)
        warm_up()
    _child_ready()


def _child_ready() -> None:
    """A pool process has read nothing yet (``_child_settings``). The app and WeasyPrint stay for the
    process's life: keep them out of every garbage collection. A render allocates tens of thousands
    of short-lived objects; collecting the young generation every 10,000 allocations instead of
    every 700 saves about 3 % of each render (measured)."""
    _child["settings"] = {}
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


def _child_render(certificate_id: int) -> services.Finalised:
    """In a pool process: render and sign one certificate, reading only."""
    with _child["app"].app_context(), read_only():
        try:
            certificate = db.session.get(Certificate, certificate_id)
            with request_like(certificate.language, write=False):
                return services.render_and_sign(certificate, *_child_settings(certificate))
        finally:
            db.session.rollback()
            db.session.remove()


def _child_settings(certificate: Certificate) -> tuple[str, SigningKey]:
    """The template and the signing key for the certificate's course and organisation, read once
    per pool (one job): every certificate of a job shares them, and reading them again cost about
    3 % of each certificate. The key is kept detached from the session, with its columns loaded."""
    settings = (certificate.course_id, certificate.organisation_id)
    if settings not in _child["settings"]:
        signing_key = keys.active_key(certificate.organisation)
        db.session.expunge(signing_key)
        _child["settings"][settings] = (services.template_for(certificate), signing_key)
    return _child["settings"][settings]


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
# Kinds of work: ("issue", job id) for "issue all eligible", ("auto", trainee ids) for
# automatic issuing after a trainee's evidence changed (see app/certificates/auto.py), and
# ("research", export id) for a research export (app/research/jobs.py).

_queue: queue.Queue[tuple[Flask, str, Any]] = queue.Queue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def _dispatch(kind: str, payload: Any) -> None:
    if kind == "issue":
        run_issue_job(int(payload))
    elif kind == "auto":
        from app.certificates.auto import issue_due

        issue_due(list(payload))
    elif kind == "research":
        from app.research.jobs import run_export

        run_export(int(payload))
    else:
        raise ValueError(f"unknown certificate work {kind!r}")


def _work() -> None:
    while True:
        app, kind, payload = _queue.get()
        try:
            with app.app_context():
                try:
                    _dispatch(kind, payload)
                finally:
                    db.session.remove()
        except Exception:
            log.exception("certificate work %s %s could not run", kind, payload)
        finally:
            _queue.task_done()


def run_in_rq(kind: str, payload: Any) -> None:
    """The RQ entry point: an RQ worker has no Flask app, so it builds one."""
    from app import create_app

    with create_app().app_context():
        try:
            _dispatch(kind, payload)
        finally:
            db.session.remove()


def job_mode() -> str:
    return current_app.config.get("CERTIFICATE_JOBS") or ("rq" if current_app.config.get("REDIS_URL") else "thread")


def submit(kind: str, payload: Any) -> None:
    """Run certificate work after the commit that asked for it: in RQ with REDIS_URL, else in this
    process's worker thread. CERTIFICATE_JOBS=inline runs it now (tests, CLI)."""
    mode = job_mode()
    if mode == "inline":
        _dispatch(kind, payload)
    elif mode == "rq":
        from redis import Redis
        from rq import Queue

        Queue(RQ_QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(
            run_in_rq, kind, payload, job_timeout=3600)
    else:
        global _worker
        with _worker_lock:
            if _worker is None or not _worker.is_alive():
                _worker = threading.Thread(target=_work, name="certificate-jobs", daemon=True)
                _worker.start()
        _queue.put((current_app._get_current_object(), kind, payload))  # type: ignore[attr-defined]


RQ_QUEUE = "certificates"


def enqueue(job: CertificateJob) -> None:
    submit("issue", job.id)


# -- a job whose process died --------------------------------------------------------------------

def stale_after() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("CERTIFICATE_JOB_STALE_MINUTES") or 10))


def is_stalled(job: CertificateJob, now: datetime | None = None) -> bool:
    """Queued or running, yet silent for longer than any single certificate takes: its process died."""
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    last = job.heartbeat_at or job.created_at
    return _aware(now or utcnow()) - _aware(last) > stale_after()


def resume(job: CertificateJob) -> bool:
    """Claim a stalled job (one conditional UPDATE, so two clicks resume it once). The caller commits,
    then calls ``enqueue``."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(CertificateJob)
        .where(CertificateJob.id == job.id, CertificateJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
               sa.func.coalesce(CertificateJob.heartbeat_at, CertificateJob.created_at) < now - stale_after())
        .values(status=JobStatus.QUEUED, heartbeat_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(job)
    return claimed


_aware = as_utc  # one rule for naive timestamps: app.core.db.as_utc

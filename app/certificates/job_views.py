"""Bulk issuing: confirm "issue all eligible" for a cohort, watch the job's progress, download its ZIP."""
from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from app.certificates import jobs, storage
from app.certificates.blueprint import bp
from app.certificates.job_forms import IssueAllForm, ResumeForm
from app.certificates.models import CertificateJob, JobStatus
from app.core import audit
from app.core.permissions import authorize, can_issue_certificates, can_know_cohort
from app.courses.models import Course
from app.extensions import db
from app.orgs.models import Cohort

REFRESH_SECONDS = 3


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_know_cohort(current_user, cohort):
        abort(404)
    authorize(can_issue_certificates(current_user, cohort))
    return cohort


def _job(job_id: int) -> CertificateJob:
    job = db.session.get(CertificateJob, job_id)
    cohort = db.session.get(Cohort, job.cohort_id) if job else None
    if cohort is None or not can_know_cohort(current_user, cohort):
        abort(404)
    authorize(can_issue_certificates(current_user, cohort))
    return job


@bp.route("/certificates/cohorts/<int:job_cohort_id>/issue-all", methods=["GET", "POST"])
@login_required
def job_start(job_cohort_id: int):
    cohort = _cohort(job_cohort_id)
    courses = {c.id: c for c in jobs.certifiable_courses(cohort)}
    form = IssueAllForm()
    form.course_id.choices = [(c.id, c.title_in(current_user.preferred_language)) for c in courses.values()]
    if form.validate_on_submit():
        job = jobs.create_issue_job(cohort, courses[form.course_id.data], current_user._get_current_object())
        db.session.commit()
        if job.status is JobStatus.QUEUED and job.total:
            jobs.enqueue(job)
        return redirect(url_for("certificates.job_progress", cert_job_id=job.id), 303)
    eligible = {c.id: len(jobs.eligible_trainees(cohort, c)) for c in courses.values()}
    recent = db.session.scalars(sa.select(CertificateJob).where(CertificateJob.cohort_id == cohort.id)
                                .order_by(CertificateJob.id.desc()).limit(5)).all()
    return render_template("certificates/job_start.html", cohort=cohort, form=form, courses=courses,
                           eligible=eligible, recent=recent), 422 if form.errors else 200


@bp.get("/certificates/jobs/<int:cert_job_id>")
@login_required
def job_progress(cert_job_id: int):
    job = _job(cert_job_id)
    stalled = jobs.is_stalled(job)
    running = job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and job.total > 0 and not stalled
    auto = running and request.args.get("auto") != "0"
    response = render_template("certificates/job_progress.html", job=job, running=running, auto=auto,
                               stalled=stalled, resume_form=ResumeForm(),
                               cohort=db.session.get(Cohort, job.cohort_id),
                               course=db.session.get(Course, job.course_id), refresh=REFRESH_SECONDS)
    # The Refresh header updates the page without JavaScript; the page offers a link to stop it.
    return response, 200, ({"Refresh": str(REFRESH_SECONDS)} if auto else {})


@bp.get("/certificates/jobs/<int:cert_job_id>/zip")
@login_required
def job_zip(cert_job_id: int):
    job = _job(cert_job_id)
    try:
        path = storage.job_zip_file(job.zip_path)
    except storage.StoredFileMissing:
        abort(404)
    return send_file(BytesIO(path.read_bytes()), mimetype="application/zip", as_attachment=True,
                     download_name=f"certificates-{job.id}.zip")


@bp.post("/certificates/jobs/<int:cert_job_id>/resume")
@login_required
def job_resume(cert_job_id: int):
    """Start again a job whose process stopped: it finishes what was issued and issues to whoever is
    still eligible; nobody gets a second certificate."""
    job = _job(cert_job_id)
    form = ResumeForm()
    if form.validate_on_submit() and jobs.is_stalled(job) and jobs.resume(job):
        audit.record("certificate_job.resumed", job, organisation_id=job.organisation_id,
                     after={"done": job.done, "total": job.total})
        db.session.commit()
        jobs.enqueue(job)
    return redirect(url_for("certificates.job_progress", cert_job_id=job.id), 303)

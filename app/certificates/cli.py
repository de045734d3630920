"""`flask certificates issue --cohort ID`: the bulk "issue all eligible", in a terminal, with a progress bar."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.certificates import jobs
from app.certificates.models import JobStatus
from app.courses.models import Course
from app.extensions import db
from app.orgs.models import Cohort

certificates_command = AppGroup("certificates", help="Certificates: issue, verify.")


@certificates_command.command("issue")
@click.option("--cohort", "cohort_id", type=int, required=True, help="The cohort's id.")
@click.option("--course", "course_slug", help="The course's slug (needed when the cohort has several with a rule).")
def issue_command(cohort_id: int, course_slug: str | None) -> None:
    """Issue a certificate to every eligible trainee of a cohort and write one ZIP of the PDFs."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise click.ClickException(f"No cohort {cohort_id}.")
    courses = jobs.certifiable_courses(cohort)
    if course_slug:
        courses = [c for c in courses if c.slug == course_slug]
    if len(courses) != 1:
        known = ", ".join(c.slug for c in jobs.certifiable_courses(cohort)) or "none"
        raise click.ClickException(f"Choose one course with --course (courses with a rule: {known}).")
    course: Course = courses[0]
    job = jobs.create_issue_job(cohort, course, requested_by=None)
    db.session.commit()
    if job.status is JobStatus.DONE:
        click.echo("Every trainee holds a current certificate: nothing issued.")
        return
    if job.status is JobStatus.RUNNING:
        raise click.ClickException(f"Job {job.id} is already running for this cohort and course.")
    click.echo(f"{cohort.name} · {course.slug}: {job.total} without a current certificate; "
               "each is issued one if the evaluator finds them eligible.")
    with click.progressbar(length=job.total, label="Issuing", show_pos=True) as bar:
        job = jobs.run_issue_job(job.id, on_progress=lambda done, total: bar.update(done - bar.pos))
    if job.status is JobStatus.FAILED:
        raise click.ClickException(f"Stopped after {job.done} of {job.total}: {job.error}")
    if job.zip_path:
        click.echo(f"Issued {job.done}. ZIP: {Path(current_app.instance_path) / job.zip_path}")
    else:
        click.echo("Nobody was eligible: nothing issued.")

"""The research export page (GET), asking for an export (POST), its progress page, its ZIP and Resume.

With the organisation's key (or identified) the export is a background job; with an uploaded key file
it is made in the request and streamed at once, because the key must never be stored (see jobs.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from app.auth.models import User
from app.certificates.job_forms import ResumeForm
from app.certificates.jobs import is_stalled
from app.certificates.models import JobStatus
from app.core import audit
from app.core.db import read_only, utcnow, write_lock
from app.core.i18n import _, _l
from app.core.permissions import authorize, can_export_research, is_same_organisation
from app.extensions import db
from app.research import downloads, jobs, pseudonyms
from app.research.dictionary import DICTIONARY, FILES
from app.research.forms import IDENTIFIED, ResearchExportForm
from app.research.models import KeySource, ResearchExport

bp = Blueprint("research", __name__, template_folder="templates")

REFRESH_SECONDS = 3
RECENT = 10

FILE_LABELS = {
    "people.csv": _l("People: site, roles, cohorts, month the account was made"),
    "cohorts.csv": _l("Cohorts: site, status, dates"),
    "cohort_members.csv": _l("Who is in each cohort, and in which role"),
    "cohort_courses.csv": _l("Courses given to each cohort"),
    "lesson_progress.csv": _l("Lessons finished"),
    "training_days.csv": _l("Training days"),
    "attendance.csv": _l("Attendance at training days"),
    "quiz_attempts.csv": _l("Quiz attempts: pre-test or post-test, score, dates"),
    "quiz_responses.csv": _l("Score of each question in each attempt (no answer text)"),
    "assessments.csv": _l("Competency assessments: stage, method, tool, levels"),
    "item_ratings.csv": _l("Level of each item, and the harmful behaviours ticked"),
    "harm_flags.csv": _l("Harm flags: status and dates (no notes)"),
    "supervision_sessions.csv": _l("Supervision sessions: date, length, format, attendees (no notes)"),
    "supervision_attendees.csv": _l("Who attended each supervision session"),
    "practice_cases.csv": _l("Practice cases: intervention, sessions, verified (no client codes)"),
    "practice_sessions.csv": _l("Practice sessions: date, length, status, outcome scores (no notes)"),
    "certificates.csv": _l("Certificates: course, issue, validity, status, revocation reason"),
}
MODE_LABELS = {"pseudonymised": _l("Pseudonyms"), "identified": _l("Identified")}
STATE_LABELS = {
    "waiting": _l("Waiting to start"), "running": _l("Being made"), "stalled": _l("Stopped: can be resumed"),
    "ready": _l("Ready to download"), "deleted": _l("Deleted after 7 days"),
    "streamed": _l("Downloaded when made (key file)"), "failed": _l("Failed"),
}
EXPORT_FILES = [*(f.name for f in FILES), DICTIONARY.name]


def state_of(export: ResearchExport) -> str:
    """One word for what a person can do with the export now (a key of STATE_LABELS)."""
    if export.status in jobs.ACTIVE:
        if is_stalled(export):
            return "stalled"
        return "waiting" if export.status is JobStatus.QUEUED else "running"
    if export.status is JobStatus.FAILED:
        return "failed"
    if jobs.downloadable(export):
        return "ready"
    return "streamed" if export.key_source is KeySource.SUPPLIED else "deleted"


def _page(form: ResearchExportForm, status: int = 200):
    me = current_user._get_current_object()
    organisation = me.organisation
    path = pseudonyms.key_path(organisation)
    try:
        fingerprint = pseudonyms.fingerprint(pseudonyms.parse_key(path.read_bytes())) if path.exists() else None
    except pseudonyms.KeyFileError:
        fingerprint = None
    recent = db.session.scalars(sa.select(ResearchExport).where(ResearchExport.organisation_id == organisation.id)
                                .order_by(ResearchExport.id.desc()).limit(RECENT)).all()
    return render_template("research/export.html", form=form, files=FILES, labels=FILE_LABELS,
                           organisation=organisation, fingerprint=fingerprint, recent=recent, state_of=state_of,
                           state_labels=STATE_LABELS, mode_labels=MODE_LABELS, keep_days=jobs.KEEP_FOR.days,
                           may_identify=can_export_research(me, me.organisation_id, identified=True)), status


@bp.get("/research/export")
@login_required
def export():
    authorize(can_export_research(current_user, current_user.organisation_id, identified=False))
    return _page(ResearchExportForm())


@bp.post("/research/export")
@login_required
def export_zip():
    me = current_user._get_current_object()
    authorize(can_export_research(me, me.organisation_id, identified=False))
    form = ResearchExportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    identified = form.mode.data == IDENTIFIED
    authorize(can_export_research(me, me.organisation_id, identified=identified))
    if form.key_file.data:
        return _export_with_key_file(form, identified)
    export, created = jobs.request_export(me.organisation, me, identified=identified)
    db.session.commit()
    if created:
        jobs.enqueue(export)
    return redirect(url_for("research.export_progress", research_export_id=export.id), 303)


def _export_with_key_file(form: ResearchExportForm, identified: bool):
    """The uploaded key lives in this request only: the export is made now and streamed."""
    try:
        key = pseudonyms.parse_key(form.key_file.data.read(pseudonyms.MAX_KEY_LENGTH + 64))
    except pseudonyms.KeyFileError:
        form.key_file.errors = [_("A key file holds between %(low)d and %(high)d characters.",
                                  low=pseudonyms.MIN_KEY_LENGTH, high=pseudonyms.MAX_KEY_LENGTH)]
    if identified:
        form.key_file.errors = [_("A key file is only for exports with pseudonyms.")]
    if form.key_file.errors:
        return _page(form, 422)
    me = current_user._get_current_object()
    organisation = me.organisation
    db.session.commit()  # the long read below must not hold SQLite's write lock
    with read_only():
        path, summary = downloads.make_export_file(organisation, identified=False, key=key)
        db.session.commit()
    filename = f"research-{organisation.slug}-{summary.mode}-{summary.made_at:%Y%m%d-%H%M%S}.zip"
    with write_lock():
        jobs.record_supplied(summary, me)
        db.session.commit()
    return downloads.zip_response(path, filename)


def _export(export_id: int) -> ResearchExport:
    """The export, if it is the user's organisation's (404 otherwise) and they may see its mode (403)."""
    export = db.session.get(ResearchExport, export_id)
    if export is None or not is_same_organisation(current_user, export):
        abort(404)
    authorize(can_export_research(current_user, export.organisation_id, identified=export.identified))
    return export


def _progress_page(export: ResearchExport, status: int = 200, *, expired: bool = False):
    state = state_of(export)
    auto = state in ("waiting", "running") and request.args.get("auto") != "0"
    requester = db.session.get(User, export.requested_by_id) if export.requested_by_id else None
    done_files = sum(1 for name in EXPORT_FILES if name in (export.rows or {}))
    if state == "running" and done_files:
        done_files -= 1  # the last file with rows is the one being written
    page = render_template("research/export_progress.html", export=export, state=state, auto=auto,
                           requester=requester, files=EXPORT_FILES, done_files=done_files, expired=expired,
                           expires_at=jobs.expires_at(export), resume_form=ResumeForm(),
                           state_labels=STATE_LABELS, mode_labels=MODE_LABELS, refresh=REFRESH_SECONDS,
                           keep_days=jobs.KEEP_FOR.days)
    # The Refresh header updates the page without JavaScript; the page offers a link to stop it.
    return page, status, ({"Refresh": str(REFRESH_SECONDS)} if auto else {})


@bp.get("/research/exports/<int:research_export_id>")
@login_required
def export_progress(research_export_id: int):
    return _progress_page(_export(research_export_id))


@bp.get("/research/exports/<int:research_export_id>/zip")
@login_required
def export_download(research_export_id: int):
    export = _export(research_export_id)
    if export.status is not JobStatus.DONE:
        return redirect(url_for("research.export_progress", research_export_id=export.id), 303)
    path = jobs.downloadable(export, utcnow())
    if path is None:
        return _progress_page(export, 410, expired=True)
    filename = jobs.download_name(export, current_user.organisation)
    db.session.commit()  # end the read; the write below takes SQLite's write lock up front
    with write_lock():
        export = db.session.get(ResearchExport, research_export_id)
        jobs.record_download(export, current_user._get_current_object())
        db.session.commit()
    # Conditional: a download cut by a poor connection can go on from where it stopped (Range).
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/research/exports/<int:research_export_id>/resume")
@login_required
def export_resume(research_export_id: int):
    """Start again an export whose process stopped: it is made again from the beginning."""
    export = _export(research_export_id)
    form = ResumeForm()
    if form.validate_on_submit() and is_stalled(export) and jobs.resume(export):
        audit.record("research.export_resumed", export, organisation_id=export.organisation_id,
                     after={"mode": export.mode})
        db.session.commit()
        jobs.enqueue(export)
    return redirect(url_for("research.export_progress", research_export_id=export.id), 303)

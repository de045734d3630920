"""The research export page (GET) and the ZIP download (POST)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.core import audit
from app.core.db import read_only
from app.core.i18n import _, _l
from app.core.permissions import authorize, can_export_research
from app.extensions import db
from app.research import downloads, pseudonyms
from app.research.dictionary import FILES
from app.research.forms import IDENTIFIED, ResearchExportForm

bp = Blueprint("research", __name__, template_folder="templates")

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


def _page(form: ResearchExportForm, status: int = 200):
    me = current_user._get_current_object()
    organisation = me.organisation
    path = pseudonyms.key_path(organisation)
    try:
        fingerprint = pseudonyms.fingerprint(pseudonyms.parse_key(path.read_bytes())) if path.exists() else None
    except pseudonyms.KeyFileError:
        fingerprint = None
    return render_template("research/export.html", form=form, files=FILES, labels=FILE_LABELS,
                           organisation=organisation, fingerprint=fingerprint,
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
    key = None
    if form.key_file.data:
        try:
            key = pseudonyms.parse_key(form.key_file.data.read(pseudonyms.MAX_KEY_LENGTH + 64))
        except pseudonyms.KeyFileError:
            form.key_file.errors = [_("A key file holds between %(low)d and %(high)d characters.",
                                      low=pseudonyms.MIN_KEY_LENGTH, high=pseudonyms.MAX_KEY_LENGTH)]
        if identified:
            form.key_file.errors = [_("A key file is only for exports with pseudonyms.")]
        if form.key_file.errors:
            return _page(form, 422)
    organisation, actor_id = me.organisation, me.id
    db.session.commit()  # the long read below must not hold SQLite's write lock
    with read_only():
        path, summary = downloads.make_export_file(organisation, identified=identified, key=key)
        db.session.commit()
    filename = f"research-{summary.organisation.slug}-{summary.mode}-{summary.made_at:%Y%m%d-%H%M%S}.zip"
    audit.record("research.exported", organisation_id=summary.organisation.id, actor_id=actor_id,
                 after=summary.audit_details())
    db.session.commit()
    return downloads.zip_response(path, filename)

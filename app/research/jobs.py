"""The research export as a background job: a national-size export takes longer than a web request may.

The job runs on the certificates' machinery (``app.certificates.jobs.submit("research", id)``: RQ
with REDIS_URL, else the in-process worker thread, inline in tests). It writes the ZIP under
``instance/research/exports/`` (mode 0600), kept for KEEP_FOR so that a download cut by a poor
connection can be tried again, then deleted by ``flask research purge``. Only exports with the
organisation's own key (or identified) run here: an uploaded key file must never be stored, not even
in a queue, so those exports are still made in the request that carries the key (``record_supplied``).
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.auth.models import User
from app.certificates.jobs import stale_after
from app.certificates.models import JobStatus
from app.core import audit
from app.core.db import read_only, utcnow, write_lock
from app.extensions import db
from app.orgs.models import Organisation
from app.research.export import ExportSummary, write_export
from app.research.models import KeySource, ResearchExport

log = logging.getLogger(__name__)

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
KEEP_FOR = timedelta(days=7)
EXPORTS_DIR = Path("research") / "exports"
PROGRESS_SECONDS = 2.0  # at most one progress write this often, besides one at the end of each file


# -- files --------------------------------------------------------------------------------------

def _root() -> Path:
    return Path(current_app.instance_path)


def zip_location(export_id: int) -> tuple[str, Path]:
    """(the path stored on the record, relative to the instance folder; the absolute path)."""
    relative = str(EXPORTS_DIR / f"export-{export_id}.zip")
    folder = _root() / EXPORTS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return relative, _root() / relative


def zip_file(export: ResearchExport) -> Path | None:
    """The export's ZIP on disk, if it is still there (and inside the instance folder)."""
    if not export.zip_path:
        return None
    root = _root().resolve()
    path = (root / export.zip_path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def expires_at(export: ResearchExport) -> datetime | None:
    return export.finished_at + KEEP_FOR if export.finished_at else None


def is_expired(export: ResearchExport, now: datetime | None = None) -> bool:
    end = expires_at(export)
    return end is not None and (now or utcnow()) >= end


def downloadable(export: ResearchExport, now: datetime | None = None) -> Path | None:
    """The ZIP a user may download now: finished, not older than KEEP_FOR, still on disk."""
    if export.status is not JobStatus.DONE or is_expired(export, now):
        return None
    return zip_file(export)


def download_name(export: ResearchExport, organisation: Organisation) -> str:
    made = export.finished_at or export.created_at
    return f"research-{organisation.slug}-{export.mode}-{made:%Y%m%d-%H%M%S}.zip"


# -- asking for an export -----------------------------------------------------------------------

def active_export(organisation_id: int, identified: bool) -> ResearchExport | None:
    return db.session.scalar(sa.select(ResearchExport).where(
        ResearchExport.organisation_id == organisation_id, ResearchExport.identified.is_(identified),
        ResearchExport.status.in_(ACTIVE)).order_by(ResearchExport.id))


def request_export(organisation: Organisation, requested_by: User | None, *,
                   identified: bool) -> tuple[ResearchExport, bool]:
    """The organisation's queued or running export of this mode, or a new one (True). One at a time:
    the organisation's row is locked first, so two clicks arriving together make one export.
    The caller commits, then calls ``enqueue`` for a new one."""
    db.session.execute(sa.select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())
    existing = active_export(organisation.id, identified)
    if existing is not None:
        return existing, False
    export = ResearchExport(organisation_id=organisation.id, requested_by_id=requested_by.id if requested_by else None,
                            identified=identified, key_source=None if identified else KeySource.ORGANISATION,
                            status=JobStatus.QUEUED, rows={})
    db.session.add(export)
    db.session.flush()
    audit.record("research.export_requested", export, organisation_id=organisation.id,
                 actor_id=export.requested_by_id, after={"mode": export.mode, "key": export.key_source})
    return export, True


def enqueue(export: ResearchExport) -> None:
    from app.certificates import jobs

    jobs.submit("research", export.id)


def record_supplied(summary: ExportSummary, requested_by: User) -> ResearchExport:
    """An export made in the request with an uploaded key: recorded (and audited) as done and downloaded,
    with the key's fingerprint only. Its file is streamed once and kept nowhere."""
    now = utcnow()
    export = ResearchExport(organisation_id=summary.organisation.id, requested_by_id=requested_by.id,
                            identified=summary.identified, key_source=summary.key_source,
                            key_fingerprint=summary.key_fingerprint, status=JobStatus.DONE,
                            rows=dict(summary.counts), created_at=summary.made_at, heartbeat_at=now,
                            finished_at=now, downloaded_at=now)
    db.session.add(export)
    db.session.flush()
    audit.record("research.exported", export, organisation_id=export.organisation_id, actor_id=requested_by.id,
                 after={**summary.audit_details(), "export_id": export.id})
    return export


# -- running it -----------------------------------------------------------------------------------

def _save_progress(export_id: int, values: dict[str, Any]) -> None:
    """Write progress beside the export's long read, in a session of its own: the read keeps its
    snapshot (SQLite) or its server-side cursor (PostgreSQL), which a commit of its own would end."""
    with write_lock(), Session(db.engine, join_transaction_mode="create_savepoint") as side:
        side.execute(sa.update(ResearchExport).where(ResearchExport.id == export_id).values(**values)
                     .execution_options(synchronize_session=False))
        side.commit()


class _Progress:
    """Counts rows per file and writes them, with a heartbeat, at most every PROGRESS_SECONDS."""

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self.rows: dict[str, int] = {}
        self.last = 0.0

    def __call__(self, name: str, count: int, finished: bool) -> None:
        self.rows[name] = count
        if finished or time.monotonic() - self.last >= PROGRESS_SECONDS:
            self.last = time.monotonic()
            _save_progress(self.export_id, {"rows": dict(self.rows), "heartbeat_at": utcnow()})


def run_export(export_id: int) -> ResearchExport:
    """Write the export's ZIP (reading in one transaction that takes no write lock), then mark it done
    and audit it. A failure marks it failed, with the reason, and leaves no partial file."""
    export = db.session.get(ResearchExport, export_id)
    if export is None or export.status not in ACTIVE:
        raise LookupError(f"no queued research export {export_id}")
    relative, path = zip_location(export_id)
    partial = path.with_name(path.name + ".part")
    path.unlink(missing_ok=True)  # whatever an earlier record with this id left (a database restored from backup)
    try:
        export.status, export.rows, export.error, export.heartbeat_at = JobStatus.RUNNING, {}, None, utcnow()
        organisation, identified = db.session.get(Organisation, export.organisation_id), export.identified
        db.session.commit()
        with read_only():
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                summary = write_export(handle, organisation, identified=identified, on_progress=_Progress(export_id))
            db.session.commit()
        partial.replace(path)
        export = db.session.get(ResearchExport, export_id)
        export.status, export.zip_path, export.rows = JobStatus.DONE, relative, dict(summary.counts)
        export.key_fingerprint = summary.key_fingerprint
        export.finished_at = export.heartbeat_at = utcnow()
        audit.record("research.exported", export, organisation_id=export.organisation_id,
                     actor_id=export.requested_by_id, after={**summary.audit_details(), "export_id": export.id})
        db.session.commit()
    except Exception as error:  # the export records why it stopped; the requester can ask again
        db.session.rollback()
        partial.unlink(missing_ok=True)
        log.exception("research export %s failed", export_id)
        export = db.session.get(ResearchExport, export_id)
        export.status, export.error, export.finished_at = JobStatus.FAILED, f"{type(error).__name__}: {error}"[:2000], utcnow()
        db.session.commit()
    return export


# -- an export whose process died ------------------------------------------------------------------

def resume(export: ResearchExport) -> bool:
    """Claim a stalled export to start it again from the beginning (one conditional UPDATE, so two clicks
    resume it once). The caller commits, then calls ``enqueue``."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(ResearchExport)
        .where(ResearchExport.id == export.id, ResearchExport.status.in_(ACTIVE),
               sa.func.coalesce(ResearchExport.heartbeat_at, ResearchExport.created_at) < now - stale_after())
        .values(status=JobStatus.QUEUED, heartbeat_at=now, rows={})
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(export)
    return claimed


# -- downloads and clean-up ----------------------------------------------------------------------

def record_download(export: ResearchExport, user: User) -> None:
    """Every download is audited (an export holds people's records); the first one is kept on the export."""
    if export.downloaded_at is None:
        export.downloaded_at = utcnow()
    audit.record("research.export_downloaded", export, organisation_id=export.organisation_id, actor_id=user.id,
                 after={"mode": export.mode})


def purge(now: datetime | None = None) -> int:
    """Delete the ZIPs of exports finished more than KEEP_FOR ago, and any file left in the folder that
    long (a run that died mid-way). The records stay, without their file. Returns the files deleted."""
    now = now or utcnow()
    deleted = 0
    expired = db.session.scalars(sa.select(ResearchExport).where(
        ResearchExport.zip_path.is_not(None), ResearchExport.finished_at <= now - KEEP_FOR))
    for export in expired:
        path = zip_file(export)
        if path is not None:
            path.unlink(missing_ok=True)
            deleted += 1
        export.zip_path = None
    folder = _root() / EXPORTS_DIR
    limit = (now - KEEP_FOR).timestamp()
    for leftover in folder.glob("export-*") if folder.is_dir() else []:
        try:
            if leftover.stat().st_mtime <= limit:
                leftover.unlink()
                deleted += 1
        except FileNotFoundError:
            pass  # removed meanwhile
    db.session.flush()
    return deleted

"""The research export as a background job: one at a time, its progress page, a stalled run resumed,
a failure recorded, and ZIPs deleted after 7 days (`flask research purge`)."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import courses_support, research_support
from tests.conftest import csrf_token
from tests.research_support import open_zip, rows

content_path = courses_support.content_path  # fixtures
research_world = research_support.research_world


def _ask(client, mode: str = "pseudonymised"):
    token = csrf_token(client, "/research/export")
    return client.post("/research/export", data={"csrf_token": token, "mode": mode},
                       content_type="multipart/form-data")


def _exports(db_session):
    from app.research.models import ResearchExport

    return db_session.scalars(sa.select(ResearchExport).order_by(ResearchExport.id)).all()


def _audit(db_session, action: str):
    from app.core.audit import AuditEvent

    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _export(db_session, organisation, admin, *, status: str = "running", **fields):
    """An export record as a worker leaves it part-way (nothing is written on disk)."""
    from app.certificates.models import JobStatus
    from app.core.db import utcnow
    from app.research.models import KeySource, ResearchExport

    export = ResearchExport(organisation_id=organisation.id, requested_by_id=admin.id, identified=False,
                            key_source=KeySource.ORGANISATION, status=JobStatus(status),
                            rows=fields.pop("rows", {}), heartbeat_at=fields.pop("heartbeat_at", utcnow()), **fields)
    db_session.add(export)
    db_session.flush()
    return export


@pytest.fixture
def held(monkeypatch):
    """Exports asked for in the web stay queued, as they would until a worker takes them; their ids are kept."""
    from app.research import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda export: queued.append(export.id))
    return queued


def test_a_double_submit_makes_one_export(client, login, research_world, db_session, held):
    from app.research import jobs

    first, _ = research_world
    login(first.people["admin"])
    one, two = _ask(client), _ask(client)

    [export] = _exports(db_session)
    assert one.status_code == two.status_code == 303 and one.headers["Location"] == two.headers["Location"]
    assert held == [export.id] and len(_audit(db_session, "research.export_requested")) == 1
    page = client.get(one.headers["Location"])
    assert "Waiting to start." in page.get_data(as_text=True) and page.headers["Refresh"] == "3"

    identified = _ask(client, "identified")  # the other mode is another export
    assert identified.headers["Location"] != one.headers["Location"] and len(_exports(db_session)) == 2

    jobs.run_export(export.id)  # as the worker would
    assert _ask(client).headers["Location"] != one.headers["Location"]  # finished: a new one may start
    assert len(_exports(db_session)) == 3


def test_the_worker_makes_the_zip_and_the_page_offers_it(app, client, login, research_world, db_session, held):
    from app.certificates.jobs import _dispatch
    from app.research.jobs import zip_file

    first, _ = research_world
    login(first.people["admin"])
    location = _ask(client).headers["Location"]
    [export] = _exports(db_session)

    _dispatch("research", export.id)  # the worker thread's (or RQ's) entry point, outside any request
    db_session.refresh(export)
    assert export.status.value == "done" and export.finished_at and export.key_fingerprint
    assert export.rows["people.csv"] == 6 and export.rows["data_dictionary.csv"] > 100
    page = client.get(location)
    html = page.get_data(as_text=True)
    assert "Refresh" not in page.headers and "The export is ready." in html
    assert "You can download it until" in html and re.search(r"<code>item_ratings\.csv</code></th><td>2</td>", html)
    with client.get(f"{location}/zip") as response:
        files = open_zip(response.data)
    assert len(rows(files, "people.csv")) == 6 and "Mode:         pseudonymised" in files["README.txt"]
    assert zip_file(export).name == f"export-{export.id}.zip"
    assert not list(zip_file(export).parent.glob(f"export-{export.id}.zip.part"))


def test_a_running_export_shows_its_rows_and_refreshes_without_javascript(client, login, research_world,
                                                                          db_session):
    first, _ = research_world
    admin = first.people["admin"]
    export = _export(db_session, first.organisation, admin, rows={"people.csv": 6, "cohorts.csv": 1})
    login(admin)

    page = client.get(f"/research/exports/{export.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Refresh"] == "3"
    assert "1 of 18 files written." in html and 'max="18" value="1"' in html
    assert re.search(r"<code>people\.csv</code></th><td>6</td>", html) and "<script" not in html
    assert "Download ZIP" not in html and admin.full_name in html
    assert client.get(f"/research/exports/{export.id}/zip").status_code == 303  # not ready: back to the page
    stopped = client.get(f"/research/exports/{export.id}?auto=0")
    assert "Refresh" not in stopped.headers and "Update now" in stopped.get_data(as_text=True)
    assert "Being made" in client.get("/research/export").get_data(as_text=True)


def test_a_stalled_export_is_resumed_once_and_made_again(client, login, research_world, db_session):
    from app.core.db import utcnow

    first, _ = research_world
    admin = first.people["admin"]
    silent = utcnow() - timedelta(minutes=30)
    export = _export(db_session, first.organisation, admin, rows={"people.csv": 6}, heartbeat_at=silent)
    login(admin)

    page = client.get(f"/research/exports/{export.id}")
    html = page.get_data(as_text=True)
    assert "Refresh" not in page.headers and "This export stopped" in html and ">Resume</button>" in html
    resumed = client.post(f"/research/exports/{export.id}/resume",
                          data={"csrf_token": csrf_token(client, f"/research/exports/{export.id}")})
    assert resumed.status_code == 303 and resumed.headers["Location"].endswith(f"/research/exports/{export.id}")

    db_session.refresh(export)
    assert export.status.value == "done" and export.rows["people.csv"] == 6  # run again inline, to the end
    assert len(_audit(db_session, "research.export_resumed")) == 1
    assert "The export is ready." in client.get(f"/research/exports/{export.id}").get_data(as_text=True)
    again = client.post(f"/research/exports/{export.id}/resume", data={"csrf_token": csrf_token(client, "/")})
    assert again.status_code == 303 and len(_audit(db_session, "research.export_resumed")) == 1


def test_a_live_export_is_not_resumed(client, login, research_world, db_session):
    first, _ = research_world
    admin = first.people["admin"]
    export = _export(db_session, first.organisation, admin, rows={"people.csv": 6})
    login(admin)

    client.post(f"/research/exports/{export.id}/resume", data={"csrf_token": csrf_token(client, "/")})
    db_session.refresh(export)
    assert export.status.value == "running" and _audit(db_session, "research.export_resumed") == []


def test_a_failure_is_recorded_and_leaves_no_file(client, login, research_world, db_session, monkeypatch):
    from app.research import jobs

    def broken(handle, *args, **kwargs):
        handle.write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "write_export", broken)
    first, _ = research_world
    login(first.people["admin"])
    location = _ask(client).headers["Location"]

    [export] = _exports(db_session)
    assert export.status.value == "failed" and "disk full" in export.error and export.zip_path is None
    _, path = jobs.zip_location(export.id)
    assert not path.exists() and not path.with_name(path.name + ".part").exists()
    html = client.get(location).get_data(as_text=True)
    assert "The export stopped with an error." in html and "disk full" not in html
    assert _audit(db_session, "research.exported") == []


def test_an_export_older_than_seven_days_is_refused_then_purged(app, client, login, research_world, db_session):
    from app.core.db import utcnow
    from app.research import jobs

    first, _ = research_world
    login(first.people["admin"])
    old_location = _ask(client).headers["Location"]
    [old] = _exports(db_session)
    old.finished_at = utcnow() - timedelta(days=8)
    db_session.flush()
    new_location = _ask(client).headers["Location"]
    _, new = _exports(db_session)
    old_path, new_path = jobs.zip_file(old), jobs.zip_file(new)
    assert old_path.exists() and new_path.exists()

    refused = client.get(f"{old_location}/zip")  # the file is still there, but too old to give out
    assert refused.status_code == 410
    assert "can no longer be downloaded: exports are kept for 7 days" in refused.get_data(as_text=True)
    assert "Download ZIP" not in refused.get_data(as_text=True)

    leftover = old_path.with_name("export-999999.zip.part")  # a run that died long ago
    leftover.write_bytes(b"partial")
    week_ago = (utcnow() - timedelta(days=8)).timestamp()
    os.utime(leftover, (week_ago, week_ago))
    result = app.test_cli_runner().invoke(args=["research", "purge"])

    assert result.exit_code == 0, result.output
    assert "Deleted 2 export file(s) older than 7 days." in result.output
    assert not old_path.exists() and not leftover.exists() and new_path.exists()
    db_session.refresh(old)
    assert old.zip_path is None and new.zip_path is not None
    assert "The file of this export was deleted after 7 days." in client.get(old_location).get_data(as_text=True)
    assert client.get(f"{old_location}/zip").status_code == 410
    with client.get(f"{new_location}/zip") as response:
        assert response.status_code == 200
    listing = client.get("/research/export").get_data(as_text=True)
    assert "Deleted after 7 days" in listing and "Ready to download" in listing


def test_rows_are_reported_while_a_file_is_being_written(research_world, db_session, monkeypatch):
    """Progress is written beside the long read (which keeps its snapshot and cursor) as the rows go by."""
    from app.core.db import utcnow
    from app.research import export as export_module
    from app.research import jobs
    from app.research.models import ResearchExport

    first, _ = research_world
    record = _export(db_session, first.organisation, first.people["admin"], status="queued",
                     heartbeat_at=utcnow() - timedelta(minutes=1))
    monkeypatch.setattr(export_module, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.0)
    seen = []
    real = jobs._save_progress

    def watched(export_id, values):
        real(export_id, values)
        seen.append(db_session.scalar(sa.select(ResearchExport.rows).where(ResearchExport.id == export_id)))

    monkeypatch.setattr(jobs, "_save_progress", watched)
    jobs.run_export(record.id)

    assert {"people.csv": 2} in seen and {"people.csv": 4} in seen  # part-way through people.csv
    assert seen[-1]["data_dictionary.csv"] > 100 and len(seen[-1]) == 18
    db_session.refresh(record)
    assert record.status.value == "done" and record.heartbeat_at >= record.created_at

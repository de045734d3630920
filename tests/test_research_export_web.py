"""The research export page and download: who may export what, CSRF, the key upload, the audit trail."""
from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import courses_support, research_support
from tests.conftest import csrf_token
from tests.research_support import (
    KEY,
    PSEUDONYM,
    export_bytes,
    open_zip,
    pseudonym_of,
    rows,
)

content_path = courses_support.content_path  # fixtures
research_world = research_support.research_world


def _post(client, data: dict | None = None):
    form = {"csrf_token": csrf_token(client, "/research/export"), "mode": "pseudonymised", **(data or {})}
    return client.post("/research/export", data=form, content_type="multipart/form-data")


def _download(client, data: dict | None = None):
    """Ask for an export as a browser would, follow it to its ZIP; (last response, files of the ZIP or None).

    With the organisation's key the POST answers 303 to the export's page (the job ran inline in tests),
    which links the ZIP; with a key file the POST answers the ZIP itself."""
    response = _post(client, data)
    if response.status_code == 303:
        page = client.get(response.headers["Location"])
        link = re.search(r'href="(/research/exports/\d+/zip)"', page.get_data(as_text=True))
        assert link, page.get_data(as_text=True)
        response = client.get(link.group(1))
    try:
        files = open_zip(response.data) if response.status_code == 200 else None
    finally:
        response.close()
    return response, files


def _audit(db_session, action: str = "research.exported"):
    from app.core.audit import AuditEvent

    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _exports(db_session):
    return _audit(db_session)


def _records(db_session):
    from app.research.models import ResearchExport

    return db_session.scalars(sa.select(ResearchExport).order_by(ResearchExport.id)).all()


def test_admin_sees_what_is_in_the_export_and_both_modes(client, login, research_world):
    first, _ = research_world
    login(first.people["admin"])
    page = client.get("/research/export").get_data(as_text=True)

    assert "Research export" in page and "item_ratings.csv" in page and "data_dictionary.csv" in page
    assert re.search(r'<input checked[^>]*value="pseudonymised"', page)  # pseudonyms unless chosen otherwise
    assert 'value="identified"' in page
    assert "full_name" in page  # identified-only columns are listed for those who may identify


def test_programme_manager_sees_only_pseudonyms(client, login, research_world):
    first, _ = research_world
    login(first.people["manager"])
    page = client.get("/research/export").get_data(as_text=True)

    assert 'value="pseudonymised"' in page and 'value="identified"' not in page
    assert "Only administrators can make an identified export." in page


@pytest.mark.parametrize("role", ["trainee", "supervisor", "trainer"])
def test_other_roles_are_refused(client, login, research_world, role):
    first, _ = research_world
    login(first.people[role])
    assert client.get("/research/export").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/research/export", data={"csrf_token": token, "mode": "pseudonymised"}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/research/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_downloads_a_pseudonymised_zip_and_the_export_is_audited(client, login, research_world, db_session):
    from app.research.jobs import zip_file
    from app.research.pseudonyms import organisation_key

    first, _ = research_world
    admin = first.people["admin"]
    login(admin)
    asked = _post(client)
    [record] = _records(db_session)
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/research/exports/{record.id}")

    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "The export is ready." in page and "Download ZIP" in page
    assert re.search(r"<code>people\.csv</code></th><td>6</td>", page)
    response, files = _download(client)
    assert len(_records(db_session)) == 2  # the first one finished, so this one is new

    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=research-{first.organisation.slug}-pseudonymised-")
    assert response.headers["Cache-Control"] == "no-store"
    key, _ = organisation_key(first.organisation)
    assert {row["person"] for row in rows(files, "people.csv")} == {pseudonym_of(key, i) for i in first.user_ids}
    assert admin.full_name not in "".join(files.values())
    db_session.refresh(record)
    path = zip_file(record)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600  # kept to try again, for 7 days

    [event, _second] = _exports(db_session)
    assert (event.actor_id, event.organisation_id) == (admin.id, first.organisation.id)
    assert event.after["mode"] == "pseudonymised" and event.after["key"] == "organisation"
    assert event.after["rows"]["people.csv"] == 6 and event.after["export_id"] == record.id
    assert [e.after["mode"] for e in _audit(db_session, "research.export_requested")] == ["pseudonymised"] * 2
    [downloaded] = _audit(db_session, "research.export_downloaded")
    assert downloaded.actor_id == admin.id and downloaded.object_id == str(_records(db_session)[1].id)
    assert _records(db_session)[1].downloaded_at is not None and record.downloaded_at is None


def test_admin_downloads_an_identified_zip(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    response, files = _download(client, {"mode": "identified"})

    assert response.status_code == 200
    names = {row["full_name"] for row in rows(files, "people.csv")}
    assert names == {person.full_name for person in first.people.values()}
    assert [event.after["mode"] for event in _exports(db_session)] == ["identified"]


def test_programme_manager_may_export_pseudonyms_but_not_identities(client, login, research_world, db_session):
    first, _ = research_world
    manager = first.people["manager"]
    login(manager)

    response, files = _download(client)
    assert response.status_code == 200
    assert all(PSEUDONYM.match(row["person"]) for row in rows(files, "people.csv"))

    response = _post(client, {"mode": "identified"})
    assert response.status_code == 403
    assert [(e.actor_id, e.after["mode"]) for e in _exports(db_session)] == [(manager.id, "pseudonymised")]


def test_programme_manager_cannot_open_an_identified_export(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    _post(client, {"mode": "identified"})
    [identified] = _records(db_session)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(first.people["manager"])
    assert client.get(f"/research/exports/{identified.id}").status_code == 403
    assert client.get(f"/research/exports/{identified.id}/zip").status_code == 403
    listing = client.get("/research/export").get_data(as_text=True)
    assert "Identified" in listing and f'href="/research/exports/{identified.id}"' not in listing
    assert _audit(db_session, "research.export_downloaded") == []


def test_another_organisations_admin_exports_only_their_own_rows(client, login, research_world, db_session):
    first, second = research_world
    login(first.people["admin"])
    _post(client)
    [theirs] = _records(db_session)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(second.people["admin"])
    response, files = _download(client, {"mode": "identified"})
    assert response.status_code == 200
    assert {int(row["person"]) for row in rows(files, "people.csv")} == second.user_ids
    assert [row["cohort_id"] for row in rows(files, "cohorts.csv")] == [str(second.ids["cohort"])]
    everything = "".join(files.values())
    assert first.people["trainee"].full_name not in everything and first.organisation.name not in everything

    assert client.get(f"/research/exports/{theirs.id}").status_code == 404
    assert client.get(f"/research/exports/{theirs.id}/zip").status_code == 404
    token = csrf_token(client, "/")
    assert client.post(f"/research/exports/{theirs.id}/resume", data={"csrf_token": token}).status_code == 404
    assert f"/research/exports/{theirs.id}" not in client.get("/research/export").get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    response = client.post("/research/export", data={"mode": "pseudonymised"})

    assert response.status_code == 400
    assert response.mimetype != "application/zip"
    assert _exports(db_session) == [] and _records(db_session) == []


def test_a_shared_key_file_gives_the_shared_pseudonyms_at_once_and_is_kept_nowhere(
        app, client, login, research_world, db_session):
    from app.core.audit import AuditEvent
    from app.research.models import KeySource, ResearchExport

    first, _ = research_world
    login(first.people["admin"])
    response, files = _download(client, {"key_file": (io.BytesIO(KEY + b"\n"), "programmes.key")})

    assert response.status_code == 200 and response.mimetype == "application/zip"  # no job: streamed at once
    assert pseudonym_of(KEY, first.people["trainee"].id) in {row["person"] for row in rows(files, "people.csv")}
    [event] = _exports(db_session)
    assert event.after["key"] == "supplied"
    assert event.after["key_fingerprint"] == export_bytes(first.organisation, key=KEY)[1].key_fingerprint
    [record] = _records(db_session)
    assert (record.key_source, record.zip_path, record.key_fingerprint) == (
        KeySource.SUPPLIED, None, event.after["key_fingerprint"])
    assert record.downloaded_at is not None and record.rows["people.csv"] == 6
    assert "Downloaded when made (key file)" in client.get("/research/export").get_data(as_text=True)

    # The key is in no record and in no file the server keeps.
    stored = [repr(row) for model in (ResearchExport, AuditEvent)
              for row in db_session.execute(sa.select(model.__table__)).all()]
    assert not any(KEY.decode() in text for text in stored)
    for path in Path(app.instance_path).rglob("*"):
        assert not path.is_file() or KEY not in path.read_bytes(), path


def test_a_short_key_file_is_refused_with_a_message(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    response, files = _download(client, {"key_file": (io.BytesIO(b"too short"), "weak.key")})

    assert response.status_code == 422 and files is None
    assert "A key file holds between 32 and 1024 characters." in response.get_data(as_text=True)
    assert _exports(db_session) == []


def test_a_key_file_with_an_identified_export_is_refused(client, login, research_world):
    first, _ = research_world
    login(first.people["admin"])
    response, _ = _download(client, {"mode": "identified", "key_file": (io.BytesIO(KEY), "programmes.key")})

    assert response.status_code == 422
    assert "A key file is only for exports with pseudonyms." in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "linked"), [("admin", True), ("manager", True), ("trainer", False)])
def test_home_links_to_the_export_for_those_who_may_use_it(client, login, research_world, role, linked):
    first, _ = research_world
    login(first.people[role])
    assert ('href="/research/export"' in client.get("/").get_data(as_text=True)) is linked

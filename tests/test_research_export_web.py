"""The research export page and download: who may export what, CSRF, the key upload, the audit trail."""
from __future__ import annotations

import io
import re

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


def _download(client, data: dict | None = None):
    """POST the form as a browser would; returns (response, files of the ZIP or None)."""
    form = {"csrf_token": csrf_token(client, "/research/export"), "mode": "pseudonymised", **(data or {})}
    response = client.post("/research/export", data=form, content_type="multipart/form-data")
    try:
        files = open_zip(response.data) if response.status_code == 200 else None
    finally:
        response.close()
    return response, files


def _exports(db_session):
    from app.core.audit import AuditEvent

    return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "research.exported")).all()


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
    from app.research.downloads import exports_dir
    from app.research.pseudonyms import organisation_key

    first, _ = research_world
    admin = first.people["admin"]
    login(admin)
    before = set(exports_dir().glob("*.zip"))
    response, files = _download(client)

    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="research-{first.organisation.slug}-pseudonymised-')
    assert response.headers["Cache-Control"] == "no-store"
    key, _ = organisation_key(first.organisation)
    assert {row["person"] for row in rows(files, "people.csv")} == {pseudonym_of(key, i) for i in first.user_ids}
    assert admin.full_name not in "".join(files.values())
    assert set(exports_dir().glob("*.zip")) == before  # the temporary file is gone once sent

    [event] = _exports(db_session)
    assert (event.actor_id, event.organisation_id) == (admin.id, first.organisation.id)
    assert event.after["mode"] == "pseudonymised" and event.after["key"] == "organisation"
    assert event.after["rows"]["people.csv"] == 6


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

    response, files = _download(client, {"mode": "identified"})
    assert response.status_code == 403 and files is None
    assert [(e.actor_id, e.after["mode"]) for e in _exports(db_session)] == [(manager.id, "pseudonymised")]


def test_another_organisations_admin_exports_only_their_own_rows(client, login, research_world):
    first, second = research_world
    login(second.people["admin"])
    response, files = _download(client, {"mode": "identified"})

    assert response.status_code == 200
    assert {int(row["person"]) for row in rows(files, "people.csv")} == second.user_ids
    assert [row["cohort_id"] for row in rows(files, "cohorts.csv")] == [str(second.ids["cohort"])]
    everything = "".join(files.values())
    assert first.people["trainee"].full_name not in everything and first.organisation.name not in everything


def test_post_without_csrf_token_is_refused(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    response = client.post("/research/export", data={"mode": "pseudonymised"})

    assert response.status_code == 400
    assert response.mimetype != "application/zip"
    assert _exports(db_session) == []


def test_a_shared_key_file_gives_the_shared_pseudonyms(client, login, research_world, db_session):
    first, _ = research_world
    login(first.people["admin"])
    response, files = _download(client, {"key_file": (io.BytesIO(KEY + b"\n"), "programmes.key")})

    assert response.status_code == 200
    assert pseudonym_of(KEY, first.people["trainee"].id) in {row["person"] for row in rows(files, "people.csv")}
    [event] = _exports(db_session)
    assert event.after["key"] == "supplied"
    assert event.after["key_fingerprint"] == export_bytes(first.organisation, key=KEY)[1].key_fingerprint


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

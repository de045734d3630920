"""Setting up a real organisation from the terminal, without demo data."""
from __future__ import annotations

import re

import sqlalchemy as sa

from tests.conftest import post_form


def test_create_organisation_then_first_admin_signs_in_with_the_code(app, client, db_session):
    from app.auth.models import User

    result = app.test_cli_runner().invoke(args=[
        "orgs", "create", "ses-lima", "Socios En Salud", "--country", "PE",
        "--admin", "Ana.Admin", "--admin-name", "Ana Quispe"])
    assert result.exit_code == 0, result.output
    assert "Created Socios En Salud (ses-lima) with administrator ana.admin." in result.output
    code = re.search(r"\(valid 24 hours\): (\S+)", result.output).group(1)

    admin = db_session.scalar(sa.select(User).where(User.username == "ana.admin"))
    assert admin.organisation.name == "Socios En Salud" and "admin" in admin.roles

    response = post_form(client, "/reset", {"username": "ana.admin", "code": code,
                                            "password": "llaqta yachay wasi", "confirm": "llaqta yachay wasi"})
    assert response.status_code == 302
    response = post_form(client, "/login", {"username": "ana.admin", "password": "llaqta yachay wasi"})
    assert response.status_code == 302
    assert "Socios En Salud" in client.get("/").get_data(as_text=True)


def test_create_refuses_an_existing_slug(app, org):
    result = app.test_cli_runner().invoke(args=["orgs", "create", org.slug, "Again", "--admin", "x1", "--admin-name", "X"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_purge_imports_discards_old_previews(app, make_user, db_session):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.orgs.importing import start_import
    from app.orgs.models import ImportStatus

    admin = make_user("admin")
    batch = start_import(admin.organisation_id, admin, "old.csv", b"username,full_name\nrosa,Rosa\n")
    batch.created_at = utcnow() - timedelta(days=8)
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["orgs", "purge-imports"])
    assert result.exit_code == 0, result.output
    assert "Discarded 1 unconfirmed import preview(s)." in result.output
    db_session.refresh(batch)
    assert batch.status != ImportStatus.PREVIEWED
    assert "Rosa" not in str(batch.rows)

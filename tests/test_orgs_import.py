"""Bulk import: upload, a preview that names every problem and writes no account, one confirmation."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import post_form

FIXTURES = Path(__file__).parent / "fixtures"
CODE = re.compile(r'<span class="code-box">([0-9A-Z-]+)</span>')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def user_count(db_session) -> int:
    from app.auth.models import User

    return db_session.scalar(sa.select(sa.func.count()).select_from(User))


def find(db_session, username: str):
    from app.auth.models import User

    return db_session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def admin(make_user, db_session, org):
    from app.orgs.models import Site

    db_session.add(Site(organisation_id=org.id, name="Clínica Reforma", region="Chiapas"))
    db_session.flush()
    return make_user("admin", preferred_language="en")


def upload(client, filename: str, data: bytes | None = None):
    if data is None:
        data = (FIXTURES / filename).read_bytes()
    return post_form(client, "/admin/users/import", {"file": (io.BytesIO(data), filename)})


def upload_ok(client, filename: str, data: bytes | None = None) -> str:
    response = upload(client, filename, data)
    assert response.status_code == 302, text(response)[:2000]
    return response.headers["Location"]


def test_upload_page_explains_columns(client, login, admin):
    login(admin)
    page = text(client.get("/admin/users/import"))
    assert "username" in page and "usuario" in page and 'enctype="multipart/form-data"' in page


def test_preview_names_each_problem_and_writes_nothing(client, login, admin, make_user, db_session):
    make_user("trainee", username="existing.user")
    login(admin)
    before = user_count(db_session)
    preview = text(client.get(upload_ok(client, "users-errors.csv")))
    assert user_count(db_session) == before
    for expected in [
        "Username is missing.",
        "Username “ana.gomez” is already used on row 2 of this file.",
        "Username “existing.user” already exists.",
        "Email “no-es-correo” is not a valid address.",
        "Site “Clínica Inexistente” does not exist.",
        "Role “jefe” is unknown.",
        "Language “fr” is unknown.",
        "These columns were not recognised and will be ignored: notas.",
        "Nothing has been created yet.",
    ]:
        assert expected in preview, expected
    assert re.search(r'<th scope="row">6</th>\s*<td>pedro.cruz</td>', preview)
    assert preview.count('class="row-error"') == 7
    assert "Import the valid rows and skip the 7 rows with problems (1 valid row)" in preview


def test_preview_can_show_only_problem_rows(client, login, admin, make_user):
    login(admin)
    location = upload_ok(client, "users-errors.csv")
    only = text(client.get(location + "?show=problems"))
    assert "Ana Gómez Jiménez" not in only and "Sin Usuario" in only


def test_confirm_imports_valid_rows_once(app, client, login, admin, db_session):
    from app.core.audit import AuditEvent
    from app.orgs.models import ImportStatus, UserImport

    login(admin)
    location = upload_ok(client, "users-valid.csv")
    import_id = int(location.rsplit("/", 1)[1])
    preview = text(client.get(location))
    assert "Create 3 accounts" in preview
    before = user_count(db_session)
    result = post_form(client, f"/admin/users/import/{import_id}/confirm")
    assert result.status_code == 200
    page = text(result)
    assert "3 accounts created" in page and "These reset codes are shown only once" in page
    codes = CODE.findall(page)
    assert len(codes) == 3 and len(set(codes)) == 3
    assert user_count(db_session) == before + 3

    rosa, lucia, pedro = (find(db_session, u) for u in ("rosa.vazquez", "lucia.mendez", "pedro.ramirez"))
    assert rosa.site.name == "Clínica Reforma" and rosa.phone == "+52 967 123 4567" and rosa.email == "rosa@example.org"
    assert {r.value for r in lucia.roles} == {"supervisor", "trainee"} and lucia.full_name == "Méndez Ruiz, Lucía"
    assert lucia.site.name == "Clínica Reforma" and lucia.preferred_language == "en"
    assert {r.value for r in pedro.roles} == {"trainee"} and pedro.preferred_language == "es"

    created = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.created")).all()
    assert {e.after["username"] for e in created} >= {"rosa.vazquez", "lucia.mendez", "pedro.ramirez"}
    assert all(e.after.get("import_id") == import_id for e in created if e.after["username"] in ("rosa.vazquez",))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "users.imported")) == 1
    batch = db_session.get(UserImport, import_id)
    assert batch.status == ImportStatus.IMPORTED and batch.created_count == 3
    assert "email" not in str(batch.rows)  # contact details are not kept once the accounts exist

    # Submitting the confirmation again creates nothing and says why.
    again = post_form(client, f"/admin/users/import/{import_id}/confirm", follow_redirects=True)
    assert "already been imported" in text(again)
    assert user_count(db_session) == before + 3
    assert not CODE.search(text(again))

    # Each code lets its person choose a password.
    other = app.test_client()
    response = post_form(other, "/reset", {"username": "rosa.vazquez", "code": codes[0],
                                           "password": "una clave muy larga", "confirm": "una clave muy larga"})
    assert response.status_code == 302


def test_rows_with_problems_need_an_explicit_skip(client, login, admin, make_user, db_session):
    make_user("trainee", username="existing.user")
    login(admin)
    location = upload_ok(client, "users-errors.csv")
    import_id = location.rsplit("/", 1)[1]
    before = user_count(db_session)
    refused = post_form(client, f"/admin/users/import/{import_id}/confirm")
    assert refused.status_code == 422
    assert "7 rows have problems" in text(refused)
    assert user_count(db_session) == before
    done = post_form(client, f"/admin/users/import/{import_id}/confirm", {"skip_invalid": "y"})
    assert done.status_code == 200
    page = text(done)
    assert "1 account created" in page and "7 rows skipped" in page and "Row 5 (existing.user)" in page
    assert user_count(db_session) == before + 1 and find(db_session, "ana.gomez") is not None


def test_confirm_rechecks_rows_changed_since_preview(client, login, admin, make_user, db_session):
    login(admin)
    location = upload_ok(client, "users-valid.csv")
    make_user("trainee", username="rosa.vazquez")  # someone took the username after the preview
    response = post_form(client, location + "/confirm")
    assert response.status_code == 422 and "1 row has a problem" in text(response)
    assert find(db_session, "lucia.mendez") is None


def test_xlsx_import(client, login, admin, db_session):
    login(admin)
    location = upload_ok(client, "users-valid.xlsx")
    preview = text(client.get(location))
    assert re.search(r'<th scope="row">3</th>\s*<td>sofia.aguilar</td>', preview)
    assert re.search(r'<th scope="row">5</th>\s*<td>carlos.mendez</td>', preview)
    assert post_form(client, location + "/confirm").status_code == 200
    sofia, carlos = find(db_session, "sofia.aguilar"), find(db_session, "carlos.mendez")
    assert sofia.full_name == "Sofía Aguilar Velasco" and sofia.phone == "5219671234567"
    assert sofia.site.name == "Clínica Reforma"
    assert {r.value for r in carlos.roles} == {"supervisor"} and carlos.preferred_language == "en"


def test_semicolon_cp1252_csv_from_excel(client, login, admin, db_session):
    login(admin)
    location = upload_ok(client, "users-semicolon-cp1252.csv")
    preview = text(client.get(location))
    assert "Rosa Vázquez Gómez" in preview and "with problems" in preview and 'class="row-error"' not in preview
    assert post_form(client, location + "/confirm").status_code == 200
    rosa, juana, elena = (find(db_session, u) for u in ("rosa.vazquez", "juana.diaz", "elena.santiz"))
    assert rosa.full_name == "Rosa Vázquez Gómez" and rosa.preferred_language == "es" and rosa.phone == "9671234567"
    assert {r.value for r in juana.roles} == {"trainee", "supervisor"} and juana.site.name == "Clínica Reforma"
    assert elena.full_name == "Elena Sántiz López" and elena.preferred_language == "en"


def test_utf8_with_bom_and_spanish_headers(client, login, admin):
    login(admin)
    preview = text(client.get(upload_ok(client, "users-errors.csv")))
    assert "Ana Gómez Jiménez" in preview and "\ufeff" not in preview


@pytest.mark.parametrize("filename,data,message", [
    ("empty.csv", b"", "The file is empty."),
    ("blank.csv", b"\n\n  \n", "The file is empty."),
    ("header-only.csv", b"username,full_name\n", "a header row but no people under it"),
    ("report.pdf", b"%PDF-1.7 ...", "This type of file cannot be imported"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "We could not read this file"),
    ("plain.xlsx", b"username\nana\n", "We could not read this file"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "This is an old Excel file (.xls)"),
    ("binary.csv", b"\x00\x01\x02\x03username", "We could not read this file"),
    ("nousername.csv", b"nombre,correo\nAna,ana@example.org\n", "We did not find a column called “username”"),
])
def test_unusable_files_are_refused_clearly(client, login, admin, db_session, filename, data, message):
    from app.orgs.models import UserImport

    login(admin)
    response = upload(client, filename, data)
    assert response.status_code == 422
    assert message in text(response)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(UserImport)) == 0


def test_no_file_chosen(client, login, admin):
    login(admin)
    response = post_form(client, "/admin/users/import", {})
    assert response.status_code == 422 and "Choose a file to upload." in text(response)


def test_row_limit(client, login, admin):
    login(admin)
    rows = "".join(f"person{n},Persona {n}\n" for n in range(2001))
    response = upload(client, "many.csv", ("username,full_name\n" + rows).encode())
    assert response.status_code == 422 and "more than 2,000 people" in text(response)
    exactly = "".join(f"person{n},Persona {n}\n" for n in range(2000))
    assert upload(client, "limit.csv", ("username,full_name\n" + exactly).encode()).status_code == 302


def test_title_row_above_header_and_blank_rows_keep_spreadsheet_numbers(client, login, admin):
    login(admin)
    data = "Lista del taller\n\nusuario;nombre\nana.g;Ana G\n\nluis.p;Luis P\n".encode()
    preview = text(client.get(upload_ok(client, "lista.csv", data)))
    assert re.search(r'<th scope="row">4</th>\s*<td>ana.g</td>', preview)
    assert re.search(r'<th scope="row">6</th>\s*<td>luis.p</td>', preview)


def test_discard_then_confirm_says_discarded(client, login, admin, db_session):
    login(admin)
    location = upload_ok(client, "users-valid.csv")
    response = post_form(client, location + "/discard", follow_redirects=True)
    assert "The import was discarded" in text(response)
    again = post_form(client, location + "/confirm", follow_redirects=True)
    assert "This import was discarded" in text(again) and find(db_session, "rosa.vazquez") is None


def test_imported_batch_page_lists_outcomes_without_codes(client, login, admin):
    login(admin)
    location = upload_ok(client, "users-valid.csv")
    post_form(client, location + "/confirm")
    page = text(client.get(location))
    assert "rosa.vazquez" in page and "Created" in page and not CODE.search(page)
    assert "Reset codes are shown only once" in page
    assert "3 accounts created" in text(client.get("/admin/users/import"))


def test_stale_previews_lose_their_personal_data(admin, db_session, org):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.orgs import importing
    from app.orgs.models import ImportStatus, UserImport

    rows = [{"row": 2, "raw": {"username": "rosa.v", "full_name": "Rosa", "phone": "967 123 4567"}}]
    old = UserImport(organisation_id=org.id, created_by_id=admin.id, filename="old.csv", rows=rows, ignored_columns=[],
                     created_at=utcnow() - timedelta(days=8))
    fresh = UserImport(organisation_id=org.id, created_by_id=admin.id, filename="new.csv", rows=rows, ignored_columns=[])
    db_session.add_all([old, fresh])
    db_session.flush()
    assert importing.discard_stale_imports() == 1
    assert old.status == ImportStatus.DISCARDED and old.rows == []
    assert fresh.status == ImportStatus.PREVIEWED and fresh.rows == rows

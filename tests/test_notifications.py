"""The notification centre: notify() rows, the list (unread first), mark read, the header badge, email."""
from __future__ import annotations

import sqlalchemy as sa

from app.notifications.models import Notification
from app.notifications.services import notify, send_pending_emails, unread_count
from tests.conftest import post_form
from tests.smtp_server import SMTPReceiver

TITLE = {"es": "Escucha activa", "en": "Active listening"}


def test_notify_skips_duplicates_and_repeated_keys(make_user, db_session):
    carmen, julio = make_user("trainer"), make_user("supervisor")
    created = notify([carmen, julio, carmen], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, "/x",
                     dedupe_key="flag-1")
    assert len(created) == 2
    assert notify([carmen], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, "/x", dedupe_key="flag-1") == []
    assert unread_count(carmen) == 1


def test_the_list_reads_in_the_readers_language_and_marks_read(client, app, login, make_user, db_session):
    reader = make_user("supervisor", preferred_language="en")
    notify([reader], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, "/competencies/flags")
    (urgent,) = notify([reader], "harm_flag.raised", {"trainee": "Rosa", "tool": TITLE, "count": 2}, None, urgent=True)
    login(reader)
    home = client.get("/").get_data(as_text=True)
    assert '<span class="count">2<span class="visually-hidden"> unread</span>' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "in 2 items of “Active listening”" in page and "Urgent" in page
    assert page.index("Urgent") < page.index("Harm flag cleared")  # urgent first
    spanish = make_user("supervisor", preferred_language="es")
    notify([spanish], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, None)
    other = app.test_client()
    login(spanish, c=other)
    assert "Escucha activa" in other.get("/notifications").get_data(as_text=True)

    assert post_form(client, f"/notifications/{urgent.id}/read").status_code == 302
    assert unread_count(reader) == 1
    cleared = db_session.scalar(sa.select(Notification).where(Notification.kind == "harm_flag.cleared",
                                                              Notification.user_id == reader.id))
    opened = post_form(client, f"/notifications/{cleared.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/competencies/flags")
    assert unread_count(reader) == 0
    notify([reader], "something.new", {}, "https://evil.example/phish")
    assert "You have a new notification." in client.get("/notifications").get_data(as_text=True)
    latest = db_session.scalar(sa.select(Notification).where(Notification.kind == "something.new"))
    assert post_form(client, f"/notifications/{latest.id}/open").headers["Location"].endswith("/notifications")
    assert post_form(client, "/notifications/read-all").status_code == 302 and unread_count(reader) == 0
    assert other.get("/notifications").status_code == 200
    assert post_form(other, f"/notifications/{latest.id}/read").status_code == 404  # someone else's


def test_email_after_commit_in_the_readers_language(app, make_user, db_session, monkeypatch):
    with_email = make_user("trainer", email="carmen@example.org", preferred_language="es")
    without = make_user("trainer")
    rows = notify([with_email, without], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, "/competencies/flags")
    assert send_pending_emails([r.id for r in rows]) == 0  # mail is not configured
    with SMTPReceiver() as smtp:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
        assert send_pending_emails([r.id for r in rows]) == 1
        assert send_pending_emails([r.id for r in rows]) == 0  # never twice
    (mail,) = smtp.received
    assert mail.recipients == ["carmen@example.org"] and "Escucha activa" in mail.body
    assert app.config["BASE_URL"] + "/competencies/flags" in mail.body
    assert rows[0].emailed_at is not None and rows[1].emailed_at is None

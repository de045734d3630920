"""The trainee's home and the header every signed-in page shares: what they show, read in few statements."""
from __future__ import annotations

from datetime import date

from app.core.db import utcnow
from app.notifications.services import notify
from tests.conftest import post_form

TITLE = {"es": "Escucha activa", "en": "Active listening"}


def test_trainee_home_lists_cohorts_with_site_and_current_supervisors(client, login, org, make_user, make_cohort,
                                                                       assign_supervisor, db_session):
    trainee = make_user("trainee")
    site = org.sites[0]
    cohort = make_cohort(members={"trainee": [trainee]}, name="Grupo Reforma", site_id=site.id,
                         starts_on=date(2026, 3, 2))
    make_cohort(members={"supervisor": [trainee]}, name="Not learning here")
    zoe = make_user("supervisor", full_name="Zoe Ruiz")
    ana = make_user("supervisor", full_name="Ana López")
    gone = make_user("supervisor", full_name="Former Supervisor")
    assign_supervisor(zoe, trainee, cohort)
    assign_supervisor(ana, trainee)
    assign_supervisor(ana, trainee, cohort)  # the same person twice is named once
    assign_supervisor(gone, trainee).ended_at = utcnow()
    db_session.flush()
    login(trainee)
    html = client.get("/").get_data(as_text=True)
    assert "Grupo Reforma" in html and "Not learning here" not in html
    assert f"{site.name} · Mar 2, 2026</p>" in html
    assert "Your supervisor: Ana López, Zoe Ruiz</p>" in html
    assert "Former Supervisor" not in html


def test_the_header_badge_follows_notifications_on_every_page(client, login, make_user, db_session):
    reader = make_user("trainee", preferred_language="en")
    login(reader)
    assert '<span class="count">' not in client.get("/courses").get_data(as_text=True)
    notify([reader], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, None)
    notify([reader], "harm_flag.cleared", {"trainee": "Rosa", "item": TITLE}, None)
    db_session.flush()
    badge = '<span class="count">2<span class="visually-hidden"> unread</span>'
    assert badge in client.get("/courses").get_data(as_text=True)
    assert badge in client.get("/account").get_data(as_text=True)
    assert post_form(client, "/notifications/read-all").status_code == 302
    assert '<span class="count">' not in client.get("/").get_data(as_text=True)

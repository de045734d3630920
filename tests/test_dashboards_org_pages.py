"""The organisation dashboard as people use it: the page, every CSV, the filters, the PDF report,
"Refresh now" and `flask dashboards refresh`, who may see it, and the statements it costs."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pypdf
import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.test_dashboards_org import (
    assess,
    at,
    build_world,
    certify,
    done,
    enrol,
    give,
    lessons_of,
    make_course,
    month,
    practice,
    supervise,
)

PAGE = "/dashboards/organisation"


def browser(app, login, user, **password):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return login(user, c=client, **password)


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def months_back(k: int) -> str:
    return month(k).strftime("%Y-%m")


def the_year(values: dict[int, list[str]], blank: list[str]) -> list[list[str]]:
    """Twelve month rows, oldest first: the given ones (by months ago) and ``blank`` elsewhere."""
    return [[months_back(k), *values.get(k, blank)] for k in range(11, -1, -1)]


@pytest.fixture
def org_world(db_session, make_org, make_user, make_cohort):
    return build_world(db_session, make_org, make_user, make_cohort)


@pytest.fixture
def admin_browser(app, login, org_world):
    return browser(app, login, org_world.admin)


# -- the page ------------------------------------------------------------------------------------------

def test_page_shows_key_figures_freshness_and_definitions(admin_browser, org_world):
    response = admin_browser.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Compañeros de Chiapas" in page
    assert "Figures as of" in page and "less than a minute ago" in page
    for value, label in (("5", "Enrolled in the period"), ("2", "Trained in the period"),
                         ("4", "Certified in the period"), ("3", "Certificate valid today"),
                         ("1", "Certificate expiring within 60 days"),
                         ("1.5 h", "Supervision hours per supervisee per month"), ("2", "Practice cases started"),
                         ("50%", "Trainees with a harmful behaviour, before training"),
                         ("0%", "Trainees with a harmful behaviour, after training")):
        assert f"<strong>{value}</strong>{label}" in page, (value, label)
    assert "How these figures are counted" in page
    assert "Socios de Lima" not in page and "Otra Persona" not in page
    for slug in ("by-site", "levels", "harm", "supervision", "practice", "trend-people", "trend-activity"):
        assert f'id="chart-{slug}"' in page
        assert f"/dashboards/organisation/{slug}.csv?" in page
    assert "Show as table" in page and "<svg" in page
    assert "Refresh now" in page


def test_every_csv_matches_the_hand_count(admin_browser, org_world):
    period = f"from_month={months_back(11)}&to_month={months_back(0)}"

    def csv_of(slug: str) -> list[list[str]]:
        response = admin_browser.get(f"{PAGE}/{slug}.csv")
        rows = rows_of(response)
        assert f"{org_world.org.slug}-{slug}-{months_back(11)}-{months_back(0)}.csv" in \
            response.headers["Content-Disposition"]
        assert rows == rows_of(admin_browser.get(f"{PAGE}/{slug}.csv?{period}"))  # the default period, spelled out
        return rows

    assert csv_of("key-figures") == [
        ["Figure", "Value"], ["Enrolled in the period", "5"], ["Trained in the period", "2"],
        ["Certified in the period", "4"], ["Certificate valid today", "3"],
        ["Certificate expiring within 60 days", "1"], ["Supervision hours per supervisee per month (h)", "1.5"],
        ["Practice cases started", "2"], ["Trainees with a harmful behaviour, before training (%)", "50"],
        ["Trainees with a harmful behaviour, after training (%)", "0"]]
    s1, s2 = (site.name for site in org_world.sites)
    assert csv_of("by-site") == [["Site", "Trained", "Certified", "Valid today"], [s1, "1", "1", "1"],
                                 [s2, "1", "2", "1"], ["No site", "0", "1", "1"]]
    assert csv_of("levels") == [["Stage", "Level 1", "Level 2", "Level 3", "Level 4"],
                                ["Before training", "14.3", "57.1", "28.6", "0"],
                                ["After training", "0", "0", "62.5", "37.5"]]
    assert csv_of("harm") == [["Stage", "Trainees with a harmful behaviour"], ["Before training", "50"],
                              ["After training", "0"]]
    assert csv_of("supervision") == [["Month", "Hours per supervisee"],
                                     *the_year({2: ["1"], 1: ["1.8"]}, [""])]
    assert csv_of("practice") == [["Intervention", "Cases started", "Sessions delivered"],
                                  ["PM+ (Problem Management Plus)", "1", "2"], ["Psychological first aid", "1", "1"],
                                  ["Other", "0", "0"]]
    assert csv_of("trend-people") == [["Month", "Trained", "Certified"],
                                      *the_year({2: ["1", "1"], 1: ["1", "2"], 0: ["1", "1"]}, ["0", "0"])]
    assert csv_of("trend-activity") == [["Month", "Supervision hours", "Practice cases started"],
                                        *the_year({2: ["1", "1"], 1: ["3.5", "1"]}, ["0", "0"])]
    assert admin_browser.get(f"{PAGE}/nothing-like-this.csv").status_code == 404


def test_filters_by_site_course_cohort_and_period(admin_browser, org_world):
    s1 = org_world.sites[0]
    rows = rows_of(admin_browser.get(f"{PAGE}/key-figures.csv?site={s1.id}"))
    assert [r[1] for r in rows[1:6]] == ["2", "1", "1", "1", "0"]
    assert rows_of(admin_browser.get(f"{PAGE}/by-site.csv?site={s1.id}"))[1:] == [[s1.name, "1", "1", "1"]]

    c2 = org_world.courses["c2"]
    rows = rows_of(admin_browser.get(f"{PAGE}/key-figures.csv?course={c2.id}"))
    assert [r[1] for r in rows[1:6]] == ["2", "1", "1", "1", "0"]
    assert rows[6] == ["Supervision hours per supervisee per month (h)", "2"]  # t3 only: 120 min in one month

    k2 = org_world.cohorts["k2"]
    assert rows_of(admin_browser.get(f"{PAGE}/practice.csv?cohort={k2.id}"))[1:] == [
        ["PM+ (Problem Management Plus)", "0", "0"], ["Psychological first aid", "1", "1"], ["Other", "0", "0"]]

    one = months_back(1)
    assert rows_of(admin_browser.get(f"{PAGE}/trend-people.csv?from_month={one}&to_month={one}")) == [
        ["Month", "Trained", "Certified"], [one, "1", "2"]]
    assert rows_of(admin_browser.get(f"{PAGE}/levels.csv?from_month={one}&to_month={one}"))[1:] == [
        ["Before training", "0", "50", "50", "0"], ["After training", "0", "0", "50", "50"]]

    page = admin_browser.get(f"{PAGE}?site={s1.id}&from_month={one}&to_month={one}").get_data(as_text=True)
    assert f'<option value="{s1.id}" selected>' in page
    assert f"/dashboards/organisation/report.pdf?site={s1.id}&amp;from_month={one}&amp;to_month={one}" in page


@pytest.mark.parametrize(("query", "message"), [
    ("from_month=2026-13", "Write the month as year and month"),
    ("from_month=last+year", "Write the month as year and month"),
    ("from_month=2026-05&to_month=2026-02", "The last month comes before the first month."),
    ("from_month=2019-01&to_month=2026-01", "Choose at most 60 months."),
    ("site=999999", "Not a valid choice"),
    ("course=abc", "Not a valid choice"),
])
def test_an_invalid_filter_says_what_is_wrong(admin_browser, query, message):
    response = admin_browser.get(f"{PAGE}?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "These filters cannot be used. Correct them to see the figures." in page
    assert message in page
    assert "Key figures" not in page
    csv_response = admin_browser.get(f"{PAGE}/key-figures.csv?{query}")
    assert csv_response.status_code == 400 and message in csv_response.get_data(as_text=True)
    assert admin_browser.get(f"{PAGE}/report.pdf?{query}").status_code == 400


def test_another_organisations_cohort_or_site_is_not_a_choice(admin_browser, org_world):
    kb = org_world.cohorts["kb"]
    assert admin_browser.get(f"{PAGE}/key-figures.csv?cohort={kb.id}").status_code == 400
    assert admin_browser.get(f"{PAGE}?site={org_world.other.sites[0].id}").status_code == 422
    assert "KB Lima" not in admin_browser.get(PAGE).get_data(as_text=True)


# -- who may see it -------------------------------------------------------------------------------------

def test_programme_manager_sees_it_without_the_refresh_button(app, login, org_world):
    manager = browser(app, login, org_world.manager)
    page = manager.get(PAGE)
    assert page.status_code == 200
    assert "<strong>5</strong>Enrolled in the period" in page.get_data(as_text=True)
    assert "Refresh now" not in page.get_data(as_text=True)
    assert rows_of(manager.get(f"{PAGE}/harm.csv"))[1] == ["Before training", "50"]
    response = manager.post(f"{PAGE}/refresh", data={"csrf_token": csrf_token(manager, PAGE)})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["trainer", "supervisor", "trainee", "clinical_lead"])
def test_other_roles_are_refused(app, login, make_user, org_world, role):
    person = browser(app, login, make_user(role, organisation=org_world.org))
    for path in (PAGE, f"{PAGE}/key-figures.csv", f"{PAGE}/report.pdf"):
        assert person.get(path).status_code == 403, path


def test_signed_out_visitors_go_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_other_organisations_admin_sees_only_their_own_numbers(app, login, org_world):
    theirs = browser(app, login, org_world.other_admin)
    page = theirs.get(PAGE).get_data(as_text=True)
    assert "Socios de Lima" in page and "Compañeros de Chiapas" not in page
    assert "<strong>1</strong>Enrolled in the period" in page
    assert [r[1] for r in rows_of(theirs.get(f"{PAGE}/key-figures.csv"))[1:]] == [
        "1", "1", "1", "1", "1", "10", "5", "100", "100"]
    assert rows_of(theirs.get(f"{PAGE}/practice.csv"))[1:] == [
        ["PM+ (Problem Management Plus)", "0", "0"], ["Psychological first aid", "0", "0"], ["Other", "5", "10"]]
    # Choosing our cohort is refused rather than answered.
    assert theirs.get(f"{PAGE}/key-figures.csv?cohort={org_world.cohorts['k1'].id}").status_code == 400


# -- freshness and refreshing ---------------------------------------------------------------------------

def snapshot_of(organisation):
    from app.dashboards.facts import snapshot_of as find

    return find(organisation.id)


def test_first_visit_computes_the_figures_once(admin_browser, org_world):
    assert snapshot_of(org_world.org) is None
    admin_browser.get(PAGE)
    first = snapshot_of(org_world.org).refreshed_at
    admin_browser.get(PAGE)
    assert snapshot_of(org_world.org).refreshed_at == first


def test_page_says_how_old_the_figures_are(app, admin_browser, org_world, db_session, monkeypatch):
    from app.core.db import utcnow

    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH", "off")
    admin_browser.get(PAGE)
    snapshot_of(org_world.org).refreshed_at = utcnow() - timedelta(minutes=12)
    db_session.flush()
    page = admin_browser.get(PAGE).get_data(as_text=True)
    assert "12 minutes ago." in page
    assert "Newer figures are being computed" not in page


def test_stale_figures_are_rebuilt_and_the_page_says_so(app, admin_browser, org_world, db_session, monkeypatch):
    from app.core.db import utcnow

    admin_browser.get(PAGE)
    done(db_session, org_world.trainees["t2"], lessons_of(org_world.courses["c1"])[1:], 0)
    snapshot_of(org_world.org).refreshed_at = utcnow() - timedelta(minutes=61)
    db_session.flush()
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH", "off")  # cron and the button only: the old figures stay
    page = admin_browser.get(PAGE).get_data(as_text=True)
    assert "<strong>2</strong>Trained in the period" in page and "1 hour ago" in page
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH", "inline")
    page = admin_browser.get(PAGE).get_data(as_text=True)
    assert "<strong>3</strong>Trained in the period" in page and "less than a minute ago" in page


def test_max_age_is_configurable(app, admin_browser, org_world, db_session, monkeypatch):
    from app.core.db import utcnow
    from app.dashboards import facts

    admin_browser.get(PAGE)
    snapshot = snapshot_of(org_world.org)
    snapshot.refreshed_at = utcnow() - timedelta(minutes=20)
    db_session.flush()
    assert not facts.is_stale(snapshot)
    monkeypatch.setitem(app.config, "DASHBOARD_MAX_AGE_MINUTES", 15)
    assert facts.is_stale(snapshot)


def test_one_background_refresh_per_organisation_claims_the_snapshot(app, org_world, db_session):
    from app.core.db import utcnow
    from app.dashboards import facts

    facts.refresh(org_world.org.id)
    snapshot = snapshot_of(org_world.org)
    assert not facts.claim(org_world.org.id)  # fresh: nothing to do
    snapshot.refreshed_at = utcnow() - timedelta(hours=2)
    db_session.flush()
    assert facts.claim(org_world.org.id)
    assert not facts.claim(org_world.org.id)  # a refresh is running
    assert facts.claim(org_world.org.id, now=utcnow() + facts.CLAIM_TIMEOUT + timedelta(minutes=1))  # it died
    facts.release(org_world.org.id)
    assert facts.run_claimed_refresh(org_world.org.id)
    db_session.refresh(snapshot)
    assert snapshot.refresh_started_at is None and not facts.is_stale(snapshot)
    assert not facts.run_claimed_refresh(org_world.org.id)


def test_refresh_now_button_is_audited(app, admin_browser, org_world, db_session):
    from app.core.audit import AuditEvent
    from app.core.db import utcnow

    admin_browser.get(PAGE)
    snapshot_of(org_world.org).refreshed_at = utcnow() - timedelta(minutes=30)
    done(db_session, org_world.trainees["t2"], lessons_of(org_world.courses["c1"])[1:], 0)
    db_session.flush()
    s1 = org_world.sites[0]
    response = admin_browser.post(f"{PAGE}/refresh", data={"csrf_token": csrf_token(admin_browser, PAGE),
                                                           "site": str(s1.id), "bogus": "x"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{PAGE}?site={s1.id}")
    page = admin_browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The figures were refreshed." in page and "less than a minute ago" in page
    assert "<strong>2</strong>Trained in the period" in page  # t1 and now t2, both at S1
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dashboard.refresh"))
    assert event.organisation_id == org_world.org.id and event.actor_id == org_world.admin.id
    assert admin_browser.post(f"{PAGE}/refresh", data={}).status_code == 400  # no CSRF token


def test_cli_refreshes_one_organisation_or_all(app, org_world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dashboards", "refresh", "--organisation", org_world.org.slug])
    assert result.exit_code == 0, result.output
    assert f"{org_world.org.slug}: figures refreshed in" in result.output
    assert snapshot_of(org_world.org) is not None and snapshot_of(org_world.other) is None
    result = runner.invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0 and org_world.other.slug in result.output
    assert snapshot_of(org_world.other) is not None
    result = runner.invoke(args=["dashboards", "refresh", "--organisation", "no-such-place"])
    assert result.exit_code != 0 and "no organisation" in result.output


# -- the report ------------------------------------------------------------------------------------------

def test_pdf_report_has_the_organisation_filters_and_key_figures(admin_browser, org_world):
    s2 = org_world.sites[1]
    response = admin_browser.get(f"{PAGE}/report.pdf?site={s2.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment;" in response.headers["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert "Organisation report" in flat and "Compañeros de Chiapas" in flat
    assert s2.name in flat and "Figures as of" in flat
    assert "2 Certified in the period" in flat  # t3 and t4, both at S2
    assert "How these figures are counted" in flat
    assert "Socios de Lima" not in flat


def test_pdf_report_is_laid_out_once_per_snapshot_and_dates_its_figures(admin_browser, org_world, db_session,
                                                                        monkeypatch):
    from app.core.db import utcnow
    from app.dashboards import pdf
    from app.dashboards.facts import refresh

    made = []
    real = pdf.render_report_pdf
    monkeypatch.setattr(pdf, "render_report_pdf", lambda *a, **k: made.append(1) or real(*a, **k))
    first = admin_browser.get(f"{PAGE}/report.pdf")
    assert admin_browser.get(f"{PAGE}/report.pdf").data == first.data and len(made) == 1
    flat = " ".join(pypdf.PdfReader(io.BytesIO(first.data)).pages[0].extract_text().split())
    assert "Figures as of" in flat and "ago" not in flat  # a date on paper, never "12 minutes ago"
    admin_browser.get(f"{PAGE}/report.pdf?site={org_world.sites[1].id}")
    assert len(made) == 2  # other filters: another report
    snapshot_of(org_world.org).refreshed_at = utcnow() - timedelta(minutes=30)
    db_session.flush()
    refresh(org_world.org.id)
    db_session.flush()
    admin_browser.get(f"{PAGE}/report.pdf")
    assert len(made) == 3  # a newer snapshot: the report is made again


# -- statements per page do not grow with the data -----------------------------------------------------

def grow(db_session, make_org, make_user, make_cohort, trainees: int):
    """An organisation with ``trainees`` people who each have every kind of record."""
    from app.practice.models import Intervention
    from tests.competency_support import load_tool

    org = make_org(sites=2)
    course = make_course(db_session, f"grow-{org.id}", lessons=2)
    cohort = make_cohort(organisation=org)
    give(db_session, cohort, course)
    supervisor = make_user("supervisor", organisation=org)
    tool = load_tool(organisation_id=org.id, items=2)
    for i in range(trainees):
        person = make_user("trainee", organisation=org, site_id=org.sites[i % 2].id)
        enrol(db_session, cohort, person, i % 3)
        done(db_session, person, lessons_of(course), i % 3)
        certify(db_session, person, course, i % 3, at(0) + timedelta(days=20 * i))
        assess(person, tool, "pre", i % 3, [1 + i % 4, 2], assessor=supervisor)
        assess(person, tool, "post", i % 3, [3, 4], assessor=supervisor)
        supervise(db_session, supervisor, [person], i % 3, 45)
        practice(db_session, person, list(Intervention)[i % 3], [(i % 3, "verified")], f"G-{i}")
    return org, make_user("admin", organisation=org)


def test_statements_per_page_do_not_grow_with_the_data(app, login, db_session, make_org, make_user, make_cohort):
    """Each measured view asks for figures not seen before (the cache would answer them otherwise)."""
    from app.core import page_cache
    from app.dashboards import facts
    from tests.test_competency_queries import counting_statements

    counts = {}
    for n in (3, 12):
        org, admin = grow(db_session, make_org, make_user, make_cohort, n)
        facts.refresh(org.id)
        person = browser(app, login, admin)
        for index, path in enumerate((PAGE, f"{PAGE}/by-site.csv")):
            until = f"to_month={months_back(index)}"
            person.get(f"{path}?site={org.sites[1].id}&{until}")  # warm up: the session user, the locale
            with counting_statements() as statements:
                response = person.get(f"{path}?site={org.sites[0].id}&{until}")
            assert response.status_code == 200
            counts[(n, path)] = len(statements)
            page_cache.clear(app)  # the figures' own cache answers, not the whole page kept in memory
            with counting_statements() as statements:
                person.get(f"{path}?site={org.sites[0].id}&{until}")
            counts[(n, path, "again")] = len(statements)
        page = person.get(PAGE).get_data(as_text=True)
        assert f"<strong>{n}</strong>Enrolled in the period" in page
    for path in (PAGE, f"{PAGE}/by-site.csv"):
        assert counts[(3, path)] == counts[(12, path)], counts
        assert counts[(12, path, "again")] == counts[(12, path)] - 6, counts  # the six figure queries, cached
    assert counts[(12, PAGE)] <= 20, counts


# -- the way in --------------------------------------------------------------------------------------------

def test_home_and_menu_lead_managers_and_admins_to_the_dashboard(app, login, org_world):
    for person in (org_world.manager, org_world.admin):
        home = browser(app, login, person).get("/").get_data(as_text=True)
        assert "Open the organisation dashboard" in home
        assert f'<a href="{PAGE}"' in home  # the main menu's "Dashboard" and the panel's button
        assert ">Dashboard</a>" in home
    home = browser(app, login, org_world.trainer).get("/").get_data(as_text=True)
    assert "Open the organisation dashboard" not in home and ">Dashboard</a>" not in home


def test_demo_has_a_programme_manager_who_reads_the_dashboard(app, login, db_session):
    from app.auth.models import User
    from app.demo import seed_demo
    from app.orgs.models import Role

    logins = seed_demo()
    assert "manager" in logins
    manager = db_session.scalar(sa.select(User).where(User.username == "manager"))
    assert manager.roles == {Role.PROGRAMME_MANAGER}
    from app.demo import DEMO_PASSWORD

    page = browser(app, login, manager, password=DEMO_PASSWORD).get(PAGE)
    assert page.status_code == 200 and "Compañeros en Salud (demo)" in page.get_data(as_text=True)

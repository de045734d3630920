"""The cohort dashboard: every figure on the page, in the CSVs and in the PDF equals the hand-computed value
of a small cohort built by hand; who may see it; SQL statements do not grow with the number of trainees."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from tests import quiz_support
from tests.certificate_support import make_certificate, make_course  # noqa: F401  (fixtures)
from tests.competency_support import FHS, load_tool, make_assessment

ALL_LESSONS = 3


# -- the cohort, by hand -----------------------------------------------------------------------
#
#            lessons  day 1    day 2    pre  post        competency (3 items)         supervision        certificate
# Ana        3        present  present  40   80          pre 2,2,1 (flag cleared)     S1 60' (10 d)      valid
#                                                        post 3,3,4                   S2 90' (45 d)
# Beto       3        present  present  50   60, 90      pre 2,2,2 / post 3,3,3       S1 60' (10 d)      expiring (30 d)
# Carla      3        present  absent   60   70          pre 2,3,2 / post 3,—,3       S3 30' (5 d)       expired
# Diego      2        absent   present  30   50          pre 1,2,2 (flag open)        draft (ignored)    revoked
#                                                        post 3,3,3
# Elena      0        excused  —        —    75          post 2,3,3                   ended assignment   none
# Fabio      3        present  present  100  100         post 2,2,2 then 4,4,4        none               expired, then valid
#
# A day in three days' time is not held yet and counts nowhere.

@pytest.fixture
def built(db_session, org, make_user, make_cohort, assign_supervisor, make_day, make_certificate):  # noqa: F811
    from app.certificates.models import CertificationRule
    from app.competencies.models import HarmFlag, HarmFlagStatus
    from app.core.db import utcnow
    from app.courses.models import CourseModule, Lesson, LessonProgress
    from app.supervision.models import (
        SessionAttendee,
        SessionStatus,
        SupervisionSession,
    )
    from app.training.models import Attendance, AttendanceStatus

    names = ["Ana", "Beto", "Carla", "Diego", "Elena", "Fabio"]
    t = {name: make_user("trainee", full_name=f"{name} Trainee") for name in names}
    trainer, supervisor = make_user("trainer"), make_user("supervisor")
    cohort = make_cohort(name="PM+ Laguna 2026", members={"trainee": list(t.values()), "trainer": [trainer],
                                                          "supervisor": [supervisor]})
    course = quiz_support.make_course(cohort)
    module = CourseModule(course_id=course.id, slug="m1", position=0, title={"en": "Module"})
    db_session.add(module)
    db_session.flush()
    lessons = [Lesson(course_id=course.id, module_id=module.id, slug=f"l{i}", position=i) for i in range(ALL_LESSONS)]
    db_session.add_all(lessons)
    db_session.flush()
    for name, done in {"Ana": 3, "Beto": 3, "Carla": 3, "Diego": 2, "Fabio": 3}.items():
        db_session.add_all(LessonProgress(user_id=t[name].id, lesson_id=lesson.id) for lesson in lessons[:done])

    day1, day2, _future = make_day(cohort, -2), make_day(cohort, -1), make_day(cohort, 3)
    marks = {day1: {"Ana": "present", "Beto": "present", "Carla": "present", "Diego": "absent", "Elena": "excused",
                    "Fabio": "present"},
             day2: {"Ana": "present", "Beto": "present", "Carla": "absent", "Diego": "present", "Fabio": "present"}}
    for day, statuses in marks.items():
        db_session.add_all(Attendance(training_day_id=day.id, trainee_id=t[name].id, status=AttendanceStatus(status))
                           for name, status in statuses.items())

    pre = quiz_support.make_quiz(course, "pre-test", "pre_test", pass_mark=80)
    post = quiz_support.make_quiz(course, "post-test", "post_test", pass_mark=70)
    for name, percent in {"Ana": 40, "Beto": 50, "Carla": 60, "Diego": 30, "Fabio": 100}.items():
        quiz_support.make_attempt(pre, t[name], cohort, percent=percent)
    for name, percents in {"Ana": [80], "Beto": [60, 90], "Carla": [70], "Diego": [50], "Elena": [75],
                           "Fabio": [100]}.items():
        for percent in percents:
            quiz_support.make_attempt(post, t[name], cohort, percent=percent)

    tool = load_tool(FHS, items=3)
    codes = [item.code for item in tool.items]

    def assess(name, stage, levels):
        return make_assessment(t[name], tool, assessor=supervisor, cohort=cohort, stage=stage,
                               levels=dict(zip(codes, levels)))

    assess("Ana", "pre", [2, 2, 1])
    assess("Ana", "post", [3, 3, 4])
    for flag in db_session.scalars(sa.select(HarmFlag).where(HarmFlag.trainee_id == t["Ana"].id)):
        flag.status, flag.cleared_at = HarmFlagStatus.CLEARED, utcnow()
    assess("Beto", "pre", [2, 2, 2])
    assess("Beto", "post", [3, 3, 3])
    assess("Carla", "pre", [2, 3, 2])
    assess("Carla", "post", [3, None, 3])
    assess("Diego", "pre", [1, 2, 2])
    assess("Diego", "post", [3, 3, 3])
    assess("Elena", "post", [2, 3, 3])
    assess("Fabio", "post", [2, 2, 2])
    assess("Fabio", "post", [4, 4, 4])
    db_session.add(CertificationRule(course_id=course.id, organisation_id=org.id,
                                     criteria={"competency": {"tool": FHS, "min_level": 3, "stage": "post"}}))

    for name in ("Ana", "Beto", "Carla", "Diego"):
        assign_supervisor(supervisor, t[name], cohort)
    assign_supervisor(supervisor, t["Elena"], cohort).ended_at = utcnow() - timedelta(days=3)
    now = utcnow()

    def session(days_ago, minutes, people, status=SessionStatus.SUBMITTED):
        row = SupervisionSession(organisation_id=org.id, supervisor_id=supervisor.id, cohort_id=cohort.id,
                                 started_at=now - timedelta(days=days_ago), duration_minutes=minutes, status=status)
        row.attendees = [SessionAttendee(supervisee_id=t[name].id) for name in people]
        db_session.add(row)

    session(10, 60, ["Ana", "Beto"])
    session(45, 90, ["Ana"])
    session(5, 30, ["Carla"])
    session(2, 60, ["Diego"], status=SessionStatus.DRAFT)

    make_certificate(t["Ana"], course)
    make_certificate(t["Beto"], course, issued_days_ago=700)
    make_certificate(t["Carla"], course, issued_days_ago=800)
    make_certificate(t["Diego"], course, revoked_at=now - timedelta(days=1))
    make_certificate(t["Fabio"], course, issued_days_ago=900)
    make_certificate(t["Fabio"], course, issued_days_ago=10)

    # Someone else's data never counts: a trainee of another cohort of the organisation, with everything.
    other = make_user("trainee", full_name="Zoe Outsider")
    make_cohort(members={"trainee": [other]})
    db_session.add_all(LessonProgress(user_id=other.id, lesson_id=lesson.id) for lesson in lessons)
    quiz_support.make_attempt(post, other, None, percent=100)
    make_certificate(other, course)
    db_session.flush()
    return {"cohort": cohort, "course": course, "trainer": trainer, "supervisor": supervisor, "trainees": t,
            "tool": tool}


# -- reading what the user sees ----------------------------------------------------------------

class Tables(HTMLParser):
    """Every <table> of a page by its caption: a list of rows of cell texts (header row first)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if self._hidden or "visually-hidden" in classes:
            self._hidden += 1 if tag == "span" else 0
        if tag == "table":
            self._rows, self._title = [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "span" and self._hidden:
            self._hidden -= 1
        if tag == "caption" and self._caption is not None:
            self._title = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[self._title] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._hidden:
            return
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def page(built, client, login):
    login(built["trainer"])
    response = client.get(f"/dashboards/cohorts/{built['cohort'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, Tables(html).tables


# -- every figure ----------------------------------------------------------------------------

def test_key_figures(page):
    html, _tables = page
    for figure, label in [(6, "enrolled"), (4, "finished every lesson"), (5, "passed the post-test"),
                          (3, "competent"), (4, "certified"), (1, "open harm flags")]:
        assert f"<li><strong>{figure}</strong>{label}</li>" in html


def test_funnel(page, built, client):
    _html, tables = page
    assert tables["From enrolment to certificate"] == [
        ["Step", "Trainees", "Share of “Enrolled”"], ["Enrolled", "6", "100%"], ["Finished every lesson", "4", "66.7%"],
        ["Passed the post-test", "5", "83.3%"], ["Competent", "3", "50%"], ["Certified", "4", "66.7%"]]
    assert "Of 6 enrolled trainees, 4 finished every lesson, 5 passed the post-test, 3 are competent and 4 are " \
           "certified." in _html
    assert read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/funnel.csv")) == [
        ["Step", "Trainees", "Share of “Enrolled”"], ["Enrolled", "6", "100"], ["Finished every lesson", "4", "66.7"],
        ["Passed the post-test", "5", "83.3"], ["Competent", "3", "50"], ["Certified", "4", "66.7"]]


def test_attendance(page, built, client):
    from app.core.i18n import format_date
    from app.training.queries import local_today

    html, tables = page
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        days = [format_date(local_today() - timedelta(days=n), "medium") for n in (2, 1)]
    # day 1: 4 present of 6 − 1 excused; day 2: 4 present of 6 (Elena has nothing recorded)
    assert tables["Attendance per training day"] == [["Training day", "Present"], [days[0], "80%"], [days[1], "66.7%"]]
    # trainees' rates 1, 1, ½, ½, 0 (Elena: excused once, nothing the other day), 1 → mean 4/6
    assert "2 training days held. Mean attendance of the trainees: 66.7%." in html
    assert read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/attendance.csv")) == [
        ["Training day", "Present"], [days[0], "80"], [days[1], "66.6667"]]


def test_knowledge(page, built, client):
    html, tables = page
    # pairs (pre, post): Ana 40/80, Beto 50/90 (highest of 60, 90), Carla 60/70, Diego 30/50, Fabio 100/100
    assert tables["Knowledge before and after"] == [["Test", "Mean grade"], ["Pre-test", "56%"], ["Post-test", "78%"]]
    assert "5 trainees took both tests: mean 56% before, 78% after, a gain of 22 points." in html
    assert "<li><strong>5</strong>trainees with both tests</li>" in html
    assert "<li><strong>22</strong>mean gain (points)</li>" in html
    assert "<li><strong>0.5</strong>class normalized gain (Hake)</li>" in html  # (78 − 56) ÷ (100 − 56)
    # own gains 40/60, 40/50, 10/40, 20/70 (Fabio's pre of 100 left out): mean 0.5006
    assert "<li><strong>0.5</strong>mean of the trainees' own gains</li>" in html
    assert read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/knowledge.csv")) == [
        ["Test", "Mean grade"], ["Pre-test", "56"], ["Post-test", "78"]]


def test_competency_levels_and_harm_per_round(page, built, client):
    html, tables = page
    title = "Competency levels per round: Foundational helping skills"
    assert tables[title] == [
        ["Round", "Level 1", "Level 2", "Level 3", "Level 4", "Not observed"],
        ["Before training", "2", "9", "1", "0", "0"],
        ["After training", "0", "1", "12", "4", "1"]]
    assert "Before training: 8.3% of item ratings at level 3 or above; After training: 94.1% of item ratings at level " \
           "3 or above." in html
    assert tables["Trainees with harmful behaviour per round"] == [
        ["Round", "Trainees with harmful behaviour", "Trainees assessed"],
        ["Before training", "2", "4"], ["After training", "0", "6"]]
    assert "<dt>Before training</dt><dd>Ana Trainee, Diego Trainee</dd>" in html
    cohort_id = built["cohort"].id
    assert read_csv(client.get(f"/dashboards/cohorts/{cohort_id}/levels.csv"))[1:] == [
        ["Before training", "2", "9", "1", "0", "0"], ["After training", "0", "1", "12", "4", "1"]]
    assert read_csv(client.get(f"/dashboards/cohorts/{cohort_id}/harm-rounds.csv"))[1:] == [
        ["Before training", "2", "4"], ["After training", "0", "6"]]
    assert f'href="/cohorts/{cohort_id}/competencies"' in html  # the heat map itself is the competency report's


def test_open_harm_flags(page, built, client):
    html, tables = page
    from app.competencies.models import HarmFlag, HarmFlagStatus
    from app.extensions import db

    flag = db.session.scalar(sa.select(HarmFlag).where(HarmFlag.status == HarmFlagStatus.OPEN))
    item = built["tool"].items[0]
    assert [row[:3] for row in tables["Open harm flags"]] == [
        ["Trainee", "Competency tool", "Item"],
        ["Diego Trainee", "Foundational helping skills", f"{item.code} {item.title['en']}"]]
    assert f'<a href="/competencies/flags/{flag.id}">Diego Trainee</a>' in html
    rows = read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/harm-flags.csv"))
    assert rows == [["Trainee", "Competency tool", "Item", "Raised on"],
                    ["Diego Trainee", "Foundational helping skills", f"{item.code} {item.title['en']}",
                     flag.raised_at.date().isoformat()]]


def test_supervision(page, built, client):
    html, tables = page
    # with a current supervisor: Ana, Beto, Carla, Diego (Elena's ended); in 30 days: Ana, Beto, Carla;
    # hours: 60 + 60 + 30 in 30 days, plus Ana's 90 before; Diego's draft counts nowhere
    assert tables["Supervision coverage"] == [
        ["Trainees", "Trainees", "Share of “Enrolled”"], ["Enrolled", "6", "100%"],
        ["With a current supervisor", "4", "66.7%"], ["Supervised in the last 30 days", "3", "50%"]]
    assert "4 of 6 trainees have a supervisor; 3 had a supervision session in the last 30 days (2.5 hours in all, " \
           "4 hours since they started)." in html
    assert read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/supervision.csv"))[1:] == [
        ["Enrolled", "6", "100"], ["With a current supervisor", "4", "66.7"], ["Supervised in the last 30 days", "3", "50"]]


def test_certificates(page, built, client):
    _html, tables = page
    assert tables["Certificates"] == [
        ["Status", "Trainees"], ["Valid", "2"], ["Expiring within 60 days", "1"], ["Expired", "1"], ["Revoked", "1"],
        ["No certificate", "1"]]
    assert read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/certificates.csv"))[1:] == [
        ["Valid", "2"], ["Expiring within 60 days", "1"], ["Expired", "1"], ["Revoked", "1"], ["No certificate", "1"]]


def test_trainee_table(page, built, client):
    _html, tables = page
    assert tables["Each trainee's figures"] == [
        ["Trainee", "Lessons done", "Attendance (%)", "Pre-test (%)", "Post-test (%)", "Passed the post-test",
         "Competent", "Certificate", "Open harm flags", "Supervision hours, last 30 days", "Supervision hours in all"],
        ["Ana Trainee", "3 of 3", "100%", "40%", "80%", "Yes", "Yes", "Valid", "0", "1", "2.5"],
        ["Beto Trainee", "3 of 3", "100%", "50%", "90%", "Yes", "Yes", "Expiring within 60 days", "0", "1", "1"],
        ["Carla Trainee", "3 of 3", "50%", "60%", "70%", "Yes", "No", "Expired", "0", "0.5", "0.5"],
        ["Diego Trainee", "2 of 3", "50%", "30%", "50%", "No", "No", "Revoked", "1", "0", "0"],
        ["Elena Trainee", "0 of 3", "0%", "—", "75%", "Yes", "No", "No certificate", "0", "0", "0"],
        ["Fabio Trainee", "3 of 3", "100%", "100%", "100%", "Yes", "Yes", "Valid", "0", "0", "0"]]
    rows = read_csv(client.get(f"/dashboards/cohorts/{built['cohort'].id}/trainees.csv"))
    assert rows[1] == ["Ana Trainee", "3", "100", "40", "80", "1", "1", "Valid", "0", "1", "2.5"]
    assert rows[5] == ["Elena Trainee", "0", "0", "", "75", "1", "0", "No certificate", "0", "0", "0"]
    assert len(rows) == 7  # the other cohort's trainee is nowhere


def test_definitions_are_on_the_page(page):
    html, _tables = page
    assert "<summary>How these figures are counted</summary>" in html
    assert "latest post-training assessment of Foundational helping skills has every item at level 3 or above" in html
    assert "Pass mark: 70%." in html


def test_competent_without_a_competency_criterion_uses_level_3_after_training(built, client, login, db_session):
    from app.certificates.models import CertificationRule

    rule = db_session.scalar(sa.select(CertificationRule))
    rule.criteria = {"lessons": "all"}
    db_session.flush()
    login(built["trainer"])
    html = client.get(f"/dashboards/cohorts/{built['cohort'].id}").get_data(as_text=True)
    # latest post assessment all ≥ 3 and no open flag: Ana, Beto, Fabio (Diego's flag is open, Carla has a gap)
    assert "<li><strong>3</strong>competent</li>" in html
    assert "has no competency criterion" in html


def test_the_pdf_report(built, client, login):
    from pypdf import PdfReader

    login(built["trainer"])
    response = client.get(f"/dashboards/cohorts/{built['cohort'].id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Cohort report: PM+ Laguna 2026" in text
    assert "Compañeros de prueba" in text  # the organisation, on page 1
    assert "Of 6 enrolled trainees, 4 finished every lesson" in " ".join(text.split())
    assert "Diego Trainee" in text
    assert f"1 / {len(reader.pages)}" in text  # page numbers in the footer


def test_course_choice(built, client, login, db_session):
    from app.courses.services import give_course

    second = quiz_support.make_course()
    give_course(built["cohort"], second, "es")
    login(built["trainer"])
    base = f"/dashboards/cohorts/{built['cohort'].id}"
    html = client.get(base).get_data(as_text=True)
    assert f'<option value="{built["course"].slug}" selected>' in html  # the first course given, by default
    other = client.get(f"{base}?course={second.slug}").get_data(as_text=True)
    assert "<li><strong>0</strong>finished every lesson</li>" in other
    assert f"{base}/trainees.csv?course={second.slug}" in other  # downloads keep the chosen course
    assert client.get(f"{base}?course=no-such-course").status_code == 404
    assert client.get(f"{base}/no-such-chart.csv").status_code == 404


def test_a_cohort_without_anything(client, login, make_user, make_cohort):
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainer": [trainer]})
    login(trainer)
    response = client.get(f"/dashboards/cohorts/{cohort.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This cohort has no course yet" in html and "No data yet." in html
    assert client.get(f"/dashboards/cohorts/{cohort.id}/report.pdf").status_code == 200
    assert read_csv(client.get(f"/dashboards/cohorts/{cohort.id}/trainees.csv"))[1:] == []


# -- who may see it --------------------------------------------------------------------------

def test_who_may_see_the_dashboard(built, app, login, make_user, make_org, make_cohort):
    cohort_id = built["cohort"].id
    other_trainer = make_user("trainer")
    make_cohort(members={"trainer": [other_trainer]})
    visitors = {
        "the cohort's trainer": (built["trainer"], 200),
        "a programme manager": (make_user("programme_manager"), 200),
        "an admin": (make_user("admin"), 200),
        "a trainer of another cohort": (other_trainer, 403),
        "the cohort's supervisor": (built["supervisor"], 403),
        "a trainee": (built["trainees"]["Ana"], 403),
        "another organisation's admin": (make_user("admin", organisation=make_org("Otra")), 404),
        "another organisation's programme manager": (make_user("programme_manager", organisation=make_org("Otra 2")),
                                                     404),
    }
    for who, (user, expected) in visitors.items():
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(user, c=client)
        for path in ("", "/trainees.csv", "/report.pdf"):
            status = client.get(f"/dashboards/cohorts/{cohort_id}{path}").status_code
            assert status == expected, f"{who} {path}: {status}"


def test_links_to_the_dashboard(built, client, login):
    login(built["trainer"])
    url = f"/dashboards/cohorts/{built['cohort'].id}"
    assert f'href="{url}"' in client.get(f"/cohorts/{built['cohort'].id}").get_data(as_text=True)
    assert f'href="{url}"' in client.get("/").get_data(as_text=True)


def test_a_programme_manager_sees_figures_but_not_the_flag_pages(built, client, login, make_user):
    login(make_user("programme_manager"))
    html = client.get(f"/dashboards/cohorts/{built['cohort'].id}").get_data(as_text=True)
    assert "<th scope=\"row\">Diego Trainee</th>" in html
    assert "/competencies/flags/" not in html and f'/cohorts/{built["cohort"].id}/competencies"' not in html


# -- SQL statements do not grow with the cohort ------------------------------------------------

@contextmanager
def counting_statements(engine):
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_statements_do_not_grow_with_trainees(db_session, org, client, login, make_user, make_cohort, make_day,
                                              assign_supervisor, make_certificate):  # noqa: F811
    from app.certificates.models import CertificationRule
    from app.courses.models import CourseModule, Lesson, LessonProgress
    from app.extensions import db
    from app.training.models import Attendance, AttendanceStatus

    trainer, supervisor = make_user("trainer"), make_user("supervisor")
    tool = load_tool(FHS, items=3)
    codes = [item.code for item in tool.items]

    def cohort_of(n: int):
        trainees = [make_user("trainee") for _ in range(n)]
        cohort = make_cohort(members={"trainee": trainees, "trainer": [trainer]})
        course = quiz_support.make_course(cohort)
        module = CourseModule(course_id=course.id, slug="m1", position=0, title={"en": "M"})
        db_session.add(module)
        db_session.flush()
        lesson = Lesson(course_id=course.id, module_id=module.id, slug="l1", position=0)
        db_session.add(lesson)
        db_session.add(CertificationRule(course_id=course.id, organisation_id=org.id,
                                         criteria={"competency": {"tool": FHS, "min_level": 3, "stage": "post"}}))
        pre = quiz_support.make_quiz(course, "pre-test", "pre_test")
        post = quiz_support.make_quiz(course, "post-test", "post_test")
        day = make_day(cohort, -1)
        db_session.flush()
        for i, trainee in enumerate(trainees):
            db_session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id))
            db_session.add(Attendance(training_day_id=day.id, trainee_id=trainee.id,
                                      status=AttendanceStatus.PRESENT if i % 2 else AttendanceStatus.ABSENT))
            quiz_support.make_attempt(pre, trainee, cohort, percent=40 + i)
            quiz_support.make_attempt(post, trainee, cohort, percent=70 + i)
            make_assessment(trainee, tool, assessor=supervisor, cohort=cohort, stage="pre",
                            levels=dict(zip(codes, [1 + i % 4, 2, 3])))
            make_assessment(trainee, tool, assessor=supervisor, cohort=cohort, stage="post",
                            levels=dict(zip(codes, [3, 3, 2 + i % 3])))
            assign_supervisor(supervisor, trainee, cohort)
            make_certificate(trainee, course, issued_days_ago=i * 100)
        db_session.flush()
        return cohort

    small, large = cohort_of(3), cohort_of(12)
    login(trainer)
    counts = {}
    for cohort, n in ((small, 3), (large, 12)):
        client.get(f"/dashboards/cohorts/{cohort.id}")  # warm up: the session user, the locale
        with counting_statements(db.engine) as statements:
            response = client.get(f"/dashboards/cohorts/{cohort.id}")
        assert response.status_code == 200
        assert f"<li><strong>{n}</strong>enrolled</li>" in response.get_data(as_text=True)
        counts[n] = len(statements)
    assert counts[3] == counts[12], counts


def test_the_spanish_page_uses_spanish_numbers(built, spanish_client, login, db_session):
    built["trainer"].preferred_language = "es"
    db_session.flush()
    login(built["trainer"], c=spanish_client)
    html = spanish_client.get(f"/dashboards/cohorts/{built['cohort'].id}").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert ">66,7%<" in html  # the second training day's attendance, as a Spanish reader writes it

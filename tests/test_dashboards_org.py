"""Organisation dashboard figures against hand-computed values on a small world of two organisations.

Months are counted back from this month (m0) in the organisation's time zone: m1 is last month,
m2 the month before. The world (see ``org_world``) is small enough to count by hand:

Organisation A, sites S1 and S2; course C1 (two lessons and a hidden one), course C2 (one lesson);
cohort K1 gets C1, cohort K2 gets C1 and C2.
  t1 (S1, K1, joined m2): both C1 lessons, last in m2 -> trained m2; C1 certificate m1, valid a year.
  t2 (S1, K1, joined m2): one C1 lesson -> not trained; a revoked C1 certificate -> not certified.
  t3 (S2, K2, joined m1): C1 done m1, C2 done m0; C1 certificate m0 expiring in 30 days.
  t4 (S2, K2, joined m1): no lesson; C1 certificate m2 that expired in m1.
  t5 (no site, K1, joined m2): only the hidden lesson; a C2 certificate m1 that never expires,
      though not enrolled in C2 (a certificate-only row, cohort unknown).
Skills (4 items): t1 pre m2 [1, 2, 2, not observed], t1 post m1 [3, 3, 4, 4], t3 pre m1 [2, 3, 3, 2],
  t3 post m0 [3, 4, 3, 3]; left out: a superseded post of t3 (all 1), a mid of t4 (all 1), a draft of t2.
Supervision: m2 60 min t1; m1 90 min group t1+t3; m1 30 min t3; a draft m0 45 min t1 (left out).
Practice: t1 PM+ case verified sessions m2 and m1 (+ one only submitted); t3 PFA case verified m1;
  t3 PM+ case returned m0 (left out).
Organisation B has one trainee with large, different numbers: any leak shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.dashboards.models import CompetencyStage
from app.dashboards.organisation import Filters, add_months, compute, default_period
from app.practice.models import Intervention
from tests.competency_support import load_tool, make_assessment


def this_month() -> date:
    from app.supervision.queries import local_today

    return local_today().replace(day=1)


def month(k: int) -> date:
    """The first day of the month k months ago."""
    return add_months(this_month(), -k)


def at(k: int) -> datetime:
    """A moment in the month k months ago (this month: a minute ago)."""
    from app.core.db import utcnow
    from app.supervision.queries import zone

    if k == 0:
        return utcnow() - timedelta(minutes=1)
    return datetime.combine(month(k).replace(day=10), time(12), tzinfo=zone()).astimezone(UTC)


@dataclass
class World:
    org: object
    other: object
    sites: list
    courses: dict
    cohorts: dict
    trainees: dict
    admin: object = None
    manager: object = None
    other_admin: object = None
    trainer: object = None
    extra: dict = field(default_factory=dict)


def make_course(db, slug: str, lessons: int, hidden: int = 0):
    from app.courses.models import Course, CourseModule, Lesson

    course = Course(slug=slug, version="1.0", languages=["es", "en"], title={"es": f"Curso {slug}", "en": f"Course {slug}"})
    db.add(course)
    db.flush()
    module = CourseModule(course_id=course.id, slug="m1", position=0, title={"en": "Module"})
    db.add(module)
    db.flush()
    for i in range(lessons + hidden):
        db.add(Lesson(course_id=course.id, module_id=module.id, slug=f"l{i}", position=i, is_hidden=i >= lessons))
    db.flush()
    return course


def lessons_of(course, visible: bool = True):
    return [lesson for lesson in sorted(course.modules[0].lessons, key=lambda x: x.position)
            if lesson.is_hidden != visible]


def done(db, trainee, lessons, k: int):
    from app.courses.models import LessonProgress

    for lesson in lessons:
        db.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id, completed_at=at(k)))
    db.flush()


def enrol(db, cohort, trainee, k: int):
    from app.orgs.models import CohortMember, CohortRole

    db.add(CohortMember(cohort_id=cohort.id, user_id=trainee.id, role=CohortRole.TRAINEE, joined_at=at(k)))
    db.flush()


def give(db, cohort, course, k: int = 2):
    from app.courses.models import CohortCourse

    db.add(CohortCourse(cohort_id=cohort.id, course_id=course.id, language="es", created_at=at(k)))
    db.flush()


def certify(db, trainee, course, k: int, valid_until: datetime | None, revoked: bool = False):
    import secrets

    from app.certificates.codes import new_code
    from app.certificates.models import Certificate

    certificate = Certificate(organisation_id=trainee.organisation_id, course_id=course.id, trainee_id=trainee.id,
                              code=new_code(), token=secrets.token_urlsafe(24), language="es", issued_at=at(k),
                              valid_from=at(k), valid_until=valid_until, snapshot={"name": trainee.full_name},
                              revoked_at=at(0) if revoked else None)
    db.add(certificate)
    db.flush()
    return certificate


def supervise(db, supervisor, attendees, k: int, minutes: int, submitted: bool = True):
    from app.supervision.models import (
        SessionAttendee,
        SessionStatus,
        SupervisionSession,
    )

    session = SupervisionSession(organisation_id=supervisor.organisation_id, supervisor_id=supervisor.id,
                                 started_at=at(k), duration_minutes=minutes,
                                 status=SessionStatus.SUBMITTED if submitted else SessionStatus.DRAFT)
    db.add(session)
    db.flush()
    for person in attendees:
        db.add(SessionAttendee(session_id=session.id, supervisee_id=person.id))
    db.flush()
    return session


def practice(db, trainee, intervention: Intervention, sessions: list[tuple[int, str]], code: str):
    """A practice case with one entry per (months ago, status)."""
    from app.practice.models import EntryStatus, PracticeCase, PracticeEntry

    case = PracticeCase(organisation_id=trainee.organisation_id, trainee_id=trainee.id, client_code=code,
                        intervention=intervention)
    db.add(case)
    db.flush()
    for number, (k, status) in enumerate(sessions, start=1):
        db.add(PracticeEntry(organisation_id=trainee.organisation_id, trainee_id=trainee.id, case_id=case.id,
                             status=EntryStatus(status), session_number=number, delivered_on=at(k).date(),
                             duration_minutes=60))
    db.flush()
    return case


def assess(trainee, tool, stage: str, k: int, levels: list, **kwargs):
    codes = [item.code for item in tool.items]
    return make_assessment(trainee, tool, stage=stage, observed_on=at(k).date(),
                           levels=dict(zip(codes, levels)), **kwargs)


@pytest.fixture
def org_world(db_session, make_org, make_user, make_cohort):
    return build_world(db_session, make_org, make_user, make_cohort)


def build_world(db, make_org, make_user, make_cohort) -> World:
    """The world the module docstring describes (the pages' tests build it too)."""
    org = make_org("Compañeros de Chiapas", sites=2)
    other = make_org("Socios de Lima", sites=1)
    s1, s2 = org.sites
    c1 = make_course(db, f"c1-{org.id}", lessons=2, hidden=1)
    c2 = make_course(db, f"c2-{org.id}", lessons=1)
    k1 = make_cohort(organisation=org, name="K1 Sierra")
    k2 = make_cohort(organisation=org, name="K2 Reforma")
    give(db, k1, c1)
    give(db, k2, c1)
    give(db, k2, c2)
    t = {
        "t1": make_user("trainee", organisation=org, site_id=s1.id, full_name="Trainee Uno"),
        "t2": make_user("trainee", organisation=org, site_id=s1.id, full_name="Trainee Dos"),
        "t3": make_user("trainee", organisation=org, site_id=s2.id, full_name="Trainee Tres"),
        "t4": make_user("trainee", organisation=org, site_id=s2.id, full_name="Trainee Cuatro"),
        "t5": make_user("trainee", organisation=org, full_name="Trainee Cinco"),
    }
    for name, cohort, k in (("t1", k1, 2), ("t2", k1, 2), ("t5", k1, 2), ("t3", k2, 1), ("t4", k2, 1)):
        enrol(db, cohort, t[name], k)
    c1_lessons, c2_lessons = lessons_of(c1), lessons_of(c2)
    done(db, t["t1"], c1_lessons, 2)
    done(db, t["t2"], c1_lessons[:1], 2)
    done(db, t["t3"], c1_lessons, 1)
    done(db, t["t3"], c2_lessons, 0)
    done(db, t["t5"], lessons_of(c1, visible=False), 2)
    now = at(0)
    certify(db, t["t1"], c1, 1, now + timedelta(days=365))
    certify(db, t["t2"], c1, 1, now + timedelta(days=365), revoked=True)
    certify(db, t["t3"], c1, 0, now + timedelta(days=30))
    certify(db, t["t4"], c1, 2, at(1))
    certify(db, t["t5"], c2, 1, None)

    supervisor = make_user("supervisor", organisation=org)
    tool = load_tool(organisation_id=org.id, items=4)
    assess(t["t1"], tool, "pre", 2, [1, 2, 2, None], assessor=supervisor)
    assess(t["t1"], tool, "post", 1, [3, 3, 4, 4], assessor=supervisor)
    assess(t["t3"], tool, "pre", 1, [2, 3, 3, 2], assessor=supervisor)
    assess(t["t3"], tool, "post", 0, [3, 4, 3, 3], assessor=supervisor)
    old = assess(t["t3"], tool, "post", 0, [1, 1, 1, 1], assessor=supervisor, flag=False)
    old.superseded_at = at(0)
    assess(t["t4"], tool, "mid", 1, [1, 1, 1, 1], assessor=supervisor, flag=False)
    assess(t["t2"], tool, "pre", 1, [1, 1, 1, 1], assessor=supervisor, status="draft")

    supervise(db, supervisor, [t["t1"]], 2, 60)
    supervise(db, supervisor, [t["t1"], t["t3"]], 1, 90)
    supervise(db, supervisor, [t["t3"]], 1, 30)
    supervise(db, supervisor, [t["t1"]], 0, 45, submitted=False)

    practice(db, t["t1"], Intervention.PM_PLUS, [(2, "verified"), (1, "verified"), (1, "submitted")], "CL-001")
    practice(db, t["t3"], Intervention.PFA, [(1, "verified")], "CL-002")
    practice(db, t["t3"], Intervention.PM_PLUS, [(0, "returned")], "CL-003")

    # Organisation B: one trainee with big numbers everywhere.
    b = make_user("trainee", organisation=other, site_id=other.sites[0].id, full_name="Otra Persona")
    kb = make_cohort(organisation=other, name="KB Lima")
    give(db, kb, c1)
    enrol(db, kb, b, 1)
    done(db, b, c1_lessons, 1)
    certify(db, b, c1, 1, now + timedelta(days=10))
    b_supervisor = make_user("supervisor", organisation=other)
    b_tool = load_tool(organisation_id=other.id, items=4)
    assess(b, b_tool, "pre", 1, [1, 1, 1, 1], assessor=b_supervisor)
    assess(b, b_tool, "post", 1, [1, 1, 1, 1], assessor=b_supervisor)
    supervise(db, b_supervisor, [b], 1, 600)
    supervise(db, b_supervisor, [b], 2, 600)
    for i in range(5):
        practice(db, b, Intervention.OTHER, [(1, "verified"), (0, "verified")], f"B-{i}")

    world = World(org=org, other=other, sites=[s1, s2], courses={"c1": c1, "c2": c2},
                  cohorts={"k1": k1, "k2": k2, "kb": kb}, trainees={**t, "b": b})
    world.admin = make_user("admin", organisation=org)
    world.manager = make_user("programme_manager", organisation=org)
    world.trainer = make_user("trainer", organisation=org)
    world.other_admin = make_user("admin", organisation=other)
    return world


def refreshed(world) -> None:
    from app.dashboards import facts

    facts.refresh(world.org.id)
    facts.refresh(world.other.id)


def figures_for(world, organisation=None, **chosen):
    from app.core.db import utcnow

    first, last = default_period(this_month())
    filters = Filters(organisation_id=(organisation or world.org).id, month_from=chosen.pop("month_from", first),
                      month_to=chosen.pop("month_to", last), **chosen)
    return compute(filters, utcnow())


def key(figures) -> tuple:
    return figures.enrolled, figures.trained, figures.certified, figures.valid, figures.expiring


PRE, POST = CompetencyStage.PRE, CompetencyStage.POST


def test_key_figures_and_trends_of_the_whole_organisation(org_world):
    refreshed(org_world)
    figures = figures_for(org_world)
    assert key(figures) == (5, 2, 4, 3, 1)
    assert figures.trained_by_month == {month(2): 1, month(1): 1, month(0): 1}
    assert figures.certified_by_month == {month(2): 1, month(1): 2, month(0): 1}
    s1, s2 = org_world.sites
    assert figures.by_site == {s1.id: (1, 1, 1), s2.id: (1, 2, 1), None: (0, 1, 1)}


def test_skill_levels_and_harm_before_and_after(org_world):
    refreshed(org_world)
    figures = figures_for(org_world)
    assert figures.levels == {PRE: [1, 4, 2, 0], POST: [0, 0, 5, 3]}
    assert figures.assessed == {PRE: 2, POST: 2}
    assert figures.harmed == {PRE: 1, POST: 0}
    assert figures.harmed_share(PRE) == 50.0 and figures.harmed_share(POST) == 0.0
    assert round(figures.level_share(PRE, 2), 1) == 57.1
    assert figures.level_share(POST, 3) == 62.5


def test_supervision_and_practice(org_world):
    refreshed(org_world)
    figures = figures_for(org_world)
    assert figures.minutes_by_month == {month(2): 60, month(1): 210}
    assert figures.supervisees_by_month == {month(2): 1, month(1): 2}
    assert figures.hours_per_supervisee == 1.5
    assert figures.practice == {Intervention.PM_PLUS: (1, 2), Intervention.PFA: (1, 1)}
    assert figures.cases_by_month == {month(2): 1, month(1): 1}
    assert figures.practice_cases == 2


def test_filter_by_site(org_world):
    refreshed(org_world)
    s1, s2 = org_world.sites
    by_s1 = figures_for(org_world, site_id=s1.id)
    assert key(by_s1) == (2, 1, 1, 1, 0)
    assert by_s1.levels == {PRE: [1, 2, 0, 0], POST: [0, 0, 2, 2]}
    assert by_s1.harmed == {PRE: 1, POST: 0}
    assert by_s1.minutes_by_month == {month(2): 60, month(1): 90}
    assert by_s1.practice == {Intervention.PM_PLUS: (1, 2)}
    by_s2 = figures_for(org_world, site_id=s2.id)
    assert key(by_s2) == (2, 1, 2, 1, 1)
    assert by_s2.minutes_by_month == {month(1): 120}
    assert by_s2.hours_per_supervisee == 2.0
    assert by_s2.practice == {Intervention.PFA: (1, 1)}


def test_filter_by_course_and_cohort(org_world):
    refreshed(org_world)
    c2 = org_world.courses["c2"]
    by_c2 = figures_for(org_world, course_id=c2.id)
    assert key(by_c2) == (2, 1, 1, 1, 0)  # t3 and t4 enrolled, t3 trained; t5's certificate without enrolment
    assert by_c2.trained_by_month == {month(0): 1}
    assert by_c2.minutes_by_month == {month(1): 120}  # t3 only: t5 is not enrolled in C2
    by_k1 = figures_for(org_world, cohort_id=org_world.cohorts["k1"].id)
    assert key(by_k1) == (3, 1, 1, 1, 0)
    assert by_k1.levels == {PRE: [1, 2, 0, 0], POST: [0, 0, 2, 2]}
    by_k2 = figures_for(org_world, cohort_id=org_world.cohorts["k2"].id)
    assert key(by_k2) == (2, 1, 2, 1, 1)
    assert by_k2.practice == {Intervention.PFA: (1, 1)}
    both = figures_for(org_world, cohort_id=org_world.cohorts["k1"].id, course_id=c2.id)
    assert key(both) == (0, 0, 0, 0, 0) and both.minutes_by_month == {} and both.levels == {}


def test_filter_by_period(org_world):
    refreshed(org_world)
    only_m1 = figures_for(org_world, month_from=month(1), month_to=month(1))
    assert key(only_m1) == (2, 1, 2, 3, 1)  # valid today and expiring do not depend on the period
    assert only_m1.trained_by_month == {month(1): 1}
    assert only_m1.levels == {PRE: [0, 2, 2, 0], POST: [0, 0, 2, 2]}
    assert only_m1.minutes_by_month == {month(1): 210}
    assert only_m1.practice == {Intervention.PM_PLUS: (0, 1), Intervention.PFA: (1, 1)}
    assert only_m1.filters.months == [month(1)]


def test_other_organisation_sees_only_its_own(org_world):
    refreshed(org_world)
    theirs = figures_for(org_world, organisation=org_world.other)
    assert key(theirs) == (1, 1, 1, 1, 1)
    assert theirs.minutes_by_month == {month(2): 600, month(1): 600}
    assert theirs.practice == {Intervention.OTHER: (5, 10)}
    assert theirs.levels == {PRE: [4, 0, 0, 0], POST: [4, 0, 0, 0]}
    ours = figures_for(org_world)  # and nothing of theirs in ours, even filtering by their cohort
    assert Intervention.OTHER not in ours.practice
    assert key(figures_for(org_world, cohort_id=org_world.cohorts["kb"].id)) == (0, 0, 0, 0, 0)


def test_refresh_replaces_the_rows(org_world, db_session):
    """A second refresh after a change gives the new figures, not the old ones twice."""
    import sqlalchemy as sa

    from app.dashboards.models import EnrolmentFact

    refreshed(org_world)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(EnrolmentFact)
                              .where(EnrolmentFact.organisation_id == org_world.org.id))
    assert count == 8  # t1 t2 t5 in K1 (C1); t3 t4 in K2 (C1, C2); t5's C2 certificate
    done(db_session, org_world.trainees["t2"], lessons_of(org_world.courses["c1"])[1:], 0)
    refreshed(org_world)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(EnrolmentFact)
                             .where(EnrolmentFact.organisation_id == org_world.org.id)) == count
    figures = figures_for(org_world)
    assert figures.trained == 3
    assert figures.trained_by_month == {month(2): 1, month(1): 1, month(0): 2}

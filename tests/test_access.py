"""Every route × every kind of visitor, with the answer each must get.

A new route fails `test_every_route_is_covered` until it joins ACCESS below, so no
page can be added without deciding who may see it.
"""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.courses_support import content_path, sync_fixture_pack  # noqa: F401  (fixture)

VISITORS = ["anonymous", "trainee", "supervisor", "trainer", "admin", "other_admin"]

OK = "ok"          # served: 2xx, a redirect that is not to the login page, or 422 (form errors shown)
LOGIN = "login"    # redirected to sign in
DENY = "deny"      # 403
HIDE = "hide"      # 404: the object belongs to another organisation
PUBLIC = {v: OK for v in VISITORS}
SIGNED_IN = {"anonymous": LOGIN, **{v: OK for v in VISITORS[1:]}}


def staff(*allowed: str, other: str = DENY) -> dict[str, str]:
    """Only these visitors are served; the other organisation's admin gets `other`."""
    table = {v: (OK if v in allowed else DENY) for v in VISITORS}
    table["anonymous"] = LOGIN
    if "other_admin" not in allowed:
        table["other_admin"] = other
    return table


ADMIN_ONLY = staff("admin", other=OK)            # organisation-wide pages: the other admin sees their own org
ADMIN_OBJECT = staff("admin", other=HIDE)        # one object of this organisation

# (endpoint, method) -> expected answer per visitor
ACCESS: dict[tuple[str, str], dict[str, str]] = {
    ("core.home", "GET"): {**SIGNED_IN, "anonymous": LOGIN},
    ("core.healthz", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): {v: OK for v in VISITORS},
    ("auth.reset", "GET"): PUBLIC,
    ("auth.reset", "POST"): PUBLIC,
    ("auth.forgot", "GET"): PUBLIC,
    ("auth.forgot", "POST"): PUBLIC,
    ("auth.account", "GET"): SIGNED_IN,
    ("auth.account", "POST"): SIGNED_IN,
    ("auth.preferences", "POST"): SIGNED_IN,
    ("auth.language", "POST"): PUBLIC,
}

# A course given to the world's cohort: its members and the organisation's admin read it; only trainees record progress.
COURSE = {"anonymous": LOGIN, "trainee": OK, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
ACCESS.update({
    ("courses.my_courses", "GET"): SIGNED_IN,
    ("courses.course", "GET"): COURSE,
    ("courses.lesson", "GET"): COURSE,
    ("courses.asset", "GET"): COURSE,
    ("courses.mark_done", "POST"): {**COURSE, "supervisor": DENY, "trainer": DENY, "admin": DENY},
})


# Training days of the world's cohort: its trainers plan them; its trainers and supervisors take attendance.
COHORT_STAFF = {"anonymous": LOGIN, "trainee": DENY, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
COHORT_TRAINERS = {**COHORT_STAFF, "supervisor": DENY}
ACCESS.update({
    ("training.days", "GET"): COHORT_STAFF,
    ("training.summary", "GET"): COHORT_STAFF,
    ("training.attendance", "GET"): COHORT_STAFF,
    ("training.attendance", "POST"): COHORT_STAFF,
    ("training.day_new", "GET"): COHORT_TRAINERS,
    ("training.day_new", "POST"): COHORT_TRAINERS,
    ("training.day_edit", "GET"): COHORT_TRAINERS,
    ("training.day_edit", "POST"): COHORT_TRAINERS,
    ("training.my_attendance", "GET"): SIGNED_IN,
})


# Course authoring: the organisation's trainers and admins; a web course of another organisation is hidden.
AUTHORS = staff("trainer", "admin", other=OK)
COURSE_AUTHORS = staff("trainer", "admin", other=HIDE)
ACCESS.update({
    ("courses.authoring.index", "GET"): AUTHORS,
    ("courses.authoring.new", "GET"): AUTHORS,
    ("courses.authoring.new", "POST"): AUTHORS,
    **{(f"courses.authoring.{name}", method): COURSE_AUTHORS for name, methods in {
        "course": ["GET"], "edit": ["GET", "POST"], "publish": ["POST"], "unpublish": ["POST"],
        "archive": ["POST"], "unarchive": ["POST"], "module_new": ["GET", "POST"], "module_edit": ["GET", "POST"],
        "module_move": ["POST"], "lesson_new": ["GET", "POST"], "lesson_move": ["POST"],
        "lesson_edit": ["GET", "POST"], "history": ["GET"], "version": ["GET"], "restore": ["POST"],
        "cohorts": ["GET", "POST"], "take_back": ["POST"],
    }.items() for method in methods},
})

# Organisation administration (orgs).
COHORT_STAFF = staff("admin", "trainer", other=OK)                   # organisation-wide cohort pages
COHORT_VIEW = staff("admin", "trainer", "supervisor", other=HIDE)   # a cohort its staff belong to
COHORT_MANAGE = staff("admin", "trainer", other=HIDE)               # the cohort's trainers and the admins
ACCESS.update({
    ("orgs.users", "GET"): ADMIN_ONLY,
    ("orgs.user_new", "GET"): ADMIN_ONLY,
    ("orgs.user_new", "POST"): ADMIN_ONLY,
    ("orgs.user", "GET"): ADMIN_OBJECT,
    ("orgs.user_edit", "GET"): ADMIN_OBJECT,
    ("orgs.user_edit", "POST"): ADMIN_OBJECT,
    ("orgs.user_deactivate", "POST"): ADMIN_OBJECT,
    ("orgs.user_reactivate", "POST"): ADMIN_OBJECT,
    ("orgs.user_reset_code", "POST"): COHORT_MANAGE,  # admins for anyone, trainers for their cohorts' trainees
    ("orgs.user_import", "GET"): ADMIN_ONLY,
    ("orgs.user_import", "POST"): ADMIN_ONLY,
    ("orgs.user_import_preview", "GET"): ADMIN_OBJECT,
    ("orgs.user_import_confirm", "POST"): ADMIN_OBJECT,
    ("orgs.user_import_discard", "POST"): ADMIN_OBJECT,
    ("orgs.sites", "GET"): ADMIN_ONLY,
    ("orgs.site_new", "GET"): ADMIN_ONLY,
    ("orgs.site_new", "POST"): ADMIN_ONLY,
    ("orgs.site_edit", "GET"): ADMIN_OBJECT,
    ("orgs.site_edit", "POST"): ADMIN_OBJECT,
    ("orgs.audit", "GET"): ADMIN_ONLY,
    ("orgs.cohorts", "GET"): COHORT_STAFF,
    ("orgs.cohort_new", "GET"): COHORT_STAFF,
    ("orgs.cohort_new", "POST"): COHORT_STAFF,
    ("orgs.cohort", "GET"): COHORT_VIEW,
    ("orgs.cohort_edit", "GET"): COHORT_MANAGE,
    ("orgs.cohort_edit", "POST"): COHORT_MANAGE,
    ("orgs.cohort_add_members", "POST"): COHORT_MANAGE,
    ("orgs.cohort_remove_member", "POST"): COHORT_MANAGE,
    ("orgs.cohort_assign", "POST"): COHORT_MANAGE,
    ("orgs.cohort_end_assignment", "POST"): COHORT_MANAGE,
})


@pytest.fixture
def world(org, make_org, make_user, make_cohort, assign_supervisor, content_path):
    """One organisation with a person in each role and a cohort, plus another organisation's admin."""
    people = {
        "trainee": make_user("trainee"),
        "supervisor": make_user("supervisor"),
        "trainer": make_user("trainer"),
        "admin": make_user("admin"),
    }
    people["other_admin"] = make_user("admin", organisation=make_org("Otra organización"))
    cohort = make_cohort(members={"trainee": [people["trainee"]], "supervisor": [people["supervisor"]],
                                  "trainer": [people["trainer"]]})
    assignment = assign_supervisor(people["supervisor"], people["trainee"], cohort)
    site = org.sites[0]
    objects = {"user_id": people["trainee"].id, "cohort_id": cohort.id, "site_id": site.id,
               "assignment_id": assignment.id, "member_id": cohort.members[0].id}
    from app.courses.services import give_course

    give_course(cohort, sync_fixture_pack(), "es")
    objects.update({"slug": "demo-course", "lesson_slug": "01-welcome", "filename": "diagram.png"})
    objects["day_id"] = _training_day(cohort)
    objects.update(_web_course(org, people["trainer"], cohort))
    objects.update({"import_id": _user_import(people["admin"]), "role": "trainee"})
    return people, objects


def _user_import(admin) -> int:
    """A previewed (not yet confirmed) spreadsheet of new users."""
    from app.orgs.importing import start_import

    csv = "username,full_name,roles\nnueva.chw,Nueva CHW,trainee\n".encode()
    return start_import(admin.organisation_id, admin, "chw.csv", csv).id


def _training_day(cohort) -> int:
    """A training day held yesterday, so its attendance sheet is open."""
    from datetime import timedelta

    from app.extensions import db
    from app.training.models import TrainingDay
    from app.training.queries import local_today

    day = TrainingDay(cohort_id=cohort.id, held_on=local_today() - timedelta(days=1), place="Clínica", topic="PM+")
    db.session.add(day)
    db.session.flush()
    return day.id


def _web_course(org, author, cohort) -> dict:
    """A course written on the web by the organisation, with one lesson that has an earlier version."""
    from app.courses import authoring
    from app.courses.services import give_course

    course = authoring.create_course(org.id, "web-course", authoring.CourseData(
        version="1.0.0", languages=["es", "en"], title={"es": "Curso web", "en": "Web course"},
        summary={"es": "Resumen", "en": "Summary"}, audience={}, estimated_hours=None, licence="CC BY-SA 4.0"))
    module = authoring.add_module(course, "basics", {"es": "Fundamentos", "en": "Basics"})
    lesson = authoring.add_lesson(module, "01-welcome", 10, {"es": "Bienvenida", "en": "Welcome"}, author)
    authoring.save_lesson_text(lesson, "es", "Bienvenida", "Hola.", author)
    version = authoring.lesson_versions(lesson, "es")[0]
    give_course(cohort, course, "es")
    return {"course_slug": course.slug, "module_id": module.id, "language": "es", "version_id": version.id}


def _url(app, endpoint: str, objects: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {arg: objects[arg] for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_route_is_covered(app):
    missing = _routes(app) - set(ACCESS)
    stale = set(ACCESS) - _routes(app)
    assert not missing, f"routes without an access rule: {sorted(missing)}"
    assert not stale, f"access rules for routes that no longer exist: {sorted(stale)}"


CASES = [(endpoint, method, visitor) for (endpoint, method) in ACCESS for visitor in VISITORS]


@pytest.mark.parametrize(("endpoint", "method", "visitor"), CASES, ids=[f"{e}-{m}-{v}" for e, m, v in CASES])
def test_route_answers_each_visitor(app, client, login, world, endpoint, method, visitor):
    people, objects = world
    expected = ACCESS[(endpoint, method)][visitor]
    if visitor != "anonymous":
        login(people[visitor])
    url = _url(app, endpoint, objects)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert status == 302 and "/login" in location, (status, location)
    elif expected == DENY:
        assert status == 403, status
    elif expected == HIDE:
        assert status == 404, status
    else:
        assert status in (200, 201, 302, 303, 400, 401, 422, 429) and not (status == 302 and "/login?" in location), (
            status, location)
        assert status != 400 or endpoint.startswith("auth."), "a served form answered 400"

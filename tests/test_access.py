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


# Practice log (issue #6): the trainee's own entries; their supervisor verifies; staff see counts only.
# The world's entry was sent and returned (not a draft), so "discard" is refused even to its trainee.
PRACTICE_TRAINEE = {**staff(), "trainee": OK}
PRACTICE_ENTRY = {"anonymous": LOGIN, "trainee": OK, "supervisor": OK, "trainer": HIDE, "admin": HIDE,
                  "other_admin": HIDE}
ACCESS.update({
    ("practice.practice_mine", "GET"): PRACTICE_TRAINEE,
    ("practice.practice_entry_new", "GET"): PRACTICE_TRAINEE,
    ("practice.practice_entry_new", "POST"): PRACTICE_TRAINEE,
    ("practice.practice_entry", "GET"): PRACTICE_ENTRY,
    ("practice.practice_case", "GET"): PRACTICE_ENTRY,
    ("practice.practice_entry_edit", "GET"): {**PRACTICE_ENTRY, "supervisor": DENY},
    ("practice.practice_entry_edit", "POST"): {**PRACTICE_ENTRY, "supervisor": DENY},
    ("practice.practice_entry_discard", "POST"): {**PRACTICE_ENTRY, "trainee": DENY, "supervisor": DENY},
    ("practice.practice_entry_autosave", "POST"): {**PRACTICE_ENTRY, "supervisor": DENY},
    ("practice.practice_entry_review", "POST"): {**PRACTICE_ENTRY, "trainee": DENY},
    ("practice.practice_queue", "GET"): staff("supervisor"),
    ("practice.practice_export_supervisees", "GET"): staff("supervisor"),
    ("practice.practice_counts", "GET"): staff("trainer", "admin", "other_admin"),
    ("practice.practice_export_organisation", "GET"): staff("trainer", "admin", "other_admin"),
    ("practice.practice_rules", "GET"): ADMIN_ONLY,
    ("practice.practice_rules", "POST"): ADMIN_ONLY,
})


# Quiz reports (issue #4): results and pre/post for the cohort's trainers, admins and supervisors
# (a supervisor sees their supervisees' rows); item analysis for trainers and admins only.
QUIZ_RESULTS = {"anonymous": LOGIN, "trainee": DENY, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
QUIZ_ITEMS = {**QUIZ_RESULTS, "supervisor": DENY}
ACCESS.update({
    **{(f"quizzes.{name}", "GET"): QUIZ_RESULTS for name in [
        "report_index", "report_results", "report_results_csv", "report_prepost", "report_prepost_csv"]},
    **{(f"quizzes.{name}", "GET"): QUIZ_ITEMS for name in [
        "report_items", "report_items_csv", "report_responses_csv", "report_item"]},
})


# Competency feedback and reports (issue #5 views): the trainee's own feedback, readable by their supervisor,
# trainers and admins; cohort reports for its staff (a supervisor sees their supervisees' rows); calibration of a
# session for its raters, the cohort's trainers and the admins; calibration across sessions for the trainers.
SKILLS_FEEDBACK = {"anonymous": LOGIN, "trainee": OK, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
SKILLS_COHORT = {**SKILLS_FEEDBACK, "trainee": DENY}
ACCESS.update({
    ("competencies.report_my_feedback", "GET"): SIGNED_IN,
    ("competencies.report_feedback", "GET"): SKILLS_FEEDBACK,
    ("competencies.report_heatmap", "GET"): SKILLS_COHORT,
    ("competencies.report_progress", "GET"): SKILLS_COHORT,
    ("competencies.report_export", "GET"): SKILLS_COHORT,
    ("competencies.calibration_session", "GET"): SKILLS_COHORT,
    ("competencies.calibration_cohort", "GET"): {**SKILLS_COHORT, "supervisor": DENY},
})


# Question banks (issue #4): the organisation's trainers and admins; another organisation's web bank is hidden.
BANK_AUTHORS = staff("trainer", "admin", other=OK)
BANK_OBJECT = staff("trainer", "admin", other=HIDE)
ACCESS.update({
    ("quizzes.bank_list", "GET"): BANK_AUTHORS,
    ("quizzes.bank_new", "GET"): BANK_AUTHORS,
    ("quizzes.bank_new", "POST"): BANK_AUTHORS,
    **{(f"quizzes.{name}", method): BANK_OBJECT for name, methods in {
        "bank_view": ["GET"], "bank_export": ["GET"], "bank_question": ["GET"],
        "bank_question_new": ["GET", "POST"], "bank_question_edit": ["GET", "POST"],
        "bank_question_visibility": ["POST"], "bank_import": ["GET", "POST"],
        "bank_import_preview": ["GET"], "bank_import_confirm": ["POST"], "bank_import_discard": ["POST"],
    }.items() for method in methods},
})


# Competency rating, harm flags, rating sessions and notifications (issue #5 core). The world's assessment is
# submitted by the supervisor with a Level 1 item: its harm flag notifies the trainer.
RATERS = staff("supervisor", "trainer")
ASSESSMENT = {"anonymous": LOGIN, "trainee": DENY, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
FLAG_STAFF = ASSESSMENT
SESSION_CREATORS = staff("trainer", "admin", other=OK)
ACCESS.update({
    ("competencies.assess_index", "GET"): RATERS,
    ("competencies.assess_new", "GET"): RATERS,
    ("competencies.assess_new", "POST"): RATERS,
    ("competencies.assess_rate", "GET"): ASSESSMENT,  # submitted: whoever may read it is sent to the view
    ("competencies.assess_rate", "POST"): ASSESSMENT,  # refused (submitted): sent to the view, nothing changes
    ("competencies.assess_view", "GET"): ASSESSMENT,
    ("competencies.assess_amend", "GET"): {**ASSESSMENT, "trainer": DENY},
    ("competencies.assess_amend", "POST"): {**ASSESSMENT, "trainer": DENY},
    ("competencies.assess_discard", "POST"): {**ASSESSMENT, "supervisor": DENY, "trainer": DENY, "admin": DENY},
    ("competencies.flag_index", "GET"): staff("supervisor", "trainer", "admin", other=OK),
    ("competencies.flag_view", "GET"): FLAG_STAFF,
    ("competencies.flag_action_add", "POST"): FLAG_STAFF,
    ("competencies.flag_action_done", "POST"): FLAG_STAFF,
    ("competencies.session_index", "GET"): staff("supervisor", "trainer", "admin", other=OK),
    ("competencies.session_new", "GET"): SESSION_CREATORS,
    ("competencies.session_new", "POST"): SESSION_CREATORS,
    ("competencies.session_view", "GET"): ASSESSMENT,
    ("notifications.notifications_index", "GET"): SIGNED_IN,
    ("notifications.notifications_read_all", "POST"): SIGNED_IN,
    ("notifications.notifications_open", "POST"): {**{v: HIDE for v in VISITORS}, "anonymous": LOGIN, "trainer": OK},
    ("notifications.notifications_read", "POST"): {**{v: HIDE for v in VISITORS}, "anonymous": LOGIN, "trainer": OK},
})


# Supervision logs (issue #6): the world's session was logged by the supervisor with the trainee and submitted;
# its action item belongs to the trainee. Trainers and admins see coverage and hours, never a session's notes.
SUPERVISION_SESSION = {"anonymous": LOGIN, "trainee": OK, "supervisor": OK, "trainer": DENY, "admin": DENY,
                       "other_admin": HIDE}
SUPERVISION_OWN = {**SUPERVISION_SESSION, "trainee": DENY}  # only the supervisor who logged it
ACCESS.update({
    ("supervision.supervisees", "GET"): staff("supervisor"),
    ("supervision.session_new", "GET"): staff("supervisor"),
    ("supervision.session_new", "POST"): staff("supervisor"),
    ("supervision.session_view", "GET"): SUPERVISION_SESSION,
    ("supervision.session_edit", "GET"): SUPERVISION_OWN,
    ("supervision.session_edit", "POST"): SUPERVISION_OWN,
    ("supervision.session_autosave", "POST"): SUPERVISION_OWN,
    ("supervision.session_discard", "POST"): SUPERVISION_OWN,
    ("supervision.session_acknowledge", "POST"): {**SUPERVISION_SESSION, "supervisor": DENY},
    ("supervision.action_done", "POST"): SUPERVISION_SESSION,
    ("supervision.action_reopen", "POST"): SUPERVISION_SESSION,
    ("supervision.mine", "GET"): SIGNED_IN,
    ("supervision.coverage", "GET"): staff("trainer", "admin", other=OK),
    ("supervision.export", "GET"): staff("trainer", "admin", other=OK),
    ("supervision.settings", "GET"): ADMIN_ONLY,
    ("supervision.settings", "POST"): ADMIN_ONLY,
})


# Taking quizzes (issue #4 attempts): the world's trainee has an attempt in progress at the demo course's pre-test.
# Only the learner answers it; their trainers, supervisor and admins read it; trainers and admins mark and set up.
QUIZ_PAGE = {"anonymous": LOGIN, "trainee": OK, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
QUIZ_LEARNER = {**QUIZ_PAGE, "supervisor": DENY, "trainer": DENY, "admin": DENY}
QUIZ_TRAINERS = {**QUIZ_PAGE, "trainee": DENY, "supervisor": DENY}
ACCESS.update({
    ("quizzes.quiz_overview", "GET"): QUIZ_PAGE,
    ("quizzes.attempt_start", "POST"): QUIZ_LEARNER,
    ("quizzes.attempt_take", "GET"): QUIZ_LEARNER,
    ("quizzes.attempt_take", "POST"): QUIZ_LEARNER,
    ("quizzes.attempt_autosave", "POST"): QUIZ_LEARNER,
    ("quizzes.attempt_summary", "GET"): QUIZ_LEARNER,
    ("quizzes.attempt_submit", "POST"): QUIZ_LEARNER,
    ("quizzes.attempt_review", "GET"): QUIZ_PAGE,
    ("quizzes.quiz_grading", "GET"): QUIZ_TRAINERS,
    ("quizzes.attempt_grade", "GET"): QUIZ_TRAINERS,
    ("quizzes.attempt_grade", "POST"): QUIZ_TRAINERS,
    ("quizzes.quiz_settings", "GET"): QUIZ_TRAINERS,
    ("quizzes.quiz_settings", "POST"): QUIZ_TRAINERS,
})


# Open Badges JSON (credential, issuer profile, keys, status list): public, for any verifier.
ACCESS.update({
    ("certificates.badge_credential", "GET"): PUBLIC,
    ("certificates.badge_issuer", "GET"): PUBLIC,
    ("certificates.badge_key", "GET"): PUBLIC,
    ("certificates.badge_achievement", "GET"): PUBLIC,
    ("certificates.badge_status_list", "GET"): PUBLIC,
})

# Certification (certrules): my path for anyone signed in; cohort status for its staff; issuing and revoking
# for the cohort's trainers and admins; one certificate for its holder, their supervisor and trainer.
CERT_COHORT = {"anonymous": LOGIN, "trainee": DENY, "supervisor": OK, "trainer": OK, "admin": OK, "other_admin": HIDE}
CERT_MANAGE = {**CERT_COHORT, "supervisor": DENY}
ACCESS.update({
    ("certificates.path_mine", "GET"): SIGNED_IN,
    ("certificates.path_cohort", "GET"): CERT_COHORT,
    ("certificates.path_issue", "POST"): CERT_MANAGE,
    ("certificates.path_certificate", "GET"): {**CERT_COHORT, "trainee": OK},
    ("certificates.path_revoke", "GET"): CERT_MANAGE,
    ("certificates.path_revoke", "POST"): CERT_MANAGE,
    ("certificates.path_rule", "GET"): staff("trainer", "admin", other=OK),
    ("certificates.path_rule", "POST"): staff("trainer", "admin", other=OK),
    ("certificates.path_expiring", "GET"): staff("trainer", "admin", other=OK),
})

# Public verification (certpdf): no login, reached by the token; bulk issue jobs for the cohort's trainers and admins.
CERT_JOBS = {"anonymous": LOGIN, "trainee": DENY, "supervisor": DENY, "trainer": OK, "admin": OK, "other_admin": HIDE}
ACCESS.update({
    ("certificates.verify_lookup", "GET"): PUBLIC,
    ("certificates.verify_certificate", "GET"): PUBLIC,
    ("certificates.verify_certificate_pdf", "GET"): PUBLIC,
    ("certificates.job_start", "GET"): CERT_JOBS,
    ("certificates.job_start", "POST"): CERT_JOBS,
    ("certificates.job_progress", "GET"): CERT_JOBS,
    ("certificates.job_zip", "GET"): CERT_JOBS,
    ("certificates.job_resume", "POST"): CERT_JOBS,
})

# Research export (issue #8, research): the organisation's admins (programme managers too, with pseudonyms only:
# see tests/test_research_export_web.py); another organisation's admin exports their own organisation.
ACCESS.update({
    ("research.export", "GET"): ADMIN_ONLY,
    ("research.export_zip", "POST"): ADMIN_ONLY,
    # One export of the organisation (made in the background): its page, its ZIP, Resume (a finished one: no-op).
    ("research.export_progress", "GET"): ADMIN_OBJECT,
    ("research.export_download", "GET"): ADMIN_OBJECT,
    ("research.export_resume", "POST"): ADMIN_OBJECT,
})

# Cohort dashboard (issue #8, cohortdash): the cohort's trainers, the admins (and programme managers: see
# tests/test_dashboards_cohort.py); supervisors and trainees are refused; another organisation's cohort is hidden.
COHORT_DASHBOARD = {"anonymous": LOGIN, "trainee": DENY, "supervisor": DENY, "trainer": OK, "admin": OK,
                    "other_admin": HIDE}
ACCESS.update({
    ("dashboards.cohort_dashboard", "GET"): COHORT_DASHBOARD,
    ("dashboards.cohort_csv", "GET"): COHORT_DASHBOARD,
    ("dashboards.cohort_report", "GET"): COHORT_DASHBOARD,
})

# Organisation dashboard (issue #8, orgdash): admins (and programme managers: see tests/test_dashboards_org_pages.py);
# another organisation's admin sees their own organisation's figures; only admins refresh them.
ORG_DASHBOARD = staff("admin", other=OK)
ACCESS.update({
    ("dashboards.organisation_dashboard", "GET"): ORG_DASHBOARD,
    ("dashboards.organisation_csv", "GET"): ORG_DASHBOARD,
    ("dashboards.organisation_report", "GET"): ORG_DASHBOARD,
    ("dashboards.organisation_refresh", "POST"): ORG_DASHBOARD,
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
    objects.update(_practice_world(people))
    objects.update(_quiz_report_world(cohort, people))
    objects.update(_competency_views_world(people, cohort))
    objects.update(_question_bank_world(org, people["trainer"]))
    objects.update(_rating_world(people))
    objects.update(_supervision_world(people))
    objects.update(_quiz_attempt_world(people))
    objects.update(_badge_world(org, people["trainee"]))
    objects.update(_certrules_world(org, people["trainee"], cohort))
    objects.update(_certpdf_world(org, people["trainee"], cohort))
    objects["chart_slug"] = "funnel"  # a cohort dashboard CSV
    objects["org_chart"] = "key-figures"  # an organisation dashboard CSV
    objects["research_export_id"] = _research_export_world(org, people["admin"])
    return people, objects


def _research_export_world(org, admin) -> int:
    """A finished pseudonymised research export of the organisation, with a (stand-in) ZIP on disk."""
    from app.certificates.models import JobStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.research.jobs import zip_location
    from app.research.models import KeySource, ResearchExport

    export = ResearchExport(organisation_id=org.id, requested_by_id=admin.id, identified=False,
                            key_source=KeySource.ORGANISATION, status=JobStatus.DONE, rows={"people.csv": 4},
                            finished_at=utcnow())
    db.session.add(export)
    db.session.flush()
    export.zip_path, path = zip_location(export.id)
    path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty ZIP
    db.session.flush()
    return export.id


def _certrules_world(org, trainee, cohort) -> dict:
    """A certification rule for the demo course and one certificate of the world's trainee (a bare row)."""
    from app.certificates.codes import new_code, new_token
    from app.certificates.models import Certificate, CertificationRule
    from app.courses.models import Course
    from app.extensions import db

    course = db.session.scalar(db.select(Course).where(Course.slug == "demo-course"))
    db.session.add(CertificationRule(course_id=course.id, organisation_id=org.id, criteria={"lessons": "all"}))
    certificate = Certificate(organisation_id=org.id, course_id=course.id, trainee_id=trainee.id, code=new_code(),
                              token=new_token(), language="es", cohort_id=cohort.id,
                              snapshot={"name": trainee.full_name, "course_title": "Demo", "evidence": []})
    db.session.add(certificate)
    db.session.flush()
    return {"cert_cohort_id": cohort.id, "certificate_id": certificate.id, "cert_course_slug": course.slug}


def _certpdf_world(org, trainee, cohort) -> dict:
    """A certificate with stored (stand-in) PDF bytes, and a finished bulk job with its ZIP: cheap, nothing rendered."""
    from app.certificates.codes import new_code, new_token
    from app.certificates.jobs import write_zip
    from app.certificates.models import Certificate, CertificateJob, JobStatus
    from app.certificates.storage import store_pdf
    from app.courses.models import Course
    from app.extensions import db

    course = db.session.scalar(db.select(Course).where(Course.slug == "demo-course"))
    certificate = Certificate(organisation_id=org.id, course_id=course.id, trainee_id=trainee.id, code=new_code(),
                              token=new_token(), language="es", cohort_id=cohort.id,
                              snapshot={"name": trainee.full_name, "course_title": "Demo"})
    db.session.add(certificate)
    db.session.flush()
    store_pdf(certificate, b"%PDF-1.7 stand-in")
    job = CertificateJob(organisation_id=org.id, cohort_id=cohort.id, course_id=course.id, status=JobStatus.DONE,
                         total=1, done=1)
    db.session.add(job)
    db.session.flush()
    job.zip_path = write_zip(job.id, [certificate])
    db.session.flush()
    return {"verify_token": certificate.token, "job_cohort_id": cohort.id, "cert_job_id": job.id}


def _badge_world(org, trainee) -> dict:
    """A certificate row (its credential is signed on first request) and the organisation's key."""
    import secrets

    from app.certificates.keys import active_key
    from app.certificates.models import Certificate
    from app.courses.models import Course
    from app.extensions import db

    course = db.session.scalar(db.select(Course).where(Course.slug == "demo-course"))
    certificate = Certificate(organisation_id=org.id, course_id=course.id, trainee_id=trainee.id,
                              code="ACO-BDGE-TST0", token=secrets.token_urlsafe(24), language="es",
                              snapshot={"name": trainee.full_name, "course_title": "Demo"})
    db.session.add(certificate)
    db.session.flush()
    return {"badge_token": certificate.token, "badge_org": org.slug, "badge_key_id": active_key(org).key_id,
            "badge_course": course.slug}

def _quiz_attempt_world(people) -> dict:
    """The demo course's pre-test (its bank synced) with the trainee's attempt in progress."""
    from app.quizzes.attempts import start_attempt
    from tests.quiz_attempts_support import fixture_quiz, sync_fixture_banks
    from tests.courses_support import sync_fixture_pack

    sync_fixture_banks()
    quiz = fixture_quiz(sync_fixture_pack())
    return {"quiz_id": quiz.id, "attempt_id": start_attempt(quiz, people["trainee"]).id}


def _supervision_world(people) -> dict:
    """A submitted individual supervision of the world's trainee, with an action item the trainee owns."""
    from datetime import timedelta

    from app.core.db import utcnow
    from app.supervision import services
    from app.supervision.models import Modality, SessionFormat

    data = services.SessionData(
        supervisee_ids=[people["trainee"].id], format=SessionFormat.INDIVIDUAL, modality=Modality.PHONE,
        started_at=utcnow() - timedelta(days=1), duration_minutes=45,
        cases=[services.CaseData(client_code="CH-001", summary="Insomnio.")],
        actions=[services.ActionData("Leer el módulo 3", people["trainee"].id)])
    session = services.start_session(people["supervisor"], data)
    services.submit_session(session, data, people["supervisor"])
    return {"supervision_id": session.id, "action_id": session.action_items[0].id, "export_kind": "sessions"}


def _practice_world(people) -> dict:
    """One practice session of the world's trainee, returned by their supervisor for correction."""
    from datetime import date

    from app.practice import services
    from app.practice.models import DeliveryMode, Intervention, ReviewDecision

    entry = services.save_entry(people["trainee"], services.EntryData(
        client_code="CH-0001", intervention=Intervention.PM_PLUS, session_number=1, delivered_on=date.today(),
        duration_minutes=60, mode=DeliveryMode.CLINIC, risk_flags=["none"]), submit=True, today=date.today())
    services.review_entry(entry, people["supervisor"], ReviewDecision.RETURNED, "Add the duration.")
    return {"entry_id": entry.id, "practice_case_id": entry.case_id}


def _quiz_report_world(cohort, people) -> dict:
    """A course of the cohort with a pre-test the world's trainee has finished (one question)."""
    from tests.quiz_support import make_attempt, make_course, make_quiz

    quiz = make_quiz(make_course(cohort), "report-pre-test", "pre_test")
    make_attempt(quiz, people["trainee"], cohort, {"Q1": 0})
    return {"report_course": quiz.course.slug, "report_quiz": quiz.slug, "report_item": "Q1"}


def _competency_views_world(people, cohort) -> dict:
    """A two-item tool of the organisation, one rating of the trainee, and a calibration session of two raters."""
    from tests.competency_support import load_tool, make_assessment, make_rating_session

    tool = load_tool(organisation_id=cohort.organisation_id, items=2)
    make_assessment(people["trainee"], tool, assessor=people["supervisor"], cohort=cohort, levels={"FHS-01": 2})
    session = make_rating_session(tool, {people["supervisor"]: {"FHS-01": 2}, people["trainer"]: {"FHS-01": 3}},
                                  cohort=cohort, reference=people["trainer"])
    return {"feedback_user_id": people["trainee"].id, "calibration_session_id": session.id}


def _question_bank_world(org, trainer) -> dict:
    """A web bank of the organisation with one question, and a GIFT import waiting for confirmation."""
    from app.quizzes.bank_imports import start_bank_import
    from app.quizzes.banks import create_bank, save_question

    bank = create_bank(org.id, "access-bank", "es", "Banco", trainer)
    question, _ = save_question(bank, None, "::Q1::¿Sí?{T}", None, trainer)
    batch = start_bank_import(bank, trainer, "b.gift", "::Q2::¿No?{F}")
    return {"bank_id": bank.id, "bank_question_id": question.id, "bank_import_id": batch.id}


def _rating_world(people) -> dict:
    """A two-item tool; the supervisor's submitted rating of the trainee with a harm flag; a rating session."""
    import sqlalchemy as sa

    from app.competencies import services
    from app.competencies.models import AssessmentMethod, AssessmentStage
    from app.extensions import db
    from app.notifications.models import Notification
    from tests.competency_support import load_tool

    tool = load_tool("pm-plus-strategy-skills", items=2)
    supervisor, trainee = people["supervisor"], people["trainee"]
    assessment = services.start_assessment(supervisor, trainee, tool, AssessmentStage.PRE, AssessmentMethod.ROLE_PLAY,
                                           draw=True)
    harmful = [b.code for b in tool.items[0].behaviours if b.group.value == "harmful"][:1]
    services.save_ratings(assessment, {tool.items[0].id: services.ItemInput(behaviour_codes=harmful),
                                       tool.items[1].id: services.ItemInput(not_observed=True)})
    result = services.submit_assessment(assessment, supervisor)
    session = services.create_rating_session(people["trainer"], tool, "Calibración", stage=AssessmentStage.PRE,
                                             method=AssessmentMethod.RECORDING,
                                             raters=[supervisor, people["trainer"]])
    notification = db.session.scalar(sa.select(Notification).where(Notification.user_id == people["trainer"].id))
    return {"assessment_id": assessment.id, "flag_id": result.raised[0].id,
            "action_id": result.raised[0].actions[0].id, "rating_session_id": session.id,
            "notification_id": notification.id}


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


ROUTES = sorted(ACCESS)


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}-{m}" for e, m in ROUTES])
def test_route_answers_each_visitor(app, login, world, endpoint, method):
    """One world per route; each visitor's request runs in a savepoint that is rolled back,
    so an allowed POST by one visitor cannot change what the next one gets."""
    from app.extensions import db

    people, objects = world
    connection = db._app_engines[app][None]  # the test's connection (see the db_session fixture)
    url = _url(app, endpoint, objects)
    wrong = [f"{visitor}: {problem}" for visitor in VISITORS
             if (problem := _visit(app, connection, login, people, url, endpoint, method, visitor))]
    assert not wrong, wrong


def _visit(app, connection, login, people, url, endpoint, method, visitor) -> str | None:
    """What is wrong with this visitor's answer, or None."""
    expected = ACCESS[(endpoint, method)][visitor]
    savepoint = connection.begin_nested()
    try:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if visitor != "anonymous":
            login(people[visitor], c=client)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    finally:
        savepoint.rollback()
    status = response.status_code
    location = response.headers.get("Location", "")
    response.close()  # a file sent from disk (send_file) is closed, as a server closes it
    if expected == LOGIN:
        ok = status == 302 and "/login" in location
    elif expected == DENY:
        ok = status == 403
    elif expected == HIDE:
        ok = status == 404
    else:
        ok = (status in (200, 201, 302, 303, 400, 401, 422, 429) and not (status == 302 and "/login?" in location)
              and (status != 400 or endpoint.startswith("auth.")))
    return None if ok else f"expected {expected}, got {status} {location}".strip()

"""Build a national-scale data set: 20 organisations, 50,000 trainees and two years of their training.

    .venv/bin/python bench/generate.py --instance /tmp/acompana-scale            # SQLite, scale 1.0
    .venv/bin/python bench/generate.py --scale 0.1 --instance /tmp/small --check # a tenth, then sign in and look
    .venv/bin/python bench/generate.py --database-url postgresql://postgres@127.0.0.1/bench_scale

Scale 1.0 is issue 8's data set (see SCALE_ONE). The course packs are synced first, as `flask content
sync` does; then people, cohorts, lesson progress, training days, quiz attempts, competency ratings,
harm flags, supervision, practice and certificates are written with bulk inserts (COPY on
PostgreSQL). Every account's password is the demo one; the known accounts of the first organisation
(trainee, supervisor, trainer, admin, manager) have a quiz in progress, a draft rating and cohorts,
so the page benchmark signs in with them. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bulk_insert import BulkWriter, RawJSON
from bench.dataset import Builder, Content, Plan

DEMO_PASSWORD = "acompana-demo"
MANIFEST = "dataset.json"  # written next to the SQLite file: what was generated and the known accounts' pages
KNOWN_ROLES = ("trainee", "supervisor", "trainer", "admin", "manager")
LESSON = "03-assessment-safety-referral"  # a real PM+ lesson the known trainee reads
TOOL = "foundational-helping-skills"


# -- the entry point ----------------------------------------------------------------------------

def generate(engine_or_session: Any, scale: float = 1.0, seed: int = 2026, *, tag: str = "") -> dict:
    """Write the data set into the app's database (an app context must be active). Returns a report.

    ``tag`` is added to the known accounts' usernames and the organisations' slugs, so that a second
    data set can join a first one in the same database (the statement-count test does this).

    Given the app's session (the tests' rolled-back one) it only flushes; given the app's engine it
    commits after each phase.
    """
    import sqlalchemy as sa

    from app.auth.passwords import hash_password
    from app.core.db import utcnow
    from app.extensions import db

    commit = isinstance(engine_or_session, sa.engine.Engine)
    if commit and engine_or_session.url != db.engine.url:
        raise ValueError("generate() writes through the app's session: pass db.engine or db.session")
    session = db.session
    started = time.perf_counter()
    phases: dict[str, float] = {}
    rng = random.Random(seed)
    plan = Plan.at(scale)
    now = utcnow().replace(microsecond=0)
    mark = time.perf_counter()
    content = load_content(session)
    phases["content sync"] = round(time.perf_counter() - mark, 2)
    writer = BulkWriter(session)
    declare_tables(writer)
    builder = Builder(writer, content, plan, rng, now, hash_password(DEMO_PASSWORD), tag)
    for name, step in (("organisations, people, cohorts", builder.people), ("lessons, training days", builder.learning),
                       ("quiz attempts", builder.quizzes), ("competency ratings, harm flags", builder.competencies),
                       ("supervision", builder.supervision), ("practice", builder.practice),
                       ("certificates", builder.certificates)):
        mark = time.perf_counter()
        step()
        writer.commit() if commit else writer.flush()
        phases[name] = round(time.perf_counter() - mark, 2)
    tables = writer.finish()
    mark = time.perf_counter()
    known = known_account_activity(builder, content, now)
    session.flush()
    phases["known accounts (app services)"] = round(time.perf_counter() - mark, 2)
    if commit:
        mark = time.perf_counter()
        session.commit()
        # As after any bulk load, the planner gets statistics (PostgreSQL's autovacuum would gather them in
        # a while; SQLite only when told, see bench/README.md).
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        phases["commit, ANALYZE"] = round(time.perf_counter() - mark, 2)
    return {"scale": scale, "seed": seed, "plan": dict(plan.__dict__), "seconds": round(time.perf_counter() - started, 1),
            "phases": phases, "tables": tables, "known": known, "password": DEMO_PASSWORD,
            "database": db.engine.dialect.name, "generated_at": now.isoformat()}


def load_content(session) -> Content:
    """Sync the packs (courses, competency tools, question banks) as `flask content sync` does, then read them."""
    import click
    import sqlalchemy as sa

    from app.certificates.models import CertificationRule
    from app.competencies.cli import sync_tools
    from app.competencies.models import BehaviourGroup, CompetencyTool
    from app.competencies.services import visible_items, visible_scenarios
    from app.courses.models import Course
    from app.courses.packs import content_root, discover, load_pack
    from app.courses.queries import visible_lessons
    from app.courses.sync import sync_pack
    from app.quizzes.cli import sync_bank_files
    from app.quizzes.models import Quiz

    with _quiet(click):
        for root in discover(content_root()):
            pack, problems = load_pack(root)
            if pack is None or any(p.is_error for p in problems):
                raise RuntimeError(f"content pack {root.name} has errors: run flask content validate")
            sync_pack(pack)
        if sync_tools() or sync_bank_files():
            raise RuntimeError("a competency tool or question bank did not sync: run flask content validate")
    session.flush()
    courses = {c.slug: c for c in session.scalars(sa.select(Course).where(Course.slug.in_(["pm-plus", "pfa"])))}
    if set(courses) != {"pm-plus", "pfa"}:
        raise RuntimeError("the PM+ and PFA packs are needed (modules/pm-plus, modules/pfa)")
    lessons = {slug: [lesson.id for lesson in visible_lessons(course)] for slug, course in courses.items()}
    quizzes, questions = {}, {}
    for slug, course in courses.items():
        for quiz in session.scalars(sa.select(Quiz).where(Quiz.course_id == course.id)):
            quizzes[(slug, str(quiz.kind))] = quiz
            questions[(slug, str(quiz.kind))] = shown_questions(quiz)
    tool = session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == TOOL))
    items = []
    for item in visible_items(tool):
        groups = {group: [b.code for b in item.behaviours if b.group is group and not b.is_hidden]
                  for group in BehaviourGroup}
        items.append({"id": item.id, "harmful": groups[BehaviourGroup.HARMFUL], "basic": groups[BehaviourGroup.BASIC],
                      "advanced": groups[BehaviourGroup.ADVANCED]})
    rules = {slug: session.scalar(sa.select(CertificationRule).where(CertificationRule.course_id == course.id,
                                                                     CertificationRule.organisation_id.is_(None)))
             for slug, course in courses.items()}
    return Content(courses, lessons, quizzes, questions, tool, items, [s.id for s in visible_scenarios(tool)], rules)


class _quiet:
    """Silence click.echo while the sync functions report (the generator prints its own summary)."""

    def __init__(self, click_module) -> None:
        self.click = click_module

    def __enter__(self) -> None:
        self.echo = self.click.echo
        self.click.echo = lambda *args, **kwargs: None

    def __exit__(self, *exc) -> None:
        self.click.echo = self.echo


def shown_questions(quiz) -> list[dict]:
    """The quiz's questions in Spanish, each with four answer orders and a right and a wrong response graded.

    An attempt row then picks an order and right or wrong: the snapshot, response, fraction and
    feedback are the app's own (its snapshot shape, its grading), computed once per question.
    """
    from app.demo.quiz_reports import _response
    from app.quizzes.attempts import _banks, _draw_questions, _shown
    from app.quizzes.gift import QuestionType
    from app.quizzes.grading import grade_response
    from app.quizzes.models import AttemptQuestion
    from app.quizzes.serialise import question_from_data

    bank = _banks(quiz, organisation_id=-1).get("es")
    if bank is None:
        return []
    rng = random.Random(quiz.id)
    shown = []
    for question, mark in _draw_questions(quiz, bank, rng):
        version = question.current_version
        orders = []
        for _ in range(4):
            snapshot = _shown(dict(version.data), rng if quiz.shuffle_answers else None)
            outcomes = {}
            for right in (True, False):
                probe = AttemptQuestion(qtype=version.qtype, snapshot=snapshot)
                response = _response(probe, right, rng)
                grade = grade_response(question_from_data(snapshot), response)
                outcomes[right] = (response, grade.fraction, list(grade.feedback))
            orders.append((RawJSON(json.dumps(snapshot)), outcomes))
        shown.append({"version_id": version.id, "key": question.key, "qtype": version.qtype,
                      "mark": Decimal(0) if version.qtype is QuestionType.DESCRIPTION else mark, "orders": orders})
    return shown


def declare_tables(writer: BulkWriter) -> None:
    """Every table the generator writes, parents before children, with the columns it gives."""
    from app.auth.models import User
    from app.certificates.models import Certificate, CertificationRule
    from app.competencies.models import (
        Assessment,
        HarmFlag,
        ItemRating,
        RemediationAction,
    )
    from app.courses.models import CohortCourse, LessonProgress
    from app.orgs.models import (
        Cohort,
        CohortMember,
        Organisation,
        RoleAssignment,
        Site,
        SupervisorAssignment,
    )
    from app.practice.models import PracticeCase, PracticeEntry, PracticeReview
    from app.quizzes.models import AttemptQuestion, QuizAttempt
    from app.supervision.models import (
        ActionItem,
        SessionAttendee,
        SupervisionCase,
        SupervisionSession,
    )
    from app.training.models import Attendance, TrainingDay

    stamps = ["created_at", "updated_at"]
    writer.table(Organisation, ["id", "slug", "name", "country", "default_language", "supervision_overdue_days",
                                "wellbeing_followup_score", *stamps])
    writer.table(Site, ["id", "organisation_id", "name", "region", "is_active", *stamps])
    writer.table(User, ["id", "organisation_id", "site_id", "username", "full_name", "email", "phone",
                        "preferred_language", "password_hash", "is_active_account", "deactivated_at", "last_login_at",
                        *stamps])
    writer.table(RoleAssignment, ["id", "user_id", "organisation_id", "role", "created_at"])
    writer.table(Cohort, ["id", "organisation_id", "site_id", "name", "starts_on", "ends_on", "status", *stamps])
    writer.table(CohortCourse, ["id", "cohort_id", "course_id", "language", "created_at"])
    writer.table(CohortMember, ["id", "cohort_id", "user_id", "role", "joined_at"])
    writer.table(SupervisorAssignment, ["id", "organisation_id", "supervisor_id", "trainee_id", "cohort_id",
                                        "created_at", "ended_at"])
    writer.table(LessonProgress, ["id", "user_id", "lesson_id", "completed_at"])
    writer.table(TrainingDay, ["id", "cohort_id", "held_on", "starts_at", "place", "topic", "facilitator_id",
                               "facilitator_name", "notes", *stamps])
    writer.table(Attendance, ["id", "training_day_id", "trainee_id", "status", "note", "recorded_by_id",
                              "recorded_at"])
    writer.table(QuizAttempt, ["id", "quiz_id", "user_id", "cohort_id", "number", "language", "status", "started_at",
                               "deadline_at", "submitted_at", "graded_at", "current_page", "score", "max_score",
                               "percent"])
    writer.table(AttemptQuestion, ["id", "attempt_id", "position", "question_version_id", "question_key", "qtype",
                                   "snapshot", "mark", "response", "answered_at", "fraction", "feedback",
                                   "graded_by_id", "grader_comment"])
    writer.table(Assessment, ["id", "organisation_id", "trainee_id", "assessor_id", "tool_id", "tool_version",
                              "cohort_id", "stage", "method", "scenario_id", "rating_session_id", "status",
                              "observed_on", "overall_note", "started_at", "saved_at", "submitted_at", "amends_id",
                              "amendment_reason", "superseded_at", "has_harm"])
    writer.table(ItemRating, ["id", "assessment_id", "item_id", "behaviour_codes", "not_observed", "level", "note"])
    writer.table(HarmFlag, ["id", "organisation_id", "trainee_id", "item_id", "status", "raised_by_id", "raised_at",
                            "cleared_by_id", "cleared_at", "behaviour_codes"])
    writer.table(RemediationAction, ["id", "flag_id", "description", "owner_id", "due_on", "done_at",
                                     "created_by_id", "created_at"])
    writer.table(SupervisionSession, ["id", "organisation_id", "supervisor_id", "site_id", "cohort_id", "format",
                                      "modality", "started_at", "duration_minutes", "topics", "notes",
                                      "assessment_id", "status", "draft_saved_at", "submitted_at", *stamps])
    writer.table(SessionAttendee, ["id", "session_id", "supervisee_id", "wellbeing_score", "wellbeing_note",
                                   "acknowledged_at"])
    writer.table(SupervisionCase, ["id", "session_id", "supervisee_id", "position", "client_code", "intervention",
                                   "session_number", "summary", "risk_level", "action_taken", "referral",
                                   "risk_alerted_at"])
    writer.table(ActionItem, ["id", "organisation_id", "session_id", "owner_id", "about_id", "description", "due_on",
                              "status", "is_wellbeing_followup", "created_at", "done_at", "done_by_id"])
    writer.table(PracticeCase, ["id", "organisation_id", "trainee_id", "client_code", "intervention",
                                "intervention_other", *stamps])
    writer.table(PracticeEntry, ["id", "organisation_id", "trainee_id", "case_id", "status", "session_number",
                                 "delivered_on", "duration_minutes", "mode", "risk_flags", "has_risk_flag",
                                 "risk_action", "outcome_before", "outcome_after", "custom_measure_name",
                                 "custom_measure_value", "notes", "submitted_at", "reviewed_at", "reviewed_by_id",
                                 "review_comment", *stamps])
    writer.table(PracticeReview, ["id", "entry_id", "reviewer_id", "decision", "comment", "created_at"])
    writer.table(CertificationRule, ["id", "course_id", "organisation_id", "criteria", "validity_months",
                                     "auto_issue", "template", "signatories", "refresher", "updated_by_id", *stamps])
    writer.table(Certificate, ["id", "organisation_id", "course_id", "trainee_id", "cohort_id", "code", "token",
                               "language", "issued_at", "issued_by_id", "valid_from", "valid_until", "snapshot",
                               "credential", "pdf_path", "pdf_sha256", "previous_id", "revoked_at", "revoked_by_id",
                               "revocation_reason", "revocation_note"])



# -- the known accounts ---------------------------------------------------------------------------

def known_account_activity(builder: Builder, content: Content, now) -> dict:
    """What the first organisation's known accounts are in the middle of, made with the app's own services:
    the trainee's pre-test in progress, and the supervisor's draft rating of a supervisee."""
    from datetime import timedelta

    from app.auth.models import User
    from app.competencies import services as rating
    from app.competencies.models import AssessmentMethod, AssessmentStage
    from app.demo.quiz_reports import _response
    from app.extensions import db
    from app.orgs.models import Cohort
    from app.quizzes.attempts import save_responses, start_attempt

    known = builder.known
    trainee = db.session.get(User, known["trainee"])
    supervisor = db.session.get(User, known["supervisor"])
    group = next(learner.cohort for learner in builder.learners if learner.id == trainee.id)
    rng = random.Random(8)
    attempt = start_attempt(content.quizzes[("pm-plus", "pre_test")], trainee, now=now - timedelta(hours=2), rng=rng)
    answered = {aq.position: _response(aq, rng.random() < 0.6, rng) for aq in attempt.questions[:10]}
    save_responses(attempt, answered, page=len(answered), now=now - timedelta(hours=1))

    mine = [l for l in builder.supervisees[supervisor.id] if l.is_active and l.id != trainee.id]
    supervisee = db.session.get(User, next((l.id for l in mine if l.cohort is group), mine[0].id if mine else trainee.id))
    assessment = rating.start_assessment(supervisor, supervisee, content.tool, AssessmentStage.MID,
                                         AssessmentMethod.ROLE_PLAY, cohort=db.session.get(Cohort, group.id),
                                         observed_on=now.date(), draw=True)
    items = rating.visible_items(content.tool)
    rating.save_ratings(assessment, {item.id: rating.ItemInput(behaviour_codes=[
        b.code for b in item.behaviours if b.group.value == "basic" and not b.is_hidden][: 1 + n % 3])
        for n, item in enumerate(items[:8])})
    return {"accounts": {role: builder.usernames[role] for role in KNOWN_ROLES},
            "cohort_id": group.id, "attempt_id": attempt.id, "assessment_id": assessment.id,
            "verify_token": builder.verify_token, "lesson": LESSON}


def known_pages(known: dict) -> list[tuple[str, str | None, str, str | None]]:
    """The main pages as the known accounts see them: (name, who signs in, path, a text that proves the page)."""
    cohort, who = known["cohort_id"], known["accounts"]
    pages = [
        ("trainee home", who["trainee"], "/", 'id="learning-heading"'),
        ("lesson", who["trainee"], f"/courses/pm-plus/lessons/{known['lesson']}", 'class="lesson-body"'),
        ("quiz page", who["trainee"], f"/attempts/{known['attempt_id']}", 'class="quiz-form"'),
        ("rating page", who["supervisor"], f"/competencies/assessments/{known['assessment_id']}/rate",
         'class="rating-form"'),
        ("supervisor home", who["supervisor"], "/", 'id="supervisees-heading"'),
        ("trainer home", who["trainer"], "/", 'id="teaching-heading"'),
        ("admin home", who["admin"], "/", 'id="org-heading"'),
        ("cohort page", who["trainer"], f"/cohorts/{cohort}", 'id="members-trainee"'),
        ("cohort dashboard", who["trainer"], f"/dashboards/cohorts/{cohort}", None),
        ("organisation dashboard", who["manager"], "/dashboards/organisation", None),
    ]
    if known.get("verify_token"):
        pages.append(("verification page", None, f"/verify/{known['verify_token']}", 'class="verify-status'))
    return pages


def check(app, known: dict, only: set[str] | None = None) -> list[str]:
    """Sign in as each known account and load its pages (or ``only`` these) in the app, no server: the problems."""
    import re

    def get(client, path: str, **kwargs):
        with app.app_context():  # each request its own context and `g`, as under a server
            return client.open(path, **kwargs)

    problems = []
    clients: dict[str | None, Any] = {None: app.test_client()}
    for name, username, path, expect in known_pages(known):
        if only is not None and name not in only:
            continue
        if username not in clients:
            client = app.test_client()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', get(client, "/login").get_data(as_text=True))
            answer = get(client, "/login", method="POST", data={
                "csrf_token": token.group(1) if token else "", "username": username, "password": DEMO_PASSWORD})
            if answer.status_code not in (302, 303):
                problems.append(f"{username}: signing in answered {answer.status_code}")
            clients[username] = client
        response = get(clients[username], path)
        if response.status_code != 200:
            problems.append(f"{name} ({username or 'anonymous'} GET {path}): HTTP {response.status_code}")
        elif expect and expect not in response.get_data(as_text=True):
            problems.append(f"{name} ({username or 'anonymous'} GET {path}): no {expect!r} on the page")
    return problems


# -- the command ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = issue 8's numbers (default); 0.01 for a quick try")
    parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same data")
    parser.add_argument("--instance", type=Path, default=ROOT / "instance-scale",
                        help="instance folder: the SQLite file (unless --database-url) and dataset.json")
    parser.add_argument("--database-url", help="PostgreSQL database to fill instead (EVERY TABLE IN IT IS DROPPED first)")
    parser.add_argument("--check", action="store_true", help="then sign in as each known account and load its pages")
    return parser.parse_args(argv)


def database_url(args: argparse.Namespace) -> str:
    return args.database_url or f"sqlite:///{args.instance.resolve() / 'acompana.db'}"


def fresh_schema(app) -> None:
    """An empty database with the current schema: every table dropped, created from the models, stamped
    at the newest migration (the generator writes into the same tables the app reads)."""
    import sqlalchemy as sa
    from flask_migrate import stamp

    from app.extensions import db

    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()
    stamp()


def print_report(report: dict) -> None:
    plan = report["plan"]
    print(f"\nGenerated scale {report['scale']:g} (seed {report['seed']}) on {report['database']} "
          f"in {report['seconds']:.1f} s: {plan['organisations']} organisations, {plan['sites']} sites, "
          f"{plan['cohorts']} cohorts, {plan['trainees']:,} trainees.")
    print("\nphase                                  seconds")
    for name, seconds in report["phases"].items():
        print(f"  {name:36} {seconds:8.1f}")
    print("\ntable                          rows   insert s   rows/s")
    total = 0
    for name, figures in sorted(report["tables"].items(), key=lambda kv: -kv[1]["rows"]):
        rate = figures["rows"] / figures["seconds"] if figures["seconds"] else 0
        total += figures["rows"]
        print(f"  {name:26} {figures['rows']:>10,} {figures['seconds']:9.1f} {rate:9,.0f}")
    print(f"  {'total':26} {total:>10,}")
    accounts = ", ".join(report["known"]["accounts"])
    print(f"\nKnown accounts (password {report['password']}): {accounts}; other organisations add -02, -03, ...")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.instance.mkdir(parents=True, exist_ok=True)
    if not args.database_url:
        for suffix in ("", "-wal", "-shm"):
            (args.instance / f"acompana.db{suffix}").unlink(missing_ok=True)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ["ACOMPANA_INSTANCE"] = str(args.instance.resolve())
    os.environ["DATABASE_URL"] = database_url(args)
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        fresh_schema(app)
        report = generate(db.engine, args.scale, args.seed)
    report["database_url"] = database_url(args).split("@")[-1]
    print_report(report)
    (args.instance / MANIFEST).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {args.instance / MANIFEST}")
    if args.check:
        problems = check(app, report["known"])
        for problem in problems:
            print(f"  CHECK: {problem}", file=sys.stderr)
        print("Check: every known account signed in and loaded its pages." if not problems else
              f"Check: {len(problems)} problem(s).")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

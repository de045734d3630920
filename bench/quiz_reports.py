"""Quiz report at scale: item analysis of 10,000 attempts × 40 questions, timed in-process.

    .venv/bin/python bench/quiz_reports.py                       # SQLite in a temporary folder
    .venv/bin/python bench/quiz_reports.py --attempts 2000       # quicker
    .venv/bin/python bench/quiz_reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_quizreports

Builds the data with bulk inserts (one cohort, one learner per attempt, 40 four-option questions
shown with shuffled answers, answers drawn from a one-parameter logistic model, two items with a
wrong key), then times the report's computation (``reports.item_analysis``, the response counts of
every question) and the pages (item analysis, one question, results, the CSV files) through the
Flask test client, signed in as the cohort's trainer. Prints the best of ``--repeat`` runs and the
peak memory; the PostgreSQL database named is emptied first (use one made for benchmarking).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = 40
PASSWORD = "bench-password-1234"


def build(db, attempts: int, seed: int = 7) -> dict:
    """Bulk-insert the organisation, cohort, course, quiz, learners, attempts and their questions."""
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.core.db import utcnow
    from app.courses.models import CohortCourse, Course
    from app.orgs.models import Cohort, CohortMember, Organisation, Role, RoleAssignment
    from app.quizzes.gift import parse_gift
    from app.quizzes.grading import grade_response
    from app.quizzes.models import AttemptQuestion, Quiz, QuizAttempt
    from app.quizzes.serialise import question_from_data, question_to_data

    rng = random.Random(seed)
    org = Organisation(slug="bench", name="Bench", country="MX")
    db.session.add(org)
    db.session.flush()
    trainer = User(organisation_id=org.id, username="bench.trainer", full_name="Bench Trainer",
                   preferred_language="en", password_hash=hash_password(PASSWORD))
    cohort = Cohort(organisation_id=org.id, name="Bench cohort")
    course = Course(slug="bench-course", version="1", languages=["es"], title={"es": "Curso"})
    db.session.add_all([trainer, cohort, course])
    db.session.flush()
    db.session.add_all([RoleAssignment(user_id=trainer.id, organisation_id=org.id, role=Role.TRAINER),
                        CohortMember(cohort_id=cohort.id, user_id=trainer.id, role="trainer"),
                        CohortCourse(cohort_id=cohort.id, course_id=course.id, language="es")])
    quiz = Quiz(course_id=course.id, slug="post-test", kind="post_test", bank_slug="bench", title={"es": "Prueba"})
    db.session.add(quiz)
    db.session.flush()

    items = []
    for n in range(QUESTIONS):
        gift = f"::B{n + 1:02d}::Pregunta {n + 1} sobre PM+ y la escucha.{{=Correcta {n}#Bien ~Distractor A {n} " \
               f"~Distractor B {n} ~Distractor C {n}}}"
        data = question_to_data(parse_gift(gift).questions[0])
        miskeyed = n in (7, 23)  # the right answer is the one strong learners avoid
        items.append((f"B{n + 1:02d}", data, rng.gauss(0, 1.2), miskeyed))

    hashed = hash_password(PASSWORD)
    now = utcnow()
    users = [{"organisation_id": org.id, "username": f"bench.{i}", "full_name": f"Learner {i:05d}",
              "preferred_language": "es", "password_hash": hashed, "created_at": now, "updated_at": now}
             for i in range(attempts)]
    db.session.execute(User.__table__.insert(), users)
    ids = db.session.scalars(db.select(User.id).where(User.username.like("bench.%"), User.id != trainer.id)
                             .order_by(User.id)).all()
    db.session.execute(CohortMember.__table__.insert(),
                       [{"cohort_id": cohort.id, "user_id": uid, "role": "trainee"} for uid in ids])
    db.session.execute(QuizAttempt.__table__.insert(), [
        {"quiz_id": quiz.id, "user_id": uid, "cohort_id": cohort.id, "number": 1, "language": "es",
         "status": "finished", "started_at": now, "submitted_at": now, "current_page": 0} for uid in ids])
    attempt_ids = db.session.execute(db.select(QuizAttempt.id, QuizAttempt.user_id)
                                     .where(QuizAttempt.quiz_id == quiz.id)).all()
    shown_cache: dict[tuple[int, tuple], tuple[dict, object]] = {}
    batch, totals = [], {}
    for attempt_id, _user in attempt_ids:
        ability = rng.gauss(0, 1)
        score = 0.0
        for position, (key, data, difficulty, miskeyed) in enumerate(items):
            order = tuple(rng.sample(range(4), 4))
            cached = shown_cache.get((position, order))
            if cached is None:
                shown = dict(data, answers=[data["answers"][i] for i in order])
                cached = shown_cache[(position, order)] = (shown, question_from_data(shown))
            shown, question = cached
            p_right = 1 / (1 + math.exp(-(ability - difficulty)))
            knows = rng.random() < p_right
            right_index = order.index(0)
            if miskeyed:
                knows = not knows
            response = right_index if knows else rng.choice([i for i in range(4) if i != right_index])
            if rng.random() < 0.02:
                response = None
            fraction = float(grade_response(question, response).fraction)
            score += fraction
            batch.append({"attempt_id": attempt_id, "position": position, "question_key": key,
                          "qtype": "multichoice", "snapshot": shown, "mark": 1, "response": response,
                          "fraction": fraction})
        totals[attempt_id] = score
        if len(batch) >= 40_000:
            db.session.execute(AttemptQuestion.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(AttemptQuestion.__table__.insert(), batch)
    db.session.execute(QuizAttempt.__table__.update().where(QuizAttempt.__table__.c.id == db.bindparam("aid"))
                       .values(score=db.bindparam("s"), max_score=QUESTIONS, percent=db.bindparam("p")),
                       [{"aid": a, "s": s, "p": round(100 * s / QUESTIONS, 4)} for a, s in totals.items()])
    db.session.commit()
    return {"cohort_id": cohort.id, "quiz_id": quiz.id, "course": course.slug, "quiz": quiz.slug}


def best_of(repeat: int, action) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def page_figures(app, world: dict, repeat: int) -> dict[str, tuple[float, int]]:
    """Each report page through the test client, signed in as the cohort's trainer: (best seconds, bytes)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.post("/login", data={"username": "bench.trainer", "password": PASSWORD}).status_code == 302
    base = f"/cohorts/{world['cohort_id']}/quiz-reports/{world['course']}/quizzes/{world['quiz']}"
    pages = {"item analysis page": base + "/items", "one question page": base + "/items/B01",
             "results page (all learners)": base, "items.csv": base + "/items.csv",
             "responses.csv": base + "/responses.csv"}
    figures = {}
    for name, path in pages.items():
        def fetch(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return len(response.get_data())
        figures[name] = best_of(repeat, fetch)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="acompana-bench-quiz-"))
    os.environ.setdefault("ACOMPANA_INSTANCE", str(folder))
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        world = build(db, args.attempts)
        print(f"built {args.attempts} attempts × {QUESTIONS} questions in {time.perf_counter() - start:.1f} s "
              f"on {db.engine.dialect.name}")

        from app.orgs.models import Cohort
        from app.quizzes import reports
        from app.quizzes.models import Quiz

        cohort, quiz = db.session.get(Cohort, world["cohort_id"]), db.session.get(Quiz, world["quiz_id"])
        figures = {}
        figures["item analysis (compute)"], analysis = best_of(
            args.repeat, lambda: reports.item_analysis(quiz, cohort, reports.AttemptScope.FIRST))
        figures["response counts, all questions (compute)"], _ = best_of(
            args.repeat, lambda: reports.response_distribution(quiz, cohort, reports.AttemptScope.FIRST))
        flagged = {item.key: [str(f) for f in item.flags] for item in analysis.items if item.flags}
        db.session.remove()

    pages = page_figures(app, world, args.repeat)

    with app.app_context():
        # What a covering index would save: the scan then never reads the snapshots stored in each row.
        cohort, quiz = db.session.get(Cohort, world["cohort_id"]), db.session.get(Quiz, world["quiz_id"])
        db.session.execute(db.text("CREATE INDEX ix_bench_attempt_questions_items ON attempt_questions "
                                   "(attempt_id, question_key, fraction, mark, question_version_id)"))
        db.session.commit()
        figures["item analysis (compute), with a covering index"], _ = best_of(
            args.repeat, lambda: reports.item_analysis(quiz, cohort, reports.AttemptScope.FIRST))
        db.session.execute(db.text("DROP INDEX ix_bench_attempt_questions_items"))
        db.session.commit()
        db.session.remove()
    figures.update({name: seconds for name, (seconds, _size) in pages.items()})
    sizes = {name: size for name, (_seconds, size) in pages.items()}


    print(f"\n{'measure':45} {'best s':>8} {'bytes':>10}")
    for name, seconds in figures.items():
        print(f"{name:45} {seconds:8.3f} {sizes.get(name, ''):>10}")
    print(f"\nattempts analysed: {analysis.test.attempts}, mean {analysis.test.mean:.1f} %, "
          f"alpha {analysis.test.cronbach_alpha:.3f}")
    print("flagged items:", json.dumps(flagged, ensure_ascii=False))
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

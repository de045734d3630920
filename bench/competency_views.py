"""Benchmark the competency reports: the cohort heat map (40 trainees × 15 items) and group progress
over 100,000 rated items, timed in-process (query and page) and under load (gunicorn, 2 workers).

    .venv/bin/python bench/competency_views.py                 # SQLite, 5 s of load per page
    .venv/bin/python bench/competency_views.py --seconds 10 --database-url postgresql://postgres@127.0.0.1/acompana_bench

See bench/README.md for how to read load figures.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import Server, Target  # noqa: E402

HEAT_TRAINEES = 40
BIG_TRAINEES = 1334  # × 5 rounds × 15 items ≈ 100,000 rated items
STAGES = ["pre", "mid", "post", "supervision", "recertification"]


def build(app, prefix: str) -> dict[str, int]:
    """Two cohorts of the demo organisation, taught by the demo trainer, rated with bulk inserts."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.competencies.models import Assessment, CompetencyItem, CompetencyTool, HarmFlag, ItemRating
    from app.core.db import utcnow
    from app.extensions import db
    from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, Role, RoleAssignment

    with app.app_context():
        trainer = db.session.scalar(sa.select(User).where(User.username == "trainer"))
        tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == "foundational-helping-skills"))
        items = list(db.session.scalars(sa.select(CompetencyItem).where(CompetencyItem.tool_id == tool.id)
                                        .order_by(CompetencyItem.position)))
        ids = {}
        for name, size, stages in ((f"{prefix} heat map", HEAT_TRAINEES, ["pre", "post"]),
                                   (f"{prefix} 100k", BIG_TRAINEES, STAGES)):
            cohort = Cohort(organisation_id=trainer.organisation_id, name=name, status=CohortStatus.ACTIVE)
            db.session.add(cohort)
            db.session.flush()
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainer.id, role=CohortRole.TRAINER))
            users = [{"organisation_id": trainer.organisation_id, "username": f"{prefix}-{cohort.id}-{i}",
                      "full_name": f"Bench {i:04d}", "password_hash": trainer.password_hash,
                      "preferred_language": "es"} for i in range(size)]
            db.session.execute(sa.insert(User), users)
            user_ids = list(db.session.scalars(sa.select(User.id).where(User.username.like(f"{prefix}-{cohort.id}-%"))))
            db.session.execute(sa.insert(RoleAssignment), [{"user_id": u, "organisation_id": trainer.organisation_id,
                                                            "role": Role.TRAINEE} for u in user_ids])
            db.session.execute(sa.insert(CohortMember), [{"cohort_id": cohort.id, "user_id": u,
                                                          "role": CohortRole.TRAINEE} for u in user_ids])
            now = utcnow()
            db.session.execute(sa.insert(Assessment), [
                {"organisation_id": trainer.organisation_id, "trainee_id": u, "assessor_id": trainer.id,
                 "tool_id": tool.id, "tool_version": tool.version, "cohort_id": cohort.id, "stage": stage,
                 "method": "role_play", "status": "submitted", "started_at": now, "submitted_at": now,
                 "has_harm": False} for u in user_ids for stage in stages])
            assessments = db.session.execute(sa.select(Assessment.id, Assessment.trainee_id)
                                             .where(Assessment.cohort_id == cohort.id)).all()
            ratings = []
            for n, (assessment_id, trainee_id) in enumerate(assessments):
                for j, item in enumerate(items):
                    level = (None, 1, 2, 3, 4, 2, 3)[(n + j * 3) % 7]
                    ratings.append({"assessment_id": assessment_id, "item_id": item.id, "behaviour_codes": [],
                                    "not_observed": level is None, "level": level})
            db.session.execute(sa.insert(ItemRating), ratings)
            flags = [{"organisation_id": trainer.organisation_id, "trainee_id": t, "item_id": items[n % 15].id,
                      "raised_by_id": a, "status": "open", "behaviour_codes": []}
                     for n, (a, t) in enumerate(assessments[:size:7])]
            db.session.execute(sa.insert(HarmFlag), flags)
            ids[name.split()[-1] if size == BIG_TRAINEES else "heat"] = cohort.id
            ids[f"ratings-{cohort.id}"] = len(ratings)
        db.session.commit()
        return {"heat": ids["heat"], "big": ids["100k"], "big_ratings": ids[f"ratings-{ids['100k']}"],
                "heat_ratings": ids[f"ratings-{ids['heat']}"]}


def timed(fn, repeat: int) -> dict[str, float]:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def in_process(app, ids: dict[str, int]) -> list[tuple[str, dict]]:
    import sqlalchemy as sa

    from app.auth.models import User
    from app.competencies import queries
    from app.competencies.models import CompetencyTool
    from app.extensions import db
    from app.orgs.models import Cohort

    results = []
    with app.app_context():
        trainer = db.session.scalar(sa.select(User).where(User.username == "trainer"))
        tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == "foundational-helping-skills"))
        heat, big = db.session.get(Cohort, ids["heat"]), db.session.get(Cohort, ids["big"])
        with app.test_request_context():
            from flask_login import login_user

            login_user(trainer)
            results.append(("heat map query (40 × 15)", timed(
                lambda: queries.heat_map(heat, tool, "pre", queries.trainee_scope(trainer, heat)), 20)))
            results.append((f"group progress query ({ids['big_ratings']:,} rated items)", timed(
                lambda: queries.group_progress(big, tool, queries.trainee_scope(trainer, big)), 5)))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "username": "trainer", "password": harness.DEMO_PASSWORD})
    statements: list[str] = []

    def record(*event_args) -> None:
        statements.append(event_args[2])

    client.get(f"/cohorts/{ids['heat']}/competencies?stage=pre")
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    client.get(f"/cohorts/{ids['heat']}/competencies?stage=pre")
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    count = len(statements)
    results.append(("heat map page in-process", {**timed(
        lambda: client.get(f"/cohorts/{ids['heat']}/competencies?stage=pre"), 20), "sql_statements": count}))
    results.append(("group progress page in-process (100k)", timed(
        lambda: client.get(f"/cohorts/{ids['big']}/competencies/progress"), 5)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", help="a PostgreSQL database made for benchmarking (it gets the demo data)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    client = args.client if args.client != "auto" else ("wrk" if harness.wrk_available() else "python")
    workdir = Path(tempfile.mkdtemp(prefix="acompana-bench-competency-"))
    try:
        env = harness.prepare_demo_database(workdir / "instance", args.database_url)
        os.environ.update({k: env[k] for k in ("ACOMPANA_INSTANCE", "DATABASE_URL", "SECRET_KEY")})
        from app import create_app

        app = create_app()
        started = time.perf_counter()
        ids = build(app, f"bench{int(time.time())}")
        print(f"Built {ids['heat_ratings']:,} + {ids['big_ratings']:,} rated items in "
              f"{time.perf_counter() - started:.1f} s ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
        for name, figures in in_process(app, ids):
            print(f"  {name:48} {figures}")
        backend = "postgresql" if args.database_url else "sqlite"
        with Server("wsgi:app", env, workdir / "gunicorn.log") as server:
            cookie = harness.sign_in(server.url, "trainer")
            targets = [Target("heat map 40 × 15 (trainer)", f"{server.url}/cohorts/{ids['heat']}/competencies?stage=pre",
                              cookie, 'class="heatmap"'),
                       Target("group progress 100k (trainer)", f"{server.url}/cohorts/{ids['big']}/competencies/progress",
                              cookie, 'class="progress-table"')]
            results = [harness.measure(t, backend, args.seconds, args.connections, client) for t in targets]
        print()
        print(harness.table(results))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

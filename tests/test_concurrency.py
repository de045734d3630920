"""Several OS processes doing read-modify-write on one row lose no update and never fail.

This is what several gunicorn workers do to a login throttle row. On SQLite it holds only
because write transactions begin IMMEDIATE: with a deferred BEGIN most of these
transactions fail with "database is locked", and with pysqlite's own transaction handling
a plain ORM read-then-write loses updates. On PostgreSQL it holds because of SELECT ... FOR UPDATE.
"""
from __future__ import annotations

import multiprocessing
import queue
import traceback

import sqlalchemy as sa

from tests.databases import backend, fresh_database

PROCESSES = 6
ITERATIONS = 25
IDENTIFIER = "shared-account"
IP = "203.0.113.7"
ORM_COUNTER = "counter:orm"  # a row incremented the way any service would: read for update, add one
# A day-long window and no free limit in reach: every failure just adds one.
THROTTLE = {"account_free": 10**9, "ip_free": 10**9, "window_minutes": 24 * 60,
            "first_delay_seconds": 1, "max_delay_seconds": 1}


def _worker(url: str, barrier, results) -> None:
    """One process, like one gunicorn worker or one CLI run: its own app, engine and transactions."""
    errors: list[str] = []
    try:
        from app import create_app
        from app.auth import throttle
        from app.auth.models import LoginThrottle
        from app.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOGIN_THROTTLE": THROTTLE})
        keys = throttle.ThrottleKeys.for_login(IDENTIFIER, IP)
        with app.app_context():
            barrier.wait(timeout=120)
            for _ in range(ITERATIONS):
                try:
                    throttle.seconds_to_wait(keys)  # read first, as authenticate() does
                    throttle.register_failure(keys)
                    db.session.commit()
                    row = db.session.get(LoginThrottle, ORM_COUNTER, with_for_update=True)
                    row.failures += 1
                    db.session.commit()
                except Exception as error:  # report every failure to the parent, keep going
                    db.session.rollback()
                    errors.append(f"{type(error).__name__}: {error}")
            db.session.remove()
            db.engine.dispose()
    except Exception:
        errors.append(traceback.format_exc())
    results.put(errors)


def test_parallel_register_failure_counts_every_attempt(tmp_path):
    from app.auth.models import LoginThrottle
    from app.auth.throttle import ThrottleKeys
    from app.core.db import utcnow
    from app.extensions import db

    with fresh_database(tmp_path, "acompana_conc") as url:
        engine = sa.create_engine(url)
        try:
            db.metadata.create_all(engine)
            with engine.begin() as conn:
                conn.execute(sa.insert(LoginThrottle).values(key=ORM_COUNTER, failures=0, window_started_at=utcnow()))
        finally:
            engine.dispose()

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(PROCESSES)
        results = context.Queue()
        processes = [context.Process(target=_worker, args=(url, barrier, results)) for _ in range(PROCESSES)]
        for process in processes:
            process.start()
        errors: list[str] = []
        try:
            for _ in processes:
                errors.extend(results.get(timeout=300))
        except queue.Empty:
            errors.append("a worker process did not report back within 300 s")
        finally:
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.terminate()
                    process.join()
            results.close()
            results.join_thread()

        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                counts = dict(conn.execute(sa.select(LoginThrottle.key, LoginThrottle.failures)).all())
        finally:
            engine.dispose()

    keys = ThrottleKeys.for_login(IDENTIFIER, IP)
    assert errors == [], f"{len(errors)} failed transactions on {backend()}, e.g. {errors[:3]}"
    assert not any("database is locked" in error for error in errors)
    assert all(process.exitcode == 0 for process in processes)
    total = PROCESSES * ITERATIONS
    assert counts == {keys.account: total, keys.ip: total, ORM_COUNTER: total}

"""One page of the scale data set, loaded in-process: median wall and CPU time per request,
statements per request and page size, optionally a cProfile of the app's own functions.

    .venv/bin/python bench/profile_page.py "supervisor home"            # SQLite data set in /tmp/acompana-scale
    .venv/bin/python bench/profile_page.py "rating page" --postgresql --profile
    .venv/bin/python bench/profile_page.py --list

Uses a data set made by `bench/generate.py` (see `bench/pages.py --dataset`). CPU time per request is
the figure to compare before and after a change: it moves less than wall time on a busy machine.
The page bench (`bench/pages.py`) remains the measure under load.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", help="a page name of bench.generate.known_pages")
    parser.add_argument("--data", type=Path, default=Path("/tmp/acompana-scale"))
    parser.add_argument("--postgresql", action="store_true", help="the PostgreSQL copy of the data set")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="print the slowest app functions (cumulative)")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    folder = args.data / ("postgresql" if args.postgresql else "sqlite")
    dataset = json.loads((folder / "dataset.json").read_text())
    os.environ["ACOMPANA_INSTANCE"] = str(folder)
    os.environ.setdefault("SECRET_KEY", "profile-page")
    url = dataset["database_url"]
    if "://" not in url:  # generate.py records a PostgreSQL address without its scheme and user
        url = f"postgresql+psycopg://postgres@{url}"
    os.environ["DATABASE_URL"] = url
    os.environ["VERIFY_RATE_LIMIT"] = "100000000/60"
    os.environ.setdefault("DASHBOARD_REFRESH", "off")

    from bench.generate import known_pages

    pages = {name: (username, path) for name, username, path, _expect in known_pages(dataset["known"])}
    if args.list or not args.page:
        for name, (username, path) in pages.items():
            print(f"{name:28} {username or '-':12} {path}")
        return 0
    username, path = pages[args.page]

    from app import create_app
    from app.extensions import db
    import sqlalchemy as sa

    app = create_app()
    client = app.test_client()
    if username:
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        answer = client.post("/login", data={"username": username, "password": dataset["password"], "csrf_token": token})
        assert answer.status_code in (302, 303), answer.status_code
    first = client.get(path)
    assert first.status_code == 200, (first.status_code, path)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    statements.clear()
    client.get(path)
    per_request = len(statements)
    if args.sql:
        for statement in statements:
            print("-", " ".join(statement.split())[:300])
    walls, cpus = [], []
    for _ in range(args.requests):
        w, c = time.perf_counter(), time.process_time()
        client.get(path)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    print(f"{args.page} ({'postgresql' if args.postgresql else 'sqlite'}): {path}\n"
          f"  median {statistics.median(walls) * 1000:.1f} ms wall, {statistics.median(cpus) * 1000:.1f} ms CPU, "
          f"{per_request} statements, {len(first.data) / 1024:.1f} KB, load {os.getloadavg()[0]:.1f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(max(10, args.requests // 2)):
            client.get(path)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(str(ROOT / "app"), 45)
    return 0


if __name__ == "__main__":
    sys.exit(main())

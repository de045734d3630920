"""Benchmark Acompaña's key pages against a Flask hello-world, in one run, and print a table.

    .venv/bin/python bench/pages.py                  # SQLite, 10 s per page, 16 connections
    .venv/bin/python bench/pages.py --seconds 5 --database-url postgresql://postgres@127.0.0.1/acompana_bench

See bench/README.md for what the figures mean.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import Server, Target  # noqa: E402

ROLES = ["trainee", "supervisor", "trainer", "admin"]
# A real lesson of the PM+ pack, which seed-demo gives the demo cohort in Spanish (after `content sync`).
PM_PLUS_LESSON = "/courses/pm-plus/lessons/03-assessment-safety-referral"
HOME_TEXT = {  # a section only this role's home page shows (present in every language: it is an id)
    "trainee": 'id="learning-heading"',
    "supervisor": 'id="supervisees-heading"',
    "trainer": 'id="teaching-heading"',
    "admin": 'id="org-heading"',
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="load time per page (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--database-url", help="also bench against this PostgreSQL database (it gets migrated and "
                                               "the demo data; use a database made for benchmarking)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when installed (default), else Python threads")
    parser.add_argument("--output", type=Path, help="JSON results file (default bench/results/pages-<time>.json)")
    return parser.parse_args(argv)


def app_targets(base_url: str) -> list[Target]:
    targets = [Target("login page (anonymous)", base_url + "/login", expect_text='name="password"')]
    cookies = {role: harness.sign_in(base_url, role) for role in ROLES}
    for role in ROLES:
        targets.append(Target(f"home: {role}", base_url + "/", cookies[role], HOME_TEXT[role]))
    targets.append(Target("My courses (trainee)", base_url + "/courses", cookies["trainee"],
                          'href="/courses/pm-plus"'))
    targets.append(Target("lesson page (trainee)", base_url + PM_PLUS_LESSON, cookies["trainee"],
                          'class="lesson-body"'))
    targets.append(Target("/healthz", base_url + "/healthz", expect_text='"database":"ok"'))
    return targets


def bench_backend(backend: str, env: dict[str, str], workdir: Path, args, client: str) -> list[harness.Result]:
    with Server("wsgi:app", env, workdir / f"gunicorn-{backend}.log") as server:
        results = []
        for target in app_targets(server.url):
            print(f"  {backend:10} {target.name} ...", flush=True)
            results.append(harness.measure(target, backend, args.seconds, args.connections, client))
        return results


def run(args, client: str, workdir: Path) -> tuple[list[harness.Result], list[harness.Result]]:
    """Hello-world first and last (its drift shows how steady the machine was), Acompaña's pages between."""
    backends = {"sqlite": harness.prepare_demo_database(workdir / "instance")}
    if args.database_url:
        backends["postgresql"] = harness.prepare_demo_database(workdir / "instance-pg", args.database_url)
    reference_env = harness.instance_env(workdir / "instance", "sqlite://")
    reference_env["PYTHONPATH"] = str(harness.BENCH)
    with Server("reference_app:app", reference_env, workdir / "gunicorn-reference.log", ready_path="/") as reference:
        hello = Target("hello-world (reference)", reference.url + "/", expect_text="Hello, World!")
        print("  reference  hello-world ...", flush=True)
        references = [harness.measure(hello, "—", args.seconds, args.connections, client)]
        pages = []
        for backend, env in backends.items():
            pages += bench_backend(backend, env, workdir, args, client)
        print("  reference  hello-world again ...", flush=True)
        hello.name = "hello-world (again, at the end)"
        references.append(harness.measure(hello, "—", args.seconds, args.connections, client))
    return references, pages


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    client = args.client if args.client != "auto" else ("wrk" if harness.wrk_available() else "python")
    if client == "wrk" and not harness.wrk_available():
        print("wrk is not installed (apt-get install wrk); use --client python", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="acompana-bench-"))
    started = time.time()
    load_before = os.getloadavg()
    if load_before[0] > (os.cpu_count() or 1) / 2:
        print(f"Warning: the machine is already busy (load average {load_before[0]:.1f} on {os.cpu_count()} CPUs); "
              "the figures will be low and noisy.", file=sys.stderr)
    print(f"Load: {args.connections} connections, {args.seconds:g} s per page, client {client}; "
          f"gunicorn with 2 sync workers for every app. Work dir: {workdir}")
    try:
        references, pages = run(args, client, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    reference_rps = sum(r.requests_per_second for r in references) / len(references)
    drift = abs(references[0].requests_per_second - references[1].requests_per_second) / reference_rps
    results = [references[0], *pages, references[1]]
    for result in results:
        result.ratio_to_reference = round(result.requests_per_second / reference_rps, 3) if reference_rps else None
    print()
    print(harness.table(results))
    print(f"\nRatios are to the mean of the two hello-world runs ({reference_rps:,.0f} req/s); "
          f"they differ by {drift:.0%}.")
    if drift > 0.15:
        print("The machine was not steady during the run (other work?): compare these figures with care.")

    output = args.output or ROOT / "bench" / "results" / time.strftime("pages-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "pages",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "took_seconds": round(time.time() - started, 1),
        "commit": harness.git_commit(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"seconds": args.seconds, "connections": args.connections, "client": client,
                     "gunicorn": "2 sync workers", "postgresql": bool(args.database_url)},
        "reference_requests_per_second": round(reference_rps, 1),
        "reference_drift": round(drift, 3),
        "results": [r.as_dict() for r in results],
    }
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Results written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    failed = [r.name for r in results if r.errors]
    if failed:
        print(f"Some requests failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

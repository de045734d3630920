"""Benchmark Acompaña's key pages against a Flask hello-world and a 50-row table page, in one run, and print a table.

    .venv/bin/python bench/pages.py                  # demo data, SQLite, 10 s per page, 16 connections
    .venv/bin/python bench/pages.py --seconds 5 --database-url postgresql://postgres@127.0.0.1/acompana_bench
    .venv/bin/python bench/pages.py --dataset --reuse /tmp/acompana-scale   # the national data set (generate.py)
    .venv/bin/python bench/pages.py --dataset --scale 0.1 --database-url postgresql://postgres@127.0.0.1/bench_scale

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

from bench import harness
from bench.generate import MANIFEST, known_pages
from bench.harness import Server, Target

ROLES = ["trainee", "supervisor", "trainer", "admin"]
# A real lesson of the PM+ pack, which seed-demo gives the demo cohort in Spanish (after `content sync`).
PM_PLUS_LESSON = "/courses/pm-plus/lessons/03-assessment-safety-referral"
HOME_TEXT = {  # a section only this role's home page shows (present in every language: it is an id)
    "trainee": 'id="learning-heading"',
    "supervisor": 'id="supervisees-heading"',
    "trainer": 'id="teaching-heading"',
    "admin": 'id="org-heading"',
}
# The pages issue 8 measures on the national data set (names from bench.generate.known_pages).
DATASET_PAGES = ["trainee home", "lesson", "quiz page", "rating page", "supervisor home", "cohort dashboard",
                 "organisation dashboard", "verification page"]
# Issue 8's targets: p50 and p99 of every page, the organisation dashboard's p50, and the throughput of the
# ordinary pages (all but the organisation dashboard) against the 50-row table page.
P50_MS, P99_MS, DASHBOARD_P50_MS, TABLE_SHARE = 50, 150, 300, 0.5
ORGANISATION_DASHBOARD = "organisation dashboard"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="load time per page (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--database-url", help="also bench against this PostgreSQL database (it gets migrated and "
                                               "the demo data, or with --dataset every table is dropped and the "
                                               "data set generated; use a database made for benchmarking)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when installed (default), else Python threads")
    parser.add_argument("--output", type=Path, help="JSON results file (default bench/results/pages-<time>.json)")
    parser.add_argument("--page-cache-seconds", type=int, metavar="N",
                        help="the app's PAGE_CACHE_SECONDS (default: the app's own, 60); 0 renders every page every time")
    parser.add_argument("--dataset", action="store_true",
                        help="measure on the national data set of bench/generate.py instead of the demo data")
    parser.add_argument("--scale", type=float, default=1.0, help="with --dataset: its scale (default 1.0)")
    parser.add_argument("--seed", type=int, default=2026, help="with --dataset: its random seed")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="with --dataset: keep the generated instances in DIR and reuse them when their scale "
                             "and seed match (DIR/sqlite, DIR/postgresql)")
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


def dataset_targets(base_url: str, known: dict) -> list[Target]:
    """The data set's pages as its known accounts see them (see bench.generate.known_pages)."""
    targets, cookies = [], {}
    for name, username, path, expect in known_pages(known):
        if name not in DATASET_PAGES:
            continue
        if username and username not in cookies:
            cookies[username] = harness.sign_in(base_url, username)
        targets.append(Target(f"{name} ({username})" if username else name, base_url + path,
                              cookies.get(username), expect))
    return targets


def prepare_dataset(instance: Path, database_url: str | None, args) -> tuple[dict[str, str], dict]:
    """Generate the data set into this instance (or reuse the one there when scale and seed match)."""
    import subprocess

    manifest_path = instance / MANIFEST
    wanted_url = (database_url or "").split("@")[-1]
    if args.reuse and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        same_database = not database_url or manifest.get("database_url") == wanted_url
        if manifest.get("scale") == args.scale and manifest.get("seed") == args.seed and same_database:
            print(f"  reusing the data set in {instance} (generated {manifest['generated_at']})", flush=True)
            manifest["reused"] = True
            return _app_env(instance, database_url), manifest
    instance.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(harness.BENCH / "generate.py"), "--scale", f"{args.scale:g}", "--seed",
               str(args.seed), "--instance", str(instance)]
    if database_url:
        command += ["--database-url", database_url]
    print(f"  generating the data set at scale {args.scale:g} in {instance} ...", flush=True)
    env = harness.instance_env(instance, database_url or f"sqlite:///{instance / 'acompana.db'}")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"generate.py failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    manifest = json.loads(manifest_path.read_text())
    print(f"  generated in {manifest['seconds']:.0f} s", flush=True)
    manifest["reused"] = False
    return _app_env(instance, database_url), manifest


def _app_env(instance: Path, database_url: str | None) -> dict[str, str]:
    env = harness.instance_env(instance, database_url or f"sqlite:///{instance / 'acompana.db'}")
    env["VERIFY_RATE_LIMIT"] = "1000000000/60"  # measure the verification page, not its per-client limit
    return env


def bench_backend(backend: str, env: dict[str, str], workdir: Path, args, client: str,
                  known: dict | None = None) -> list[harness.Result]:
    if args.page_cache_seconds is not None:
        env = {**env, "PAGE_CACHE_SECONDS": str(args.page_cache_seconds)}
    with Server("wsgi:app", env, workdir / f"gunicorn-{backend}.log") as server:
        results = []
        targets = dataset_targets(server.url, known) if known else app_targets(server.url)
        for target in targets:
            print(f"  {backend:10} {target.name} ...", flush=True)
            try:
                results.append(harness.measure(target, backend, args.seconds, args.connections, client))
            except (RuntimeError, OSError) as error:  # not 200, not the page, no answer: report the row, go on
                print(f"  {backend:10} {target.name}: {error}", file=sys.stderr, flush=True)
                results.append(harness.failed(target, backend, client, args.connections, str(error)))
        return results


def run(args, client: str, workdir: Path) -> tuple[list[harness.Result], list[harness.Result], dict]:
    """The references first and last (their drift shows how steady the machine was), Acompaña's pages between."""
    datasets: dict[str, dict] = {}
    if args.dataset:
        home = args.reuse or workdir
        backends = {}
        backends["sqlite"], datasets["sqlite"] = prepare_dataset(home / "sqlite", None, args)
        if args.database_url:
            backends["postgresql"], datasets["postgresql"] = prepare_dataset(home / "postgresql", args.database_url, args)
    else:
        backends = {"sqlite": harness.prepare_demo_database(workdir / "instance")}
        if args.database_url:
            backends["postgresql"] = harness.prepare_demo_database(workdir / "instance-pg", args.database_url)
    reference_env = harness.instance_env(workdir / "instance", "sqlite://")
    reference_env["PYTHONPATH"] = str(harness.BENCH)
    reference_env["REFERENCE_TABLE_DB"] = str(workdir / "table50.db")
    with Server("reference_app:app", reference_env, workdir / "gunicorn-reference.log", ready_path="/") as reference:
        hello = Target("hello-world (reference)", reference.url + "/", expect_text="Hello, World!")
        table50 = Target("50-row table (reference)", reference.url + "/table50", expect_text="<td>Persona 49</td>")
        references = []
        for target in (hello, table50):
            print(f"  reference  {target.name} ...", flush=True)
            references.append(harness.measure(target, "—", args.seconds, args.connections, client))
        pages = []
        for backend, env in backends.items():
            pages += bench_backend(backend, env, workdir, args, client, datasets.get(backend, {}).get("known"))
        for target in (hello, table50):
            target.name = target.name.replace("(reference)", "(again, at the end)")
            print(f"  reference  {target.name} ...", flush=True)
            references.append(harness.measure(target, "—", args.seconds, args.connections, client))
    return references, pages, datasets


def check_targets(result: harness.Result, table_rps: float) -> list[str]:
    """The targets of issue 8 this page missed."""
    if result.backend == "—" or not result.requests:
        return result.misses
    misses = []
    dashboard = result.name.startswith(ORGANISATION_DASHBOARD)
    if dashboard and result.p50_ms > DASHBOARD_P50_MS:
        misses.append(f"p50 > {DASHBOARD_P50_MS} ms")
    if not dashboard and result.p50_ms > P50_MS:
        misses.append(f"p50 > {P50_MS} ms")
    if not dashboard and result.p99_ms > P99_MS:
        misses.append(f"p99 > {P99_MS} ms")
    if not dashboard and result.requests_per_second < TABLE_SHARE * table_rps:
        misses.append(f"req/s < {TABLE_SHARE:.0%} of table50")
    return misses


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
          f"gunicorn with 2 sync workers for every app; page cache "
          f"{'app default' if args.page_cache_seconds is None else f'{args.page_cache_seconds} s'}. Work dir: {workdir}")
    try:
        references, pages, datasets = run(args, client, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    hello_runs, table_runs = references[0::2], references[1::2]
    reference_rps = sum(r.requests_per_second for r in hello_runs) / len(hello_runs)
    table_rps = sum(r.requests_per_second for r in table_runs) / len(table_runs)
    drift = abs(hello_runs[0].requests_per_second - hello_runs[1].requests_per_second) / reference_rps
    results = [*references[:2], *pages, *references[2:]]
    for result in results:
        result.ratio_to_reference = round(result.requests_per_second / reference_rps, 3) if reference_rps else None
        result.ratio_to_table = round(result.requests_per_second / table_rps, 3) if table_rps else None
        result.misses = check_targets(result, table_rps)
    print()
    print(harness.table(results))
    print(f"\nRatios are to the mean of the two runs of each reference: hello-world {reference_rps:,.0f} req/s "
          f"(the two differ by {drift:.0%}), 50-row table {table_rps:,.0f} req/s.")
    print(f"Targets: p50 <= {P50_MS} ms and p99 <= {P99_MS} ms, organisation dashboard p50 <= {DASHBOARD_P50_MS} ms, "
          f"ordinary pages >= {TABLE_SHARE:.0%} of the 50-row table's req/s.")
    if drift > 0.15:
        print("The machine was not steady during the run (other work?): compare these figures with care.")
    for backend, manifest in datasets.items():
        plan = manifest["plan"]
        print(f"Data set on {backend}: scale {manifest['scale']:g}, {plan['trainees']:,} trainees, "
              f"{sum(t['rows'] for t in manifest['tables'].values()):,} rows, "
              + (f"reused from {manifest['generated_at']}" if manifest.get("reused")
                 else f"generated in {manifest['seconds']:.0f} s"))

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
                     "gunicorn": "2 sync workers", "postgresql": bool(args.database_url),
                     "page_cache_seconds": args.page_cache_seconds if args.page_cache_seconds is not None else "default",
                     "data": f"dataset scale {args.scale:g}, seed {args.seed}" if args.dataset else "demo"},
        "targets": {"p50_ms": P50_MS, "p99_ms": P99_MS, "organisation_dashboard_p50_ms": DASHBOARD_P50_MS,
                    "share_of_table50_requests_per_second": TABLE_SHARE},
        "datasets": {backend: {key: manifest.get(key) for key in ("scale", "seed", "plan", "seconds", "phases",
                                                                   "tables", "generated_at", "reused")}
                     for backend, manifest in datasets.items()},
        "reference_requests_per_second": round(reference_rps, 1),
        "table50_requests_per_second": round(table_rps, 1),
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

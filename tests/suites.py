"""Run the whole suite on SQLite, then PostgreSQL, then the browser tests; say what ran and what did not.

REQUIRE_ALL_SUITES=1 (set by .ci/run) turns a suite skipped for lack of PostgreSQL or
Chromium into a failure, so CI always runs all three.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> tuple[str | None, str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, "TEST_DATABASE_URL"
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return DEFAULT_PG, "a server answers on 127.0.0.1:5432"
    except OSError:
        return None, "no TEST_DATABASE_URL and nothing answers on 127.0.0.1:5432"


def redis_available() -> tuple[bool, str]:
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    host_port = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return True, url
    except OSError:
        return False, f"nothing answers at {url} (set TEST_REDIS_URL)"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def run(name: str, args: list[str], env: dict[str, str]) -> bool:
    print(f"\n=== {name} ===", flush=True)
    return subprocess.run([PYTHON, *args], cwd=ROOT, env=env).returncode == 0


def main() -> int:
    require_all = os.environ.get("REQUIRE_ALL_SUITES") == "1"
    base_env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    results: list[tuple[str, str]] = []

    packs_ok = run("Content packs", ["-m", "flask", "--app", "wsgi", "content", "validate"], base_env)
    results.append(("Content packs (flask content validate)", "passed" if packs_ok else "FAILED"))

    unit = ["-m", "pytest", "tests", "--ignore=tests/e2e", "-p", "no:cacheprovider"]
    has_redis, redis_why = redis_available()
    if has_redis:
        results.append((f"Redis tests (RQ jobs, {redis_why})", "run within the SQLite and PostgreSQL suites"))
    else:
        unit += ["-m", "not redis"]
        results.append(("Redis tests (RQ jobs)", f"SKIPPED: {redis_why}"))
    results.append(("SQLite suite", "passed" if run("SQLite suite", unit, base_env) else "FAILED"))

    url, why = postgres_url()
    if url:
        env = dict(base_env, TEST_DATABASE_URL=url)
        results.append((f"PostgreSQL suite ({why})", "passed" if run("PostgreSQL suite", unit, env) else "FAILED"))
    else:
        results.append(("PostgreSQL suite", f"SKIPPED: {why}"))

    chromium = chromium_path()
    if chromium:
        env = dict(base_env, CHROMIUM_PATH=chromium)
        browser = ["-m", "pytest", "tests/e2e", "-p", "no:cacheprovider"]
        results.append((f"Browser suite ({chromium})", "passed" if run("Browser suite", browser, env) else "FAILED"))
    else:
        results.append(("Browser suite", "SKIPPED: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)"))

    print("\n=== Summary ===")
    failed = False
    for name, outcome in results:
        print(f"{name}: {outcome}")
        failed |= outcome == "FAILED" or (require_all and outcome.startswith("SKIPPED"))
    if require_all and any(o.startswith("SKIPPED") for _, o in results):
        print("REQUIRE_ALL_SUITES=1: a skipped suite counts as a failure.")
    print("RESULT:", "FAILED" if failed else "all suites that ran passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load-test building blocks: servers, a signed-in cookie, and a load generator (wrk, else Python threads).

Every figure is measured against a hello-world Flask app served the same way in the same run, so a
result reads as "this page costs N hello-worlds" on whatever machine ran it.
"""
from __future__ import annotations

import html
import http.client
import json
import math
import re
import shutil
import statistics
import subprocess
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.e2e.live_server import ROOT, Server, instance_env, prepare_demo_database

__all__ = ["ROOT", "Result", "Server", "Target", "failed", "instance_env", "measure", "prepare_demo_database", "sign_in",
           "table"]

BENCH = Path(__file__).resolve().parent
LUA_REPORT = BENCH / "wrk_report.lua"
DEMO_PASSWORD = "acompana-demo"
SESSION_COOKIE = "acompana_session"


@dataclass
class Target:
    """One URL to load, with the cookie of whoever is looking, and a text that proves the right page came back."""

    name: str
    url: str
    cookie: str | None = None
    expect_text: str | None = None


@dataclass
class Result:
    name: str
    url: str
    backend: str
    client: str
    seconds: float
    connections: int
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    ratio_to_reference: float | None = None  # to the hello-world
    ratio_to_table: float | None = None  # to the 50-row table page
    misses: list[str] = field(default_factory=list)  # the targets this page missed (bench/pages.py TARGETS)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# -- talking to the app -------------------------------------------------------------------------

def _connection(url: str, timeout: float = 10) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), path


def fetch(url: str, cookie: str | None = None, method: str = "GET", body: str | None = None,
          timeout: float = 10) -> tuple[int, dict, str]:
    """One request; returns status, headers (lower-case names; Set-Cookie values joined) and text."""
    conn, path = _connection(url, timeout)
    headers = {"Accept-Language": "es-MX"}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        found = {k.lower(): v for k, v in response.getheaders()}
        found["set-cookie"] = response.msg.get_all("Set-Cookie") or []
        return response.status, found, text
    finally:
        conn.close()


def _cookie_value(set_cookies: list[str], name: str) -> str | None:
    for header in set_cookies:
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


def sign_in(base_url: str, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in as a browser would (GET the form for its CSRF token, POST it); returns a Cookie header value."""
    status, headers, page = fetch(base_url + "/login")
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    anonymous = _cookie_value(headers["set-cookie"], SESSION_COOKIE)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not (anonymous and token):
        raise RuntimeError("the sign-in page gave no session cookie or CSRF token")
    form = urllib.parse.urlencode({"csrf_token": html.unescape(token.group(1)), "username": username,
                                   "password": password, "next": ""})
    status, headers, _ = fetch(base_url + "/login", f"{SESSION_COOKIE}={anonymous}", "POST", form)
    signed_in = _cookie_value(headers["set-cookie"], SESSION_COOKIE)
    if status not in (302, 303) or not signed_in:
        raise RuntimeError(f"signing in as {username} failed: HTTP {status}")
    return f"{SESSION_COOKIE}={signed_in}"


def preflight(target: Target) -> None:
    """Make sure the URL answers 200 with the expected page: a redirect to /login would bench the wrong page.

    The first load may be slow (a dashboard computing its figures on a large data set): it may take minutes.
    """
    status, _, text = fetch(target.url, target.cookie, timeout=600)
    if status != 200:
        raise RuntimeError(f"{target.name}: {target.url} answered HTTP {status}, not 200")
    if target.expect_text and target.expect_text not in text:
        raise RuntimeError(f"{target.name}: {target.url} did not contain {target.expect_text!r}")


def warm_up(target: Target, requests: int = 30) -> None:
    """Let both workers import, compile templates and open database connections before measuring."""
    for _ in range(requests):
        fetch(target.url, target.cookie, timeout=60)


# -- load generators ----------------------------------------------------------------------------

def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(target: Target, seconds: float, connections: int, threads: int = 2) -> dict:
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
               "-s", str(LUA_REPORT), "-H", "Accept-Language: es-MX"]
    if target.cookie:
        command += ["-H", f"Cookie: {target.cookie}"]
    out = subprocess.run(command + [target.url], capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((l for l in out.stdout.splitlines() if l.startswith("WRK-JSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line[len("WRK-JSON "):])
    duration = data["duration_us"] / 1e6
    errors = sum(data["errors"].values())
    return {
        "requests": data["requests"], "errors": errors, "seconds": duration,
        "rps": data["requests"] / duration if duration else 0.0,
        "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000,
        "extra": {"p90_ms": data["p90_us"] / 1000, "mean_ms": data["mean_us"] / 1000, "max_ms": data["max_us"] / 1000,
                  "bytes": data["bytes"], "error_kinds": data["errors"]},
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(pct / 100 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[index]


def run_python_client(target: Target, seconds: float, connections: int) -> dict:
    """The fallback when wrk is missing: one thread per connection, keep-alive when the server allows it.

    Python's GIL caps it well below wrk, so compare its figures only with other Python-client runs.
    """
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    headers = {"Accept-Language": "es-MX", **({"Cookie": target.cookie} if target.cookie else {})}
    start = time.perf_counter()
    deadline = start + seconds

    def worker(slot: int) -> None:
        conn, path = _connection(target.url)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[slot] += 1
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
                conn, path = _connection(target.url)
                continue
            latencies[slot].append(time.perf_counter() - began)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    merged = sorted(x for slot in latencies for x in slot)
    return {
        "requests": len(merged), "errors": sum(errors), "seconds": elapsed,
        "rps": len(merged) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(merged, 50) * 1000, "p99_ms": percentile(merged, 99) * 1000,
        "extra": {"mean_ms": statistics.fmean(merged) * 1000 if merged else 0.0},
    }


def measure(target: Target, backend: str, seconds: float, connections: int, client: str) -> Result:
    preflight(target)
    warm_up(target)
    figures = run_wrk(target, seconds, connections) if client == "wrk" else run_python_client(target, seconds, connections)
    return Result(
        name=target.name, url=target.url, backend=backend, client=client, seconds=round(figures["seconds"], 2),
        connections=connections, requests=figures["requests"], errors=figures["errors"],
        requests_per_second=round(figures["rps"], 1), p50_ms=round(figures["p50_ms"], 2),
        p99_ms=round(figures["p99_ms"], 2), extra=figures["extra"],
    )


# -- reporting ----------------------------------------------------------------------------------

def table(results: list[Result]) -> str:
    rows = [("page", "backend", "req/s", "p50 ms", "p99 ms", "vs hello", "vs table50", "errors", "targets")]
    for r in results:
        ratio = f"{r.ratio_to_reference:.2f}" if r.ratio_to_reference is not None else "—"
        ratio_table = f"{r.ratio_to_table:.2f}" if r.ratio_to_table is not None else "—"
        evaluated = r.ratio_to_table is not None and r.backend != "—"
        targets = "MISSED: " + "; ".join(r.misses) if r.misses else ("ok" if evaluated else "")
        rows.append((r.name, r.backend, f"{r.requests_per_second:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", ratio,
                     ratio_table, str(r.errors), targets))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i < 2 or i == len(row) - 1 else cell.rjust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def failed(target: Target, backend: str, client: str, connections: int, error: str) -> Result:
    """A row for a page that could not be measured (not 200, or not the expected page): it counts as an error."""
    return Result(name=target.name, url=target.url, backend=backend, client=client, seconds=0.0,
                  connections=connections, requests=0, errors=1, requests_per_second=0.0, p50_ms=0.0, p99_ms=0.0,
                  misses=["not measured"], extra={"error": error})


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5,
                             check=False)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except OSError:
        return None

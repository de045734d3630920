"""Benchmark the rating page: a supervisor's 15-item draft (foundational helping skills) under load, an
autosave round trip, and the bytes a phone downloads for it (gzip), against a hello-world reference.

    .venv/bin/python bench/rating.py                  # SQLite, 5 s of load per page, 16 connections
    .venv/bin/python bench/rating.py --seconds 10

See bench/README.md for how to read load figures.
"""
from __future__ import annotations

import argparse
import gzip
import html
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import Server, Target  # noqa: E402


def start_draft(base_url: str, cookie: str) -> tuple[str, str, str, str]:
    """As the demo supervisor: start a 15-item assessment of a supervisee; return its URL, cookie, CSRF token, an item."""
    status, headers, page = harness.fetch(base_url + "/competencies/assess/new", cookie)
    assert status == 200, status
    renewed = harness._cookie_value(headers["set-cookie"], harness.SESSION_COOKIE)
    cookie = f"{harness.SESSION_COOKIE}={renewed}" if renewed else cookie
    token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
    trainee = re.search(r'<select[^>]*name="trainee_id"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    tool = next(value for value, label in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', page)
                if "básicas de ayuda" in label or "Foundational" in label)
    form = urllib.parse.urlencode({"csrf_token": token, "trainee_id": trainee, "tool_id": tool, "stage": "pre",
                                   "method": "role_play", "scenario_id": 0})
    status, headers, _ = harness.fetch(base_url + "/competencies/assess/new", cookie, "POST", form)
    assert status == 302, (status, _)
    url = base_url + urllib.parse.urlsplit(headers["location"]).path
    status, _, page = harness.fetch(url, cookie)
    item = re.search(r'data-item="(\d+)"', page).group(1)
    return url, cookie, token, item


def autosave_latency(url: str, cookie: str, token: str, item: str, repeat: int = 100) -> dict[str, float]:
    """Sequential autosave POSTs (one item ticked each time), as the rating.js does after each change."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    times = []
    for n in range(repeat):
        body = urllib.parse.urlencode({"csrf_token": token, f"i{item}_none": "y"} if n % 2 else
                                      {"csrf_token": token, f"i{item}_na": "y"})
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        start = time.perf_counter()
        conn.request("POST", parts.path, body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "X-Autosave": "1",
            "X-CSRFToken": token, "Referer": url})
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        conn.close()
        assert response.status == 200, response.status
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(len(times) * 0.95) - 1], 1)}


def page_weight(base_url: str, url: str, cookie: str) -> dict[str, int]:
    """Bytes of the page, its CSS and rating.js, compressed with gzip as a proxy would."""
    _, _, page = harness.fetch(url, cookie)
    sizes = {"html": len(gzip.compress(page.encode()))}
    for kind, path in (("css", r'href="(/static/css/app\.css[^"]*)"'), ("js", r'src="(/static/js/rating\.js[^"]*)"')):
        _, _, text = harness.fetch(base_url + html.unescape(re.search(path, page).group(1)))
        sizes[kind] = len(gzip.compress(text.encode()))
    sizes["total"] = sum(sizes.values())
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    client = args.client if args.client != "auto" else ("wrk" if harness.wrk_available() else "python")
    workdir = Path(tempfile.mkdtemp(prefix="acompana-bench-rating-"))
    try:
        env = harness.prepare_demo_database(workdir / "instance")
        reference_env = harness.instance_env(workdir / "instance", "sqlite://")
        reference_env["PYTHONPATH"] = str(harness.BENCH)
        with Server("reference_app:app", reference_env, workdir / "ref.log", ready_path="/") as reference, \
                Server("wsgi:app", env, workdir / "app.log") as server:
            hello = harness.measure(Target("hello-world (reference)", reference.url + "/", expect_text="Hello"),
                                    "—", args.seconds, args.connections, client)
            cookie = harness.sign_in(server.url, "supervisor")
            url, cookie, token, item = start_draft(server.url, cookie)
            results = [hello]
            for target in (Target("rating page, 15 items (supervisor)", url, cookie, "data-rating"),
                           Target("assessments list (supervisor)", server.url + "/competencies/assess", cookie,
                                  "/competencies/assessments/"),
                           Target("notifications (supervisor)", server.url + "/notifications", cookie, "<h1>")):
                results.append(harness.measure(target, "sqlite", args.seconds, args.connections, client))
            for result in results[1:]:
                result.ratio_to_reference = result.requests_per_second / hello.requests_per_second
            saves = autosave_latency(url, cookie, token, item)
            weight = page_weight(server.url, url, cookie)
        print(harness.table(results))
        print(f"autosave round trip (sequential, 100 POSTs): median {saves['median_ms']} ms, p95 {saves['p95_ms']} ms")
        print(f"rating page transfer, gzip: html {weight['html']} B + css {weight['css']} B + js {weight['js']} B "
              f"= {weight['total']} B (budget 50 KB)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

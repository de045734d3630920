"""Quiz benchmarks: grading a 40-question attempt, and the quiz page a learner answers, under load.

    .venv/bin/python bench/quizzes.py                 # both (the page needs the migrated demo database)
    .venv/bin/python bench/quizzes.py --grading-only  # in-process grading only, no server

Grading: 40 questions of the PM+ knowledge bank (every type it has), each answered, graded from
the JSON snapshot exactly as ``submit_attempt`` does (question_from_data + grade_response), timed
over many rounds; prints the median and p99 per attempt. Page: the demo trainee starts the PM+
post-test, then ``GET /attempts/<id>`` (her current page) is loaded with the harness of bench/pages.py.
"""
from __future__ import annotations

import argparse
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


def forty_question_attempt() -> list[tuple[dict, object]]:
    """(snapshot, response) for 40 questions: the PM+ bank's 24 repeated, each with a plausible response."""
    from app.quizzes.gift import QuestionType, parse_gift
    from app.quizzes.serialise import question_to_data

    questions = parse_gift((ROOT / "quizzes" / "pm-plus-knowledge.es.gift").read_text(encoding="utf-8")).questions
    pairs = []
    for index in range(40):
        question = questions[index % len(questions)]
        match question.qtype:
            case QuestionType.MULTICHOICE:
                response: object = index % len(question.answers)
            case QuestionType.MULTIRESPONSE:
                response = [0, len(question.answers) - 1]
            case QuestionType.TRUEFALSE:
                response = index % 2 == 0
            case QuestionType.MATCHING:
                response = {str(i): pair.answer for i, pair in enumerate(question.stems)}
            case _:
                response = "respuesta"
        pairs.append((question_to_data(question), response))
    return pairs


def bench_grading(rounds: int) -> dict:
    from app.quizzes.grading import grade_response
    from app.quizzes.serialise import question_from_data

    attempt = forty_question_attempt()
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        for snapshot, response in attempt:
            if isinstance(response, dict):
                response = {int(k): v for k, v in response.items()}
            grade_response(question_from_data(snapshot), response)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {"rounds": rounds, "median_ms": round(statistics.median(timings), 3),
            "p99_ms": round(harness.percentile(timings, 99), 3)}


def _start_attempt(base_url: str, cookie: str, quiz_path: str) -> str:
    status, _, page = harness.fetch(base_url + quiz_path, cookie)
    form = re.search(r'action="(/quizzes/\d+/start)".*?name="csrf_token"[^>]*value="([^"]+)"', page, re.S)
    if status != 200 or not form:
        raise RuntimeError(f"{quiz_path}: no Start button (HTTP {status})")
    body = urllib.parse.urlencode({"csrf_token": html.unescape(form.group(2))})
    status, headers, _ = harness.fetch(base_url + form.group(1), cookie, "POST", body)
    if status not in (302, 303) or "/attempts/" not in headers.get("location", ""):
        raise RuntimeError(f"starting the attempt answered HTTP {status}")
    return urllib.parse.urlsplit(headers["location"]).path


def bench_page(seconds: float, connections: int, client: str) -> list[harness.Result]:
    workdir = Path(tempfile.mkdtemp(prefix="acompana-bench-quiz-"))
    try:
        env = harness.prepare_demo_database(workdir / "instance")
        with harness.Server("wsgi:app", env, workdir / "gunicorn.log") as server:
            cookie = harness.sign_in(server.url, "trainee")
            status, _, course = harness.fetch(server.url + "/courses/pm-plus", cookie)
            quizzes = re.findall(r'href="(/quizzes/\d+)"', course)
            if status != 200 or len(quizzes) < 2:
                raise RuntimeError("the PM+ course page lists no tests")
            take = _start_attempt(server.url, cookie, quizzes[-1])  # the post-test: she has attempts left
            targets = [harness.Target("quiz page (take, trainee)", server.url + take, cookie, 'class="quiz-form"'),
                       harness.Target("course page with tests", server.url + "/courses/pm-plus", cookie,
                                      'id="quizzes-heading"')]
            return [harness.measure(target, "sqlite", seconds, connections, client) for target in targets]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--grading-only", action="store_true")
    args = parser.parse_args(argv)
    grading = bench_grading(args.rounds)
    print(f"grading a 40-question attempt: median {grading['median_ms']} ms, p99 {grading['p99_ms']} ms "
          f"({grading['rounds']} rounds, in process)")
    if args.grading_only:
        return 0
    client = "wrk" if harness.wrk_available() else "python"
    results = bench_page(args.seconds, args.connections, client)
    print(harness.table(results))
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

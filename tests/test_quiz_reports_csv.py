"""CSV exports: Excel-ready bytes, the page's language in the header, formulas defused, the same numbers."""
from __future__ import annotations

import csv
import io

import pytest

from app.core.csv_files import neutralise, to_csv
from tests.quiz_support import make_attempt, make_course, make_quiz


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+52 55", "'+52 55"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"),
    ("Ana =1", "Ana =1"),
    (-12.5, "-12.5"),             # a number stays a number
    (66.66666667, "66.6667"),
    (0.5, "0.5"),
    (3, "3"),
    (None, ""),
    (True, "1"),
])
def test_cells_are_written_plain_and_formulas_defused(cell, written):
    assert neutralise(cell) == written


def test_the_file_starts_with_a_bom_and_uses_crlf():
    text = to_csv(["Nombre", "Nota"], [["José", 80.0]])
    assert text == "\ufeffNombre,Nota\r\nJosé,80\r\n"


@pytest.fixture
def exported(make_user, make_cohort):
    trainer = make_user("trainer", preferred_language="es")
    tricky = make_user("trainee", full_name="=cmd|' /C calc'!A0")
    plain = make_user("trainee", full_name="Lucía Pérez")
    cohort = make_cohort(members={"trainee": [tricky, plain], "trainer": [trainer]})
    course = make_course(cohort)
    pre = make_quiz(course, "pre-test", "pre_test")
    post = make_quiz(course, "post-test", "post_test")
    make_attempt(pre, tricky, cohort, {"Q1": 1, "Q2": True, "Q3": "5"})
    make_attempt(pre, plain, cohort, {"Q1": 0, "Q2": True, "Q3": "5"})
    make_attempt(post, plain, cohort, percent=50)
    base = f"/cohorts/{cohort.id}/quiz-reports/{course.slug}"
    return {"trainer": trainer, "base": base, "pre": f"{base}/quizzes/pre-test", "course": course}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_results_csv_in_the_readers_language_with_the_names_defused(client, login, exported):
    login(exported["trainer"])  # prefers Spanish
    rows = _csv(client.get(exported["pre"] + "/results.csv"))
    assert rows[0][:2] == ["Participante", "Nombre de usuario"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"'=cmd|' /C calc'!A0", "Lucía Pérez"}
    assert by_name["Lucía Pérez"][2:7] == ["1", "0", "0", "100", "1"]
    assert by_name["'=cmd|' /C calc'!A0"][5:7] == ["66.6667", "0"]


def test_pre_post_csv_has_gain_and_normalized_gain(client, login, exported):
    login(exported["trainer"])
    rows = _csv(client.get(exported["base"] + "/pre-post.csv"))
    assert len(rows[0]) == 6
    lucia = next(row for row in rows if row[0] == "Lucía Pérez")
    assert lucia[2:] == ["100", "50", "-50", ""]   # pre 100: g undefined, left empty
    tricky = next(row for row in rows if row[0].startswith("'="))
    assert tricky[2:] == ["66.6667", "", "", ""]


def test_item_and_response_csv(client, login, exported):
    login(exported["trainer"])
    items = _csv(client.get(exported["pre"] + "/items.csv"))
    assert len(items) == 4 and len(items[0]) == 9
    q1 = next(row for row in items if row[0] == "Q1")
    assert q1[2:6] == ["multichoice", "2", "50", "70.7107"]
    responses = _csv(client.get(exported["pre"] + "/responses.csv?attempts=all"))
    chosen = {(row[0], row[4]): row for row in responses[1:]}
    assert chosen[("Q1", "Un ayudante formado")][5:9] == ["1", "1", "1", "0.5"]
    assert chosen[("Q1", "Nadie")][5:8] == ["0", "0", "1"]
    assert chosen[("Q1", "Solo un psiquiatra")][7] == "0"
    assert ("Q2", "Verdadero") in chosen or ("Q2", "True") in chosen
    assert chosen[("Q3", "5")][7] == "2"

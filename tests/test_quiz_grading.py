"""Grading follows Moodle: the chosen answer's weight, sums held in 0..1, first match wins."""
from __future__ import annotations

from decimal import Decimal
from itertools import combinations

import pytest

from app.quizzes.gift import parse_gift
from app.quizzes.grading import Grade, grade_response, parse_number, short_answer_matches

D = Decimal


def question(text: str):
    return parse_gift(text).questions[0]


SINGLE = question("Q?{~wrong#no ~%50%half#almost =right#yes ~%-25%bad}")
MULTI = question("Q?{~%50%a#A ~%50%b ~%-100%c#C ~d}")
TRUE_FALSE = question("Sky is blue.{T#No.#Yes.}")
SHORT = question("Best animal?{=Frog#Good! =%50%*cat*#Cats =%0%*#Wrong}")
NUMERIC = question("Grant?{#=1822:0#Exact =%50%1820..1824#Close ~#Far}")
MATCHING = question("Match{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo = -> Lima}")


@pytest.mark.parametrize(("q", "response", "fraction", "feedback"), [
    (SINGLE, 2, D(1), ("yes",)),
    (SINGLE, 1, D("0.5"), ("almost",)),
    (SINGLE, 0, D(0), ("no",)),
    (SINGLE, 3, D("-0.25"), ()),  # a penalty stays negative, as Moodle's single choice
    (SINGLE, None, D(0), ()),
    (MULTI, {0, 1}, D(1), ("A",)),
    (MULTI, {0}, D("0.5"), ("A",)),
    (MULTI, {0, 1, 2}, D(0), ("A", "C")),
    (MULTI, {0, 2}, D(0), ("A", "C")),  # floored at 0
    (MULTI, {0, 1, 3}, D(1), ("A",)),
    (MULTI, set(), D(0), ()),
    (TRUE_FALSE, True, D(1), ("Yes.",)),
    (TRUE_FALSE, False, D(0), ("No.",)),
    (TRUE_FALSE, None, D(0), ()),
    (SHORT, "frog", D(1), ("Good!",)),
    (SHORT, "  FROG  ", D(1), ("Good!",)),
    (SHORT, "my CAT", D("0.5"), ("Cats",)),
    (SHORT, "dog", D(0), ("Wrong",)),
    (SHORT, "   ", D(0), ()),
    (NUMERIC, "1822", D(1), ("Exact",)),
    (NUMERIC, 1822, D(1), ("Exact",)),
    (NUMERIC, "1824", D("0.5"), ("Close",)),  # range bounds included
    (NUMERIC, "1821,5", D("0.5"), ("Close",)),  # decimal comma
    (NUMERIC, 1900.0, D(0), ("Far",)),
    (NUMERIC, "eighteen", D(0), ()),
    (MATCHING, {0: "Ottawa", 1: "Rome", 2: "Tokyo"}, D(1), ()),
    (MATCHING, {0: "Ottawa", 1: "Lima", 2: "Rome"}, D(1) / D(3), ()),
    (MATCHING, {}, D(0), ()),
])
def test_moodle_grading_table(q, response, fraction, feedback):
    assert grade_response(q, response) == Grade(fraction, feedback)


def test_essay_waits_for_a_person_and_description_is_not_graded():
    assert grade_response(question("Tell us.{}"), "Some text") == Grade(None)
    assert grade_response(question("Read this."), None) == Grade(None)


def test_first_matching_answer_wins_as_in_moodle():
    q = question("Name?{=%50%*ana* =Ana}")
    assert grade_response(q, "Ana").fraction == D("0.5")
    n = question("N?{#=%50%10:5 =10}")
    assert grade_response(n, "10").fraction == D("0.5")


@pytest.mark.parametrize(("response", "pattern", "matches"), [
    ("Nueva  York", "nueva york", True),
    ("ÁRBOL", "árbol", True),
    ("arbol", "árbol", False),
    ("a*b", r"a\*b", True),
    ("axb", r"a\*b", False),
    ("sauce of apple", "*apple", True),
    ("apple pie", "*apple", False),
    ("anything", "*", True),
    ("x.y", "x.y", True),
    ("xzy", "x.y", False),
])
def test_short_answer_wildcard(response, pattern, matches):
    assert short_answer_matches(response, pattern) is matches


@pytest.mark.parametrize(("text", "value"), [
    ("3.5", D("3.5")), ("3,5", D("3.5")), (" -2 ", D(-2)), ("1e3", D(1000)),
    ("1,000.5", None), ("", None), ("abc", None), (True, None),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_every_multiple_response_subset_stays_within_zero_and_one():
    q = question("Q?{~%50%a ~%50%b ~%-50%c ~%-100%d ~e}")
    seen = set()
    for size in range(len(q.answers) + 1):
        for chosen in combinations(range(len(q.answers)), size):
            fraction = grade_response(q, set(chosen)).fraction
            assert D(0) <= fraction <= D(1)
            expected = sum((q.answers[i].fraction for i in chosen), D(0))
            assert fraction == min(max(expected, D(0)), D(1))
            seen.add(fraction)
    assert {D(0), D("0.5"), D(1)} <= seen


def test_every_single_choice_scores_its_own_weight():
    for q in (SINGLE, question("Q?{=a ~%-100%b ~%33.33333%c}")):
        for index, answer in enumerate(q.answers):
            assert grade_response(q, index).fraction == answer.fraction


def test_numerical_tolerance_boundaries():
    q = question("Pi?{#3.14:0.01}")
    for step in range(-20, 21):
        value = D("3.14") + D(step) / 1000
        expected = D(1) if abs(step) <= 10 else D(0)
        assert grade_response(q, str(value)).fraction == expected, value


def test_matching_share_over_all_assignments():
    answers = ["Ottawa", "Rome", "Tokyo", "Lima"]
    for first in answers:
        for second in answers:
            for third in answers:
                response = {0: first, 1: second, 2: third}
                right = [first == "Ottawa", second == "Rome", third == "Tokyo"].count(True)
                assert grade_response(MATCHING, response).fraction == D(right) / 3


def test_bad_responses_are_refused():
    with pytest.raises(ValueError):
        grade_response(SINGLE, 9)
    with pytest.raises(TypeError):
        grade_response(SINGLE, "right")
    with pytest.raises(TypeError):
        grade_response(MULTI, "ab")
    with pytest.raises(TypeError):
        grade_response(TRUE_FALSE, "true")

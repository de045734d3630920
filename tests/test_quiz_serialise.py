"""QuestionVersion.data and attempt snapshots: a GiftQuestion survives JSON unchanged."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.quizzes.gift import QuestionType, parse_gift
from app.quizzes.serialise import content_hash, question_from_data, question_to_data

FIXTURES = Path(__file__).parent / "fixtures" / "gift"
EVERY_TYPE = """
::mc::Pick one{=right#yes ~wrong#no}

::mr::Pick some{~%50%a#half ~%50%b ~%-100%c#never}

::tf::Water is wet.{T#No#Yes####Always.}

::sa::Capital of Peru?{=Lima#Yes =%50%lima city}

::num::How many sessions?{#=5:0#Five =%50%4..6 ~#Five, one a week}

::match::Pair them{=one -> 1 =two -> 2 = -> 3}

::essay::Describe a session.{####[html]<p>Guide</p>}

::desc::[markdown]**A section** before the questions.
"""


def _questions():
    yield from parse_gift(EVERY_TYPE).questions
    for name in ("moodle-examples.gift", "moodle-test-questions.gift"):
        yield from parse_gift((FIXTURES / name).read_text(encoding="utf-8")).questions


def test_every_type_is_covered():
    assert {q.qtype for q in parse_gift(EVERY_TYPE).questions} == set(QuestionType)


@pytest.mark.parametrize("question", list(_questions()), ids=lambda q: f"{q.qtype}:{q.name[:30]}")
def test_round_trip_through_json(question):
    data = json.loads(json.dumps(question_to_data(question)))
    again = question_from_data(data, category=question.category)
    assert again == question
    assert question_to_data(again) == data


def test_decimals_are_strings_and_category_is_not_content():
    question = parse_gift("$CATEGORY: top/a\n\n::n::Q{#=2.50:0.1 =%33.33333%7}").questions[0]
    data = question_to_data(question)
    assert data["answers"][0]["value"] == "2.5"
    assert data["answers"][0]["tolerance"] == "0.1"
    assert data["answers"][1]["fraction"] == "0.3333333"
    assert "category" not in data
    moved = parse_gift("$CATEGORY: top/b\n\n::n::Q{#=2.50:0.1 =%33.33333%7}").questions[0]
    assert content_hash(question_to_data(moved)) == content_hash(data)
    changed = parse_gift("::n::Q{#=2.6:0.1 =%33.33333%7}").questions[0]
    assert content_hash(question_to_data(changed)) != content_hash(data)


def test_unknown_schema_is_refused():
    data = question_to_data(parse_gift("::n::Q{T}").questions[0]) | {"schema": 99}
    with pytest.raises(ValueError):
        question_from_data(data)

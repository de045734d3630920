"""Guard the content of the question banks in quizzes/*.gift (the engine loads them with flask content sync).

Checks structure only: every file parses with our GIFT reader, each bank's Spanish and
English files match item for item, answers are keyed and weighted consistently, and
every answer explains itself. The clinical content is reviewed by people.
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from app.quizzes.gift import GiftQuestion, QuestionType, parse_gift

QUIZ_DIR = Path(__file__).resolve().parent.parent / "quizzes"
FILES = sorted(QUIZ_DIR.glob("*.gift"))
LANGS = ("es", "en")
FILE_NAME = re.compile(r"^(?P<bank>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.gift$")

# bank slug -> (question-name prefix, category root, number of questions)
BANKS = {
    "pm-plus-knowledge": ("PMP", "pm-plus", 24),
    "pfa-knowledge": ("PFA", "pfa", 16),
}
# Fixed parts of each blueprint; the rest is single-answer multiple choice and true/false.
BLUEPRINT = {
    "pm-plus-knowledge": {QuestionType.MULTIRESPONSE: 2, QuestionType.MATCHING: 1,
                          QuestionType.SHORTANSWER: 1},
    "pfa-knowledge": {QuestionType.MULTIRESPONSE: 1, QuestionType.MATCHING: 1,
                      QuestionType.SHORTANSWER: 1},
}
ALLOWED_TYPES = {QuestionType.MULTICHOICE, QuestionType.MULTIRESPONSE, QuestionType.TRUEFALSE,
                 QuestionType.MATCHING, QuestionType.SHORTANSWER}
BANNED_PHRASES = ("all of the above", "none of the above", "todas las anteriores",
                  "ninguna de las anteriores")
ONE = Decimal(1)


def load(path: Path) -> tuple[GiftQuestion, ...]:
    return parse_gift(path.read_text(encoding="utf-8")).questions


def bank_of(path: Path) -> tuple[str, str]:
    match = FILE_NAME.match(path.name)
    assert match, f"{path.name}: name must be <bank-slug>.<lang>.gift"
    return match["bank"], match["lang"]


def fractions(question: GiftQuestion) -> list[Decimal]:
    return [answer.fraction for answer in question.answers]


def test_every_bank_has_both_languages():
    found = Counter(bank_of(path)[0] for path in FILES)
    assert set(BANKS) <= set(found), f"missing banks: {sorted(set(BANKS) - set(found))}"
    for bank in found:
        langs = {bank_of(path)[1] for path in FILES if bank_of(path)[0] == bank}
        assert langs == set(LANGS), f"{bank}: languages {sorted(langs)}"


@pytest.fixture(params=FILES, ids=[path.name for path in FILES])
def bank_file(request) -> Path:
    return request.param


def test_file_parses_without_errors(bank_file):
    # parse_gift raises GiftSyntaxError, listing every bad line, on any malformed block.
    assert load(bank_file)


def test_question_count_names_and_categories(bank_file):
    bank, _ = bank_of(bank_file)
    assert bank in BANKS, f"{bank_file.name}: unknown bank, add it to BANKS"
    prefix, root, count = BANKS[bank]
    questions = load(bank_file)
    assert len(questions) == count
    assert [q.name for q in questions] == [f"{prefix}-{n:02d}" for n in range(1, count + 1)]
    for question in questions:
        assert question.category and question.category.startswith(f"{root}/"), \
            f"{question.name}: category {question.category!r}"


def test_blueprint_types(bank_file):
    bank, _ = bank_of(bank_file)
    counts = Counter(question.qtype for question in load(bank_file))
    assert set(counts) <= ALLOWED_TYPES
    for qtype, expected in BLUEPRINT[bank].items():
        assert counts[qtype] == expected, f"{qtype}: {counts[qtype]} items, expected {expected}"
    assert counts[QuestionType.TRUEFALSE] >= 2
    assert counts[QuestionType.MULTICHOICE] > len(load(bank_file)) / 2, "mostly multiple choice"


def test_answers_are_keyed_and_explained(bank_file):
    for question in load(bank_file):
        where = question.name
        assert question.general_feedback, f"{where}: no general feedback (####)"
        lowered = " ".join([question.text, *(a.text for a in question.answers)]).lower()
        for phrase in BANNED_PHRASES:
            assert phrase not in lowered, f"{where}: uses {phrase!r}"
        for answer in question.answers:
            assert answer.feedback, f"{where}: answer {answer.text!r} has no feedback (#)"
        match question.qtype:
            case QuestionType.MULTICHOICE:
                assert len(question.answers) == 4, f"{where}: one key and three distractors"
                assert fractions(question).count(ONE) == 1, f"{where}: exactly one right answer"
                assert all(f in (0, ONE) for f in fractions(question)), f"{where}: partial credit"
            case QuestionType.MULTIRESPONSE:
                positive = [f for f in fractions(question) if f > 0]
                assert len(positive) >= 2, f"{where}: fewer than two right answers"
                assert sum(positive) == ONE, f"{where}: right answers add up to {sum(positive)}"
                assert all(f != 0 for f in fractions(question)), \
                    f"{where}: wrong options must carry a negative weight"
            case QuestionType.TRUEFALSE:
                assert sorted(fractions(question)) == [0, ONE]
            case QuestionType.SHORTANSWER:
                assert ONE in fractions(question), f"{where}: no fully right answer"
                assert question.answers[-1].text == "*" and question.answers[-1].fraction == 0, \
                    f"{where}: end with a catch-all '=%0%*' answer that explains the key"
            case QuestionType.MATCHING:
                # GIFT has no per-pair feedback; the general feedback carries the explanation.
                assert len(question.stems) >= 3, f"{where}: fewer than three pairs"
                answers = [pair.answer for pair in question.stems]
                assert len(set(answers)) == len(answers), f"{where}: repeated answers"


@pytest.mark.parametrize("bank", sorted(BANKS))
def test_languages_match_item_for_item(bank):
    es, en = (load(QUIZ_DIR / f"{bank}.{lang}.gift") for lang in LANGS)
    assert [q.name for q in es] == [q.name for q in en]
    for q_es, q_en in zip(es, en, strict=True):
        where = q_es.name
        assert q_es.qtype == q_en.qtype, f"{where}: {q_es.qtype} vs {q_en.qtype}"
        assert q_es.category == q_en.category, f"{where}: category differs"
        assert q_es.text != q_en.text, f"{where}: identical text (untranslated?)"
        if q_es.qtype is QuestionType.MATCHING:
            assert len(q_es.pairs) == len(q_en.pairs), f"{where}: number of pairs differs"
        elif q_es.qtype is QuestionType.SHORTANSWER:
            # Accepted spellings differ by language; the keying must not.
            assert set(fractions(q_es)) == set(fractions(q_en)), f"{where}: weights differ"
        else:
            assert fractions(q_es) == fractions(q_en), \
                f"{where}: correct answers or weights are in different positions"

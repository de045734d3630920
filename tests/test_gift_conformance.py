"""Importing Moodle's own GIFT files gives what Moodle gives (shared/fixtures/gift/README.md)."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from app.quizzes.gift import GiftQuestion, MatchPair, QuestionType, TextFormat, parse_gift

FIXTURES = Path(__file__).parent / "fixtures" / "gift"
D = Decimal
MC, MR, TF = QuestionType.MULTICHOICE, QuestionType.MULTIRESPONSE, QuestionType.TRUEFALSE
SA, NUM, MATCH = QuestionType.SHORTANSWER, QuestionType.NUMERICAL, QuestionType.MATCHING
ESSAY = QuestionType.ESSAY


def load(name: str) -> tuple[GiftQuestion, ...]:
    return parse_gift((FIXTURES / name).read_text(encoding="utf-8")).questions


def answers(question: GiftQuestion) -> list[tuple[str, Decimal, str]]:
    return [(a.text, a.fraction, a.feedback) for a in question.answers]


def by_name(questions, name: str) -> list[GiftQuestion]:
    return [q for q in questions if q.name == name]


# The README's table: questions, then per type.
EXPECTED_COUNTS = {
    "moodle-examples.gift": (43, {MC: 16, MR: 2, TF: 5, SA: 9, NUM: 8, MATCH: 3}),
    "moodle-test-questions.gift": (9, {MC: 1, MR: 1, TF: 3, SA: 1, NUM: 1, MATCH: 1, ESSAY: 1}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_counts_per_type_match_readme(name):
    questions = load(name)
    total, per_type = EXPECTED_COUNTS[name]
    assert len(questions) == total
    assert Counter(q.qtype for q in questions) == Counter(per_type)


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_summary_is_the_json_report(name):
    total, per_type = EXPECTED_COUNTS[name]
    summary = parse_gift((FIXTURES / name).read_text(encoding="utf-8")).summary()
    assert summary == {
        "questions": total,
        "by_type": {str(t): n for t, n in per_type.items()},
        "errors": [],
    }


def test_examples_type_sequence():
    """Every question of examples.txt, in order, gets Moodle's type."""
    expected = [
        MC, MC, TF, SA, NUM,  # class description
        MC, MC, MC, MC, SA, SA, TF, TF, MATCH, MATCH, NUM, NUM, NUM, NUM, NUM,  # documentation
        SA, MC, MC, SA, SA, TF, MC, MC, SA, MR, MR, MC, MC,  # options
        MC, MC, TF, SA, NUM, MATCH,  # format.php
        MC, MC, SA, NUM,  # more complicated
    ]
    assert [q.qtype for q in load("moodle-examples.gift")] == expected


# moodle-test-questions.gift, question by question, as Moodle's giftformat_test.php expects.

def test_essay():
    q = load("moodle-test-questions.gift")[0]
    assert (q.qtype, q.name, q.text, q.text_format) == (ESSAY, "Q8", "How are you?", TextFormat.MOODLE)
    assert q.answers == () and q.general_feedback == ""


def test_matching_with_format_tags_and_distractor():
    q = load("moodle-test-questions.gift")[1]
    assert (q.qtype, q.name) == (MATCH, "Moodle activities")
    assert q.text == "Match the <b>activity</b> to the description."
    assert q.text_format is TextFormat.HTML
    assert q.general_feedback_format is TextFormat.HTML
    assert q.pairs == (
        MatchPair("An activity supporting asynchronous discussions.", "Forum", TextFormat.HTML),
        MatchPair("A teacher asks a question and specifies a choice of multiple responses.",
                  "Choice", TextFormat.MOODLE),
        MatchPair("A bank of record entries which participants can add to.", "Database",
                  TextFormat.PLAIN),
        MatchPair("A collection of web pages that anyone can add to or edit.", "Wiki",
                  TextFormat.MARKDOWN),
        MatchPair("", "Chat", TextFormat.HTML),
    )
    assert [p.answer for p in q.stems] == ["Forum", "Choice", "Database", "Wiki"]


def test_multichoice_with_feedback_formats():
    q = load("moodle-test-questions.gift")[2]
    assert (q.qtype, q.name, q.text) == (MC, "Q2", "What's between orange and green in the spectrum?")
    assert answers(q) == [("yellow", 1, "right; good!"), ("red", 0, "wrong, it's yellow"),
                          ("blue", 0, "wrong, it's yellow")]
    assert [a.text_format for a in q.answers] == [TextFormat.MOODLE, TextFormat.MOODLE,
                                                  TextFormat.PLAIN]
    assert [a.feedback_format for a in q.answers] == [TextFormat.MOODLE, TextFormat.HTML,
                                                      TextFormat.MOODLE]


def test_multiple_response_with_negative_weights():
    q = load("moodle-test-questions.gift")[3]
    assert (q.qtype, q.name) == (MR, "colours")
    assert answers(q) == [("yellow", D("0.5"), "right; good!"), ("red", -1, "wrong"),
                          ("off-beige", D("0.5"), "right; good!"), ("blue", -1, "wrong")]
    assert q.answers[1].feedback_format is TextFormat.HTML
    assert q.answers[3].text_format is TextFormat.PLAIN


def test_numerical_with_tolerance_and_other_answer_feedback():
    q = load("moodle-test-questions.gift")[4]
    assert (q.qtype, q.name) == (NUM, "Q5")
    # Text after the closing brace: the braces become a blank.
    assert q.text == 'What is a number from 1 to 5? _____";'
    assert [(a.text, a.value, a.tolerance, a.fraction, a.feedback) for a in q.answers] == [
        ("3", 3, 2, 1, ""), ("*", None, 0, 0, "Completely wrong")]


def test_shortanswer_with_wildcard():
    q = load("moodle-test-questions.gift")[5]
    assert (q.qtype, q.name, q.text) == (SA, "Shortanswer", "Which is the best animal?")
    assert answers(q) == [("Frog", 1, "Good!"), ("Cat", D("0.5"), "What is it with Moodlers and cats?"),
                          ("*", 0, "Completely wrong")]


def test_truefalse_with_both_feedbacks_and_general_feedback():
    q = load("moodle-test-questions.gift")[6]
    assert (q.qtype, q.name, q.correct_answer) == (TF, "Q1", False)
    assert q.text == '42 is the Absolute Answer to everything._____";'
    # FALSE#wrong#right: the first feedback goes with "true", the wrong answer.
    assert answers(q) == [("True", 0, "42 is the Ultimate Answer."),
                          ("False", 1, "You gave the right answer.")]
    assert q.general_feedback == "This is, of course, a Hitchiker's Guide to the Galaxy reference."


@pytest.mark.parametrize("index", [7, 8])
def test_truefalse_short_and_long_forms(index):
    q = load("moodle-test-questions.gift")[index]
    assert (q.qtype, q.name, q.text, q.correct_answer) == (TF, "2-08 TSL", "TSL is blablabla.", True)
    assert answers(q) == [("True", 1, ""), ("False", 0, "")]


# moodle-examples.gift: the details the README names.

def test_examples_escaped_control_characters():
    questions = load("moodle-examples.gift")
    equals5 = next(q for q in questions if q.text == "Which answer equals 5?")
    assert answers(equals5) == [("= 2 + 2", 0, ""), ("= 2 + 3", 1, ""), ("= 2 + 4", 0, "")]
    [control] = by_name(questions, "GIFT Control Characters")
    assert control.qtype is MC
    assert control.text == ("Which of the following is NOT a control character for the GIFT "
                            "import format?")
    assert [(a.text, a.fraction) for a in control.answers] == [
        ("~", 0), ("=", 0), ("#", 0), ("{", 0), ("}", 0), ("\\", 1)]
    assert control.answers[0].feedback == "~ is a control character."
    # Multi-line feedback keeps its line breaks; each line is trimmed, as Moodle reads files.
    assert control.answers[5].feedback == (
        "Correct! \\ (backslash) is not a control character. BUT,\n"
        "it is used to escape the control characters. So, to specify\n"
        "a literal backslash, you must escape it with a backslash\n"
        "(as shown in this example).")


def test_examples_feedback_and_partial_weights():
    questions = load("moodle-examples.gift")
    mc, sa = by_name(questions, "Jesus' hometown")
    assert mc.qtype is MC and mc.text == "Jesus Christ was from _____."
    assert answers(mc) == [
        ("Jerusalem", 0, "This was an important city, but the wrong answer."),
        ("Bethlehem", D("0.25"), "He was born here, but not raised here."),
        ("Galilee", D("0.5"), "You need to be more specific."),
        ("Nazareth", 1, "Yes! That's right!")]
    assert sa.qtype is SA and sa.text == "Jesus Christ was from"
    assert answers(sa) == [("Nazareth", 1, "Yes! That's right!"),
                           ("Nazereth", D("0.75"), "Right, but misspelled."),
                           ("Bethlehem", D("0.25"), "He was born here, but not raised here.")]
    difficult = next(q for q in questions if q.text == "Difficult multiple choice question.")
    assert answers(difficult) == [("wrong answer", 0, "comment on wrong answer"),
                                  ("half credit answer", D("0.5"), "comment on answer"),
                                  ("full credit answer", 1, "well done!")]


def test_examples_multiple_answers():
    first, second = [q for q in load("moodle-examples.gift") if q.qtype is MR]
    assert [a.fraction for a in first.answers] == [0, D("0.5"), D("0.5"), 0]
    assert [a.fraction for a in second.answers] == [D("-0.5"), D("0.5"), D("0.5"), D("-0.5")]
    assert second.answers[3].text == "Grant's father"


def test_examples_numerical_forms():
    numerical = [q for q in load("moodle-examples.gift") if q.qtype is NUM]
    forms = [[(a.value, a.tolerance, a.fraction) for a in q.answers] for q in numerical]
    assert forms == [
        [(1822, 1, 1)],  # {#1822:1}
        [(1822, 0, 1)],  # {#1822}
        [(D("3.1415"), D("0.0005"), 1)],  # {#3.1415:0.0005}
        [(D("3.1415"), D("0.0005"), 1)],  # {#3.141..3.142}: a range is midpoint ± half
        [(1822, 0, 1), (1822, 2, D("0.5"))],  # several weighted answers
        [(4, 0, 1)],  # after a line comment
        [(1822, 5, 1)],
        [(1822, 0, 1), (1822, 2, D("0.5"))],
    ]
    pi = numerical[2]
    assert pi.text == "What is the value of pi (to 3 decimal places)? _____."
    multi_line = numerical[-1]
    assert multi_line.name == "Numerical example"
    assert [a.feedback for a in multi_line.answers] == [
        "Correct! 100% credit",
        "He was born in 1822.\nYou get 50% credit for being close."]


def test_examples_names_formats_and_multiline_text():
    questions = load("moodle-examples.gift")
    [kanji] = by_name(questions, "Kanji Origins")
    assert (kanji.qtype, kanji.text) == (SA, "Japanese characters originally\ncame from what country?")
    assert answers(kanji) == [("China", 1, "")]
    [markdown] = [q for q in questions if q.text_format is TextFormat.MARKDOWN]
    assert markdown.text == "Who's buried in **Grant's tomb**?"
    assert markdown.qtype is SA
    assert [a.feedback_format for a in markdown.answers] == [TextFormat.MARKDOWN] * 2
    [tomb] = by_name(questions, "Grant's Tomb")
    assert tomb.text == "Grant is _____ in Grant's tomb."
    assert answers(tomb) == [("buried", 0, "No one is buried there."),
                             ("entombed", 1, "Right answer!"), ("living", 0, "We hope not!")]
    thanksgiving = questions[7]
    assert thanksgiving.text == ("The American holiday of Thanksgiving is celebrated on the _____ "
                                 "Thursday of November.")
    assert answers(thanksgiving) == [("second", 0, ""), ("third", 0, ""), ("fourth", 1, "")]


def test_examples_truefalse_feedback_and_matching():
    questions = load("moodle-examples.gift")
    tf = [q for q in questions if q.qtype is TF]
    assert [q.correct_answer for q in tf] == [False, False, True, False, False]
    assert tf[3].answers[0].feedback == "No one is buried in Grant's tomb."
    matching = [q for q in questions if q.qtype is MATCH]
    assert [[(p.question, p.answer) for p in q.pairs] for q in matching] == [
        [("subquestion1", "subanswer1"), ("subquestion2", "subanswer2"),
         ("subquestion3", "subanswer3")],
        [("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi")],
        [("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo")],
    ]


def test_comment_lines_are_ignored_and_lines_are_recorded():
    questions = load("moodle-examples.gift")
    assert not any("//" in q.text for q in questions)
    assert questions[0].line == 8
    assert by_name(questions, "Numerical example")[0].line == 202
    assert [q.line for q in load("moodle-test-questions.gift")] == [2, 5, 14, 22, 31, 34, 41, 46, 49]

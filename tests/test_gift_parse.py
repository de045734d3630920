"""GIFT features one by one, and malformed input reported by line with nothing imported."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.quizzes.gift import (
    GiftSyntaxError,
    MatchPair,
    QuestionType,
    TextFormat,
    parse_gift,
)


def one(text: str):
    [question] = parse_gift(text).questions
    return question


def errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(GiftSyntaxError) as caught:
        parse_gift(text)
    return [(error.line, error.message) for error in caught.value.errors]


def error_lines(text: str) -> list[int]:
    return [line for line, _ in errors(text)]


@pytest.mark.parametrize(("text", "qtype"), [
    ("Q?{=a ~b}", QuestionType.MULTICHOICE),
    ("Q?{~%50%a ~%50%b ~c}", QuestionType.MULTIRESPONSE),
    ("Q.{T}", QuestionType.TRUEFALSE),
    ("Q.{FALSE}", QuestionType.TRUEFALSE),
    ("Q?{=a =b}", QuestionType.SHORTANSWER),
    ("Q?{#4}", QuestionType.NUMERICAL),
    ("Q?{=a -> 1 =b -> 2}", QuestionType.MATCHING),
    ("Q?{}", QuestionType.ESSAY),
    ("Just some text.", QuestionType.DESCRIPTION),
])
def test_type_is_decided_as_moodle_does(text, qtype):
    assert one(text).qtype is qtype


def test_name_and_default_name():
    assert one("::Capital:: Where? {=Lima}").name == "Capital"
    long_text = "<p>Una pregunta " + "muy " * 30 + "larga</p>{}"
    name = one(long_text).name
    assert name.startswith("Una pregunta muy") and name.endswith("...") and len(name) <= 80


def test_category_applies_to_following_questions():
    result = parse_gift("$CATEGORY: $course$/top/Salud mental\n\nA?{T}\n\n"
                        "$CATEGORY: Otra\nB?{F}\n\nC?{T}")
    assert result.categories == ("$course$/top/Salud mental", "Otra")
    assert [q.category for q in result.questions] == ["$course$/top/Salud mental", "Otra", "Otra"]


def test_comments_anywhere_are_dropped():
    q = one("// heading\n::N::Line one\n// inside\nline two{\n~a // not a comment\n// gone\n=b}")
    assert q.text == "Line one\nline two"
    assert [a.text for a in q.answers] == ["a // not a comment", "b"]


def test_escapes_in_every_place():
    q = one(r"::a\:b::What is 1 \= 1 \{really\}\? \\ \# \~{=yes\# \= sure#ok \~ fine ~no}")
    assert q.name == "a:b"
    assert q.text == r"What is 1 = 1 {really}\? \ # ~"
    assert [(a.text, a.feedback) for a in q.answers] == [("yes# = sure", "ok ~ fine"), ("no", "")]
    assert one(r"Line\nbreak{}").text == "Line\nbreak"


def test_double_backslash_before_control_character():
    # \\= is a literal backslash followed by a real "=".
    q = one(r"Q?{=a\\=b}")
    assert [a.text for a in q.answers] == ["a\\", "b"]


@pytest.mark.parametrize("fmt", list(TextFormat))
def test_format_tags(fmt):
    q = one(f"[{fmt}]Text{{=a#[html]<b>fb</b> ~[plain]b####[markdown]*gf*}}")
    assert q.text_format is fmt
    assert q.answers[0].feedback_format is TextFormat.HTML
    assert q.answers[1].text_format is TextFormat.PLAIN
    assert (q.general_feedback, q.general_feedback_format) == ("*gf*", TextFormat.MARKDOWN)


def test_unknown_tag_stays_in_text():
    assert one("[note] Read this.").text == "[note] Read this."


def test_text_after_closing_brace_is_a_blank():
    assert one("Grant is {=entombed ~buried} in the tomb.").text == "Grant is _____ in the tomb."
    assert one("Grant is buried?{T}").text == "Grant is buried?"


def test_multiline_answers_and_general_feedback():
    q = one("Q?{\n  =a #first\n   line\n  ~b\n  ####General\n  feedback\n}")
    assert q.answers[0].feedback == "first\nline"
    assert q.general_feedback == "General\nfeedback"


def test_truefalse_feedback_order():
    q = one("Sky is green.{F#No, blue.#Right.####It scatters.}")
    assert q.correct_answer is False
    assert [(a.text, a.fraction, a.feedback) for a in q.answers] == [
        ("True", 0, "No, blue."), ("False", 1, "Right.")]
    assert q.general_feedback == "It scatters."


def test_numerical_forms():
    q = one("N?{#=%100%5:0.5#exact =%50%1..9 =%25%-2 ~#other}")
    assert [(a.value, a.tolerance, a.fraction, a.feedback) for a in q.answers] == [
        (5, Decimal("0.5"), 1, "exact"), (5, 4, Decimal("0.5"), ""),
        (-2, 0, Decimal("0.25"), ""), (None, 0, 0, "other")]
    assert one("N?{#1.5e2}").answers[0].value == 150
    assert one("N?{#=%33.33333%7}").answers[0].fraction == Decimal("0.3333333")


def test_shortanswer_weights_and_wildcard():
    q = one("Animal?{=Frog =%50%*cat* =%0%*#No}")
    assert [(a.text, a.fraction, a.feedback) for a in q.answers] == [
        ("Frog", 1, ""), ("*cat*", Decimal("0.5"), ""), ("*", 0, "No")]


def test_matching_distractor_and_arrows_in_answer():
    q = one("Match{=a -> x -> y =b -> z = -> extra}")
    assert q.pairs == (MatchPair("a", "x -> y"), MatchPair("b", "z"), MatchPair("", "extra"))


def test_windows_line_endings_and_bom():
    result = parse_gift("\ufeff::A::One{T}\r\n\r\n::B::Two{F}\r\n")
    assert [(q.name, q.line) for q in result.questions] == [("A", 1), ("B", 3)]


def test_spanish_text():
    q = one("::Señales::¿Qué señal indica angustia?{=Llanto#¡Sí! ~%-50%Risa#No, ésa no ~Calma}")
    assert q.name == "Señales" and q.text == "¿Qué señal indica angustia?"
    assert q.answers[0].feedback == "¡Sí!"


# Malformed input: the error names the line, and nothing is imported.

@pytest.mark.parametrize(("text", "line", "words"), [
    ("Fine?{T}\n\nQ?{=a\n~b\n", 3, "never closed"),
    ("Q?\n=a ~b}", 2, "without an opening"),
    ("Q?{=a ~b}\nmore {=c}", 2, "second answer block"),
    ("Q?{=a {~b}", 1, "inside the answers"),
    ("Q?{\nb\n=a ~c}", 2, "must start with"),
    ("Q?{foo}", 1, "must start with '='"),
    ("Q?{\n=a\n~%150%b}", 3, "outside -100%..100%"),
    ("Q?{\n=a\n~%abc%b}", 3, "bad weight"),
    ("Q?{=a =%-50%b}", 1, "only allowed in multiple choice"),
    ("Q?{\n=%50%a\n~b}", 2, "always 100%"),
    ("Q?{~%50%a ~b}", 1, "must add up to 100%"),
    ("Q?{=a}\n\nR?{~a}", 3, "at least two answers"),
    ("Q?{=a ~}", 1, "empty answer"),
    ("Q?{#\n=1\n=abc}", 3, "not a number"),
    ("Q?{#5:x}", 1, "not a number"),
    ("Q?{#9..1}", 1, "high to low"),
    ("Q?{#5:-1}", 1, "negative tolerance"),
    ("Q?{#}", 1, "without an answer"),
    ("Q?{#4 ~%50%3}", 1, "may only be followed by #feedback"),
    ("Match{\n=a -> 1\n=b 2\n}", 3, "without '->'"),
    ("Match{\n=a -> 1\n}", 1, "at least two"),
    ("Match{= -> 1 = -> 2}", 1, "at least two"),
    ("Match{=a -> 1 =b ->}", 1, "without an answer"),
    ("::name without end\nText{T}", 1, "not closed"),
    ("::Only a name::{T}", 1, "no text"),
    ("\n\n$CATEGORY:\n", 3, "no category name"),
])
def test_malformed_input_names_the_line(text, line, words):
    found = errors(text)
    assert any(found_line == line and words in message for found_line, message in found), found


def test_all_or_nothing_and_every_error_listed():
    text = "Good?{T}\n\nBad?{=a ~%150%b}\n\nAlso good?{=x ~y}\n\nWorse?{#abc}\n"
    with pytest.raises(GiftSyntaxError) as caught:
        parse_gift(text)
    assert [e.line for e in caught.value.errors] == [3, 7]
    summary = caught.value.summary()
    assert summary["questions"] == 0 and summary["by_type"] == {}
    assert [e["line"] for e in summary["errors"]] == [3, 7]
    assert "line 3:" in str(caught.value)


def test_error_lines_count_comment_and_blank_lines():
    assert error_lines("// one\n\n// three\n::Q::\nText{\n=a\n~b\n=%50%c}") == [8]


def test_empty_file_imports_nothing():
    assert parse_gift("// only comments\n\n   \n").questions == ()

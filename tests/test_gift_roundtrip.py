"""import(export(bank)) gives the bank back: Moodle's files and awkward cases."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.quizzes.gift import (
    GiftAnswer,
    GiftQuestion,
    MatchPair,
    QuestionType,
    TextFormat,
    export_gift,
    parse_gift,
)

FIXTURES = Path(__file__).parent / "fixtures" / "gift"

EDGE_CASES = [
    r"::Escapes \: all::1 \= 1, \{set\}, \~not, \#tag, back\\slash{=\= yes#fb \~ \# ~\\no}",
    "::Línea::Primera línea\nsegunda línea{=sí#¡Correcto! ~no#Inténtalo otra vez}",
    "::Años::¿En qué año nació Ramón y Cajal?{#=1852:0#¡Exacto! =%50%1850..1854 ~#Repásalo}",
    "::Ñandú::¿Qué ave corre más rápido?{=ñandú =%50%*avestruz* =%0%*#No}",
    "::TF::El cielo es verde.{F#No, es azul.#¡Bien!####Dispersión de Rayleigh.}",
    "::TF right only::Water is wet.{T##Indeed.}",
    "::Pairs::[html]Empareja <b>esto</b>{=[plain]uno -> 1 =dos -> 2 -> dos = -> tres}",
    "::Essay::Describe una sesión de PM+.{####[html]<p>Guía</p>}",
    "::Description::[markdown]**Sección** sobre primeros auxilios psicológicos.",
    "Missing {~one =two ~%-50%three} word.",
    "::MR::Elige{~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d#¡no!}",
    "::MR tricky::Elige{~%100%a ~%-50%b ~%-50%c}",
    "::Tags in text::[moodle][html] is literal here{~[plain][markdown]x =y}",
    "::Percent::Descuento{~%0%%50% menos =%100 real}",
    "::Negative numbers::Temperatura?{#=-40:0.5 =%50%-45..-35}",
    "::Any number first::Guess{#=%0%*#anything =%100%7}",
    "::Windows::Path C\\\\Users\\\\ana{=ok ~ko}",
]


def assert_round_trip(questions):
    text = export_gift(questions)
    again = parse_gift(text).questions
    assert again == questions, text
    assert export_gift(again) == text


@pytest.mark.parametrize("name", ["moodle-examples.gift", "moodle-test-questions.gift"])
def test_moodle_files_round_trip(name):
    assert_round_trip(parse_gift((FIXTURES / name).read_text(encoding="utf-8")).questions)


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_round_trip(text):
    assert_round_trip(parse_gift(text).questions)


def test_whole_corpus_with_categories_round_trips():
    text = "$CATEGORY: $course$/top/Módulo 1\n\n" + "\n\n".join(EDGE_CASES[:8])
    text += "\n\n$CATEGORY: Módulo 2\\\\extra\n\n" + "\n\n".join(EDGE_CASES[8:])
    result = parse_gift(text)
    assert result.categories == ("$course$/top/Módulo 1", "Módulo 2\\extra")
    exported = export_gift(result.questions)
    assert exported.count("$CATEGORY:") == 2
    assert parse_gift(exported) == result


def test_export_text_looks_like_moodle():
    question = parse_gift("::Q2::Colour?{=yellow#right; good! ~red#[html]wrong}").questions[0]
    assert export_gift([question]) == (
        "::Q2::Colour?{\n\t=yellow#right; good!\n\t~red#[html]wrong\n}\n")
    tf = parse_gift("::Q1::42 is it.{FALSE#Ultimate.#Right.}").questions[0]
    assert export_gift([tf]) == "::Q1::42 is it.{FALSE#Ultimate.#Right.}\n"


def test_built_bank_round_trips():
    """A bank built in code (as the quiz editor will) survives export and import."""
    d = Decimal
    bank = [
        GiftQuestion(QuestionType.MULTICHOICE, "Elige", "¿Cuál?", answers=(
            GiftAnswer("a", d(1), "bien"), GiftAnswer("b", d("-0.25")), GiftAnswer("c", d(0))),
            category="Banco"),
        GiftQuestion(QuestionType.NUMERICAL, "Num", "¿Cuánto?", answers=(
            GiftAnswer("2.5", d(1), value=d("2.5"), tolerance=d("0.1")),
            GiftAnswer("*", d(0), "no", value=None)), category="Banco"),
        GiftQuestion(QuestionType.MATCHING, "Match", "Une", TextFormat.HTML, pairs=(
            MatchPair("x", "1", TextFormat.HTML), MatchPair("y", "2", TextFormat.PLAIN)),
            general_feedback="gf", general_feedback_format=TextFormat.HTML, category="Banco"),
    ]
    assert_round_trip(tuple(bank))


def test_unrepresentable_questions_are_refused():
    arrow = GiftQuestion(QuestionType.MATCHING, "M", "Une", pairs=(
        MatchPair("a -> b", "1"), MatchPair("c", "2")))
    with pytest.raises(ValueError, match="->"):
        export_gift([arrow])
    back = [GiftQuestion(QuestionType.ESSAY, "A", "x", category="C"),
            GiftQuestion(QuestionType.ESSAY, "B", "y")]
    with pytest.raises(ValueError, match="no category"):
        export_gift(back)

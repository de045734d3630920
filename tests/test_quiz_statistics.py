"""The report's numbers against cases worked out by hand (Moodle's definitions, sample variances)."""
from __future__ import annotations

import math

import pytest

from app.quizzes.gift import parse_gift
from app.quizzes.serialise import question_to_data
from app.quizzes.statistics import (
    ItemFlag,
    item_analysis,
    normalized_gain,
    paired_comparison,
    quiz_grade,
    response_distribution,
    summarise_grades,
)

approx = pytest.approx


@pytest.mark.parametrize(("method", "grade"), [("highest", 80), ("last", 70), ("first", 60), ("average", 70)])
def test_quiz_grade_follows_the_grading_method(method, grade):
    assert quiz_grade([60, 80, 70], method) == grade


def test_quiz_grade_without_attempts_is_none_and_unknown_methods_fail():
    assert quiz_grade([], "highest") is None
    with pytest.raises(ValueError):
        quiz_grade([50], "best-of-three")


def test_grade_summary_leaves_out_learners_without_a_grade():
    summary = summarise_grades([50, 80, None, 90], pass_mark=80)
    assert (summary.graded, summary.passed) == (3, 2)
    assert summary.mean == approx(73.3333, abs=1e-4)
    assert summary.median == 80
    assert summary.pass_rate == approx(2 / 3)
    assert summarise_grades([60, 70], 80).median == 65
    empty = summarise_grades([None], 80)
    assert (empty.graded, empty.mean, empty.median, empty.pass_rate) == (0, None, None, None)


@pytest.mark.parametrize(("pre", "post", "gain"), [
    (40, 70, 0.5),        # 30 of the 60 points left
    (80, 60, -1.0),       # fell by all that was left
    (0, 100, 1.0),
    (50, 50, 0.0),
    (100, 100, None),     # nothing to gain: undefined, not 0
    (100, 90, None),
])
def test_normalized_gain(pre, post, gain):
    assert normalized_gain(pre, post) == (gain if gain is None else approx(gain))


def test_paired_comparison_gives_both_class_gain_and_mean_of_individual_gains():
    result = paired_comparison([(40, 70), (100, 90), (60, 80)])
    assert result.paired == 3
    assert result.mean_pre == approx(200 / 3)
    assert result.mean_post == approx(80)
    assert result.mean_gain == approx(40 / 3)
    # Hake: (80 − 66.67) / (100 − 66.67) = 13.33 / 33.33
    assert result.class_gain == approx(0.4)
    # individual g: 0.5, undefined (pre 100, left out), 0.5
    assert result.mean_individual_gain == approx(0.5)
    assert result.individual_gains == 2


def test_paired_comparison_of_nobody_and_of_a_perfect_pre_test():
    nobody = paired_comparison([])
    assert (nobody.paired, nobody.mean_pre, nobody.class_gain, nobody.mean_individual_gain) == (0, None, None, None)
    perfect = paired_comparison([(100, 100)])
    assert (perfect.class_gain, perfect.mean_individual_gain, perfect.individual_gains) == (None, None, 0)


def _rows(matrix: dict[int, list[float]], variants: dict[int, str] | None = None, mark: float = 1.0):
    """(attempt, key, variant, fraction, mark) rows from {attempt: [fraction of q1, q2, ...]}."""
    return [(attempt, f"q{i + 1}", (variants or {}).get(attempt, "es"), fraction, mark)
            for attempt, fractions in matrix.items() for i, fraction in enumerate(fractions)]


# Four attempts at three one-mark questions; totals 3, 2, 1, 0.
HAND = {1: [1, 1, 1], 2: [1, 0, 1], 3: [0, 1, 0], 4: [0, 0, 0]}


def test_item_statistics_match_the_hand_computed_values():
    result = item_analysis(_rows(HAND))
    q1, q2, q3 = result.items
    assert [item.key for item in result.items] == ["q1", "q2", "q3"]
    # q1 scores 1,1,0,0 against rest-of-test 2,1,1,0: cov 1/3, var 1/3 and 2/3 → r = 1/√2
    assert q1.attempts == 4
    assert q1.facility == approx(50)
    assert q1.sd == approx(100 * math.sqrt(1 / 3))
    assert q1.discrimination == approx(1 / math.sqrt(2))
    # sorting both columns gives the same covariance: q1 discriminates as well as it can
    assert q1.efficiency == approx(100)
    # q2 scores 1,0,1,0 against 2,2,0,0: no covariance at all
    assert q2.discrimination == approx(0)
    assert q2.efficiency == approx(0)
    assert ItemFlag.LOW_DISCRIMINATION in q2.flags
    assert q3.discrimination == approx(q1.discrimination)
    assert q1.flags == []


def test_test_statistics_and_cronbach_alpha():
    test = item_analysis(_rows(HAND)).test
    assert test.attempts == 4
    assert test.mean == approx(50)
    assert test.median == approx(50)
    assert test.sd == approx(math.sqrt((50 ** 2 * 2 + (50 / 3) ** 2 * 2) / 3))
    # item variances 1/3 each, total variance 5/3: α = 3/2 · (1 − 1 ÷ 5/3) = 0.6
    assert test.cronbach_alpha == approx(0.6)


def test_alpha_is_left_out_when_attempts_drew_different_questions():
    rows = _rows(HAND) + [(5, "q9", "es", 1.0, 1.0), (5, "q1", "es", 0.0, 1.0)]
    assert item_analysis(rows).test.cronbach_alpha is None


def test_an_item_the_strong_learners_miss_is_flagged_as_a_likely_wrong_key():
    result = item_analysis(_rows({1: [1, 1, 0], 2: [1, 1, 0], 3: [0, 0, 1], 4: [0, 0, 1]}))
    q3 = result.items[2]
    assert q3.discrimination == approx(-1)
    assert q3.efficiency == approx(-100)
    assert q3.flags == [ItemFlag.WRONG_KEY]


def test_too_easy_and_too_hard_items_and_undefined_discrimination():
    rows = _rows({a: [1, 0, 1 if a < 3 else 0] for a in range(1, 11)})
    easy, hard, mixed = item_analysis(rows).items
    assert easy.facility == 100 and easy.sd == 0
    assert easy.discrimination is None and easy.efficiency is None  # no variance, nothing to correlate
    assert easy.flags == [ItemFlag.TOO_EASY]
    assert hard.flags == [ItemFlag.TOO_HARD]
    assert mixed.facility == approx(20) and ItemFlag.TOO_HARD not in mixed.flags


def test_partial_credit_and_marks_weight_the_rest_of_the_test():
    # q1 worth 2 marks: scores 2, 1, 0 against rest 1, 0.5, 0
    rows = [(1, "q1", "es", 1.0, 2.0), (1, "q2", "es", 1.0, 1.0),
            (2, "q1", "es", 0.5, 2.0), (2, "q2", "es", 0.5, 1.0),
            (3, "q1", "es", 0.0, 2.0), (3, "q2", "es", 0.0, 1.0)]
    result = item_analysis(rows)
    assert result.items[0].facility == approx(50)
    assert result.items[0].discrimination == approx(1)
    assert result.test.mean == approx(50)


def test_variants_are_analysed_apart_when_there_are_several():
    result = item_analysis(_rows(HAND, variants={3: "en", 4: "en"}))
    q1 = result.items[0]
    es, en = q1.variants
    assert (es.variant, es.attempts, es.facility) == ("es", 2, 100)
    assert (en.variant, en.attempts, en.facility) == ("en", 2, 0)
    assert item_analysis(_rows(HAND)).items[0].variants == []


def test_a_single_attempt_has_no_spread():
    item = item_analysis([(1, "q1", "es", 1.0, 1.0)]).items[0]
    assert (item.attempts, item.facility, item.sd, item.discrimination) == (1, 100, None, None)


def _snapshot(gift: str, order: list[int] | None = None) -> dict:
    data = question_to_data(parse_gift(gift).questions[0])
    if order is not None:
        data["answers"] = [data["answers"][i] for i in order]
    return data


def test_choices_are_counted_by_option_even_when_answers_were_shuffled():
    gift = "Who helps?{=Helper ~Nobody ~Police}"
    plain, shuffled = _snapshot(gift), _snapshot(gift, [2, 0, 1])  # Police, Helper, Nobody
    rows = [("q", "es", "multichoice", plain, 0, 1.0),      # Helper
            ("q", "es", "multichoice", shuffled, 1, 1.0),   # Helper
            ("q", "es", "multichoice", shuffled, 0, 0.0),   # Police
            ("q", "es", "multichoice", plain, None, 0.0)]   # no answer
    (dist,) = response_distribution(rows)
    assert dist.responses == 4
    assert [(o.text, o.count, o.is_right) for o in dist.options if o.key] == [
        ("Helper", 2, True), ("Nobody", 0, False), ("Police", 1, False)]
    assert dist.count_of("") == 1


def test_multiresponse_true_false_and_matching_distributions():
    multi = _snapshot("Signs?{~%50%Sleep ~%50%Appetite ~%-100%Height}")
    tf = _snapshot("PM+ has five sessions.{T}")
    match = _snapshot("Match{=Calm -> Breathing =Act -> Doing = -> Nothing}")
    rows = [("m", "es", "multiresponse", multi, [0, 1], 1.0), ("m", "es", "multiresponse", multi, [0, 2], 0.0),
            ("t", "es", "truefalse", tf, True, 1.0), ("t", "es", "truefalse", tf, False, 0.0),
            ("t", "es", "truefalse", tf, True, 1.0),
            ("x", "es", "matching", match, {"0": "Breathing", "1": "Nothing"}, 0.5)]
    m, t, x = response_distribution(rows)
    assert {o.text: o.count for o in m.options} == {"Sleep": 2, "Appetite": 1, "Height": 1}
    assert (t.count_of("true"), t.count_of("false")) == (2, 1)
    assert [o.key for o in t.options if o.is_right] == ["true"]
    assert x.count_of("Breathing", stem="Calm") == 1
    assert x.count_of("Nothing", stem="Act") == 1
    assert [o.is_right for o in x.options if o.key == "Nothing"] == [False]


def test_typed_answers_are_grouped_and_only_the_most_frequent_listed():
    short = _snapshot("Name the helper.{=Ana =%50%*ana*}")
    number = _snapshot("Sessions?{#5}")
    rows = [("s", "es", "shortanswer", short, text, f) for text, f in
            [("Ana", 1.0), (" ana ", 1.0), ("Juana", 0.5), ("Pedro", 0.0), ("Luis", 0.0), ("", 0.0)]]
    rows += [("n", "es", "numerical", number, text, f) for text, f in [("5", 1.0), ("5,0", 1.0), ("4", 0.0)]]
    s, n = response_distribution(rows, top=2)
    assert [(o.text, o.count, o.fraction) for o in s.options] == [("Ana", 2, 1.0), ("Juana", 1, 0.5), ("", 1, 0.0)]
    assert s.other == 2
    assert s.accepted == [("Ana", 1.0), ("*ana*", 0.5)]
    assert n.options[0].key == "5" and n.options[0].count == 2

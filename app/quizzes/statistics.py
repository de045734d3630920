"""The numbers behind the quiz reports: grades, pre/post gain, and Moodle-style item analysis.

Pure functions of plain numbers (no Flask, no database), so each can be checked against a
hand-computed case. Percentages are floats in 0..100. The item statistics follow Moodle's quiz
statistics report (question/classes/statistics/questions/calculator.php): facility index,
standard deviation, discrimination index (item score against the rest of the test) and
discriminative efficiency, all with sample (n − 1) variances.
"""
from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.quizzes.gift import format_number
from app.quizzes.grading import parse_number

# -- grades ---------------------------------------------------------------------------------


def quiz_grade(percents: Sequence[Any], method: str) -> Any:
    """A learner's quiz grade from their finished attempts' percents, in attempt order.

    ``method`` is a GradingMethod value: highest, last, first or average. None: no attempt.
    """
    if not percents:
        return None
    match str(method):
        case "highest":
            return max(percents)
        case "last":
            return percents[-1]
        case "first":
            return percents[0]
        case "average":  # keeps the type: Decimal percents of attempts, floats in reports
            return sum(percents[1:], percents[0]) / len(percents)
    raise ValueError(f"unknown grading method {method!r}")


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def sample_sd(values: Sequence[float]) -> float | None:
    """Standard deviation with n − 1 (as Moodle); None for fewer than two values."""
    if len(values) < 2:
        return None
    centre = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


@dataclass(frozen=True)
class GradeSummary:
    """A group's grades: how many have one, their mean and median, and how many reached the pass mark."""

    graded: int
    mean: float | None
    median: float | None
    passed: int

    @property
    def pass_rate(self) -> float | None:
        """Passed ÷ learners with a grade (0..1); None when nobody has a grade."""
        return self.passed / self.graded if self.graded else None


def summarise_grades(grades: Iterable[float | None], pass_mark: float) -> GradeSummary:
    """Learners without a grade (None) are left out of every figure."""
    present = [g for g in grades if g is not None]
    return GradeSummary(graded=len(present), mean=mean(present), median=median(present),
                        passed=sum(1 for g in present if g >= pass_mark))


# -- pre/post gain --------------------------------------------------------------------------


def normalized_gain(pre: float, post: float) -> float | None:
    """Hake's g = (post − pre) ÷ (100 − pre): the share of the possible gain achieved.

    Undefined (None) when pre is 100: nothing was left to gain. Negative when the post-test fell.
    """
    if pre >= 100:
        return None
    return (post - pre) / (100 - pre)


@dataclass(frozen=True)
class PairedComparison:
    """A group's pre/post figures over the learners who have both grades."""

    paired: int
    mean_pre: float | None
    mean_post: float | None
    mean_gain: float | None
    class_gain: float | None  # Hake's class-average g, from the two means
    mean_individual_gain: float | None  # the mean of the learners' own g (pre = 100 left out)
    individual_gains: int  # how many learners' g entered that mean


def paired_comparison(pairs: Iterable[tuple[float, float]]) -> PairedComparison:
    """``pairs`` are (pre %, post %) of the learners who took both tests."""
    pairs = list(pairs)
    pres = [pre for pre, _ in pairs]
    posts = [post for _, post in pairs]
    mean_pre, mean_post = mean(pres), mean(posts)
    gains = [g for g in (normalized_gain(pre, post) for pre, post in pairs) if g is not None]
    class_gain = None
    if mean_pre is not None and mean_post is not None:
        class_gain = normalized_gain(mean_pre, mean_post)
    return PairedComparison(
        paired=len(pairs), mean_pre=mean_pre, mean_post=mean_post,
        mean_gain=mean([post - pre for pre, post in pairs]),
        class_gain=class_gain, mean_individual_gain=mean(gains), individual_gains=len(gains),
    )


# -- item analysis --------------------------------------------------------------------------

LOW_DISCRIMINATION = 0.2  # below this an item hardly separates stronger from weaker learners
TOO_EASY, TOO_HARD = 90.0, 20.0  # facility index, %
FEW_ATTEMPTS = 10  # below this the flags are too noisy to act on


class ItemFlag(StrEnum):
    WRONG_KEY = "wrong_key"  # negative discrimination: the strong learners got it wrong
    LOW_DISCRIMINATION = "low_discrimination"
    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"


@dataclass
class ItemStats:
    """One question (or one variant of it: language and version) over the attempts analysed.

    ``facility`` and ``sd`` are % of the question's mark; ``discrimination`` is the correlation
    (−1..1) of the item score with the rest of the test; ``efficiency`` is % of the largest
    correlation the two score distributions allow.
    """

    key: str
    variant: Hashable | None
    attempts: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None
    variants: list[ItemStats] = field(default_factory=list)

    @property
    def flags(self) -> list[ItemFlag]:
        found = []
        if self.discrimination is not None:
            if self.discrimination < 0:
                found.append(ItemFlag.WRONG_KEY)
            elif self.discrimination < LOW_DISCRIMINATION:
                found.append(ItemFlag.LOW_DISCRIMINATION)
        if self.facility is not None:
            if self.facility > TOO_EASY:
                found.append(ItemFlag.TOO_EASY)
            elif self.facility < TOO_HARD:
                found.append(ItemFlag.TOO_HARD)
        return found


@dataclass(frozen=True)
class TestStats:
    """The attempts as a whole: their total % and the test's internal consistency."""

    attempts: int
    mean: float | None
    median: float | None
    sd: float | None
    cronbach_alpha: float | None  # None unless every attempt had the same k ≥ 2 questions


@dataclass(frozen=True)
class ItemAnalysis:
    test: TestStats
    items: list[ItemStats]


class _Scores:
    """The (attempt, score, fraction, variant) rows of one item, kept compactly."""

    __slots__ = ("attempts", "scores", "fractions", "variants")

    def __init__(self) -> None:
        self.attempts = array("q")
        self.scores = array("d")
        self.fractions = array("d")
        self.variants: list[Hashable] = []

    def only(self, variant: Hashable) -> _Scores:
        part = _Scores()
        for attempt, score, fraction, seen in zip(self.attempts, self.scores, self.fractions, self.variants):
            if seen == variant:
                part.attempts.append(attempt)
                part.scores.append(score)
                part.fractions.append(fraction)
        return part


def item_analysis(rows: Iterable[tuple[int, str, Hashable, float, float]]) -> ItemAnalysis:
    """Statistics per question from (attempt id, question key, variant, fraction, mark) rows.

    Every row is one graded question of one attempt that is analysed; the attempt's total is
    the sum of its rows' scores (fraction × mark), so the rest of the test for an item is that
    total minus the item's own score, as in Moodle. Items keep the order they first appear in.
    """
    by_key: dict[str, _Scores] = {}
    totals: dict[int, float] = {}
    maxima: dict[int, float] = {}
    counts: dict[int, int] = {}
    for attempt_id, key, variant, fraction, mark in rows:
        score = fraction * mark
        if attempt_id in totals:
            totals[attempt_id] += score
            maxima[attempt_id] += mark
            counts[attempt_id] += 1
        else:
            totals[attempt_id], maxima[attempt_id], counts[attempt_id] = score, mark, 1
        bucket = by_key.get(key)
        if bucket is None:
            bucket = by_key[key] = _Scores()
        bucket.attempts.append(attempt_id)
        bucket.scores.append(score)
        bucket.fractions.append(fraction)
        bucket.variants.append(variant)
    items = []
    for key, bucket in by_key.items():
        item = _item_stats(key, None, bucket, totals)
        variants = list(dict.fromkeys(bucket.variants))
        if len(variants) > 1:
            item.variants = [_item_stats(key, v, bucket.only(v), totals) for v in variants]
        items.append(item)
    return ItemAnalysis(test=_test_stats(totals, maxima, by_key, counts), items=items)


def _item_stats(key: str, variant: Hashable | None, bucket: _Scores, totals: dict[int, float]) -> ItemStats:
    n = len(bucket.scores)
    facility = 100 * math.fsum(bucket.fractions) / n
    sd = sample_sd(bucket.fractions)
    scores = bucket.scores
    rest = [totals[a] - s for a, s in zip(bucket.attempts, scores)]
    discrimination = efficiency = None
    if n > 1:
        mean_score, mean_rest = math.fsum(scores) / n, math.fsum(rest) / n
        ds = [s - mean_score for s in scores]
        dr = [r - mean_rest for r in rest]
        covariance = math.fsum(map(operator.mul, ds, dr))
        var_score = math.fsum(map(operator.mul, ds, ds))
        var_rest = math.fsum(map(operator.mul, dr, dr))
        # The (n − 1) divisors cancel in both ratios, so the sums are compared directly.
        if var_score > 1e-12 and var_rest > 1e-12:
            discrimination = covariance / math.sqrt(var_score * var_rest)
        ds.sort()
        dr.sort()
        covariance_max = math.fsum(map(operator.mul, ds, dr))
        if covariance_max > 1e-12:
            efficiency = 100 * covariance / covariance_max
    return ItemStats(key=key, variant=variant, attempts=n, facility=facility,
                     sd=None if sd is None else 100 * sd, discrimination=discrimination, efficiency=efficiency)


def _test_stats(totals: dict[int, float], maxima: dict[int, float], by_key: dict[str, _Scores],
                keysets: dict[int, int]) -> TestStats:
    percents = [100 * totals[a] / maxima[a] for a in totals if maxima[a] > 0]
    sd = sample_sd(percents)
    return TestStats(attempts=len(totals), mean=mean(percents), median=median(percents), sd=sd,
                     cronbach_alpha=_cronbach_alpha(totals, by_key, keysets))


def _cronbach_alpha(totals: dict[int, float], by_key: dict[str, _Scores], keysets: dict[int, int]) -> float | None:
    """α = k/(k − 1) · (1 − Σ item variances ÷ total variance), Moodle's coefficient of internal consistency.

    Only defined when every attempt answered the same k questions (no random draws).
    """
    k = len(by_key)
    n = len(totals)
    if k < 2 or n < 2 or any(len(bucket.scores) != n for bucket in by_key.values()):
        return None
    if any(count != k for count in keysets.values()):
        return None
    total_var = sample_sd(list(totals.values())) ** 2
    if total_var <= 1e-12:
        return None
    item_var = math.fsum(sample_sd(bucket.scores) ** 2 for bucket in by_key.values())
    return k / (k - 1) * (1 - item_var / total_var)


# -- response distribution ------------------------------------------------------------------

NO_ANSWER = ""  # the key of the "no answer" bucket
CHOICE_TYPES = ("multichoice", "multiresponse", "truefalse")
TEXT_TYPES = ("shortanswer", "numerical")


@dataclass
class ResponseCount:
    """How many chose one option (or gave one typed answer). ``fraction``: the credit it earns."""

    key: str
    text: str
    fraction: float | None
    count: int = 0
    stem: str | None = None  # matching: the stem this answer was given for

    @property
    def is_right(self) -> bool:
        return self.fraction is not None and self.fraction > 0


@dataclass
class ResponseDistribution:
    """The responses to one question in one variant. For text answers only the ``top`` most frequent
    are listed and ``other`` counts the rest; ``accepted`` lists the answers the key gives credit."""

    key: str
    variant: Hashable
    qtype: str
    responses: int = 0
    options: list[ResponseCount] = field(default_factory=list)
    other: int = 0
    accepted: list[tuple[str, float]] = field(default_factory=list)

    def count_of(self, key: str, stem: str | None = None) -> int:
        return sum(o.count for o in self.options if o.key == key and o.stem == stem)


class _Tally:
    def __init__(self, key: str, variant: Hashable, qtype: str, snapshot: dict) -> None:
        self.dist = ResponseDistribution(key=key, variant=variant, qtype=qtype)
        self.options: dict[tuple[str | None, str], ResponseCount] = {}
        answers = snapshot.get("answers") or []
        if qtype == "truefalse" and len(answers) == 2:
            self._option("true", "true", float(answers[0]["fraction"]))
            self._option("false", "false", float(answers[1]["fraction"]))
        elif qtype in CHOICE_TYPES:
            for answer in answers:
                self._option(answer["text"], answer["text"], float(answer["fraction"]))
        elif qtype in TEXT_TYPES:
            self.dist.accepted = [(a["text"], float(a["fraction"])) for a in answers if float(a["fraction"]) > 0]
        elif qtype == "matching":
            for pair in snapshot.get("pairs") or []:
                if pair["question"]:
                    self._option(pair["answer"], pair["answer"], 1.0, stem=pair["question"])

    def _option(self, key: str, text: str, fraction: float | None, stem: str | None = None) -> ResponseCount:
        option = self.options.get((stem, key))
        if option is None:
            option = self.options[(stem, key)] = ResponseCount(key=key, text=text, fraction=fraction, stem=stem)
        return option

    def add(self, snapshot: dict, response: object, fraction: float | None) -> None:
        qtype = self.dist.qtype
        self.dist.responses += 1
        if response is None or response == "" or response == [] or response == {}:
            self._option(NO_ANSWER, NO_ANSWER, 0.0).count += 1
            return
        answers = snapshot.get("answers") or []
        if qtype == "truefalse":
            self._option("true" if response else "false", "", None).count += 1
        elif qtype == "multichoice":
            self._chosen(answers, response)
        elif qtype == "multiresponse":
            for index in response if isinstance(response, list) else [response]:
                self._chosen(answers, index)
        elif qtype in TEXT_TYPES:
            text = " ".join(str(response).split())
            key = _number_key(text) if qtype == "numerical" else text.casefold()
            option = self._option(key, text, fraction)
            option.count += 1
            if fraction is not None and (option.fraction is None or fraction > option.fraction):
                option.fraction = fraction
        elif qtype == "matching" and isinstance(response, dict):
            stems = [pair for pair in snapshot.get("pairs") or [] if pair["question"]]
            for index, pair in enumerate(stems):
                chosen = response.get(str(index), response.get(index))
                if chosen is None:
                    continue
                right = 1.0 if chosen == pair["answer"] else 0.0
                self._option(str(chosen), str(chosen), right, stem=pair["question"]).count += 1

    def _chosen(self, answers: list[dict], index: object) -> None:
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(answers):
            answer = answers[index]
            self._option(answer["text"], answer["text"], float(answer["fraction"])).count += 1

    def finish(self, top: int) -> ResponseDistribution:
        options = list(self.options.values())
        if self.dist.qtype in TEXT_TYPES:
            blank = [o for o in options if o.key == NO_ANSWER]
            typed = sorted((o for o in options if o.key != NO_ANSWER), key=lambda o: (-o.count, o.key))
            self.dist.other = sum(o.count for o in typed[top:])
            options = typed[:top] + blank
        self.dist.options = options
        return self.dist


def _number_key(text: str) -> str:
    number = parse_number(text)
    return text.casefold() if number is None else format_number(number)


def response_distribution(rows: Iterable[tuple[str, Hashable, str, dict, object, float | None]],
                          top: int = 10) -> list[ResponseDistribution]:
    """Per (question key, variant): how often each option was chosen, from
    (key, variant, qtype, snapshot, response, fraction) rows. Responses index the snapshot's
    answers in the order shown, so shuffled attempts still count the same option together."""
    tallies: dict[tuple[str, Hashable], _Tally] = {}
    for key, variant, qtype, snapshot, response, fraction in rows:
        tally = tallies.get((key, variant))
        if tally is None:
            tally = tallies[(key, variant)] = _Tally(key, variant, str(qtype), snapshot)
        tally.add(snapshot, response, fraction)
    return [tally.finish(top) for tally in tallies.values()]

"""Read GIFT text into questions, the way Moodle's ``qformat_gift::readquestion`` does.

Where Moodle silently accepts something that is almost certainly a typing mistake
(an answer with no ``=``/``~``, a weight it cannot read, a number that is not one),
this parser reports the line instead: an import is all or nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from app.quizzes.gift import (
    GiftAnswer,
    GiftError,
    GiftImport,
    GiftQuestion,
    GiftSyntaxError,
    MatchPair,
    QuestionType,
    TextFormat,
    format_number,
)

# PHP's trim() set: Moodle trims with it, and non-breaking spaces are kept.
WHITESPACE = " \t\n\r\0\x0b"

# Escaped control characters become Unicode noncharacters while the structure is
# read, then turn back into the characters themselves (Moodle uses "&&058;" etc.).
_PLACEHOLDERS = {
    "\\\\": "\ufdd0",
    "\\:": "\ufdd1",
    "\\#": "\ufdd2",
    "\\=": "\ufdd3",
    "\\{": "\ufdd4",
    "\\}": "\ufdd5",
    "\\~": "\ufdd6",
    "\\n": "\ufdd7",
}
_RESTORED = str.maketrans({
    "\ufdd0": "\\", "\ufdd1": ":", "\ufdd2": "#", "\ufdd3": "=",
    "\ufdd4": "{", "\ufdd5": "}", "\ufdd6": "~", "\ufdd7": "\n",
})
_ESCAPE = re.compile(r"\\[\\:#={}~n]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_LOOKS_LIKE_WEIGHT = re.compile(r"%[^%\n]*%")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d*)?)%")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TAG = re.compile(r"<[^>]*>")
_FORMATS = {str(fmt): fmt for fmt in TextFormat}


def parse_gift(text: str) -> GiftImport:
    """Parse a whole GIFT file; raise GiftSyntaxError listing every malformed line."""
    errors: list[GiftError] = []
    questions: list[GiftQuestion] = []
    categories: list[str] = []
    category: str | None = None
    for block in _blocks(text):
        reader = _BlockReader(block, category)
        try:
            question = reader.read()
        except _Abort:
            question = None
        errors.extend(reader.errors)
        if reader.category != category:
            category = reader.category
            if category not in categories:
                categories.append(category)
        if question is not None and not reader.errors:
            questions.append(question)
    if errors:
        raise GiftSyntaxError(errors)
    return GiftImport(tuple(questions), tuple(categories))


@dataclass
class _Block:
    """The lines between two blank lines, comments dropped, escapes replaced."""

    text: str
    line_numbers: list[int]

    def line_at(self, pos: int) -> int:
        return self.line_numbers[self.text.count("\n", 0, pos)]


def _blocks(text: str) -> Iterator[_Block]:
    lines: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff")), 1):
        line = raw.strip(WHITESPACE)
        if not line:
            if lines:
                yield _make_block(lines, numbers)
            lines, numbers = [], []
        elif line.startswith("//"):
            continue
        else:
            lines.append(line)
            numbers.append(number)
    if lines:
        yield _make_block(lines, numbers)


def _make_block(lines: list[str], numbers: list[int]) -> _Block:
    text = "\n".join(lines)
    if any(char in text for char in _PLACEHOLDERS.values()):
        text = text.translate({ord(char): "\ufffd" for char in _PLACEHOLDERS.values()})
    text = _ESCAPE.sub(lambda match: _PLACEHOLDERS[match.group()], text)
    return _Block(text, numbers)


def _unescape(text: str) -> str:
    return text.translate(_RESTORED)


def _with_format(raw: str, default: TextFormat) -> tuple[str, TextFormat]:
    """Moodle's parse_text_with_format: an optional leading ``[html]``-style tag."""
    fmt = default
    if raw.startswith("["):
        end = raw.find("]")
        if end > 0 and raw[1:end] in _FORMATS:
            fmt, raw = _FORMATS[raw[1:end]], raw[end + 1:]
    text = _unescape(raw).strip(WHITESPACE)
    # An empty text keeps no format of its own, so that export and import agree.
    return text, fmt if text else default


def _default_name(text: str) -> str:
    """Like Moodle's create_default_question_name: tags stripped, about 80 characters."""
    name = " ".join(_TAG.sub("", text).split())
    if len(name) > 80:
        cut = name[:77]
        name = (cut[: cut.rfind(" ")] if " " in cut else cut) + "..."
    return name or "Question"


class _Abort(Exception):
    """The block cannot be read any further; its errors are already recorded."""


class _BlockReader:
    def __init__(self, block: _Block, category: str | None) -> None:
        self.block = block
        self.s = block.text
        self.category = category
        self.errors: list[GiftError] = []

    def error(self, pos: int, message: str) -> None:
        self.errors.append(GiftError(self.block.line_at(pos), message))

    def abort(self, pos: int, message: str) -> _Abort:
        self.error(pos, message)
        return _Abort()

    def skip_space(self, pos: int, end: int | None = None) -> int:
        end = len(self.s) if end is None else end
        while pos < end and self.s[pos] in WHITESPACE:
            pos += 1
        return pos

    def read(self) -> GiftQuestion | None:
        s = self.s
        start = self.skip_space(0)
        if s.startswith("$CATEGORY:", start):
            line_end = s.find("\n", start)
            line_end = len(s) if line_end == -1 else line_end
            name = _unescape(s[start + len("$CATEGORY:"):line_end]).strip(WHITESPACE)
            if not name:
                raise self.abort(start, "$CATEGORY: has no category name")
            self.category = name
            # Moodle would swallow the following lines into the name; read them as a question.
            start = self.skip_space(line_end)
            if start == len(s):
                return None
        return self.read_question(start)

    def read_question(self, start: int) -> GiftQuestion:
        s = self.s
        name: str | None = None
        pos = start
        if s.startswith("::", start):
            close = s.find("::", start + 2)
            if close == -1:
                raise self.abort(start, "question name is not closed with '::'")
            name = _unescape(s[start + 2:close]).strip(WHITESPACE)
            pos = self.skip_space(close + 2)
        end = len(s.rstrip(WHITESPACE))

        opening, closing = s.find("{", pos), s.find("}", pos)
        if opening == -1 and closing == -1:
            text, fmt = _with_format(s[pos:end], TextFormat.MOODLE)
            if not text:
                raise self.abort(start, "question has no text")
            return GiftQuestion(
                QuestionType.DESCRIPTION, name if name is not None else _default_name(text),
                text, fmt, category=self.category, line=self.block.line_at(start))
        if closing == -1:
            raise self.abort(opening, "'{' is never closed by '}'")
        if opening == -1 or closing < opening:
            raise self.abort(closing, "'}' without an opening '{' (write \\} for a literal brace)")
        nested = s.find("{", opening + 1, closing)
        if nested != -1:
            raise self.abort(nested, "'{' inside the answers (write \\{ for a literal brace)")
        for extra in (s.find("{", closing + 1), s.find("}", closing + 1)):
            if extra != -1:
                raise self.abort(extra, "a second answer block; a question has one {...} "
                                 "(write \\{ \\} for literal braces)")

        if closing + 1 >= end:
            raw_text = s[pos:opening]
        else:  # Text after the answers: the answers stand for a missing word.
            raw_text = s[pos:opening] + "_____" + s[closing + 1:end]
        text, fmt = _with_format(raw_text, TextFormat.MOODLE)
        if not text:
            raise self.abort(start, "question has no text")

        a_start, a_end = opening + 1, closing
        general_feedback, general_format = "", fmt
        separator = s.rfind("####", a_start, a_end)
        if separator != -1:
            general_feedback, general_format = _with_format(s[separator + 4:a_end], fmt)
            a_end = separator
        a_start = self.skip_space(a_start, a_end)
        while a_end > a_start and s[a_end - 1] in WHITESPACE:
            a_end -= 1

        question = GiftQuestion(
            QuestionType.ESSAY, name if name is not None else _default_name(text), text, fmt,
            general_feedback=general_feedback, general_feedback_format=general_format,
            category=self.category, line=self.block.line_at(start))
        answers = s[a_start:a_end]
        if not answers:
            return question
        if answers.startswith("#"):
            return self.numerical(question, a_start + 1, a_end)
        if "~" in answers:
            return self.multichoice(question, a_start, a_end, single="=" in answers)
        if "=" in answers and "->" in answers:
            return self.matching(question, a_start, a_end, opening)
        hash_at = answers.find("#")
        tf_check = answers[:hash_at].strip(WHITESPACE) if hash_at > 0 else answers
        if tf_check in _TRUE_FALSE:
            return self.truefalse(question, answers)
        return self.shortanswer(question, a_start, a_end)

    def chunks(self, start: int, end: int, markers: str,
               leading_allowed: bool = False) -> list[tuple[str, int, str]]:
        """Split the answers at each marker: (marker, position, text after the marker)."""
        s = self.s
        cuts = [i for i in range(start, end) if s[i] in markers]
        leading = s[start:cuts[0] if cuts else end].strip(WHITESPACE)
        result = []
        if leading:
            if not leading_allowed:
                self.error(start, f"answer {_unescape(leading)!r} must start with "
                           f"{' or '.join(repr(m) for m in markers)}")
            else:
                result.append(("", start, leading))
        for i, cut in enumerate(cuts):
            chunk = s[cut + 1:cuts[i + 1] if i + 1 < len(cuts) else end].strip(WHITESPACE)
            result.append((s[cut], cut, chunk))
        return result

    def weight(self, chunk: str, pos: int, default: Decimal,
               negative: bool) -> tuple[Decimal, str]:
        if not _LOOKS_LIKE_WEIGHT.match(chunk):
            return default, chunk
        match = _WEIGHT.match(chunk)
        if match is None:
            self.error(pos, f"bad weight {chunk[:chunk.index('%', 1) + 1]!r}; "
                       "write a percentage such as %50% or %-25%")
            return default, chunk
        fraction = Decimal(match.group(1)) / 100
        if not -1 <= fraction <= 1:
            self.error(pos, f"weight {match.group()} is outside -100%..100%")
        elif fraction < 0 and not negative:
            self.error(pos, f"negative weight {match.group()} is only allowed in multiple choice")
        return fraction, chunk[match.end():]

    def feedback_split(self, chunk: str, default: TextFormat):
        """Moodle's commentparser: answer text, then feedback after the first '#'."""
        answer, _, feedback = chunk.partition("#")
        text, text_format = _with_format(answer.strip(WHITESPACE), default)
        feedback, feedback_format = _with_format(feedback.strip(WHITESPACE), default)
        return text, text_format, feedback, feedback_format

    def multichoice(self, question: GiftQuestion, start: int, end: int,
                    single: bool) -> GiftQuestion:
        answers = []
        for marker, pos, chunk in self.chunks(start, end, "~="):
            if marker == "=":
                fraction = Decimal(1)
                if _LOOKS_LIKE_WEIGHT.match(chunk):
                    self.error(pos, "'=' is always 100% in multiple choice; "
                               "write ~%50% for partial credit")
            else:
                fraction, chunk = self.weight(chunk, pos, Decimal(0), negative=True)
            text, text_format, feedback, feedback_format = self.feedback_split(
                chunk, question.text_format)
            if not text:
                self.error(pos, "empty answer")
            answers.append(GiftAnswer(text, fraction, feedback, text_format, feedback_format))
        if len(answers) < 2:
            self.error(start, "multiple choice needs at least two answers")
        if not single and len(answers) >= 2:
            total = sum((a.fraction for a in answers if a.fraction > 0), Decimal(0))
            if round(total, 2) != 1:
                self.error(start, "in a multiple-response question (no '=' answer) the positive "
                           f"weights must add up to 100%, not {format_number(total * 100)}%")
        qtype = QuestionType.MULTICHOICE if single else QuestionType.MULTIRESPONSE
        return replace(question, qtype=qtype, answers=tuple(answers))

    def matching(self, question: GiftQuestion, start: int, end: int,
                 opening: int) -> GiftQuestion:
        pairs = []
        for _, pos, chunk in self.chunks(start, end, "="):
            left, arrow, right = chunk.partition("->")
            if not arrow:
                self.error(pos, "matching pair without '->'")
                continue
            stem, stem_format = _with_format(left.strip(WHITESPACE), question.text_format)
            answer = _unescape(right).strip(WHITESPACE)
            if not answer:
                self.error(pos, "matching pair without an answer after '->'")
            pairs.append(MatchPair(stem, answer, stem_format))
        if len(pairs) < 2 or not any(pair.question for pair in pairs):
            self.error(opening, "matching needs at least two '=question -> answer' pairs")
        return replace(question, qtype=QuestionType.MATCHING, pairs=tuple(pairs))

    def truefalse(self, question: GiftQuestion, answers: str) -> GiftQuestion:
        bits = answers.split("#", 2) + ["", ""]
        fmt = question.text_format
        correct = _TRUE_FALSE[bits[0].strip(WHITESPACE)]
        wrong, wrong_format = _with_format(bits[1].strip(WHITESPACE), fmt)
        right, right_format = _with_format(bits[2].strip(WHITESPACE), fmt)
        if correct:
            true = GiftAnswer("True", Decimal(1), right, fmt, right_format)
            false = GiftAnswer("False", Decimal(0), wrong, fmt, wrong_format)
        else:
            true = GiftAnswer("True", Decimal(0), wrong, fmt, wrong_format)
            false = GiftAnswer("False", Decimal(1), right, fmt, right_format)
        return replace(question, qtype=QuestionType.TRUEFALSE, answers=(true, false))

    def shortanswer(self, question: GiftQuestion, start: int, end: int) -> GiftQuestion:
        answers = []
        for _, pos, chunk in self.chunks(start, end, "="):
            fraction, chunk = self.weight(chunk, pos, Decimal(1), negative=False)
            text, _, feedback, feedback_format = self.feedback_split(chunk, question.text_format)
            if not text:
                self.error(pos, "empty answer")
            answers.append(
                GiftAnswer(text, fraction, feedback, question.text_format, feedback_format))
        return replace(question, qtype=QuestionType.SHORTANSWER, answers=tuple(answers))

    def numerical(self, question: GiftQuestion, start: int, end: int) -> GiftQuestion:
        s = self.s
        tilde = s.find("~", start, end)
        answers = []
        for _, pos, chunk in self.chunks(start, end if tilde == -1 else tilde, "=",
                                         leading_allowed=True):
            fraction, chunk = self.weight(chunk, pos, Decimal(1), negative=False)
            text, _, feedback, feedback_format = self.feedback_split(chunk, question.text_format)
            value, tolerance = self.number(text, pos)
            answers.append(GiftAnswer(
                "*" if value is None else format_number(value), fraction, feedback,
                question.text_format, feedback_format, value, tolerance))
        if tilde != -1:
            before, _, rest = s[tilde + 1:end].partition("#")
            if before.strip(WHITESPACE):
                self.error(tilde, "in a numerical question '~' may only be followed by "
                           "#feedback for any other answer")
            feedback, feedback_format = _with_format(rest.strip(WHITESPACE), question.text_format)
            answers.append(GiftAnswer("*", Decimal(0), feedback, question.text_format,
                                      feedback_format))
        if not answers:
            self.error(start, "numerical question without an answer")
        return replace(question, qtype=QuestionType.NUMERICAL, answers=tuple(answers))

    def number(self, text: str, pos: int) -> tuple[Decimal | None, Decimal]:
        """``value``, ``value:tolerance`` or ``min..max`` (stored as midpoint ± half)."""
        if text == "*":
            return None, Decimal(0)
        try:
            if text.find("..") > 0:
                low, high = (_decimal(part) for part in text.split("..", 1))
                if low > high:
                    self.error(pos, f"range {text!r} runs from high to low")
                middle = (low + high) / 2
                return middle, high - middle
            if text.find(":") > 0:
                value, tolerance = (_decimal(part) for part in text.split(":", 1))
                if tolerance < 0:
                    self.error(pos, f"negative tolerance in {text!r}")
                return value, tolerance
            return _decimal(text), Decimal(0)
        except InvalidOperation:
            self.error(pos, f"not a number: {text!r} (write 3, 3:0.5 or 2..4)")
            return Decimal(0), Decimal(0)


def _decimal(text: str) -> Decimal:
    text = text.strip(WHITESPACE)
    if not _NUMBER.fullmatch(text):
        raise InvalidOperation(text)
    return Decimal(text)

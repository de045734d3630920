"""Keeping supervision records de-identified: client codes, and warnings for names and phone numbers.

A client code is enforced (letters, digits and dashes, with at least one digit, so a name can
never pass as a code). Free text only gets a warning: the checks below are heuristics and a
supervisor must be able to write "Centro de Salud" or a date without being blocked.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CLIENT_CODE_PATTERN = re.compile(r"^(?=.*\d)[A-Za-z0-9]{1,10}(?:-[A-Za-z0-9]{1,10}){0,3}$")
CLIENT_CODE_MAX = 20


def normalise_client_code(value: str | None) -> str:
    return (value or "").strip().upper()


def is_valid_client_code(value: str | None) -> bool:
    code = normalise_client_code(value)
    return len(code) <= CLIENT_CODE_MAX and CLIENT_CODE_PATTERN.match(code) is not None


# Common given names in Mexico and Peru (accents folded before comparing).
GIVEN_NAMES = frozenset("""
abel adela adriana agustin alberto alejandra alejandro alicia alma ana andrea andres angel angela angelica
antonio armando arturo beatriz benito blanca brenda carla carlos carmen carolina catalina cecilia cesar
claudia cristina cristian daniel daniela david diana diego eduardo elena elizabeth elsa emilio enrique
ernesto esteban eugenia eva fabiola felipe fernanda fernando francisca francisco gabriel gabriela gerardo
gloria graciela guadalupe guillermo gustavo hector hilda hugo ignacio irma isabel ismael ivan jaime javier
jesus jessica joaquin jorge jose josefina juan juana julia julio karla laura leticia lorena lourdes luis
lupita manuel marco marcos margarita maria mariana mario marisol marta martha martin mateo maximo miguel
monica nancy natalia norma octavio oscar pablo patricia paula pedro rafael ramon raul ricardo roberto
rocio rodrigo rogelio rosa rosario ruben ruth salvador samuel sandra santiago sara sergio silvia sofia
susana teresa tomas valentina valeria veronica vicente victor virginia yolanda quispe mamani condori huaman
""".split())
# Names that are also everyday words: they count only inside a sentence, never as its first word.
AMBIGUOUS_NAMES = frozenset("rosa luz paz dolores mercedes pilar consuelo soledad esperanza amparo victoria "
                            "angeles angel salvador jesus".split())
# Capitalised words that are not names (places, services, months and days).
NOT_NAMES = frozenset("""
centro salud clinica hospital casa comunidad escuela iglesia municipio colonia ejido dif imss issste
minsa essalud ministerio secretaria programa roja pm pfa ppa enero febrero marzo abril mayo junio
julio agosto septiembre setiembre octubre noviembre diciembre lunes martes miercoles jueves viernes
sabado domingo january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday i
""".split()) - {"julio"}
CONNECTORS = frozenset({"de", "del", "la", "las", "los", "y"})

_WORD = re.compile(r"[^\W\d_]+(?:[’'-][^\W\d_]+)*", re.UNICODE)
_PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{5,}\d(?![\w/])")
_TITLE_BEFORE = re.compile(r"(?<!\w)(?:Dr|Dra|Sr|Sra|Srta|Lic|Don|Doña|Mr|Mrs|Ms)\.?\s+$")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}-\d{1,2}-\d{2,4}$")


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


TITLES = frozenset("dr dra sr sra srta lic ing prof mtro mtra".split())


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'«“¿¡(")
    if before.endswith(".") and _fold(before[:-1].split()[-1] if before[:-1].split() else "") in TITLES:
        return False  # "Dra. Sánchez": a title's full stop ends no sentence
    return not before or before[-1] in ".!?:;\n"


@dataclass(frozen=True)
class Finding:
    kind: str  # "name" or "phone"
    text: str


def find_names(text: str | None) -> list[str]:
    """Words that look like a person's name: a run of two or more capitalised words inside a
    sentence (connectors such as "de la" may join them), or a common given name."""
    if not text:
        return []
    found: list[str] = []
    run: list[re.Match] = []

    def close_run() -> None:
        while run and _fold(run[-1].group()) in CONNECTORS:
            run.pop()
        words = run[1:] if run and _at_sentence_start(text, run[0].start()) else run[:]
        capitalised = [w for w in words if _fold(w.group()) not in CONNECTORS]
        if len(capitalised) >= 2:
            found.append(text[words[0].start():words[-1].end()])
        run.clear()

    previous_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        folded = _fold(word)
        gap = text[previous_end:match.start()]
        if run and (gap.strip() or "\n" in gap):
            close_run()
        previous_end = match.end()
        if _is_capitalised(word) and folded not in NOT_NAMES:
            run.append(match)
            start = _at_sentence_start(text, match.start())
            if folded in GIVEN_NAMES and not (start and folded in AMBIGUOUS_NAMES):
                found.append(word)
            elif _TITLE_BEFORE.search(text[:match.start()]):
                found.append(word)
        elif run and folded in CONNECTORS:
            run.append(match)
        else:
            close_run()
    close_run()
    return list(dict.fromkeys(found))


def find_phones(text: str | None) -> list[str]:
    """Seven or more digits, possibly with spaces, dashes, dots or brackets; dates are not phones."""
    if not text:
        return []
    found = []
    for match in _PHONE.finditer(text):
        candidate = match.group().strip()
        if sum(c.isdigit() for c in candidate) >= 7 and not _DATE.match(candidate):
            found.append(candidate)
    return found


def check_text(text: str | None) -> list[Finding]:
    return [Finding("name", n) for n in find_names(text)] + [Finding("phone", p) for p in find_phones(text)]

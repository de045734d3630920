"""Derive an item's competency level from the behaviours a rater ticked.

Pure functions and constants only: no Flask, no database. The rule (EQUIP-style):

=====  ==================================================================
level  rule
=====  ==================================================================
None   the item was not observed / not applicable (e.g. non-verbal skills
       over the phone). This is *not* a level and must not be averaged.
1      any potentially harmful behaviour seen. Overrides everything else.
2      no harmful behaviour, and not all basic behaviours seen
       (advanced behaviours without all basic ones still give 2).
3      no harmful behaviour, all basic behaviours seen, no advanced.
4      no harmful behaviour, all basic behaviours seen, and at least one
       advanced behaviour.
=====  ==================================================================

Decisions documented here:

* **Counts, not codes.** :func:`derive_level` takes counts, so it can be tested
  exhaustively and reused by any caller (the assessment form, imports, reports).
  The caller counts the ticked behaviour codes of each group for one item.
* **An item with no basic behaviours** (``basic_total == 0``): "all basic behaviours
  seen" is vacuously true, so such an item gives 3, or 4 with an advanced behaviour.
  Our packs always have at least two basic behaviours; this only fixes the edge.
* **Not observed with ticks is an error.** ``not_observed=True`` together with any
  ticked behaviour raises :class:`ValueError` instead of returning ``None``: silently
  dropping a harmful tick would hide a harm flag. The form must clear the ticks (or
  the N/A mark) first.
* Counts must be ``int`` (``bool`` is rejected) and ``>= 0``, and ``basic_seen`` may
  not exceed ``basic_total``; otherwise :class:`ValueError` (or :class:`TypeError` for
  a wrong type). There is no ``harmful_total``/``advanced_total`` because only
  "any" matters for those groups.
"""
from __future__ import annotations

from typing import Final

HARMFUL: Final = 1
SOME_BASIC: Final = 2
ALL_BASIC: Final = 3
ADVANCED: Final = 4

LEVELS: Final[tuple[int, ...]] = (HARMFUL, SOME_BASIC, ALL_BASIC, ADVANCED)

#: Display labels per level and language. Plain strings (content, not UI gettext).
LEVEL_NAMES: Final[dict[int, dict[str, str]]] = {
    HARMFUL: {"en": "Potentially harmful", "es": "Potencialmente dañino"},
    SOME_BASIC: {"en": "Some basic skills", "es": "Algunas habilidades básicas"},
    ALL_BASIC: {"en": "All basic skills", "es": "Todas las habilidades básicas"},
    ADVANCED: {"en": "Advanced skills", "es": "Habilidades avanzadas"},
}


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def derive_level(
    harmful_seen: int,
    basic_seen: int,
    basic_total: int,
    advanced_seen: int,
    not_observed: bool = False,
) -> int | None:
    """Return the level (1–4) of one item, or ``None`` if it was not observed.

    :param harmful_seen: number of distinct potentially harmful behaviours ticked.
    :param basic_seen: number of distinct basic behaviours ticked.
    :param basic_total: number of basic behaviours the item defines.
    :param advanced_seen: number of distinct advanced behaviours ticked.
    :param not_observed: the rater marked the item "not observed / not applicable".
    :raises ValueError: a negative count, ``basic_seen > basic_total``, or
        ``not_observed`` together with any ticked behaviour.
    :raises TypeError: a count that is not an ``int`` or ``not_observed`` that is not
        a ``bool``.
    """
    harmful_seen = _check_count("harmful_seen", harmful_seen)
    basic_seen = _check_count("basic_seen", basic_seen)
    basic_total = _check_count("basic_total", basic_total)
    advanced_seen = _check_count("advanced_seen", advanced_seen)
    if not isinstance(not_observed, bool):
        raise TypeError(f"not_observed must be a bool, got {type(not_observed).__name__}")
    if basic_seen > basic_total:
        raise ValueError(f"basic_seen ({basic_seen}) exceeds basic_total ({basic_total})")

    if not_observed:
        if harmful_seen or basic_seen or advanced_seen:
            raise ValueError("an item marked not observed cannot have ticked behaviours")
        return None
    if harmful_seen > 0:
        return HARMFUL
    if basic_seen < basic_total:
        return SOME_BASIC
    if advanced_seen > 0:
        return ADVANCED
    return ALL_BASIC

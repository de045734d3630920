"""The EQUIP-style level rule: exhaustive check against an independent oracle."""
from __future__ import annotations

import itertools

import pytest

from app.competencies.levels import LEVEL_NAMES, derive_level


def oracle(harmful: int, basic_seen: int, basic_total: int, advanced: int, na: bool):
    """Written from the rule table, deliberately not like the implementation.

    Returns a level, None, or the exception class expected.
    """
    if min(harmful, basic_seen, basic_total, advanced) < 0 or basic_seen > basic_total:
        return ValueError
    ticked = harmful + basic_seen + advanced
    if na:
        return None if ticked == 0 else ValueError
    levels = {
        # (any harmful, all basic, any advanced) -> level
        (True, True, True): 1, (True, True, False): 1,
        (True, False, True): 1, (True, False, False): 1,
        (False, False, True): 2, (False, False, False): 2,
        (False, True, False): 3, (False, True, True): 4,
    }
    return levels[(harmful >= 1, basic_seen == basic_total, advanced >= 1)]


def _call(*args, **kwargs):
    try:
        return derive_level(*args, **kwargs)
    except ValueError:
        return ValueError


def test_every_small_combination_matches_oracle():
    checked = 0
    failures = []
    for harmful, basic_total, advanced, na in itertools.product(
        range(4), range(6), range(4), (False, True)
    ):
        for basic_seen in range(basic_total + 1):
            expected = oracle(harmful, basic_seen, basic_total, advanced, na)
            got = _call(harmful, basic_seen, basic_total, advanced, not_observed=na)
            checked += 1
            if got != expected:
                failures.append(((harmful, basic_seen, basic_total, advanced, na), got, expected))
    assert checked == 4 * 21 * 4 * 2  # 21 = sum(basic_total + 1 for basic_total in 0..5)
    assert not failures, failures[:10]


def test_invalid_combinations_match_oracle():
    """basic_seen above the total and negative counts, across the same grid."""
    cases = []
    for harmful, basic_total, advanced, na in itertools.product(
        range(-1, 3), range(-1, 4), range(-1, 3), (False, True)
    ):
        for basic_seen in range(-1, basic_total + 3):
            cases.append((harmful, basic_seen, basic_total, advanced, na))
    failures = [
        (case, _call(*case[:4], not_observed=case[4]), oracle(*case))
        for case in cases
        if _call(*case[:4], not_observed=case[4]) != oracle(*case)
    ]
    assert not failures, failures[:10]


@pytest.mark.parametrize(
    ("args", "kwargs", "level"),
    [
        pytest.param((0, 0, 3, 0), {}, 2, id="nothing-seen-is-2-not-1"),
        pytest.param((0, 1, 3, 0), {}, 2, id="some-basic"),
        pytest.param((0, 2, 3, 3), {}, 2, id="advanced-without-all-basic-is-still-2"),
        pytest.param((0, 3, 3, 0), {}, 3, id="all-basic"),
        pytest.param((0, 3, 3, 1), {}, 4, id="all-basic-plus-one-advanced"),
        pytest.param((0, 3, 3, 3), {}, 4, id="all-basic-plus-all-advanced"),
        pytest.param((1, 3, 3, 3), {}, 1, id="harmful-overrides-everything"),
        pytest.param((1, 0, 3, 0), {}, 1, id="harmful-alone"),
        pytest.param((3, 2, 4, 1), {}, 1, id="several-harmful"),
        pytest.param((0, 0, 0, 0), {}, 3, id="no-basic-defined-is-vacuously-all-basic"),
        pytest.param((0, 0, 0, 1), {}, 4, id="no-basic-defined-plus-advanced"),
        pytest.param((1, 0, 0, 1), {}, 1, id="no-basic-defined-harmful"),
        pytest.param((0, 0, 3, 0), {"not_observed": True}, None, id="not-observed"),
        pytest.param((0, 0, 0, 0), {"not_observed": True}, None, id="not-observed-empty-item"),
    ],
)
def test_named_cases(args, kwargs, level):
    assert derive_level(*args, **kwargs) == level


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        pytest.param((-1, 0, 2, 0), {}, id="negative-harmful"),
        pytest.param((0, -1, 2, 0), {}, id="negative-basic-seen"),
        pytest.param((0, 0, -1, 0), {}, id="negative-basic-total"),
        pytest.param((0, 0, 2, -1), {}, id="negative-advanced"),
        pytest.param((0, 3, 2, 0), {}, id="basic-seen-above-total"),
        pytest.param((0, 1, 0, 0), {}, id="basic-seen-with-no-basic-defined"),
        pytest.param((1, 0, 2, 0), {"not_observed": True}, id="not-observed-hides-harm"),
        pytest.param((0, 2, 2, 0), {"not_observed": True}, id="not-observed-with-basic"),
        pytest.param((0, 0, 2, 1), {"not_observed": True}, id="not-observed-with-advanced"),
    ],
)
def test_invalid_input_raises_value_error(args, kwargs):
    with pytest.raises(ValueError):
        derive_level(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        pytest.param((True, 0, 2, 0), {}, id="bool-count"),
        pytest.param((0, 1.0, 2, 0), {}, id="float-count"),
        pytest.param((0, 0, "2", 0), {}, id="str-count"),
        pytest.param((0, 0, 2, None), {}, id="none-count"),
        pytest.param((0, 0, 2, 0), {"not_observed": 1}, id="int-not-observed"),
    ],
)
def test_wrong_types_raise_type_error(args, kwargs):
    with pytest.raises(TypeError):
        derive_level(*args, **kwargs)


def test_keyword_call_and_return_types():
    level = derive_level(harmful_seen=0, basic_seen=2, basic_total=2, advanced_seen=1)
    assert level == 4 and type(level) is int


def test_level_names():
    assert set(LEVEL_NAMES) == {1, 2, 3, 4}
    assert LEVEL_NAMES[1] == {"en": "Potentially harmful", "es": "Potencialmente dañino"}
    assert LEVEL_NAMES[2] == {"en": "Some basic skills", "es": "Algunas habilidades básicas"}
    assert LEVEL_NAMES[3] == {"en": "All basic skills", "es": "Todas las habilidades básicas"}
    assert LEVEL_NAMES[4] == {"en": "Advanced skills", "es": "Habilidades avanzadas"}
    for labels in LEVEL_NAMES.values():
        assert all(type(text) is str and text for text in labels.values())


def test_levels_module_is_pure():
    """Only standard-library imports: usable from CLI, loaders and reports alike."""
    import ast
    from pathlib import Path

    import app.competencies.levels as levels

    tree = ast.parse(Path(levels.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {"__future__", "typing"}, imported

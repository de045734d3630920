"""The certificate's QR code: the fewest strokes, every dark module covered, nothing else drawn."""
from __future__ import annotations

import itertools
import random

import pytest

from app.certificates import qr


def _covered(matrix, runs):
    cells = set()
    for (x, y, length), horizontal in runs:
        for step in range(length):
            cells.add((x + step, y) if horizontal else (x, y + step))
    return cells


def _dark(matrix):
    return {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}


def _fewest_by_search(matrix) -> int:
    rows, _ = qr._runs(matrix, horizontal=True)
    columns, _ = qr._runs(matrix, horizontal=False)
    runs = [(r, True) for r in rows] + [(c, False) for c in columns]
    for size in range(len(runs) + 1):
        if any(_covered(matrix, chosen) == _dark(matrix) for chosen in itertools.combinations(runs, size)):
            return size
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(6))
def test_the_cover_is_exact_and_as_small_as_an_exhaustive_search_finds(seed):
    generator = random.Random(seed)
    for _ in range(40):
        size = generator.randint(1, 5)
        matrix = [[generator.random() < 0.55 for _ in range(size)] for _ in range(size)]
        runs = qr.covering_runs(matrix)
        assert _covered(matrix, runs) == _dark(matrix)  # every dark module, and no light one
        assert len(runs) == _fewest_by_search(matrix)


def test_a_verification_url_needs_far_fewer_strokes_than_one_per_row_run():
    matrix = qr.symbol("https://acompana.example.org/verify/AbCdEfGhIjKlMnOpQrStUv").matrix
    rows, _ = qr._runs(matrix, horizontal=True)
    runs = qr.covering_runs(matrix)
    assert _covered(matrix, runs) == _dark(matrix)
    assert len(runs) < 0.85 * len(rows)


def test_the_svg_draws_one_stroke_per_run_inside_a_quiet_zone():
    url = "https://acompana.example.org/verify/AbCdEfGhIjKlMnOpQrStUv"
    size = len(qr.symbol(url).matrix)
    svg = qr.svg(url)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 ')
    assert f"{size + 4} {size + 4}" in svg
    assert svg.count("M") == len(qr.covering_runs(qr.symbol(url).matrix))

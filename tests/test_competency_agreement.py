"""Rater agreement statistics: hand-computed cases and published reference values."""
from __future__ import annotations

import pytest

from app.competencies.agreement import exact_agreement, krippendorff_alpha, weighted_kappa, within_one

N = None

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units,
# values 1–5 with missing data. Published: nominal 0.743, ordinal 0.815, interval 0.849.
KRIPPENDORFF_2011 = list(zip(
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
))

# The computational example of Krippendorff's alpha on Wikipedia: 3 coders, 15 units.
# Published: nominal 0.691, interval 0.811.
WIKIPEDIA = list(zip(
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
))


@pytest.mark.parametrize(("metric", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_published_example(metric, expected):
    assert krippendorff_alpha(KRIPPENDORFF_2011, metric) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(("metric", "expected"), [("nominal", 0.691), ("interval", 0.811)])
def test_krippendorff_wikipedia_example(metric, expected):
    assert krippendorff_alpha(WIKIPEDIA, metric) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_nominal_by_hand():
    # Units (1,1) (1,2) (2,2): o11=2, o12=o21=1, o22=2; n=6, n1=n2=3.
    # D_o = 2/6; D_e = 2·3·3/(6·5) = 0.6; alpha = 1 − (1/3)/0.6 = 4/9.
    assert krippendorff_alpha([(1, 1), (1, 2), (2, 2)], "nominal") == pytest.approx(4 / 9)


def test_krippendorff_edges():
    assert krippendorff_alpha([(3, 3), (3, 3)]) is None  # no variation: chance agreement is already perfect
    assert krippendorff_alpha([(3, N), (N, 2)]) is None  # nothing pairs up
    assert krippendorff_alpha([(1, 1), (4, 4), (2, 2)]) == pytest.approx(1.0)
    # A lone value in a unit is unpairable and changes nothing.
    assert krippendorff_alpha([(1, 1), (4, 4), (2, N)]) == krippendorff_alpha([(1, 1), (4, 4)])


def test_kappa_matches_scikit_learn_reference_values():
    # scikit-learn's test_cohen_kappa: the same data gives 0.9315 (none), 0.9412 (linear), 0.9541 (quadratic).
    first = [0] * 46 + [1] * 44 + [2] * 10
    second = [0] * 50 + [1] * 40 + [2] * 10
    assert weighted_kappa(first, second, (0, 1, 2), "none") == pytest.approx(0.9315, abs=5e-5)
    assert weighted_kappa(first, second, (0, 1, 2), "linear") == pytest.approx(0.9412, abs=5e-5)
    assert weighted_kappa(first, second, (0, 1, 2), "quadratic") == pytest.approx(0.9541, abs=5e-5)


def test_kappa_by_hand():
    # Same levels: observed disagreement 0 → 1. Swapped: observed (1+1)/2 = 1, expected (1+1)/4 = 0.5 → −1.
    assert weighted_kappa([1, 2], [1, 2]) == pytest.approx(1.0)
    assert weighted_kappa([1, 2], [2, 1]) == pytest.approx(-1.0)
    # Levels 1 vs 4 weigh 9 times levels 1 vs 2 (quadratic).
    # a=[1,4,4], b=[1,4,3]: observed 1/3; rows {1:1,4:2}, cols {1:1,4:1,3:1};
    # expected = (1·1·9 + 1·1·4 + 2·1·9 + 2·1·1)/9 = 33/9; kappa = 1 − (1/3)/(33/9) = 1 − 3/33.
    assert weighted_kappa([1, 4, 4], [1, 4, 3]) == pytest.approx(1 - 3 / 33)


def test_kappa_drops_missing_and_undefined_cases():
    assert weighted_kappa([1, N, 2], [1, 3, 2]) == weighted_kappa([1, 2], [1, 2])
    assert weighted_kappa([3, 3], [3, 3]) is None
    assert weighted_kappa([N], [2]) is None
    with pytest.raises(ValueError):
        weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError):
        weighted_kappa([5], [1])


def test_exact_and_within_one_over_pairs():
    units = [(3, 3), (2, 3), (4, 4), (1, N)]
    assert exact_agreement(units) == pytest.approx(2 / 3)
    assert within_one(units) == pytest.approx(1.0)
    # Three raters make three pairs per unit: (3,3) agree, (3,1) twice disagree by 2.
    assert exact_agreement([(3, 3, 1)]) == pytest.approx(1 / 3)
    assert within_one([(3, 3, 1)]) == pytest.approx(1 / 3)
    assert exact_agreement([(N, 2)]) is None
    assert within_one([]) is None

"""Rater agreement statistics for calibration: pure functions, no Flask, no database.

Inputs are plain levels (1–4) with ``None`` for "not observed". A rating that is ``None``
never counts as agreement or disagreement: it is left out of the pairs it would form.

* :func:`exact_agreement` and :func:`within_one` — the share of rater pairs that gave the same
  level (or levels at most one apart), over every pair of raters of every unit.
* :func:`weighted_kappa` — Cohen's kappa for two raters with quadratic (or linear) weights,
  the usual coefficient for an ordinal scale.
* :func:`krippendorff_alpha` — for any number of raters and missing values (nominal, ordinal
  or interval metric), after Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".

Each coefficient answers ``None`` when it is undefined (too few pairable values, or no
variation at all, so chance agreement is already perfect): shown as "—", never as 0 or 1.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

Level = int | None
Metric = Literal["nominal", "ordinal", "interval"]


def _pairs(units: Iterable[Sequence[Level]]) -> list[tuple[int, int]]:
    """Every unordered pair of non-missing values within each unit."""
    found = []
    for values in units:
        present = [v for v in values if v is not None]
        found.extend(combinations(present, 2))
    return found


def exact_agreement(units: Iterable[Sequence[Level]]) -> float | None:
    """Share of rater pairs (within a unit) that gave the same level; None without any pair."""
    pairs = _pairs(units)
    if not pairs:
        return None
    return sum(1 for a, b in pairs if a == b) / len(pairs)


def within_one(units: Iterable[Sequence[Level]]) -> float | None:
    """Share of rater pairs whose levels differ by at most one; None without any pair."""
    pairs = _pairs(units)
    if not pairs:
        return None
    return sum(1 for a, b in pairs if abs(a - b) <= 1) / len(pairs)


def weighted_kappa(
    first: Sequence[Level],
    second: Sequence[Level],
    categories: Sequence[int] = (1, 2, 3, 4),
    weights: Literal["quadratic", "linear", "none"] = "quadratic",
) -> float | None:
    """Cohen's weighted kappa of two raters over the same units (pairs with a missing value are dropped).

    kappa = 1 − Σ w·observed / Σ w·expected, with disagreement weights (i−j)² (quadratic),
    |i−j| (linear) or 0/1 (none, plain kappa); expected from the two raters' own marginals.
    """
    if len(first) != len(second):
        raise ValueError("both raters must rate the same units")
    pairs = [(a, b) for a, b in zip(first, second) if a is not None and b is not None]
    if not pairs:
        return None
    index = {c: i for i, c in enumerate(categories)}
    for a, b in pairs:
        if a not in index or b not in index:
            raise ValueError(f"a level outside {tuple(categories)}: {a!r}, {b!r}")

    def weight(a: int, b: int) -> float:
        d = abs(index[a] - index[b])
        return {"quadratic": d * d, "linear": d, "none": 1 if d else 0}[weights]

    n = len(pairs)
    rows = Counter(a for a, _ in pairs)
    cols = Counter(b for _, b in pairs)
    observed = sum(weight(a, b) for a, b in pairs) / n
    expected = sum(weight(a, b) * rows[a] * cols[b] for a in categories for b in categories) / (n * n)
    if expected == 0:
        return None
    return 1 - observed / expected


def _coincidences(units: Iterable[Sequence[Level]]) -> tuple[dict[tuple[int, int], float], int]:
    """Krippendorff's coincidence matrix o_ck and the number of pairable values n."""
    matrix: dict[tuple[int, int], float] = Counter()
    total = 0
    for values in units:
        present = [v for v in values if v is not None]
        m = len(present)
        if m < 2:
            continue  # a value no other rater can pair with carries no information on agreement
        total += m
        for i, c in enumerate(present):
            for j, k in enumerate(present):
                if i != j:
                    matrix[(c, k)] += 1 / (m - 1)
    return matrix, total


def _distance(metric: Metric, c: int, k: int, marginals: dict[int, float], ordered: list[int]) -> float:
    if metric == "nominal":
        return 0.0 if c == k else 1.0
    if metric == "interval":
        return float((c - k) ** 2)
    low, high = sorted((ordered.index(c), ordered.index(k)))
    between = sum(marginals[ordered[g]] for g in range(low, high + 1))
    return (between - (marginals[c] + marginals[k]) / 2) ** 2


def krippendorff_alpha(units: Iterable[Sequence[Level]], metric: Metric = "ordinal") -> float | None:
    """Krippendorff's alpha over units (each a sequence of the raters' values, None when missing).

    alpha = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, over pairable values only.
    None when fewer than two values pair up or every pairable value is the same.
    """
    matrix, n = _coincidences(units)
    if n < 2:
        return None
    marginals: dict[int, float] = Counter()
    for (c, _k), count in matrix.items():
        marginals[c] += count
    ordered = sorted(marginals)
    observed = sum(count * _distance(metric, c, k, marginals, ordered) for (c, k), count in matrix.items())
    expected = sum(marginals[c] * marginals[k] * _distance(metric, c, k, marginals, ordered)
                   for c in ordered for k in ordered)
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


# -- a calibration report -------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """One thing rated by several raters: an item of one performance (one rating session)."""

    key: Hashable
    item: Hashable
    levels: Mapping[Hashable, Level]          # rater -> level (None: not observed)
    reference: Hashable | None = None         # the rater whose rating is the reference here


@dataclass
class ItemAgreement:
    item: Hashable
    units: int
    exact: float | None
    within_one: float | None
    alpha: float | None                       # needs the item rated in several performances


@dataclass
class RaterAgreement:
    """One rater against the reference rating, over the units both rated."""

    rater: Hashable
    compared: int
    exact: float | None
    within_one: float | None
    kappa: float | None
    needs_training: bool


@dataclass
class Calibration:
    raters: list[Hashable]
    units: int
    exact: float | None
    within_one: float | None
    kappa: float | None                       # quadratic weighted kappa: exactly two raters only
    alpha: float | None                       # Krippendorff's alpha (ordinal), any number of raters
    items: list[ItemAgreement] = field(default_factory=list)
    against_reference: list[RaterAgreement] = field(default_factory=list)


def calibrate(units: Sequence[Unit], min_exact: float = 0.8, min_kappa: float = 0.6) -> Calibration:
    """Agreement overall, per item and per rater against the reference.

    A rater "needs re-training" when their exact agreement with the reference is below
    `min_exact`, or their kappa with it is below `min_kappa` (when kappa is defined).
    """
    raters = list(dict.fromkeys(r for unit in units for r in unit.levels))
    rows = [[unit.levels.get(r) for r in raters] for unit in units]
    kappa = None
    if len(raters) == 2:
        kappa = weighted_kappa([row[0] for row in rows], [row[1] for row in rows])
    result = Calibration(raters=raters, units=len(units), exact=exact_agreement(rows), within_one=within_one(rows),
                         kappa=kappa, alpha=krippendorff_alpha(rows, "ordinal"))
    by_item: dict[Hashable, list[list[Level]]] = {}
    for unit, row in zip(units, rows):
        by_item.setdefault(unit.item, []).append(row)
    result.items = [ItemAgreement(item, len(item_rows), exact_agreement(item_rows), within_one(item_rows),
                                  krippendorff_alpha(item_rows, "ordinal") if len(item_rows) > 1 else None)
                    for item, item_rows in by_item.items()]
    for rater in raters:
        pairs = [(unit.levels.get(rater), unit.levels.get(unit.reference)) for unit in units
                 if unit.reference is not None and unit.reference != rater and rater in unit.levels]
        if not pairs:
            continue
        observed = [(a, b) for a, b in pairs if a is not None and b is not None]
        exact = exact_agreement(observed)
        rater_kappa = weighted_kappa([a for a, _ in observed], [b for _, b in observed]) if observed else None
        needs = (exact is not None and exact < min_exact) or (rater_kappa is not None and rater_kappa < min_kappa)
        result.against_reference.append(RaterAgreement(rater, len(observed), exact, within_one(observed),
                                                       rater_kappa, needs))
    return result

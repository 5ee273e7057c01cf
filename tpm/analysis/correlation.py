"""Correlation of return series, and an order that puts correlated symbols side by side.

Series are aligned on one time axis with NaN where a symbol has no observation. Each pair is
measured on the points both series have (pairwise complete observations), as pandas'
`DataFrame.corr(min_periods=...)` does, so one short history does not shorten every pair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["aligned_returns", "cluster_order", "correlation_matrix"]

FloatArray = NDArray[np.float64]

MIN_PERIODS = 10
"""Fewer overlapping points than this and a correlation says more about noise than about
the pair; it is reported as NaN."""


def aligned_returns(
    closes: Mapping[str, tuple[Sequence[int], Sequence[float]]],
) -> dict[str, FloatArray]:
    """Simple returns per symbol on the union of the timestamps, NaN where a symbol has none.

    Args:
        closes: per symbol, (timestamps, closes) of consecutive bars, oldest first. A return
            is stamped with the later bar's time; a missing or non-positive close breaks it.
    """
    stamps = sorted({t for ts, _ in closes.values() for t in list(ts)[1:]})
    where = {t: i for i, t in enumerate(stamps)}
    out: dict[str, FloatArray] = {}
    for symbol, (ts, cs) in closes.items():
        prices = np.asarray(cs, dtype=np.float64)
        series = np.full(len(stamps), np.nan)
        if prices.size >= 2:
            before, after = prices[:-1], prices[1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                rets = np.where((before > 0) & (after > 0), after / before - 1.0, np.nan)
            series[[where[t] for t in list(ts)[1:]]] = rets
        out[symbol] = series
    return out


def correlation_matrix(
    returns: Mapping[str, FloatArray | Sequence[float]], *, min_periods: int = MIN_PERIODS
) -> tuple[list[str], FloatArray]:
    """Pearson correlations of aligned series on their pairwise complete observations.

    Returns the symbols (in the mapping's order) and an n × n symmetric matrix. A pair with
    fewer than `min_periods` common finite points, or with a series that does not vary over
    them, is NaN; so is the diagonal of a series that has too few points or never varies.
    """
    symbols = list(returns)
    if not symbols:
        return [], np.zeros((0, 0))
    rows = [np.asarray(returns[s], dtype=np.float64) for s in symbols]
    if len({r.shape for r in rows}) != 1 or rows[0].ndim != 1:
        raise ValueError("return series must be one-dimensional and of equal length (aligned)")
    x = np.vstack(rows)
    mask = np.isfinite(x).astype(np.float64)
    # Centre each series on its own mean first: the sums below then stay small and exact
    # enough; correlation does not change under a shift.
    with np.errstate(invalid="ignore"):
        counts_own = mask.sum(axis=1)
        means = np.where(counts_own > 0, np.nansum(x, axis=1) / np.maximum(counts_own, 1), 0.0)
    x0 = np.where(mask > 0, x - means[:, None], 0.0)
    n = mask @ mask.T  # common points per pair
    sx = x0 @ mask.T  # sum of x_i over the points i shares with j
    sxx = (x0 * x0) @ mask.T
    sxy = x0 @ x0.T
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx * sx / n
        var_j = var_i.T
        corr = cov / np.sqrt(var_i * var_j)
    raw = np.where(mask > 0, x, 0.0)
    scale = (raw * raw) @ mask.T  # the size of the values themselves, for "does not vary"
    flat = (var_i <= 1e-12 * scale) | (var_j <= 1e-12 * scale.T)  # no variation left
    corr[(n < max(min_periods, 2)) | flat | ~np.isfinite(corr)] = np.nan
    corr = np.clip(corr, -1.0, 1.0)
    corr = (corr + corr.T) / 2  # exact symmetry despite rounding
    np.fill_diagonal(corr, np.where(np.isfinite(np.diag(corr)), 1.0, np.nan))
    return symbols, corr


def cluster_order(matrix: FloatArray | Sequence[Sequence[float]]) -> list[int]:
    """An order of the rows in which correlated ones sit next to each other.

    Average-linkage agglomerative clustering on the similarity (a NaN counts as 0, no
    evidence either way): repeatedly merge the two clusters with the highest mean correlation
    between them, joining their ends so that the two most correlated end members meet. The
    result is a leaf order of the dendrogram; ties go to the lower index, so it is stable.
    Rows with no known correlation to any other go last, in their own order.
    """
    m = np.asarray(matrix, dtype=np.float64)
    size = m.shape[0]
    if m.ndim != 2 or m.shape != (size, size):
        raise ValueError(f"a correlation matrix must be square, not {m.shape}")
    known = np.isfinite(m)
    np.fill_diagonal(known, False)
    unknown = [i for i in range(size) if not known[i].any()]
    rows = [i for i in range(size) if known[i].any()]
    if len(rows) <= 2:
        return rows + unknown
    sim = np.where(np.isfinite(m), m, 0.0)
    clusters: list[list[int]] = [[i] for i in rows]
    # Between-cluster sums of similarity, so the mean is sum / (|a| |b|), updated per merge.
    link = sim[np.ix_(rows, rows)].copy()
    while len(clusters) > 1:
        k = len(clusters)
        sizes = np.array([len(c) for c in clusters], dtype=np.float64)
        mean = link[:k, :k] / np.outer(sizes, sizes)
        np.fill_diagonal(mean, -math.inf)
        a, b = divmod(int(np.argmax(mean)), k)
        a, b = min(a, b), max(a, b)
        clusters[a] = _join(clusters[a], clusters[b], sim)
        link[a, :k] += link[b, :k]
        link[:k, a] = link[a, :k]
        # Drop b by moving the last cluster into its slot.
        last = k - 1
        if b != last:
            clusters[b] = clusters[last]
            link[b, :k] = link[last, :k]
            link[:k, b] = link[:k, last]
        clusters.pop()
    return clusters[0] + unknown


def _join(left: list[int], right: list[int], sim: FloatArray) -> list[int]:
    """Concatenate two orders, flipping either so the most similar ends meet."""
    options = (
        (left, right),
        (left, right[::-1]),
        (left[::-1], right),
        (left[::-1], right[::-1]),
    )
    best = max(range(4), key=lambda i: (sim[options[i][0][-1], options[i][1][0]], -i))
    first, second = options[best]
    return [*first, *second]

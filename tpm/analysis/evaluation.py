"""How well a score predicts: the information coefficient (rank correlation of score with the
next N-bar return), over time for one symbol and across symbols at each date, walk-forward."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ICResult", "cross_sectional_ic", "forward_returns", "rank_ic", "walk_forward_ic"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ICResult:
    """Mean IC over windows, its t-statistic, the share of windows with a positive IC, and the
    number of (score, return) pairs it rests on."""

    mean: float
    t_stat: float
    positive_share: float
    windows: tuple[float, ...]
    pairs: int


def _ranks(x: FloatArray) -> FloatArray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    # Ties share their average rank, as Spearman's coefficient wants.
    _, first, counts = np.unique(x[order], return_index=True, return_counts=True)
    for start, n in zip(first, counts, strict=True):
        if n > 1:
            ranks[order[start : start + n]] = start + (n - 1) / 2
    return ranks


def rank_ic(score: FloatArray, forward: FloatArray) -> tuple[float, int]:
    """Spearman correlation of `score` with `forward` over the pairs where both are known."""
    mask = np.isfinite(score) & np.isfinite(forward)
    n = int(mask.sum())
    if n < 3:
        return math.nan, n
    a, b = _ranks(score[mask]), _ranks(forward[mask])
    a -= a.mean()
    b -= b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return (float(a @ b) / denom if denom else math.nan), n


def forward_returns(close: FloatArray, horizon: int) -> FloatArray:
    """close[t + horizon] / close[t] - 1, NaN where the future is not in the data."""
    out = np.full(len(close), np.nan)
    if horizon < len(close):
        out[:-horizon] = close[horizon:] / close[:-horizon] - 1.0
    return out


def _summary(ics: Sequence[float], pairs: int) -> ICResult:
    known = [x for x in ics if math.isfinite(x)]
    if not known:
        return ICResult(math.nan, math.nan, math.nan, tuple(ics), pairs)
    mean = sum(known) / len(known)
    if len(known) > 1:
        sd = math.sqrt(sum((x - mean) ** 2 for x in known) / (len(known) - 1))
        t = mean / (sd / math.sqrt(len(known))) if sd > 0 else math.nan
    else:
        t = math.nan
    positive = sum(1 for x in known if x > 0) / len(known)
    return ICResult(mean, t, positive, tuple(ics), pairs)


def walk_forward_ic(
    score: FloatArray, forward: FloatArray, windows: int = 5, horizon: int = 1
) -> ICResult:
    """The time-series IC in consecutive out-of-sample windows; pairs whose forward return
    reaches into the next window are dropped, so windows never share an outcome."""
    finite = np.flatnonzero(np.isfinite(score) & np.isfinite(forward))
    if len(finite) < windows * 3:
        return _summary([], len(finite))
    edges = np.linspace(finite[0], finite[-1] + 1, windows + 1).astype(int)
    ics, pairs = [], 0
    for lo, hi in itertools.pairwise(edges):
        stop = max(lo, hi - horizon)
        ic, n = rank_ic(score[lo:stop], forward[lo:stop])
        ics.append(ic)
        pairs += n
    return _summary(ics, pairs)


def cross_sectional_ic(
    scores: Mapping[str, FloatArray], forwards: Mapping[str, FloatArray], every: int = 1
) -> ICResult:
    """At each aligned index (every `every` bars), the rank IC across symbols; then their mean.

    All arrays must share one time axis (aligned on dates by the caller).
    """
    symbols = sorted(scores)
    if len(symbols) < 3:
        return _summary([], 0)
    s = np.vstack([scores[k] for k in symbols])
    f = np.vstack([forwards[k] for k in symbols])
    ics, pairs = [], 0
    for t in range(0, s.shape[1], every):
        ic, n = rank_ic(s[:, t], f[:, t])
        if n >= 3 and math.isfinite(ic):
            ics.append(ic)
            pairs += n
    return _summary(ics, pairs)

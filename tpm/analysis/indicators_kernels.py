"""Sliding-window kernels for the batch indicators: sums, extremes, variance, weighted sums.

Windows use doubling: level k holds the sum (or max, or merged moments) of every run of 2**k
values, one numpy call per level from the one below, and a window of n values is a few level
entries laid end to end (n in binary, or with signed digits when that takes fewer calls:
30 = 32 - 2). That is O(log n) vectorised passes, and every window is summed from scratch, so
no rounding error drifts along the series as it does in a running sum. Long windows are summed
by a running sum instead (`rolling_sum`), solved as a recursion (`indicators_recursion`).
Work runs over the series in chunks (`chunk_size`) so that temporaries stay small.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tpm.analysis.indicators_recursion import FloatArray, chunk_size, chunks, recursion

__all__ = [
    "rolling_max",
    "rolling_mean_var",
    "rolling_min",
    "rolling_sum",
    "rolling_weighted_sum",
]

Pieces = list[tuple[int, int, int]]  # (level k, sign +1/-1, offset of the piece's end)

_DOUBLING_CALLS = 8  # longer windows are summed by a running sum instead of by doubling


def _digits(n: int) -> list[tuple[int, int]]:
    """Signed binary digits (k, ±1) of n: plain binary or non-adjacent form, fewer numpy calls."""
    plain = [(k, 1) for k in range(n.bit_length()) if n >> k & 1]
    naf: list[tuple[int, int]] = []
    k, m = 0, n
    while m:
        if m & 1:
            digit = 2 - (m & 3)
            naf.append((k, digit))
            m -= digit
        m >>= 1
        k += 1

    def calls(ds: list[tuple[int, int]]) -> int:
        return max(k for k, _ in ds) + len(ds)

    return plain if calls(plain) <= calls(naf) else naf


def _plan(n: int) -> tuple[Pieces, int]:
    """Pieces whose signed sum is a window of n values, and how many values they reach back."""
    ds = _digits(n)
    pieces: Pieces = []
    off = 0
    for k in sorted((k for k, s in ds if s > 0), reverse=True):
        pieces.append((k, 1, off))
        off += 1 << k
    reach = off  # the positive pieces cover `reach` values ending at the window's end
    off = n
    for k in sorted((k for k, s in ds if s < 0), reverse=True):
        pieces.append((k, -1, off))
        off += 1 << k
    return pieces, reach


def _sum_into(xs: FloatArray, pieces: Pieces, reach: int, out: FloatArray) -> None:
    """out[o] = signed sum of the pieces for the window ending at xs[o + reach - 1]."""
    m = len(out)
    top = pieces[0][0]
    levels = [xs]
    for k in range(1, top):
        prev, w = levels[-1], 1 << (k - 1)
        levels.append(np.add(prev[:-w], prev[w:]))
    for i, (k, sign, off) in enumerate(pieces):
        st = reach - off - (1 << k)
        if i == 0:
            if k == 0:
                np.copyto(out, xs[st : st + m])
            else:
                half, w = levels[k - 1], 1 << (k - 1)
                np.add(half[st : st + m], half[st + w : st + w + m], out=out)
        elif sign > 0:
            np.add(out, levels[k][st : st + m], out=out)
        else:
            np.subtract(out, levels[k][st : st + m], out=out)


def _padded(x: FloatArray, lo: int, hi: int) -> FloatArray:
    """x[lo:hi], with zeros in place of the positions before the start."""
    if lo >= 0:
        return x[lo:hi]
    return np.concatenate((np.zeros(-lo), x[:hi]))


def rolling_sum(
    x: FloatArray, n: int, out: FloatArray, divisor: float = 1.0, *, fresh: bool = False
) -> None:
    """out[j] = sum(x[j : j + n]) / divisor for every full window (len(out) == len(x) - n + 1).

    Short windows (and all of them with `fresh`) are summed by doubling, afresh for each
    window; long ones (where doubling would take more than `_DOUBLING_CALLS` passes) by a
    running sum, blocked like a recursion, whose rounding error drifts as slowly as TA-Lib's
    own running sum: relative to the largest values seen, which matters only for series with
    a wide range, such as volumes.
    """
    pieces, reach = _plan(n)
    if not fresh and pieces[0][0] + len(pieces) > _DOUBLING_CALLS and len(out) > 1:
        _running_sum(x, n, out, divisor)
        return
    for a, b in chunks(0, len(out)):
        o = out[a:b]
        _sum_into(_padded(x, a + n - reach, b + n - 1), pieces, reach, o)
        if divisor != 1.0:
            o /= divisor


def _running_sum(x: FloatArray, n: int, out: FloatArray, divisor: float) -> None:
    def entering(a: int, b: int) -> FloatArray:
        return np.subtract(x[None, a + n - 1 : b + n - 1], x[None, a - 1 : b - 1])

    first = float(x[:n].sum())
    out[0] = first / divisor
    recursion(1.0, 1.0 / divisor).solve(entering, 1, len(out), np.array([first]), out[None, :])


def _extreme(x: FloatArray, n: int, out: FloatArray, op: Callable[..., FloatArray]) -> None:
    top = n.bit_length() - 1
    rest = n - (1 << top)
    for a, b in chunks(0, len(out)):
        level, m = x[a : b + n - 1], b - a
        for k in range(1, top + 1):
            w = 1 << (k - 1)
            if k == top and rest == 0:
                op(level[:m], level[w : w + m], out=out[a:b])
                break
            level = op(level[:-w], level[w:])
        else:
            if top == 0:
                np.copyto(out[a:b], level[:m])
            else:
                op(level[:m], level[rest : rest + m], out=out[a:b])


def rolling_max(x: FloatArray, n: int, out: FloatArray) -> None:
    """out[j] = max(x[j : j + n]) for every full window."""
    _extreme(x, n, out, np.maximum)


def rolling_min(x: FloatArray, n: int, out: FloatArray) -> None:
    """out[j] = min(x[j : j + n]) for every full window."""
    _extreme(x, n, out, np.minimum)


def _merge(
    older: tuple[FloatArray, FloatArray | None, int],
    newer: tuple[FloatArray, FloatArray | None, int],
) -> tuple[FloatArray, FloatArray, int]:
    """Chan's merge of (sum, M2, count) of two adjacent runs: stable, and exact 0 when flat."""
    s_a, m2_a, n_a = older
    s_b, m2_b, n_b = newer
    n = n_a + n_b
    if n_a == n_b:
        delta = np.subtract(s_b, s_a)
        m2 = np.multiply(delta, delta, out=delta)
        m2 *= 0.5 / n_a
    else:
        delta = np.divide(s_b, n_b)
        delta -= np.divide(s_a, n_a)
        m2 = np.multiply(delta, delta, out=delta)
        m2 *= n_a * n_b / n
    if m2_a is not None:
        m2 += m2_a
    if m2_b is not None:
        m2 += m2_b
    return np.add(s_a, s_b), m2, n


def rolling_mean_var(x: FloatArray, n: int, mean: FloatArray | None, var: FloatArray) -> None:
    """Population mean (unless `mean` is None) and variance of every full window.

    Runs are merged pairwise with Chan's formulas, which add only non-negative terms: no
    cancellation, so a flat window's variance is exactly 0 and a quiet one keeps its digits.
    """
    sizes = [k for k in range(n.bit_length() - 1, -1, -1) if n >> k & 1]
    size = max(1, chunk_size(len(var)) // 4)  # many temporaries: keep them in cache
    for a, b in chunks(0, len(var), size):
        xs, m = x[a : b + n - 1], b - a
        levels: list[tuple[FloatArray, FloatArray | None, int]] = [(xs, None, 1)]
        for k in range(1, sizes[0] + 1):
            s, m2, c = levels[-1]
            w = 1 << (k - 1)
            older = (s[:-w], None if m2 is None else m2[:-w], c)
            newer = (s[w:], None if m2 is None else m2[w:], c)
            levels.append(_merge(older, newer))
        acc: tuple[FloatArray, FloatArray | None, int] | None = None
        off = n  # pieces laid oldest first: the first starts n values before the window's end
        for k in sizes:
            s, m2, c = levels[k]
            st = n - off
            piece = (s[st : st + m], None if m2 is None else m2[st : st + m], c)
            acc = piece if acc is None else _merge(acc, piece)
            off -= c
        assert acc is not None
        total, m2, _ = acc
        if mean is not None:
            np.divide(total, n, out=mean[a:b])
        if m2 is None:
            var[a:b] = 0.0
        else:
            np.divide(m2, n, out=var[a:b])


def rolling_weighted_sum(x: FloatArray, n: int, out: FloatArray) -> None:
    """out[j] = sum((i + 1) * x[j + i] for i in range(n)): linear weights, newest heaviest."""
    sizes = [k for k in range(n.bit_length() - 1, -1, -1) if n >> k & 1]
    for a, b in chunks(0, len(out)):
        xs, m = x[a : b + n - 1], b - a
        levels: list[tuple[FloatArray, FloatArray]] = [(xs, xs)]  # (sum, weighted sum)
        for k in range(1, sizes[0] + 1):
            s, wsum = levels[-1]
            w = 1 << (k - 1)
            new_w = np.multiply(s[w:], w)
            new_w += wsum[:-w]
            new_w += wsum[w:]
            levels.append((np.add(s[:-w], s[w:]), new_w))
        acc_s: FloatArray | None = None
        acc_w: FloatArray | None = None
        size, off = 0, n
        for k in sizes:
            s, wsum = levels[k]
            st = n - off
            s, wsum = s[st : st + m], wsum[st : st + m]
            if acc_s is None or acc_w is None:
                acc_s, acc_w = s, wsum
            else:
                acc_w = np.add(acc_w, wsum)
                acc_w += np.multiply(s, size)
                acc_s = np.add(acc_s, s)
            size += 1 << k
            off -= 1 << k
        assert acc_w is not None
        np.copyto(out[a:b], acc_w)

"""Argument checks and shared steps of the batch indicators (`tpm.analysis.indicators`)."""

from __future__ import annotations

import math
import operator

import numpy as np
import numpy.typing as npt

from tpm.analysis.indicators_recursion import FloatArray, recursion

__all__ = ["TA_EPSILON", "factor", "nan_head", "period", "same_length", "series", "smooth"]

# TA-Lib 0.6's TA_EPSILON: RSI is 0 when average gain + average loss is below it, and a
# standard deviation is 0 when the variance is below it (TA_IS_ZERO, TA_IS_ZERO_OR_NEG).
TA_EPSILON = 1e-14


def series(x: npt.ArrayLike, name: str, func: str) -> FloatArray:
    """`x` as a contiguous one-dimensional float64 array (no copy when it already is one)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{func}: {name} must be a one-dimensional array, got {a.ndim} dimensions")
    return np.ascontiguousarray(a)


def period(value: int, name: str, func: str) -> int:
    """A window length or period: a whole number of at least 1."""
    if isinstance(value, bool):
        raise ValueError(f"{func}: {name} must be a whole number, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{func}: {name} must be a whole number, got {value!r}") from None
    if n < 1:
        raise ValueError(f"{func}: {name} must be at least 1, got {n}")
    return n


def factor(value: float, name: str, func: str) -> float:
    """A finite, non-negative multiplier (Bollinger's k)."""
    try:
        k = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(k) or k < 0:
        raise ValueError(f"{func}: {name} must be a finite number of at least 0, got {value!r}")
    return k


def same_length(func: str, **arrays: FloatArray) -> int:
    """The common length of the arrays; a ValueError naming them all when they differ."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:

        def listed(items: list[str]) -> str:
            return ", ".join(items[:-1]) + " and " + items[-1]

        names, got = listed(list(lengths)), listed([str(v) for v in lengths.values()])
        raise ValueError(f"{func}: {names} must have the same length, got {got}")
    return next(iter(lengths.values()))


def nan_head(length: int, head: int) -> FloatArray:
    """An uninitialised array of `length` whose first `head` values are NaN."""
    out = np.empty(length)
    out[: min(head, length)] = np.nan
    return out


def smooth(
    values: FloatArray, start: int, seed: float, out: FloatArray, decay: float, weight: float
) -> None:
    """out[i] = decay * out[i-1] + weight * values[i] for i >= start, with out[start-1] = seed.

    An EMA has weight 2/(n+1) and decay 1 - weight; Wilder's smoothing has 1/n and (n-1)/n.
    """

    def inputs(a: int, b: int) -> FloatArray:
        return np.multiply(values[None, a:b], weight)

    recursion(decay).solve(inputs, start, len(values), np.array([seed]), out[None, :])

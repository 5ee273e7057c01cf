"""Streaming indicators: O(1) per value, equal to their batch twins on the same series."""

from __future__ import annotations

import math
from collections import deque

__all__ = ["StreamingSMA"]

# A running sum drifts after many updates; it is re-added exactly this often.
_RESUM_EVERY = 4096


class StreamingSMA:
    """Simple moving average over the last `n` values; NaN until `n` values have been seen."""

    __slots__ = ("_count", "_sum", "_window", "n")

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"SMA length must be at least 1, got {n}")
        self.n = n
        self._window: deque[float] = deque(maxlen=n)
        self._sum = 0.0
        self._count = 0

    @property
    def is_ready(self) -> bool:
        return len(self._window) == self.n

    @property
    def value(self) -> float:
        return self._sum / self.n if len(self._window) == self.n else math.nan

    def update(self, x: float) -> float:
        w = self._window
        if len(w) == self.n:
            self._sum -= w[0]
        w.append(x)
        self._sum += x
        self._count += 1
        if self._count % _RESUM_EVERY == 0:
            self._sum = math.fsum(w)
        return self.value

"""Clocks: wall time for live trading, a settable clock for backtests and replays."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "LiveClock", "ManualClock"]


class Clock(Protocol):
    def now_ns(self) -> int:
        """Nanoseconds since the epoch, UTC."""
        ...


class LiveClock:
    def now_ns(self) -> int:
        return time.time_ns()


class ManualClock:
    """A clock that only moves when told to; it never goes backwards."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def advance_to(self, ts_ns: int) -> None:
        if ts_ns > self._now:
            self._now = ts_ns

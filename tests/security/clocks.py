"""A clock tests move by hand."""

from __future__ import annotations

NS = 1_000_000_000


class Clock:
    """A clock the test moves: called, it gives ns since the epoch."""

    def __init__(self) -> None:
        self.now = 1_800_000_000 * NS

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * NS)

"""Scores: each symbol's three pillars (technical, fundamental, sentiment), the composite and
its rating, and the drivers that explain them in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Driver", "PillarScore", "Rating", "Score"]


class Rating(StrEnum):
    STRONG_SELL = "strong sell"
    SELL = "sell"
    HOLD = "hold"
    BUY = "buy"
    STRONG_BUY = "strong buy"


@dataclass(frozen=True, slots=True)
class Driver:
    """One reason behind a score: a sentence, and how much it pushed (signed, in score points
    of its pillar: positive pulled the score up)."""

    text: str
    impact: float


@dataclass(frozen=True, slots=True)
class PillarScore:
    """A pillar's 0-100 score (None when there is nothing to score), how much of the data it
    needs it had (0-1), its sub-scores by name, and its drivers, strongest first."""

    value: float | None
    confidence: float = 1.0
    parts: dict[str, float | None] = field(default_factory=dict)
    drivers: tuple[Driver, ...] = ()

    @property
    def is_known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Score:
    """All of a symbol's scores at one instant."""

    symbol: str
    ts_ns: int
    technical: PillarScore
    fundamental: PillarScore
    sentiment: PillarScore
    composite: float | None
    rating: Rating | None
    drivers: tuple[Driver, ...] = ()

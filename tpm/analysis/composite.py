"""The composite score: the three pillars weighted into one 0-100 number, a rating, and the
drivers that explain it, strongest first."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from tpm.domain.score import Driver, PillarScore, Rating, Score

__all__ = ["RatingBands", "Weights", "composite_score", "rate"]

PILLARS = ("technical", "fundamental", "sentiment")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each pillar counts; they sum to 1 (config validates it)."""

    technical: float = 0.4
    fundamental: float = 0.3
    sentiment: float = 0.3

    def of(self, pillar: str) -> float:
        return float(getattr(self, pillar))


@dataclass(frozen=True, slots=True)
class RatingBands:
    """Lower bounds of each rating above strong sell, ascending."""

    sell: float = 20.0
    hold: float = 40.0
    buy: float = 60.0
    strong_buy: float = 80.0


def rate(value: float, bands: RatingBands = RatingBands()) -> Rating:
    if value >= bands.strong_buy:
        return Rating.STRONG_BUY
    if value >= bands.buy:
        return Rating.BUY
    if value >= bands.hold:
        return Rating.HOLD
    if value >= bands.sell:
        return Rating.SELL
    return Rating.STRONG_SELL


def composite_score(
    symbol: str,
    ts_ns: int,
    pillars: Mapping[str, PillarScore],
    weights: Weights = Weights(),
    bands: RatingBands = RatingBands(),
    *,
    max_drivers: int = 5,
) -> Score:
    """Weight the known pillars (a missing one's weight goes to the others, scaled by how much
    each pillar knew); None when no pillar is known."""
    none = PillarScore(None, 0.0)
    technical = pillars.get("technical", none)
    fundamental = pillars.get("fundamental", none)
    sentiment = pillars.get("sentiment", none)
    total = 0.0
    weight_sum = 0.0
    drivers: list[tuple[float, Driver]] = []
    for name, p in (
        ("technical", technical),
        ("fundamental", fundamental),
        ("sentiment", sentiment),
    ):
        if p.value is None:
            continue
        w = weights.of(name) * max(p.confidence, 0.0)
        if w <= 0:
            continue
        total += w * p.value
        weight_sum += w
        for d in p.drivers:
            drivers.append((w, d))
    if weight_sum == 0:
        return Score(symbol, ts_ns, technical, fundamental, sentiment, None, None, ())
    value = total / weight_sum
    # A driver's pull on the composite is its pull on its pillar times the pillar's share.
    top = heapq.nlargest(max_drivers, drivers, key=lambda wd: abs(wd[1].impact * wd[0]))
    ranked = [Driver(d.text, d.impact * w / weight_sum) for w, d in top]
    return Score(
        symbol,
        ts_ns,
        technical,
        fundamental,
        sentiment,
        value,
        rate(value, bands),
        tuple(ranked),
    )

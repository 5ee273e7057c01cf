"""The composite: weights over the known pillars, ratings at their bands, drivers ranked."""

from __future__ import annotations

import math

import pytest

from tpm.analysis.composite import RatingBands, Weights, composite_score, rate
from tpm.domain import Driver, PillarScore, Rating


def _p(value: float | None, confidence: float = 1.0, *drivers: Driver) -> PillarScore:
    return PillarScore(value, confidence, drivers=drivers)


def test_weights_apply_to_the_pillars() -> None:
    s = composite_score(
        "X",
        0,
        {"technical": _p(80), "fundamental": _p(50), "sentiment": _p(20)},
        Weights(0.5, 0.3, 0.2),
    )
    assert s.composite == pytest.approx(0.5 * 80 + 0.3 * 50 + 0.2 * 20)
    assert s.rating is Rating.HOLD


def test_a_missing_pillar_gives_its_weight_to_the_others() -> None:
    s = composite_score(
        "X",
        0,
        {"technical": _p(90), "fundamental": _p(None, 0.0), "sentiment": _p(30)},
        Weights(0.4, 0.3, 0.3),
    )
    assert s.composite == pytest.approx((0.4 * 90 + 0.3 * 30) / 0.7)


def test_a_pillar_counts_as_much_as_it_knew() -> None:
    s = composite_score(
        "X", 0, {"technical": _p(100, 1.0), "fundamental": _p(0, 0.25)}, Weights(0.5, 0.5, 0.0)
    )
    assert s.composite == pytest.approx((0.5 * 100 + 0.125 * 0) / 0.625)


def test_nothing_known_means_no_score() -> None:
    s = composite_score("X", 0, {})
    assert s.composite is None and s.rating is None and s.drivers == ()


@pytest.mark.parametrize(
    ("value", "rating"),
    [
        (0, Rating.STRONG_SELL),
        (19.99, Rating.STRONG_SELL),
        (20, Rating.SELL),
        (39.99, Rating.SELL),
        (40, Rating.HOLD),
        (60, Rating.BUY),
        (79.99, Rating.BUY),
        (80, Rating.STRONG_BUY),
        (100, Rating.STRONG_BUY),
    ],
)
def test_ratings_change_exactly_at_the_bands(value: float, rating: Rating) -> None:
    assert rate(value) is rating


def test_bands_come_from_configuration() -> None:
    assert rate(55, RatingBands(sell=30, hold=45, buy=55, strong_buy=90)) is Rating.BUY


def test_drivers_are_weighted_by_their_pillar_and_ranked() -> None:
    tech = _p(70, 1.0, Driver("RSI 28: oversold", 12.0), Driver("below SMA50", -3.0))
    fund = _p(40, 1.0, Driver("P/E in the dearest 20% of Technology", -10.0))
    s = composite_score("X", 0, {"technical": tech, "fundamental": fund}, Weights(0.8, 0.2, 0.0))
    texts = [d.text for d in s.drivers]
    assert texts == ["RSI 28: oversold", "below SMA50", "P/E in the dearest 20% of Technology"]
    assert math.isclose(s.drivers[0].impact, 12.0 * 0.8)
    assert math.isclose(s.drivers[2].impact, -10.0 * 0.2)

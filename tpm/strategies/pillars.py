"""The pillars a strategy's expressions read (score, technical, fundamental, sentiment).

`technical` is the technical pillar of the strategy's own bars, as the engine scores it
(tpm.analysis.technical), known at each bar's close: a backtest computes it over the whole
series, live trading one bar at a time, and the two agree. `fundamental` and `sentiment` are the
engine's latest scores of the symbol when the bar closed; a backtest on bar files has no history
of them, so there they are unknown (NaN, false in any condition). `score` is the composite of
what is known, weighted as the engine weights it by default.
"""

from __future__ import annotations

import numpy as np

from tpm.analysis.composite import composite_score
from tpm.analysis.indicators_recursion import FloatArray
from tpm.analysis.technical import TechnicalState, technical_series
from tpm.domain import PillarScore, Score
from tpm.strategies.rules.functions import Columns
from tpm.strategies.rules.tree import PILLARS, Node, reads_any

__all__ = ["LivePillars", "history_pillars", "pillars_read"]


def pillars_read(*trees: Node | None) -> bool:
    """Whether any of `trees` reads a pillar."""
    return any(t is not None and reads_any(t, PILLARS) for t in trees)


def history_pillars(cols: Columns) -> dict[str, FloatArray]:
    """The pillar columns of bars with no score history (a backtest on bar files)."""
    technical = technical_series(
        cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"]
    )["score"]
    unknown = np.full(len(technical), np.nan)
    # The composite of the technical pillar alone is the technical pillar.
    return {
        "technical": technical,
        "score": technical.copy(),
        "fundamental": unknown,
        "sentiment": unknown.copy(),
    }


class LivePillars:
    """One symbol's pillars, bar by bar: its technical state and the engine's latest scores."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._technical = TechnicalState()
        self._fundamental = PillarScore(None, 0.0)
        self._sentiment = PillarScore(None, 0.0)

    def hear(self, score: Score) -> None:
        self._fundamental, self._sentiment = score.fundamental, score.sentiment

    def close(self, o: float, h: float, lo: float, c: float, v: float) -> dict[str, float]:
        """The pillars at the close of the bar just seen."""
        self._technical.update(o, h, lo, c, v)
        technical = self._technical.pillar()
        pillars = {
            "technical": technical,
            "fundamental": self._fundamental,
            "sentiment": self._sentiment,
        }
        composite = composite_score(self.symbol, 0, pillars, max_drivers=0).composite
        return {
            "technical": _value(technical),
            "fundamental": _value(self._fundamental),
            "sentiment": _value(self._sentiment),
            "score": np.nan if composite is None else composite,
        }


def _value(p: PillarScore) -> float:
    return np.nan if p.value is None else p.value

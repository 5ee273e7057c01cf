"""Strategies: what they see (closed bars, a read-only context) and what they say (targets)."""

from tpm.strategies.base import Strategy, StrategyContext, TargetPosition
from tpm.strategies.demo import MovingAverageTrend

__all__ = ["MovingAverageTrend", "Strategy", "StrategyContext", "TargetPosition"]

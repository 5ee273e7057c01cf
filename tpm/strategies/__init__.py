"""Strategies: what they see (closed bars, a read-only context) and what they say (targets)."""

from tpm.strategies.base import Strategy, StrategyContext, TargetPosition
from tpm.strategies.demo import MovingAverageTrend
from tpm.strategies.python_strategy import PythonStrategy

__all__ = [
    "MovingAverageTrend",
    "PythonStrategy",
    "Strategy",
    "StrategyContext",
    "TargetPosition",
]

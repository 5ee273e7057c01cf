"""What the strategy builder shows: strategy files, their problems, and a trial on history."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SignalMark", "StrategyFile", "StrategyProblem", "StrategyTrial"]


@dataclass(frozen=True, slots=True)
class StrategyProblem:
    """What is wrong with a strategy's text, and on which line (1-based; 0 when unknown)."""

    message: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class StrategyFile:
    """A file of the strategies folder."""

    file: str
    kind: str
    """"rules" (.toml) or "python" (.py)."""
    names: tuple[str, ...] = ()
    """The strategies it defines (empty when it cannot be read; see `problem`)."""
    running: tuple[str, ...] = ()
    """Those of them running now."""
    problem: str = ""


@dataclass(frozen=True, slots=True)
class SignalMark:
    """An order a strategy asked for at the close of bar `index` of a trial's chart."""

    index: int
    side: str
    """"buy" or "sell"."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StrategyTrial:
    """A strategy backtested on the engine's history: its problems, or what it did."""

    strategy: str = ""
    problems: tuple[StrategyProblem, ...] = ()
    symbol: str = ""
    """The symbol charted (the strategy's first)."""
    timeframe: str = ""
    starts_ns: tuple[int, ...] = ()
    closes: tuple[float, ...] = ()
    """The chart: the last bars tested (at most 100) of `symbol`."""
    marks: tuple[SignalMark, ...] = ()
    bars: int = 0
    """Bars tested, over all symbols."""
    trades: int = 0
    """Round trips closed."""
    orders: int = 0
    rejected: int = 0
    total_return: float = 0.0
    max_drawdown: float = 0.0
    sharpe_ratio: float | None = None
    win_rate: float | None = None
    final_equity: float = 0.0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

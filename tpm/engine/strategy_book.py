"""Each strategy's own book: the positions and P&L its fills imply, and its latest signal.

The account's portfolio is one book over every fill; a trader running several strategies also
wants to know what each one holds and has made. Fills carry the strategy that asked for them,
so the books are rebuilt from the stored fills at start, as the portfolio is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from tpm.domain import ZERO, Fill, FillBooked, Position
from tpm.engine.bus import Bus

__all__ = ["StrategyBook", "StrategyLine"]


@dataclass(frozen=True, slots=True)
class StrategyLine:
    """One strategy's book at one instant."""

    positions: tuple[tuple[str, Decimal], ...]
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    last_signal: str
    last_signal_ns: int


class StrategyBook:
    def __init__(self, bus: Bus, mark_of: Callable[[str], Decimal | None]) -> None:
        self._positions: dict[str, dict[str, Position]] = {}
        self._signals: dict[str, tuple[str, int]] = {}
        self._mark_of = mark_of
        bus.subscribe(FillBooked, lambda e: self.apply(e.fill))

    def seed(self, fills: Iterable[Fill]) -> None:
        for f in fills:
            self.apply(f)

    def apply(self, fill: Fill) -> None:
        if not fill.strategy:
            return  # a manual order: the account's, not a strategy's
        book = self._positions.setdefault(fill.strategy, {})
        book[fill.symbol] = book.get(fill.symbol, Position(fill.symbol)).apply(fill)

    def signal(self, strategy: str, text: str, ts_ns: int) -> None:
        self._signals[strategy] = (text, ts_ns)

    def line(self, strategy: str) -> StrategyLine:
        held: list[tuple[str, Decimal]] = []
        realised = unrealised = ZERO
        for sym, p in sorted(self._positions.get(strategy, {}).items()):
            realised += p.realised_pnl
            if p.qty:
                held.append((sym, p.qty))
                mark = self._mark_of(sym)
                unrealised += p.unrealised_pnl(mark if mark is not None else p.avg_price)
        text, ts = self._signals.get(strategy, ("", 0))
        return StrategyLine(tuple(held), realised, unrealised, text, ts)

"""The running tallies pre-trade checks read: open orders, per-strategy positions, order rates.

Everything is kept incrementally, so a check costs the same with 10 or 10,000 orders working.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from decimal import Decimal

from tpm.domain import ZERO, ClientOrderId, Fill, Order, Side

__all__ = ["RiskBook"]


@dataclass(frozen=True, slots=True)
class _Working:
    symbol: str
    side: Side
    strategy: str
    leaves: Decimal
    reserved: Decimal
    """Cash an open buy holds back: its leaves at its limit (or reference) price."""


class RiskBook:
    """What is working, what each strategy holds, and what was sent lately."""

    def __init__(self) -> None:
        self._working: dict[ClientOrderId, _Working] = {}
        self.open_count = 0
        self.open_by_symbol: Counter[str] = Counter()
        self.open_by_strategy: Counter[str] = Counter()
        self._leaves: defaultdict[tuple[str, Side], Decimal] = defaultdict(Decimal)
        self._strategy_leaves: defaultdict[tuple[str, str, Side], Decimal] = defaultdict(Decimal)
        self.reserved_cash = ZERO
        self._strategy_qty: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self._sent: deque[int] = deque()
        self._sent_by_strategy: defaultdict[str, deque[int]] = defaultdict(deque)
        self._repeats: defaultdict[tuple[str, str, Side, Decimal], deque[int]] = defaultdict(deque)

    # -- open orders ---------------------------------------------------------------------------

    def track(self, order: Order, price: Decimal | None) -> None:
        """Count `order` as it now stands (open: its leaves; closed: nothing). Idempotent."""
        old = self._working.pop(order.client_order_id, None)
        if old is not None:
            self._apply(old, -1)
        if order.status.is_open and order.leaves_qty > 0:
            unit = order.limit_price or price or (old.reserved / old.leaves if old else ZERO)
            reserved = order.leaves_qty * unit if order.side is Side.BUY else ZERO
            w = _Working(order.symbol, order.side, order.strategy, order.leaves_qty, reserved)
            self._working[order.client_order_id] = w
            self._apply(w, 1)

    def _apply(self, w: _Working, sign: int) -> None:
        self.open_count += sign
        self.open_by_symbol[w.symbol] += sign
        self.open_by_strategy[w.strategy] += sign
        self._leaves[w.symbol, w.side] += sign * w.leaves
        self._strategy_leaves[w.strategy, w.symbol, w.side] += sign * w.leaves
        self.reserved_cash += sign * w.reserved

    def untrack(self, client_order_id: ClientOrderId) -> None:
        old = self._working.pop(client_order_id, None)
        if old is not None:
            self._apply(old, -1)

    def is_tracked(self, client_order_id: ClientOrderId) -> bool:
        return client_order_id in self._working

    def leaves(self, symbol: str, side: Side) -> Decimal:
        return self._leaves.get((symbol, side), ZERO)

    def strategy_leaves(self, strategy: str, symbol: str, side: Side) -> Decimal:
        return self._strategy_leaves.get((strategy, symbol, side), ZERO)

    # -- positions by strategy -----------------------------------------------------------------

    def on_fill(self, fill: Fill) -> None:
        self._strategy_qty[fill.strategy, fill.symbol] += fill.signed_qty

    def strategy_qty(self, strategy: str, symbol: str) -> Decimal:
        return self._strategy_qty.get((strategy, symbol), ZERO)

    # -- rates ---------------------------------------------------------------------------------

    def record_sent(self, order: Order, now_ns: int) -> None:
        self._sent.append(now_ns)
        self._sent_by_strategy[order.strategy].append(now_ns)
        self._repeats[
            order.source + "/" + order.strategy, order.symbol, order.side, order.qty
        ].append(now_ns)

    @staticmethod
    def _count(times: deque[int], now_ns: int, window_ns: int, keep_ns: int) -> int:
        # Drop what no window will ask about again, then count the recent tail.
        while times and times[0] <= now_ns - keep_ns:
            times.popleft()
        n = 0
        for t in reversed(times):
            if t <= now_ns - window_ns:
                break
            n += 1
        return n

    def sent(self, now_ns: int, window_ns: int, strategy: str | None = None) -> int:
        """Orders sent in the last `window_ns` (by one strategy, or all)."""
        times = self._sent if strategy is None else self._sent_by_strategy[strategy]
        return self._count(times, now_ns, window_ns, keep_ns=60_000_000_000)

    def repeats(self, order: Order, now_ns: int, window_ns: int) -> int:
        """How often this source sent this symbol, side and quantity in the last `window_ns`."""
        key = (order.source + "/" + order.strategy, order.symbol, order.side, order.qty)
        times = self._repeats.get(key)
        return 0 if times is None else self._count(times, now_ns, window_ns, keep_ns=window_ns)

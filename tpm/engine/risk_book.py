"""The running tallies pre-trade checks read: open orders and the exposure they may add,
per-strategy positions, order rates.

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
    value: Decimal
    """Its leaves at its limit (or reference) price; an open buy holds this much cash back."""


class RiskBook:
    """What is working, what each strategy holds, and what was sent lately."""

    def __init__(self) -> None:
        self._working: dict[ClientOrderId, _Working] = {}
        self._last: dict[ClientOrderId, Order] = {}
        """The order object each working order was last counted as (orders are immutable)."""
        self.open_count = 0
        self.open_by_symbol: Counter[str] = Counter()
        self.open_by_strategy: Counter[str] = Counter()
        self._leaves: defaultdict[tuple[str, Side], Decimal] = defaultdict(Decimal)
        self._strategy_leaves: defaultdict[tuple[str, str, Side], Decimal] = defaultdict(Decimal)
        self.reserved_cash = ZERO
        self.sell_value = ZERO
        """Open sells' leaves at their limit (or reference) prices."""
        # Gross exposure working orders may add if they fill: per symbol, the worse of all its
        # buys or all its sells filling, against the position, at the latest price seen for it.
        self.working_gross = ZERO
        self._adds: dict[str, Decimal] = {}
        self._unit: dict[str, Decimal] = {}
        self._qty: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._strategy_qty: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self._recorded = 0
        self.repeat_window_ns = 86_400 * 1_000_000_000
        """The longest repeat window asked about; tallies older than it are forgotten."""
        self._sent: deque[int] = deque()
        self._sent_by_strategy: defaultdict[str, deque[int]] = defaultdict(deque)
        self._repeats: defaultdict[tuple[str, str, Side, Decimal], deque[int]] = defaultdict(deque)

    # -- open orders ---------------------------------------------------------------------------

    def track(self, order: Order, price: Decimal | None) -> None:
        """Count `order` as it now stands (open: its leaves; closed: nothing). Idempotent."""
        if self._last.get(order.client_order_id) is order:
            return  # this very state was counted (admitted, then published)
        old = self._working.get(order.client_order_id)
        leaves = order.leaves_qty
        if order.status.is_open and leaves > 0:
            # A stop trades near its stop price: value it there rather than at the market.
            unit = (
                order.limit_price
                or order.stop_price
                or price
                or (old.value / old.leaves if old else ZERO)
            )
            w = _Working(order.symbol, order.side, order.strategy, leaves, leaves * unit)
            changed = w != old
            if changed:
                if old is not None:
                    self._apply(old, -1)
                self._working[order.client_order_id] = w
                self._apply(w, 1)
            # else: acknowledged and nothing else (the commonest change): the same tallies.
            # Exposure is valued at the market, as positions are; cash held back by a buy
            # (above) at the price it may pay.
            mark = price or unit
            if mark and self._unit.get(order.symbol) != mark:
                self._unit[order.symbol] = mark
                changed = True
            if changed:
                self._revalue(order.symbol)
            self._last[order.client_order_id] = order
        else:
            self._last.pop(order.client_order_id, None)
            if old is not None:
                del self._working[order.client_order_id]
                self._apply(old, -1)
                self._revalue(order.symbol)

    def _apply(self, w: _Working, sign: int) -> None:
        self.open_count += sign
        self.open_by_symbol[w.symbol] += sign
        self.open_by_strategy[w.strategy] += sign
        self._leaves[w.symbol, w.side] += sign * w.leaves
        self._strategy_leaves[w.strategy, w.symbol, w.side] += sign * w.leaves
        if w.side is Side.BUY:
            self.reserved_cash += sign * w.value
        else:
            self.sell_value += sign * w.value

    def _revalue(self, symbol: str) -> None:
        q = self._qty.get(symbol, ZERO)
        buys = self._leaves.get((symbol, Side.BUY), ZERO)
        sells = self._leaves.get((symbol, Side.SELL), ZERO)
        worst = max(abs(q + buys), abs(q - sells)) - abs(q)
        adds = worst * self._unit.get(symbol, ZERO)
        self.working_gross += adds - self._adds.get(symbol, ZERO)
        self._adds[symbol] = adds

    def adds(self, symbol: str) -> Decimal:
        """The gross exposure `symbol`'s working orders may add (see `working_gross`)."""
        return self._adds.get(symbol, ZERO)

    def untrack(self, client_order_id: ClientOrderId) -> None:
        self._last.pop(client_order_id, None)
        old = self._working.pop(client_order_id, None)
        if old is not None:
            self._apply(old, -1)
            self._revalue(old.symbol)

    def is_tracked(self, client_order_id: ClientOrderId) -> bool:
        return client_order_id in self._working

    def leaves(self, symbol: str, side: Side) -> Decimal:
        return self._leaves.get((symbol, side), ZERO)

    def strategy_leaves(self, strategy: str, symbol: str, side: Side) -> Decimal:
        return self._strategy_leaves.get((strategy, symbol, side), ZERO)

    # -- positions by strategy -----------------------------------------------------------------

    def on_fill(self, fill: Fill) -> None:
        self._strategy_qty[fill.strategy, fill.symbol] += fill.signed_qty
        self._qty[fill.symbol] += fill.signed_qty
        self._unit[fill.symbol] = fill.price
        self._revalue(fill.symbol)

    def strategy_qty(self, strategy: str, symbol: str) -> Decimal:
        return self._strategy_qty.get((strategy, symbol), ZERO)

    # -- rates ---------------------------------------------------------------------------------

    def record_sent(self, order: Order, now_ns: int) -> None:
        self._recorded += 1
        if self._recorded % 1024 == 0:
            self._forget_repeats(now_ns)
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

    def _forget_repeats(self, now_ns: int) -> None:
        """Drop tallies of orders not repeated lately, so a long run does not grow them."""
        horizon = now_ns - self.repeat_window_ns
        stale = [key for key, times in self._repeats.items() if not times or times[-1] <= horizon]
        for key in stale:
            del self._repeats[key]

    def repeats(self, order: Order, now_ns: int, window_ns: int) -> int:
        """How often this source sent this symbol, side and quantity in the last `window_ns`."""
        key = (order.source + "/" + order.strategy, order.symbol, order.side, order.qty)
        self.repeat_window_ns = window_ns
        times = self._repeats.get(key)
        return 0 if times is None else self._count(times, now_ns, window_ns, keep_ns=window_ns)

"""Pre-trade risk: every order passes `RiskEngine.admit` before the OMS may send it.

The trading state is the kill switch: ACTIVE (every check applies), REDUCING (only orders that
shrink a position pass) and HALTED (nothing passes but the engine's own flatten). The engine
fails closed: a check that raises refuses the order.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tpm.config.risk import DrawdownLimit, LossLimit, RiskConfig
from tpm.domain import Fill, Order, Side, TradingState, to_decimal
from tpm.engine.market import MarketData
from tpm.engine.portfolio import Portfolio
from tpm.engine.risk_book import RiskBook
from tpm.engine.risk_checks import CheckContext, Rejection, run_checks, validity

__all__ = ["Breach", "Rejection", "RiskEngine"]

log = logging.getLogger("tpm.engine.risk")
_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Breach:
    """A loss limit crossed: what it was, and what the engine must now do."""

    limit: LossLimit | DrawdownLimit
    state: TradingState
    reason: str


class RiskEngine:
    """The limits, the trading state and the tallies, and the one gate every order passes."""

    def __init__(
        self,
        config: RiskConfig,
        market: MarketData,
        portfolio: Portfolio,
        now_ns: Callable[[], int],
    ) -> None:
        self.config = config
        self._market = market
        self._portfolio = portfolio
        self._now_ns = now_ns
        self.book = RiskBook()
        self.state = TradingState.ACTIVE
        self.state_reason = ""
        self.state_since_ns = 0
        self.is_stopping = False
        self.rejections: Counter[str] = Counter()
        self._references: dict[str, tuple[float, Decimal]] = {}

    # -- the gate ------------------------------------------------------------------------------

    def admit(self, order: Order, *, is_flatten: bool = False) -> Rejection | None:
        """None if `order` may be sent (and then it counts as working), else why not.

        Never raises: an error inside a check refuses the order and says so.
        """
        try:
            rejection = self._admit(order, is_flatten)
            if rejection is None:
                self.book.track(order, self._reference(order.symbol))
                self.book.record_sent(order, self._now_ns())
        except Exception as exc:
            log.exception("risk check failed on order %s", order.client_order_id)
            rejection = Rejection(
                "risk_error",
                f"a risk check failed ({type(exc).__name__}: {exc}); the order is refused",
            )
        if rejection is not None:
            self.rejections[rejection.code] += 1
        return rejection

    def has_rate_room(self, strategy: str) -> bool:
        """Whether one more order from `strategy` now stays within every order-rate limit."""
        q = self.config.order_rate
        if not q.enabled:
            return True
        s = self.config.strategies.get(strategy)
        per_s = min(q.per_strategy_per_second, (s.per_second if s else None) or q.per_second)
        per_m = min(q.per_strategy_per_minute, (s.per_minute if s else None) or q.per_minute)
        now, book = self._now_ns(), self.book
        return (
            book.sent(now, _NS) < q.per_second
            and book.sent(now, 60 * _NS) < q.per_minute
            and book.sent(now, _NS, strategy) < per_s
            and book.sent(now, 60 * _NS, strategy) < per_m
        )

    def late_refusal(self, is_flatten: bool = False) -> str | None:
        """Why an order admitted a moment ago must not go out after all: the engine began to
        stop, or trading was halted, while the order was being stored."""
        if self.is_stopping:
            return "the engine is stopping; no new orders are sent"
        if self.state is TradingState.HALTED and not is_flatten:
            return f"trading was halted before the order went out{self._why()}"
        return None

    def admit_replacement(self, current: Order, candidate: Order) -> Rejection | None:
        """Check new terms for a working order as if it were placed now, without its old self."""
        try:
            self.book.untrack(current.client_order_id)
            rejection = self._admit(candidate, False, is_change=True)
        except Exception as exc:
            log.exception("risk check failed on a change to %s", current.client_order_id)
            rejection = Rejection(
                "risk_error",
                f"a risk check failed ({type(exc).__name__}: {exc}); the change is refused",
            )
        keep = current if rejection is not None else candidate
        self.book.track(keep, self._reference(keep.symbol))
        if rejection is not None:
            self.rejections[rejection.code] += 1
        return rejection

    def _admit(
        self, order: Order, is_flatten: bool, *, is_change: bool = False
    ) -> Rejection | None:
        if self.is_stopping:
            return Rejection("stopping", "the engine is stopping; no new orders are sent")
        if self.state is TradingState.HALTED and not is_flatten:
            return Rejection("halted", f"trading is halted{self._why()}")
        c = self.context(order)
        if isinstance(c, Rejection):
            return c
        if is_change:  # new terms for an order already sent are not a repeat of it
            c = dataclasses.replace(c, repeats=0)
        if is_flatten:
            return validity(c) or (
                None
                if c.is_reducing
                else Rejection(
                    "flatten", f"a flatten order for {order.symbol} would not shrink the position"
                )
            )
        if self.state is TradingState.REDUCING and not c.is_reducing:
            return Rejection(
                "reducing",
                f"trading is reducing{self._why()}: only orders that shrink a position pass",
            )
        return run_checks(c, self.config)

    def _why(self) -> str:
        return f" ({self.state_reason})" if self.state_reason else ""

    def _reference(self, symbol: str) -> Decimal | None:
        s = self._market.state(symbol)
        if s is None:
            return None
        price = s.last_price
        if not math.isfinite(price) and s.quote is not None:
            price = s.quote.mid
        if not (math.isfinite(price) and price > 0):
            return None
        # Asked on every order change; the price moves far less often.
        seen = self._references.get(symbol)
        if seen is not None and seen[0] == price:
            return seen[1]
        exact = to_decimal(price)
        self._references[symbol] = (price, exact)
        return exact

    def context(self, order: Order) -> CheckContext | Rejection:
        s = self._market.state(order.symbol)
        if s is None:
            return Rejection("unknown_symbol", f"{order.symbol} is not a known instrument")
        now = self._now_ns()
        book, p = self.book, self._portfolio
        position = p.qty(order.symbol)
        same = book.leaves(order.symbol, order.side)
        qty = order.leaves_qty  # a changed order that is partly filled adds only its rest
        reducing = (position > 0 and order.side is Side.SELL and same + qty <= position) or (
            position < 0 and order.side is Side.BUY and same + qty <= -position
        )
        strategy = order.strategy
        return CheckContext(
            order=order,
            instrument=s.instrument,
            now_ns=now,
            reference_price=self._reference(order.symbol),
            data_age_s=max(0.0, (now - s.updated_ns) / _NS) if s.updated_ns else None,
            position=position,
            same_side_leaves=same,
            opposite_leaves=book.leaves(order.symbol, order.side.opposite),
            strategy_position=book.strategy_qty(strategy, order.symbol),
            strategy_same_side_leaves=book.strategy_leaves(strategy, order.symbol, order.side),
            is_reducing=reducing,
            equity=p.equity_f,
            gross_exposure=p.gross_f,
            net_exposure=p.net_f,
            working_gross_elsewhere=float(book.working_gross - book.adds(order.symbol)),
            working_buys=float(book.reserved_cash),
            working_sells=float(book.sell_value),
            cash=p.cash,
            reserved_cash=book.reserved_cash,
            sent_last_second=book.sent(now, _NS),
            sent_last_minute=book.sent(now, 60 * _NS),
            strategy_sent_last_second=book.sent(now, _NS, strategy),
            strategy_sent_last_minute=book.sent(now, 60 * _NS, strategy),
            repeats=book.repeats(order, now, int(self.config.repeat_guard.window_s * _NS)),
            open_count=book.open_count,
            open_in_symbol=book.open_by_symbol[order.symbol],
            open_in_strategy=book.open_by_strategy[strategy],
        )

    # -- events the tallies follow -------------------------------------------------------------

    def on_order(self, order: Order) -> None:
        # Only an open order is valued; a done one is just taken off the books.
        price = self._reference(order.symbol) if order.status.is_open else None
        self.book.track(order, price)

    def on_fill(self, fill: Fill) -> None:
        self.book.on_fill(fill)

    # -- trading state -------------------------------------------------------------------------

    def set_state(self, state: TradingState, reason: str = "") -> bool:
        """Move to `state`; returns False when already there for the same reason."""
        if state is self.state and reason == self.state_reason:
            return False
        self.state, self.state_reason, self.state_since_ns = state, reason, self._now_ns()
        return True

    def breach(self, equity: Decimal, day_start: Decimal | None, peak: Decimal) -> Breach | None:
        """The most severe loss limit `equity` crosses, if it would tighten the current state."""
        found: Breach | None = None
        for limit, base, what, key in (
            (
                self.config.daily_loss,
                day_start,
                "loss since the day's start",
                "risk.daily_loss.max_pct",
            ),
            (self.config.drawdown, peak, "drawdown from peak equity", "risk.drawdown.max_pct"),
        ):
            if not limit.enabled or base is None or base <= 0:
                continue
            lost_pct = float((base - equity) / base * 100)
            if lost_pct < limit.max_pct:
                continue
            state = TradingState.HALTED if limit.action == "halt" else TradingState.REDUCING
            if _severity(state) <= _severity(self.state):
                continue
            if found is not None and _severity(state) <= _severity(found.state):
                continue
            reason = (
                f"{what} {lost_pct:.2f}% ({base - equity:,.2f} of {base:,.2f}) reached "
                f"{key} {limit.max_pct:g}%"
            )
            found = Breach(limit, state, reason)
        return found

    def status(self) -> dict[str, Any]:
        """Limits in force, what each one measures now, and the trading state."""
        p, book, now = self._portfolio, self.book, self._now_ns()
        equity = p.equity_f
        day_start = p.day_start_equity
        peak = max(p.peak_equity, to_decimal(equity)) if math.isfinite(equity) else p.peak_equity
        eq = to_decimal(round(equity, 2))
        return {
            "state": self.state.value,
            "reason": self.state_reason,
            "since_ns": self.state_since_ns,
            "limits": self.config.model_dump(),
            "usage": {
                "equity": eq,
                "cash": p.cash,
                "day_start_equity": day_start,
                "day_pnl": None if day_start is None else eq - day_start,
                "day_loss_pct": None
                if not day_start
                else float((day_start - eq) / day_start * 100),
                "peak_equity": peak,
                "drawdown_pct": float((peak - eq) / peak * 100) if peak > 0 else 0.0,
                "gross_exposure_pct": p.gross_f / equity * 100 if equity > 0 else None,
                "gross_exposure_with_orders_pct": (
                    (p.gross_f + float(book.working_gross)) / equity * 100 if equity > 0 else None
                ),
                "net_exposure_pct": abs(p.net_f) / equity * 100 if equity > 0 else None,
                "orders_last_second": book.sent(now, _NS),
                "orders_last_minute": book.sent(now, 60 * _NS),
                "open_orders": book.open_count,
                "reserved_cash": book.reserved_cash,
            },
            "rejections": dict(self.rejections),
        }


def _severity(state: TradingState) -> int:
    return {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}[state]

"""The RiskEngine's gate as a whole, and the rig every risk test uses.

`Desk` runs the engine over a real MarketData, Portfolio and ManualClock, wired as the engine
wires them (accepted quotes and trades mark the portfolio). Positions come from fills applied
to the portfolio and the risk tallies; orders move through their states by events, as the OMS
moves them. test_risk_checks.py tests each check on both sides of its threshold,
test_risk_state.py the trading states, order changes and loss limits, and
test_risk_properties.py random streams of all of it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import tpm.engine.risk
import tpm.engine.risk_checks
from tpm.config.risk import (
    BuyingPowerCheck,
    ExposureLimits,
    OpenOrderLimits,
    OrderRateLimits,
    OrderSizeLimits,
    PositionLimits,
    PriceCollar,
    RepeatGuard,
    RiskConfig,
    StaleQuoteCheck,
)
from tpm.domain import (
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderCancelled,
    OrderFilled,
    OrderType,
    Quote,
    Side,
    Trade,
    TradingState,
)
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.market import MarketData
from tpm.engine.portfolio import Portfolio
from tpm.engine.risk import Rejection, RiskEngine

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
SECOND = 1_000_000_000
T0 = 1_700_000_000_000_000_000
CASH = 100_000
Num = int | str | Decimal

UNIVERSE = (
    Instrument("ACME"),
    Instrument("BETA"),
    Instrument("PENNY"),
    Instrument("LOTS", lot_size=D(100), min_qty=D(100)),
    Instrument("MINQ", min_qty=D(10)),
    Instrument("NOTL", min_notional=D(1000)),
    Instrument("HALT", is_tradable=False),
    Instrument("NOSH", is_shortable=False),
    Instrument("DARK"),  # never quoted
)
PRICES = {"ACME": 100, "BETA": 100, "PENNY": 1, "LOTS": 10, "MINQ": 10, "NOTL": 100, "NOSH": 100}
HUGE = 10**9


def loose(**sections: Any) -> RiskConfig:
    """Every check on, with limits out of the way except the `sections` given."""
    base: dict[str, Any] = {
        "order_size": OrderSizeLimits(max_qty=HUGE, max_notional=HUGE),
        "position": PositionLimits(max_qty=HUGE, max_notional=HUGE),
        "exposure": ExposureLimits(max_gross_pct=10_000, max_net_pct=10_000),
        "order_rate": OrderRateLimits(
            per_second=HUGE,
            per_minute=HUGE,
            per_strategy_per_second=HUGE,
            per_strategy_per_minute=HUGE,
        ),
        "repeat_guard": RepeatGuard(max_repeats=HUGE),
        "open_orders": OpenOrderLimits(max_total=HUGE, max_per_symbol=HUGE),
    }
    return RiskConfig(**(base | sections))


class Desk:
    """A RiskEngine over real market data, portfolio and clock, and ways to move them."""

    def __init__(
        self,
        config: RiskConfig | None = None,
        cash: Num = CASH,
        instruments: tuple[Instrument, ...] = UNIVERSE,
        prices: dict[str, int] | None = None,
    ) -> None:
        self.clock = ManualClock(T0)
        self.bus = Bus()
        self.market = MarketData(self.bus, instruments, now_ns=self.clock.now_ns)
        self.portfolio = Portfolio(D(cash))
        # As the engine wires them: every accepted quote and trade marks the portfolio.
        self.bus.subscribe(Quote, lambda q: self.portfolio.mark(q.symbol, q.mid))
        self.bus.subscribe(Trade, lambda t: self.portfolio.mark(t.symbol, t.price))
        self.config = config or loose()
        self.risk = RiskEngine(self.config, self.market, self.portfolio, self.clock.now_ns)
        self._ids = itertools.count()
        for symbol, price in (PRICES if prices is None else prices).items():
            self.quote(symbol, price)

    # -- market and time -----------------------------------------------------------------------

    def now(self) -> int:
        return self.clock.now_ns()

    def wait(self, ns: int) -> None:
        self.clock.advance_to(self.now() + ns)

    def quote(self, symbol: str, price: float) -> None:
        """A quote with bid = ask = `price`, so the mid (reference and mark) is exactly it."""
        self.market.on_quote(Quote(symbol, self.now(), float(price), float(price), 100, 100))

    def trade(self, symbol: str, price: float) -> None:
        self.market.on_trade(Trade(symbol, self.now(), float(price), 100))

    # -- orders --------------------------------------------------------------------------------

    def order(
        self,
        side: Side,
        qty: Num,
        symbol: str = "ACME",
        *,
        limit: Num | None = None,
        stop: Num | None = None,
        strategy: str = "",
        source: str = "manual",
    ) -> Order:
        kind = {
            (False, False): OrderType.MARKET,
            (True, False): OrderType.LIMIT,
            (False, True): OrderType.STOP,
            (True, True): OrderType.STOP_LIMIT,
        }[limit is not None, stop is not None]
        return Order(
            ClientOrderId(f"c{next(self._ids)}"),
            symbol,
            side,
            D(qty),
            kind,
            limit_price=None if limit is None else D(limit),
            stop_price=None if stop is None else D(stop),
            created_ns=self.now(),
            strategy=strategy,
            source=source,
        )

    def admit(self, order: Order, *, flatten: bool = False) -> Rejection | None:
        return self.risk.admit(order, is_flatten=flatten)

    def ok(self, side: Side, qty: Num, symbol: str = "ACME", **kw: Any) -> Order:
        """An order that must pass; it is then working."""
        flatten = kw.pop("flatten", False)
        order = self.order(side, qty, symbol, **kw)
        rejection = self.admit(order, flatten=flatten)
        assert rejection is None, rejection
        return order

    def refused(self, side: Side, qty: Num, symbol: str = "ACME", **kw: Any) -> Rejection:
        """An order that must be refused, and why."""
        flatten = kw.pop("flatten", False)
        rejection = self.admit(self.order(side, qty, symbol, **kw), flatten=flatten)
        assert rejection is not None, "the order was admitted"
        return rejection

    def fill(self, order: Order, qty: Num | None = None, price: Num | None = None) -> Order:
        """Fill `order` (all its leaves by default), as the OMS books a fill."""
        q = order.leaves_qty if qty is None else D(qty)
        p = D(price) if price is not None else order.limit_price or self.price(order.symbol)
        exec_id = f"x{next(self._ids)}"
        moved = order.apply(OrderFilled(self.now(), exec_id, q, p))
        fill = Fill(
            exec_id, order.client_order_id, order.symbol, order.side, q, p, D(0), 0, order.strategy
        )
        self.portfolio.apply(fill)
        self.risk.on_fill(fill)
        self.risk.on_order(moved)
        return moved

    def cancel(self, order: Order) -> Order:
        moved = order.apply(OrderCancelled(self.now()))
        self.risk.on_order(moved)
        return moved

    def hold(self, symbol: str, qty: Num, price: Num | None = None, strategy: str = "") -> None:
        """A position, as if an earlier order filled: `qty` signed, at `price` (else the mark)."""
        q = D(qty)
        side = BUY if q > 0 else SELL
        p = self.price(symbol) if price is None else D(price)
        exec_id = f"x{next(self._ids)}"
        fill = Fill(exec_id, ClientOrderId("old"), symbol, side, abs(q), p, D(0), 0, strategy)
        self.portfolio.apply(fill)
        self.risk.on_fill(fill)

    def price(self, symbol: str) -> Decimal:
        return D(repr(self.market.last_price(symbol)))


# -- enabled = false -----------------------------------------------------------------------------


def _two_orders(desk: Desk) -> Order:
    desk.ok(BUY, 1, limit=100)
    return desk.order(BUY, 1, limit=100)


def _stale(desk: Desk) -> Order:
    desk.wait(11 * SECOND)
    return desk.order(BUY, 1)


# (section, its tight limits, a scenario that returns an order those limits refuse, the code)
SWITCHES: list[tuple[str, Any, Callable[[Desk], Order], str]] = [
    ("order_size", OrderSizeLimits(max_qty=10), lambda d: d.order(BUY, 11), "max_order_qty"),
    ("price_collar", PriceCollar(max_pct=1), lambda d: d.order(BUY, 1, limit=102), "price_collar"),
    ("stale_quote", StaleQuoteCheck(max_age_s=10), _stale, "stale_quote"),
    ("position", PositionLimits(max_qty=10), lambda d: d.order(BUY, 11), "max_position_qty"),
    (
        "exposure",
        ExposureLimits(max_gross_pct=1),
        lambda d: d.order(BUY, 11),
        "max_gross_exposure",
    ),
    (
        "buying_power",
        BuyingPowerCheck(allow_short=False),
        lambda d: d.order(SELL, 1),
        "short_not_allowed",
    ),
    ("order_rate", OrderRateLimits(per_second=1), _two_orders, "order_rate"),
    ("repeat_guard", RepeatGuard(max_repeats=1), _two_orders, "repeat_guard"),
    ("open_orders", OpenOrderLimits(max_total=1), _two_orders, "max_open_orders"),
]


@pytest.mark.parametrize(
    ("section", "limits", "scenario", "code"), SWITCHES, ids=[s[0] for s in SWITCHES]
)
def test_enabled_false_switches_a_check_off(
    section: str, limits: Any, scenario: Callable[[Desk], Order], code: str
) -> None:
    on = Desk(loose(**{section: limits}))
    rejection = on.admit(scenario(on))
    assert rejection is not None
    assert rejection.code == code
    assert "risk." + section in rejection.message
    off = Desk(loose(**{section: limits.model_copy(update={"enabled": False})}))
    assert off.admit(scenario(off)) is None


# -- failing closed ------------------------------------------------------------------------------


def _boom(*args: object) -> None:
    raise RuntimeError("boom")


def test_a_check_that_raises_refuses_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    monkeypatch.setattr(tpm.engine.risk_checks, "exposure", _boom)
    assert desk.refused(BUY, 1, limit=100) == Rejection(
        "risk_error", "a risk check failed (RuntimeError: boom); the order is refused"
    )
    assert desk.risk.book.open_count == 0
    assert desk.risk.book.sent(desk.now(), 60 * 10**9) == 0
    assert desk.risk.rejections["risk_error"] == 1


def test_an_error_gathering_the_context_refuses_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    monkeypatch.setattr(desk.portfolio, "qty", _boom)
    assert desk.refused(BUY, 1).code == "risk_error"


def test_an_error_in_a_flatten_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    desk.hold("ACME", 100)
    desk.risk.set_state(TradingState.HALTED)
    monkeypatch.setattr(tpm.engine.risk, "validity", _boom)
    assert desk.refused(SELL, 100, flatten=True).code == "risk_error"


def test_an_error_checking_a_change_keeps_the_old_order(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    order = desk.ok(BUY, 10, limit=100)
    monkeypatch.setattr(tpm.engine.risk_checks, "exposure", _boom)
    rejection = desk.risk.admit_replacement(order, dataclasses.replace(order, qty=D(20)))
    assert rejection == Rejection(
        "risk_error", "a risk check failed (RuntimeError: boom); the change is refused"
    )
    assert desk.risk.book.is_tracked(order.client_order_id)
    assert desk.risk.book.leaves("ACME", BUY) == 10

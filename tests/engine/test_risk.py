"""Pre-trade risk: each check on both sides of its threshold, the kill switch, failing closed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tpm.domain import (
    ClientOrderId,
    Instrument,
    Order,
    OrderType,
    Quote,
    Side,
    Trade,
    TradingState,
)
from tpm.engine import risk as risk_module
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.market import MarketData
from tpm.engine.risk import Rejection, RiskEngine, RiskLimits

D = Decimal
S = 1_000_000_000
T0 = 1_700_000_000 * S

INSTRUMENTS = [
    Instrument("ACME"),
    Instrument("HALT", is_tradable=False),
    Instrument("LOTS", lot_size=D(10), min_qty=D(10)),
    Instrument("MINQ", min_qty=D(5)),
    Instrument("NICKEL", tick_size=D("0.05")),
    Instrument("BIGMIN", min_notional=D(1000)),
    Instrument("QUIET"),
]


class Rig:
    """A real bus and market stage with a risk engine on a clock the test moves."""

    def __init__(self, limits: RiskLimits | None = None) -> None:
        self.clock = ManualClock(T0)
        self.bus = Bus()
        self.market = MarketData(self.bus, INSTRUMENTS, now_ns=self.clock.now_ns)
        self.risk = RiskEngine(
            limits or RiskLimits(D(1000), D(50_000), 10.0), self.market, self.clock.now_ns
        )
        for inst in INSTRUMENTS:
            if inst.symbol != "QUIET":
                self.quote(inst.symbol, 99.99, 100.01)

    def quote(self, symbol: str, bid: float, ask: float, ts: int | None = None) -> None:
        ts = self.clock.now_ns() if ts is None else ts
        self.market.on_quote(Quote(symbol, ts, bid, ask, 100, 100))

    def check(self, symbol: str = "ACME", qty: int | str = 10, **kw: object) -> Rejection | None:
        o = Order(ClientOrderId("c1"), symbol, kw.pop("side", Side.BUY), D(qty), **kw)  # type: ignore[arg-type]
        return self.risk.check(o)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def code(r: Rejection | None) -> str | None:
    return None if r is None else r.code


def test_a_plain_order_passes(rig: Rig) -> None:
    assert rig.check() is None
    assert rig.risk.rejections == 0


def test_unknown_symbol_is_rejected(rig: Rig) -> None:
    r = rig.check("NOPE")
    assert code(r) == "unknown_symbol"
    assert r is not None and "NOPE" in r.message


def test_untradable_symbol_is_rejected(rig: Rig) -> None:
    r = rig.check("HALT")
    assert code(r) == "not_tradable"
    assert r is not None and "HALT" in r.message


@pytest.mark.parametrize(("qty", "expected"), [(15, "lot_size"), (20, None), (10, None)])
def test_lot_size(rig: Rig, qty: int, expected: str | None) -> None:
    r = rig.check("LOTS", qty)
    assert code(r) == expected
    if r is not None:
        assert str(qty) in r.message and "10" in r.message


@pytest.mark.parametrize(("qty", "expected"), [(4, "min_qty"), (5, None)])
def test_min_qty(rig: Rig, qty: int, expected: str | None) -> None:
    r = rig.check("MINQ", qty)
    assert code(r) == expected
    if r is not None:
        assert "4" in r.message and "5" in r.message and "MINQ" in r.message


@pytest.mark.parametrize(
    ("kind", "prices", "expected", "named"),
    [
        (OrderType.LIMIT, {"limit_price": D("100.02")}, "tick_size", "limit"),
        (OrderType.LIMIT, {"limit_price": D("100.05")}, None, ""),
        (OrderType.STOP, {"stop_price": D("100.03")}, "tick_size", "stop"),
        (OrderType.STOP, {"stop_price": D("100.10")}, None, ""),
        (
            OrderType.STOP_LIMIT,
            {"stop_price": D("100.00"), "limit_price": D("100.01")},
            "tick_size",
            "limit",
        ),
        (
            OrderType.STOP_LIMIT,
            {"stop_price": D("100.04"), "limit_price": D("100.10")},
            "tick_size",
            "stop",
        ),
    ],
)
def test_tick_size_of_limit_and_stop_prices(
    rig: Rig, kind: OrderType, prices: dict[str, Decimal], expected: str | None, named: str
) -> None:
    r = rig.check("NICKEL", 10, type=kind, **prices)
    assert code(r) == expected
    if r is not None:
        assert f"{named} price" in r.message
        assert "0.05" in r.message


def test_non_positive_price_is_rejected(rig: Rig) -> None:
    r = rig.check(type=OrderType.LIMIT, limit_price=D("-1.00"))
    assert code(r) == "price"


def test_market_order_needs_market_data(rig: Rig) -> None:
    r = rig.check("QUIET")
    assert code(r) == "no_quote"
    assert r is not None and "QUIET" in r.message


def test_limit_order_needs_no_market_data(rig: Rig) -> None:
    assert rig.check("QUIET", type=OrderType.LIMIT, limit_price=D("10.00")) is None


def test_stale_market_data_rejects_market_orders_only(rig: Rig) -> None:
    rig.clock.advance_to(T0 + 10 * S)
    assert rig.check() is None  # exactly at the limit is still fresh
    rig.clock.advance_to(T0 + 10 * S + S // 2)
    r = rig.check()
    assert code(r) == "stale_quote"
    assert r is not None
    assert "risk.stale_quote_s 10s" in r.message
    assert "10.5s" in r.message
    assert rig.check(type=OrderType.LIMIT, limit_price=D("100.00")) is None
    rig.quote("ACME", 99.99, 100.01)
    assert rig.check() is None


def test_a_trade_also_keeps_market_data_fresh(rig: Rig) -> None:
    rig.clock.advance_to(T0 + 60 * S)
    rig.market.on_trade(Trade("ACME", T0 + 60 * S, 100.0, 5))
    assert rig.check() is None


@pytest.mark.parametrize(("qty", "expected"), [(1000, None), (1001, "max_order_qty")])
def test_max_order_qty(qty: int, expected: str | None) -> None:
    rig = Rig(RiskLimits(D(1000), D(10**9), 10.0))
    r = rig.check(qty=qty)
    assert code(r) == expected
    if r is not None:
        assert "exceeds risk.max_order_qty 1,000" in r.message
        assert "1,001" in r.message


@pytest.mark.parametrize(("qty", "expected"), [(500, None), (501, "max_order_notional")])
def test_max_order_notional_at_the_market(rig: Rig, qty: int, expected: str | None) -> None:
    r = rig.check(qty=qty)  # mid 100.00
    assert code(r) == expected
    if r is not None:
        assert "order notional 50,100 exceeds risk.max_order_notional 50,000" in r.message


def test_notional_of_a_buy_limit_above_the_market_uses_the_limit(rig: Rig) -> None:
    # 450 at the market is 45,000, but the order may trade up to 120: 54,000.
    r = rig.check(qty=450, type=OrderType.LIMIT, limit_price=D("120.00"))
    assert code(r) == "max_order_notional"
    assert r is not None and "54,000" in r.message
    assert rig.check(qty=450, type=OrderType.LIMIT, limit_price=D("80.00")) is None


def test_notional_of_a_stop_above_the_market_uses_the_stop(rig: Rig) -> None:
    assert code(rig.check(qty=450, type=OrderType.STOP, stop_price=D("120.00"))) == (
        "max_order_notional"
    )


def test_notional_limit_follows_the_price(rig: Rig) -> None:
    assert rig.check(qty=400) is None
    for _ in range(3):  # a new level needs confirming messages
        rig.quote("ACME", 139.99, 140.01)
    r = rig.check(qty=400)
    assert code(r) == "max_order_notional"
    assert r is not None and "56,000" in r.message


@pytest.mark.parametrize(("qty", "expected"), [(9, "min_notional"), (10, None)])
def test_min_notional(rig: Rig, qty: int, expected: str | None) -> None:
    r = rig.check("BIGMIN", qty)
    assert code(r) == expected
    if r is not None:
        assert "900" in r.message and "1,000" in r.message and "BIGMIN" in r.message


def test_halted_rejects_with_the_reason(rig: Rig) -> None:
    rig.risk.state = TradingState.HALTED
    rig.risk.state_reason = "daily loss limit reached"
    r = rig.check()
    assert code(r) == "halted"
    assert r is not None and r.message.endswith("daily loss limit reached")
    rig.risk.state_reason = ""
    r = rig.check(type=OrderType.LIMIT, limit_price=D("1.00"))
    assert code(r) == "halted"
    rig.risk.state = TradingState.ACTIVE
    assert rig.check() is None


def test_stopping_rejects_everything(rig: Rig) -> None:
    rig.risk.is_stopping = True
    assert code(rig.check()) == "stopping"
    assert code(rig.check(type=OrderType.LIMIT, limit_price=D("1.00"))) == "stopping"


def test_a_check_that_raises_rejects(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(risk_module, "check_price_grid", broken)
    r = rig.check()
    assert code(r) == "risk_error"
    assert r is not None
    assert "ZeroDivisionError" in r.message and "division by zero" in r.message
    assert rig.risk.rejections == 1


def test_rejections_are_counted(rig: Rig) -> None:
    rig.check("NOPE")
    rig.check()
    rig.check("HALT")
    assert rig.risk.rejections == 2

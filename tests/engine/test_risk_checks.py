"""Each pre-trade check on both sides of its threshold: just inside passes, just beyond is
refused, with a sentence naming the config key and the values."""

from __future__ import annotations

import pytest
from test_risk import BUY, HUGE, SECOND, SELL, D, Desk, loose

from tpm.config.risk import (
    BuyingPowerCheck,
    ExposureLimits,
    OpenOrderLimits,
    OrderRateLimits,
    OrderSizeLimits,
    PositionLimits,
    PriceCollar,
    RepeatGuard,
    StaleQuoteCheck,
    StrategyLimits,
)
from tpm.engine.risk import Rejection

# -- validity ------------------------------------------------------------------------------------


def test_an_unknown_symbol_is_refused() -> None:
    assert Desk().refused(BUY, 1, "NOPE", limit=1) == Rejection(
        "unknown_symbol", "NOPE is not a known instrument"
    )


def test_an_untradable_instrument_is_refused() -> None:
    assert Desk().refused(BUY, 1, "HALT", limit=1) == Rejection(
        "not_tradable", "HALT is not tradable"
    )


def test_quantity_must_be_whole_lots() -> None:
    desk = Desk()
    assert desk.refused(BUY, 150, "LOTS") == Rejection(
        "lot_size", "quantity 150 is not a multiple of the lot size 100 of LOTS"
    )
    desk.ok(BUY, 200, "LOTS")


def test_quantity_must_reach_the_minimum() -> None:
    desk = Desk()
    assert desk.refused(BUY, 9, "MINQ") == Rejection(
        "min_qty", "quantity 9 is below the minimum 10 for MINQ"
    )
    desk.ok(BUY, 10, "MINQ")


def test_an_infinite_quantity_is_refused_by_validity() -> None:
    r = Desk().refused(BUY, "Infinity", limit=100)
    assert r == Rejection("qty", "quantity Infinity must be a finite number")


@pytest.mark.parametrize("kind", ["limit", "stop"])
def test_prices_must_be_on_the_tick(kind: str) -> None:
    desk = Desk()
    assert desk.refused(BUY, 1, **{kind: "100.005"}) == Rejection(
        "tick_size", f"{kind} price 100.005 is not on the tick size 0.01 of ACME"
    )
    desk.ok(BUY, 1, **{kind: "100.01"})


def test_a_stop_limit_checks_both_prices_on_the_tick() -> None:
    r = Desk().refused(BUY, 1, limit="100.01", stop="100.001")
    assert r.code == "tick_size"
    assert r.message.startswith("stop price 100.001")


@pytest.mark.parametrize("kind", ["limit", "stop"])
@pytest.mark.parametrize("price", ["0", "-1", "NaN", "Infinity"])
def test_prices_must_be_positive_and_finite(kind: str, price: str) -> None:
    r = Desk().refused(BUY, 1, **{kind: price})
    assert r == Rejection("price", f"{kind} price {D(price)} must be a positive number")


def test_notional_must_reach_the_instrument_minimum() -> None:
    desk = Desk()
    assert desk.refused(BUY, 9, "NOTL") == Rejection(
        "min_notional", "order notional 900 is below the minimum 1,000 for NOTL"
    )
    # A limit order is valued at its limit price, not at the market.
    assert desk.refused(BUY, 10, "NOTL", limit="99.99").message == (
        "order notional 999.90 is below the minimum 1,000 for NOTL"
    )
    desk.ok(BUY, 10, "NOTL")
    desk.ok(BUY, 10, "NOTL", limit=100)


# -- stale data ----------------------------------------------------------------------------------


def test_a_market_order_needs_market_data() -> None:
    assert Desk().refused(BUY, 1, "DARK") == Rejection(
        "no_quote", "no market data for DARK yet: a market order needs a live price"
    )


def test_a_market_order_is_refused_once_the_data_is_older_than_max_age() -> None:
    desk = Desk(loose(stale_quote=StaleQuoteCheck(max_age_s=10)))
    desk.wait(10 * SECOND)
    desk.ok(BUY, 1)
    desk.wait(1)
    assert desk.refused(BUY, 1).code == "stale_quote"
    desk.wait(SECOND)
    assert desk.refused(BUY, 1).message == (
        "market data for ACME is 11.0s old, older than risk.stale_quote.max_age_s 10s"
    )
    desk.quote("ACME", 100)
    desk.ok(BUY, 1)


def test_limit_orders_do_not_need_fresh_data() -> None:
    desk = Desk()
    desk.wait(3600 * SECOND)
    desk.ok(BUY, 1, limit=100)
    desk.ok(SELL, 1, stop=95)


def test_a_limit_order_without_any_price_is_stopped_by_the_collar_not_the_stale_check() -> None:
    assert Desk().refused(BUY, 1, "DARK", limit=10) == Rejection(
        "price_collar", "no price for DARK to check the limit price 10 against (risk.price_collar)"
    )
    Desk(loose(price_collar=PriceCollar(enabled=False))).ok(BUY, 1, "DARK", limit=10)


# -- price collar --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["limit", "stop"])
def test_the_collar_holds_prices_within_max_pct_of_the_last_price(kind: str) -> None:
    desk = Desk(loose(price_collar=PriceCollar(max_pct=10)))
    desk.ok(BUY, 1, **{kind: "110.00"})
    desk.ok(SELL, 1, **{kind: "90.00"})
    assert desk.refused(BUY, 1, **{kind: "110.01"}) == Rejection(
        "price_collar",
        f"{kind} price 110.01 is 10.0% from the last price 100, "
        "beyond risk.price_collar.max_pct 10%",
    )
    assert desk.refused(SELL, 1, **{kind: "89.99"}).code == "price_collar"


def test_the_collar_is_measured_from_the_last_trade_before_the_mid() -> None:
    desk = Desk(loose(price_collar=PriceCollar(max_pct=10)))
    desk.trade("ACME", 95)  # the mid stays 100
    desk.ok(BUY, 1, limit="104.50")
    assert desk.refused(BUY, 1, limit="104.51").message == (
        "limit price 104.51 is 10.0% from the last price 95, beyond risk.price_collar.max_pct 10%"
    )


def test_a_stop_limit_must_have_both_prices_in_the_collar() -> None:
    desk = Desk(loose(price_collar=PriceCollar(max_pct=5)))
    desk.ok(BUY, 1, stop=104, limit=105)
    assert desk.refused(BUY, 1, stop=104, limit=106).message.startswith("limit price 106")


# -- order size ----------------------------------------------------------------------------------


def test_order_quantity_limit() -> None:
    desk = Desk(loose(order_size=OrderSizeLimits(max_qty=10_000, max_notional=50_000)))
    desk.ok(BUY, 10_000, "PENNY")
    assert desk.refused(BUY, 10_001, "PENNY") == Rejection(
        "max_order_qty", "order quantity 10,001 exceeds risk.order_size.max_qty 10,000"
    )


def test_order_notional_limit_at_the_market_and_at_the_limit_price() -> None:
    desk = Desk(loose(order_size=OrderSizeLimits(max_qty=10_000, max_notional=50_000)))
    desk.ok(BUY, 500)
    assert desk.refused(BUY, 501) == Rejection(
        "max_order_notional", "order notional 50,100 exceeds risk.order_size.max_notional 50,000"
    )
    assert desk.refused(BUY, 500, limit="104.62").message == (
        "order notional 52,310 exceeds risk.order_size.max_notional 50,000"
    )


def test_a_strategy_can_have_tighter_order_limits() -> None:
    tight = StrategyLimits(max_order_qty=100, max_order_notional=5_000)
    desk = Desk(loose(strategies={"algo": tight}), prices={"ACME": 50})
    desk.ok(BUY, 100, strategy="algo")
    assert desk.refused(BUY, 101, strategy="algo") == Rejection(
        "max_order_qty", "order quantity 101 exceeds risk.strategies.algo.max_order_qty 100"
    )
    assert desk.refused(BUY, 100, limit="50.01", strategy="algo") == Rejection(
        "max_order_notional",
        "order notional 5,001 exceeds risk.strategies.algo.max_order_notional 5,000",
    )
    desk.ok(BUY, 101, strategy="other")
    desk.ok(BUY, 101)


def test_an_exit_bigger_than_the_order_limits_is_never_trapped() -> None:
    # A position grown by several orders (or limits lowered since) must close in one order.
    desk = Desk(loose(order_size=OrderSizeLimits(max_qty=500, max_notional=50_000)))
    desk.hold("ACME", 600)  # worth about 60,000
    desk.ok(SELL, 600)
    # Through zero is not an exit: the part that opens a short is a new order like any other.
    assert desk.refused(SELL, 1200) == Rejection(
        "max_order_qty", "order quantity 1,200 exceeds risk.order_size.max_qty 500"
    )


# -- repeat guard --------------------------------------------------------------------------------


def test_the_same_order_too_often_in_the_window_is_a_runaway_loop() -> None:
    desk = Desk(loose(repeat_guard=RepeatGuard(max_repeats=3, window_s=10)))
    for _ in range(3):
        desk.ok(BUY, 10, limit=100)
        desk.wait(SECOND)
    desk.wait(7 * SECOND - 1)  # the first is 1 ns short of 10 s old
    assert desk.refused(BUY, 10, limit=100) == Rejection(
        "repeat_guard",
        "buy 10 ACME was already sent 3 times in 10s, at risk.repeat_guard.max_repeats 3: "
        "a runaway loop is refused",
    )
    # Anything that differs is another order: quantity, side, symbol, strategy or source.
    desk.ok(BUY, 11, limit=100)
    desk.ok(SELL, 10, limit=100)
    desk.ok(BUY, 10, "BETA", limit=100)
    desk.ok(BUY, 10, limit=100, strategy="algo")
    desk.ok(BUY, 10, limit=100, source="cli")
    desk.wait(1)  # now the first has left the window
    desk.ok(BUY, 10, limit=100)
    assert desk.refused(BUY, 10, limit=100).code == "repeat_guard"


# -- position ------------------------------------------------------------------------------------


def test_position_quantity_counts_working_orders_on_the_same_side() -> None:
    desk = Desk(loose(position=PositionLimits(max_qty=1000, max_notional=HUGE)))
    desk.hold("ACME", 600)
    desk.ok(BUY, 300, limit=100)
    desk.ok(BUY, 100, limit=100)
    assert desk.refused(BUY, 1, limit=100) == Rejection(
        "max_position_qty",
        "position in ACME would reach 1,001 with working orders, beyond risk.position.max_qty 1,000",
    )
    # Working buys do not count against a sell: 600 - 1,600 = -1,000.
    desk.ok(SELL, 1600, limit=100)
    assert desk.refused(SELL, 1, limit=100).message.startswith(
        "position in ACME would reach -1,001 with working orders"
    )


def test_position_notional_limit() -> None:
    desk = Desk(loose(position=PositionLimits(max_qty=HUGE, max_notional=10_000)))
    desk.ok(BUY, 100, limit=100)
    assert desk.refused(BUY, 1, limit=100) == Rejection(
        "max_position_notional",
        "position in ACME would be worth 10,100 with working orders, "
        "beyond risk.position.max_notional 10,000",
    )


def test_a_strategy_position_limit_counts_that_strategys_fills_and_orders() -> None:
    tight = StrategyLimits(max_position_qty=100, max_position_notional=50_000)
    desk = Desk(loose(strategies={"algo": tight}))
    desk.hold("ACME", 80, strategy="algo")
    desk.hold("ACME", 500, strategy="other")
    desk.ok(BUY, 10, limit=100, strategy="algo")
    desk.ok(BUY, 10, limit=100, strategy="algo")
    assert desk.refused(BUY, 1, limit=100, strategy="algo") == Rejection(
        "max_position_qty",
        "position in ACME would reach 101 with working orders, "
        "beyond risk.strategies.algo.max_position_qty 100",
    )
    desk.ok(BUY, 300, limit=100)  # the global limit is far away


def test_a_strategy_position_notional_limit() -> None:
    desk = Desk(loose(strategies={"algo": StrategyLimits(max_position_notional=5_000)}))
    desk.ok(BUY, 50, limit=100, strategy="algo")
    assert desk.refused(BUY, 1, limit=100, strategy="algo").message == (
        "position in ACME would be worth 5,100 with working orders, "
        "beyond risk.strategies.algo.max_position_notional 5,000"
    )


# -- exposure ------------------------------------------------------------------------------------


def test_gross_exposure_limit_counts_shorts() -> None:
    desk = Desk(loose(exposure=ExposureLimits(max_gross_pct=50, max_net_pct=100)))
    desk.hold("ACME", 300)  # 30,000 of 100,000 equity
    assert desk.refused(SELL, 201, "BETA") == Rejection(
        "max_gross_exposure",
        "gross exposure would be 50.1% of equity with working orders, "
        "beyond risk.exposure.max_gross_pct 50%",
    )
    desk.ok(SELL, 200, "BETA")


def test_net_exposure_limit() -> None:
    desk = Desk(loose(exposure=ExposureLimits(max_gross_pct=1000, max_net_pct=40)))
    desk.hold("ACME", 400)
    assert desk.refused(BUY, 1, "BETA") == Rejection(
        "max_net_exposure",
        "net exposure would be 40.1% of equity with working orders, "
        "beyond risk.exposure.max_net_pct 40%",
    )
    desk.ok(SELL, 400, "BETA")  # a hedge: net back to 0


def test_exposure_counts_working_orders_in_every_symbol() -> None:
    desk = Desk(loose(exposure=ExposureLimits(max_gross_pct=50, max_net_pct=100)))
    desk.ok(SELL, 300, "ACME", limit=100)  # short 30% once it fills
    assert desk.refused(SELL, 201, "BETA", limit=100).code == "max_gross_exposure"
    desk.ok(SELL, 200, "BETA", limit=100)
    assert desk.refused(SELL, 1, "ACME", limit=100).code == "max_gross_exposure"


def test_a_protective_order_does_not_use_up_exposure() -> None:
    desk = Desk(loose(exposure=ExposureLimits(max_gross_pct=60, max_net_pct=60)))
    desk.hold("ACME", 400)
    desk.ok(SELL, 400, stop=95)  # closes the position if it fills: adds nothing
    desk.ok(BUY, 200, "BETA", limit=100)
    assert desk.refused(BUY, 1, "BETA", limit=100).code == "max_gross_exposure"


def test_with_no_equity_left_no_new_exposure_is_allowed() -> None:
    desk = Desk(cash=1_000)
    desk.hold("ACME", 100)  # cash -9,000, equity 1,000
    desk.quote("ACME", 80)  # equity -1,000
    assert desk.refused(BUY, 1, "BETA", limit=100) == Rejection(
        "exposure", "equity is -1,000: no new exposure is allowed"
    )


# -- buying power --------------------------------------------------------------------------------


def test_a_buy_needs_cash_not_held_for_open_buys() -> None:
    desk = Desk()
    assert desk.refused(BUY, 1001, limit=100) == Rejection(
        "buying_power",
        "order needs 100,100 of buying power; 100,000 is free "
        "(cash 100,000 less 0 held for open buys)",
    )
    assert desk.refused(BUY, 1001).code == "buying_power"  # a market order at the market price
    first = desk.ok(BUY, 1000, limit=100)
    assert desk.refused(BUY, 1, "BETA", limit=100).message == (
        "order needs 100 of buying power; 0 is free (cash 100,000 less 100,000 held for open buys)"
    )
    part = desk.fill(first, 400)
    assert desk.refused(BUY, 1, "BETA", limit=100).message.endswith(
        "(cash 60,000 less 60,000 held for open buys)"
    )
    desk.cancel(part)
    desk.ok(BUY, 600, "BETA", limit=100)


def test_short_selling_needs_allow_short() -> None:
    desk = Desk(loose(buying_power=BuyingPowerCheck(allow_short=False)))
    assert desk.refused(SELL, 1) == Rejection(
        "short_not_allowed",
        "selling 1 ACME would go short, and risk.buying_power.allow_short is false",
    )
    desk.hold("ACME", 100)
    desk.ok(SELL, 60, limit=100)
    desk.ok(SELL, 40, limit=100)  # sells what is held, counting the working sell
    assert desk.refused(SELL, 1, limit=100).code == "short_not_allowed"


def test_short_selling_needs_a_shortable_instrument() -> None:
    desk = Desk(loose(buying_power=BuyingPowerCheck(allow_short=True)))
    assert desk.refused(SELL, 1, "NOSH") == Rejection("not_shortable", "NOSH cannot be sold short")
    desk.ok(SELL, 1)
    desk.hold("NOSH", 5)
    desk.ok(SELL, 5, "NOSH")


# -- order rates ---------------------------------------------------------------------------------


def test_global_order_rates_per_second_and_per_minute() -> None:
    rates = OrderRateLimits(
        per_second=3, per_minute=5, per_strategy_per_second=HUGE, per_strategy_per_minute=HUGE
    )
    desk = Desk(loose(order_rate=rates))
    for n in (1, 2, 3):
        desk.ok(BUY, n, limit=100)
    assert desk.refused(BUY, 4, limit=100) == Rejection(
        "order_rate", "3 orders sent in the last second, at risk.order_rate.per_second 3"
    )
    desk.wait(SECOND - 1)
    assert desk.refused(BUY, 4, limit=100).code == "order_rate"
    desk.wait(1)
    desk.ok(BUY, 4, limit=100)
    desk.ok(BUY, 5, limit=100)
    desk.wait(SECOND)
    assert desk.refused(BUY, 6, limit=100) == Rejection(
        "order_rate", "5 orders sent in the last minute, at risk.order_rate.per_minute 5"
    )
    desk.wait(58 * SECOND)  # the first three are exactly a minute old
    desk.ok(BUY, 6, limit=100)


def test_order_rates_per_strategy() -> None:
    rates = OrderRateLimits(
        per_second=HUGE, per_minute=HUGE, per_strategy_per_second=2, per_strategy_per_minute=3
    )
    desk = Desk(loose(order_rate=rates))
    desk.ok(BUY, 1, limit=100, strategy="algo")
    desk.ok(BUY, 2, limit=100, strategy="algo")
    assert desk.refused(BUY, 3, limit=100, strategy="algo") == Rejection(
        "order_rate",
        "2 orders sent from algo in the last second, at risk.order_rate.per_strategy_per_second 2",
    )
    desk.ok(BUY, 3, limit=100, strategy="beta")
    desk.ok(BUY, 3, limit=100)
    desk.wait(SECOND)
    desk.ok(BUY, 3, limit=100, strategy="algo")
    desk.wait(SECOND)
    assert desk.refused(BUY, 4, limit=100, strategy="algo").message == (
        "3 orders sent from algo in the last minute, at risk.order_rate.per_strategy_per_minute 3"
    )


def test_a_strategy_rate_limit_names_its_own_key() -> None:
    tight = StrategyLimits(per_second=1, per_minute=2)
    desk = Desk(loose(strategies={"algo": tight}))
    desk.ok(BUY, 1, limit=100, strategy="algo")
    assert desk.refused(BUY, 2, limit=100, strategy="algo").message == (
        "1 orders sent from algo in the last second, at risk.strategies.algo.per_second 1"
    )
    desk.wait(SECOND)
    desk.ok(BUY, 2, limit=100, strategy="algo")
    desk.wait(SECOND)
    assert desk.refused(BUY, 3, limit=100, strategy="algo").message == (
        "2 orders sent from algo in the last minute, at risk.strategies.algo.per_minute 2"
    )
    desk.ok(BUY, 3, limit=100, strategy="other")


# -- open orders ---------------------------------------------------------------------------------


def test_open_orders_global_and_per_symbol() -> None:
    desk = Desk(loose(open_orders=OpenOrderLimits(max_total=3, max_per_symbol=2)))
    first = desk.ok(BUY, 1, limit=100)
    second = desk.ok(BUY, 2, limit=100)
    assert desk.refused(BUY, 3, limit=100) == Rejection(
        "max_open_orders_symbol",
        "2 orders in ACME are working, at risk.open_orders.max_per_symbol 2",
    )
    desk.ok(BUY, 1, "BETA", limit=100)
    assert desk.refused(BUY, 2, "BETA", limit=100) == Rejection(
        "max_open_orders", "3 orders are working, at risk.open_orders.max_total 3"
    )
    desk.cancel(first)
    desk.ok(BUY, 2, "BETA", limit=100)
    second = desk.fill(second, 1)  # partly filled: still working
    assert desk.refused(BUY, 3, "BETA", limit=100).code == "max_open_orders"
    desk.fill(second)
    desk.ok(BUY, 3, limit=100)


def test_open_orders_per_strategy() -> None:
    desk = Desk(loose(strategies={"algo": StrategyLimits(max_open_orders=1)}))
    desk.ok(BUY, 1, limit=100, strategy="algo")
    assert desk.refused(BUY, 2, limit=100, strategy="algo") == Rejection(
        "max_open_orders_strategy",
        "1 orders of algo are working, at risk.strategies.algo.max_open_orders 1",
    )
    desk.ok(BUY, 2, limit=100)

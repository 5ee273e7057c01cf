"""The RiskEngine around its checks: risk-reducing orders, trading states, order changes,
loss-limit breaches and the status report."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from test_risk import BUY, SECOND, SELL, Desk, loose

from tpm.config.risk import (
    BuyingPowerCheck,
    DrawdownLimit,
    ExposureLimits,
    LossLimit,
    OpenOrderLimits,
    OrderRateLimits,
    OrderSizeLimits,
    PositionLimits,
    PriceCollar,
    RepeatGuard,
    RiskConfig,
    StrategyLimits,
)
from tpm.domain import TradingState
from tpm.engine.risk import Rejection

D = Decimal
ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED


def exhausted() -> Desk:
    """Long 1,000 ACME with every limit a reducing order is exempt from already used up.

    Also short 500 BETA. Position 1,000 > 100; gross exposure 150% and net 50% > 1%; no new
    shorts allowed; one order sent this second and minute, at the rate limits, and still
    working, at the open-order limits.
    """
    desk = Desk(
        loose(
            position=PositionLimits(max_qty=100, max_notional=1_000),
            exposure=ExposureLimits(max_gross_pct=1, max_net_pct=1),
            buying_power=BuyingPowerCheck(allow_short=False),
            order_rate=OrderRateLimits(
                per_second=1, per_minute=1, per_strategy_per_second=1, per_strategy_per_minute=1
            ),
            open_orders=OpenOrderLimits(max_total=1, max_per_symbol=1),
        )
    )
    desk.ok(BUY, 1, "PENNY", limit=1)
    desk.hold("ACME", 1000)
    desk.hold("BETA", -500)
    assert desk.refused(BUY, 1).code == "max_position_qty"
    return desk


# -- risk-reducing orders ------------------------------------------------------------------------


@pytest.mark.parametrize("state", [ACTIVE, REDUCING])
@pytest.mark.parametrize("qty", [1, 400, 1000])
def test_closing_part_or_all_of_a_position_passes_exhausted_limits(
    state: TradingState, qty: int
) -> None:
    desk = exhausted()
    desk.risk.set_state(state, "test")
    desk.ok(SELL, qty)  # market
    desk.ok(BUY, 500, "BETA", limit=100)  # covers the short


@pytest.mark.parametrize("state", [ACTIVE, REDUCING])
def test_stops_and_take_profits_together_may_close_the_position_once(
    state: TradingState,
) -> None:
    desk = exhausted()
    desk.risk.set_state(state, "test")
    desk.ok(SELL, 600, stop=95)
    desk.ok(SELL, 400, limit=105)
    # Working sells already close all 1,000: one more is not reducing, and meets the limits.
    expected = "reducing" if state is REDUCING else "max_gross_exposure"
    assert desk.refused(SELL, 1, limit=105).code == expected


def test_a_reducing_order_may_not_flip_the_position() -> None:
    desk = exhausted()
    assert desk.refused(SELL, 1001).code == "max_gross_exposure"
    desk.risk.set_state(REDUCING, "daily loss")
    assert desk.refused(SELL, 1001).code == "reducing"


def test_a_partly_filled_reducing_order_can_still_be_changed_in_reducing() -> None:
    desk = exhausted()
    stop = desk.ok(SELL, 1000, stop=95)
    stop = desk.fill(stop, 600, 95)  # 400 left to sell, 400 held
    desk.risk.set_state(REDUCING, "daily loss")
    moved = dataclasses.replace(stop, stop_price=D(94))
    assert desk.risk.admit_replacement(stop, moved) is None


def test_the_collar_and_the_repeat_guard_still_apply_to_reducing_orders() -> None:
    desk = Desk(
        loose(price_collar=PriceCollar(max_pct=10), repeat_guard=RepeatGuard(max_repeats=1))
    )
    desk.hold("ACME", 100)
    assert desk.refused(SELL, 10, limit=50).code == "price_collar"
    desk.ok(SELL, 10)
    assert desk.refused(SELL, 10).code == "repeat_guard"


# -- trading states ------------------------------------------------------------------------------


def test_reducing_refuses_what_does_not_shrink_a_position() -> None:
    desk = Desk()
    desk.hold("ACME", 100)
    desk.risk.set_state(REDUCING, "daily loss 5.20% reached risk.daily_loss.max_pct 5%")
    assert desk.refused(BUY, 1) == Rejection(
        "reducing",
        "trading is reducing (daily loss 5.20% reached risk.daily_loss.max_pct 5%): "
        "only orders that shrink a position pass",
    )
    assert desk.refused(SELL, 1, "BETA").code == "reducing"  # would open a short
    desk.ok(SELL, 100)


def test_halted_refuses_everything_but_a_flatten_that_shrinks_a_position() -> None:
    desk = exhausted()
    desk.risk.set_state(HALTED, "halted by the operator")
    halted = Rejection("halted", "trading is halted (halted by the operator)")
    assert desk.refused(BUY, 1, limit=100) == halted
    assert desk.refused(SELL, 400) == halted  # reducing, but not the engine's flatten
    not_shrinking = Rejection("flatten", "a flatten order for ACME would not shrink the position")
    assert desk.refused(SELL, 1001, flatten=True) == not_shrinking
    assert desk.refused(BUY, 1, flatten=True) == not_shrinking
    assert desk.refused(SELL, 1, "NOSH", flatten=True).code == "flatten"  # nothing held
    desk.ok(SELL, 1000, flatten=True)  # the rate and open-order limits are used up: no matter
    desk.ok(BUY, 500, "BETA", flatten=True)


def test_a_flatten_order_is_still_checked_for_validity() -> None:
    desk = Desk()
    desk.hold("ACME", 100)
    desk.risk.set_state(HALTED)
    assert desk.refused(SELL, 100, limit="99.999", flatten=True).code == "tick_size"


def test_halted_without_a_reason_and_resuming() -> None:
    desk = Desk()
    assert desk.risk.set_state(HALTED)
    assert desk.refused(BUY, 1) == Rejection("halted", "trading is halted")
    assert desk.risk.set_state(HALTED) is False  # already there, same reason
    desk.wait(5)
    assert desk.risk.set_state(ACTIVE, "resumed")
    assert desk.risk.state_since_ns == desk.now()
    desk.ok(BUY, 1)


def test_a_stopping_engine_sends_nothing_at_all() -> None:
    desk = Desk()
    desk.hold("ACME", 100)
    desk.risk.is_stopping = True
    stopping = Rejection("stopping", "the engine is stopping; no new orders are sent")
    assert desk.refused(BUY, 1) == stopping
    assert desk.refused(SELL, 100) == stopping
    assert desk.refused(SELL, 100, flatten=True) == stopping


# -- changing a working order --------------------------------------------------------------------


def test_new_terms_that_breach_a_limit_keep_the_old_order() -> None:
    desk = Desk(loose(position=PositionLimits(max_qty=1000, max_notional=10**9)))
    order = desk.ok(BUY, 600, limit=100)
    rejection = desk.risk.admit_replacement(order, dataclasses.replace(order, qty=D(1001)))
    assert rejection is not None
    assert rejection.code == "max_position_qty"
    book = desk.risk.book
    assert (book.open_count, book.leaves("ACME", BUY), book.reserved_cash) == (1, 600, 60_000)
    far = dataclasses.replace(order, limit_price=D(150))
    rejection = desk.risk.admit_replacement(order, far)
    assert rejection is not None
    assert rejection.code == "price_collar"
    assert book.reserved_cash == 60_000


def test_new_terms_within_limits_replace_the_old_contribution() -> None:
    desk = Desk(loose(position=PositionLimits(max_qty=1000, max_notional=10**9)))
    order = desk.ok(BUY, 600, limit=100)
    new = dataclasses.replace(order, qty=D(1000), limit_price=D(99))
    assert desk.risk.admit_replacement(order, new) is None  # not 600 + 1,000
    book = desk.risk.book
    assert (book.open_count, book.leaves("ACME", BUY), book.reserved_cash) == (1, 1000, 99_000)
    assert desk.refused(BUY, 1, limit=100).code == "max_position_qty"


def test_a_partly_filled_order_is_changed_on_what_it_has_left() -> None:
    desk = Desk(loose(position=PositionLimits(max_qty=100, max_notional=10**9)))
    order = desk.fill(desk.ok(BUY, 100, limit=100), 60)  # 60 held, 40 working
    assert (
        desk.risk.admit_replacement(order, dataclasses.replace(order, limit_price=D(101))) is None
    )
    assert desk.risk.book.leaves("ACME", BUY) == 40


# -- loss limits ---------------------------------------------------------------------------------


def limits(daily: LossLimit | None = None, drawdown: DrawdownLimit | None = None) -> RiskConfig:
    return loose(
        daily_loss=daily or LossLimit(enabled=False),
        drawdown=drawdown or DrawdownLimit(enabled=False),
    )


@pytest.mark.parametrize(("action", "state"), [("halt", HALTED), ("reduce", REDUCING)])
def test_daily_loss_breaches_at_max_pct(action: str, state: TradingState) -> None:
    cfg = limits(daily=LossLimit(max_pct=5, action=action))  # type: ignore[arg-type]
    risk = Desk(cfg).risk
    start = D(100_000)
    assert risk.breach(D("95000.01"), start, start) is None
    breach = risk.breach(D(95_000), start, start)
    assert breach is not None
    assert (breach.limit, breach.state) == (cfg.daily_loss, state)
    assert breach.reason == (
        "loss since the day's start 5.00% (5,000.00 of 100,000.00) reached "
        "risk.daily_loss.max_pct 5%"
    )


def test_drawdown_breaches_at_max_pct_from_the_peak() -> None:
    cfg = limits(drawdown=DrawdownLimit(max_pct=20, action="reduce"))
    risk = Desk(cfg).risk
    assert risk.breach(D("96000.01"), None, D(120_000)) is None
    breach = risk.breach(D(96_000), None, D(120_000))
    assert breach is not None
    assert (breach.limit, breach.state) == (cfg.drawdown, REDUCING)
    assert breach.reason == (
        "drawdown from peak equity 20.00% (24,000.00 of 120,000.00) reached "
        "risk.drawdown.max_pct 20%"
    )


def test_a_disabled_loss_limit_never_breaches() -> None:
    risk = Desk(limits()).risk
    assert risk.breach(D(1), D(100_000), D(100_000)) is None


def test_a_breach_only_ever_tightens_the_state() -> None:
    cfg = limits(daily=LossLimit(max_pct=5, action="reduce"), drawdown=DrawdownLimit(max_pct=10))
    risk = Desk(cfg).risk
    start = D(100_000)
    risk.set_state(REDUCING, "daily loss")
    assert risk.breach(D(94_000), start, start) is None  # reduce while reducing: nothing new
    breach = risk.breach(D(89_000), start, start)  # the drawdown halts
    assert breach is not None
    assert breach.state is HALTED
    risk.set_state(HALTED, breach.reason)
    assert risk.breach(D(1), start, start) is None


def test_no_day_start_means_no_daily_loss_yet() -> None:
    risk = Desk(limits(daily=LossLimit(max_pct=5))).risk
    assert risk.breach(D(1), None, D(100_000)) is None


# -- status --------------------------------------------------------------------------------------


def test_status_reports_the_state_the_limits_and_usage_as_the_portfolio_has_it() -> None:
    cfg = loose(buying_power=BuyingPowerCheck(allow_short=False))
    desk = Desk(cfg)
    desk.hold("ACME", 300)  # cash 70,000
    desk.hold("BETA", -100)  # cash 80,000
    desk.quote("ACME", 110)  # equity 80,000 + 33,000 - 10,000 = 103,000
    desk.portfolio.day_start_equity = D(100_000)
    desk.ok(BUY, 10, "BETA", limit=100)
    desk.refused(SELL, 1, "NOSH")
    desk.risk.set_state(REDUCING, "drawdown")

    status = desk.risk.status()
    assert (status["state"], status["reason"]) == ("reducing", "drawdown")
    assert status["since_ns"] == desk.now()
    assert status["limits"] == cfg.model_dump()
    assert status["rejections"] == {"short_not_allowed": 1}
    usage = status["usage"]
    p = desk.portfolio
    gross, net = p.exposures()
    assert (gross, net, p.equity) == (43_000, 23_000, 103_000)
    assert usage["equity"] == p.equity
    assert usage["cash"] == p.cash == 80_000
    assert usage["day_start_equity"] == 100_000
    assert usage["day_pnl"] == 3_000
    assert usage["day_loss_pct"] == pytest.approx(-3.0)
    assert usage["peak_equity"] == 103_000
    assert usage["drawdown_pct"] == 0
    assert usage["gross_exposure_pct"] == pytest.approx(float(gross / p.equity * 100))
    assert usage["net_exposure_pct"] == pytest.approx(float(net / p.equity * 100))
    assert (usage["orders_last_second"], usage["orders_last_minute"]) == (1, 1)
    assert (usage["open_orders"], usage["reserved_cash"]) == (1, 1_000)


def test_status_follows_a_fall_from_the_peak() -> None:
    desk = Desk()
    desk.hold("ACME", 500)
    desk.portfolio.snapshot(desk.now())  # peak 100,000
    desk.quote("ACME", 90)
    usage = desk.risk.status()["usage"]
    assert usage["equity"] == 95_000
    assert usage["drawdown_pct"] == pytest.approx(5.0)
    assert usage["day_pnl"] is None


# -- found in review --------------------------------------------------------------------------


def test_a_strategy_limit_binds_when_the_strategy_grows_its_own_position() -> None:
    desk = Desk(loose(strategies={"b": StrategyLimits(max_position_qty=100)}))
    desk.hold("ACME", 300, strategy="a")  # the account is long because of strategy a
    rejection = desk.refused(SELL, 300, strategy="b")  # shrinks the account, shorts b by 300
    assert rejection.code == "max_position_qty"
    assert "risk.strategies.b.max_position_qty 100" in rejection.message
    desk.ok(SELL, 100, strategy="b")  # within b's own limit
    desk.ok(SELL, 200, strategy="a")  # a closing its own position is never trapped


def test_changing_an_order_is_not_a_repeat_of_it() -> None:
    desk = Desk(loose(repeat_guard=RepeatGuard(max_repeats=1)))
    first = desk.ok(BUY, 10, limit=99)
    moved = dataclasses.replace(first, limit_price=D("99.5"))
    assert desk.risk.admit_replacement(first, moved) is None
    assert desk.refused(BUY, 10, limit=99).code == "repeat_guard"  # a second send still is


def test_the_most_severe_crossed_limit_wins() -> None:
    desk = Desk(
        loose(
            daily_loss=LossLimit(max_pct=5, action="reduce"),
            drawdown=DrawdownLimit(max_pct=10, action="halt"),
        )
    )
    breach = desk.risk.breach(D(80_000), D(100_000), D(100_000))
    assert breach is not None and breach.state is TradingState.HALTED
    assert "risk.drawdown.max_pct" in breach.reason


def test_repeat_tallies_are_forgotten_after_their_window() -> None:
    desk = Desk(loose(repeat_guard=RepeatGuard(max_repeats=3, window_s=60)))
    for i in range(2048):  # the tallies are swept every 1,024 sends
        desk.cancel(desk.ok(BUY, i % 500 + 1, limit=99))
        desk.wait(SECOND)
    assert 50 <= len(desk.risk.book._repeats) <= 62  # only the last minute is remembered


def test_a_buy_stop_is_valued_at_its_stop_price() -> None:
    desk = Desk(loose(order_size=OrderSizeLimits(max_notional=1_050)), cash=200_000)
    desk.ok(BUY, 10, stop=105)  # 1,050 at the stop
    rejection = desk.refused(BUY, 10, stop=106)
    assert rejection.code == "max_order_notional" and "1,060" in rejection.message
    assert desk.risk.book.reserved_cash == D(1050)

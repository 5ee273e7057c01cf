"""Fills and the positions they imply: average cost, realised P&L, and exact accounting."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.domain import ClientOrderId, Fill, Position, Side

D = Decimal
T0 = 1_700_000_000_000_000_000
_seq = iter(range(10**9))


def fill(side: Side, qty: str | int, price: str, commission: str = "0") -> Fill:
    return Fill(
        exec_id=f"e{next(_seq)}",
        client_order_id=ClientOrderId("c"),
        symbol="ACME",
        side=side,
        qty=D(qty),
        price=D(price),
        commission=D(commission),
        ts_ns=T0,
    )


def run(*fills: Fill) -> Position:
    pos = Position("ACME")
    for f in fills:
        pos = pos.apply(f)
    return pos


def test_fill_cash_delta_and_signed_quantity() -> None:
    buy = fill(Side.BUY, 10, "100.50", "1.25")
    sell = fill(Side.SELL, 10, "100.50", "1.25")
    assert (buy.signed_qty, sell.signed_qty) == (10, -10)
    assert buy.notional == sell.notional == D("1005.00")
    assert buy.cash_delta == D("-1006.25")
    assert sell.cash_delta == D("1003.75")


def test_opening_long() -> None:
    p = run(fill(Side.BUY, 10, "100", "1"))
    assert (p.qty, p.avg_price, p.realised_pnl, p.commission) == (10, 100, -1, 1)
    assert p.unrealised_pnl(D(105)) == 50
    assert p.market_value(D(105)) == 1050
    assert not p.is_flat


def test_opening_short() -> None:
    p = run(fill(Side.SELL, 10, "100"))
    assert (p.qty, p.avg_price) == (-10, 100)
    assert p.unrealised_pnl(D(95)) == 50
    assert p.unrealised_pnl(D(110)) == -100
    assert p.market_value(D(95)) == -950


def test_adding_to_a_long_averages_in() -> None:
    p = run(fill(Side.BUY, 10, "100"), fill(Side.BUY, 30, "104"))
    assert (p.qty, p.avg_price, p.realised_pnl) == (40, 103, 0)


def test_adding_to_a_short_averages_in() -> None:
    p = run(fill(Side.SELL, 10, "100"), fill(Side.SELL, 10, "90"))
    assert (p.qty, p.avg_price) == (-20, 95)


def test_reducing_a_long_realises_against_the_average_net_of_commission() -> None:
    p = run(fill(Side.BUY, 10, "100", "1"), fill(Side.BUY, 10, "110", "1"))
    p = p.apply(fill(Side.SELL, 5, "120", "1"))
    assert p.qty == 15
    assert p.avg_price == 105  # reducing does not move the average
    assert p.realised_pnl == 5 * 15 - 3
    assert p.commission == 3


def test_reducing_a_short_realises_against_the_average() -> None:
    p = run(fill(Side.SELL, 10, "100"), fill(Side.BUY, 4, "90", "0.5"))
    assert (p.qty, p.avg_price, p.realised_pnl) == (-6, 100, D("39.5"))


def test_closing_flat_resets_the_average() -> None:
    p = run(fill(Side.BUY, 10, "100", "1"), fill(Side.SELL, 10, "95", "1"))
    assert p.is_flat
    assert p.avg_price == 0
    assert p.realised_pnl == -52
    assert p.unrealised_pnl(D(1000)) == 0


def test_crossing_from_long_to_short_opens_the_rest_at_the_fill() -> None:
    p = run(fill(Side.BUY, 10, "100"), fill(Side.SELL, 15, "110", "2"))
    assert p.qty == -5
    assert p.avg_price == 110
    assert p.realised_pnl == 100 - 2
    assert p.unrealised_pnl(D(100)) == 50


def test_crossing_from_short_to_long_opens_the_rest_at_the_fill() -> None:
    p = run(fill(Side.SELL, 10, "100"), fill(Side.BUY, 12, "95"))
    assert (p.qty, p.avg_price, p.realised_pnl) == (2, 95, 50)


def test_reopening_after_flat_starts_a_fresh_average() -> None:
    p = run(fill(Side.BUY, 10, "100"), fill(Side.SELL, 10, "101"), fill(Side.BUY, 5, "200"))
    assert (p.qty, p.avg_price, p.realised_pnl) == (5, 200, 10)


def test_average_that_does_not_terminate_still_books_exactly() -> None:
    p = run(fill(Side.BUY, 1, "10.00"), fill(Side.BUY, 2, "10.01"))
    assert abs(p.avg_price - D("10.00666666666666666666666667")) < D("1e-20")
    assert p.unrealised_pnl(D("10.02")) == D("0.04")  # 3 * 10.02 - 30.02, exactly
    p = p.apply(fill(Side.SELL, 3, "10.02"))
    assert p.realised_pnl == D("0.04")
    assert p.is_flat


# -- property: positions are exactly the sum of their fills --------------------------------------

prices = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
quantities = st.integers(min_value=1, max_value=500).map(D)
commissions = st.decimals(min_value=D(0), max_value=D("9.99"), places=4)
fills_strategy = st.lists(
    st.tuples(st.sampled_from(Side), quantities, prices, commissions), min_size=1, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(fills_strategy, prices)
def test_position_accounting_is_exact(rows: list[tuple[Side, D, D, D]], mark: D) -> None:
    fills = [fill(side, qty, str(price), str(c)) for side, qty, price, c in rows]
    pos = run(*fills)
    cash_change = sum((f.cash_delta for f in fills), D(0))
    assert pos.qty == sum((f.signed_qty for f in fills), D(0))
    assert pos.commission == sum((f.commission for f in fills), D(0))
    # Equity moved by exactly the P&L: no Decimal rounding leaks into the books.
    assert cash_change + pos.market_value(mark) == pos.realised_pnl + pos.unrealised_pnl(mark)
    if pos.is_flat:
        assert pos.realised_pnl == cash_change


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=20))
def test_one_sided_average_is_the_volume_weighted_price(rows: list[tuple[D, D]]) -> None:
    pos = run(*(fill(Side.BUY, q, str(p)) for q, p in rows))
    cost = sum((q * p for q, p in rows), D(0))
    total = sum((q for q, _ in rows), D(0))
    assert abs(pos.avg_price - cost / total) <= D("1e-20")
    assert pos.unrealised_pnl(D(0)) == -cost

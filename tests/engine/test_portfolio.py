"""The portfolio: cash, marks, equity, exposures, day P&L, peaks, and rebuilding from fills."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.domain import ClientOrderId, Fill, Side
from tpm.engine.portfolio import Portfolio

D = Decimal
CASH = D(100_000)
T0 = 1_700_000_000_000_000_000
_seq = iter(range(10**9))


def fill(symbol: str, side: Side, qty: int, price: str, commission: str = "0") -> Fill:
    return Fill(
        exec_id=f"e{next(_seq)}",
        client_order_id=ClientOrderId("c"),
        symbol=symbol,
        side=side,
        qty=D(qty),
        price=D(price),
        commission=D(commission),
        ts_ns=T0,
    )


def test_a_new_portfolio_is_all_cash() -> None:
    p = Portfolio(CASH)
    assert (p.cash, p.equity, p.market_value) == (CASH, CASH, 0)
    assert p.exposures() == (0, 0)
    assert p.views() == []
    assert p.day_pnl == 0


def test_a_buy_pays_cash_and_is_marked_at_its_price_until_the_market_moves() -> None:
    p = Portfolio(CASH)
    p.apply(fill("ACME", Side.BUY, 10, "100", "1"))
    assert p.cash == CASH - 1001
    assert p.mark_of("ACME") == 100
    assert p.equity == CASH - 1  # only the commission is lost
    p.mark("ACME", 110.0)
    assert p.equity == CASH - 1 + 100
    assert p.unrealised_pnl == 100
    assert p.realised_pnl == -1
    [v] = p.views()
    assert (v.symbol, v.qty, v.avg_price, v.mark, v.market_value) == ("ACME", 10, 100, 110, 1100)


def test_a_later_fill_does_not_override_a_market_mark() -> None:
    p = Portfolio(CASH)
    p.mark("ACME", 105.0)
    p.apply(fill("ACME", Side.BUY, 10, "100"))
    assert p.mark_of("ACME") == 105
    p.apply(fill("ACME", Side.BUY, 10, "90"))
    assert p.mark_of("ACME") == 105


def test_marks_are_exact_decimals_of_the_float() -> None:
    p = Portfolio(CASH)
    p.mark("ACME", 0.1)
    assert p.mark_of("ACME") == D("0.1")
    assert p.mark_of("NONE") is None


def test_an_unusable_mark_values_the_position_at_cost() -> None:
    p = Portfolio(CASH)
    p.apply(fill("ACME", Side.BUY, 1, "10.00"))
    p.apply(fill("ACME", Side.BUY, 2, "10.01"))
    p.mark("ACME", math.nan)
    v = p.view("ACME")
    assert v.mark is None
    assert v.market_value == D("30.02")
    assert v.unrealised_pnl == 0
    assert p.equity == CASH


def test_exposures_long_and_short() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100"))
    p.apply(fill("BBB", Side.SELL, 5, "50"))
    p.mark("AAA", 110.0)
    p.mark("BBB", 40.0)
    assert p.exposures() == (D(1300), D(900))
    assert p.cash == CASH - 1000 + 250
    assert p.equity == CASH + 100 + 50
    assert p.unrealised_pnl == 150
    assert p.qty("BBB") == -5
    assert p.qty("CCC") == 0


def test_flat_positions_keep_realised_pnl_but_leave_the_views() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100", "1"))
    p.apply(fill("AAA", Side.SELL, 10, "103", "1"))
    assert p.views() == []
    [flat] = p.views(include_flat=True)
    assert (flat.qty, flat.realised_pnl, flat.market_value) == (0, 28, 0)
    assert p.realised_pnl == 28
    assert p.equity == CASH + 28
    assert p.exposures() == (0, 0)


def test_day_pnl_is_equity_against_the_day_start() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100"))
    p.day_start_equity = p.equity
    p.mark("AAA", 97.5)
    assert p.day_pnl == -25
    p.mark("AAA", 101.0)
    assert p.day_pnl == 10


def test_snapshot_reports_the_books_and_tracks_the_peak() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100"))
    p.apply(fill("BBB", Side.SELL, 10, "20"))
    p.mark("AAA", 120.0)
    s1 = p.snapshot(T0 + 1)
    assert (s1.ts_ns, s1.cash, s1.equity) == (T0 + 1, CASH - 800, CASH + 200)
    assert (s1.gross_exposure, s1.net_exposure) == (1400, 1000)
    assert p.peak_equity == CASH + 200
    p.mark("AAA", 90.0)
    s2 = p.snapshot(T0 + 2)
    assert s2.equity == CASH - 100
    assert p.peak_equity == CASH + 200  # a drawdown leaves the peak where it was
    p.mark("AAA", 150.0)
    p.snapshot(T0 + 3)
    assert p.peak_equity == CASH + 500


def test_peak_starts_at_the_initial_cash() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100", "5"))
    p.snapshot(T0)
    assert p.peak_equity == CASH


def test_rebuild_starts_over_from_the_initial_cash() -> None:
    p = Portfolio(CASH)
    p.apply(fill("AAA", Side.BUY, 10, "100"))
    p.rebuild([fill("BBB", Side.BUY, 1, "5")])
    assert set(p.positions) == {"BBB"}
    assert p.cash == CASH - 5
    assert p.fill_count == 1


sides = st.sampled_from(Side)
symbols = st.sampled_from(["AAA", "BBB", "CCC"])
prices = st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)
fills_strategy = st.lists(
    st.tuples(symbols, sides, st.integers(1, 300), prices, st.decimals(0, 5, places=2)),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(fills_strategy, st.dictionaries(symbols, prices))
def test_rebuild_equals_incremental(
    rows: list[tuple[str, Side, int, D, D]], marks: dict[str, D]
) -> None:
    fills = [fill(sym, side, q, str(p), str(c)) for sym, side, q, p, c in rows]
    live = Portfolio(CASH)
    for f in fills:
        live.apply(f)
    rebuilt = Portfolio(CASH)
    rebuilt.apply(fill("ZZZ", Side.BUY, 7, "3"))  # state from before that must go
    rebuilt.rebuild(fills)
    for sym, price in marks.items():
        live.mark(sym, float(price))
        rebuilt.mark(sym, float(price))
    assert rebuilt.positions == live.positions
    assert rebuilt.cash == live.cash
    assert rebuilt.fill_count == live.fill_count == len(fills)
    assert rebuilt.equity == live.equity
    # Equity is the initial cash plus every P&L, exactly.
    assert live.equity == CASH + live.realised_pnl + live.unrealised_pnl

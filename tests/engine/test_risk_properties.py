"""Property: random streams of orders, fills, cancels, price moves and state changes never
break a limit. The state machine keeps its own model of the working orders (not the risk
book's), decides independently which orders reduce a position, and checks the engine's
decisions and tallies against it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from test_risk import HUGE, SECOND, Desk, loose

from tpm.config.risk import (
    ExposureLimits,
    OpenOrderLimits,
    OrderRateLimits,
    PositionLimits,
    RepeatGuard,
    StrategyLimits,
)
from tpm.domain import ClientOrderId, Instrument, Order, Side, TradingState

D = Decimal
START = {"AAA": 50, "BBB": 100, "CCC": 150}
SYMBOLS = tuple(START)
CONFIG = loose(
    position=PositionLimits(max_qty=500, max_notional=HUGE),
    exposure=ExposureLimits(max_gross_pct=50, max_net_pct=100),
    open_orders=OpenOrderLimits(max_total=5, max_per_symbol=3),
    order_rate=OrderRateLimits(
        per_second=6, per_minute=40, per_strategy_per_second=4, per_strategy_per_minute=30
    ),
    repeat_guard=RepeatGuard(max_repeats=3, window_s=5),
    strategies={"algo": StrategyLimits(max_open_orders=2)},
)
# order_size (10,000 / 50,000), price_collar (10%), stale_quote (10 s) and buying_power
# (shorts allowed) keep their defaults.


class RiskStream(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.desk = Desk(CONFIG, instruments=tuple(map(Instrument, SYMBOLS)), prices=START)
        self.working: dict[ClientOrderId, tuple[Order, bool]] = {}  # order, reducing when admitted
        self.sent: list[tuple[int, str]] = []  # (time, strategy) of every admitted order
        self.state = TradingState.ACTIVE
        # Every price the engine may have valued a symbol's working orders at.
        self.low = {s: D(p) for s, p in START.items()}
        self.high = dict(self.low)

    # -- the model -----------------------------------------------------------------------------

    def leaves(self, symbol: str, side: Side) -> Decimal:
        return sum(
            (
                o.leaves_qty
                for o, _ in self.working.values()
                if (o.symbol, o.side) == (symbol, side)
            ),
            D(0),
        )

    def is_reducing(self, order: Order) -> bool:
        q = self.desk.portfolio.qty(order.symbol)
        after = self.leaves(order.symbol, order.side) + order.qty
        return (q > 0 and order.side is Side.SELL and after <= q) or (
            q < 0 and order.side is Side.BUY and after <= -q
        )

    def implied_gross(self) -> float:
        """Gross exposure if every working order filled, at today's reference prices."""
        total = 0.0
        for s in SYMBOLS:
            q = self.desk.portfolio.qty(s)
            after = q + self.leaves(s, Side.BUY) - self.leaves(s, Side.SELL)
            total += float(abs(after) * self.desk.price(s))
        return total

    def seen(self, symbol: str, price: Decimal) -> None:
        self.low[symbol] = min(self.low[symbol], price)
        self.high[symbol] = max(self.high[symbol], price)

    # -- rules ---------------------------------------------------------------------------------

    @rule(
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(Side),
        qty=st.integers(1, 20) | st.integers(1, 600),
        kind=st.sampled_from(["market", "limit", "stop"]),
        offset_permille=st.integers(-120, 120),
        strategy=st.sampled_from(["", "algo"]),
        flatten=st.integers(0, 9).map(lambda n: n == 0),
    )
    def submit(
        self,
        symbol: str,
        side: Side,
        qty: int,
        kind: str,
        offset_permille: int,
        strategy: str,
        flatten: bool,
    ) -> None:
        d = self.desk
        price = (d.price(symbol) * (1 + D(offset_permille) / 1000)).quantize(D("0.01"))
        order = d.order(
            side,
            qty,
            symbol,
            limit=price if kind == "limit" else None,
            stop=price if kind == "stop" else None,
            strategy=strategy,
        )
        reducing = self.is_reducing(order)
        open_before = [o for o, _ in self.working.values()]
        now = d.now()
        recent = [(t, s) for t, s in self.sent if t > now - SECOND]
        rejection = d.admit(order, flatten=flatten)
        if rejection is not None:
            assert rejection.code
            assert rejection.message
            return
        # What may pass at all, by trading state.
        assert not d.risk.is_stopping
        assert reducing or not flatten
        assert self.state is not TradingState.HALTED or flatten
        assert self.state is not TradingState.REDUCING or reducing
        self.sent.append((now, strategy))
        self.working[order.client_order_id] = (order, reducing)
        if order.limit_price is not None:
            self.seen(symbol, order.limit_price)
        if reducing:
            return  # exempt from the limits below
        # Open orders and rates were below their limits before this one.
        assert len(open_before) < CONFIG.open_orders.max_total
        assert sum(o.symbol == symbol for o in open_before) < CONFIG.open_orders.max_per_symbol
        if strategy == "algo":
            assert sum(o.strategy == "algo" for o in open_before) < 2
        assert len(recent) < CONFIG.order_rate.per_second
        assert sum(s == strategy for _, s in recent) < CONFIG.order_rate.per_strategy_per_second
        # Exposure if everything working filled, this order included.
        stretch = max(self.high[s] / self.low[s] for s in SYMBOLS)
        cap = CONFIG.exposure.max_gross_pct / 100 * d.portfolio.equity_f * float(stretch)
        assert self.implied_gross() <= cap * (1 + 1e-9) + 1e-6

    @precondition(lambda self: self.working)
    @rule(pick=st.integers(0, 1000), partial=st.booleans(), part=st.integers(1, 599))
    def fill(self, pick: int, partial: bool, part: int) -> None:
        coid = sorted(self.working)[pick % len(self.working)]
        order, reducing = self.working.pop(coid)
        leaves = order.leaves_qty
        qty = min(D(part), leaves - 1) if partial and leaves > 1 else leaves
        price = order.limit_price or self.desk.price(order.symbol)
        moved = self.desk.fill(order, qty, price)
        self.seen(order.symbol, price)
        if moved.is_open:
            self.working[coid] = (moved, reducing)

    @precondition(lambda self: self.working)
    @rule(pick=st.integers(0, 1000))
    def cancel(self, pick: int) -> None:
        coid = sorted(self.working)[pick % len(self.working)]
        order, _ = self.working.pop(coid)
        self.desk.cancel(order)

    @rule(symbol=st.sampled_from(SYMBOLS), move_permille=st.integers(-30, 30))
    def move(self, symbol: str, move_permille: int) -> None:
        d = self.desk
        price = (d.price(symbol) * (1 + D(move_permille) / 1000)).quantize(D("0.01"))
        d.wait(1_000_000)
        d.quote(symbol, float(price))
        self.seen(symbol, d.price(symbol))

    @rule(ns=st.sampled_from([0, SECOND // 10, SECOND, 5 * SECOND, 11 * SECOND, 61 * SECOND]))
    def wait(self, ns: int) -> None:
        self.desk.wait(ns)

    @rule(to=st.sampled_from(["active"] * 4 + ["reducing", "halted", "stopping"]))
    def switch(self, to: str) -> None:
        risk = self.desk.risk
        risk.is_stopping = to == "stopping"
        if not risk.is_stopping:
            self.state = TradingState(to)
            risk.set_state(self.state, f"test: {to}")

    # -- invariants after every step -----------------------------------------------------------

    @invariant()
    def positions_with_working_orders_stay_within_max_qty(self) -> None:
        for s in SYMBOLS:
            q = self.desk.portfolio.qty(s)
            worst = max(abs(q + self.leaves(s, Side.BUY)), abs(q - self.leaves(s, Side.SELL)))
            assert worst <= CONFIG.position.max_qty

    @invariant()
    def orders_that_add_risk_stay_within_the_open_order_limits(self) -> None:
        adding = [o for o, reducing in self.working.values() if not reducing]
        assert len(adding) <= CONFIG.open_orders.max_total
        for s in SYMBOLS:
            assert sum(o.symbol == s for o in adding) <= CONFIG.open_orders.max_per_symbol
        assert sum(o.strategy == "algo" for o in adding) <= 2

    @invariant()
    def the_risk_book_agrees_with_the_model(self) -> None:
        book = self.desk.risk.book
        assert book.open_count == len(self.working)
        for s in SYMBOLS:
            assert book.open_by_symbol[s] == sum(o.symbol == s for o, _ in self.working.values())
            for side in Side:
                assert book.leaves(s, side) == self.leaves(s, side)
        assert book.working_gross >= 0
        if not self.working:
            assert (book.reserved_cash, book.sell_value, book.working_gross) == (0, 0, 0)


def test_random_streams_never_break_the_limits() -> None:
    """Orders (market, limit, stop; both sides; 3 symbols; two sources; some flagged as the
    engine's flatten), full and partial fills, cancels, quotes and clock moves, and switches
    between ACTIVE, REDUCING, HALTED and stopping. "Reducing" below is the model's own
    judgement at admission: the order closes part or all of a position, counting the working
    orders on its side, and never flips it. After every step:

    - each symbol's position plus all working buys, and minus all working sells, stays within
      position.max_qty: max(|q + buys|, |q - sells|) <= max_qty (reducing orders are exempt from
      the check but cannot break this: they never take the position past zero);
    - working orders that were not reducing when admitted number at most open_orders.max_total,
      max_per_symbol in one symbol and the strategy's max_open_orders (reducing orders may
      exceed these, as risk-reducing orders are never trapped);
    - the risk book's tallies equal the model's.
    At each admission:
    - stopping admits nothing; HALTED admits only flatten orders; REDUCING and a flatten order
      admit only reducing orders;
    - a non-reducing order is admitted only with fewer open orders than each limit, fewer
      orders in the last second than the rate limits, and with the gross exposure implied if
      every working order (this one included) filled completely, valued at today's reference
      prices, within exposure.max_gross_pct of equity, stretched by the widest ratio between
      the prices seen for one symbol during the run (quotes, limit prices, fills): the engine
      values the working orders of other symbols at the latest of those it saw, not at every
      tick, so that the check stays O(1).
    """
    run_state_machine_as_test(
        RiskStream, settings=settings(max_examples=100, stateful_step_count=60, deadline=None)
    )

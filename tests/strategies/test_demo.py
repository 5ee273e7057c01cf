"""The demo strategy: long above, short (or flat) below, sized as a share of equity."""

from __future__ import annotations

from decimal import Decimal

from tpm.domain import Bar, Instrument, Timeframe
from tpm.strategies import MovingAverageTrend


class _Ctx:
    def __init__(self, price: float) -> None:
        self.last = price

    def equity(self) -> Decimal:
        return Decimal(100_000)

    def position(self, symbol: str) -> Decimal:
        return Decimal(0)

    def price(self, symbol: str) -> float:
        return self.last

    def instrument(self, symbol: str) -> Instrument | None:
        return Instrument(symbol)


def _bars(closes: list[float]) -> list[Bar]:
    return [
        Bar("ACME", Timeframe.M1, i * 60_000_000_000, c, c, c, c, 1) for i, c in enumerate(closes)
    ]


def _run(strategy: MovingAverageTrend, closes: list[float]) -> list[tuple[int, Decimal]]:
    ctx = _Ctx(closes[-1])
    out = []
    for i, bar in enumerate(_bars(closes)):
        ctx.last = bar.close
        out.extend((i, t.qty) for t in strategy.on_bar(bar, ctx))
    return out


def test_it_goes_long_on_an_up_cross_and_short_on_a_down_cross() -> None:
    closes = [10.0] * 5 + [12.0] * 4 + [8.0] * 6
    targets = _run(MovingAverageTrend(["ACME"], fast=2, slow=5, percent_equity=6), closes)
    # First view at bar 4 (slow average ready): flat prices -> below; then the two crosses.
    assert [i for i, _ in targets] == [5, 9]  # at 9: SMA2 10.0 < SMA5 11.2
    (_, up), (_, down) = targets
    assert up == Decimal(500)  # 6% of 100,000 at 12.00
    assert down == Decimal(-750)  # 6% of 100,000 at 8.00, short


def test_without_shorting_it_goes_flat() -> None:
    closes = [10.0] * 5 + [12.0] * 4 + [8.0] * 6
    targets = _run(MovingAverageTrend(["ACME"], fast=2, slow=5, allow_short=False), closes)
    assert targets[-1][1] == 0


def test_on_start_states_the_current_view() -> None:
    st = MovingAverageTrend(["ACME"], fast=2, slow=5)
    assert st.on_start(_Ctx(10.0)) == ()
    _run(st, [10.0, 10.0, 10.0, 10.0, 11.0, 12.0])
    [target] = st.on_start(_Ctx(12.0))
    assert target.qty == Decimal(416) and "above" in target.reason

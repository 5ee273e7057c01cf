"""The price chart: candles with indicator overlays above volume bars, drawn with plotext.

The screen hands the chart its bars (`show_bars`). Between fetches the forming bar follows the
last price of each snapshot (`follow`), and the plots are rebuilt at most once a second however
fast the market ticks. When the engine's clock passes the end of the forming bar, a bar has
closed: the chart asks for the bars again (`PriceChart.BarsStale`), once, and waits a few
seconds before asking again if the engine had not rolled the bar over yet.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tpm.analysis import indicators as ind
from tpm.domain import Bar, Timeframe
from tpm.ui.format import price, volume
from tpm.ui.widgets.analytics.plot import Plot

__all__ = ["OVERLAY_SETS", "Overlay", "PriceChart"]

FloatArray = npt.NDArray[np.float64]

_RETRY_NS = 5_000_000_000
"""How long to wait before asking again for bars the engine had not rolled over yet."""


def _bands(closes: FloatArray) -> list[FloatArray]:
    upper, _, lower = ind.bollinger(closes, 20, 2.0)
    return [upper, lower]


@dataclass(frozen=True, slots=True)
class Overlay:
    """An indicator drawn over the candles: its legend label, a 256-colour index (plotext and
    Rich number them alike, so the legend matches the line) and the series it draws."""

    label: str
    color: int
    series: Callable[[FloatArray], list[FloatArray]]


_SMA20 = Overlay("SMA 20", 45, lambda c: [ind.sma(c, 20)])
_SMA50 = Overlay("SMA 50", 214, lambda c: [ind.sma(c, 50)])
_EMA20 = Overlay("EMA 20", 171, lambda c: [ind.ema(c, 20)])
_BB = Overlay("BB 20/2", 111, _bands)

OVERLAY_SETS: tuple[tuple[str, tuple[Overlay, ...]], ...] = (
    ("SMA 20/50", (_SMA20, _SMA50)),
    ("EMA 20", (_EMA20,)),
    ("Bollinger 20/2", (_BB,)),
    ("all", (_SMA20, _SMA50, _EMA20, _BB)),
    ("none", ()),
)
"""The overlay choices `o` cycles through, by name."""


def _time_label(ts_ns: int, timeframe: Timeframe) -> str:
    t = time.gmtime(ts_ns / 1e9)
    if timeframe is Timeframe.D1:
        return time.strftime("%m-%d", t)
    if timeframe is Timeframe.H1:
        return time.strftime("%d %H:%M", t)
    return time.strftime("%H:%M", t)


class _Legend(Widget):
    """One line over the plots; a repaint, never a new layout, when its text changes."""

    DEFAULT_CSS = "_Legend { height: 1; }"

    text: reactive[Text] = reactive(Text)

    def render(self) -> Text:
        return self.text


class PriceChart(Vertical):
    """Candles of one symbol at one timeframe, overlays, volume, and a legend line."""

    DEFAULT_CSS = """
    PriceChart { height: 1fr; }
    PriceChart > #chart-legend { height: 1; }
    PriceChart > #chart-price { height: 3fr; min-height: 5; }
    PriceChart > #chart-volume { height: 1fr; min-height: 4; max-height: 12; }
    """

    overlay: reactive[int] = reactive(0, init=False)
    """Which of OVERLAY_SETS is drawn."""

    class BarsStale(Message):
        """A bar of the shown timeframe has closed: the bars should be fetched again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.symbol = ""
        self.timeframe = Timeframe.M1
        self.bars: list[Bar] = []
        self.candles = 0
        """How many candles the last drawing fed plotext: the newest bars that fit the width."""
        self.capacity = 0
        """How many candles the plot's width holds, one column each."""
        self.draws = 0
        self._loading = True
        self._dirty = False
        self._stale = False
        self._now_ns = 0
        self._check_ns = 0
        self._retry_ns = 0

    def compose(self) -> ComposeResult:
        yield _Legend(id="chart-legend")
        yield Plot(id="chart-price")
        yield Plot(id="chart-volume")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._flush)
        self._draw()

    def on_resize(self) -> None:
        # How many candles fit changes with the width; draw once the plots have their new size.
        self.call_after_refresh(self._draw)

    def watch_overlay(self) -> None:
        self._draw()

    def next_overlays(self) -> str:
        """Draw the next choice of OVERLAY_SETS; its name."""
        self.overlay = (self.overlay + 1) % len(OVERLAY_SETS)
        return OVERLAY_SETS[self.overlay][0]

    # -- data ----------------------------------------------------------------------------------

    def show_loading(self, symbol: str, timeframe: Timeframe) -> None:
        """Clear the chart while the bars of another symbol or timeframe are fetched."""
        self.symbol, self.timeframe, self.bars = symbol, timeframe, []
        self._loading, self._stale, self._retry_ns = True, False, 0
        self._draw()

    def show_bars(self, symbol: str, timeframe: Timeframe, bars: Sequence[Bar]) -> None:
        """Draw freshly fetched bars: closed ones, oldest first, the forming bar last."""
        self.symbol, self.timeframe, self.bars = symbol, timeframe, list(bars)
        self._loading = self._stale = False
        if self.bars:
            last = self.bars[-1]
            # A closed last bar means the next one forms unseen: wait for it to close as well.
            end = last.start_ns + (2 if last.is_closed else 1) * timeframe.ns
            self._check_ns = max(end, self._retry_ns)
        self._draw()

    def follow(self, last: float | None, now_ns: int) -> None:
        """Take the engine's clock and the symbol's last price (None when it is not on the
        watchlist) from a snapshot; the drawing catches up within a second."""
        self._now_ns = now_ns
        if not self.bars or self._loading:
            return
        if now_ns >= self._check_ns:
            self._stale = True
            return
        bar = self.bars[-1]
        if bar.is_closed or last is None or not math.isfinite(last) or last == bar.close:
            return
        self.bars[-1] = replace(bar, high=max(bar.high, last), low=min(bar.low, last), close=last)
        self._dirty = True

    def _flush(self) -> None:
        if self._stale:
            self._stale = False
            self._retry_ns = self._now_ns + _RETRY_NS
            self._check_ns = self._retry_ns
            self.post_message(self.BarsStale())
        elif self._dirty:
            self._draw(volume=False)  # only the forming bar's prices moved

    # -- drawing -------------------------------------------------------------------------------

    def _draw(self, *, volume: bool = True) -> None:
        self._dirty = False
        price_plot = self.query_one("#chart-price", Plot)
        volume_plot = self.query_one("#chart-volume", Plot) if volume else None
        price_plot.plt.clear_figure()
        if volume_plot is not None:
            volume_plot.plt.clear_figure()
        try:
            self._plot(price_plot, volume_plot)
        finally:
            price_plot.replot()
            if volume_plot is not None:
                volume_plot.replot()

    def _plot(self, price_plot: Plot, volume_plot: Plot | None) -> None:
        p = price_plot.plt
        legend = self.query_one("#chart-legend", _Legend)
        bars = self.bars
        if not bars:
            self.candles = 0
            tf = self.timeframe
            what = "loading…" if self._loading else f"no {tf} bars for {self.symbol} yet"
            legend.text = Text.assemble((f"{self.symbol} {tf}", "bold"), f"  {what}")
            return
        highs = np.array([b.high for b in bars])
        vols = np.array([b.volume for b in bars])
        # Both plots get y labels of one width so their x axes line up, candle over volume.
        label_w = max(len(price(float(highs.max()))), len(volume(float(vols.max()))), 4)
        width = price_plot.size.width or 80
        self.capacity = max(width - label_w - 2, 8)  # the label, its tick and the frame
        n = min(len(bars), self.capacity)
        shown = bars[-n:]
        xs = list(range(n))
        ohlc = {
            "Open": [b.open for b in shown],
            "Close": [b.close for b in shown],
            "High": [b.high for b in shown],
            "Low": [b.low for b in shown],
        }
        # plotext takes numeric x for candles as for any series; its stub only names dates.
        p.candlestick(xs, ohlc)  # type: ignore[arg-type]
        lo, hi = min(ohlc["Low"]), max(ohlc["High"])
        closes = np.array([b.close for b in bars])
        overlays = OVERLAY_SETS[self.overlay][1]
        for overlay in overlays:
            for series in overlay.series(closes):
                tail = series[-n:]
                ok = np.isfinite(tail)
                if ok.any():
                    p.plot(np.flatnonzero(ok).tolist(), tail[ok].tolist(), color=overlay.color)
                    lo, hi = min(lo, float(tail[ok].min())), max(hi, float(tail[ok].max()))
        p.xlim(-0.5, n - 0.5)
        count = max(2, min(6, price_plot.size.height // 3))
        ticks = np.linspace(lo, hi, count).tolist() if hi > lo else [lo]
        p.yticks(ticks, [price(t).rjust(label_w) for t in ticks])
        p.xticks([], [])  # the volume plot below carries the time axis
        if volume_plot is not None:
            self._plot_volume(volume_plot, shown, label_w, width)
        legend.text = self._legend(n, overlays)
        self.candles = n
        self.draws += 1

    def _plot_volume(self, plot: Plot, shown: list[Bar], label_w: int, width: int) -> None:
        v, n = plot.plt, len(shown)
        # One series per colour, each with only its own bars: a zero-height bar would blank
        # the bottom row under its neighbour's.
        for rising, color in ((True, "green"), (False, "red")):
            at = [i for i, b in enumerate(shown) if (b.close >= b.open) == rising]
            if at:
                heights = [shown[i].volume for i in at]
                v.bar(at, heights, color=color, width=0.8, reset_ticks=False)
        v.xlim(-0.5, n - 0.5)
        top = max(1.0, *(b.volume for b in shown))
        v.yticks([0.0, top], [volume(0.0).rjust(label_w), volume(top).rjust(label_w)])
        sample = _time_label(shown[-1].start_ns, self.timeframe)
        slots = max(2, min(n, (width - label_w) // (len(sample) + 6)))
        where = sorted({round(i) for i in np.linspace(0, n - 1, slots)})
        labels = [_time_label(shown[i].start_ns, self.timeframe) for i in where]
        v.xticks([float(i) for i in where], labels)

    def _legend(self, n: int, overlays: tuple[Overlay, ...]) -> Text:
        bars = self.bars
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self.symbol} {self.timeframe}", style="bold")
        text.append(f"  {n} of {len(bars)} bars" if n < len(bars) else f"  {n} bars", style="dim")
        if not bars[-1].is_closed:
            text.append(" · last forming", style="dim")
        text.append("  ")
        if not overlays:
            text.append("no overlays", style="dim")
        for overlay in overlays:
            text.append("━━ ", style=f"color({overlay.color})")
            text.append(f"{overlay.label}  ")
        text.rstrip()
        return text

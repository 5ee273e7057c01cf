"""A strategy trial drawn: the closes of its last bars, ▲ where it bought and ▼ where it sold,
and its figures underneath."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tpm.domain import ns_to_dt
from tpm.domain.strategies import StrategyTrial
from tpm.ui.format import money, pct, price
from tpm.ui.widgets.analytics.plot import Plot

__all__ = ["SignalChart", "trial_figures"]


def trial_figures(t: StrategyTrial, label: str) -> Text:
    """One or two lines of what the trial did."""
    out = Text(no_wrap=False)
    out.append(f"{label}: ", style="bold")
    out.append(f"{t.bars:,} bars, {t.trades} round trips, {t.orders} orders")
    if t.rejected:
        out.append(f" ({t.rejected} refused by risk)", style="yellow")
    out.append("\nreturn ")
    out.append(pct(t.total_return * 100), style="green" if t.total_return >= 0 else "red")
    out.append(f"  max DD {pct(t.max_drawdown * 100)}")
    out.append(f"  Sharpe {'—' if t.sharpe_ratio is None else f'{t.sharpe_ratio:.2f}'}")
    out.append(f"  win {'—' if t.win_rate is None else f'{t.win_rate:.0%}'}")
    out.append(f"  equity {money(t.final_equity)}  ({t.elapsed_s:.2f} s)", style="dim")
    return out


class SignalChart(Vertical):
    DEFAULT_CSS = """
    SignalChart { height: 1fr; }
    SignalChart > #signal-title { height: 1; }
    SignalChart > #signal-plot { height: 1fr; min-height: 6; }
    SignalChart > #signal-figures { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.trial: StrategyTrial | None = None

    def compose(self) -> ComposeResult:
        yield Static("No trial yet: the chart follows the text once it reads.", id="signal-title")
        yield Plot(id="signal-plot")
        yield Static("", id="signal-figures")

    def outdated(self) -> None:
        """The text changed and no longer reads: say the chart is of an earlier version."""
        if self.trial is not None:
            self.query_one("#signal-title", Static).update(
                Text(
                    "The chart is of the last version that read; fix the text to try this one.",
                    style="yellow",
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )

    def show(self, trial: StrategyTrial, label: str = "Trial") -> None:
        self.trial = trial
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"{trial.symbol} {trial.timeframe}", style="bold")
        title.append(f"  last {len(trial.closes)} bars  ")
        title.append("▲ buy", style="green")
        title.append("  ")
        title.append("▼ sell", style="red")
        title.append(f"  {len(trial.marks)} signals", style="dim")
        self.query_one("#signal-title", Static).update(title)
        self.query_one("#signal-figures", Static).update(trial_figures(trial, label))
        self._draw()

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw)

    def _draw(self) -> None:
        t = self.trial
        plot = self.query_one("#signal-plot", Plot)
        p = plot.plt
        p.clear_figure()
        try:
            if t is None or not t.closes:
                return
            xs = list(range(len(t.closes)))
            p.plot(xs, list(t.closes), color="blue")
            for side, marker, color in (("buy", "▲", "green"), ("sell", "▼", "red")):
                at = [m.index for m in t.marks if m.side == side]
                if at:
                    p.scatter(at, [t.closes[i] for i in at], marker=marker, color=color)
            lo, hi = min(t.closes), max(t.closes)
            ticks = [lo, (lo + hi) / 2, hi] if hi > lo else [lo]
            p.yticks(ticks, [price(v) for v in ticks])
            n = len(t.closes)
            where = sorted({0, n // 2, n - 1})
            fmt = "%m-%d" if t.timeframe == "1d" else "%m-%d %H:%M"
            p.xticks(
                [float(i) for i in where], [f"{ns_to_dt(t.starts_ns[i]):{fmt}}" for i in where]
            )
            p.xlim(-0.5, n - 0.5)
        finally:
            plot.replot()

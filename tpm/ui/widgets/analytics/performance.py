"""Portfolio performance: the equity curve and its drawdown (plotext) beside the metrics."""

from __future__ import annotations

import math
import time

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from tpm.ui.format import money
from tpm.ui.widgets.analytics.performance_report import Metric, PerformanceReport
from tpm.ui.widgets.analytics.plot import Plot

__all__ = ["PerformancePanel", "format_metric"]


def format_metric(metric: Metric) -> str:
    """A figure as the panel shows it: returns signed, small percentages with more places,
    ratios to two places, inf as ∞."""
    v = metric.value
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if metric.kind == "ratio":
        return f"{v:.2f}"
    places = 2 if abs(v) >= 0.001 or v == 0 else 4
    return f"{v * 100:{'+' if metric.kind == 'return' else ''}.{places}f}%"


def _time_labels(ts_s: np.ndarray, where: list[int]) -> list[str]:
    span = float(ts_s[-1] - ts_s[0]) if ts_s.size else 0.0
    form = "%m-%d" if span > 3 * 86_400 else "%H:%M" if span > 600 else "%H:%M:%S"
    return [time.strftime(form, time.gmtime(float(ts_s[i]))) for i in where]


class PerformancePanel(Horizontal):
    """Equity and drawdown charts on the left, the metrics and their caveats on the right."""

    DEFAULT_CSS = """
    PerformancePanel { height: 1fr; }
    PerformancePanel > #perf-charts { width: 1fr; }
    PerformancePanel #perf-equity { height: 3fr; min-height: 5; }
    PerformancePanel #perf-drawdown { height: 2fr; min-height: 4; }
    PerformancePanel > #perf-side { width: 38; padding-left: 1; }
    """

    report: reactive[PerformanceReport | None] = reactive(None, init=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="perf-charts"):
            yield Plot(id="perf-equity")
            yield Plot(id="perf-drawdown")
        with VerticalScroll(id="perf-side"):
            yield Static(Text("loading the equity curve…", style="dim"), id="perf-metrics")

    def watch_report(self, report: PerformanceReport | None) -> None:
        if report is None:
            return
        self._draw_charts(report)
        self.query_one("#perf-metrics", Static).update(self._table(report))

    def on_resize(self) -> None:
        if self.report is not None:
            self.call_after_refresh(self._draw_charts, self.report)

    @property
    def metrics_text(self) -> str:
        """What the metrics column says, as plain text (for tests and screen readers)."""
        report = self.report
        if report is None:
            return ""
        lines = [f"{x.label} {format_metric(x)}" for x in report.metrics]
        return "\n".join([*lines, *report.notes])

    def _table(self, report: PerformanceReport) -> Group:
        parts: list[Table | Text] = []
        if report.metrics:
            t = Table.grid(expand=True)
            t.add_column(ratio=1)
            t.add_column(justify="right")
            for metric in report.metrics:
                value = format_metric(metric)
                style = "red" if value.startswith("-") and value != "-" else ""
                t.add_row(metric.label, Text(value, style=style))
            parts.append(t)
            parts.append(Text(""))
            parts.extend(Text(note, style="dim") for note in report.notes)
        else:
            parts.extend(Text(note, style="bold") for note in report.notes)
        return Group(*parts)

    def _draw_charts(self, report: PerformanceReport) -> None:
        eq_plot = self.query_one("#perf-equity", Plot)
        dd_plot = self.query_one("#perf-drawdown", Plot)
        eq_plot.plt.clear_figure()
        dd_plot.plt.clear_figure()
        n = report.equity.size
        if n:
            # Two points per column are as many as the plot can show.
            width = max(eq_plot.size.width, 20)
            idx = np.unique(np.linspace(0, n - 1, min(n, 2 * width)).round().astype(int))
            xs = idx.tolist()
            equity, drawdown = report.equity[idx], report.drawdown[idx] * 100
            label_w = max(len(money(float(equity.max()))), len(money(float(equity.min()))), 7)
            p = eq_plot.plt
            p.title(f"Equity {money(float(report.equity[-1]))}")
            p.plot(xs, equity.tolist(), color="cyan")
            lo, hi = float(equity.min()), float(equity.max())
            ticks = np.linspace(lo, hi, 3).tolist() if hi > lo else [lo]
            p.yticks(ticks, [money(t).rjust(label_w) for t in ticks])
            p.xticks([], [])
            d = dd_plot.plt
            d.title(f"Drawdown {float(report.drawdown[-1]) * 100:.2f}%")
            d.plot(xs, drawdown.tolist(), color="red")
            low = min(float(drawdown.min()), -0.01)
            d.yticks([low, 0.0], [f"{low:.2f}%".rjust(label_w), "0%".rjust(label_w)])
            where = sorted({int(i) for i in np.linspace(0, len(xs) - 1, 4).round()})
            d.xticks([float(xs[i]) for i in where], _time_labels(report.ts_s[idx], where))
            for plot in (p, d):
                plot.xlim(0, max(n - 1, 1))
        eq_plot.replot()
        dd_plot.replot()

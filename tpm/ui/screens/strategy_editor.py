"""The strategy builder: a strategy file's text beside a trial of it on history.

While the trader types, the text is checked (problems shown with their line) and, once it
reads, tried on the last bars of history: the chart marks where it would have bought and sold.
Ctrl+S saves to the strategies folder, Ctrl+T backtests on all the history the feed serves,
Ctrl+R saves and starts it live (or stops it), Escape goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TextArea

from tpm.domain.strategies import StrategyProblem
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.trading.signal_chart import SignalChart

__all__ = ["StrategyEditor", "template"]

TRIAL_BARS = 300
"""Bars of history a trial while typing runs on (the chart shows the last 100)."""
BACKTEST_BARS = 5000
"""Bars of history Ctrl+T backtests on (as many as the feed serves, up to this)."""
_CHECK_AFTER_S = 0.4

_RULES = """\
[strategy]
name = "{name}"
symbols = ["{symbol}"]
timeframe = "1m"
description = "Long while the fast average is above the slow one"

[params]
fast = 10
slow = 30

[entry]
when = "crosses_above(sma(close, fast), sma(close, slow))"

[exit]
when = "crosses_below(sma(close, fast), sma(close, slow))"

[size]
percent_equity = 5

[risk]
stop_loss_pct = 3
"""

_PYTHON = """\
from tpm.analysis.indicators import sma
from tpm.strategies import PythonStrategy


class {cls}(PythonStrategy):
    name = "{name}"
    symbols = ("{symbol}",)
    timeframe = "1m"

    def on_bar(self, bar, ctx):
        closes = self.closes(bar.symbol)
        if len(closes) < 31:
            return []
        fast, slow = sma(closes, 10)[-1], sma(closes, 30)[-1]
        held = ctx.position(bar.symbol)
        if fast > slow and not held:
            return [self.target(bar.symbol, 10, "fast above slow")]
        if fast < slow and held:
            return [self.target(bar.symbol, 0, "fast below slow")]
        return []
"""


def template(file: str, symbol: str) -> str:
    """The text a new file starts from: a working strategy to change."""
    stem = file.rsplit(".", 1)[0]
    if file.endswith(".py"):
        cls = "".join(p.capitalize() for p in stem.replace("-", "_").split("_") if p) or "Mine"
        return _PYTHON.format(cls=cls, name=stem, symbol=symbol)
    return _RULES.format(name=stem, symbol=symbol)


def _kind(file: str) -> str:
    return "python" if file.endswith(".py") else "rules"


_ROLE_KEYS = {
    "save": Action.SAVE_STRATEGY,
    "backtest": Action.TRY_STRATEGY,
    "start_stop": Action.START_STRATEGY,
}
"""What each key asks of the engine: a key the role may not use is not offered."""


class StrategyEditor(Screen[bool]):
    """Dismisses with True when something was saved (the list should be read again)."""

    CSS_PATH = "strategy_editor.tcss"
    AUTO_FOCUS = "#editor-text"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+t", "backtest", "Backtest"),
        Binding("ctrl+r", "start_stop", "Start/stop"),
        # The text area keeps Escape to itself (to release focus); here it always goes back.
        Binding("escape", "close", "Back", priority=True),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    def __init__(self, file: str, text: str, *, saved: bool = True, backtest: bool = False):
        """`saved`: `text` is what the file holds (False for a new file's template)."""
        super().__init__()
        self.file = file
        self.kind = _kind(file)
        self._saved_text = text if saved else None
        self._initial = text
        self._backtest_on_open = backtest
        self._timer: Timer | None = None
        self.saved = False
        self.problems: list[StrategyProblem] = []
        self.strategy = ""
        """The name of the strategy the text defines (from the last trial that read it)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="editor-body"):
            with Vertical(id="editor-left", classes="panel"):
                yield Static(id="editor-title")
                yield TextArea(
                    self._initial,
                    id="editor-text",
                    show_line_numbers=True,
                    tab_behavior="indent",
                    soft_wrap=False,
                )
                yield Static(id="editor-problems")
            yield SignalChart(id="editor-chart", classes="panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._title()
        if self._backtest_on_open:
            self.action_backtest()
        else:
            self._check()

    def on_resize(self) -> None:
        # Side by side where there is room; the chart under the text on a narrow terminal.
        self.set_class(self.size.width < 110, "narrow")

    @property
    def text(self) -> str:
        return self.query_one("#editor-text", TextArea).text

    @property
    def modified(self) -> bool:
        return self._saved_text is None or self.text != self._saved_text

    def _title(self) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(self.file, style="bold")
        t.append(f"  {self.kind}  ")
        t.append(
            "modified" if self.modified else "saved", style="yellow" if self.modified else "dim"
        )
        self.query_one("#editor-title", Static).update(t)

    @on(TextArea.Changed, "#editor-text")
    def _changed(self) -> None:
        self._title()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(_CHECK_AFTER_S, self._check)

    def _show_problems(self, problems: list[StrategyProblem]) -> None:
        self.problems = problems
        box = self.query_one("#editor-problems", Static)
        if not problems:
            box.update(Text("✓ reads", style="green"))
            return
        self.query_one(SignalChart).outdated()
        out = Text()
        for p in problems[:4]:
            out.append("✗ ", style="red")
            if p.line and not p.message.startswith("line "):
                out.append(f"line {p.line}: ", style="bold")
            out.append(p.message + "\n")
        box.update(out)

    @work(exclusive=True, group="editor-check")
    async def _check(self) -> None:
        client = client_of(self)
        text = self.text
        try:
            problems = await client.check_strategy(text, self.kind)
            self._show_problems(problems)
            if problems:
                return
            trial = await client.try_strategy(text, self.kind, TRIAL_BARS)
        except Exception as exc:  # the builder stays open whatever the engine says
            self._show_problems([StrategyProblem(f"the trial failed: {exc}")])
            return
        if text != self.text:
            return  # typed on meanwhile: the next check draws
        self._show_problems(list(trial.problems))
        if trial.ok:
            self.strategy = trial.strategy
            self.query_one(SignalChart).show(trial, "Trial")

    # -- keys ------------------------------------------------------------------------------------

    async def _save(self) -> bool:
        try:
            said = await client_of(self).save_strategy(self.file, self.text)
        except Exception as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=12)
            return False
        self._saved_text = self.text
        self.saved = True
        self._title()
        self.notify(said[:1].upper() + said[1:] + ".")
        return True

    @work(exclusive=True, group="editor-save")
    async def action_save(self) -> None:
        await self._save()

    @work(exclusive=True, group="editor-check")
    async def action_backtest(self) -> None:
        chart = self.query_one(SignalChart)
        self.query_one("#editor-problems", Static).update(
            Text(f"Backtesting on up to {BACKTEST_BARS:,} bars…", style="dim")
        )
        try:
            trial = await client_of(self).try_strategy(self.text, self.kind, BACKTEST_BARS)
        except Exception as exc:
            self._show_problems([StrategyProblem(f"the backtest failed: {exc}")])
            return
        self._show_problems(list(trial.problems))
        if trial.ok:
            self.strategy = trial.strategy
            chart.show(trial, "Backtest")

    @work(exclusive=True, group="editor-run")
    async def action_start_stop(self) -> None:
        client = client_of(self)
        snap = await client.latest()
        running = {v.name for v in snap.strategies if v.is_started}
        try:
            if self.strategy and self.strategy in running:
                said = await client.stop_strategy(self.strategy)
            else:
                if self.problems:
                    self.notify("Fix the problems first.", severity="error")
                    return
                if self.modified and not await self._save():
                    return
                said = await client.start_strategy(self.file)
        except Exception as exc:
            self.notify(str(exc), title="Not started", severity="error", timeout=12)
            return
        self.saved = True
        self.notify(said[:1].upper() + said[1:] + ".")

    @work(exclusive=True, group="editor-close")
    async def action_close(self) -> None:
        if self.modified:
            sure = await self.app.push_screen_wait(
                Confirm(f"Leave {self.file} without saving your changes?", yes="Discard")
            )
            if not sure:
                return
        self.dismiss(self.saved)

"""The pillar breakdown: composite and rating, each pillar with its confidence and sub-scores as
small bars, and the drivers behind them in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tpm.domain.score import Driver, PillarScore, Score

__all__ = ["PillarBreakdown", "score_bar"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
_PILLARS = ("technical", "fundamental", "sentiment")
_COUNTED = frozenset({"sentiment"})
"""Pillars whose parts are counts (headlines seen), not 0-100 sub-scores: shown as numbers."""


def score_bar(value: float | None, width: int) -> Text:
    """A 0-100 score as a bar `width` cells wide, in eighths of a cell, coloured by its side
    of 50 (green above 60, red below 40)."""
    if value is None:
        return Text("·" * width, style="dim")
    v = min(max(value, 0.0), 100.0)
    eighths = round(v / 100 * width * 8)
    full, part = divmod(eighths, 8)
    body = "█" * full + (_EIGHTHS[part] if part else "")
    style = "green" if v >= 60 else "red" if v < 40 else "yellow"
    text = Text(body, style=style)
    text.append("░" * (width - len(body)), style="dim")
    return text


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _drivers(drivers: Sequence[Driver]) -> Table:
    """Reasons one per line, the arrow and pull in a column of their own so a long reason
    wraps under its text."""
    t = Table.grid(padding=(0, 1))
    t.add_column(width=1)
    t.add_column(width=1)
    t.add_column(justify="right", width=5)
    t.add_column(ratio=1)
    for d in drivers:
        up = d.impact >= 0
        arrow = Text("▲" if up else "▼", style="green" if up else "red")
        t.add_row("", arrow, Text(f"{d.impact:+.1f}", style="dim"), d.text)
    return t


class PillarBreakdown(VerticalScroll):
    """What `EngineClient.score` says about one symbol, scrollable when it does not fit."""

    DEFAULT_CSS = """
    PillarBreakdown { height: 1fr; }
    PillarBreakdown > Static { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.symbol = ""
        self.score: Score | None = None
        self.is_loaded = False

    def compose(self) -> ComposeResult:
        yield Static("waiting for a symbol…", id="pillars-body")

    def show_loading(self, symbol: str) -> None:
        """Blank the panel while another symbol's score is fetched."""
        self.symbol, self.score, self.is_loaded = symbol, None, False
        self.query_one("#pillars-body", Static).update(Text(f"{symbol}: loading…", style="dim"))

    def show(self, symbol: str, score: Score | None) -> None:
        """Render `score` (None: the engine has not scored `symbol`)."""
        self.symbol, self.score, self.is_loaded = symbol, score, True
        self.query_one("#pillars-body", Static).update(self._render_score())

    def on_resize(self) -> None:
        if self.is_loaded:
            self.query_one("#pillars-body", Static).update(self._render_score())

    def _render_score(self) -> RenderableType:
        s = self.score
        if s is None:
            return Text(f"{self.symbol} has not been scored yet.", style="dim")
        bar_w = max(8, min(30, self.size.width - 40))
        head = Table.grid(padding=(0, 1))
        head.add_column(width=15)
        head.add_column(justify="right", width=4)
        head.add_column(width=bar_w)
        head.add_column()
        rating = Text(str(s.rating) if s.rating else "no rating", style="bold")
        bar = score_bar(s.composite, bar_w)
        head.add_row(Text("Composite", style="bold"), _value(s.composite), bar, rating)
        parts: list[RenderableType] = [head]
        if s.composite is None:
            parts.append(Text("No pillar knows enough yet to score this symbol.", style="dim"))
        # The composite's drivers (its strongest reasons, across pillars) come first; a pillar
        # then lists only its own reasons not already given.
        parts.append(_drivers(s.drivers))
        told = {d.text for d in s.drivers}
        for name in _PILLARS:
            parts.append(Text(""))
            parts.append(self._pillar(name, getattr(s, name), bar_w, told))
        return Group(*parts)

    def _pillar(self, name: str, p: PillarScore, bar_w: int, told: set[str]) -> RenderableType:
        t = Table.grid(padding=(0, 1))
        t.add_column(width=15)
        t.add_column(justify="right", width=4)
        t.add_column(width=bar_w)
        t.add_column()
        conf = Text(f"confidence {p.confidence:.0%}", style="dim")
        bar = score_bar(p.value, bar_w)
        t.add_row(Text(name.capitalize(), style="bold"), _value(p.value), bar, conf)
        rows: list[RenderableType] = [t]
        if name in _COUNTED:
            counts = " · ".join(
                f"{k.replace('_', ' ')} {v:.0f}" for k, v in p.parts.items() if v is not None
            )
            if counts:
                rows.append(Text(f"  {counts}", style="dim"))
        else:
            for part, value in p.parts.items():
                t.add_row(f"  {part.replace('_', ' ')}", _value(value), score_bar(value, bar_w), "")
        rows.append(_drivers([d for d in p.drivers if d.text not in told][:3]))
        return Group(*rows)

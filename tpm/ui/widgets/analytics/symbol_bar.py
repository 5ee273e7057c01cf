"""The analytics screen's top line: which symbol is shown, its price and where it sits in the
watchlist."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tpm.domain import Timeframe
from tpm.domain.snapshot import WatchRow
from tpm.ui.format import pct, price

__all__ = ["SymbolBar"]


class SymbolBar(Widget):
    """Symbol, name and sector, last price and change, score, timeframe, watchlist position."""

    DEFAULT_CSS = """
    SymbolBar { height: 1; padding: 0 1; background: $boost; }
    """

    symbol: reactive[str] = reactive("")
    timeframe: reactive[Timeframe] = reactive(Timeframe.M1)
    row: reactive[WatchRow | None] = reactive(None)
    """The symbol's watchlist row in the latest snapshot; None when it is not listed."""
    watchlist: reactive[tuple[str, ...]] = reactive(())
    """The watchlist's symbols in the latest snapshot, in its order."""

    def neighbour(self, step: int) -> str | None:
        """The watchlist symbol `step` places after (or before) this one, wrapping around;
        from a symbol not on the watchlist, the first (step 1) or the last (step -1)."""
        names = self.watchlist
        if not names:
            return None
        at = names.index(self.symbol) if self.symbol in names else (-1 if step > 0 else 0)
        return names[(at + step) % len(names)]

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self.symbol:
            text.append("waiting for the watchlist…", style="dim")
            return text
        text.append(self.symbol, style="bold reverse")
        text.append(f" {self.timeframe} ", style="bold")
        row = self.row
        if row is not None:
            move = "green" if row.change_pct > 0 else "red" if row.change_pct < 0 else ""
            text.append(f" {price(row.last)} ", style="bold")
            text.append(pct(row.change_pct), style=move)
            if row.score is not None:
                text.append(f"  score {row.score:.0f}", style="bold")
                if row.rating:
                    text.append(f" {row.rating}")
        names = self.watchlist
        where = (
            f"{names.index(self.symbol) + 1} of {len(names)}"
            if self.symbol in names
            else "not on the watchlist"
        )
        text.append(f"  │ {where}", style="dim")
        if row is not None and row.name:
            text.append(f"  │ {row.name} · {row.sector}", style="dim")
        return text

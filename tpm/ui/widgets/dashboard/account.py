"""Account summary: equity, cash, P&L, exposure, trading state."""

from __future__ import annotations

from decimal import Decimal

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tpm.domain import TradingState
from tpm.domain.snapshot import AccountView
from tpm.ui.format import money, signed_money

__all__ = ["AccountPanel"]


def _pnl(value: Decimal, text: str) -> Text:
    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(text, style=style)


class AccountPanel(Widget):
    """Renders the AccountView of the latest snapshot.

    Its height is fixed (one line per figure), so a new snapshot repaints only this panel; a
    content-sized panel would lay out the whole screen again on every snapshot.
    """

    DEFAULT_CSS = "AccountPanel { height: 7; }"

    account: reactive[AccountView | None] = reactive(None)

    def render(self) -> RenderableType:
        a = self.account
        if a is None:
            return Text("waiting for the engine…", style="dim")
        t = Table.grid(expand=True)
        t.add_column(ratio=1)
        t.add_column(justify="right")
        t.add_row("Equity", Text(money(a.equity), style="bold"))
        t.add_row("Cash", money(a.cash))
        t.add_row("Day P&L", _pnl(a.day_pnl, f"{signed_money(a.day_pnl)} ({a.day_pnl_pct:+.2f}%)"))
        t.add_row("Unrealised", _pnl(a.unrealised_pnl, signed_money(a.unrealised_pnl)))
        t.add_row("Realised", _pnl(a.realised_pnl, signed_money(a.realised_pnl)))
        t.add_row("Exposure", f"{money(a.gross_exposure)} gross")
        state = a.trading_state
        line = Text(str(state), style="green" if state is TradingState.ACTIVE else "bold red")
        if a.state_reason:
            line.append(f" ({a.state_reason})")
        t.add_row("Trading", line)
        return t

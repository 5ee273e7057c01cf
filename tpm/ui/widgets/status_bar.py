"""The top line: clock, feed health and age, equity, day P&L and the trading state."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tpm.domain import FeedState, TradingState
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.context import client_of
from tpm.ui.format import money, signed_money

__all__ = ["StatusBar"]

_FEED_STYLE = {
    FeedState.LIVE: "bold green",
    FeedState.STALE: "bold yellow",
    FeedState.RECONNECTING: "bold yellow",
    FeedState.CONNECTING: "yellow",
    FeedState.STOPPED: "bold red",
}


class StatusBar(Widget):
    """One line docked at the top; re-renders on each snapshot (the engine sends one a second
    at least).

    The clock is the engine's: on a remote engine or a replay that is the time trading runs
    on, and a clock that stops says the engine has stopped talking.
    """

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    snapshot: reactive[EngineSnapshot | None] = reactive(None)

    def on_mount(self) -> None:
        if client_of(self).description != "local":
            # A remote engine's link can drop between snapshots: say so as it happens.
            self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("tpm ", style="bold")
        who = getattr(self.app, "who", None)
        if who is not None:  # the engine has users: say who is at the keyboard
            text.append(f"{who.user} ({who.role}) ", style="bold cyan")
        snap = self.snapshot
        now_s = time.time() if snap is None else snap.ts_ns / 1e9
        text.append(time.strftime("%H:%M:%S UTC", time.gmtime(now_s)), style="dim")
        client = client_of(self)
        where = client.description
        said = getattr(client, "link_down_s", None)  # a remote engine's client has it
        down = said if isinstance(said, float) else None  # clients made of calls give a call
        if down is not None:  # first, where 80 columns keep it in view
            text.append("  │ ")
            text.append(f"link down {down:.0f}s: reconnecting", style="bold reverse yellow")
        if snap is None:
            text.append("  │ connecting to the engine…", style="yellow")
            return text
        f = snap.feed
        age = "no data yet" if f.age_s is None else f"{f.age_s:.1f}s"
        text.append("  │ ")
        text.append(f"{f.name} ", style="bold")
        text.append(f"● {f.state}", style=_FEED_STYLE.get(f.state, ""))
        text.append(f" {age}", style="dim")
        a = snap.account
        text.append("  │ Equity ")
        text.append(money(a.equity), style="bold")
        text.append("  Day ")
        style = "green" if a.day_pnl > 0 else "red" if a.day_pnl < 0 else ""
        text.append(f"{signed_money(a.day_pnl)} ({a.day_pnl_pct:+.2f}%)", style=style)
        if a.trading_state is not TradingState.ACTIVE:
            text.append("  │ ")
            text.append(f" {a.trading_state.upper()} ", style="bold reverse red")
        if where != "local" and down is None:
            text.append(f"  │ {where}", style="dim")
        return text

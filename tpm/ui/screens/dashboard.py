"""Dashboard: watchlist, account, open orders, latest fills and notifications."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll

from tpm.domain.snapshot import EngineSnapshot
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.screens.dialogs import AskText
from tpm.ui.screens.live import LiveScreen
from tpm.ui.screens.risk import RiskDialog, kill_switch
from tpm.ui.widgets.dashboard.account import AccountPanel
from tpm.ui.widgets.dashboard.notes import NotificationList
from tpm.ui.widgets.dashboard.orders import OpenOrdersTable, RecentFills
from tpm.ui.widgets.dashboard.watchlist import Watchlist
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.status_bar import StatusBar

__all__ = ["DashboardScreen"]


_ROLE_KEYS = {"kill_switch": Action.HALT}
"""What each key asks of the engine: a key the role may not use is not offered."""


class DashboardScreen(LiveScreen):
    CSS_PATH = "dashboard.tcss"
    # Textual focuses it when the screen is first shown, in view or built in the background.
    AUTO_FOCUS = "#watchlist"
    BINDINGS = [
        Binding("K", "kill_switch", "Halt"),
        Binding("R", "risk", "Risk"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="dash-top"):
            with Vertical(id="dash-watch", classes="panel") as v:
                v.border_title = "Watchlist"
                yield Watchlist(id="watchlist")
            with Vertical(id="dash-side"):
                with Vertical(id="dash-account", classes="panel") as a:
                    a.border_title = "Account"
                    yield AccountPanel()
                with Vertical(id="dash-orders", classes="panel") as o:
                    o.border_title = "Open orders"
                    yield OpenOrdersTable(id="open-orders")
                with Vertical(id="dash-fills", classes="panel") as f:
                    f.border_title = "Latest fills"
                    yield VerticalScroll(RecentFills(id="fills"))
        with Vertical(id="dash-notes", classes="panel") as n:
            n.border_title = "Notifications"
            yield NotificationList(id="notes")
        yield KeyFooter()

    def on_resize(self) -> None:
        # Below 30 rows the notification panel gives its room to orders and fills (toasts stay).
        self.set_class(self.size.height < 30, "-short")

    def on_mount(self) -> None:
        self.follow_snapshots(self._show)

    def _show(self, snap: EngineSnapshot | None) -> None:
        self.query_one(StatusBar).snapshot = snap
        if snap is None:
            return
        watch = self.query_one(Watchlist)
        watch.update_rows(snap.watchlist)
        self._title("#dash-watch", f"Watchlist ({len(snap.watchlist)})")
        self.query_one(AccountPanel).account = snap.account
        self.query_one(OpenOrdersTable).show(snap.open_orders)
        self._title("#dash-orders", f"Open orders ({len(snap.open_orders)})")
        self.query_one(RecentFills).show(snap.recent_fills)
        self.query_one(NotificationList).show(snap.notifications)

    def _title(self, selector: str, title: str) -> None:
        panel = self.query_one(selector)
        if panel.border_title != title:  # each assignment repaints the panel
            panel.border_title = title

    @work(exclusive=True, group="kill-switch")
    async def action_kill_switch(self) -> None:
        await kill_switch(self)

    def action_risk(self) -> None:
        self.app.push_screen(RiskDialog())

    @on(Watchlist.AddRequested)
    def _ask_symbol(self) -> None:
        def answered(symbol: str | None) -> None:
            if symbol:
                self._add_symbol(symbol)

        self.app.push_screen(AskText("Add a symbol", "e.g. NOVA"), answered)

    @work(exclusive=True, group="watchlist")
    async def _add_symbol(self, symbol: str) -> None:
        client = client_of(self)
        sym = symbol.strip().upper()
        known = await client.symbols()
        if sym not in known:
            self.notify(f"{sym} is not served by this feed", severity="error")
            return
        current = [r.symbol for r in self.query_one(Watchlist).rows]
        if sym in current:
            self.notify(f"{sym} is already on the watchlist")
            return
        await client.set_watchlist([*current, sym])
        self.notify(f"{sym} added to the watchlist")

    @on(Watchlist.RemoveRequested)
    @work(exclusive=True, group="watchlist")
    async def _remove_symbol(self, event: Watchlist.RemoveRequested) -> None:
        client = client_of(self)
        current = [r.symbol for r in self.query_one(Watchlist).rows if r.symbol != event.symbol]
        await client.set_watchlist(current)
        self.notify(f"{event.symbol} removed from the watchlist")

    @on(OpenOrdersTable.CancelRequested)
    @work(group="orders")
    async def _cancel(self, event: OpenOrdersTable.CancelRequested) -> None:
        ok = await client_of(self).cancel_order(event.client_order_id)
        if ok:
            self.notify(f"Cancel sent for order {event.client_order_id[:8]}")
        else:
            self.notify(f"Order {event.client_order_id[:8]} is no longer open", severity="warning")

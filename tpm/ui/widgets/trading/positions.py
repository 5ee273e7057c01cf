"""Open positions with their P&L: `x` closes the highlighted one, `X` closes them all."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message

from tpm.domain import Order, OrderStatus
from tpm.domain.snapshot import PositionRow
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.format import money, pct, price, signed_money
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.widgets.trading.draft import describe_order, sentence
from tpm.ui.widgets.trading.synced_table import SyncedTable, right, signed

__all__ = ["PositionsTable"]


def _describe(p: PositionRow) -> str:
    side = "long" if p.qty > 0 else "short"
    return f"{side} {abs(p.qty)} {p.symbol} (worth {money(abs(p.market_value))})"


_ROLE_KEYS = {"close_position": Action.CLOSE_POSITION, "flatten_all": Action.CLOSE_POSITION}
"""What each key asks of the engine: a key the role may not use is not offered."""


class PositionsTable(SyncedTable):
    """Positions by symbol; Enter puts the highlighted symbol in the order ticket."""

    COLUMNS = ("Symbol", "Qty", "Avg", "Mark", "Unreal P&L", "Real P&L", "Value", "Day")
    BINDINGS = [
        Binding("x", "close_position", "Close"),
        Binding("X", "flatten_all", "Flatten all"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    class Closed(Message):
        """A closing order for `symbol` was sent (`order` may have come back rejected)."""

        def __init__(self, symbol: str, order: Order) -> None:
            super().__init__()
            self.symbol = symbol
            self.order = order

    class Flattened(Message):
        """Flatten all finished: how many closing orders went, and the refusals by symbol."""

        def __init__(self, sent: int, refused: dict[str, str]) -> None:
            super().__init__()
            self.sent = sent
            self.refused = refused

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.positions: dict[str, PositionRow] = {}

    def show(self, positions: Sequence[PositionRow]) -> None:
        """Show `positions` (a snapshot's); marks move, so cells update in place."""
        self.positions = {p.symbol: p for p in positions}
        self.sync(
            [
                (
                    p.symbol,
                    (
                        Text(p.symbol, style="bold"),
                        signed(float(p.qty), f"{p.qty}"),
                        right(price(p.avg_price)),
                        right(price(p.mark)),
                        signed(float(p.unrealised_pnl), signed_money(p.unrealised_pnl)),
                        signed(float(p.realised_pnl), signed_money(p.realised_pnl)),
                        right(money(p.market_value)),
                        signed(p.day_change_pct, pct(p.day_change_pct)),
                    ),
                )
                for p in positions
            ]
        )

    @work(exclusive=True, group="positions")
    async def action_close_position(self) -> None:
        key = self.selected_key
        pos = self.positions.get(key) if key is not None else None
        if pos is None:
            return
        verb = "sell" if pos.qty > 0 else "buy"
        sure = await self.app.push_screen_wait(
            Confirm(f"Close the {_describe(pos)} with a market {verb} order?", yes="Close")
        )
        if sure:
            why = await self._close(pos.symbol)
            if why:
                self.notify(why, title="Close refused", severity="error", timeout=12)

    @work(exclusive=True, group="positions")
    async def action_flatten_all(self) -> None:
        symbols = list(self.positions)
        if not symbols:
            self.notify("There are no positions to close.")
            return
        listed = ", ".join(symbols[:8]) + (
            f" and {len(symbols) - 8} more" if len(symbols) > 8 else ""
        )
        gross = sum(abs(p.market_value) for p in self.positions.values())
        sure = await self.app.push_screen_wait(
            Confirm(
                f"Flatten all: close {len(symbols)} position{'s' * (len(symbols) != 1)} "
                f"({listed}, worth {money(gross)} in all) with market orders?",
                yes="Flatten",
            )
        )
        if not sure:
            return
        sent, refused = 0, {}
        # One at a time, so each refusal is known and reported with its own reason. (Closing
        # orders reduce risk, so the order-rate limit does not hold back a long flatten.)
        for symbol in symbols:
            why = await self._close(symbol, quiet=True)
            if why:
                refused[symbol] = why
            else:
                sent += 1
        summary = f"Flatten all: {sent} closing order{'s' * (sent != 1)} sent."
        if refused:
            reasons = " ".join(f"{s}: {why}" for s, why in refused.items())
            self.notify(
                f"{summary} {len(refused)} refused. {reasons}", severity="error", timeout=15
            )
        else:
            self.notify(summary)
        self.post_message(self.Flattened(sent, refused))

    async def _close(self, symbol: str, *, quiet: bool = False) -> str:
        """Send the closing order for `symbol`; "" when it went, else why not (a sentence)."""
        order = await client_of(self).close_position(symbol)
        if order is None:
            return f"{symbol} is already flat."
        self.post_message(self.Closed(symbol, order))
        if order.status is OrderStatus.REJECTED:
            return sentence(order.reason or "no reason given")
        if not quiet:
            self.notify(f"Closing order sent: {describe_order(order)}.")
        return ""

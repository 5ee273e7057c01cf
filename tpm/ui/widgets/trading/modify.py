"""The modify dialog: new quantity and prices for a working order, checked before they go."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tpm.domain import Instrument, Order, OrderType
from tpm.ui.widgets.trading.draft import check_price, check_qty

__all__ = ["ModifyOrder", "OrderChange"]


@dataclass(frozen=True, slots=True)
class OrderChange:
    """New terms for a working order; None where a term stays as it is."""

    qty: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return self.qty is None and self.limit_price is None and self.stop_price is None


class ModifyOrder(ModalScreen[OrderChange | None]):
    """Asks for a new quantity and price(s) of `order`; Enter sends, Escape keeps it as it is.

    Answers an OrderChange holding only what differs from the order, or None when cancelled.
    """

    DEFAULT_CSS = """
    ModifyOrder { align: center middle; }
    ModifyOrder > Vertical {
        width: 64; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    ModifyOrder Label { width: 100%; }
    ModifyOrder Horizontal { height: auto; }
    ModifyOrder .modify--label { width: 14; padding-top: 1; color: $text-muted; }
    ModifyOrder Input { width: 1fr; }
    ModifyOrder .modify--error { color: $error; }
    ModifyOrder .modify--hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Keep the order as it is")]

    def __init__(self, order: Order, instrument: Instrument | None) -> None:
        super().__init__()
        self._order, self._inst = order, instrument

    def compose(self) -> ComposeResult:
        o = self._order
        with Vertical():
            yield Label(
                f"Modify: {o.side.value} {o.qty} {o.symbol} {o.type.value.replace('_', '-')}"
                f" ({o.filled_qty} filled)"
            )
            yield from self._field("qty", "Quantity", str(o.qty))
            if o.type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
                yield from self._field("limit", "Limit price", str(o.limit_price))
            if o.type in (OrderType.STOP, OrderType.STOP_LIMIT):
                yield from self._field("stop", "Stop price", str(o.stop_price))
            yield Label("", id="modify-error", classes="modify--error")
            yield Label("Enter send the change · Esc keep it as it is", classes="modify--hint")

    def _field(self, key: str, title: str, value: str) -> ComposeResult:
        with Horizontal():
            yield Label(title, classes="modify--label")
            yield Input(value, id=f"modify-{key}")

    def on_mount(self) -> None:
        # Most changes move the price, so the cursor starts there when the order has one.
        inputs = list(self.query(Input))
        inputs[1 if len(inputs) > 1 else 0].focus()

    def _value(self, key: str) -> str | None:
        found = self.query(f"#modify-{key}")
        return found.first(Input).value if found else None

    @on(Input.Submitted)
    def _submitted(self) -> None:
        o = self._order
        errors: list[str] = []
        qty = self._qty(errors)
        limit = stop = None
        if (text := self._value("limit")) is not None:
            limit, why = check_price(text, "limit price", self._inst)
            errors += [why] if why else []
        if (text := self._value("stop")) is not None:
            stop, why = check_price(text, "stop price", self._inst)
            errors += [why] if why else []
        if errors:
            self.query_one("#modify-error", Label).update(" ".join(errors))
            return
        self.dismiss(
            OrderChange(
                qty if qty != o.qty else None,
                limit if limit != o.limit_price else None,
                stop if stop != o.stop_price else None,
            )
        )

    def _qty(self, errors: list[str]) -> Decimal | None:
        text = (self._value("qty") or "").strip().replace(",", "")
        try:
            qty = Decimal(text)
        except InvalidOperation:
            qty = Decimal("NaN")
        if not qty.is_finite():
            errors.append("The quantity must be a number.")
            return None
        why = check_qty(qty, self._inst) if self._inst is not None else ""
        if not why and qty <= self._order.filled_qty:
            why = f"The quantity must be above the {self._order.filled_qty} already filled."
        if why:
            errors.append(why)
            return None
        return qty

    def action_cancel(self) -> None:
        self.dismiss(None)

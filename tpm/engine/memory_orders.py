"""An OrderStore kept in memory: a backtest's orders and fills live as long as its report."""

from __future__ import annotations

from tpm.domain import Fill, Notification, Order
from tpm.engine.protocols import AuditEntry

__all__ = ["MemoryOrders"]


class MemoryOrders:
    """Orders by client order id, fills de-duplicated by execution id, notes and audit rows in
    arrival order. Nothing outlives the process, which is what a backtest wants."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self._exec_ids: set[str] = set()
        self.notes: list[Notification] = []
        self.audit_rows: list[tuple[str, str, str, str]] = []

    async def save_order(self, order: Order, audit: AuditEntry | None = None) -> None:
        self.orders[order.client_order_id] = order
        if audit is not None:
            self.audit_rows.append(audit)

    async def save_fill(self, fill: Fill, order: Order | None) -> bool:
        if fill.exec_id in self._exec_ids:
            return False
        self._exec_ids.add(fill.exec_id)
        self.fills.append(fill)
        if order is not None:
            self.orders[order.client_order_id] = order
        return True

    async def load_orders(self, open_only: bool = False) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open or not open_only]

    async def load_order(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    async def load_fills(self) -> list[Fill]:
        return list(self.fills)

    def write_notification(self, notification: Notification) -> None:
        self.notes.append(notification)

    async def audit(self, actor: str, action: str, detail: str, origin: str = "local") -> None:
        self.audit_rows.append((actor, action, detail, origin))

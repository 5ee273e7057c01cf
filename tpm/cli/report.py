"""What the inspection commands print: tables for people, JSON for programs."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from tpm.domain import ZERO, Fill, Order, ns_to_iso, to_decimal
from tpm.engine.engine import Engine
from tpm.engine.portfolio import Portfolio, PositionView
from tpm.store.sql_store import SqlStore

__all__ = [
    "PortfolioView",
    "consistency_problems",
    "fills_json",
    "fills_table",
    "orders_json",
    "orders_table",
    "portfolio_json",
    "portfolio_table",
    "portfolio_view",
    "summary",
    "to_json",
    "with_store",
]

T = TypeVar("T")
_MARK = "\x00dec:"


def to_json(value: Any) -> str:
    """JSON where Decimals are written as exact number literals, not floats or strings."""

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{_MARK}{o}"
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    text = json.dumps(value, default=default, indent=2)
    return re.sub(r'"\\u0000dec:([^"]+)"', r"\1", text)


async def with_store(store: SqlStore, fn: Callable[[SqlStore], Awaitable[T]]) -> T:
    await store.open()
    try:
        return await fn(store)
    finally:
        await store.close()


def _order_dict(o: Order) -> dict[str, Any]:
    return {
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "tif": o.tif.value,
        "qty": o.qty,
        "limit_price": o.limit_price,
        "stop_price": o.stop_price,
        "status": o.status.value,
        "filled_qty": o.filled_qty,
        "avg_fill_price": o.avg_fill_price,
        "created": ns_to_iso(o.created_ns),
        "updated": ns_to_iso(o.updated_ns),
        "strategy": o.strategy,
        "source": o.source,
        "reason": o.reason,
    }


def orders_json(rows: list[Order]) -> str:
    return to_json([_order_dict(o) for o in rows])


def orders_table(rows: list[Order]) -> str:
    if not rows:
        return "no orders"
    lines = [
        f"{'created (UTC)':20} {'id':8} {'symbol':8} {'side':4} {'qty':>10} {'type':10} "
        f"{'status':16} {'filled':>10} {'avg price':>10}  reason"
    ]
    for o in rows:
        lines.append(
            f"{ns_to_iso(o.created_ns)[:19]:20} {o.client_order_id[:8]:8} {o.symbol:8} "
            f"{o.side.value:4} {o.qty:>10} {o.type.value:10} {o.status.value:16} "
            f"{o.filled_qty:>10} {_px(o.avg_fill_price):>10}  {o.reason}"
        )
    return "\n".join(lines)


def _fill_dict(f: Fill) -> dict[str, Any]:
    return {
        "exec_id": f.exec_id,
        "client_order_id": f.client_order_id,
        "symbol": f.symbol,
        "side": f.side.value,
        "qty": f.qty,
        "price": f.price,
        "commission": f.commission,
        "ts": ns_to_iso(f.ts_ns),
        "strategy": f.strategy,
    }


def fills_json(rows: list[Fill]) -> str:
    return to_json([_fill_dict(f) for f in rows])


def fills_table(rows: list[Fill]) -> str:
    if not rows:
        return "no fills"
    lines = [
        f"{'time (UTC)':20} {'symbol':8} {'side':4} {'qty':>10} {'price':>12} "
        f"{'commission':>10}  exec id"
    ]
    for f in rows:
        lines.append(
            f"{ns_to_iso(f.ts_ns)[:19]:20} {f.symbol:8} {f.side.value:4} {f.qty:>10} "
            f"{_px(f.price):>12} {_px(f.commission):>10}  {f.exec_id}"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PortfolioView:
    cash: Decimal
    equity: Decimal
    initial_cash: Decimal
    positions: list[PositionView]
    marks_as_of: dict[str, str]


async def portfolio_view(store: SqlStore) -> PortfolioView:
    cash = await store.get_state("account.initial_cash")
    p = Portfolio(to_decimal(cash) if cash else ZERO)
    p.rebuild(await store.load_fills())
    symbols = [s for s, pos in p.positions.items() if not pos.is_flat]
    marks = await store.latest_prices(symbols)
    for sym, (price, _) in marks.items():
        p.mark(sym, price)
    return PortfolioView(
        cash=p.cash,
        equity=p.equity,
        initial_cash=p.initial_cash,
        positions=p.views(),
        marks_as_of={s: ns_to_iso(ts) for s, (_, ts) in marks.items()},
    )


def portfolio_json(v: PortfolioView) -> str:
    return to_json(
        {
            "cash": v.cash,
            "equity": v.equity,
            "initial_cash": v.initial_cash,
            "positions": [
                {
                    "symbol": p.symbol,
                    "qty": p.qty,
                    "avg_price": p.avg_price,
                    "mark": p.mark,
                    "mark_as_of": v.marks_as_of.get(p.symbol),
                    "market_value": p.market_value,
                    "realised_pnl": p.realised_pnl,
                    "unrealised_pnl": p.unrealised_pnl,
                }
                for p in v.positions
            ],
        }
    )


def portfolio_table(v: PortfolioView) -> str:
    lines = [
        f"cash {_money(v.cash)}   equity {_money(v.equity)}   "
        f"P&L {_money(v.equity - v.initial_cash)} since start ({_money(v.initial_cash)})"
    ]
    if not v.positions:
        lines.append("no open positions")
        return "\n".join(lines)
    lines.append(
        f"{'symbol':8} {'qty':>10} {'avg price':>11} {'mark':>11} {'value':>13} "
        f"{'unrealised':>12} {'realised':>12}"
    )
    for p in v.positions:
        mark = "-" if p.mark is None else _px(p.mark)
        lines.append(
            f"{p.symbol:8} {p.qty:>10} {_px(p.avg_price):>11} {mark:>11} "
            f"{_money(p.market_value):>13} {_money(p.unrealised_pnl):>12} "
            f"{_money(p.realised_pnl):>12}"
        )
    return "\n".join(lines)


async def consistency_problems(store: SqlStore) -> list[str]:
    """Everything that would make the books wrong; empty when they are right."""
    problems = []
    integrity = await store.integrity_check()
    if integrity != "ok":
        problems.append(f"integrity check: {integrity}")
    fills = await store.load_fills()
    per_order: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in fills:
        per_order[f.client_order_id] += f.qty
    orders: dict[str, Order] = {o.client_order_id: o for o in await store.load_orders()}
    for coid, qty in per_order.items():
        o = orders.get(coid)
        if o is None:
            problems.append(f"fills of {qty} for order {coid}, which is not stored")
        elif o.filled_qty != qty:
            problems.append(f"order {coid} says {o.filled_qty} filled, its fills sum to {qty}")
    for o in orders.values():
        if o.filled_qty and o.client_order_id not in per_order:
            problems.append(
                f"order {o.client_order_id} says {o.filled_qty} filled, no fills stored"
            )
    return problems


def summary(engine: Engine, elapsed_s: float) -> str:
    orders = list(engine.oms.orders.values())
    by_status: dict[str, int] = defaultdict(int)
    for o in orders:
        by_status[o.status.value] += 1
    status = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none"
    p = engine.portfolio
    dropped = sum(v for k, v in engine.market.dropped.items() if ":" not in k)
    return (
        f"summary: ran {elapsed_s:.1f}s; {engine.market.accepted:,} market messages accepted, "
        f"{dropped:,} dropped; orders this run: {len(orders)} ({status}); "
        f"fills in the books: {p.fill_count}; open positions: {len(p.views())}; "
        f"cash {_money(p.cash)}; equity {_money(p.equity)}"
    )


def _px(value: Decimal) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".") if value else "0"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"

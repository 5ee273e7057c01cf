"""Conversions between domain values and table rows, and upserts that work on both backends."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from tpm.domain import (
    Bar,
    ClientOrderId,
    EquitySnapshot,
    Fill,
    Fundamentals,
    Instrument,
    NewsItem,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Timeframe,
    TimeInForce,
    dt_to_ns,
    ns_to_dt,
)
from tpm.domain.reference import FUNDAMENTAL_FIELDS

__all__ = [
    "bar_from_row",
    "equity_from_row",
    "fill_from_row",
    "fill_to_row",
    "fundamentals_to_row",
    "insert_ignore",
    "instrument_from_row",
    "instrument_to_row",
    "news_to_row",
    "order_from_row",
    "order_to_row",
    "upsert",
]


@functools.cache
def upsert(dialect: str, table: Table) -> Insert:
    """INSERT replacing the non-key columns of a row whose key exists; run it with the rows as
    parameters. Built once per table, so SQLAlchemy compiles it once."""
    keys = {c.name for c in table.primary_key.columns}
    cols = [c.name for c in table.columns if c.name not in keys]
    if dialect == "sqlite":
        s = sqlite.insert(table)
        return s.on_conflict_do_update(
            index_elements=sorted(keys), set_={c: s.excluded[c] for c in cols}
        )
    m = mysql.insert(table)
    return m.on_duplicate_key_update({c: m.inserted[c] for c in cols})


@functools.cache
def insert_ignore(dialect: str, table: Table) -> Insert:
    """INSERT that does nothing (rowcount 0) when the key exists; run it with the row."""
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return mysql.insert(table).prefix_with("IGNORE")


def instrument_to_row(i: Instrument) -> dict[str, Any]:
    return {
        "symbol": i.symbol,
        "name": i.name,
        "sector": i.sector,
        "asset_class": i.asset_class,
        "exchange": i.exchange,
        "currency": i.currency,
        "timezone": i.timezone,
        "session_open": i.session_open,
        "session_close": i.session_close,
        "tick_size": i.tick_size,
        "lot_size": i.lot_size,
        "min_qty": i.min_qty,
        "min_notional": i.min_notional,
        "is_tradable": i.is_tradable,
        "is_shortable": i.is_shortable,
    }


def instrument_from_row(r: Any) -> Instrument:
    return Instrument(
        symbol=r.symbol,
        name=r.name,
        sector=r.sector,
        asset_class=r.asset_class,
        exchange=r.exchange,
        currency=r.currency,
        timezone=r.timezone,
        session_open=r.session_open,
        session_close=r.session_close,
        tick_size=_norm(r.tick_size),
        lot_size=_norm(r.lot_size),
        min_qty=_norm(r.min_qty),
        min_notional=_norm(r.min_notional),
        is_tradable=bool(r.is_tradable),
        is_shortable=bool(r.is_shortable),
    )


def order_to_row(o: Order) -> dict[str, Any]:
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
        "created_ts": ns_to_dt(o.created_ns),
        "updated_ts": ns_to_dt(o.updated_ns or o.created_ns),
        "broker_order_id": o.broker_order_id,
        "strategy": o.strategy,
        "source": o.source,
        "reason": o.reason,
    }


def order_from_row(r: Any, exec_ids: frozenset[str] = frozenset()) -> Order:
    return Order(
        client_order_id=ClientOrderId(r.client_order_id),
        symbol=r.symbol,
        side=Side(r.side),
        qty=_norm(r.qty),
        type=OrderType(r.type),
        tif=TimeInForce(r.tif),
        limit_price=None if r.limit_price is None else _norm(r.limit_price),
        stop_price=None if r.stop_price is None else _norm(r.stop_price),
        status=OrderStatus(r.status),
        filled_qty=_norm(r.filled_qty),
        avg_fill_price=_norm(r.avg_fill_price),
        created_ns=dt_to_ns(r.created_ts),
        updated_ns=dt_to_ns(r.updated_ts),
        broker_order_id=r.broker_order_id,
        strategy=r.strategy,
        source=r.source,
        reason=r.reason,
        exec_ids=exec_ids,
    )


def fill_to_row(f: Fill) -> dict[str, Any]:
    return {
        "exec_id": f.exec_id,
        "client_order_id": f.client_order_id,
        "symbol": f.symbol,
        "side": f.side.value,
        "qty": f.qty,
        "price": f.price,
        "commission": f.commission,
        "ts": ns_to_dt(f.ts_ns),
        "strategy": f.strategy,
    }


def fill_from_row(r: Any) -> Fill:
    return Fill(
        exec_id=r.exec_id,
        client_order_id=ClientOrderId(r.client_order_id),
        symbol=r.symbol,
        side=Side(r.side),
        qty=_norm(r.qty),
        price=_norm(r.price),
        commission=_norm(r.commission),
        ts_ns=dt_to_ns(r.ts),
        strategy=r.strategy,
    )


def bar_from_row(r: Any) -> Bar:
    return Bar(
        symbol=r.symbol,
        timeframe=Timeframe(r.timeframe),
        start_ns=dt_to_ns(r.start_ts),
        open=r.open,
        high=r.high,
        low=r.low,
        close=r.close,
        volume=r.volume,
    )


def equity_from_row(r: Any) -> EquitySnapshot:
    return EquitySnapshot(
        ts_ns=dt_to_ns(r.ts),
        cash=_norm(r.cash),
        equity=_norm(r.equity),
        gross_exposure=_norm(r.gross_exposure),
        net_exposure=_norm(r.net_exposure),
    )


def fundamentals_to_row(f: Fundamentals) -> dict[str, Any]:
    row: dict[str, Any] = {"symbol": f.symbol, "as_of": ns_to_dt(f.as_of_ns), "source": f.source}
    for name in FUNDAMENTAL_FIELDS:
        row[name] = getattr(f, name)
    return row


def news_to_row(n: NewsItem) -> dict[str, Any]:
    return {
        "id": n.id,
        "symbol": n.symbol,
        "ts": ns_to_dt(n.ts_ns),
        "headline": n.headline,
        "source": n.source,
        "url": n.url,
        "score": n.score,
    }


def _norm(value: Decimal) -> Decimal:
    """Drop the trailing zeros a DECIMAL(38,12) column adds, so 100 reads back as 100."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()

"""Initial schema: instruments, market data, orders, fills, equity, scores, news,
fundamentals, notifications, audit log and engine state.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tpm.store.types


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=128), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_ts"), ["ts"], unique=False)

    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("start_ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("open", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=False),
        sa.Column("close", sa.Double(), nullable=False),
        sa.Column("volume", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "start_ts"),
    )
    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "equity_snapshots",
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("cash", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("equity", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("gross_exposure", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("net_exposure", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.PrimaryKeyConstraint("ts"),
    )
    op.create_table(
        "fills",
        sa.Column("exec_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("price", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("commission", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("exec_id"),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fills_client_order_id"), ["client_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fills_symbol"), ["symbol"], unique=False)
        batch_op.create_index(batch_op.f("ix_fills_ts"), ["ts"], unique=False)

    op.create_table(
        "fundamentals",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("as_of", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("market_cap", sa.Double(), nullable=True),
        sa.Column("pe", sa.Double(), nullable=True),
        sa.Column("pb", sa.Double(), nullable=True),
        sa.Column("ps", sa.Double(), nullable=True),
        sa.Column("ev_ebitda", sa.Double(), nullable=True),
        sa.Column("roe", sa.Double(), nullable=True),
        sa.Column("gross_margin", sa.Double(), nullable=True),
        sa.Column("operating_margin", sa.Double(), nullable=True),
        sa.Column("net_margin", sa.Double(), nullable=True),
        sa.Column("revenue_growth", sa.Double(), nullable=True),
        sa.Column("eps_growth", sa.Double(), nullable=True),
        sa.Column("debt_to_equity", sa.Double(), nullable=True),
        sa.Column("current_ratio", sa.Double(), nullable=True),
        sa.Column("dividend_yield", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", "as_of", "source"),
    )
    op.create_table(
        "instruments",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("asset_class", sa.String(length=32), nullable=False),
        sa.Column("exchange", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("session_open", sa.String(length=5), nullable=False),
        sa.Column("session_close", sa.String(length=5), nullable=False),
        sa.Column("tick_size", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("lot_size", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("min_qty", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("min_notional", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("is_tradable", sa.Boolean(), nullable=False),
        sa.Column("is_shortable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("symbol"),
    )
    op.create_table(
        "news",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("news", schema=None) as batch_op:
        batch_op.create_index("ix_news_symbol_ts", ["symbol", "ts"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_ts"), ["ts"], unique=False)

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("tif", sa.String(length=8), nullable=False),
        sa.Column("qty", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("limit_price", tpm.store.types.Money(precision=38, scale=12), nullable=True),
        sa.Column("stop_price", tpm.store.types.Money(precision=38, scale=12), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled_qty", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("avg_fill_price", tpm.store.types.Money(precision=38, scale=12), nullable=False),
        sa.Column("created_ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_created_ts"), ["created_ts"], unique=False)
        batch_op.create_index("ix_orders_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_symbol"), ["symbol"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("bid", sa.Double(), nullable=False),
        sa.Column("ask", sa.Double(), nullable=False),
        sa.Column("bid_size", sa.Double(), nullable=False),
        sa.Column("ask_size", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_symbol_ts", ["symbol", "ts"], unique=False)

    op.create_table(
        "scores",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("ts", tpm.store.types.UTCDateTime(), nullable=False),
        sa.Column("technical", sa.Double(), nullable=True),
        sa.Column("fundamental", sa.Double(), nullable=True),
        sa.Column("sentiment", sa.Double(), nullable=True),
        sa.Column("composite", sa.Double(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "ts"),
    )


def downgrade() -> None:
    op.drop_table("scores")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_symbol_ts")

    op.drop_table("quotes")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_symbol"))
        batch_op.drop_index("ix_orders_status")
        batch_op.drop_index(batch_op.f("ix_orders_created_ts"))

    op.drop_table("orders")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_ts"))

    op.drop_table("notifications")
    with op.batch_alter_table("news", schema=None) as batch_op:
        batch_op.drop_index("ix_news_symbol_ts")

    op.drop_table("news")
    op.drop_table("instruments")
    op.drop_table("fundamentals")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_ts"))
        batch_op.drop_index(batch_op.f("ix_fills_symbol"))
        batch_op.drop_index(batch_op.f("ix_fills_client_order_id"))

    op.drop_table("fills")
    op.drop_table("equity_snapshots")
    op.drop_table("engine_state")
    op.drop_table("bars")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_ts"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")

"""The database schema as SQLModel tables. Alembic migrations in migrations/ create them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Double, Index, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

from tpm.store.types import Money, UTCDateTime

__all__ = [
    "AUDIT",
    "BARS",
    "COMMANDS",
    "ENGINE_STATE",
    "EQUITY",
    "FILLS",
    "FUNDAMENTALS",
    "INSTRUMENTS",
    "NEWS",
    "NOTIFICATIONS",
    "ORDERS",
    "QUOTES",
    "SCORES",
    "USERS",
    "AuditRow",
    "BarRow",
    "CommandRow",
    "EngineStateRow",
    "EquityRow",
    "FillRow",
    "FundamentalsRow",
    "InstrumentRow",
    "NewsRow",
    "NotificationRow",
    "OrderRow",
    "QuoteRow",
    "ScoreRow",
    "UserRow",
]


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_BIGINT_AUTO = BigInteger().with_variant(Integer, "sqlite")


def _money(*, nullable: bool = False, default: Decimal | None = None) -> Decimal:
    return Field(default=default, sa_type=Money, nullable=nullable)  # type: ignore[no-any-return]


def _ts(*, primary_key: bool = False, index: bool = False) -> datetime:
    return Field(  # type: ignore[no-any-return]
        sa_type=UTCDateTime, nullable=False, primary_key=primary_key, index=index
    )


def _text(length: int, **kw: object) -> str:
    return Field(sa_type=String(length), **kw)  # type: ignore[no-any-return,call-overload]


def _float() -> float:
    return Field(sa_type=Double, nullable=False)  # type: ignore[no-any-return]


def _opt_float() -> float | None:
    return Field(default=None, sa_type=Double, nullable=True)  # type: ignore[no-any-return]


class InstrumentRow(SQLModel, table=True):
    __tablename__ = "instruments"

    symbol: str = _text(32, primary_key=True)
    name: str = _text(128, default="")
    sector: str = _text(64, default="")
    asset_class: str = _text(32, default="equity")
    exchange: str = _text(32, default="")
    currency: str = _text(8, default="USD")
    timezone: str = _text(64, default="UTC")
    session_open: str = _text(5, default="00:00")
    session_close: str = _text(5, default="00:00")
    tick_size: Decimal = _money()
    lot_size: Decimal = _money()
    min_qty: Decimal = _money()
    min_notional: Decimal = _money()
    is_tradable: bool = True
    is_shortable: bool = True


class BarRow(SQLModel, table=True):
    __tablename__ = "bars"

    symbol: str = _text(32, primary_key=True)
    timeframe: str = _text(4, primary_key=True)
    start_ts: datetime = _ts(primary_key=True)
    open: float = _float()
    high: float = _float()
    low: float = _float()
    close: float = _float()
    volume: float = _float()


class QuoteRow(SQLModel, table=True):
    __tablename__ = "quotes"
    __table_args__ = (Index("ix_quotes_symbol_ts", "symbol", "ts"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    symbol: str = _text(32)
    ts: datetime = _ts()
    bid: float = _float()
    ask: float = _float()
    bid_size: float = _float()
    ask_size: float = _float()


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status", "status"),)

    client_order_id: str = _text(64, primary_key=True)
    symbol: str = _text(32, index=True)
    side: str = _text(4)
    type: str = _text(16)
    tif: str = _text(8)
    qty: Decimal = _money()
    limit_price: Decimal | None = _money(nullable=True)
    stop_price: Decimal | None = _money(nullable=True)
    status: str = _text(20)
    filled_qty: Decimal = _money()
    avg_fill_price: Decimal = _money()
    created_ts: datetime = _ts(index=True)
    updated_ts: datetime = _ts()
    broker_order_id: str = _text(64, default="")
    strategy: str = _text(64, default="")
    source: str = _text(32, default="manual")
    reason: str = Field(default="", sa_type=Text)


class FillRow(SQLModel, table=True):
    __tablename__ = "fills"

    exec_id: str = _text(64, primary_key=True)
    client_order_id: str = _text(64, index=True)
    symbol: str = _text(32, index=True)
    side: str = _text(4)
    qty: Decimal = _money()
    price: Decimal = _money()
    commission: Decimal = _money()
    ts: datetime = _ts(index=True)
    strategy: str = _text(64, default="")


class EquityRow(SQLModel, table=True):
    __tablename__ = "equity_snapshots"

    ts: datetime = _ts(primary_key=True)
    cash: Decimal = _money()
    equity: Decimal = _money()
    gross_exposure: Decimal = _money()
    net_exposure: Decimal = _money()


class ScoreRow(SQLModel, table=True):
    __tablename__ = "scores"

    symbol: str = _text(32, primary_key=True)
    ts: datetime = _ts(primary_key=True)
    technical: float | None = _opt_float()
    fundamental: float | None = _opt_float()
    sentiment: float | None = _opt_float()
    composite: float | None = _opt_float()
    rating: str = _text(16, default="")
    drivers: str = Field(default="", sa_type=Text)
    """The composite's drivers, one per line, strongest first."""


class NewsRow(SQLModel, table=True):
    __tablename__ = "news"
    __table_args__ = (Index("ix_news_symbol_ts", "symbol", "ts"),)

    id: str = _text(64, primary_key=True)
    symbol: str = _text(32)
    ts: datetime = _ts()
    headline: str = Field(sa_type=Text)
    source: str = _text(64, default="")
    url: str = Field(default="", sa_type=Text)
    score: float | None = _opt_float()


class FundamentalsRow(SQLModel, table=True):
    __tablename__ = "fundamentals"

    symbol: str = _text(32, primary_key=True)
    as_of: datetime = _ts(primary_key=True)
    source: str = _text(32, primary_key=True)
    market_cap: float | None = _opt_float()
    pe: float | None = _opt_float()
    pb: float | None = _opt_float()
    ps: float | None = _opt_float()
    ev_ebitda: float | None = _opt_float()
    roe: float | None = _opt_float()
    gross_margin: float | None = _opt_float()
    operating_margin: float | None = _opt_float()
    net_margin: float | None = _opt_float()
    revenue_growth: float | None = _opt_float()
    eps_growth: float | None = _opt_float()
    debt_to_equity: float | None = _opt_float()
    current_ratio: float | None = _opt_float()
    dividend_yield: float | None = _opt_float()


class NotificationRow(SQLModel, table=True):
    __tablename__ = "notifications"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    ts: datetime = _ts(index=True)
    severity: str = _text(8)
    kind: str = _text(32, default="info")
    title: str = _text(128)
    message: str = Field(sa_type=Text)


class AuditRow(SQLModel, table=True):
    """Append-only; each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_log"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    ts: datetime = _ts(index=True)
    actor: str = _text(64)
    action: str = _text(64, index=True)
    detail: str = Field(sa_type=Text)
    origin: str = _text(128, default="local")
    prev_hash: str = _text(64)
    hash: str = _text(64)


class EngineStateRow(SQLModel, table=True):
    """Small durable facts about the engine: trading state and its reason, start-of-day equity."""

    __tablename__ = "engine_state"

    key: str = _text(64, primary_key=True)
    value: str = Field(sa_type=Text)
    updated_ts: datetime = _ts()


class UserRow(SQLModel, table=True):
    """A login: its role, argon2id hash, TOTP secret and lockout tallies (see tpm.security)."""

    __tablename__ = "users"

    name: str = _text(64, primary_key=True)
    role: str = _text(16)
    password_hash: str = Field(sa_type=Text)
    created_ts: datetime = _ts()
    totp_secret: str = _text(64, default="")
    totp_enabled: bool = Field(default=False)
    totp_last_step: int = Field(default=-1, sa_type=BigInteger)
    recovery_hashes: str = Field(default="[]", sa_type=Text)
    """A JSON list of the unused recovery codes' hashes."""
    failures: str = Field(default="[]", sa_type=Text)
    """A JSON list of the times (ns) of the failed logins since the last success."""


class CommandRow(SQLModel, table=True):
    """A request to the running engine from another process (tpm halt, tpm order, ...)."""

    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_status", "status"),)

    id: int | None = Field(default=None, sa_column=Column(_BIGINT_AUTO, primary_key=True))
    ts: datetime = _ts()
    actor: str = _text(64)
    action: str = _text(32)
    payload: str = Field(default="{}", sa_type=Text)
    status: str = _text(16, default="pending")
    result: str = Field(default="", sa_type=Text)
    done_ts: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


INSTRUMENTS = _table(InstrumentRow)
BARS = _table(BarRow)
QUOTES = _table(QuoteRow)
ORDERS = _table(OrderRow)
FILLS = _table(FillRow)
EQUITY = _table(EquityRow)
SCORES = _table(ScoreRow)
NEWS = _table(NewsRow)
FUNDAMENTALS = _table(FundamentalsRow)
NOTIFICATIONS = _table(NotificationRow)
AUDIT = _table(AuditRow)
ENGINE_STATE = _table(EngineStateRow)
COMMANDS = _table(CommandRow)
USERS = _table(UserRow)

"""Conversions between nanosecond epoch integers and timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["NS_PER_S", "dt_to_ns", "ns_to_dt", "ns_to_iso"]

NS_PER_S = 1_000_000_000


def ns_to_dt(ts_ns: int) -> datetime:
    """A timezone-aware UTC datetime (microsecond precision) for `ts_ns`."""
    seconds, rest = divmod(ts_ns, NS_PER_S)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest // 1000)


def dt_to_ns(dt: datetime) -> int:
    """Nanoseconds since the epoch; a naive datetime is taken to be UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def ns_to_iso(ts_ns: int) -> str:
    return ns_to_dt(ts_ns).isoformat().replace("+00:00", "Z")

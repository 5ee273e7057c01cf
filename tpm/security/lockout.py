"""How long a login must wait after failed attempts: free for five, then doubling from one
second to fifteen minutes, and never more than 100 failures an hour whatever the clock says."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FREE_FAILURES", "KEEP", "MAX_DELAY_S", "MAX_PER_HOUR", "failed", "wait_s"]

FREE_FAILURES = 5
MAX_PER_HOUR = 100
MAX_DELAY_S = 15 * 60
KEEP = MAX_PER_HOUR  # failure times kept per account: enough for both rules
_HOUR_NS = 3600 * 1_000_000_000
_NS = 1_000_000_000


def wait_s(failures: Sequence[int], now_ns: int) -> float:
    """Seconds before the next attempt may be checked, given the times (ns, oldest first) of
    the failures since the last success; 0 when it may be checked now."""
    if not failures:
        return 0.0
    in_hour = [t for t in failures if t > now_ns - _HOUR_NS]
    if len(in_hour) >= MAX_PER_HOUR:  # until the oldest of them is an hour old
        return (in_hour[-MAX_PER_HOUR] + _HOUR_NS - now_ns) / _NS
    n = len(failures)
    if n < FREE_FAILURES:
        return 0.0
    delay_ns = min(1 << min(n - FREE_FAILURES, 30), MAX_DELAY_S) * _NS
    return max(0.0, (failures[-1] + delay_ns - now_ns) / _NS)


def failed(failures: Sequence[int], now_ns: int) -> tuple[int, ...]:
    """The failure times after one more failure now (the latest `KEEP` of them)."""
    return (*failures, now_ns)[-KEEP:]

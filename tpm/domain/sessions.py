"""Trading days in an instrument's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SessionCalendar"]

_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS


class SessionCalendar:
    """Maps instants to local trading days for one time zone, caching the current day."""

    def __init__(self, timezone: str) -> None:
        self._tz = ZoneInfo(timezone)
        self._lo = 0
        self._hi = 0
        self._label = 0
        self._closes: dict[str, tuple[int, int]] = {}

    def day_bucket(self, ts_ns: int) -> tuple[int, int]:
        """(label, end): the local date as 00:00 UTC in ns, and when that local day ends.

        Daily bars are labelled by their local date at 00:00 UTC, as daily CSV exports are, so
        a bar built from ticks and one imported from a file land on the same key.
        """
        if self._lo <= ts_ns < self._hi:
            return self._label, self._hi
        local = datetime.fromtimestamp(ts_ns / _NS, tz=self._tz)
        day = local.date()
        start = datetime(day.year, day.month, day.day, tzinfo=self._tz)
        end = start + timedelta(days=1)
        self._lo = int(start.timestamp()) * _NS
        self._hi = int(end.astimezone(UTC).timestamp()) * _NS
        self._label = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * _NS
        return self._label, self._hi

    def session_end_ns(self, ts_ns: int, session_open: str, session_close: str) -> int:
        """When the session trading at (or next after) `ts_ns` closes.

        Equal open and close mean a market that never closes: the session is the local day.
        Weekends are skipped; exchange holidays are not known here.
        """
        if session_open == session_close:
            return self.day_bucket(ts_ns)[1]
        # The answer is the first close after ts_ns: the same for every instant from one
        # already asked about up to that close (orders arrive in time order).
        seen = self._closes.get(session_close)
        if seen is not None and seen[0] <= ts_ns < seen[1]:
            return seen[1]
        end = self._next_close(ts_ns, session_close)
        self._closes[session_close] = (ts_ns, end)
        return end

    def _next_close(self, ts_ns: int, session_close: str) -> int:
        hour, minute = (int(x) for x in session_close.split(":"))
        local = datetime.fromtimestamp(ts_ns / _NS, tz=self._tz)
        close = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if local >= close:
            close += timedelta(days=1)
        while close.weekday() >= 5:
            close += timedelta(days=1)
        # Rebuild from the date so a daylight-saving change in between is applied correctly.
        close = datetime(close.year, close.month, close.day, hour, minute, tzinfo=self._tz)
        return int(close.timestamp()) * _NS

    def local_date_ns(self, ts_ns: int) -> int:
        return self.day_bucket(ts_ns)[0]

    @staticmethod
    def day_ns() -> int:
        return _DAY_NS

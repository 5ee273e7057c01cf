"""Replay bar files as a market feed, merged in time order and paced at a multiple of real time.

`ReplayFeed` implements the engine's `MarketFeed` structurally. Each file holds one symbol; the
first `warmup_bars` of each are served by `history()` instead of being streamed, so indicators
can warm up before the first streamed bar. At speed 0 (or infinity) bars come as fast as the
consumer takes them, in batches; at speed s the wait between two bar times dt apart is dt / s,
never more than `max_sleep_s`, so overnight and weekend gaps don't look like a hung feed.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import os
import re
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

from tpm.adapters.feeds.csvbars import BarFile, read_bars
from tpm.domain import Bar, Instrument, Timeframe
from tpm.errors import DataError

__all__ = [
    "BATCH_SIZE",
    "MAX_SLEEP_S",
    "ReplayFeed",
    "ReplaySource",
    "asset_class_of",
    "instrument_for",
]

BATCH_SIZE = 1000
MAX_SLEEP_S = 2.0

PathLike = str | os.PathLike[str]
ReplaySource = BarFile | tuple[PathLike, str | None] | PathLike
"""A parsed file, a (path, symbol) pair, or a path; a symbol of None is detected."""

_CRYPTO_BASES = frozenset(
    {"BTC", "XBT", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "BNB", "DOT", "AVAX", "LINK"}
    | {"MATIC", "TRX", "BCH", "XLM", "ATOM", "UNI", "ETC", "SHIB", "TON", "NEAR", "APT", "ARB"}
)
_STABLECOINS = ("USDT", "USDC", "BUSD", "FDUSD", "DAI")
_CRYPTO_QUOTES = frozenset({"USD", "EUR", "GBP", "JPY", "BTC", "ETH", *_STABLECOINS})
_QUOTES_LONGEST_FIRST = sorted(_CRYPTO_QUOTES, key=len, reverse=True)
_FIAT = frozenset(
    {"USD", "EUR", "JPY", "GBP", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK", "HKD"}
    | {"SGD", "MXN", "ZAR", "TRY", "CNH", "PLN", "HUF", "CZK"}
)


def asset_class_of(symbol: str) -> str:
    """Guess "crypto", "fx" or "equity" from how a symbol is spelled (BTCUSD, EURUSD, AAPL)."""
    s = re.sub(r"[-/_:. ]", "", symbol.upper())
    if s in ("BTC", "XBT", "ETH") or s.endswith(_STABLECOINS):
        return "crypto"
    for size in (3, 4, 5):
        if s[:size] in _CRYPTO_BASES and s[size:] in _CRYPTO_QUOTES:
            return "crypto"
    if len(s) == 6 and s[:3] in _FIAT and s[3:] in _FIAT and s[:3] != s[3:]:
        return "fx"
    return "equity"


class ReplayFeed:
    """A `MarketFeed` that plays closed bars from files, oldest first, across all its symbols.

    Bars are merged by the time they close (`end_ns`), so a daily bar never arrives before the
    minutes it summarises. `subscribe` narrows the symbols streamed (all of them until it is
    called); unknown symbols are ignored. The stream ends when the data runs out or on
    `close()`; a later `connect()` and `stream()` carry on where it stopped.
    """

    name: str = "replay"

    def __init__(
        self,
        files: Sequence[ReplaySource],
        speed: float = 0.0,
        *,
        warmup_bars: int = 0,
        timezone: str = "America/New_York",
        max_sleep_s: float = MAX_SLEEP_S,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """Replay `files` at `speed` times real time (0 or inf: as fast as possible).

        Args:
            timezone: the session time zone of instruments that are not crypto or FX.
        """
        if isinstance(files, str | os.PathLike):
            raise TypeError("ReplayFeed takes a sequence of files, not one path")
        if math.isnan(speed) or speed < 0:
            raise ValueError(f"replay speed must be 0 or more, not {speed}")
        if warmup_bars < 0 or batch_size < 1 or max_sleep_s < 0:
            raise ValueError("warmup_bars and max_sleep_s must be >= 0, batch_size >= 1")
        self._sources = list(files)
        self._speed = speed
        self._warmup = warmup_bars
        self._timezone = timezone
        self._max_sleep_s = max_sleep_s
        self._batch_size = batch_size
        self._files: dict[str, BarFile] | None = None
        self._timeline: list[Bar] = []  # every streamed bar of every file, in close order
        self._pos = 0  # index of the next bar of `_timeline` to stream
        self._played: dict[str, int] = {}
        self._subscribed: set[str] | None = None
        self._closed = asyncio.Event()

    @property
    def speed(self) -> float:
        return self._speed

    def instruments(self) -> Sequence[Instrument]:
        """One instrument per file, on exchange "REPLAY"."""
        return [self._instrument(symbol) for symbol in self._load()]

    async def connect(self) -> None:
        """Read the files (in a thread, they may be large) and reopen a closed feed."""
        if self._files is None:
            await asyncio.to_thread(self._load)
        self._closed.clear()

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Add these symbols to those streamed; symbols without a file are ignored."""
        if self._files is None:
            await self.connect()
        known = self._load()
        wanted = {s for s in symbols if s in known}
        self._subscribed = wanted if self._subscribed is None else self._subscribed | wanted

    async def stream(self) -> AsyncIterator[list[Bar]]:
        """Batches of closed bars in time order until the data runs out or the feed closes."""
        if self._files is None:
            await self.connect()
        fast = self._speed == 0 or math.isinf(self._speed)
        batches = self._stream_fast() if fast else self._stream_paced()
        async for batch in batches:
            for bar in batch:
                self._played[bar.symbol] = self._played.get(bar.symbol, 0) + 1
            yield batch

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        """The last `limit` bars known so far: the warm-up bars plus those already streamed."""
        if self._files is None:
            await self.connect()
        file = self._load().get(symbol)
        if file is None or file.timeframe != timeframe or limit <= 0:
            return []
        known = min(self._warmup + self._played.get(symbol, 0), len(file.bars))
        return file.bars[max(0, known - limit) : known]

    async def close(self) -> None:
        """End the stream, interrupting a pacing wait."""
        self._closed.set()

    async def _stream_fast(self) -> AsyncIterator[list[Bar]]:
        timeline = self._timeline
        while self._pos < len(timeline) and not self._closed.is_set():
            start = self._pos
            self._pos = min(start + self._batch_size, len(timeline))
            batch = timeline[start : self._pos]
            wanted = self._subscribed
            if wanted is not None:
                batch = [bar for bar in batch if bar.symbol in wanted]
            if batch:
                yield batch
            await asyncio.sleep(0)  # let the rest of the engine run between batches

    async def _stream_paced(self) -> AsyncIterator[list[Bar]]:
        timeline, last_ns = self._timeline, None
        while self._pos < len(timeline) and not self._closed.is_set():
            end_ns = timeline[self._pos].end_ns
            stop = self._pos + 1
            while stop < len(timeline) and timeline[stop].end_ns == end_ns:
                stop += 1
            wanted = self._subscribed
            batch = [b for b in timeline[self._pos : stop] if wanted is None or b.symbol in wanted]
            if not batch:  # skipped bars still count as time passing: keep `last_ns`
                self._pos = stop
                continue
            if last_ns is not None:
                delay_s = min((end_ns - last_ns) / 1e9 / self._speed, self._max_sleep_s)
                if delay_s > 0 and await self._closed_within(delay_s):
                    return
            self._pos, last_ns = stop, end_ns
            yield batch

    async def _closed_within(self, delay_s: float) -> bool:
        """Wait `delay_s` seconds; True if the feed was closed meanwhile."""
        try:
            await asyncio.wait_for(self._closed.wait(), timeout=delay_s)
        except TimeoutError:
            return False
        return True

    def _load(self) -> dict[str, BarFile]:
        if self._files is not None:
            return self._files
        files: dict[str, BarFile] = {}
        for source in self._sources:
            file = _open(source)
            if file.symbol in files:
                paths = ", ".join(f.path or "(in memory)" for f in (files[file.symbol], file))
                raise DataError(
                    f"replay: two files both hold {file.symbol} ({paths}); "
                    "give each symbol one file"
                )
            files[file.symbol] = file
        streams = [f.bars[self._warmup :] for f in files.values()]
        self._timeline = list(heapq.merge(*streams, key=_end_ns))
        self._files = files
        return files

    def _instrument(self, symbol: str) -> Instrument:
        return instrument_for(symbol, self._timezone)


def instrument_for(symbol: str, timezone: str = "America/New_York") -> Instrument:
    """The instrument a bar file of `symbol` stands for: crypto trades around the clock, FX
    on weekdays, anything else in the session of an exchange in `timezone`."""
    kind = asset_class_of(symbol)
    if kind == "crypto":
        quote = next((q for q in _QUOTES_LONGEST_FIRST if symbol.upper().endswith(q)), "USD")
        return Instrument(
            symbol,
            name=symbol,
            asset_class="crypto",
            exchange="REPLAY",
            currency=quote,
            timezone="UTC",
            session_open="00:00",
            session_close="00:00",
            lot_size=Decimal("0.00001"),
            min_qty=Decimal("0.00001"),
        )
    if kind == "fx":
        # FX trades around the clock on weekdays; its day rolls at 17:00 New York.
        return Instrument(
            symbol,
            name=symbol,
            asset_class="fx",
            exchange="REPLAY",
            currency=symbol[-3:].upper(),
            timezone="America/New_York",
            session_open="17:00",
            session_close="17:00",
            tick_size=Decimal("0.00001"),
        )
    return Instrument(symbol, name=symbol, exchange="REPLAY", timezone=timezone)


def _open(source: ReplaySource) -> BarFile:
    if isinstance(source, BarFile):
        return source
    if isinstance(source, tuple):
        path, symbol = source
        return read_bars(path, symbol=symbol)
    return read_bars(source)


def _end_ns(bar: Bar) -> int:
    return bar.end_ns

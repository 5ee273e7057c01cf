"""The simulated news wire: headlines whose tone follows each name's drift, and jump stories.

Headlines arrive as a Poisson stream across the universe (one every `mean_interval_s` on
average). A routine headline is neutral three times in ten; otherwise it is positive with a
probability that rises with the symbol's drift, so a name the simulator makes grow reads mostly
good news. Every jump of 3% or more gets a story a few minutes later. `recent()` backdates the same
process so a fresh install has news from the first second.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import AsyncIterator
from typing import Protocol

import numpy as np

from tpm.adapters.feeds.sim_headlines import DRAWS_PER_HEADLINE, compose, compose_jump
from tpm.adapters.feeds.sim_model import Jump
from tpm.adapters.feeds.sim_universe import SymbolSpec
from tpm.domain import NewsItem

__all__ = ["SimulatedNews"]

NS_PER_S = 1_000_000_000
_STREAM_NEWS_HISTORY, _STREAM_NEWS_LIVE, _STREAM_JUMP_STORIES = 6, 7, 8
_NEUTRAL_SHARE = 0.3
_TONE_PER_DRIFT = 1.5  # a 20% annual drift makes four stories in five good news
_STORY_JUMP = 0.03
_STORY_DELAY_S = (60.0, 900.0)
_BATCH_ITEMS = 50
_POLL_S = 0.5
_SOURCES = ("SimWire", "Sim Business Daily", "The Simulated Street Journal", "SimMarkets Newsroom")


class _Market(Protocol):
    """What the news wire needs of the market it reports on."""

    @property
    def seed(self) -> int: ...

    @property
    def realtime(self) -> bool: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def specs(self) -> tuple[SymbolSpec, ...]: ...

    @property
    def jumps(self) -> tuple[Jump, ...]: ...


def _item(spec: SymbolSpec, ts_ns: int, headline: str, source_u: float) -> NewsItem:
    digest = hashlib.sha1(f"{spec.symbol}|{ts_ns}|{headline}".encode(), usedforsecurity=False)
    source = _SOURCES[min(int(source_u * len(_SOURCES)), len(_SOURCES) - 1)]
    return NewsItem(digest.hexdigest()[:20], spec.symbol, ts_ns, headline, source)


class SimulatedNews:
    """A `NewsSource` reporting on a `SimulatedMarket`; same seed, same stories.

    Pacing follows the market: wall-clock time in realtime mode, otherwise as fast as consumed.
    Scores are left to the sentiment scorer.
    """

    name = "sim"

    def __init__(
        self, market: _Market, *, mean_interval_s: float = 15.0, history_hours: float = 48.0
    ) -> None:
        if mean_interval_s <= 0 or history_hours < 0:
            raise ValueError("mean_interval_s must be positive and history_hours not negative.")
        self._market = market
        self.mean_interval_s = mean_interval_s
        self.history_hours = history_hours
        specs = market.specs
        self._specs = specs
        drift = np.array([s.drift for s in specs])
        non_neutral = 1 - _NEUTRAL_SHARE
        p_positive = np.clip(0.5 + _TONE_PER_DRIFT * drift, 0.15, 0.85) * non_neutral
        self._p_positive = p_positive
        self._p_not_negative = p_positive + _NEUTRAL_SHARE
        # Bigger companies make more news, but not proportionally more.
        weight = np.array([max(s.cap_bn, 20.0) for s in specs]) ** 0.3
        self._cum_weight = np.cumsum(weight / weight.sum())
        self._index = {s.symbol: i for i, s in enumerate(specs)}
        self._recent: list[NewsItem] | None = None
        self._closed = asyncio.Event()

    async def recent(self, limit: int = 200) -> list[NewsItem]:
        """Up to `limit` headlines published before the sim start, oldest first.

        Routine news covers the last `history_hours`; stories on jumps reach back through the
        whole price history.
        """
        if self._recent is None:
            self._recent = self._backdate()
        return self._recent[-limit:] if limit > 0 else []

    async def close(self) -> None:
        self._closed.set()

    async def headlines(self) -> AsyncIterator[list[NewsItem]]:
        """Batches of new headlines from the sim start on, until `close()`."""
        self._closed.clear()
        market = self._market
        rng = np.random.default_rng((market.seed, _STREAM_NEWS_LIVE))
        clock = market.start_ns
        seen_jumps = 0
        stories: list[NewsItem] = []
        pending: list[NewsItem] = []
        next_ts = clock + self._gap_ns(rng)
        while not self._closed.is_set():
            jumps = market.jumps
            new = (self._story(j) for j in jumps[seen_jumps:])
            # Stories published before the start are in recent() already.
            stories += [s for s in new if s is not None and s.ts_ns >= market.start_ns]
            seen_jumps = len(jumps)
            now = time.time_ns() if market.realtime else next_ts
            while next_ts <= now:
                pending.append(self._routine(rng, next_ts))
                next_ts += self._gap_ns(rng)
            due = [s for s in stories if s.ts_ns <= now]
            stories = [s for s in stories if s.ts_ns > now]
            pending = sorted(pending + due, key=lambda n: n.ts_ns)
            if market.realtime:
                if pending:
                    yield pending
                    pending = []
                wake = min([next_ts, *(s.ts_ns for s in stories)])
                await self._wait(min(max((wake - time.time_ns()) / NS_PER_S, 0.0), _POLL_S))
            elif len(pending) >= _BATCH_ITEMS:
                yield pending
                pending = []
                await asyncio.sleep(0)

    # -- internals ---------------------------------------------------------------------------

    def _gap_ns(self, rng: np.random.Generator) -> int:
        return max(int(rng.exponential(self.mean_interval_s) * NS_PER_S), 1)

    def _choose(self, u_symbol: float, u_tone: float) -> tuple[SymbolSpec, int]:
        i = min(int(np.searchsorted(self._cum_weight, u_symbol)), len(self._specs) - 1)
        if u_tone < self._p_positive[i]:
            tone = 1
        elif u_tone < self._p_not_negative[i]:
            tone = 0
        else:
            tone = -1
        return self._specs[i], tone

    def _routine(self, rng: np.random.Generator, ts_ns: int) -> NewsItem:
        u = rng.random(DRAWS_PER_HEADLINE + 3).tolist()
        spec, tone = self._choose(u[0], u[1])
        return _item(spec, ts_ns, compose(u[3:], spec, tone), u[2])

    def _story(self, jump: Jump) -> NewsItem | None:
        """A story explaining `jump` a few minutes after it, if it is big enough to report."""
        i = self._index.get(jump.symbol)
        if i is None or abs(jump.size) < _STORY_JUMP:
            return None
        # Seeded by the jump itself, so backdated and live news agree on when its story runs.
        key = (
            self._market.seed,
            _STREAM_JUMP_STORIES,
            zlib.crc32(jump.symbol.encode()),
            jump.ts_ns,
        )
        u = np.random.default_rng(key).random(DRAWS_PER_HEADLINE + 2).tolist()
        delay_s = _STORY_DELAY_S[0] + u[0] * (_STORY_DELAY_S[1] - _STORY_DELAY_S[0])
        ts_ns = jump.ts_ns + int(delay_s * NS_PER_S)
        return _item(self._specs[i], ts_ns, compose_jump(u[2:], self._specs[i], jump.size), u[1])

    def _backdate(self) -> list[NewsItem]:
        """Routine news over the history window and stories on every jump before the start."""
        start = self._market.start_ns
        window_ns = int(self.history_hours * 3600 * NS_PER_S)
        rng = np.random.default_rng((self._market.seed, _STREAM_NEWS_HISTORY))
        expected = window_ns / (self.mean_interval_s * NS_PER_S)
        gaps = rng.exponential(self.mean_interval_s, int(expected * 1.2) + 64) * NS_PER_S
        ages = np.cumsum(gaps)
        ages = ages[ages <= window_ns]
        draws = rng.random((len(ages), DRAWS_PER_HEADLINE + 3)).tolist()
        items = []
        for age, u in zip(ages.tolist(), draws, strict=True):
            spec, tone = self._choose(u[0], u[1])
            ts_ns = start - int(age)
            items.append(_item(spec, ts_ns, compose(u[3:], spec, tone), u[2]))
        for jump in self._market.jumps:
            story = self._story(jump)
            if story is not None and story.ts_ns < start:
                items.append(story)
        return sorted(items, key=lambda n: n.ts_ns)

    async def _wait(self, timeout_s: float) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                await self._closed.wait()
        except TimeoutError:
            pass

"""The score board: every symbol's three pillars and composite, recomputed on bar close.

The technical pillar follows closed bars of each scored timeframe (O(1) per bar); the
fundamental pillar is recomputed across the universe when figures arrive (they are ranked
against sector peers); sentiment follows scored headlines. A symbol's composite is recomputed
when its primary-timeframe bar closes or its news or figures change, never per tick; each new
Score is published on the bus and stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

from tpm.analysis.composite import RatingBands, Weights, composite_score
from tpm.analysis.fundamental import score_fundamentals
from tpm.analysis.news_sentiment import ScoredHeadline, SentimentBook
from tpm.analysis.sentiment import score_text
from tpm.analysis.technical import TechnicalState
from tpm.config.scores import ScoresConfig
from tpm.domain import Bar, Fundamentals, NewsItem, PillarScore, Score, Timeframe
from tpm.engine.bus import Bus
from tpm.engine.protocols import FundamentalsSource, MarketFeed, NewsSource, Store
from tpm.errors import TpmError

__all__ = ["ScoreBoard"]

log = logging.getLogger("tpm.engine.scoring")
_NONE = PillarScore(None, 0.0)


class ScoreBoard:
    """Holds the pillars' state and the latest Score of every symbol."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        config: ScoresConfig,
        now_ns: Callable[[], int],
        sectors: Mapping[str, str],
    ) -> None:
        self._bus = bus
        self._store = store
        self._now_ns = now_ns
        self.sectors = dict(sectors)
        self.primary = Timeframe(config.timeframe)
        self.timeframes = {Timeframe(t) for t in config.timeframes}
        self.sentiment = SentimentBook(half_life_s=config.sentiment_half_life_h * 3600)
        self.configure(config)
        self._technical: dict[tuple[str, Timeframe], TechnicalState] = {}
        self._fundamental: dict[str, PillarScore] = {}
        self.latest: dict[str, Score] = {}
        self.recomputed = 0
        bus.subscribe(Bar, self.on_bar)

    def configure(self, config: ScoresConfig) -> None:
        """New weights, rating bands and half-life apply from the next recompute (the bar sizes
        scored are fixed for the run: their state is warmed at start)."""
        w, r = config.weights, config.ratings
        self._weights = Weights(w.technical, w.fundamental, w.sentiment)
        self._bands = RatingBands(r.sell, r.hold, r.buy, r.strong_buy)
        self.sentiment.half_life_s = config.sentiment_half_life_h * 3600

    # -- inputs --------------------------------------------------------------------------------

    def _state(self, symbol: str, timeframe: Timeframe) -> TechnicalState:
        key = (symbol, timeframe)
        state = self._technical.get(key)
        if state is None:
            state = self._technical[key] = TechnicalState()
        return state

    def warm_up(self, symbol: str, timeframe: Timeframe, bars: Sequence[Bar]) -> None:
        """Feed history through the technical pillar without publishing anything."""
        if timeframe not in self.timeframes:
            return
        state = self._state(symbol, timeframe)
        for b in bars:
            state.update(b.open, b.high, b.low, b.close, b.volume)

    def on_bar(self, bar: Bar) -> None:
        if bar.timeframe not in self.timeframes:
            return
        self._state(bar.symbol, bar.timeframe).update(
            bar.open, bar.high, bar.low, bar.close, bar.volume
        )
        if bar.timeframe is self.primary:
            self.recompute(bar.symbol, publish=True)

    def rank_fundamentals(self, rows: Sequence[Fundamentals]) -> None:
        """Score the universe's figures against sector peers (the eight strongest reasons each)."""
        self._fundamental = score_fundamentals(rows, self.sectors, max_drivers=8)

    def set_fundamentals(self, rows: Sequence[Fundamentals]) -> None:
        """New figures: rank them, and every symbol's composite may move."""
        self.rank_fundamentals(rows)
        for symbol in {r.symbol for r in rows}:
            self.recompute(symbol, publish=True)

    def add_news(self, items: Iterable[NewsItem], *, publish: bool = True) -> list[NewsItem]:
        """Score headlines, keep them for their symbols' sentiment; returns them scored."""
        scored: list[NewsItem] = []
        touched = set()
        for item in items:
            value = score_text(item.headline) if item.score is None else item.score
            headline = ScoredHeadline(item.id, item.ts_ns, item.headline, value)
            if self.sentiment.add(item.symbol, headline):
                touched.add(item.symbol)
                scored.append(
                    NewsItem(
                        item.id,
                        item.symbol,
                        item.ts_ns,
                        item.headline,
                        item.source,
                        item.url,
                        value,
                    )
                )
        if publish:
            for symbol in touched:
                self.recompute(symbol, publish=True)
        return scored

    # -- output --------------------------------------------------------------------------------

    def technical(self, symbol: str, timeframe: Timeframe | None = None) -> PillarScore:
        state = self._technical.get((symbol, timeframe or self.primary))
        return _NONE if state is None else state.pillar()

    def recompute(self, symbol: str, *, publish: bool) -> Score:
        pillars = {
            "technical": self.technical(symbol),
            "fundamental": self._fundamental.get(symbol, _NONE),
            "sentiment": self.sentiment.pillar(symbol, self._now_ns()),
        }
        score = composite_score(symbol, self._now_ns(), pillars, self._weights, self._bands)
        self.latest[symbol] = score
        self.recomputed += 1
        if publish:
            self._bus.publish(score)
            self._store.write_score(score)
        return score

    def recompute_all(self, symbols: Iterable[str], *, publish: bool = False) -> None:
        for symbol in symbols:
            self.recompute(symbol, publish=publish)

    # -- start-up and the news pump ------------------------------------------------------------

    async def start(
        self,
        feed: MarketFeed,
        fundamentals: FundamentalsSource | None,
        news: NewsSource | None,
        *,
        fundamentals_from_store: bool = False,
        history_bars: int = 300,
        publish: bool = True,
    ) -> None:
        """Warm the technical pillar on history, load figures and recent news, score all."""
        symbols = [i.symbol for i in feed.instruments()]
        stored = await self._store.get_state("fundamentals.sectors")
        if stored:
            for sym, sector in json.loads(stored).items():
                if self.sectors.get(sym, "Unclassified") in ("", "Unclassified"):
                    self.sectors[sym] = sector
        for sym in symbols:
            for tf in sorted(self.timeframes, key=lambda t: t.seconds):
                # A feed without history (a replay, an exchange) leaves the store's bars.
                bars = await feed.history(sym, tf, history_bars)
                if not bars:
                    bars = await self._store.load_bars(sym, tf, history_bars)
                self.warm_up(sym, tf, bars)
        rows: list[Fundamentals] = []
        if fundamentals_from_store:
            rows = await self._store.load_fundamentals()
        elif fundamentals is not None:
            try:
                rows = await fundamentals.fundamentals(symbols)
                await self._store.save_fundamentals(rows)
            except TpmError as exc:
                log.error("fundamentals from %s unavailable: %s", fundamentals.name, exc)
        if rows:
            self.rank_fundamentals(rows)
        recent = getattr(news, "recent", None)
        if callable(recent):
            await self._store.save_news(self.add_news(await recent(200), publish=False))
        self.recompute_all(symbols, publish=publish)
        log.info(
            "scored %d symbols: %d with fundamentals, %d with news",
            len(symbols),
            len(self._fundamental),
            sum(1 for s in symbols if self.sentiment.headlines(s)),
        )

    async def pump_news(self, news: NewsSource) -> None:
        """Score and store headlines as they come, until the source ends."""
        async for batch in news.headlines():
            scored = self.add_news(batch)
            if scored:
                await self._store.save_news(scored)

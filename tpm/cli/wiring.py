"""Build the concrete engine from the configuration: the one place adapters meet the engine."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from tpm.adapters.brokers.paper import PaperBroker
from tpm.config import Config, Paths
from tpm.domain import Instrument, Timeframe, to_decimal
from tpm.domain.client import EngineClient
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine, EngineSettings
from tpm.engine.protocols import FundamentalsSource, MarketFeed, NewsSource
from tpm.errors import ConfigError
from tpm.security.accounts import Accounts, UserStore
from tpm.security.guard import GuardedClient
from tpm.security.passwords import Hasher
from tpm.security.sessions import Sessions
from tpm.store.sql_store import SqlStore
from tpm.strategies import MovingAverageTrend, Strategy
from tpm.strategies.files import load_strategy_file, runnable

__all__ = ["build_engine", "build_feed", "build_store", "database_url"]


def database_url(config: Config, paths: Paths) -> str:
    return config.store.url or paths.sqlite_url


def build_store(config: Config, paths: Paths) -> SqlStore:
    url = database_url(config, paths)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _owner_only(Path(path).expanduser())
    s = config.store
    return SqlStore(
        url,
        busy_timeout_ms=s.busy_timeout_ms,
        flush_interval_s=s.flush_interval_ms / 1000,
        flush_rows=s.flush_rows,
    )


def _owner_only(db: Path) -> None:
    """A new database file readable by its owner only: it holds password hashes, two-factor
    secrets and the trading record. SQLite gives its -wal and -shm files the same mode."""
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))


def build_feed(config: Config, *, realtime: bool = True) -> MarketFeed:
    f = config.feed
    if f.kind == "sim":
        from tpm.adapters.feeds.sim import SimulatedMarket
        from tpm.adapters.feeds.sim_universe import UNIVERSE

        if f.sim.symbols > len(UNIVERSE):
            raise ConfigError(
                f"config.toml: feed.sim.symbols: the simulated market has {len(UNIVERSE)} "
                f"symbols, got {f.sim.symbols}"
            )
        return SimulatedMarket(
            seed=f.sim.seed,
            symbols=f.sim.symbols,
            tick_hz=f.sim.tick_hz,
            realtime=realtime,
            history_days=f.sim.history_days,
            history_minutes=f.sim.history_minutes,
        )
    from tpm.adapters.feeds.replay import ReplayFeed

    if not f.replay.files:
        raise ConfigError(
            'config.toml: feed.replay.files: feed.kind = "replay" needs at least one file'
        )
    files = [(Path(x.path).expanduser(), x.symbol or None) for x in f.replay.files]
    return ReplayFeed(files, speed=f.replay.speed, warmup_bars=f.replay.warmup_bars)


def _strategies(config: Config, feed: MarketFeed) -> list[Strategy]:
    return [*_demo(config, feed), *_strategy_files(config, feed)]


def _strategy_files(config: Config, feed: MarketFeed) -> list[Strategy]:
    """The strategy files of [strategies], each checked against the feed and the bars built."""
    known = {i.symbol for i in feed.instruments()}
    built = config.market.timeframes
    out: list[Strategy] = []
    for name in config.strategies.files:
        path = Path(name).expanduser()
        for st in load_strategy_file(path):
            problem = runnable(st, feed.name, known, built)
            if problem:
                raise ConfigError(f"{path.name}: {problem}")
            out.append(st)
    return out


def _demo(config: Config, feed: MarketFeed) -> list[Strategy]:
    d = config.demo
    if not d.enabled:
        return []
    known = [i.symbol for i in feed.instruments()]
    symbols = (
        list(d.symbols) or [i.symbol for i in feed.instruments() if i.asset_class == "equity"][:8]
    )
    unknown = sorted(set(symbols) - set(known))
    if unknown:
        raise ConfigError(
            f"config.toml: demo.symbols: {', '.join(unknown)} not served by the {feed.name} feed"
        )
    return [
        MovingAverageTrend(
            symbols,
            timeframe=Timeframe(d.timeframe),
            fast=d.fast,
            slow=d.slow,
            percent_equity=d.percent_equity,
            allow_short=d.short,
        )
    ]


def _fundamentals_source(config: Config) -> str:
    source = config.fundamentals.source
    if source == "auto":
        return "sim" if config.feed.kind == "sim" else "store"
    return source


def build_fundamentals(config: Config, paths: Paths, feed: MarketFeed) -> FundamentalsSource | None:
    """The live source of company figures, or None when they come from the store."""
    f = config.fundamentals
    if _fundamentals_source(config) == "store":
        return None
    if f.source == "edgar":
        from tpm.adapters.fundamentals.edgar import EdgarFundamentals

        if not f.edgar.user_agent.strip():
            raise ConfigError(
                "config.toml: fundamentals.edgar.user_agent: the SEC requires one, e.g. "
                '"Jane Trader jane@example.com"'
            )
        cache = (
            Path(f.edgar.cache_dir).expanduser()
            if f.edgar.cache_dir
            else (paths.data_dir / "edgar-cache")
        )
        return EdgarFundamentals(
            f.edgar.user_agent,
            cache_dir=cache,
            max_age_s=f.edgar.max_age_h * 3600,
            requests_per_s=f.edgar.requests_per_s,
        )
    source = getattr(feed, "fundamentals_source", None)
    if not callable(source):
        raise ConfigError(
            'config.toml: fundamentals.source: "sim" needs feed.kind = "sim"; use "store" '
            '(after tpm import-fundamentals) or "edgar"'
        )
    return source()  # type: ignore[no-any-return]


def build_news(config: Config, feed: MarketFeed) -> NewsSource | None:
    n = config.news
    kind = n.kind if n.kind != "auto" else ("sim" if config.feed.kind == "sim" else "off")
    if kind == "off":
        return None
    if kind == "rss":
        from tpm.adapters.news.rss import RssNews

        if not n.rss_urls:
            raise ConfigError(
                'config.toml: news.rss_urls: news.kind = "rss" needs at least one URL'
            )
        symbols = [i.symbol for i in feed.instruments()]
        return RssNews(n.rss_urls, symbols, poll_s=n.poll_s, timeout_s=n.timeout_s)
    source = getattr(feed, "news_source", None)
    if not callable(source):
        raise ConfigError(
            'config.toml: news.kind: "sim" needs feed.kind = "sim"; use "rss" or "off"'
        )
    return source()  # type: ignore[no-any-return]


def paper_broker(
    config: Config, instruments: Sequence[Instrument], commission: float | None
) -> PaperBroker:
    """The paper broker of config.toml; `commission` (a fraction of the traded value)
    replaces its per-share, basis-point and minimum commission."""
    p = config.broker.paper
    custom = commission is not None
    return PaperBroker(
        instruments,
        commission_per_share=0.0 if custom else p.commission_per_share,
        commission_bps=(commission or 0.0) * 10_000 if custom else p.commission_bps,
        commission_min=0.0 if custom else p.commission_min,
        slippage_bps=p.slippage_bps,
        participation=p.participation,
        latency_ms=p.latency_ms,
    )


def build_engine(config: Config, paths: Paths) -> Engine:
    feed = build_feed(config)
    p = config.broker.paper
    broker = paper_broker(config, feed.instruments(), None)
    settings = EngineSettings(
        initial_cash=to_decimal(p.cash),
        timeframes=tuple(Timeframe(t) for t in config.market.timeframes),
        max_jump_pct=config.market.max_jump_pct,
        max_future_s=config.market.max_future_s,
        stale_after_s=config.feed.stale_after_s,
        equity_interval_s=config.engine.equity_interval_s,
        quotes=config.store.quotes,
        quote_sample_s=config.store.quote_sample_s,
        shutdown_orders=config.engine.shutdown_orders,
        risk=config.risk,
        scores=config.scores,
        fundamentals_from_store=_fundamentals_source(config) == "store",
        market_clock=config.feed.kind == "replay",
        strategies_folder=strategies_folder(config, paths),
    )
    return Engine(
        feed,
        broker,
        build_store(config, paths),
        settings,
        _strategies(config, feed),
        fundamentals=build_fundamentals(config, paths, feed),
        news=build_news(config, feed),
        trial_broker=lambda instruments: paper_broker(config, instruments, None),
    )


def strategies_folder(config: Config, paths: Paths) -> Path:
    """[strategies] folder, or the folder "strategies" beside config.toml."""
    given = config.strategies.folder
    return Path(given).expanduser() if given else paths.config_file.parent / "strategies"


def build_accounts(config: Config, store: UserStore) -> Accounts:
    """The users of `store`, hashed and timed out as the [security] settings say."""
    s = config.security
    return Accounts(
        store,
        Hasher(time_cost=s.argon2_time_cost, memory_kib=s.argon2_memory_kib),
        Sessions(
            time.time_ns,
            idle_s=s.idle_timeout_min * 60,
            absolute_s=s.session_hours * 3600,
            reattach_s=s.reattach_minutes * 60,
        ),
    )


async def gated(
    client: LocalEngineClient, engine: Engine, config: Config, origin: str = "local"
) -> EngineClient:
    """`client` behind a login and the roles table when the engine's store has users; as it
    is when it has none (a fresh install opens straight away)."""
    store = engine.store
    if not isinstance(store, SqlStore):  # build_engine's store keeps the users
        raise TypeError(f"an engine on {type(store).__name__} has no users table")
    accounts = build_accounts(config, store)
    if not await accounts.any_users():
        return client
    return GuardedClient(client, accounts, origin)

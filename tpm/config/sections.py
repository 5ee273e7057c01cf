"""The sections of config.toml, each key with its default and a one-line description."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from tpm.config.base import Lax, Section, TimeframeName
from tpm.config.risk import RiskConfig
from tpm.config.scores import FundamentalsConfig, NewsConfig, ScoresConfig

__all__ = [
    "BrokerConfig",
    "Config",
    "DemoStrategyConfig",
    "EngineConfig",
    "FeedConfig",
    "MarketConfig",
    "PaperBrokerConfig",
    "RemoteConfig",
    "ReplayFeedConfig",
    "ReplayFileConfig",
    "SecurityConfig",
    "SimFeedConfig",
    "StoreConfig",
    "StrategiesConfig",
    "UiConfig",
]

_TIMEFRAMES: tuple[TimeframeName, ...] = ("1m", "5m", "15m", "1h", "1d")


class EngineConfig(Section):
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """How much the engine logs; TPM_LOG_LEVEL overrides it."""
    snapshot_hz: float = Field(10.0, gt=0, le=60)
    """Most snapshots per second published to the UI."""
    equity_interval_s: float = Field(5.0, gt=0, le=3600)
    """How often an equity snapshot is recorded."""
    shutdown_orders: Literal["cancel", "leave"] = "cancel"
    """On stop: cancel open orders at the broker, or leave them working."""


class SimFeedConfig(Section):
    seed: int = 42
    """Seed of the simulated market; the same seed gives the same prices."""
    symbols: int = Field(36, ge=1, le=500)
    """How many symbols of the simulated universe to trade."""
    tick_hz: float = Field(4.0, gt=0, le=1000)
    """Ticks per second per symbol."""
    history_days: int = Field(500, ge=1, le=5000)
    """Daily bars of warm history."""
    history_minutes: int = Field(1440, ge=0, le=20160)
    """One-minute bars of warm history."""


class ReplayFileConfig(Section):
    path: str
    """A CSV bar file."""
    symbol: str = ""
    """The symbol it holds; empty: from a symbol column or the file name."""


class ReplayFeedConfig(Section):
    files: Annotated[tuple[ReplayFileConfig, ...], Lax] = ()
    """Bar files to replay, merged in time order, e.g.
    [{path = "SPY.csv", symbol = "SPY"}, {path = "btc-1m.csv"}] (symbol: from the file)."""
    speed: float = Field(60.0, ge=0)
    """Multiple of real time; 0 plays as fast as possible."""
    warmup_bars: int = Field(0, ge=0)
    """Bars of each file held back as warm history."""


class FeedConfig(Section):
    kind: Literal["sim", "replay"] = "sim"
    """Where market data comes from."""
    stale_after_s: float = Field(10.0, gt=0, le=3600)
    """A feed silent this long is reported stale and its quotes refuse market orders."""
    sim: SimFeedConfig = SimFeedConfig()
    replay: ReplayFeedConfig = ReplayFeedConfig()


class PaperBrokerConfig(Section):
    cash: float = Field(100_000.0, gt=0)
    """Starting cash of a fresh paper account."""
    commission_per_share: float = Field(0.005, ge=0)
    """Commission per share or unit."""
    commission_bps: float = Field(0.0, ge=0, le=1000)
    """Commission in basis points of notional."""
    commission_min: float = Field(1.0, ge=0)
    """Minimum commission per order (charged once, however many fills it takes)."""
    slippage_bps: float = Field(2.0, ge=0, le=1000)
    """Price slippage on market and stop orders, in basis points."""
    participation: float = Field(0.5, gt=0, le=1)
    """Largest share of a quote's displayed size (or a bar's volume) one fill may take."""
    latency_ms: float = Field(50.0, ge=0, le=60_000)
    """Delay before an order reaches the simulated exchange."""


class BrokerConfig(Section):
    kind: Literal["paper"] = "paper"
    """Where orders go."""
    paper: PaperBrokerConfig = PaperBrokerConfig()


class StoreConfig(Section):
    url: str = ""
    """Database URL; empty: the SQLite file tpm.db in the data directory. For MySQL/MariaDB:
    "mysql+asyncmy://USER:PASSWORD@HOST:3306/DB" (needs pip install 'tpm[mysql]').
    TPM_DB_URL overrides it."""
    quotes: Literal["off", "sampled", "all"] = "sampled"
    """Which quotes to keep: none, the last per symbol every quote_sample_s, or every one."""
    quote_sample_s: float = Field(1.0, gt=0, le=3600)
    """Sampling interval for quotes = "sampled"."""
    flush_interval_ms: float = Field(100.0, gt=0, le=10_000)
    """Longest time a buffered row waits before it is written."""
    flush_rows: int = Field(1000, ge=1, le=1_000_000)
    """Buffered rows that trigger an immediate write."""
    busy_timeout_ms: int = Field(5000, ge=0, le=600_000)
    """How long SQLite waits on a lock before it reports busy."""


class MarketConfig(Section):
    timeframes: Annotated[tuple[TimeframeName, ...], Lax] = _TIMEFRAMES
    """Bar sizes aggregated from ticks."""
    max_jump_pct: float = Field(25.0, gt=0, le=1000)
    """A price this far from the last good one is dropped as a bad tick."""
    max_future_s: float = Field(5.0, gt=0, le=3600)
    """A message stamped this far ahead of the clock is dropped."""


class DemoStrategyConfig(Section):
    enabled: bool = True
    """Run the built-in moving-average trend strategy (long above, short below)."""
    symbols: Annotated[tuple[str, ...], Lax] = ()
    """Symbols it trades; empty: the first eight of the feed."""
    timeframe: TimeframeName = "1m"
    """Bar size it decides on."""
    fast: int = Field(10, ge=1, le=1000)
    """Fast moving-average length, in bars."""
    slow: int = Field(30, ge=2, le=5000)
    """Slow moving-average length, in bars."""
    percent_equity: float = Field(5.0, gt=0, le=100)
    """Size of each position as a percent of equity."""
    short: bool = True
    """Go short while the fast average is below the slow one (false: stay flat)."""

    @model_validator(mode="after")
    def _fast_below_slow(self) -> DemoStrategyConfig:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


THEMES = (
    "ansi-dark",
    "ansi-light",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-latte",
    "catppuccin-macchiato",
    "catppuccin-mocha",
    "dracula",
    "flexoki",
    "gruvbox",
    "monokai",
    "nord",
    "rose-pine",
    "rose-pine-dawn",
    "rose-pine-moon",
    "solarized-dark",
    "solarized-light",
    "textual-dark",
    "textual-light",
    "tokyo-night",
)
"""The app's themes: Textual's own, named here so the headless engine need not import it
(a test holds the list to the pinned Textual)."""


class UiConfig(Section):
    theme: str = "textual-dark"
    """The app's colour theme (Settings switches it): textual-dark, textual-light, nord, ..."""
    toast_fills: bool = True
    """Pop up a note for every fill (they are listed on the dashboard either way)."""
    toast_rejections: bool = True
    """Pop up a note for every rejected order."""
    toast_feed: bool = True
    """Pop up a note when a feed goes stale, reconnects or comes back."""

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, theme: str) -> str:
        if theme not in THEMES:
            raise ValueError(f"no theme {theme!r}: one of {', '.join(THEMES)}")
        return theme


class SecurityConfig(Section):
    idle_timeout_min: float = Field(30.0, gt=0, le=24 * 60)
    """A login session ends after this many minutes without use."""
    session_hours: float = Field(12.0, gt=0, le=24 * 7)
    """A login session ends this many hours after the login, used or not."""
    reattach_minutes: float = Field(10.0, gt=0, le=24 * 60)
    """An attached app whose connection dropped may take its session up again (without a
    new login) for this many minutes; then the session ends."""
    argon2_time_cost: int = Field(2, ge=2, le=20)
    """argon2id passes over memory per password hash (at least 2)."""
    argon2_memory_kib: int = Field(19_456, ge=19_456, le=4_194_304)
    """argon2id memory per password hash, in KiB (at least 19 MiB). Raising either rehashes
    each password at its next login."""


class RemoteConfig(Section):
    listen: str = ""
    """HOST:PORT where `tpm --headless` serves attached UIs (tpm attach); empty: no server.
    A loopback address (127.0.0.1:8765) is the safe choice; reach it through an SSH tunnel."""
    tls_cert: str = ""
    """PEM certificate file; with tls_key, the server speaks wss:// (needed off loopback)."""
    tls_key: str = ""
    """PEM private key file of tls_cert."""
    allow_insecure: bool = False
    """Serve a non-loopback address without TLS anyway (warned at every start)."""
    max_message_kib: int = Field(64, ge=4, le=4096)
    """The largest message a client may send, in KiB; a larger one is refused and counted."""
    compress: bool = False
    """Deflate frames to each client: a fifth of the bytes on a slow link, for the engine's
    CPU per client (an SSH tunnel's own compression, ssh -C, costs the engine nothing)."""
    engines: dict[str, str] = Field(default_factory=dict)
    """Engines `tpm attach NAME` knows, by name: {vps = "wss://vps.example:8765"}."""

    @model_validator(mode="after")
    def _address_and_tls(self) -> RemoteConfig:
        if self.listen:
            host, sep, port = self.listen.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(
                    f"listen {self.listen!r}: HOST:PORT, e.g. 127.0.0.1:8765 or [::1]:8765"
                )
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key go together: give both, or neither")
        for name, url in self.engines.items():
            if not url.startswith(("ws://", "wss://")):
                raise ValueError(f"engines.{name} {url!r}: a ws:// or wss:// address")
        return self


class StrategiesConfig(Section):
    files: Annotated[tuple[str, ...], Lax] = ()
    """Strategy files (.toml rules or .py, see README) the engine runs from the start."""
    folder: str = ""
    """Where the builder on the Trading screen lists and saves strategy files; empty: the
    folder "strategies" beside config.toml."""


class Config(Section):
    """Everything tpm reads from config.toml."""

    engine: EngineConfig = EngineConfig()
    feed: FeedConfig = FeedConfig()
    broker: BrokerConfig = BrokerConfig()
    store: StoreConfig = StoreConfig()
    market: MarketConfig = MarketConfig()
    risk: RiskConfig = RiskConfig()
    scores: ScoresConfig = ScoresConfig()
    news: NewsConfig = NewsConfig()
    fundamentals: FundamentalsConfig = FundamentalsConfig()
    demo: DemoStrategyConfig = DemoStrategyConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    ui: UiConfig = UiConfig()
    security: SecurityConfig = SecurityConfig()
    remote: RemoteConfig = RemoteConfig()

"""Load and validate config.toml into frozen typed settings; every error names file, key and reason.

Precedence, lowest first: built-in defaults, the config file, environment overrides
(`TPM_DB_URL`, `TPM_LOG_LEVEL`). Unknown keys are errors, so a typo never silently does nothing.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from tpm.errors import ConfigError

__all__ = [
    "BrokerConfig",
    "Config",
    "DemoStrategyConfig",
    "EngineConfig",
    "FeedConfig",
    "MarketConfig",
    "PaperBrokerConfig",
    "Paths",
    "ReplayFileConfig",
    "RiskConfig",
    "SimFeedConfig",
    "StoreConfig",
    "load_config",
    "resolve_paths",
]

TimeframeName = Literal["1m", "5m", "15m", "1h", "1d"]
_TIMEFRAMES: tuple[TimeframeName, ...] = ("1m", "5m", "15m", "1h", "1d")

# TOML arrays arrive as lists; strict mode would refuse them for an immutable tuple field.
_Lax = Strict(False)


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )


class EngineConfig(_Section):
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """How much the engine logs; TPM_LOG_LEVEL overrides it."""
    snapshot_hz: float = Field(10.0, gt=0, le=60)
    """Most snapshots per second published to the UI."""
    equity_interval_s: float = Field(5.0, gt=0, le=3600)
    """How often an equity snapshot is recorded."""
    shutdown_orders: Literal["cancel", "leave"] = "cancel"
    """On stop: cancel open orders at the broker, or leave them working."""


class SimFeedConfig(_Section):
    seed: int = 42
    """Seed of the simulated market; the same seed gives the same prices."""
    symbols: int = Field(36, ge=1, le=500)
    """How many symbols of the simulated universe to trade."""
    tick_hz: float = Field(4.0, gt=0, le=1000)
    """Ticks per second per symbol."""
    history_days: int = Field(500, ge=0, le=5000)
    """Daily bars of warm history."""
    history_minutes: int = Field(1440, ge=0, le=20160)
    """One-minute bars of warm history."""


class ReplayFileConfig(_Section):
    path: str
    """A CSV bar file."""
    symbol: str = ""
    """The symbol it holds; empty: from a symbol column or the file name."""


class ReplayFeedConfig(_Section):
    files: Annotated[tuple[ReplayFileConfig, ...], _Lax] = ()
    """Bar files to replay, merged in time order, e.g.
    [{path = "SPY.csv", symbol = "SPY"}, {path = "btc-1m.csv"}] (symbol: from the file)."""
    speed: float = Field(60.0, ge=0)
    """Multiple of real time; 0 plays as fast as possible."""
    warmup_bars: int = Field(0, ge=0)
    """Bars of each file held back as warm history."""


class FeedConfig(_Section):
    kind: Literal["sim", "replay"] = "sim"
    """Where market data comes from."""
    stale_after_s: float = Field(10.0, gt=0, le=3600)
    """A feed silent this long is reported stale and its quotes refuse market orders."""
    sim: SimFeedConfig = SimFeedConfig()
    replay: ReplayFeedConfig = ReplayFeedConfig()


class PaperBrokerConfig(_Section):
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


class BrokerConfig(_Section):
    kind: Literal["paper"] = "paper"
    """Where orders go."""
    paper: PaperBrokerConfig = PaperBrokerConfig()


class StoreConfig(_Section):
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


class MarketConfig(_Section):
    timeframes: Annotated[tuple[TimeframeName, ...], _Lax] = _TIMEFRAMES
    """Bar sizes aggregated from ticks."""
    max_jump_pct: float = Field(25.0, gt=0, le=1000)
    """A price this far from the last good one is dropped as a bad tick."""
    max_future_s: float = Field(5.0, gt=0, le=3600)
    """A message stamped this far ahead of the clock is dropped."""


class RiskConfig(_Section):
    max_order_qty: float = Field(10_000.0, gt=0)
    """Largest quantity of one order."""
    max_order_notional: float = Field(50_000.0, gt=0)
    """Largest notional (qty x price) of one order."""
    stale_quote_s: float = Field(10.0, gt=0, le=3600)
    """A market order is refused when the symbol's last quote is older than this."""


class DemoStrategyConfig(_Section):
    enabled: bool = True
    """Run the built-in moving-average trend strategy (long above, short below)."""
    symbols: Annotated[tuple[str, ...], _Lax] = ()
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


class Config(_Section):
    """Everything tpm reads from config.toml."""

    engine: EngineConfig = EngineConfig()
    feed: FeedConfig = FeedConfig()
    broker: BrokerConfig = BrokerConfig()
    store: StoreConfig = StoreConfig()
    market: MarketConfig = MarketConfig()
    risk: RiskConfig = RiskConfig()
    demo: DemoStrategyConfig = DemoStrategyConfig()


@dataclass(frozen=True, slots=True)
class Paths:
    """Where tpm keeps its files."""

    config_file: Path
    data_dir: Path

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "tpm.db"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.sqlite_file}"


def resolve_paths(config_file: str | os.PathLike[str] | None = None) -> Paths:
    """TPM_HOME holds both config.toml and tpm.db; otherwise the platform's user dirs."""
    home = os.environ.get("TPM_HOME")
    if home:
        base = Path(home).expanduser()
        cfg, data = base / "config.toml", base
    else:
        import platformdirs

        cfg = Path(platformdirs.user_config_dir("tpm")) / "config.toml"
        data = Path(platformdirs.user_data_dir("tpm"))
    if config_file is not None:
        cfg = Path(config_file).expanduser()
    return Paths(config_file=cfg, data_dir=data)


def load_config(path: Path, *, required: bool = False, env: dict[str, str] | None = None) -> Config:
    """Read and validate `path` (absent and not `required`: defaults), then apply env overrides."""
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    elif required:
        raise ConfigError(f"{path}: no such config file")
    if db_url := environ.get("TPM_DB_URL"):
        raw.setdefault("store", {})["url"] = db_url
    if level := environ.get("TPM_LOG_LEVEL"):
        raw.setdefault("engine", {})["log_level"] = level.lower()
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_first_error(path.name, exc)) from None


def _first_error(file_name: str, exc: ValidationError) -> str:
    """One line for the first problem: `config.toml: risk.max_order_notional: <reason>`."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    return f"{file_name}: {key or '(top level)'}: {_reason(err, loc)}"


_EXPECTED = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
    "tuple": "a list",
    "model": "a table",
    "dict": "a table",
}


def _reason(err: Any, loc: list[str]) -> str:
    kind: str = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + _suggestion(loc)
    if kind == "missing":
        return "is required"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "?")
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        word = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        return f"must be {word} {bound}, got {_show(got)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {_show(got)}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    for prefix, what in _EXPECTED.items():
        if kind.startswith(prefix) or kind == f"{prefix}_type":
            return f"expected {what}, got {_show(got)}"
    return f"{err['msg'].lower()}, got {_show(got)}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _suggestion(loc: list[str]) -> str:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if typing.get_origin(annotation) is tuple:
            annotation = typing.get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def example_toml() -> str:
    """config.example.toml: every key with its description and default value."""
    lines = [
        "# tpm configuration. Every key is shown with its default; delete what you do not change.",
        "# Location: $TPM_HOME/config.toml, or the platform config directory (see README).",
        "# Environment overrides: TPM_DB_URL (store.url), TPM_LOG_LEVEL (engine.log_level).",
    ]
    _render(Config(), [], lines)
    return "\n".join(lines) + "\n"


def _render(model: BaseModel, path: list[str], lines: list[str]) -> None:
    scalars = []
    tables = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            tables.append((name, value))
        else:
            scalars.append((name, field.description or "", value))
    if path and scalars:
        lines.extend(["", f"[{'.'.join(path)}]"])
    for name, doc, value in scalars:
        for line in doc.splitlines():
            lines.append(f"# {line.strip()}")
        lines.append(f"{name} = {_toml_value(value)}")
    for name, sub in tables:
        _render(sub, [*path, name], lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], BaseModel):
            raise ValueError("a list of tables has no default to show")
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return repr(value)

"""A strategy file: TOML read into a checked spec. The builder writes the same files.

    [strategy]
    name = "sma-cross"
    symbols = ["NVDA"]
    timeframe = "1d"
    [entry]
    when = "crosses_above(sma(close, 10), sma(close, 30))"
    side = "long"            # or "short"; pyramiding = 3 allows adding to a position
    [exit]
    when = "crosses_below(sma(close, 10), sma(close, 30))"
    [size]
    qty = 100                # or percent_equity = 10, or risk_percent = 1 (with a stop)
    [risk]
    stop_loss_pct = 5        # also take_profit_pct, trailing_stop_pct

Every mistake names the file, the key and the reason (an expression's also the position in it),
as config.toml's do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from tpm.config.base import Lax, Section, TimeframeName
from tpm.config.files import read_toml
from tpm.config.load import describe_problems
from tpm.errors import ConfigError, RuleError
from tpm.strategies.rules import Node, parse_expression
from tpm.strategies.rules.parse import reserved

__all__ = ["StrategySpec", "load_strategy", "read_strategy"]


class StrategyHead(Section):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    """The strategy's name: letters, digits, '.', '-' and '_'; its orders carry it."""
    symbols: Annotated[tuple[str, ...], Lax] = Field(min_length=1)
    """The symbols it trades, each on its own."""
    timeframe: TimeframeName = "1d"
    """The bars it decides on (closed bars only)."""
    description: str = ""
    """What it does, in a sentence."""


class Entry(Section):
    when: str
    """The condition that opens a position, checked on each closed bar."""
    side: Literal["long", "short"] = "long"
    """Buy to open (long) or sell short."""
    pyramiding: int = Field(1, ge=1, le=20)
    """How many entries a position may take: 1 ignores entry signals while it is open."""


class Exit(Section):
    when: str = ""
    """The condition that closes the whole position; empty: only the stops close it."""


class Size(Section):
    qty: float | None = Field(None, gt=0)
    """A fixed quantity per entry."""
    percent_equity: float | None = Field(None, gt=0, le=100)
    """Per entry, this percentage of equity at the signal's close."""
    risk_percent: float | None = Field(None, gt=0, le=100)
    """Per entry, the quantity that loses this percentage of equity if the stop is hit: the
    stop is risk.stop_loss_pct, or atr_stop times ATR(atr_period)."""
    atr_stop: float | None = Field(None, gt=0, le=50)
    """With risk_percent: the stop's distance in ATRs."""
    atr_period: int = Field(14, ge=1, le=500)
    """The ATR's period for atr_stop."""

    @model_validator(mode="after")
    def _one_way(self) -> Size:
        given = [k for k in ("qty", "percent_equity", "risk_percent") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of qty, percent_equity or risk_percent"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Stops(Section):
    stop_loss_pct: float | None = Field(None, gt=0, lt=100)
    """Close when the bar closes this far against the entry price."""
    take_profit_pct: float | None = Field(None, gt=0, le=1000)
    """Close when the bar closes this far in favour of the entry price."""
    trailing_stop_pct: float | None = Field(None, gt=0, lt=100)
    """Close when the bar closes this far from the best close since the entry."""


class StrategySpec(Section):
    strategy: StrategyHead
    params: dict[str, float] = Field(default_factory=dict)
    """Named numbers the expressions use (`sma(close, fast)`); tpm optimize varies them."""
    entry: Entry
    exit: Exit = Exit()
    size: Size
    risk: Stops = Stops()

    @model_validator(mode="after")
    def _has_a_stop_for_risk_sizing(self) -> StrategySpec:
        if self.size.risk_percent and not self.size.atr_stop and not self.risk.stop_loss_pct:
            raise ValueError(
                "size.risk_percent needs a stop to size against: size.atr_stop or "
                "risk.stop_loss_pct"
            )
        return self

    @field_validator("params")
    @classmethod
    def _names_free(cls, params: dict[str, float]) -> dict[str, float]:
        for name in params:
            if not name.isidentifier() or reserved(name):
                raise ValueError(f"{name!r} cannot name a parameter: it is taken or not a name")
        return params

    @property
    def name(self) -> str:
        return self.strategy.name

    def trees(self) -> tuple[Node, Node | None]:
        """The entry and exit conditions, parsed (the exit is None when only stops close)."""
        when = self.exit.when.strip()
        exit_tree = parse_expression(when, self.params) if when else None
        return parse_expression(self.entry.when, self.params), exit_tree

    def with_params(self, values: dict[str, float]) -> StrategySpec:
        """This strategy with some of its parameters set (tpm optimize's grid points)."""
        unknown = set(values) - set(self.params)
        if unknown:
            raise ConfigError(
                f"{self.name} has no parameter {', '.join(sorted(unknown))} "
                f"(its [params]: {', '.join(self.params) or 'none'})"
            )
        spec = self.model_copy(update={"params": {**self.params, **values}})
        _check_expressions(spec, f"{self.name} with {values}")
        return spec


def read_strategy(raw: dict[str, Any], file_name: str = "strategy.toml") -> StrategySpec:
    """The spec `raw` (a strategy file's tables) describes; a ConfigError names every problem."""
    try:
        spec = StrategySpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_problems(file_name, exc, StrategySpec)) from None
    _check_expressions(spec, file_name)
    return spec


def _check_expressions(spec: StrategySpec, where: str) -> None:
    for key, text in (("entry.when", spec.entry.when), ("exit.when", spec.exit.when)):
        if key == "exit.when" and not text.strip():
            continue
        try:
            parse_expression(text, spec.params)
        except RuleError as exc:
            raise ConfigError(f"{where}: {key}: {exc}") from None


def load_strategy(path: Path) -> StrategySpec:
    """Read and check the strategy file at `path`."""
    return read_strategy(read_toml(path), path.name)

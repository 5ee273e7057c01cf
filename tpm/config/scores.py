"""[scores], [news] and [fundamentals]: how the three pillars are computed and fed."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tpm.config.base import Lax, Section, TimeframeName

__all__ = [
    "EdgarConfig",
    "FundamentalsConfig",
    "NewsConfig",
    "RatingBandsConfig",
    "ScoresConfig",
    "WeightsConfig",
]


class WeightsConfig(Section):
    technical: float = Field(0.4, ge=0, le=1)
    """Weight of the technical pillar in the composite."""
    fundamental: float = Field(0.3, ge=0, le=1)
    """Weight of the fundamental pillar in the composite."""
    sentiment: float = Field(0.3, ge=0, le=1)
    """Weight of the sentiment pillar in the composite."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> WeightsConfig:
        total = self.technical + self.fundamental + self.sentiment
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"technical + fundamental + sentiment must add up to 1, got {total:g}")
        return self


class RatingBandsConfig(Section):
    sell: float = Field(20.0, ge=0, le=100)
    """A composite below this is a strong sell; from here, a sell."""
    hold: float = Field(40.0, ge=0, le=100)
    """From here, a hold."""
    buy: float = Field(60.0, ge=0, le=100)
    """From here, a buy."""
    strong_buy: float = Field(80.0, ge=0, le=100)
    """From here, a strong buy."""

    @model_validator(mode="after")
    def _ascending(self) -> RatingBandsConfig:
        if not self.sell < self.hold < self.buy < self.strong_buy:
            raise ValueError(
                f"bands must rise: sell {self.sell:g} < hold {self.hold:g} < buy {self.buy:g} "
                f"< strong_buy {self.strong_buy:g}"
            )
        return self


class ScoresConfig(Section):
    timeframe: TimeframeName = "15m"
    """Bar size whose technical pillar goes into the composite (its history must cover about
    60 bars for every technical reading: the slow EMA needs 50)."""
    timeframes: Annotated[tuple[TimeframeName, ...], Lax] = ("15m", "1h", "1d")
    """Bar sizes the technical pillar is computed on (each on its own bar close)."""
    sentiment_half_life_h: float = Field(24.0, gt=0, le=24 * 365)
    """Age at which a headline counts half as much in a symbol's sentiment."""
    weights: WeightsConfig = WeightsConfig()
    ratings: RatingBandsConfig = RatingBandsConfig()

    @model_validator(mode="after")
    def _timeframe_scored(self) -> ScoresConfig:
        if self.timeframe not in self.timeframes:
            raise ValueError(
                f'timeframe "{self.timeframe}" must be one of timeframes {list(self.timeframes)}'
            )
        return self


class NewsConfig(Section):
    kind: Literal["auto", "sim", "rss", "off"] = "auto"
    """Where headlines come from: the simulated market's, RSS/Atom feeds, or none; auto: the
    simulated market's when feed.kind is "sim", else none."""
    rss_urls: Annotated[tuple[str, ...], Lax] = ()
    """Feed URL templates; {symbol} is replaced by each watched symbol (or used as is)."""
    poll_s: float = Field(300.0, ge=10, le=86_400)
    """How often RSS feeds are fetched."""
    timeout_s: float = Field(10.0, gt=0, le=120)
    """How long one feed request may take."""


class EdgarConfig(Section):
    user_agent: str = ""
    """Who is asking, as the SEC requires: "Your Name your@email.example"."""
    max_age_h: float = Field(24.0, gt=0, le=24 * 365)
    """Cached company facts younger than this are not fetched again."""
    cache_dir: str = ""
    """Where responses are cached; empty: edgar-cache in the data directory."""
    requests_per_s: float = Field(8.0, gt=0, le=10)
    """Pace of requests to the SEC (which allows at most 10 a second)."""


class FundamentalsConfig(Section):
    source: Literal["auto", "sim", "store", "edgar"] = "auto"
    """The simulated market's figures, what tpm import-fundamentals stored, or SEC EDGAR;
    auto: the simulated market's when feed.kind is "sim", else the stored ones."""
    edgar: EdgarConfig = EdgarConfig()

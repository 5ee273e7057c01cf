"""Reference data about companies: fundamentals and news headlines."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FUNDAMENTAL_FIELDS", "Fundamentals", "NewsItem"]

FUNDAMENTAL_FIELDS = (
    "market_cap",
    "pe",
    "pb",
    "ps",
    "ev_ebitda",
    "roe",
    "gross_margin",
    "operating_margin",
    "net_margin",
    "revenue_growth",
    "eps_growth",
    "debt_to_equity",
    "current_ratio",
    "dividend_yield",
)


@dataclass(frozen=True, slots=True)
class Fundamentals:
    """A company's key figures as of a date. A missing figure is None, never zero.

    Ratios are plain fractions (a 12% margin is 0.12); market cap is in the listing currency.
    """

    symbol: str
    as_of_ns: int
    source: str = ""
    market_cap: float | None = None
    pe: float | None = None
    pb: float | None = None
    ps: float | None = None
    ev_ebitda: float | None = None
    roe: float | None = None
    gross_margin: float | None = None
    operating_margin: float | None = None
    net_margin: float | None = None
    revenue_growth: float | None = None
    eps_growth: float | None = None
    debt_to_equity: float | None = None
    current_ratio: float | None = None
    dividend_yield: float | None = None


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One headline about a symbol. `id` is stable for the same story, so repeats are dropped."""

    id: str
    symbol: str
    ts_ns: int
    headline: str
    source: str = ""
    url: str = ""
    score: float | None = None

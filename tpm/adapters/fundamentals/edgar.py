"""Fundamentals from SEC EDGAR company facts: no key, a User-Agent, cached, politely paced.

Tickers become CIKs through the SEC's company_tickers.json (`{"0": {"cik_str": 320193,
"ticker": "AAPL", "title": "Apple Inc."}, ...}`); each company's XBRL facts come from
data.sec.gov/api/xbrl/companyfacts/CIK##########.json and are read by `edgar_facts`. Ratios
follow `statements`; the price-based ones (P/E, P/S, P/B, EV/EBITDA, market cap, dividend
yield) need a price per symbol, given as `prices` (read at each call, so a live mapping works),
and the shares outstanding from the filing's cover page.

Every response is kept on disk as raw JSON with its fetch time and reused until `max_age_s`;
when EDGAR cannot be reached, an older copy is used rather than nothing (and logged).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tpm.adapters.fundamentals.edgar_facts import latest_years, shares_outstanding
from tpm.adapters.fundamentals.edgar_http import (
    DiskCache,
    EdgarUnavailable,
    Pacer,
    Sleep,
    get_json,
)
from tpm.adapters.fundamentals.statements import Statement, ratios
from tpm.domain import FUNDAMENTAL_FIELDS, Fundamentals, dt_to_ns
from tpm.errors import ConfigError

__all__ = ["EdgarFundamentals", "EdgarUnavailable", "check_user_agent"]

log = logging.getLogger("tpm.adapters.fundamentals")

DATA_URL = "https://data.sec.gov"
TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"


def check_user_agent(user_agent: str) -> str:
    """The User-Agent, stripped; ConfigError unless it names someone and an email."""
    ua = " ".join(user_agent.split())
    if not ua or "@" not in ua or " " not in ua:
        shown = f'"{ua}"' if ua else "empty"
        raise ConfigError(
            f"config.toml: fundamentals.edgar.user_agent is {shown}: the SEC requires a "
            'User-Agent with a name and an email, e.g. "Jane Doe jane@example.com"'
        )
    return ua


class EdgarFundamentals:
    """A `FundamentalsSource` over SEC EDGAR company facts (see the module docstring)."""

    name = "edgar"

    def __init__(
        self,
        user_agent: str,
        *,
        cache_dir: str | Path,
        max_age_s: float = 86_400.0,
        requests_per_s: float = 8.0,
        prices: Mapping[str, float] | None = None,
        data_url: str = DATA_URL,
        tickers_url: str = TICKERS_URL,
        timeout_s: float = 30.0,
        max_retries: int = 3,
        concurrency: int = 4,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.user_agent = check_user_agent(user_agent)
        self.prices: Mapping[str, float] = prices if prices is not None else {}
        self._cache = DiskCache(Path(cache_dir).expanduser(), clock=clock)
        self._max_age_s = max_age_s
        self._data_url = data_url.rstrip("/")
        self._tickers_url = tickers_url
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._concurrency = max(concurrency, 1)
        self._sleep = sleep
        self._pacer = Pacer(requests_per_s, sleep=sleep)
        self._ciks: dict[str, int] | None = None

    # -- the FundamentalsSource protocol -----------------------------------------------------

    async def fundamentals(self, symbols: Sequence[str]) -> list[Fundamentals]:
        """Figures for the symbols EDGAR knows, in the order asked; the others are skipped."""
        if not symbols:
            return []
        async with self._client() as client:
            ciks = await self._cik_map(client)
            gate = asyncio.Semaphore(self._concurrency)

            async def one(symbol: str) -> Fundamentals | None:
                cik = _lookup(ciks, symbol)
                if cik is None:
                    log.info("SEC EDGAR has no company for ticker %s", symbol)
                    return None
                async with gate:
                    facts = await self._cached(
                        client, f"companyfacts/CIK{cik:010d}", self._facts_url(cik)
                    )
                if facts is None:
                    log.info("SEC EDGAR has no XBRL facts for %s (CIK %d)", symbol, cik)
                    return None
                return self.from_facts(symbol, facts, price=self.prices.get(symbol))

            found = await asyncio.gather(*(one(s) for s in symbols))
        return [f for f in found if f is not None]

    # -- pieces, public for tests and tools ---------------------------------------------------

    async def cik(self, symbol: str) -> int | None:
        """The CIK of a ticker, or None when the SEC lists no such ticker."""
        async with self._client() as client:
            return _lookup(await self._cik_map(client), symbol)

    def from_facts(
        self, symbol: str, facts: Mapping[str, Any], *, price: float | None = None
    ) -> Fundamentals | None:
        """A company's `Fundamentals` from its company-facts document (None without any year)."""
        years = latest_years(facts)
        if years is None:
            return None
        now, before = years
        now = _with_shares(now, shares_outstanding(facts))
        figures = ratios(now, before, price=price)
        values = {f: figures.get(f) for f in FUNDAMENTAL_FIELDS}
        end = now.period_end or datetime.now(UTC).date()
        as_of_ns = dt_to_ns(datetime(end.year, end.month, end.day, tzinfo=UTC))
        return Fundamentals(symbol=symbol, as_of_ns=as_of_ns, source=self.name, **values)

    # -- HTTP and cache -----------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        return httpx.AsyncClient(headers=headers, timeout=self._timeout_s, follow_redirects=True)

    def _facts_url(self, cik: int) -> str:
        return f"{self._data_url}/api/xbrl/companyfacts/CIK{cik:010d}.json"

    async def _cik_map(self, client: httpx.AsyncClient) -> dict[str, int]:
        if self._ciks is None:
            body = await self._cached(client, "company_tickers", self._tickers_url)
            self._ciks = _parse_tickers(body)
        return self._ciks

    async def _cached(self, client: httpx.AsyncClient, key: str, url: str) -> Any | None:
        """The document at `url`, from the disk cache while younger than `max_age_s`."""
        hit = await asyncio.to_thread(self._cache.read, key)
        if hit is not None and hit[1] < self._max_age_s:
            return hit[0]
        try:
            body = await get_json(
                client, url, pacer=self._pacer, sleep=self._sleep, max_retries=self._max_retries
            )
        except EdgarUnavailable as exc:
            if hit is None:
                raise
            log.warning("%s; using the copy fetched %.0f h ago", exc, hit[1] / 3600)
            return hit[0]
        if body is not None:
            await asyncio.to_thread(self._cache.write, key, url, body)
        return body


def _parse_tickers(body: Any) -> dict[str, int]:
    """company_tickers.json as ticker -> CIK (the document is an object of numbered rows)."""
    rows = body.values() if isinstance(body, Mapping) else body if isinstance(body, list) else None
    if rows is None:
        raise EdgarUnavailable("SEC EDGAR company_tickers.json is not shaped as expected")
    out: dict[str, int] = {}
    for row in rows:
        if isinstance(row, Mapping) and row.get("ticker") and row.get("cik_str") is not None:
            try:
                out.setdefault(str(row["ticker"]).upper(), int(row["cik_str"]))
            except (TypeError, ValueError):
                continue
    return out


def _lookup(ciks: Mapping[str, int], symbol: str) -> int | None:
    """A ticker's CIK; class shares are written BRK-B at the SEC and often BRK.B elsewhere."""
    key = symbol.strip().upper()
    return ciks.get(key) or ciks.get(key.replace(".", "-")) or ciks.get(key.replace("/", "-"))


def _with_shares(s: Statement, shares: float | None) -> Statement:
    return s if shares is None else replace(s, shares=shares)

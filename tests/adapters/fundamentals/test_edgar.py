"""SEC EDGAR company facts, served by a real HTTP server on 127.0.0.1 with EDGAR-shaped JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from edgar_fixtures import AAPL_FACTS, EdgarServer, concept, fact

from tpm.adapters.fundamentals.edgar import EdgarFundamentals, EdgarUnavailable
from tpm.adapters.fundamentals.edgar_facts import annual_values, latest_years
from tpm.adapters.fundamentals.edgar_http import Pacer
from tpm.errors import ConfigError, DataError

UA = "Test Person test@example.com"
AAPL_FACTS_PATH = "/api/xbrl/companyfacts/CIK0000320193.json"
TICKERS_PATH = "/files/company_tickers.json"


@pytest.fixture
def server() -> Iterator[EdgarServer]:
    with EdgarServer().running() as s:
        yield s


class Sleeps:
    """A stand-in for asyncio.sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def source(server: EdgarServer, cache: Path, **kw: object) -> EdgarFundamentals:
    options: dict[str, object] = {
        "cache_dir": cache,
        "data_url": server.url,
        "tickers_url": server.url + TICKERS_PATH,
        "requests_per_s": 1000.0,
    }
    options |= kw
    return EdgarFundamentals(UA, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("ua", ["", "   ", "tpm", "someone@example.com"])
def test_refuses_to_run_without_a_name_and_email_user_agent(ua: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="User-Agent with a name and an email"):
        EdgarFundamentals(ua, cache_dir=tmp_path)


async def test_tickers_map_to_ciks(server: EdgarServer, tmp_path: Path) -> None:
    edgar = source(server, tmp_path)
    assert await edgar.cik("AAPL") == 320193
    assert await edgar.cik("aapl") == 320193
    assert await edgar.cik("BRK.B") == 1067983  # the SEC writes BRK-B
    assert await edgar.cik("NOPE") is None
    assert server.count(TICKERS_PATH) == 1  # the map is fetched once


async def test_latest_fiscal_year_and_ratios(server: EdgarServer, tmp_path: Path) -> None:
    edgar = source(server, tmp_path, prices={"AAPL": 120.0})
    [aapl] = await edgar.fundamentals(["AAPL"])
    assert aapl.symbol == "AAPL" and aapl.source == "edgar"
    # FY2023 (ending 2023-09-30), the 10-Q quarter after it and the Q4 inside the 10-K ignored.
    assert aapl.as_of_ns == 1_696_032_000_000_000_000
    assert aapl.net_margin == pytest.approx(96 / 400)  # the amended 10-K/A's net income
    assert aapl.roe == pytest.approx(96 / 80)
    assert aapl.gross_margin == pytest.approx(180 / 400)
    assert aapl.operating_margin == pytest.approx(120 / 400)
    assert aapl.revenue_growth == pytest.approx(400 / 390 - 1)  # vs the restated FY2022
    assert aapl.eps_growth == pytest.approx(6 / 5 - 1)
    assert aapl.debt_to_equity == pytest.approx(100 / 80)
    assert aapl.current_ratio == pytest.approx(150 / 120)
    # Price-based: 15 shares (the latest cover page) at 120.
    assert aapl.market_cap == pytest.approx(1800)
    assert aapl.pe == pytest.approx(20)
    assert aapl.ps == pytest.approx(1800 / 400)
    assert aapl.pb == pytest.approx(1800 / 80)
    assert aapl.ev_ebitda is None  # no depreciation reported: no EBITDA
    assert aapl.dividend_yield is None


async def test_missing_tags_and_missing_price_give_none(
    server: EdgarServer, tmp_path: Path
) -> None:
    [msft] = await source(server, tmp_path).fundamentals(["MSFT"])
    assert msft.net_margin == pytest.approx(88 / 245)
    for name in ("roe", "gross_margin", "debt_to_equity", "current_ratio", "revenue_growth"):
        assert getattr(msft, name) is None
    for name in ("market_cap", "pe", "ps", "pb", "ev_ebitda"):
        assert getattr(msft, name) is None


async def test_sends_the_user_agent(server: EdgarServer, tmp_path: Path) -> None:
    await source(server, tmp_path).fundamentals(["AAPL"])
    assert server.hits
    assert all(headers.get("User-Agent") == UA for _, headers in server.hits)


async def test_unknown_tickers_and_companies_without_facts_are_skipped(
    server: EdgarServer, tmp_path: Path
) -> None:
    rows = await source(server, tmp_path).fundamentals(["NOPE", "NOFACTS", "MSFT", "AAPL"])
    assert [r.symbol for r in rows] == ["MSFT", "AAPL"]
    assert server.count("/api/xbrl/companyfacts/CIK0001111111.json") == 1  # a 404


async def test_cache_hit_avoids_a_second_request(server: EdgarServer, tmp_path: Path) -> None:
    first = await source(server, tmp_path).fundamentals(["AAPL"])
    # A new source (a restart) finds both documents on disk.
    second = await source(server, tmp_path).fundamentals(["AAPL"])
    assert first == second
    assert server.count(AAPL_FACTS_PATH) == 1
    assert server.count(TICKERS_PATH) == 1
    cached = json.loads((tmp_path / "companyfacts" / "CIK0000320193.json").read_text())
    assert cached["url"] == server.url + AAPL_FACTS_PATH
    assert cached["body"] == AAPL_FACTS  # the raw JSON
    assert cached["fetched_at"] > 0 and cached["fetched_at_iso"]


async def test_cache_expiry_refetches(server: EdgarServer, tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    edgar = source(server, tmp_path, max_age_s=3600.0, clock=lambda: now[0])
    await edgar.fundamentals(["AAPL"])
    now[0] += 3599
    await edgar.fundamentals(["AAPL"])
    assert server.count(AAPL_FACTS_PATH) == 1
    now[0] += 2
    await edgar.fundamentals(["AAPL"])
    assert server.count(AAPL_FACTS_PATH) == 2


async def test_429_waits_as_told_by_retry_after(server: EdgarServer, tmp_path: Path) -> None:
    server.queue(AAPL_FACTS_PATH, 429, b"slow down", **{"Retry-After": "7"})
    sleeps = Sleeps()
    [aapl] = await source(server, tmp_path, sleep=sleeps).fundamentals(["AAPL"])
    assert aapl.symbol == "AAPL"
    assert server.count(AAPL_FACTS_PATH) == 2
    assert 7.0 in sleeps.asked


async def test_5xx_is_retried_with_backoff_then_a_clear_error(
    server: EdgarServer, tmp_path: Path
) -> None:
    for _ in range(4):
        server.queue(AAPL_FACTS_PATH, 500, b"oops")
    sleeps = Sleeps()
    edgar = source(server, tmp_path, sleep=sleeps, max_retries=3)
    with pytest.raises(EdgarUnavailable, match=r"answered 500 for .*CIK0000320193\.json after 4"):
        await edgar.fundamentals(["AAPL"])
    assert server.count(AAPL_FACTS_PATH) == 4
    assert [s for s in sleeps.asked if s >= 0.5] == [0.5, 1.0, 2.0]


async def test_403_is_explained(server: EdgarServer, tmp_path: Path) -> None:
    server.queue(TICKERS_PATH, 403, b"Undeclared Automated Tool")
    with pytest.raises(EdgarUnavailable, match="User-Agent"):
        await source(server, tmp_path).fundamentals(["AAPL"])


async def test_an_old_copy_serves_when_edgar_is_down(server: EdgarServer, tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    await source(server, tmp_path, clock=lambda: now[0]).fundamentals(["AAPL"])
    now[0] += 10 * 86_400
    for _ in range(2):
        server.queue(AAPL_FACTS_PATH, 503, b"")
    edgar = source(server, tmp_path, clock=lambda: now[0], max_retries=1, sleep=Sleeps())
    [aapl] = await edgar.fundamentals(["AAPL"])
    assert aapl.pe is None and aapl.roe == pytest.approx(1.2)


async def test_a_body_that_is_not_json_is_a_data_error(server: EdgarServer, tmp_path: Path) -> None:
    server.queue(AAPL_FACTS_PATH, 200, b"<html>maintenance</html>")
    with pytest.raises(DataError, match="not JSON"):
        await source(server, tmp_path).fundamentals(["AAPL"])


async def test_pacer_spaces_requests_at_the_rate() -> None:
    now = [100.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    pacer = Pacer(10.0, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(5):
        await pacer.wait()
        starts.append(now[0])
    assert [round(b - a, 9) for a, b in pairwise(starts)] == [0.1] * 4


def test_annual_values_ignore_quarters_and_keep_the_last_filed() -> None:
    values = annual_values(AAPL_FACTS, "RevenueFromContractWithCustomerExcludingAssessedTax")
    assert {str(d): f.value for d, f in values.items()} == {
        "2021-09-25": 350.0,
        "2022-09-24": 390.0,
        "2023-09-30": 400.0,
    }


def test_a_switch_of_revenue_tag_still_gives_growth() -> None:
    facts = {
        "facts": {
            "us-gaap": {
                "SalesRevenueNet": concept(
                    "USD", fact(start="2017-01-01", end="2017-12-31", val=100.0, fy=2018)
                ),
                "RevenueFromContractWithCustomerExcludingAssessedTax": concept(
                    "USD", fact(start="2018-01-01", end="2018-12-31", val=110.0, fy=2018)
                ),
            }
        }
    }
    years = latest_years(facts)
    assert years is not None
    now, before = years
    assert now.revenue == 110.0 and before is not None and before.revenue == 100.0


def test_a_company_without_annual_figures_gives_nothing() -> None:
    assert latest_years({"facts": {"us-gaap": {}}}) is None
    assert latest_years({"facts": "not a mapping"}) is None

"""Small hand-made documents shaped like SEC EDGAR's, and a real HTTP server that serves them."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# https://www.sec.gov/files/company_tickers.json: an object of numbered rows.
TICKERS = {
    "0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."},
    "1": {"cik_str": 789019, "ticker": "MSFT", "title": "MICROSOFT CORP"},
    "2": {"cik_str": 1067983, "ticker": "BRK-B", "title": "BERKSHIRE HATHAWAY INC"},
    "3": {"cik_str": 1111111, "ticker": "NOFACTS", "title": "No XBRL Corp"},
}


def fact(
    end: str,
    val: float,
    *,
    start: str | None = None,
    fy: int = 2023,
    fp: str = "FY",
    form: str = "10-K",
    filed: str = "2023-11-03",
    accn: str = "0000320193-23-000106",
) -> dict[str, Any]:
    item: dict[str, Any] = {"end": end, "val": val, "accn": accn, "fy": fy, "fp": fp}
    item |= {"form": form, "filed": filed}
    if start is not None:
        item["start"] = start
    return item


def concept(unit: str, *facts: dict[str, Any]) -> dict[str, Any]:
    return {"label": "", "description": "", "units": {unit: list(facts)}}


FY23 = {"start": "2022-09-25", "end": "2023-09-30"}
FY22 = {"start": "2021-09-26", "end": "2022-09-24"}
FY21 = {"start": "2020-09-27", "end": "2021-09-25"}
OLD_10K = {"fy": 2022, "filed": "2022-10-28", "accn": "0000320193-22-000108"}

# Apple-like, with round numbers: FY2023 revenue 400, restated FY2022 revenue 390.
AAPL_FACTS: dict[str, Any] = {
    "cik": 320193,
    "entityName": "Apple Inc.",
    "facts": {
        "dei": {
            "EntityCommonStockSharesOutstanding": concept(
                "shares",
                fact("2023-10-20", 15.5),
                # The latest cover page (a 10-Q) has the newest count.
                fact("2024-01-19", 15.0, fy=2024, fp="Q1", form="10-Q", filed="2024-02-02"),
            )
        },
        "us-gaap": {
            "RevenueFromContractWithCustomerExcludingAssessedTax": concept(
                "USD",
                fact(**FY22, val=380.0, **OLD_10K),  # as first reported
                fact(**FY21, val=350.0, **OLD_10K),
                fact(**FY23, val=400.0),
                fact(**FY22, val=390.0),  # restated in the 2023 10-K: this one counts
                fact(start="2023-07-02", end="2023-09-30", val=90.0),  # Q4 inside the 10-K
                fact(
                    start="2023-10-01",
                    end="2023-12-30",
                    val=120.0,
                    fy=2024,
                    fp="Q1",
                    form="10-Q",
                    filed="2024-02-02",
                ),
            ),
            # A tag the company stopped using years ago: never the "latest".
            "SalesRevenueNet": concept(
                "USD", fact(start="2016-09-25", end="2017-09-30", val=229.0, fy=2017)
            ),
            "NetIncomeLoss": concept(
                "USD",
                fact(**FY23, val=100.0),
                fact(**FY22, val=90.0),
                fact(**FY23, val=96.0, form="10-K/A", filed="2024-01-15"),  # amended
            ),
            "GrossProfit": concept("USD", fact(**FY23, val=180.0)),
            "OperatingIncomeLoss": concept("USD", fact(**FY23, val=120.0)),
            "StockholdersEquity": concept(
                "USD", fact("2023-09-30", 80.0), fact("2022-09-24", 70.0)
            ),
            "LongTermDebt": concept("USD", fact("2023-09-30", 100.0)),
            "AssetsCurrent": concept("USD", fact("2023-09-30", 150.0)),
            "LiabilitiesCurrent": concept("USD", fact("2023-09-30", 120.0)),
            "EarningsPerShareDiluted": concept(
                "USD/shares", fact(**FY23, val=6.0), fact(**FY22, val=5.0)
            ),
        },
    },
}

# Only revenue and net income: every other figure must come out None.
MSFT_FACTS: dict[str, Any] = {
    "cik": 789019,
    "entityName": "MICROSOFT CORP",
    "facts": {
        "us-gaap": {
            "Revenues": concept(
                "USD", fact(start="2023-07-01", end="2024-06-30", val=245.0, fy=2024)
            ),
            "NetIncomeLoss": concept(
                "USD", fact(start="2023-07-01", end="2024-06-30", val=88.0, fy=2024)
            ),
        }
    },
}


class EdgarServer:
    """A real HTTP server on 127.0.0.1 serving EDGAR-shaped documents, recording each request.

    `script[path]` holds responses (status, headers, body) served before the normal one.
    """

    def __init__(self) -> None:
        self.hits: list[tuple[str, dict[str, str]]] = []
        self.script: dict[str, deque[tuple[int, dict[str, str], bytes]]] = {}
        self.docs: dict[str, Any] = {
            "/files/company_tickers.json": TICKERS,
            "/api/xbrl/companyfacts/CIK0000320193.json": AAPL_FACTS,
            "/api/xbrl/companyfacts/CIK0000789019.json": MSFT_FACTS,
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append((self.path, dict(self.headers)))
                queued = server.script.get(self.path)
                if queued:
                    status, headers, body = queued.popleft()
                elif self.path in server.docs:
                    status, headers = 200, {"Content-Type": "application/json"}
                    body = json.dumps(server.docs[self.path]).encode()
                else:
                    status, headers, body = 404, {}, b"Not Found"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def queue(self, path: str, status: int, body: bytes = b"", **headers: str) -> None:
        self.script.setdefault(path, deque()).append((status, headers, body))

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.hits if p == path)

    @contextmanager
    def running(self) -> Iterator[EdgarServer]:
        self._thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()

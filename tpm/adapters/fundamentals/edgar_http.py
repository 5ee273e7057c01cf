"""Polite HTTP for SEC EDGAR: a request pacer, retries that honour Retry-After, a disk cache.

The SEC's fair-access rules: at most 10 requests per second from one client, and a User-Agent
that names the person or company and an email; clients that ignore them are blocked (403).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from tpm.errors import DataError, TpmError

__all__ = ["DiskCache", "EdgarUnavailable", "Pacer", "get_json"]

log = logging.getLogger("tpm.adapters.fundamentals")

Sleep = Callable[[float], Awaitable[None]]
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER_S = 120.0


class EdgarUnavailable(TpmError):
    """SEC EDGAR refused or failed a request, or could not be reached: try again later."""


class Pacer:
    """Spaces request starts at least `1 / rate` seconds apart, across concurrent tasks."""

    def __init__(
        self,
        rate_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"requests per second must be positive, got {rate_per_s}")
        self.interval_s = 1.0 / rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next request may start."""
        async with self._lock:
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._clock(), self._next) + self.interval_s


class DiskCache:
    """Raw JSON responses on disk, each with the URL and when it was fetched.

    A file holds `{"url", "fetched_at" (Unix seconds), "fetched_at_iso", "body"}` and is
    replaced atomically, so a crash mid-write never leaves a half file to be trusted.
    """

    def __init__(self, root: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self._clock = clock

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def read(self, key: str) -> tuple[Any, float] | None:
        """The cached body and its age in seconds, or None (absent or unreadable)."""
        path = self.path(key)
        try:
            envelope = json.loads(path.read_text(encoding="utf-8"))
            fetched_at = float(envelope["fetched_at"])
            return envelope["body"], max(self._clock() - fetched_at, 0.0)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable EDGAR cache file %s (%s)", path, exc)
            return None

    def write(self, key: str, url: str, body: Any) -> None:
        now = self._clock()
        envelope = {
            "url": url,
            "fetched_at": now,
            "fetched_at_iso": datetime.fromtimestamp(now, UTC).isoformat(),
            "body": body,
        }
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(envelope, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)


def _retry_after_s(response: httpx.Response, attempt: int) -> float:
    """How long to wait before retrying: the server's Retry-After, else exponential backoff."""
    header = response.headers.get("Retry-After", "").strip()
    if header:
        try:
            return min(max(float(header), 0.0), _MAX_RETRY_AFTER_S)
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
                return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), _MAX_RETRY_AFTER_S)
            except (TypeError, ValueError):
                pass
    return float(0.5 * 2**attempt)


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    pacer: Pacer,
    sleep: Sleep,
    max_retries: int,
) -> Any | None:
    """GET a JSON document; None on 404. Retries 429 and 5xx (honouring Retry-After) and
    network errors, then raises `EdgarUnavailable`; other refusals raise it at once."""
    for attempt in range(max_retries + 1):
        await pacer.wait()
        try:
            response = await client.get(url)
        except httpx.TransportError as exc:
            if attempt == max_retries:
                raise EdgarUnavailable(f"SEC EDGAR: {url} could not be reached ({exc})") from exc
            await sleep(0.5 * 2**attempt)
            continue
        status = response.status_code
        if status == 404:
            return None
        if status in _RETRY_STATUSES and attempt < max_retries:
            delay = _retry_after_s(response, attempt)
            log.info("SEC EDGAR answered %d for %s; retrying in %.1fs", status, url, delay)
            await sleep(delay)
            continue
        if status == 403:
            raise EdgarUnavailable(
                f"SEC EDGAR refused {url} (403): the SEC blocks clients without a User-Agent "
                "naming a person and an email, or above 10 requests per second"
            )
        if status != 200:
            tries = f" after {attempt + 1} tries" if attempt else ""
            raise EdgarUnavailable(f"SEC EDGAR answered {status} for {url}{tries}")
        try:
            return response.json()
        except ValueError as exc:
            raise DataError(f"SEC EDGAR {url}: the answer is not JSON ({exc})") from None
    raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

"""Headlines from RSS 2.0 and Atom feeds over HTTP, polled, de-duplicated, conditionally cached.

A URL template with {symbol} is fetched once per symbol and its items belong to that symbol;
a plain URL is fetched once and an item belongs to every watched symbol its title names (as a
word, "$ACME" or "(ACME)"). Each poll sends the ETag and Last-Modified the server gave last
time, so an unchanged feed costs a 304 and nothing else. A feed that fails is logged and tried
again at the next poll; one bad feed never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from tpm.domain import NewsItem, dt_to_ns

__all__ = ["RssNews", "parse_feed"]

log = logging.getLogger("tpm.adapters.news")
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    title: str
    link: str
    ts_ns: int


def _text(el: ET.Element | None) -> str:
    return "" if el is None or el.text is None else " ".join(el.text.split())


def _when(text: str) -> int | None:
    if not text:
        return None
    try:
        dt = parsedate_to_datetime(text)  # RSS: RFC 822
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))  # Atom: RFC 3339
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt_to_ns(dt)


def parse_feed(xml: bytes | str, *, now_ns: int) -> list[_Entry]:
    """The entries of an RSS 2.0 or Atom document; raises ValueError if it is neither."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None
    entries: list[_Entry] = []
    if root.tag == "rss" or root.find("channel") is not None:
        for item in root.iter("item"):
            title = _text(item.find("title"))
            link = _text(item.find("link"))
            guid = _text(item.find("guid")) or link or title
            ts = _when(_text(item.find("pubDate"))) or now_ns
            if title:
                entries.append(_Entry(guid, title, link, ts))
    elif root.tag == f"{_ATOM}feed":
        for entry in root.iter(f"{_ATOM}entry"):
            title = _text(entry.find(f"{_ATOM}title"))
            link_el = entry.find(f"{_ATOM}link")
            link = "" if link_el is None else link_el.get("href", "")
            key = _text(entry.find(f"{_ATOM}id")) or link or title
            stamp = _text(entry.find(f"{_ATOM}published")) or _text(entry.find(f"{_ATOM}updated"))
            ts = _when(stamp) or now_ns
            if title:
                entries.append(_Entry(key, title, link, ts))
    else:
        raise ValueError(f"neither RSS nor Atom (root element <{root.tag}>)")
    return entries


def _mentions(title: str, symbols: Sequence[str]) -> list[str]:
    out = []
    for sym in symbols:
        if re.search(rf"(?<![\w$])\$?{re.escape(sym)}(?![\w-])", title):
            out.append(sym)
    return out


class RssNews:
    """A NewsSource polling RSS/Atom URLs; see the module docstring."""

    name = "rss"

    def __init__(
        self,
        urls: Sequence[str],
        symbols: Sequence[str],
        *,
        poll_s: float = 300.0,
        timeout_s: float = 10.0,
        user_agent: str = "tpm (terminal trading workstation)",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._urls = list(urls)
        self.symbols = list(symbols)
        self._poll_s = poll_s
        self._client = client or httpx.AsyncClient(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": user_agent}
        )
        self._validators: dict[str, dict[str, str]] = {}
        self._seen: set[str] = set()
        self._closed = asyncio.Event()
        self.errors = 0

    def _targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for template in self._urls:
            if "{symbol}" in template:
                out.extend((template.replace("{symbol}", s), s) for s in self.symbols)
            else:
                out.append((template, None))
        return out

    async def poll(self, now_ns: int | None = None) -> list[NewsItem]:
        """Fetch every feed once; the headlines not seen before."""
        now = now_ns if now_ns is not None else dt_to_ns(datetime.now(UTC))
        fetched = await asyncio.gather(*(self._fetch(url) for url, _ in self._targets()))
        items: list[NewsItem] = []
        for (url, symbol), body in zip(self._targets(), fetched, strict=True):
            if body is None:
                continue
            try:
                entries = parse_feed(body, now_ns=now)
            except ValueError as exc:
                self.errors += 1
                log.warning("news feed %s skipped: %s", url, exc)
                continue
            for e in entries:
                owners = [symbol] if symbol else _mentions(e.title, self.symbols)
                for sym in owners:
                    key = hashlib.sha1(f"{sym}|{e.key}".encode()).hexdigest()[:32]
                    if key in self._seen:
                        continue
                    self._seen.add(key)
                    items.append(NewsItem(key, sym, e.ts_ns, e.title, source=url, url=e.link))
        items.sort(key=lambda n: n.ts_ns)
        return items

    async def _fetch(self, url: str) -> bytes | None:
        headers = dict(self._validators.get(url, {}))
        try:
            r = await self._client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            self.errors += 1
            log.warning("news feed %s unreachable: %s", url, exc)
            return None
        if r.status_code == 304:
            return None
        if r.status_code != 200:
            self.errors += 1
            log.warning("news feed %s answered HTTP %d", url, r.status_code)
            return None
        validators = {}
        if etag := r.headers.get("ETag"):
            validators["If-None-Match"] = etag
        if modified := r.headers.get("Last-Modified"):
            validators["If-Modified-Since"] = modified
        self._validators[url] = validators
        return r.content

    async def headlines(self) -> AsyncIterator[list[NewsItem]]:
        """New headlines at every poll, until closed."""
        while not self._closed.is_set():
            batch = await self.poll()
            if batch:
                yield batch
            try:
                await asyncio.wait_for(self._closed.wait(), self._poll_s)
            except TimeoutError:
                pass

    async def close(self) -> None:
        self._closed.set()
        await self._client.aclose()

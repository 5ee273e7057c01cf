"""RSS and Atom feeds from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tpm.adapters.news.rss import RssNews, parse_feed

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Markets</title>
<item><title>ACME beats estimates, raises outlook</title><link>https://n.example/1</link>
<guid>n-1</guid><pubDate>Tue, 05 Mar 2024 14:30:00 GMT</pubDate></item>
<item><title>Shares of $BOLT slide after recall</title><link>https://n.example/2</link>
<pubDate>Tue, 05 Mar 2024 15:00:00 +0000</pubDate></item>
<item><title>Markets wrap: stocks mixed</title><link>https://n.example/3</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Acme news</title>
<entry><title>Acme names new CFO</title><id>tag:acme,2024:7</id>
<link href="https://acme.example/7"/><updated>2024-03-06T09:00:00Z</updated></entry>
</feed>"""


class _Server:
    def __init__(self) -> None:
        self.hits: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append((self.path, dict(self.headers)))
                if self.path == "/all.rss":
                    if self.headers.get("If-None-Match") == '"v1"':
                        self.send_response(304)
                        self.end_headers()
                        return
                    body, etag = RSS.encode(), '"v1"'
                elif self.path == "/sym/ACME.atom":
                    body, etag = ATOM.encode(), ""
                elif self.path == "/broken.rss":
                    body, etag = b"<rss><channel><item>", ""
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/xml")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()


def test_rss_and_atom_are_parsed_with_their_times() -> None:
    rss = parse_feed(RSS, now_ns=7)
    assert [e.title for e in rss][:2] == [
        "ACME beats estimates, raises outlook",
        "Shares of $BOLT slide after recall",
    ]
    assert rss[0].ts_ns == 1_709_649_000_000_000_000 and rss[2].ts_ns == 7
    [atom] = parse_feed(ATOM, now_ns=7)
    assert (atom.key, atom.link, atom.ts_ns) == (
        "tag:acme,2024:7",
        "https://acme.example/7",
        1_709_715_600_000_000_000,
    )
    with pytest.raises(ValueError, match="neither RSS nor Atom"):
        parse_feed("<html/>", now_ns=0)
    with pytest.raises(ValueError, match="not well-formed"):
        parse_feed("<rss>", now_ns=0)


async def test_items_go_to_the_symbols_they_name_once(server: _Server) -> None:
    news = RssNews(
        [f"{server.url}/all.rss", f"{server.url}/sym/{{symbol}}.atom"], ["ACME", "BOLT", "ZZZ"]
    )
    try:
        first = await news.poll(now_ns=1)
        assert sorted((n.symbol, n.headline) for n in first) == [
            ("ACME", "ACME beats estimates, raises outlook"),
            ("ACME", "Acme names new CFO"),
            ("BOLT", "Shares of $BOLT slide after recall"),
        ]
        assert len({n.id for n in first}) == 3
        again = await news.poll(now_ns=2)
        assert again == []
        rss_hits = [h for p, h in server.hits if p == "/all.rss"]
        assert rss_hits[-1].get("If-None-Match") == '"v1"'  # second poll: conditional, a 304
        assert any(p == "/sym/ZZZ.atom" for p, _ in server.hits)  # 404: logged, others go on
        assert news.errors >= 2  # ZZZ and BOLT have no Atom feed here
    finally:
        await news.close()


async def test_a_broken_feed_is_skipped_and_counted(server: _Server) -> None:
    news = RssNews([f"{server.url}/broken.rss", f"{server.url}/all.rss"], ["ACME"])
    try:
        items = await news.poll(now_ns=1)
        assert [n.headline for n in items] == ["ACME beats estimates, raises outlook"]
        assert news.errors == 1
    finally:
        await news.close()


async def test_an_unreachable_server_is_an_error_not_a_crash() -> None:
    news = RssNews(["http://127.0.0.1:1/x.rss"], ["ACME"], timeout_s=1)
    try:
        assert await news.poll(now_ns=1) == []
        assert news.errors == 1
    finally:
        await news.close()

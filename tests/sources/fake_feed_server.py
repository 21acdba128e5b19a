"""A small real HTTP server serving RSS 2.0 and Atom feeds with ETag/Last-Modified and faults."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

RSS_ITEMS = (
    # (guid, title, description html, pubDate)
    (
        "seoul-news-0001",
        "서울시, 따릉이 대여소 500곳 확충",
        "<p>서울시가 <b>따릉이</b> 대여소를 500곳 늘린다고 밝혔다 &amp; 시민 의견 수렴 🚲</p>",
        "Mon, 03 Mar 2025 09:00:00 +0900",
    ),
    (
        "seoul-news-0002",
        "마포구 소각장 주민설명회 또 무산",
        (
            "<div>주민 반발로 설명회가 <a href='/x'>무산</a>됐다.<br/>𠀀 확장한자 포함</div>"
            "<script>alert(1)</script>"
        ),
        "Mon, 03 Mar 2025 11:30:00 +0900",
    ),
    (
        None,
        "기후동행카드 이용자 100만 돌파",
        "<p>기후동행카드&nbsp;이용자가 늘었다.</p>",
        "2025.03.03 14:20",
    ),  # no guid (link only) and a Korean-style date
    ("seoul-news-0004", "날짜 없는 기사", "<p>pubDate가 없다</p>", None),  # quarantined
    ("seoul-news-0005", "", "", "Tue, 04 Mar 2025 08:00:00 +0900"),  # no text: quarantined
)

EUCKR_ITEMS = (  # many Korean sites still serve EUC-KR; it has no emoji
    (
        "seoul-news-0101",
        "서울시, 따릉이 대여소 500곳 확충",
        "<p>시민 의견을 듣는다</p>",
        "Mon, 03 Mar 2025 09:00:00 +0900",
    ),
)

ATOM_ENTRIES = (
    (
        "urn:uuid:6f1c6b86-0001",
        "한강 야간 드론쇼 일정 발표",
        "2025-03-03T10:00:00+09:00",
        "<p>한강공원에서 <em>드론쇼</em>가 열린다 🎆</p>",
    ),
    (
        "urn:uuid:6f1c6b86-0002",
        "노원구 어린이집 확충 계획",
        "2025-03-03T12:00:00Z",
        "<p>노원구가 국공립 어린이집을 늘린다.</p>",
    ),
)


def _rss(items: tuple, *, encoding: str = "utf-8") -> bytes:
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel><title>서울 뉴스</title>',
        "<link>http://news.example/</link><language>ko</language>",
        "<description>서울시 소식</description>",
    ]
    for guid, title, desc, date in items:
        link = f"http://news.example/articles/{guid or 'climate-card'}"
        parts.append("<item>")
        parts.append(f"<title>{title}</title><link>{link}</link>")
        if guid:
            parts.append(f'<guid isPermaLink="false">{guid}</guid>')
        parts.append(f"<description><![CDATA[{desc}]]></description>")
        if date:
            parts.append(f"<pubDate>{date}</pubDate>")
        parts.append("<author>기자 홍길동</author></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode(encoding)


def _atom(entries: tuple) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko"><title>서울 Atom</title>',
        "<id>urn:uuid:feed-seoul</id><updated>2025-03-03T12:00:00Z</updated>",
    ]
    for eid, title, updated, summary in entries:
        parts.append(
            f"<entry><id>{eid}</id><title>{title}</title><updated>{updated}</updated>"
            f"<published>{updated}</published><link href='http://atom.example/{eid[-4:]}'/>"
            f"<summary type='html'><![CDATA[{summary}]]></summary>"
            "<author><name>서울시</name></author></entry>"
        )
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")


class FakeFeedServer:
    """Serves /rss.xml, /atom.xml, /euckr.xml, /broken.xml; 404 elsewhere."""

    def __init__(self, slow_s: float = 0.8) -> None:
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self.reset()

    def reset(self) -> None:
        modified = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
        self.docs: dict[str, tuple[bytes, str, datetime]] = {
            "/rss.xml": (_rss(RSS_ITEMS), "application/rss+xml", modified),
            "/atom.xml": (_atom(ATOM_ENTRIES), "application/atom+xml", modified),
            "/euckr.xml": (_rss(EUCKR_ITEMS, encoding="euc-kr"), "text/xml", modified),
            "/broken.xml": (b"<html><body>502 Bad Gateway</body></html>", "text/html", modified),
        }
        self.faults: dict[str, list[object]] = defaultdict(list)
        self.requests: list[dict] = []

    def fail_next(self, path: str, *faults: object) -> None:
        """Queue faults for `path`: an HTTP status (int) or "slow" (stall past the timeout)."""
        with self.lock:
            self.faults[path].extend(faults)

    def add_item(self, guid: str, title: str, desc: str, date: str) -> None:
        """Publish a new RSS item: a new ETag and Last-Modified."""
        items = (*RSS_ITEMS, (guid, title, desc, date))
        with self.lock:
            self.docs["/rss.xml"] = (
                _rss(items),
                "application/rss+xml",
                datetime(2025, 3, 4, 3, 0, tzinfo=UTC),
            )

    # ----------------------------------------------------------------- lifecycle
    def __enter__(self) -> Self:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def url(self, path: str = "/rss.xml") -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    # ----------------------------------------------------------------- serving
    def handle(self, h: _Handler) -> None:
        path = h.path.split("?")[0]
        with self.lock:
            self.requests.append({"path": path, "headers": dict(h.headers)})
            fault = self.faults[path].pop(0) if self.faults[path] else None
            doc = self.docs.get(path)
        if fault == "slow":
            time.sleep(self.slow_s)
        elif isinstance(fault, int):
            return self._send(h, fault, b"<html>error</html>", "text/html")
        if doc is None:
            return self._send(h, 404, b"not found", "text/plain")
        body, ctype, modified = doc
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        inm = h.headers.get("If-None-Match")
        ims = h.headers.get("If-Modified-Since")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")]:
                return self._send(h, 304, b"", None, headers)
        elif ims is not None:
            try:
                if modified <= parsedate_to_datetime(ims):
                    return self._send(h, 304, b"", None, headers)
            except (TypeError, ValueError):
                pass
        self._send(h, 200, body, ctype, headers)

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        ctype: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            h.send_response(status)
            if ctype:
                h.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_fake: FakeFeedServer

    def do_GET(self) -> None:
        self.server_fake.handle(self)

    def log_message(self, format: str, *args: object) -> None:
        pass

"""Feeds: requests + feedparser against a real local feed server; pure mapper on small entries."""

from __future__ import annotations

import time

import feedparser
import pytest
import requests

from pipeline.sources.feeds import (
    EntryMappingError,
    FeedError,
    fetch_feed,
    map_entry,
    map_feed,
    strip_html,
)
from pipeline.sources.http import Backoff

FAST = Backoff(max_attempts=3, base_s=0.005, cap_s=0.02, seed=1)
TIMEOUT = (2.0, 0.3)


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def fetch(feed_fake, path="/rss.xml", session=None, **kw):
    kw.setdefault("backoff", FAST)
    return fetch_feed(
        feed_fake.url(path), session=session or requests.Session(), timeout=TIMEOUT, **kw
    )


def test_rss_fetch_and_map(feed_fake, session) -> None:
    result = fetch(feed_fake, session=session)
    assert result.status == "ok" and result.etag and result.modified
    assert result.title == "서울 뉴스" and len(result.entries) == 5
    posts, quarantined = map_feed(result)
    assert [q["reason"] for q in quarantined] == [
        "no published/updated date",
        "entry has no title or summary",
    ]
    first, second, third = posts
    assert first["channel"] == "news" and first["created_at"] == "2025-03-03T00:00:00+00:00"
    assert first["text"] == (
        "서울시, 따릉이 대여소 500곳 확충\n서울시가 따릉이 대여소를 500곳 늘린다고 밝혔다 & 시민 의견 수렴 🚲"
    )
    assert "alert" not in second["text"] and "𠀀" in second["text"]
    assert third["created_at"] == "2025-03-03T05:20:00+00:00"  # "2025.03.03 14:20" Seoul
    assert third["url"] == "http://news.example/articles/climate-card"
    assert first["lang"] == "ko" and first["author"] == "기자 홍길동"
    assert first["raw"]["entry"]["published_parsed"] == "2025-03-03T00:00:00+00:00"
    assert first["raw"]["feed_url"] == result.url


def test_conditional_get_yields_nothing_when_unchanged(feed_fake, session) -> None:
    first = fetch(feed_fake, session=session)
    again = fetch(feed_fake, session=session, etag=first.etag, modified=first.modified)
    assert again.status == "not_modified" and again.http_status == 304 and not again.entries
    assert again.etag == first.etag
    by_date = fetch(feed_fake, session=session, modified=first.modified)
    assert by_date.status == "not_modified"
    sent = feed_fake.requests[-2]["headers"]
    assert sent["If-None-Match"] == first.etag and sent["If-Modified-Since"] == first.modified


def test_new_item_changes_the_validators(feed_fake, session) -> None:
    first = fetch(feed_fake, session=session)
    feed_fake.add_item(
        "seoul-news-0009", "새 기사", "<p>본문</p>", "Tue, 04 Mar 2025 12:00:00 +0900"
    )
    again = fetch(feed_fake, session=session, etag=first.etag, modified=first.modified)
    assert again.status == "ok" and again.etag != first.etag
    new = {p["id"] for p in map_feed(again)[0]} - {p["id"] for p in map_feed(first)[0]}
    assert len(new) == 1


def test_atom_and_euc_kr(feed_fake, session) -> None:
    atom, _ = map_feed(fetch(feed_fake, "/atom.xml", session=session), channel="blog")
    assert [p["channel"] for p in atom] == ["blog", "blog"]
    assert atom[0]["created_at"] == "2025-03-03T01:00:00+00:00"
    assert atom[0]["text"] == "한강 야간 드론쇼 일정 발표\n한강공원에서 드론쇼가 열린다 🎆"
    assert atom[0]["author"] == "서울시"
    euckr, _ = map_feed(fetch(feed_fake, "/euckr.xml", session=session))
    assert euckr[0]["text"].startswith("서울시, 따릉이 대여소")


def test_transient_faults_are_retried(feed_fake, session) -> None:
    feed_fake.fail_next("/rss.xml", 503, "slow", 502)
    result = fetch(
        feed_fake,
        session=session,
        backoff=Backoff(max_attempts=4, base_s=0.005, cap_s=0.02, seed=1),
    )
    assert result.status == "ok"
    assert len(feed_fake.requests) == 4


def test_hard_failures_are_feed_errors(feed_fake, session) -> None:
    with pytest.raises(FeedError, match="HTTP 404"):
        fetch(feed_fake, "/gone.xml", session=session)
    with pytest.raises(FeedError, match="not an RSS/Atom feed"):
        fetch(feed_fake, "/broken.xml", session=session)
    feed_fake.fail_next("/rss.xml", 503, 503, 503)
    with pytest.raises(FeedError, match="gave up after 3 attempts"):
        fetch(feed_fake, session=session)


def test_map_entry_ids_are_stable_hashes() -> None:
    e = {"id": "tag:a", "title": "제목", "summary": "<b>요약</b>", "published": "2025-03-03"}
    a, b = map_entry(e, "http://f/"), map_entry(dict(e, title="고친 제목"), "http://f/")
    assert a["id"] == b["id"] and len(a["id"]) == 24
    assert a["created_at"] == "2025-03-02T15:00:00+00:00"
    link_only = map_entry(
        {"link": "/a/1", "title": "t", "updated": "2025-03-03T00:00:00Z"},
        "http://site.example/rss",
    )
    assert link_only["url"] == "http://site.example/a/1"
    with pytest.raises(EntryMappingError, match="no id, guid or link"):
        map_entry({"title": "t", "published": "2025-03-03"}, "http://f/")
    with pytest.raises(EntryMappingError, match="unreadable date"):
        map_entry({"id": "x", "title": "t", "published": "지난주"}, "http://f/")


def test_map_entry_on_feedparser_output_is_pure() -> None:
    parsed = feedparser.parse(
        "<rss version='2.0'><channel><item><guid>g1</guid><title>A &amp; B</title>"
        "<description>&lt;p&gt;첫줄&lt;br&gt;둘째줄&lt;/p&gt;</description>"
        "<pubDate>Mon, 03 Mar 2025 09:00:00 +0900</pubDate></item></channel></rss>"
    )
    entry = parsed.entries[0]
    before = repr(entry)
    post = map_entry(entry, "http://f/")
    assert post["text"] == "A & B\n첫줄\n둘째줄" and repr(entry) == before
    assert isinstance(entry["published_parsed"], time.struct_time)


def test_strip_html() -> None:
    assert strip_html("<p>a&nbsp;b</p><style>x{}</style><ul><li>하나</li><li>둘</li></ul>") == (
        "a b\n하나\n둘"
    )

"""RSS/Atom feeds: conditional GET with our retries (requests), parsing by feedparser, pure mapper."""

from __future__ import annotations

import calendar
import hashlib
import html
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import feedparser
import requests

from pipeline.schema import SEOUL_TZ
from pipeline.sources.http import DEFAULT_TIMEOUT, Backoff, RetriesExhausted, get_with_retries

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "news"
USER_AGENT = "minsim-feeds/0.1 (+https://github.com/; Seoul civic opinion monitoring)"

# Dates feedparser cannot read but Korean sites use; a time without offset is Seoul time.
_LOCAL_DATE_FORMATS = (
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d",
    "%Y-%m-%d",
    "%Y년 %m월 %d일 %H:%M",
    "%Y년 %m월 %d일",
)


class FeedError(Exception):
    """The feed could not be fetched or is not a feed at all."""


class EntryMappingError(ValueError):
    """An entry that cannot become a canonical post; `reason` goes to the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedResult:
    """One fetch: entries as feedparser parsed them, the raw body, and validators for next time."""

    url: str
    status: Literal["ok", "not_modified"]
    http_status: int
    etag: str | None
    modified: str | None
    entries: list[Mapping] = field(default_factory=list)
    content: bytes = b""
    title: str | None = None
    language: str | None = None
    bozo: str | None = None


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    modified: str | None = None,
    session: requests.Session,
    backoff: Backoff | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> FeedResult:
    """GET `url` conditionally (If-None-Match / If-Modified-Since) and parse it.

    A 304 gives `status="not_modified"` and no entries. Timeouts, resets, 429 and 5xx are
    retried with backoff; `FeedError` when that fails, on other HTTP errors, or when the body is
    not a feed.
    """
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, "
        "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
    }
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        response = get_with_retries(
            session, url, headers=headers, timeout=timeout, backoff=backoff
        )
    except RetriesExhausted as exc:
        raise FeedError(str(exc)) from None
    if response.status_code == 304:
        return FeedResult(
            url=url,
            status="not_modified",
            http_status=304,
            etag=response.headers.get("ETag") or etag,
            modified=response.headers.get("Last-Modified") or modified,
        )
    if not 200 <= response.status_code < 300:
        raise FeedError(f"{url}: HTTP {response.status_code} {response.reason}")
    # feedparser works out the encoding from these headers and the XML prolog (EUC-KR feeds).
    parsed = feedparser.parse(
        response.content,
        response_headers={k.lower(): v for k, v in response.headers.items()}
        | {"content-location": response.url},
    )
    bozo = repr(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url}: not an RSS/Atom feed ({bozo or 'no entries'})")
    if bozo:
        log.warning("feed %s is not well-formed (%s); keeping what parsed", url, bozo)
    feed = parsed.get("feed", {})
    return FeedResult(
        url=url,
        status="ok",
        http_status=response.status_code,
        etag=response.headers.get("ETag"),
        modified=response.headers.get("Last-Modified"),
        entries=list(parsed.entries),
        content=response.content,
        title=feed.get("title"),
        language=feed.get("language"),
        bozo=bozo,
    )


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(value: str) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace tidied."""
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    text = html.unescape("".join(extractor.parts)).replace("\xa0", " ")
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _local_time(text: str) -> datetime | None:
    for fmt in _LOCAL_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(SEOUL_TZ))
        except ValueError:
            continue
    return None


def _entry_time(entry: Mapping) -> str:
    """created_at (UTC ISO) from published, else updated; Korean local formats are Seoul time."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        text = raw.strip() if isinstance(raw, str) else ""
        # feedparser's lenient date guessing misreads "2025.03.03 14:20" (as 2025-11-01), so
        # our exact local formats win over its *_parsed value.
        when = _local_time(text) if text else None
        if when is None:
            parsed = entry.get(f"{key}_parsed")
            if isinstance(parsed, time.struct_time):  # feedparser gives these in UTC
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
        if when is None and text:
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                raise EntryMappingError(f"unreadable date {key}={text!r:.60}") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=ZoneInfo(SEOUL_TZ))
        if when is not None:
            return when.astimezone(UTC).isoformat()
    raise EntryMappingError("no published/updated date")


def entry_id(entry: Mapping) -> str:
    """Stable id: a hash of the entry's id/guid, else its link."""
    for key in ("id", "guid", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return hashlib.sha256(value.strip().encode("utf-8")).hexdigest()[:24]
    raise EntryMappingError("entry has no id, guid or link")


def map_entry(
    entry: Mapping, feed_url: str, *, channel: str = DEFAULT_CHANNEL, lang: str | None = None
) -> dict:
    """One feedparser entry -> a canonical post dict (text = title + summary, HTML stripped).

    Pure; raises `EntryMappingError` when there is no id/link, no readable date or no text.
    """
    if not isinstance(entry, Mapping):
        raise EntryMappingError(f"entry is a {type(entry).__name__}, not a mapping")
    post_id = entry_id(entry)
    created_at = _entry_time(entry)
    title = strip_html(entry.get("title") or "") if isinstance(entry.get("title"), str) else ""
    body = entry.get("summary")
    if not isinstance(body, str) or not body.strip():
        contents = entry.get("content")
        body = ""
        if isinstance(contents, list) and contents and isinstance(contents[0], Mapping):
            body = contents[0].get("value") or ""
    summary = strip_html(body) if isinstance(body, str) else ""
    if summary.startswith(title) and title:
        summary = summary[len(title) :].strip()  # many feeds repeat the headline
    text = "\n".join(part for part in (title, summary) if part)
    if not text:
        raise EntryMappingError("entry has no title or summary")
    author = entry.get("author")
    link = entry.get("link")
    if isinstance(link, str) and link:
        link = urljoin(feed_url, link.strip())  # some feeds give site-relative links
    entry_lang = entry.get("language") or lang
    return {
        "id": post_id,
        "channel": channel,
        "created_at": created_at,
        "text": text,
        "author": author if isinstance(author, str) and author else None,
        "author_followers": None,
        "likes": None,
        "shares": None,
        "replies": None,
        "views": None,
        "reply_to": None,
        "repost_of": None,
        "quote_of": None,
        "url": link if isinstance(link, str) and link else None,
        "lang": entry_lang if isinstance(entry_lang, str) else None,
        "place": None,
    }


def jsonable_entry(entry: Mapping) -> dict:
    """A JSON-safe copy of a feedparser entry (struct_time -> ISO string) for raw storage."""

    def conv(value: object) -> object:
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
        if isinstance(value, Mapping):
            return {str(k): conv(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [conv(v) for v in value]
        return value if isinstance(value, str | int | float | bool | None) else str(value)

    return conv(entry)  # type: ignore[return-value]


def map_feed(
    result: FeedResult, *, channel: str = DEFAULT_CHANNEL
) -> tuple[list[dict], list[dict]]:
    """(posts, quarantined) of one fetch.

    Posts carry `raw` = {"feed_url", "entry"} (JSON-safe); quarantined items are
    {"payload": raw, "reason": str}. An entry repeated within the feed is kept once.
    """
    posts: list[dict] = []
    quarantined: list[dict] = []
    seen: set[str] = set()
    for entry in result.entries:
        raw = {"feed_url": result.url, "entry": jsonable_entry(entry)}
        try:
            post = map_entry(entry, result.url, channel=channel, lang=result.language)
        except EntryMappingError as exc:
            quarantined.append({"payload": raw, "reason": exc.reason})
            continue
        if post["id"] in seen:
            continue
        seen.add(post["id"])
        post["raw"] = raw
        posts.append(post)
    return posts, quarantined

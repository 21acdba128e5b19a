"""X (Twitter) API v2 recent search through tweepy: paging, retries, cursor, and a pure mapper.

Layers (STYLE §4):
- `make_x_client` builds a real `tweepy.Client` whose requests go to `Settings.x_api_base`.
- `fetch_x` does I/O only: pages through one window, retries transient faults and yields `XPage`s
  (the payload as returned plus the token that continues after it).
- `map_post` is pure: one raw tweet + the page's `includes` -> one canonical post dict.
- `collect_x` is the ingest loop: it maps each page and hands posts, quarantined payloads and the
  advanced `XCursor` to `on_page`, which stores them in one transaction. A cursor is only ever
  handed over together with the posts of the page it moves past, so no post can be skipped.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import orjson
import requests
import tweepy

from pipeline.schema import SEOUL_TZ
from pipeline.sources.http import DEFAULT_TIMEOUT, Backoff, BaseUrlSession, prefetch

log = logging.getLogger(__name__)

CHANNEL = "x"

XAUTH_MESSAGE = (
    "X API rejected the bearer token (401): "
    "set MINSIM_X_BEARER_TOKEN or the Airflow connection minsim_x"
)
XNOTOKEN_MESSAGE = (
    "no X API bearer token: set MINSIM_X_BEARER_TOKEN or the Airflow connection minsim_x"
)

EXPANSIONS = ("author_id", "referenced_tweets.id", "geo.place_id", "attachments.media_keys")
TWEET_FIELDS = (
    "id",
    "text",
    "created_at",
    "author_id",
    "lang",
    "public_metrics",
    "referenced_tweets",
    "conversation_id",
    "in_reply_to_user_id",
    "entities",
    "geo",
    "attachments",
    "possibly_sensitive",
    "note_tweet",
    "edit_history_tweet_ids",
)
USER_FIELDS = ("username", "name", "public_metrics", "verified", "created_at", "location")
PLACE_FIELDS = ("full_name", "name", "country_code", "place_type", "geo")
MEDIA_FIELDS = ("type", "url", "preview_image_url", "alt_text", "duration_ms")

_REFERENCE_FIELDS = {"replied_to": "reply_to", "retweeted": "repost_of", "quoted": "quote_of"}

Status = Literal["complete", "rate_limited", "interrupted"]


# --------------------------------------------------------------------------- errors


class XError(Exception):
    """Base class of X connector errors."""


class XAuthError(XError):
    """The API rejected (or we lack) the bearer token; retrying will not help."""

    def __init__(self, message: str = XAUTH_MESSAGE) -> None:
        super().__init__(message)


class XApiError(XError):
    """The API refused the request itself (400/403/404 …); retrying will not help."""


class XRateLimited(XError):
    """Rate limited for longer than we are willing to wait; resume after `reset_at`."""

    def __init__(self, reset_at: datetime | None, attempts: int = 0) -> None:
        when = reset_at.isoformat() if reset_at else "an unknown time"
        super().__init__(f"rate limited by the X API until {when}; resume later")
        self.reset_at = reset_at
        self.attempts = attempts


class XFetchInterrupted(XError):
    """A page kept failing (5xx, timeouts, malformed JSON, token loop); stop, keep the cursor."""

    def __init__(self, reason: str, attempts: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class MappingError(ValueError):
    """A raw tweet that cannot become a canonical post; `reason` goes to the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class XPolicy:
    """Knobs of `fetch_x`/`collect_x`; tests shrink the delays."""

    page_size: int = 100
    backoff: Backoff = field(default_factory=Backoff)
    #: 429 whose reset is at most this far away: sleep and go on; longer: stop, resume later.
    max_rate_limit_wait_s: float = 60.0
    rate_limit_margin_s: float = 1.0
    max_rate_limit_waits: int = 5
    #: extra tries of one page that came back malformed, truncated or looping.
    bad_page_retries: int = 2
    #: recent search rejects an end_time less than ~10 s in the past.
    min_window_lag_s: float = 10.0
    #: pages requested ahead (in a thread) while `collect_x` maps and stores the current one.
    prefetch_pages: int = 1
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)


@dataclass(frozen=True)
class XPage:
    """One page as returned: `payload` is the decoded JSON body, untouched."""

    payload: dict
    token: str | None
    next_token: str | None
    attempts: int = 1
    rate_limit_remaining: int | None = None
    rate_limit_reset: int | None = None


@dataclass(frozen=True)
class XCursor:
    """Where the collection of one (query, window) stands.

    `next_token` continues an unfinished pass. `since_id` is the `since_id` sent while paging
    (constant during a pass, since a next_token is only valid with the parameters that made it);
    when a pass completes it becomes the newest id collected, so re-running a complete window
    asks only for newer posts. `newest_id` carries the newest id of an unfinished pass across
    runs (optional to persist: without it a resumed pass just re-asks for a few known posts).
    """

    query: str
    window_start: datetime
    window_end: datetime
    since_id: str | None = None
    next_token: str | None = None
    complete: bool = False
    newest_id: str | None = None


@dataclass(frozen=True)
class XCollectResult:
    status: Status
    cursor: XCursor
    pages: int = 0
    posts: int = 0
    duplicates: int = 0
    quarantined: int = 0
    attempts: int = 0
    reason: str | None = None
    resume_at: datetime | None = None


@dataclass(frozen=True)
class XIncludes:
    """`includes` of one page indexed by id."""

    users: Mapping[str, Mapping] = field(default_factory=dict)
    places: Mapping[str, Mapping] = field(default_factory=dict)
    tweets: Mapping[str, Mapping] = field(default_factory=dict)
    media: Mapping[str, Mapping] = field(default_factory=dict)


OnPage = Callable[[list[dict], list[dict], XCursor], None]


# --------------------------------------------------------------------------- client


def make_x_client(
    bearer_token: str | None,
    *,
    api_base: str = "https://api.twitter.com",
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> tweepy.Client:
    """A real `tweepy.Client` whose requests go to `api_base` (Settings.x_api_base).

    tweepy hard-codes https://api.twitter.com in `Client.request` but sends every request
    through `Client.session`, a documented, replaceable `requests.Session`; we put a
    `BaseUrlSession` there that rewrites the prefix and adds a timeout. The client returns the
    raw `requests.Response` so we decode (and judge) the JSON ourselves, and never sleeps on a
    rate limit by itself.
    """
    if not bearer_token:
        raise XAuthError(XNOTOKEN_MESSAGE)
    client = tweepy.Client(
        bearer_token=bearer_token, return_type=requests.Response, wait_on_rate_limit=False
    )
    client.session = BaseUrlSession(api_base, timeout=timeout)
    client.user_agent = f"{client.user_agent} minsim"
    return client


# --------------------------------------------------------------------------- fetch


def _window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    seoul = ZoneInfo(SEOUL_TZ)
    since = since if since.tzinfo else since.replace(tzinfo=seoul)
    until = until if until.tzinfo else until.replace(tzinfo=seoul)
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if since >= until:
        raise ValueError(f"empty window: since {since.isoformat()} >= until {until.isoformat()}")
    return since, until


def _header_int(response: requests.Response | None, name: str) -> int | None:
    if response is None:
        return None
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parse_page(result: object) -> tuple[dict | None, str | None, requests.Response | None]:
    """(payload, problem, response): problem says why a 200 page cannot be used."""
    response = result if isinstance(result, requests.Response) else None
    if response is not None:
        try:
            payload = orjson.loads(response.content)  # ~4x faster than json; same values
        except orjson.JSONDecodeError:
            try:  # what orjson refuses but JSON allows (integers beyond 64 bits)
                payload = response.json()
            except ValueError as exc:  # requests.JSONDecodeError
                return None, f"malformed JSON page ({exc})", response
    elif isinstance(result, dict):
        payload = result
    else:
        raise TypeError(
            "fetch_x needs a tweepy.Client returning requests.Response or dict "
            "(build it with make_x_client)"
        )
    if not isinstance(payload, dict):
        return None, f"page is a JSON {type(payload).__name__}, not an object", response
    meta = payload.get("meta")
    data = payload.get("data")
    if not isinstance(meta, dict):
        return None, "page has no meta object", response
    if data is not None and not isinstance(data, list):
        return None, f"page data is a {type(data).__name__}, not a list", response
    count = meta.get("result_count")
    if isinstance(count, int) and count > 0 and not data:
        return None, f"page says result_count={count} but has no data", response
    includes = payload.get("includes")
    if includes is not None and not isinstance(includes, dict):
        return None, "page includes is not an object", response
    token = meta.get("next_token")
    if token is not None and (not isinstance(token, str) or not token):
        return None, f"page next_token is not a string: {token!r}", response
    return payload, None, response


def fetch_x(
    client: tweepy.Client,
    *,
    query: str,
    since: datetime,
    until: datetime,
    since_id: str | None = None,
    next_token: str | None = None,
    policy: XPolicy | None = None,
) -> Iterator[XPage]:
    """Yield the pages of recent search for `query` in [since, until), newest first.

    Starts at `next_token` when given. Transient faults are retried here; what cannot be
    retried away ends the iteration with `XRateLimited`, `XFetchInterrupted`, `XAuthError` or
    `XApiError` — pages already yielded stay valid.
    """
    policy = policy or XPolicy()
    since, until = _window(since, until)
    latest = datetime.fromtimestamp(policy.clock(), UTC) - timedelta(
        seconds=policy.min_window_lag_s
    )
    if until > latest:
        raise ValueError(
            f"until {until.isoformat()} is too recent: recent search needs an end_time at least "
            f"{policy.min_window_lag_s:.0f} s in the past"
        )
    rng = policy.backoff.rng()
    requested: set[str | None] = set()
    token = next_token
    previous: XPage | None = None
    while True:
        if previous is not None and previous.rate_limit_remaining == 0:
            _respect_exhausted_quota(previous, policy)
        page = _fetch_page(
            client,
            query=query,
            since=since,
            until=until,
            since_id=since_id,
            token=token,
            requested=requested,
            policy=policy,
            rng=rng,
        )
        requested.add(token)
        yield page
        if page.next_token is None:
            return
        token = page.next_token
        previous = page


def _respect_exhausted_quota(page: XPage, policy: XPolicy) -> None:
    """The last response said 0 requests left: wait for the reset or stop before the 429."""
    if page.rate_limit_reset is None:
        return
    wait = page.rate_limit_reset - policy.clock() + policy.rate_limit_margin_s
    if wait > policy.max_rate_limit_wait_s:
        raise XRateLimited(datetime.fromtimestamp(page.rate_limit_reset, UTC))
    if wait > 0:
        log.info("X rate-limit quota used up; waiting %.1f s for the reset", wait)
        policy.backoff.sleep(wait)


def _fetch_page(
    client: tweepy.Client,
    *,
    query: str,
    since: datetime,
    until: datetime,
    since_id: str | None,
    token: str | None,
    requested: set[str | None],
    policy: XPolicy,
    rng,
) -> XPage:
    attempts = transient = bad = rate_waits = 0
    last = ""
    while True:
        attempts += 1
        problem: str | None = None
        try:
            result = client.search_recent_tweets(
                query,
                start_time=since,
                end_time=until,
                since_id=since_id,
                next_token=token,
                max_results=policy.page_size,
                expansions=list(EXPANSIONS),
                tweet_fields=list(TWEET_FIELDS),
                user_fields=list(USER_FIELDS),
                place_fields=list(PLACE_FIELDS),
                media_fields=list(MEDIA_FIELDS),
            )
        except tweepy.Unauthorized:
            raise XAuthError() from None
        except tweepy.TooManyRequests as exc:
            reset = exc.reset_time
            reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
            if reset is not None:
                wait = reset - policy.clock() + policy.rate_limit_margin_s
                if (
                    wait > policy.max_rate_limit_wait_s
                    or rate_waits >= policy.max_rate_limit_waits
                ):
                    raise XRateLimited(reset_at, attempts) from None
                rate_waits += 1
                log.info("X rate limit; waiting %.1f s for the reset", max(wait, 0.0))
                policy.backoff.sleep(max(wait, 0.0))
                continue
            transient += 1
            last = "HTTP 429 without x-rate-limit-reset"
            if transient >= policy.backoff.max_attempts:
                raise XRateLimited(None, attempts) from None
        except tweepy.TwitterServerError as exc:
            transient += 1
            last = f"HTTP {exc.response.status_code}"
        except tweepy.HTTPException as exc:
            status = getattr(exc.response, "status_code", "?")
            raise XApiError(f"X API refused the search ({status}): {exc}") from None
        except requests.JSONDecodeError as exc:  # a client with return_type=dict
            problem = f"malformed JSON page ({exc})"
        except requests.RequestException as exc:  # timeouts, resets, bodies cut short
            transient += 1
            last = f"{type(exc).__name__}: {exc}"
        else:
            payload, problem, response = _parse_page(result)
            if payload is not None:
                meta = payload["meta"]
                nxt = meta.get("next_token")
                if nxt is not None and (nxt == token or nxt in requested):
                    problem = "next_token loop: the page points back to a page already read"
                else:
                    return XPage(
                        payload=payload,
                        token=token,
                        next_token=nxt,
                        attempts=attempts,
                        rate_limit_remaining=_header_int(response, "x-rate-limit-remaining"),
                        rate_limit_reset=_header_int(response, "x-rate-limit-reset"),
                    )
        if problem is not None:
            bad += 1
            if bad > policy.bad_page_retries:
                raise XFetchInterrupted(f"{problem}; gave up after {bad} tries", attempts)
            delay = policy.backoff.delay(bad, rng)
            log.warning("X page unusable (%s); retrying in %.2f s", problem, delay)
        else:
            if transient >= policy.backoff.max_attempts:
                raise XFetchInterrupted(
                    f"X API kept failing ({last}); gave up after {transient} attempts", attempts
                )
            delay = policy.backoff.delay(transient, rng)
            log.warning("X request failed (%s); retry %d in %.2f s", last, transient, delay)
        policy.backoff.sleep(delay)


# --------------------------------------------------------------------------- map


def index_includes(includes: Mapping | XIncludes | None) -> XIncludes:
    """Index a page's `includes` by id (tolerates missing or odd-shaped parts)."""
    if isinstance(includes, XIncludes):
        return includes
    if not isinstance(includes, Mapping):
        return XIncludes()

    def by(key: str, id_field: str) -> dict[str, Mapping]:
        items = includes.get(key)
        if not isinstance(items, list):
            return {}
        return {
            str(item[id_field]): item
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get(id_field), str | int)
        }

    return XIncludes(
        users=by("users", "id"),
        places=by("places", "id"),
        tweets=by("tweets", "id"),
        media=by("media", "media_key"),
    )


def _id(value: object, name: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise MappingError(f"missing {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MappingError(f"{name}: expected a string id, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        if required:
            raise MappingError(f"empty {name}")
        return None
    return text


def _count(metrics: Mapping, key: str, where: str) -> int | None:
    value = metrics.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MappingError(f"{where}.{key}: expected a count, got {value!r:.40}")
    return value


def _created_at(value: object) -> str:
    if value is None:
        raise MappingError("missing created_at")
    if not isinstance(value, str):
        raise MappingError(f"created_at: expected an ISO 8601 string, got {type(value).__name__}")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MappingError(f"created_at: not ISO 8601: {value!r:.40}") from None
    if when.tzinfo is None:  # X always sends UTC ("…Z"); a bare time means Seoul (interfaces.md)
        when = when.replace(tzinfo=ZoneInfo(SEOUL_TZ))
    return when.astimezone(UTC).isoformat()


def map_post(raw_tweet: Mapping, includes: Mapping | XIncludes | None = None) -> dict:
    """One raw API tweet (+ its page's `includes`) -> a canonical post dict (interfaces.md).

    Pure. Raises `MappingError` when id, text or created_at is missing or of the wrong type, or a
    count is not a count. Fields the API did not send are None.
    """
    if not isinstance(raw_tweet, Mapping):
        raise MappingError(f"tweet is a {type(raw_tweet).__name__}, not an object")
    inc = index_includes(includes)
    tweet_id = _id(raw_tweet.get("id"), "id", required=True)

    text = raw_tweet.get("text")
    note = raw_tweet.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str) and note["text"].strip():
        text = note["text"]  # posts over 280 characters: `text` is cut, the note holds it all
    if text is None:
        raise MappingError("missing text")
    if not isinstance(text, str):
        raise MappingError(f"text: expected a string, got {type(text).__name__}")
    if not text.strip():
        raise MappingError("empty text")

    created_at = _created_at(raw_tweet.get("created_at"))

    author_id = _id(raw_tweet.get("author_id"), "author_id", required=False)
    user = inc.users.get(author_id) if author_id else None
    username = user.get("username") if user else None
    username = username if isinstance(username, str) and username else None
    followers = None
    if user and isinstance(user.get("public_metrics"), Mapping):
        followers = _count(user["public_metrics"], "followers_count", "user.public_metrics")

    metrics = raw_tweet.get("public_metrics")
    if metrics is None:
        metrics = {}
    elif not isinstance(metrics, Mapping):
        raise MappingError(f"public_metrics: expected an object, got {type(metrics).__name__}")
    retweets = _count(metrics, "retweet_count", "public_metrics")
    quotes = _count(metrics, "quote_count", "public_metrics")
    shares = None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0)

    refs: dict[str, str | None] = dict.fromkeys(_REFERENCE_FIELDS.values())
    referenced = raw_tweet.get("referenced_tweets")
    if referenced is not None and not isinstance(referenced, list):
        raise MappingError("referenced_tweets: expected a list")
    for ref in referenced or ():
        if isinstance(ref, Mapping) and ref.get("type") in _REFERENCE_FIELDS:
            refs[_REFERENCE_FIELDS[ref["type"]]] = _id(
                ref.get("id"), "referenced id", required=False
            )

    place = None
    geo = raw_tweet.get("geo")
    if isinstance(geo, Mapping) and geo.get("place_id") is not None:
        found = inc.places.get(str(geo["place_id"]))
        if found and isinstance(found.get("full_name"), str):
            place = found["full_name"]

    lang = raw_tweet.get("lang")
    return {
        "id": tweet_id,
        "channel": CHANNEL,
        "created_at": created_at,
        "text": text,
        "author": username or author_id,
        "author_followers": followers,
        "likes": _count(metrics, "like_count", "public_metrics"),
        "shares": shares,
        "replies": _count(metrics, "reply_count", "public_metrics"),
        "views": _count(metrics, "impression_count", "public_metrics"),
        **refs,
        "url": f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        "lang": lang if isinstance(lang, str) else None,
        "place": place,
    }


def raw_record(raw_tweet: Mapping, includes: XIncludes) -> dict:
    """The raw tweet plus the `includes` it needs, so `map_post` can be re-run on it alone."""
    related: dict[str, list] = {}
    author = includes.users.get(str(raw_tweet.get("author_id")))
    if author:
        related["users"] = [author]
    geo = raw_tweet.get("geo")
    if isinstance(geo, Mapping) and str(geo.get("place_id")) in includes.places:
        related["places"] = [includes.places[str(geo["place_id"])]]
    refs = raw_tweet.get("referenced_tweets")
    if isinstance(refs, list):
        tweets = [
            includes.tweets[str(r.get("id"))]
            for r in refs
            if isinstance(r, Mapping) and str(r.get("id")) in includes.tweets
        ]
        if tweets:
            related["tweets"] = tweets
    attachments = raw_tweet.get("attachments")
    if isinstance(attachments, Mapping) and isinstance(attachments.get("media_keys"), list):
        media = [includes.media[k] for k in attachments["media_keys"] if k in includes.media]
        if media:
            related["media"] = media
    return {"tweet": dict(raw_tweet), "includes": related}


def map_page(
    payload: Mapping, *, seen: set[str] | None = None
) -> tuple[list[dict], list[dict], int]:
    """(posts, quarantined, duplicates) of one page; what is in `seen` is skipped, then added.

    Each post is `map_post`'s dict plus `raw` (see `raw_record`); each quarantined item is
    {"payload": raw tweet, "reason": str}.
    """
    seen = set() if seen is None else seen
    includes = index_includes(payload.get("includes"))
    posts: list[dict] = []
    quarantined: list[dict] = []
    duplicates = 0
    for raw in payload.get("data") or ():
        try:
            post = map_post(raw, includes)
        except MappingError as exc:
            # A payload served twice (overlapping pages) is quarantined once per run.
            key = "bad:" + json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
            if key not in seen:
                seen.add(key)
                quarantined.append({"payload": raw, "reason": exc.reason})
            continue
        if post["id"] in seen:
            duplicates += 1
            continue
        seen.add(post["id"])
        post["raw"] = raw_record(raw, includes)
        posts.append(post)
    return posts, quarantined, duplicates


# --------------------------------------------------------------------------- collect


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two tweet ids (numeric strings)."""
    if a is None or b is None:
        return a if b is None else b
    try:
        return a if int(a) >= int(b) else b
    except ValueError:
        return a


def _page_newest(payload: Mapping, posts: list[dict]) -> str | None:
    newest = payload.get("meta", {}).get("newest_id")
    if isinstance(newest, str) and newest.isdigit():
        return newest
    found: str | None = None
    for post in posts:
        found = _newer(found, post["id"])
    return found


def collect_x(
    client: tweepy.Client,
    *,
    query: str,
    since: datetime,
    until: datetime,
    cursor: XCursor | None,
    on_page: OnPage,
    policy: XPolicy | None = None,
) -> XCollectResult:
    """Collect [since, until) for `query`, resuming from `cursor`; hand each page to `on_page`.

    `on_page(posts, quarantined, cursor)` must store posts and cursor together (one
    transaction): the cursor it receives already points past those posts. If it raises, the
    error propagates and the previous cursor stays the valid one. A complete cursor re-runs the
    window only for posts newer than its `since_id`. Returns the outcome; raises `XAuthError`
    (bad token) or `XApiError` (request refused).
    """
    since, until = _window(since, until)
    if cursor is None:
        cursor = XCursor(query=query, window_start=since, window_end=until)
    elif (cursor.query, _window(cursor.window_start, cursor.window_end)) != (
        query,
        (since, until),
    ):
        raise ValueError(
            f"cursor is for {cursor.query!r} [{cursor.window_start}, {cursor.window_end}), "
            f"not {query!r} [{since}, {until})"
        )
    start_token = None if cursor.complete else cursor.next_token
    newest = None if cursor.complete or start_token is None else cursor.newest_id
    seen: set[str] = set()
    pages = posts_n = duplicates = quarantined_n = attempts = 0
    status: Status = "complete"
    reason: str | None = None
    resume_at: datetime | None = None
    policy = policy or XPolicy()
    pages_ahead = fetch_x(
        client,
        query=query,
        since=since,
        until=until,
        since_id=cursor.since_id,
        next_token=start_token,
        policy=policy,
    )
    try:
        for page in prefetch(pages_ahead, policy.prefetch_pages):
            posts, quarantined, dups = map_page(page.payload, seen=seen)
            if page.token is None:
                newest = _page_newest(page.payload, posts)
            else:
                newest = _newer(newest, _page_newest(page.payload, posts))
            done = page.next_token is None
            cursor = replace(
                cursor,
                next_token=page.next_token,
                complete=done,
                since_id=_newer(cursor.since_id, newest) if done else cursor.since_id,
                newest_id=None if done else newest,
            )
            on_page(posts, quarantined, cursor)
            pages += 1
            posts_n += len(posts)
            duplicates += dups
            quarantined_n += len(quarantined)
            attempts += page.attempts
    except XRateLimited as exc:
        status, reason, resume_at = "rate_limited", str(exc), exc.reset_at
        attempts += exc.attempts
    except XFetchInterrupted as exc:
        status, reason = "interrupted", exc.reason
        attempts += exc.attempts
    if status != "complete":
        log.warning("X collection of %r stopped (%s); cursor kept for resume", query, reason)
    return XCollectResult(
        status=status,
        cursor=cursor,
        pages=pages,
        posts=posts_n,
        duplicates=duplicates,
        quarantined=quarantined_n,
        attempts=attempts,
        reason=reason,
        resume_at=resume_at,
    )

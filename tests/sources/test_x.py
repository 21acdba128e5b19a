"""X connector: real tweepy client against a real local fake API, one test per fault."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import tweepy

from pipeline.sources.http import BaseUrlSession, prefetch
from pipeline.sources.x import (
    XAUTH_MESSAGE,
    MappingError,
    XApiError,
    XAuthError,
    XCursor,
    collect_x,
    fetch_x,
    make_x_client,
    map_page,
    map_post,
)
from tests.sources.conftest import TEST_TOKEN, fast_policy
from tests.sources.fake_x_server import (
    EXPECTED_STATUSES,
    SCENARIOS,
    WINDOW_END,
    WINDOW_START,
    MemoryStore,
    run_scenario,
)

QUERY = "#서울시 OR 서울시 정책"


# --------------------------------------------------------------------------- routing


def test_base_url_session_rewrites_only_the_api_prefix() -> None:
    s = BaseUrlSession("http://127.0.0.1:9/")
    assert s.rewrite_url("https://api.twitter.com/2/tweets/search/recent?q=1") == (
        "http://127.0.0.1:9/2/tweets/search/recent?q=1"
    )
    assert s.rewrite_url("https://api.x.com/2/users/me") == "http://127.0.0.1:9/2/users/me"
    assert s.rewrite_url("https://api.twitter.com.evil.example/2") == (
        "https://api.twitter.com.evil.example/2"
    )
    assert s.rewrite_url("https://upload.twitter.com/1.1/media") == (
        "https://upload.twitter.com/1.1/media"
    )


def test_real_tweepy_client_reaches_the_configured_base(x_fake, x_client) -> None:
    assert isinstance(x_client, tweepy.Client)
    response = x_client.search_recent_tweets(
        QUERY, start_time=WINDOW_START, end_time=WINDOW_END, max_results=10
    )
    assert isinstance(response, requests.Response) and response.status_code == 200
    assert response.url.startswith(x_fake.url + "/2/tweets/search/recent?")
    sent = x_fake.requests[-1]["params"]
    assert sent["start_time"] == "2025-03-03T00:00:00Z" and sent["max_results"] == "10"


def test_missing_token_is_one_clear_error() -> None:
    with pytest.raises(XAuthError, match="MINSIM_X_BEARER_TOKEN"):
        make_x_client(None, api_base="http://127.0.0.1:9")


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_fault_collects_each_post_exactly_once(scenario, x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, scenario, policy=fast_policy())
    assert tuple(report.statuses) == EXPECTED_STATUSES[scenario]
    assert report.expected, "the window should hold posts"
    assert report.missing == set()
    assert report.unexpected == set()
    assert report.store.redelivered == 0
    assert len(report.store.quarantine) == report.invalid > 0
    assert report.store.cursor.complete and report.store.cursor.next_token is None
    assert report.ok


def test_long_rate_limit_stops_and_resumes_from_the_saved_cursor(x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, "rate_limit_long", policy=fast_policy())
    first = report.results[0]
    assert first.status == "rate_limited" and first.pages == 2
    assert first.resume_at is not None
    assert first.resume_at > datetime.now(UTC) + timedelta(minutes=10)
    assert first.cursor.next_token and not first.cursor.complete
    second_run_first_request = report.run_requests[1][0]["params"]
    assert second_run_first_request["next_token"] == first.cursor.next_token
    assert report.ok


def test_short_rate_limit_is_waited_out(x_fake, x_client) -> None:
    t0 = time.perf_counter()
    report = run_scenario(x_fake, x_client, "rate_limit_short", policy=fast_policy())
    assert report.statuses == ["complete"]
    assert [r["status"] for r in report.run_requests[0]].count(429) == 1
    assert time.perf_counter() - t0 < 3.5


def test_expired_token_raises_the_documented_message(x_fake, x_client) -> None:
    x_fake.set_scenario("expired_token")
    store = MemoryStore()
    with pytest.raises(XAuthError) as info:
        collect_x(
            x_client,
            query=QUERY,
            since=WINDOW_START,
            until=WINDOW_END,
            cursor=None,
            on_page=store.on_page,
            policy=fast_policy(),
        )
    assert str(info.value) == XAUTH_MESSAGE
    assert store.pages == 2 and store.cursor.next_token  # what was stored stays resumable


def test_persistent_loop_never_spins(x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, "token_loop", policy=fast_policy())
    looping = report.run_requests[1]
    assert len(looping) == 1 + fast_policy().bad_page_retries  # tries the page, then stops
    assert "loop" in report.results[1].reason


def test_deleted_posts_are_just_missing(x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, "deleted_between_pages", policy=fast_policy())
    assert x_fake.deleted and not (x_fake.deleted & report.stored)
    assert report.ok


def test_overlapping_pages_are_deduplicated_in_the_run(x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, "overlapping_pages", policy=fast_policy())
    assert report.results[0].duplicates > 0
    assert report.store.redelivered == 0


def test_prefetch_keeps_order_and_raises_where_the_items_stopped() -> None:
    def pages():
        yield from range(5)
        raise XApiError("refused")

    got: list[int] = []
    with pytest.raises(XApiError, match="refused"):
        got.extend(prefetch(pages(), depth=2))
    assert got == [0, 1, 2, 3, 4]
    assert list(prefetch(iter(range(3)), depth=0)) == [0, 1, 2]


def test_prefetch_stops_its_thread_when_the_caller_stops() -> None:
    import threading

    made = []

    def endless():
        for i in itertools.count():
            made.append(i)
            yield i

    def prefetchers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "minsim-prefetch"]

    before = prefetchers()
    for item in prefetch(endless(), depth=1):
        if item == 3:
            assert len(prefetchers()) == len(before) + 1  # its thread is running
            break
    # joined when the loop ended (other tests' server threads may come and go meanwhile)
    assert prefetchers() == before
    assert len(made) <= 3 + 1 + 2  # at most depth + the item in the making beyond what was taken


@pytest.mark.parametrize("pages_ahead", [0, 1, 3])
def test_prefetched_collection_equals_the_plain_one(pages_ahead, x_fake, x_client) -> None:
    store = MemoryStore()
    result = collect_x(x_client, query=QUERY, since=WINDOW_START, until=WINDOW_END, cursor=None,
                       on_page=store.on_page, policy=fast_policy(prefetch_pages=pages_ahead))
    assert result.status == "complete"
    assert set(store.posts) == x_fake.expected_ids() and store.redelivered == 0


def test_storage_failure_keeps_the_previous_cursor(x_fake, x_client) -> None:
    store = MemoryStore()
    calls = {"n": 0}

    def flaky(posts, quarantined, cursor):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        store.on_page(posts, quarantined, cursor)

    with pytest.raises(RuntimeError, match="disk full"):
        collect_x(
            x_client,
            query=QUERY,
            since=WINDOW_START,
            until=WINDOW_END,
            cursor=None,
            on_page=flaky,
            policy=fast_policy(),
        )
    assert store.pages == 2
    result = collect_x(
        x_client,
        query=QUERY,
        since=WINDOW_START,
        until=WINDOW_END,
        cursor=store.cursor,
        on_page=store.on_page,
        policy=fast_policy(),
    )
    assert result.status == "complete"
    assert set(store.posts) == x_fake.expected_ids() and store.redelivered == 0


def test_complete_window_rerun_asks_only_for_newer_posts(x_fake, x_client) -> None:
    store = MemoryStore()
    kw = {"query": QUERY, "since": WINDOW_START, "until": WINDOW_END, "policy": fast_policy()}
    first = collect_x(x_client, cursor=None, on_page=store.on_page, **kw)
    assert first.status == "complete"
    newest = max(store.posts, key=int)
    assert first.cursor.since_id == newest
    n_req = len(x_fake.requests)
    again = collect_x(x_client, cursor=first.cursor, on_page=store.on_page, **kw)
    assert again.status == "complete" and again.posts == 0 and again.pages == 1
    assert x_fake.requests[n_req]["params"]["since_id"] == newest
    assert again.cursor.since_id == newest and store.redelivered == 0


def test_resumed_pass_keeps_since_id_constant_and_newest_for_completion(x_fake, x_client) -> None:
    report = run_scenario(x_fake, x_client, "server_errors_persistent", policy=fast_policy())
    first = report.results[0].cursor
    assert first.since_id is None and first.newest_id == max(report.stored, key=int)
    assert "since_id" not in report.run_requests[1][0]["params"]
    assert report.store.cursor.since_id == max(report.stored, key=int)


def test_cursor_for_another_window_is_refused(x_client) -> None:
    cursor = XCursor(QUERY, WINDOW_START, WINDOW_END - timedelta(hours=1))
    with pytest.raises(ValueError, match="cursor is for"):
        collect_x(
            x_client,
            query=QUERY,
            since=WINDOW_START,
            until=WINDOW_END,
            cursor=cursor,
            on_page=lambda *a: None,
        )


def test_window_must_end_in_the_past(x_client) -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="too recent"):
        next(fetch_x(x_client, query=QUERY, since=now - timedelta(hours=1), until=now))


def test_refused_request_is_not_retried(x_fake, x_client) -> None:
    with pytest.raises(XApiError, match="400"):
        next(
            fetch_x(
                x_client,
                query=QUERY,
                since=WINDOW_START,
                until=WINDOW_END,
                policy=fast_policy(page_size=5),
            )
        )
    assert len(x_fake.requests) == 1


def test_fetch_yields_raw_pages_with_their_tokens(x_fake, x_client) -> None:
    pages = list(
        fetch_x(
            x_client,
            query=QUERY,
            since=WINDOW_START,
            until=WINDOW_END,
            policy=fast_policy(page_size=100),
        )
    )
    assert pages[0].token is None and pages[-1].next_token is None
    assert all(a.next_token == b.token for a, b in itertools.pairwise(pages))
    assert {"data", "includes", "meta"} <= set(pages[0].payload)


# --------------------------------------------------------------------------- map_post

INCLUDES = {
    "users": [
        {
            "id": "42",
            "username": "seoul_citizen_001",
            "name": "서울시민",
            "public_metrics": {"followers_count": 1234},
        }
    ],
    "places": [{"id": "p1", "full_name": "Mapo-gu, Republic of Korea"}],
    "tweets": [{"id": "7", "text": "원글"}],
}
TWEET = {
    "id": "1897000000000000001",
    "text": "마포구 소각장 반대 🚇𠀀 #서울시 @seoulcity ㅋㅋ",
    "created_at": "2025-03-03T01:02:03.000Z",
    "author_id": "42",
    "lang": "ko",
    "public_metrics": {
        "retweet_count": 3,
        "reply_count": 2,
        "like_count": 10,
        "quote_count": 1,
        "impression_count": 999,
    },
    "referenced_tweets": [{"type": "quoted", "id": "7"}, {"type": "replied_to", "id": "6"}],
    "geo": {"place_id": "p1"},
    "future_field": {"x": 1},
}


def test_map_post_full_tweet() -> None:
    post = map_post(TWEET, INCLUDES)
    assert post == {
        "id": "1897000000000000001",
        "channel": "x",
        "created_at": "2025-03-03T01:02:03+00:00",
        "text": "마포구 소각장 반대 🚇𠀀 #서울시 @seoulcity ㅋㅋ",
        "author": "seoul_citizen_001",
        "author_followers": 1234,
        "likes": 10,
        "shares": 4,
        "replies": 2,
        "views": 999,
        "reply_to": "6",
        "repost_of": None,
        "quote_of": "7",
        "url": "https://x.com/seoul_citizen_001/status/1897000000000000001",
        "lang": "ko",
        "place": "Mapo-gu, Republic of Korea",
    }
    assert TWEET["future_field"] == {"x": 1}  # input untouched


def test_map_post_long_post_uses_note_tweet_and_missing_user_falls_back_to_id() -> None:
    long = "서울시 정책 제안 " * 500
    post = map_post(dict(TWEET, author_id="99", note_tweet={"text": long}, text=long[:280]), {})
    assert post["text"] == long and post["author"] == "99" and post["author_followers"] is None
    assert post["url"].startswith("https://x.com/i/web/status/")
    assert post["place"] is None


def test_map_post_retweet_and_naive_time_is_seoul() -> None:
    raw = {
        "id": 5,
        "text": "RT @a: 원글",
        "created_at": "2025-03-03T09:00:00",
        "referenced_tweets": [{"type": "retweeted", "id": "7"}],
    }
    post = map_post(raw, None)
    assert post["id"] == "5" and post["repost_of"] == "7"
    assert post["created_at"] == "2025-03-03T00:00:00+00:00"
    assert post["likes"] is None and post["shares"] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "missing id"),
        ({"id": {"$numberLong": "1"}}, "id: expected a string id"),
        ({"text": None}, "missing text"),
        ({"text": 12345}, "text: expected a string"),
        ({"text": " \n"}, "empty text"),
        ({"created_at": None}, "missing created_at"),
        ({"created_at": "어제 오후"}, "created_at: not ISO 8601"),
        ({"created_at": 1700000000}, "created_at: expected an ISO 8601 string"),
        ({"public_metrics": {"like_count": "많음"}}, "public_metrics.like_count"),
        ({"public_metrics": [1, 2]}, "public_metrics: expected an object"),
        ({"referenced_tweets": "7"}, "referenced_tweets"),
    ],
)
def test_map_post_rejects_unmappable_payloads(change, reason) -> None:
    raw = {k: v for k, v in (TWEET | change).items() if v is not None}
    with pytest.raises(MappingError, match=reason):
        map_post(raw, INCLUDES)


def test_map_post_rejects_non_objects() -> None:
    with pytest.raises(MappingError, match="not an object"):
        map_post("oops", INCLUDES)  # type: ignore[arg-type]


def test_map_page_quarantines_and_keeps_raw_for_remapping() -> None:
    payload = {"data": [TWEET, {"id": "2"}, TWEET], "includes": INCLUDES, "meta": {}}
    posts, quarantined, dups = map_page(payload)
    assert len(posts) == 1 and dups == 1
    assert quarantined == [{"payload": {"id": "2"}, "reason": "missing text"}]
    raw = posts[0]["raw"]
    json.dumps(raw, ensure_ascii=False)
    assert raw["tweet"]["future_field"] == {"x": 1}
    again = map_post(raw["tweet"], raw["includes"])
    assert again == {k: v for k, v in posts[0].items() if k != "raw"}


def test_token_is_sent_as_bearer(x_fake) -> None:
    client = make_x_client("wrong-token", api_base=x_fake.url, timeout=(2.0, 1.0))
    with pytest.raises(XAuthError, match=r"\(401\)"):
        next(fetch_x(client, query=QUERY, since=WINDOW_START, until=WINDOW_END))
    assert TEST_TOKEN != "wrong-token"

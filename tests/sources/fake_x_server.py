"""A small real HTTP server speaking X API v2 recent search, with fault injection.

`FakeXServer` serves GET /2/tweets/search/recent on 127.0.0.1 with payloads shaped like recorded
API responses (data, includes.users/tweets/places/media, meta, partial `errors`), over a
deterministic corpus of Korean posts: hashtags, mentions, replies, quotes, retweets, media,
places, emoji and astral characters, RTL text, long posts (note_tweet), and a few payloads with
missing or wrong-type fields. `set_scenario(name)` injects one fault (see `SCENARIOS`).

Paging is id-based like the real API (a token means "older than id N"), so deleting posts
between pages never shifts others out of reach.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit

TWITTER_EPOCH_MS = 1288834974657
FAULT_PAGE = 2  # 0-based page index at which most faults strike (two pages are stored before)

WINDOW_START = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
WINDOW_END = datetime(2025, 3, 4, 0, 0, tzinfo=UTC)

SCENARIOS: dict[str, str] = {
    "ok": "no fault",
    "rate_limit_short": "429 with x-rate-limit-reset ~1 s ahead, once, on page 3",
    "rate_limit_long": "429 with reset 15 min ahead from page 3 on, until the scenario changes",
    "quota_exhausted": "page 2 says x-rate-limit-remaining: 0 with reset 15 min ahead",
    "server_errors": "page 3 answers 500, 502, 503 then works; page 5 answers 503 once",
    "server_errors_persistent": "page 3 answers 503 until the scenario changes",
    "timeout": "page 3 stalls past the client's read timeout twice",
    "malformed_json": "page 3 answers an HTML error page, then JSON of the wrong shape, then works",
    "malformed_json_persistent": "page 3 answers an HTML error page until the scenario changes",
    "truncated_json": "page 3: connection cut mid-body once; page 4: half a body once",
    "repeated_page": "the first request for page 4 replays page 3 (its next_token points back)",
    "overlapping_pages": "every page repeats the last 3 posts of the page before",
    "token_loop": "page 4 always points back to itself",
    "deleted_between_pages": "after page 2 is served, posts on later pages are deleted",
    "expired_token": "the bearer token is rejected (401) from page 3 on",
}

TEMPLATES = (
    "{d} 따릉이 대여소 좀 늘려주세요 ㅠㅠ #서울시 #따릉이",
    "{d} 쓰레기 소각장 건립 반대합니다!! @seoulcity 주민 의견 좀 들어주세요",
    "지하철 2호선 또 지연이네요…출근길 지옥 🚇😡 #서울교통공사",
    "{d} 어린이집 대기 너무 길어요. 맞벌이 부부는 어떡하라고 #보육",
    "청년월세 지원 신청했는데 언제 결과 나오나요? #서울시 #청년정책",
    "한강공원 야경 최고👍 {d}에서 자전거 타고 왔어요 ㅋㅋㅋ",
    "{d} 미세먼지 심각… 마스크 필수😷 #미세먼지",
    "서울시 반려견 놀이터 {d}에도 생겼으면 좋겠다🐶 #반려동물",
    "버스 배차간격 너무 길어요 {d} 주민들 불편함 #버스",
    "기후동행카드 쓰는 사람? 한 달에 얼마나 아끼나요 #기후동행카드",
    "{d} 도로 포트홀 신고했는데 3주째 그대로 @seoulcity",
    "무장애 화장실이 부족합니다 장애인 이동권 보장하라 #이동권 @seoul_mayor",
)
DISTRICTS = ("마포구", "강남구", "노원구", "은평구", "송파구", "관악구", "종로구", "중랑구")
EXTRAS = (
    " 𠀀𠀁𠀂 (확장 한자)",
    " 👨‍👩‍👧‍👦 가족 나들이",
    " 𝕏에서 퍼옴",
    " مرحبا سيول",
    " שלום סיאול",
    "\u200b제로폭\u200b공백",
)
PLACES = (
    {
        "id": "5a110d312052166f",
        "full_name": "Mapo-gu, Republic of Korea",
        "name": "Mapo-gu",
        "country_code": "KR",
        "place_type": "city",
    },
    {
        "id": "0a3e119020705b64",
        "full_name": "서울특별시 강남구",
        "name": "강남구",
        "country_code": "KR",
        "place_type": "city",
    },
    {
        "id": "00b5bdf9f3a3d2e0",
        "full_name": "Seoul, Republic of Korea",
        "name": "Seoul",
        "country_code": "KR",
        "place_type": "admin",
    },
)
MISSING_USER_ID = "1999999999999999999"  # a suspended account: absent from includes.users
MISSING_TWEET_ID = "1000000000000000001"  # a deleted referenced post: reported in `errors`


@dataclass
class Entry:
    sort_id: int
    ts: float
    payload: object
    valid: bool  # map_post should accept it
    _json: bytes | None = None

    @property
    def json(self) -> bytes:
        """The payload serialised once (keeps the fake cheap next to the client it measures)."""
        if self._json is None:
            self._json = json.dumps(self.payload, ensure_ascii=False).encode("utf-8")
        return self._json


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _snowflake(ts: float, seq: int) -> int:
    return ((int(ts * 1000) - TWITTER_EPOCH_MS) << 22) | (seq & 0x3FFFFF)


def _iso(ts: float) -> str:
    when = datetime.fromtimestamp(ts, UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{int(ts * 1000) % 1000:03d}Z"  # the API's millisecond form


def _users(n: int) -> list[dict]:
    rng = random.Random(11)
    return [
        {
            "id": str(1400000000000000000 + i * 7919),
            "username": f"seoul_citizen_{i:03d}",
            "name": f"서울시민{i}",
            "verified": i % 10 == 0,
            "public_metrics": {
                "followers_count": rng.randint(0, 50000),
                "following_count": rng.randint(0, 2000),
                "tweet_count": rng.randint(1, 90000),
                "listed_count": rng.randint(0, 50),
            },
        }
        for i in range(n)
    ]


BAD_KINDS = (
    "missing_created_at",
    "text_int",
    "missing_id",
    "metric_str",
    "created_at_korean",
    "id_dict",
    "not_object",
    "empty_text",
)


def make_corpus(
    n: int,
    start: datetime = WINDOW_START,
    end: datetime = WINDOW_END,
    *,
    seed: int = 7,
    bad_every: int = 37,
) -> tuple[list[Entry], list[dict]]:
    """(entries sorted by id ascending, users) with posts spread over [start, end)."""
    rng = random.Random(seed)
    users = _users(60)
    span = (end - start).total_seconds()
    t0 = start.timestamp()
    entries: list[Entry] = []
    made: list[dict] = []
    bad_i = 0
    for i in range(n):
        ts = t0 + span * (i + rng.random() * 0.9) / n
        tid = _snowflake(ts, i)
        user = users[rng.randrange(len(users))]
        author_id = MISSING_USER_ID if i % 23 == 3 else user["id"]
        text = TEMPLATES[rng.randrange(len(TEMPLATES))].format(d=DISTRICTS[i % len(DISTRICTS)])
        if i % 9 == 0:
            text += EXTRAS[(i // 9) % len(EXTRAS)]
        tweet: dict = {
            "id": str(tid),
            "text": text,
            "created_at": _iso(ts),
            "author_id": author_id,
            "conversation_id": str(tid),
            "lang": "ko",
            "edit_history_tweet_ids": [str(tid)],
            "possibly_sensitive": False,
            "public_metrics": {
                "retweet_count": rng.randint(0, 40),
                "reply_count": rng.randint(0, 20),
                "like_count": rng.randint(0, 300),
                "quote_count": rng.randint(0, 5),
                "bookmark_count": rng.randint(0, 9),
                "impression_count": rng.randint(10, 90000),
            },
        }
        tags = [w[1:] for w in text.split() if w.startswith("#")]
        mentions = [w[1:] for w in text.split() if w.startswith("@")]
        entities: dict = {}
        if tags:
            entities["hashtags"] = [
                {"start": text.index("#" + t), "end": text.index("#" + t) + len(t) + 1, "tag": t}
                for t in tags
            ]
        if mentions:
            entities["mentions"] = [
                {
                    "start": text.index("@" + m),
                    "end": text.index("@" + m) + len(m) + 1,
                    "username": m,
                    "id": str(1300000000000000000 + len(m)),
                }
                for m in mentions
            ]
        if entities:
            tweet["entities"] = entities
        if made and i % 7 == 0:
            parent = made[rng.randrange(len(made))]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["conversation_id"] = parent["conversation_id"]
        elif made and i % 11 == 0:
            quoted = MISSING_TWEET_ID if i % 44 == 0 else made[rng.randrange(len(made))]["id"]
            tweet["referenced_tweets"] = [{"type": "quoted", "id": quoted}]
            tweet["text"] += " https://t.co/AbCdEf1234"
        elif made and i % 13 == 0:
            orig = made[rng.randrange(len(made))]
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": orig["id"]}]
            tweet["text"] = f"RT @someone: {orig['text']}"[:140]
        if i % 5 == 0:
            tweet["attachments"] = {"media_keys": [f"3_{tid}"]}
        if i % 6 == 0:
            tweet["geo"] = {"place_id": PLACES[i % len(PLACES)]["id"]}
        if i % 17 == 0:
            long = (tweet["text"] + " 정책 제안드립니다. ") * 40  # ~2,000 chars
            tweet["note_tweet"] = {"text": long}
            tweet["text"] = long[:279] + "…"
        if i % 29 == 0:
            tweet["future_field"] = {"kept": True, "레이블": "미지의 필드"}  # unknown: kept raw
        payload: object = tweet
        valid = True
        if i % bad_every == 5:
            kind = BAD_KINDS[bad_i % len(BAD_KINDS)]
            bad_i += 1
            valid = False
            bad = dict(tweet)
            if kind == "missing_created_at":
                del bad["created_at"]
            elif kind == "text_int":
                bad["text"] = 12345
                bad.pop("note_tweet", None)
            elif kind == "missing_id":
                del bad["id"]
            elif kind == "metric_str":
                bad["public_metrics"] = dict(bad["public_metrics"], like_count="많음")
            elif kind == "created_at_korean":
                bad["created_at"] = "어제 오후 3시"
            elif kind == "id_dict":
                bad["id"] = {"$numberLong": str(tid)}
            elif kind == "not_object":
                bad = f"oops {tid}"
            elif kind == "empty_text":
                bad["text"] = "   "
                bad.pop("note_tweet", None)
            payload = bad
        else:
            made.append(tweet)
        entries.append(Entry(sort_id=tid, ts=ts, payload=payload, valid=valid))
    entries.sort(key=lambda e: e.sort_id)
    return entries, users


def _encode_token(page: int, older_than: int) -> str:
    raw = json.dumps({"p": page, "lt": older_than}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, int]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    obj = json.loads(raw)
    return int(obj["p"]), int(obj["lt"])


def _parse_time(value: str | None, default: float) -> float:
    if not value:
        return default
    return datetime.fromisoformat(value).timestamp()


class FakeXServer:
    """X API v2 recent search on 127.0.0.1:<free port>. Use as a context manager."""

    def __init__(
        self,
        n: int = 240,
        *,
        start: datetime = WINDOW_START,
        end: datetime = WINDOW_END,
        token: str = "test-token",
        seed: int = 7,
        bad_every: int = 37,
        slow_s: float = 1.0,
    ) -> None:
        self.entries, users = make_corpus(n, start, end, seed=seed, bad_every=bad_every)
        self.users = {u["id"]: u for u in users}
        self.ids = [e.sort_id for e in self.entries]
        self.times = [e.ts for e in self.entries]  # ascending with ids, as for snowflakes
        self.by_id = {
            e.payload["id"]: e
            for e in self.entries
            if isinstance(e.payload, dict) and isinstance(e.payload.get("id"), str)
        }
        self.token = token
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.scenario = "ok"
        self.hits: Counter[str] = Counter()
        self.deleted: set[str] = set()
        self.requests: list[dict] = []
        self.last_body: dict[int, bytes] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def start(self) -> FakeXServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------- control
    def set_scenario(self, name: str, *, keep_state: bool = False) -> None:
        """Switch fault; `keep_state` keeps deletions and counters (an ongoing outage ends)."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        with self.lock:
            self.scenario = name
            if not keep_state:
                self.hits.clear()
                self.deleted.clear()
                self.requests.clear()
                self.last_body.clear()

    def _in_window(self, since: datetime, until: datetime, since_id: str | None) -> list[Entry]:
        lo = bisect.bisect_left(self.times, since.timestamp())
        hi = bisect.bisect_left(self.times, until.timestamp())
        floor = int(since_id) if since_id else -1
        return [e for e in self.entries[lo:hi] if e.sort_id > floor]

    def expected_ids(
        self,
        since: datetime = WINDOW_START,
        until: datetime = WINDOW_END,
        since_id: str | None = None,
    ) -> set[str]:
        """Ids a correct client must store for the window (valid, not deleted)."""
        return {
            e.payload["id"]
            for e in self._in_window(since, until, since_id)
            if e.valid and e.payload["id"] not in self.deleted
        }

    def invalid_count(self, since: datetime = WINDOW_START, until: datetime = WINDOW_END) -> int:
        return sum(1 for e in self._in_window(since, until, None) if not e.valid)

    # ------------------------------------------------------------- paging
    def _select(
        self,
        start: float,
        end: float,
        since_id: int,
        older_than: int | None,
        size: int,
        overlap: int,
    ) -> tuple[list[Entry], int | None]:
        lo = max(bisect.bisect_left(self.times, start), bisect.bisect_right(self.ids, since_id))
        hi = bisect.bisect_left(self.times, end)
        if older_than is not None:
            hi = min(hi, bisect.bisect_left(self.ids, older_than))
            if overlap:
                back, i = 0, hi
                while i < len(self.entries) and back < overlap:
                    if self._alive(self.entries[i]) and self.entries[i].ts < end:
                        back += 1
                    i += 1
                hi = i
        page: list[Entry] = []
        i = hi - 1
        while i >= lo and len(page) < size:
            if self._alive(self.entries[i]):
                page.append(self.entries[i])
            i -= 1
        more = any(self._alive(self.entries[j]) for j in range(i, lo - 1, -1))
        return page, (page[-1].sort_id if page and more else None)

    def _alive(self, e: Entry) -> bool:
        p = e.payload
        return not (
            isinstance(p, dict) and isinstance(p.get("id"), str) and p["id"] in self.deleted
        )

    def _includes(self, tweets: list[object]) -> tuple[dict, list[dict]]:
        users: dict[str, dict] = {}
        refs: dict[str, dict] = {}
        places: dict[str, dict] = {}
        media: dict[str, dict] = {}
        errors: list[dict] = []
        place_by_id = {p["id"]: p for p in PLACES}
        for t in tweets:
            if not isinstance(t, dict):
                continue
            u = self.users.get(t.get("author_id"))
            if u:
                users[u["id"]] = u
            else:
                errors.append(_not_found("user", "author_id", t.get("author_id")))
            for r in t.get("referenced_tweets", ()):
                ref = self.by_id.get(r["id"])
                if ref is None or r["id"] in self.deleted:
                    errors.append(_not_found("tweet", "referenced_tweets.id", r["id"]))
                else:
                    refs[r["id"]] = ref.payload
            pid = (t.get("geo") or {}).get("place_id")
            if pid in place_by_id:
                places[pid] = place_by_id[pid]
            for key in (t.get("attachments") or {}).get("media_keys", ()):
                media[key] = {
                    "media_key": key,
                    "type": "photo",
                    "url": f"https://pbs.twimg.com/media/{key}.jpg",
                    "alt_text": "서울시청 앞 광장 사진",
                }
        includes = {
            k: list(v.values())
            for k, v in (("users", users), ("tweets", refs), ("places", places), ("media", media))
            if v
        }
        return includes, errors

    def handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            scenario = self.scenario
            rec = {"path": parts.path, "params": q, "scenario": scenario, "status": None}
            self.requests.append(rec)
        if parts.path != "/2/tweets/search/recent":
            return self._json(handler, rec, 404, {"title": "Not Found Error", "status": 404})
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._unauthorized(handler, rec)
        try:
            size = int(q.get("max_results", "10"))
            if not 10 <= size <= 100:
                raise ValueError("max_results must be between 10 and 100")
            page_no, older_than = (
                _decode_token(q["next_token"]) if "next_token" in q else (0, None)
            )
            start = _parse_time(q.get("start_time"), 0.0)
            end = _parse_time(q.get("end_time"), time.time())
            since_id = int(q.get("since_id") or -1)
            if not q.get("query"):
                raise ValueError("query is required")
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            body = {
                "errors": [{"message": f"Invalid request: {exc}"}],
                "title": "Invalid Request",
                "status": 400,
                "detail": "One or more parameters to your request was invalid.",
            }
            return self._json(handler, rec, 400, body)
        rec["page"] = page_no

        fault = self._fault(scenario, page_no)
        if fault == "unauthorized":
            return self._unauthorized(handler, rec)
        if isinstance(fault, tuple) and fault[0] == 429:
            body = {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
            return self._json(handler, rec, 429, body, reset=fault[1], remaining=0)
        if isinstance(fault, int):
            body = {"title": "Service Unavailable", "status": fault, "detail": "Over capacity"}
            return self._json(handler, rec, fault, body)
        if fault == "html":
            data = b"<html><body><h1>502 Bad Gateway</h1>upstream error</body></html>"
            return self._raw(handler, rec, 200, data, "text/html")
        if fault == "wrong_shape":
            return self._json(handler, rec, 200, {"data": "temporarily unavailable", "meta": {}})
        if fault == "slow":
            time.sleep(self.slow_s)
        if fault == "replay" and page_no - 1 in self.last_body:
            return self._raw(handler, rec, 200, self.last_body[page_no - 1], "application/json")

        overlap = 3 if scenario == "overlapping_pages" else 0
        with self.lock:
            entries, last = self._select(start, end, since_id, older_than, size, overlap)
            tweets = [e.payload for e in entries]
            includes, errors = self._includes(tweets)
        meta: dict = {"result_count": len(tweets)}
        if tweets:
            meta["newest_id"] = str(entries[0].sort_id)
            meta["oldest_id"] = str(entries[-1].sort_id)
        if last is not None:
            meta["next_token"] = _encode_token(page_no + 1, last)
        if fault == "loop":
            meta["next_token"] = q["next_token"]
        # Same JSON as json.dumps({"data", "includes", "errors", "meta"}), from cached parts.
        parts: list[bytes] = []
        if tweets:
            parts.append(b'"data": [' + b", ".join(e.json for e in entries) + b"]")
            if includes:
                inc = []
                for key, items in includes.items():
                    if key == "tweets":
                        blob = b", ".join(self.by_id[t["id"]].json for t in items)
                    else:
                        blob = b", ".join(_dumps(i) for i in items)
                    inc.append(_dumps(key) + b": [" + blob + b"]")
                parts.append(b'"includes": {' + b", ".join(inc) + b"}")
        if errors:
            parts.append(b'"errors": ' + _dumps(errors))
        parts.append(b'"meta": ' + _dumps(meta))
        data = b"{" + b", ".join(parts) + b"}"
        with self.lock:
            self.last_body.setdefault(page_no, data)
        if scenario == "deleted_between_pages" and page_no == 1:
            self._delete_later(last)
        if fault == "cut":
            return self._raw(handler, rec, 200, data, "application/json", cut=True)
        if fault == "half":
            return self._raw(handler, rec, 200, data[: len(data) // 2], "application/json")
        remaining = 0 if fault == "quota" else None
        reset = int(time.time()) + 900 if fault == "quota" else None
        return self._raw(
            handler, rec, 200, data, "application/json", reset=reset, remaining=remaining
        )

    def _delete_later(self, older_than: int | None) -> None:
        if older_than is None:
            return
        with self.lock:
            if self.hits["deleted"]:
                return
            self.hits["deleted"] += 1
            i = bisect.bisect_left(self.ids, older_than) - 1
            n = 0
            while i >= 0 and n < 60:
                p = self.entries[i].payload
                if isinstance(p, dict) and isinstance(p.get("id"), str) and self.entries[i].valid:
                    if n % 7 == 3:
                        self.deleted.add(p["id"])
                    n += 1
                i -= 1

    def _fault(self, scenario: str, page: int) -> object:
        with self.lock:
            hits = self.hits
            if scenario == "rate_limit_short" and page == FAULT_PAGE and hits["rl"] < 1:
                hits["rl"] += 1
                return (429, int(time.time()) + 1)
            if scenario == "rate_limit_long" and page >= FAULT_PAGE:
                return (429, int(time.time()) + 900)
            if scenario == "quota_exhausted" and page == FAULT_PAGE - 1:
                return "quota"
            if scenario == "server_errors":
                if page == FAULT_PAGE and hits["p2"] < 3:
                    hits["p2"] += 1
                    return (500, 502, 503)[hits["p2"] - 1]
                if page == FAULT_PAGE + 2 and hits["p4"] < 1:
                    hits["p4"] += 1
                    return 503
            if scenario == "server_errors_persistent" and page == FAULT_PAGE:
                return 503
            if scenario == "timeout" and page == FAULT_PAGE and hits["slow"] < 2:
                hits["slow"] += 1
                return "slow"
            if scenario == "malformed_json" and page == FAULT_PAGE and hits["bad"] < 2:
                hits["bad"] += 1
                return ("html", "wrong_shape")[hits["bad"] - 1]
            if scenario == "malformed_json_persistent" and page == FAULT_PAGE:
                return "html"
            if scenario == "truncated_json":
                if page == FAULT_PAGE and hits["cut"] < 1:
                    hits["cut"] += 1
                    return "cut"
                if page == FAULT_PAGE + 1 and hits["half"] < 1:
                    hits["half"] += 1
                    return "half"
            if scenario == "repeated_page" and page == FAULT_PAGE + 1 and hits["replay"] < 1:
                hits["replay"] += 1
                return "replay"
            if scenario == "token_loop" and page == FAULT_PAGE + 1:
                return "loop"
            if scenario == "expired_token" and page >= FAULT_PAGE:
                return "unauthorized"
        return None

    # ------------------------------------------------------------- responses
    def _unauthorized(self, handler: _Handler, rec: dict) -> None:
        body = {
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        }
        self._json(handler, rec, 401, body)

    def _json(
        self,
        handler: _Handler,
        rec: dict,
        status: int,
        body: dict,
        *,
        reset: int | None = None,
        remaining: int | None = None,
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._raw(handler, rec, status, data, "application/json", reset=reset, remaining=remaining)

    def _raw(
        self,
        handler: _Handler,
        rec: dict,
        status: int,
        data: bytes,
        ctype: str,
        *,
        cut: bool = False,
        reset: int | None = None,
        remaining: int | None = None,
    ) -> None:
        rec["status"] = status
        with self.lock:
            n = len(self.requests)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", f"{ctype}; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("x-rate-limit-limit", "450")
            handler.send_header(
                "x-rate-limit-remaining", str(max(1, 450 - n) if remaining is None else remaining)
            )
            handler.send_header(
                "x-rate-limit-reset", str(reset if reset is not None else int(time.time()) + 900)
            )
            if cut:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2] if cut else data)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up (timeout scenario)


def _not_found(resource: str, parameter: str, value: object) -> dict:
    return {
        "value": value,
        "detail": f"Could not find {resource} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API; requests reuses connections
    disable_nagle_algorithm = True  # headers and body go in two writes; avoid 40 ms stalls
    server_fake: FakeXServer

    def do_GET(self) -> None:
        self.server_fake.handle(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def window(hours: float = 24.0) -> tuple[datetime, datetime]:
    """The default fake window [WINDOW_START, +hours)."""
    return WINDOW_START, WINDOW_START + timedelta(hours=hours)


# ----------------------------------------------------------------------------- scenario runner
# Shared by tests/sources/test_x.py and scripts/eval_channels.py.

#: the fault of each run; a run after a stopped one resumes from the stored cursor.
RUN_PLANS: dict[str, tuple[str, ...]] = {name: (name,) for name in SCENARIOS} | {
    "rate_limit_long": ("rate_limit_long", "ok"),
    "quota_exhausted": ("quota_exhausted", "ok"),
    "server_errors_persistent": ("server_errors_persistent", "ok"),
    "malformed_json_persistent": ("malformed_json_persistent", "ok"),
    "token_loop": ("token_loop", "token_loop", "ok"),
    "expired_token": ("expired_token", "ok"),
}
EXPECTED_STATUSES: dict[str, tuple[str, ...]] = {name: ("complete",) for name in SCENARIOS} | {
    "rate_limit_long": ("rate_limited", "complete"),
    "quota_exhausted": ("rate_limited", "complete"),
    "server_errors_persistent": ("interrupted", "complete"),
    "malformed_json_persistent": ("interrupted", "complete"),
    "token_loop": ("interrupted", "interrupted", "complete"),
    "expired_token": ("auth_error", "complete"),
}


class MemoryStore:
    """What the warehouse does per page, in memory: skip stored ids, save the cursor with them."""

    def __init__(self) -> None:
        self.posts: dict[str, dict] = {}
        self.delivered: Counter[str] = Counter()
        self.quarantine: list[dict] = []
        self.cursor = None
        self.pages = 0

    def on_page(self, posts: list[dict], quarantined: list[dict], cursor: object) -> None:
        for post in posts:
            self.delivered[post["id"]] += 1
            self.posts.setdefault(post["id"], post)
        self.quarantine.extend(quarantined)
        self.cursor = cursor
        self.pages += 1

    @property
    def redelivered(self) -> int:
        return sum(n - 1 for n in self.delivered.values())


@dataclass
class ScenarioReport:
    scenario: str
    statuses: list[str]
    results: list[object]
    errors: list[str]
    expected: set[str]
    store: MemoryStore
    invalid: int
    run_requests: list[list[dict]]
    seconds: float

    @property
    def stored(self) -> set[str]:
        return set(self.store.posts)

    @property
    def missing(self) -> set[str]:
        return self.expected - self.stored

    @property
    def unexpected(self) -> set[str]:
        return self.stored - self.expected

    @property
    def ok(self) -> bool:
        return (
            tuple(self.statuses) == EXPECTED_STATUSES[self.scenario]
            and not self.missing
            and not self.unexpected
            and self.store.redelivered == 0
            and len(self.store.quarantine) == self.invalid
        )

    def row(self) -> dict:
        return {
            "scenario": self.scenario,
            "runs": "→".join(self.statuses),
            "expected": len(self.expected),
            "stored": len(self.stored),
            "missing": len(self.missing),
            "duplicates": self.store.redelivered,
            "deduped": sum(getattr(r, "duplicates", 0) for r in self.results),
            "quarantined": len(self.store.quarantine),
            "requests": sum(len(r) for r in self.run_requests),
            "seconds": round(self.seconds, 2),
            "ok": self.ok,
        }


def run_scenario(
    server: FakeXServer,
    client: object,
    scenario: str,
    *,
    policy: object,
    query: str = "#서울시 OR 서울시 정책",
    since: datetime = WINDOW_START,
    until: datetime = WINDOW_END,
) -> ScenarioReport:
    """Collect the window under `scenario`, over as many runs as its plan has."""
    from pipeline.sources.x import XAuthError, collect_x

    store = MemoryStore()
    statuses: list[str] = []
    results: list[object] = []
    errors: list[str] = []
    run_requests: list[list[dict]] = []
    t0 = time.perf_counter()
    for k, fault in enumerate(RUN_PLANS[scenario]):
        server.set_scenario(fault, keep_state=k > 0)
        first = len(server.requests)
        try:
            result = collect_x(
                client,
                query=query,
                since=since,
                until=until,
                cursor=store.cursor,
                on_page=store.on_page,
                policy=policy,
            )
        except XAuthError as exc:
            statuses.append("auth_error")
            errors.append(str(exc))
        else:
            statuses.append(result.status)
            results.append(result)
        run_requests.append(list(server.requests[first:]))
    seconds = time.perf_counter() - t0
    return ScenarioReport(
        scenario=scenario,
        statuses=statuses,
        results=results,
        errors=errors,
        expected=server.expected_ids(since, until),
        store=store,
        invalid=server.invalid_count(since, until),
        run_requests=run_requests,
        seconds=seconds,
    )


def main(argv: list[str] | None = None) -> None:
    """Serve a corpus until killed; prints one JSON line {url, expected, invalid} first."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=240)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--scenario", default="ok", choices=list(SCENARIOS))
    args = parser.parse_args(argv)
    server = FakeXServer(n=args.posts, token=args.token).start()
    server.set_scenario(args.scenario)
    print(
        json.dumps(
            {
                "url": server.url,
                "expected": len(server.expected_ids()),
                "invalid": server.invalid_count(),
            }
        ),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        sys.stdout.flush()


if __name__ == "__main__":
    main()

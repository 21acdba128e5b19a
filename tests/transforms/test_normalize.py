from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from pipeline.transforms.normalize import Record, author_hash, posts_clean, text_for_analysis

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def clean(rows, **kw):
    records = [r if isinstance(r, Record) else Record(i, r) for i, r in enumerate(rows, 1)]
    return posts_clean(records, source="test", default_channel="x", salt="s", now=NOW, **kw)


def test_canonical_fields_and_extraction() -> None:
    posts, raw, bad = clean([{
        "id": 1, "created_at": "2026-11-28T08:00:00", "author": "@Citizen",
        "text": "#따릉이 고장ㅠㅠㅠㅠ @SeoulCity 확인 부탁 https://t.co/abc 010-1234-5678",
        "likes": "3", "shares": "많음", "reply_to": "9",
    }])
    assert bad.empty
    p = posts.iloc[0]
    assert p["post_id"] == "x:1" and p["channel"] == "x" and p["reply_to"] == "x:9"
    assert p["hashtags"] == ["#따릉이"] and p["mentions"] == ["@seoulcity"]
    assert p["urls"] == ["https://t.co/abc"]
    assert "[전화번호]" in p["text"] and "010" not in p["text"]
    assert "ㅠㅠㅠㅠ" in p["text"] and "ㅠㅠㅠ" not in p["text_norm"]
    # no offset = Asia/Seoul
    assert p["created_at"] == datetime(2026, 11, 27, 23, tzinfo=UTC)
    assert str(p["day"]) == "2026-11-28"
    assert p["likes"] == 3 and p["shares"] is None or str(p["shares"]) == "<NA>"
    assert p["author_hash"] == author_hash("citizen", "s")
    assert "Citizen" not in raw.iloc[0]["payload"] and "010-1234" not in raw.iloc[0]["payload"]


def test_bad_rows_are_quarantined_with_reasons_and_masked() -> None:
    rows = [
        Record(1, None, '{"id": 1, "text": "010-1234-5678', "malformed JSON"),
        {"id": 2, "created_at": "2026-11-28T08:00:00+09:00"},
        {"id": 3, "created_at": "2026-11-28T08:00:00+09:00", "text": "   "},
        {"id": 4, "created_at": "2099-01-01T00:00:00+09:00", "text": "미래"},
        {"id": 5, "created_at": "어제", "text": "시간"},
        {"created_at": "2026-11-28T08:00:00+09:00", "text": "id 없음 a@b.com"},
        {"id": 6, "created_at": "2026-11-28T08:00:00+09:00", "text": "가" * 100_000},
        {"id": 7, "created_at": "2026-11-28T08:00:00+09:00", "text": ["list"]},
        {"id": 8, "created_at": "2026-11-28T08:00:00+09:00", "text": "NUL\x00바이트"},
    ]
    posts, _, bad = clean(rows)
    assert list(posts["post_id"]) == ["x:8"] and "\x00" not in posts.iloc[0]["text"]
    reasons = list(bad["reason"])
    assert reasons[0] == "malformed JSON"
    assert "missing required field: text" in reasons
    assert "empty text" in reasons
    assert any(r.startswith("created_at in the future") for r in reasons)
    assert any("ISO 8601" in r for r in reasons)
    assert "missing required field: id" in reasons
    assert any(r.startswith("text too long") for r in reasons)
    assert "text is not a string" in reasons
    joined = " ".join(bad["payload"])
    assert "010-1234-5678" not in joined and "a@b.com" not in joined


def test_window_rejects_outside_rows() -> None:
    start = datetime(2026, 11, 28, tzinfo=timezone(timedelta(hours=9)))
    posts, _, bad = clean(
        [{"id": 1, "created_at": "2026-11-27T23:59:00+09:00", "text": "어제 글"},
         {"id": 2, "created_at": "2026-11-28T00:01:00+09:00", "text": "오늘 글"}],
        window=(start, start + timedelta(days=1)))
    assert list(posts["post_id"]) == ["x:2"]
    assert bad.iloc[0]["reason"].startswith("created_at outside the run window")


def test_text_for_analysis() -> None:
    assert text_for_analysis("ㅋㅋㅋㅋㅋ  진짜!!!!!\n좋아요") == "ㅋㅋ 진짜!! 좋아요"


def test_raw_payload_keeps_no_author_handle() -> None:
    raw = {"tweet": {"id": "7", "author_id": "4242", "text": "hi"},
           "includes": {"users": [{"id": "4242", "username": "kim_citizen", "name": "김시민"}],
                        "places": [{"id": "p1", "name": "Seoul", "full_name": "Seoul, KR"}]}}
    _, payloads, _ = clean([{"id": "7", "created_at": "2026-11-28T08:00:00+09:00",
                             "text": "버스 언제 와요", "author": "kim_citizen", "raw": raw}])
    text = payloads.iloc[0]["payload"]
    assert "kim_citizen" not in text and "김시민" not in text and "4242" not in text
    assert "Seoul, KR" in text  # places are not personal data


def test_scrub_payload_is_pseudonymise_then_mask_in_one_walk() -> None:
    from pipeline.transforms.normalize import author_hash, pseudonymise_obj, scrub_payload
    from pipeline.transforms.pii import mask_obj

    payload = {
        "url": "https://x.com/kim_049/status/1896712184906403359",
        "raw": {
            "tweet": {"id": "1896712184906403359", "author_id": "1400000000000388031",
                      "text": "문의 010-2222-3333 #서울시", "created_at": "2025-03-03T10:00:00Z",
                      "entities": {"hashtags": [{"start": 0, "end": 3, "tag": "서울시"}]},
                      "public_metrics": {"like_count": 3, "impression_count": 43227}},
            "includes": {"users": [{"id": 1400000000000388031, "username": "kim_049",
                                    "name": "김서울", "description": "메일 kim@seoul.go.kr"}],
                         "places": [{"id": "abc", "full_name": "서울 마포구"}]},
        },
        "flag": True, "score": 1.5, "none": None,
    }
    assert scrub_payload(payload, "s") == mask_obj(pseudonymise_obj(payload, "s"))[0]
    scrubbed = scrub_payload(payload, "s")
    user = scrubbed["raw"]["includes"]["users"][0]
    assert user["username"] == "h:" + author_hash("kim_049", "s")
    assert user["description"] == "메일 [이메일]"
    assert scrubbed["raw"]["tweet"]["text"] == "문의 [전화번호] #서울시"
    # a pseudonym is never itself masked, even when its 16 hex characters are all digits
    digits_only = next(f"h{i}" for i in range(10**6) if author_hash(f"h{i}", "s").isdigit())
    again = scrub_payload({"user": {"username": digits_only, "name": "x"}}, "s")
    assert again["user"]["username"] == "h:" + author_hash(digits_only, "s")


def test_scrub_payload_treats_subclasses_like_their_base_types() -> None:
    """The walk dispatches on exact types for speed; other types follow the same rules."""
    from collections import OrderedDict
    from enum import IntEnum

    from pipeline.transforms.normalize import author_hash, scrub_payload

    class Handle(str):
        pass

    class Uid(IntEnum):
        KIM = 1400000000000388031

    plain = {"author_id": "1400000000000388031", "bio": "전화 010-2222-3333 주세요",
             "user": {"username": "kim_049", "id": 77, "name": "김서울"},
             "tags": ["메일 kim@seoul.go.kr"], "ok": True, "n": 3, "x": 1.5, "t": ("a", 1)}
    odd = OrderedDict(author_id=Uid.KIM, bio=Handle("전화 010-2222-3333 주세요"),
                      user=OrderedDict(username=Handle("kim_049"), id=77, name="김서울"),
                      tags=[Handle("메일 kim@seoul.go.kr")], ok=True, n=3, x=1.5, t=("a", 1))
    want = scrub_payload(plain, "s")
    assert want["author_id"] == "h:" + author_hash("1400000000000388031", "s")
    assert want["bio"] == "전화 [전화번호] 주세요" and want["tags"] == ["메일 [이메일]"]
    assert want["user"] == {"username": "h:" + author_hash("kim_049", "s"),
                            "id": "h:" + author_hash("77", "s"), "name": "h:" + author_hash("김서울", "s")}
    assert scrub_payload(odd, "s") == want


def _row(i: int, **kw) -> dict:
    return {"id": f"p{i}", "created_at": "2026-11-28T08:00:00+09:00", "text": f"따릉이 {i}번", **kw}


def test_lone_surrogates_never_stop_a_batch() -> None:
    import json

    posts, raw, bad = clean([
        _row(1, text="bad \ud800 text", note="\udc00", author="a\ud800"),
        _row(2, id="s\ud800"),
        _row(3, text=["\ud800"]),
    ])
    assert list(posts["post_id"]) == ["x:p1"] and posts.iloc[0]["text"] == "bad \ufffd text"
    assert json.loads(raw.iloc[0]["payload"])["note"] == "\ufffd"
    assert list(bad["reason"]) == ["id contains invalid Unicode (a lone surrogate)",
                                   "text is not a string"]
    for text in bad["payload"]:
        text.encode("utf-8")  # storable


def test_counts_out_of_range_become_null_and_are_noted() -> None:
    import json

    posts, raw, bad = clean([
        _row(1, likes=1e30, views="1e30", shares=float("inf"), replies=2**70,
             author_followers=2**64 - 1, tweet_num=2**70, meta={"n": -(2**80)}),
        _row(2, likes=-5, views=3.7, shares="1.2k", replies="12", author_followers=float("nan")),
    ])
    assert bad.empty and len(posts) == 2
    first, second = posts.iloc[0], posts.iloc[1]
    assert all(first[f] is pd.NA for f in ("likes", "views", "shares", "replies", "author_followers"))
    assert second["replies"] == 12 and second["likes"] is pd.NA and second["views"] is pd.NA
    assert posts.attrs["notes"] == {
        "likes: out of range": 1, "views: out of range": 1, "shares: not a finite number": 1,
        "replies: out of range": 1, "author_followers: out of range": 1, "likes: negative": 1,
        "views: not a whole number": 1, "shares: not a number": 1}
    payload = json.loads(raw.iloc[0]["payload"])  # unknown huge ints kept, as strings
    assert payload["tweet_num"] == str(2**70) and payload["meta"] == {"n": str(-(2**80))}


def test_created_at_out_of_range_and_wrong_types_say_what_they_are() -> None:
    import datetime as dt

    posts, _, bad = clean([
        _row(1, created_at="0001-01-01T00:00:00+09:00"),
        _row(2, created_at="0001-01-01T00:00:00"),
        _row(3, created_at=1700000000),
        _row(4, created_at=dt.date(2026, 11, 20)),
        _row(5, created_at=None),
        _row(6),
    ])
    assert list(posts["post_id"]) == ["x:p6"]
    reasons = list(bad["reason"])
    assert reasons[0].startswith("created_at out of range (0001-01-01T00:00:00+09:00")
    assert reasons[1].startswith("created_at out of range (0001-01-01T00:00:00")
    assert reasons[2] == "created_at must be an ISO 8601 string, got int 1700000000"
    assert reasons[3] == "created_at must be an ISO 8601 string, got date 2026-11-20"
    assert reasons[4] == "missing required field: created_at"


def test_deeply_nested_unknown_field_is_quarantined() -> None:
    deep: dict = {"v": 1}
    for _ in range(300):
        deep = {"n": deep}
    very_deep: list = []
    for _ in range(900):  # within json.loads' limit, beyond a recursive walk's
        very_deep = [very_deep]
    posts, _, bad = clean([_row(1), _row(2, meta=deep), _row(3, meta=very_deep)])
    assert list(posts["post_id"]) == ["x:p1"]
    assert list(bad["reason"]) == ["payload nested too deeply (more than 250 levels)"] * 2


def test_channel_names_cannot_make_post_ids_collide() -> None:
    posts, _, bad = clean([_row(1, channel="a:b", id="c"), _row(2, channel="a", id="b:c"),
                           _row(3, channel="blog news"), _row(4, channel="카페", id="c1"),
                           _row(5, channel="naver_blog.v2", id="c2")])
    assert list(posts["post_id"]) == ["a:b:c", "카페:c1", "naver_blog.v2:c2"]
    assert bad["reason"].str.startswith("channel 'a:b' is not a channel name").sum() == 1
    assert bad["reason"].str.startswith("channel 'blog news'").sum() == 1


def test_invisible_text_is_empty_and_nul_bytes_in_fields() -> None:
    posts, _, bad = clean([
        _row(1, text="\u200b"), _row(2, text="\ufeff \u200d\u3164"), _row(3, text="\x01\x02"),
        _row(4, id="p\x004"), _row(5, channel="x\x00y"),
        _row(6, url="http://a\x00b", place="서울\x00"), _row(7, text="\u200b보임"),
    ])
    assert list(bad["reason"]) == ["empty text"] * 3 + ["id contains a NUL byte",
                                                        "channel contains a NUL byte"]
    assert list(posts["post_id"]) == ["x:p6", "x:p7"]
    assert posts.iloc[0]["url"] == "http://ab" and posts.iloc[0]["place"] == "서울"

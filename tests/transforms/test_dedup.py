from __future__ import annotations

import pandas as pd

from pipeline.transforms.dedup import link_duplicates
from pipeline.transforms.normalize import text_key

T0 = pd.Timestamp("2026-11-28T00:00Z")


def frame(texts: list[str], repost_of: list[str | None] | None = None, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "post_id": [f"x:{start + i}" for i in range(len(texts))],
        "created_at": [T0 + pd.Timedelta(minutes=start + i) for i in range(len(texts))],
        "text_norm": texts,
        "text_key": [text_key(t) for t in texts],
        "repost_of": repost_of or [None] * len(texts),
    })


def test_links_exact_near_and_reposts_to_the_earliest() -> None:
    base = "강남역 2호선 또 멈췄어요 출근길 완전 지옥입니다 서울시는 대책 좀"
    posts = frame([
        base,
        base + "!!",  # exact after punctuation is ignored
        base.replace("완전", "진짜"),  # near copy
        "RT 리포스트",
        "따릉이 새 자전거 좋네요",
    ], repost_of=[None, None, None, "x:0", None])
    out = link_duplicates(posts)
    assert list(out["duplicate_of"]) == [None, "x:0", "x:0", "x:0", None]
    assert list(out["duplicate_kind"]) == [None, "exact", "near", "repost", None]
    assert len(out) == len(posts)  # never dropped


def test_links_to_previously_stored_posts() -> None:
    prev = frame(["이미 저장된 게시물 미세먼지 너무 심하네요 오늘"]).assign(duplicate_of=None)
    new = frame(["이미 저장된 게시물 미세먼지 너무 심하네요 오늘 ㅠㅠ"], start=10)
    out = link_duplicates(new, prev)
    assert out.iloc[0]["duplicate_of"] == "x:0"


def test_empty_and_short() -> None:
    assert link_duplicates(frame([])).empty
    out = link_duplicates(frame(["ㅋㅋ", "ㅋㅋ"]))
    assert list(out["duplicate_kind"]) == [None, "exact"]

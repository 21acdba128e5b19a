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


def test_band_keys_computed_ahead_equal_those_link_duplicates_computes() -> None:
    from pipeline.transforms.dedup import DedupParams, _MinHasher, _shingles, band_keys

    texts = ["지하철 9호선 또 지연이네요 출근길 지옥", "짧은글", "", "강남구 따릉이 대여소 좀 늘려주세요 ㅠㅠ",
             "a" * 5000, "😀" * 40]
    params = DedupParams()
    expected = [_MinHasher(params).bands(_shingles(t, params.shingle))
                if len(t) >= params.min_chars else None for t in texts]
    assert band_keys(texts) == expected
    assert _MinHasher(params).bands_many([_shingles(t, 3) for t in texts if t], chunk=7).tolist() \
        == [_MinHasher(params).bands(_shingles(t, 3)) for t in texts if t]


def test_given_band_keys_give_the_same_links() -> None:
    from pipeline.transforms.dedup import band_keys

    posts = frame(["서울시 청년월세 지원 신청했는데 언제 결과 나오나요",
                   "서울시 청년월세 지원 신청했는데 언제 결과 나오나요??",
                   "완전히 다른 이야기입니다 한강공원 야경"])
    plain = link_duplicates(posts)
    ahead = link_duplicates(posts.assign(lsh_bands=band_keys(posts["text_norm"].tolist())))
    pd.testing.assert_frame_equal(plain, ahead, check_like=True)
    assert plain["duplicate_of"].tolist()[1] == "x:0"

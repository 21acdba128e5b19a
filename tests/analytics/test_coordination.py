"""Coordinated and bot-like activity: copy clusters, machine rhythm, masks."""

from __future__ import annotations

import pandas as pd

from pipeline.analytics.coordination import (
    COORDINATION_COLUMNS,
    CoordinationParams,
    coordinated_accounts,
    exclusion_mask,
    exclusion_weights,
)

T0 = pd.Timestamp("2025-03-01 12:00", tz="UTC")


def _posts() -> pd.DataFrame:
    rows = []
    msg = "모아타운 강행 결사반대! 주민 의견 무시하는 서울시 규탄한다"
    for i in range(5):  # 5 accounts, same text, within minutes
        rows.append(
            {
                "post_id": f"x:c{i}",
                "author_hash": f"bot{i}",
                "created_at": T0 + pd.Timedelta(minutes=2 * i),
                "text": msg + ("!!" if i % 2 else " 😡") + f" https://bit.ly/{i}",
                "reply_to": None,
                "repost_of": None,
                "duplicate_of": None,
            }
        )
    for i in range(3):  # same text, hours apart: not coordinated
        rows.append(
            {
                "post_id": f"x:s{i}",
                "author_hash": f"slow{i}",
                "created_at": T0 + pd.Timedelta(hours=3 * i),
                "text": "따릉이 대여소가 너무 멀어서 불편합니다 정말로",
                "reply_to": None,
                "repost_of": None,
                "duplicate_of": None,
            }
        )
    for i in range(4):  # reposts of one post by many: sharing, not coordination
        rows.append(
            {
                "post_id": f"x:r{i}",
                "author_hash": f"fan{i}",
                "created_at": T0 + pd.Timedelta(minutes=i),
                "text": "RT @hub: 오늘 한강 야경 최고입니다 모두 나오세요",
                "reply_to": None,
                "repost_of": "x:hub",
                "duplicate_of": "x:hub",
            }
        )
    for i in range(20):  # a clock: one post every 15 minutes exactly
        rows.append(
            {
                "post_id": f"x:k{i:02d}",
                "author_hash": "clock",
                "created_at": T0 + pd.Timedelta(minutes=15 * i),
                "text": f"자동 게시 {i}번 오늘의 서울 소식",
                "reply_to": None,
                "repost_of": None,
                "duplicate_of": None,
            }
        )
    return pd.DataFrame(rows)


def test_copy_cluster_and_rhythm():
    out = coordinated_accounts(_posts())
    assert list(out.columns) == COORDINATION_COLUMNS
    copy = out.loc[out["reason"] == "copy_cluster"]
    assert set(copy["author_hash"]) == {f"bot{i}" for i in range(5)}
    assert copy["cluster_id"].nunique() == 1
    assert (copy["score"] > 0).all() and (copy["score"] <= 1).all()
    rhythm = out.loc[out["reason"] == "regular_rhythm"]
    assert list(rhythm["author_hash"]) == ["clock"]
    assert not set(out["author_hash"]) & {"slow0", "fan0", "fan1"}


def test_masks_and_weights():
    posts = _posts()
    flagged = coordinated_accounts(posts)
    m = exclusion_mask(posts, flagged)
    assert m.sum() == 5 + 20
    by_author = exclusion_mask(posts, flagged, mode="authors")
    assert by_author.sum() == 25
    w = exclusion_weights(posts, flagged, weight=0.2)
    assert set(w.round(3)) == {0.2, 1.0}
    only_copy = exclusion_mask(posts, flagged, reasons=("copy_cluster",))
    assert only_copy.sum() == 5


def test_ignore_authors_and_empty():
    posts = _posts()
    out = coordinated_accounts(
        posts, params=CoordinationParams(ignore_authors=frozenset({"clock"}))
    )
    assert "clock" not in set(out["author_hash"])
    empty = coordinated_accounts(posts.iloc[0:0])
    assert empty.empty and list(empty.columns) == COORDINATION_COLUMNS
    assert not exclusion_mask(posts, empty).any()


def test_deterministic():
    a = coordinated_accounts(_posts())
    b = coordinated_accounts(_posts().sample(frac=1, random_state=4))
    pd.testing.assert_frame_equal(a, b)
